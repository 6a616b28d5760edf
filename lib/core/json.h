/*
 * json: strict reading of request bodies with Jansson. A body must be a JSON object; every
 * field is checked for its type and range, unknown fields are refused, and each message names
 * the field ("take: expected a string of at most 16 characters"). Jansson already refuses
 * invalid UTF-8 and NUL in strings. Values returned are borrowed from the object.
 */
#ifndef SETPOST_JSON_H
#define SETPOST_JSON_H

#include "lib/core/err.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Parses text as a JSON object (new reference in *out). */
int json_parse_object(const char *text, size_t len, json_t **out, struct err *err);

/* Refuses any field of obj not named in allowed (NULL-terminated). */
int json_only_fields(json_t *obj, const char *const *allowed, struct err *err);

/* Getters: return 0 (value set), 1 (field absent and not required; value untouched), or
 * SP_EINVAL with a message naming the field. */
int json_get_string(json_t *obj, const char *field, bool required, size_t maxlen,
    const char **value, struct err *err);
int json_get_bool(json_t *obj, const char *field, bool required, bool *value,
    struct err *err);
int json_get_int(json_t *obj, const char *field, bool required, long long min, long long max,
    long long *value, struct err *err);
int json_get_number(json_t *obj, const char *field, bool required, double min, double max,
    double *value, struct err *err);

#endif
