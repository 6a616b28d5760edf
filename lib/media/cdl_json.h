/*
 * cdl_json: an ASC CDL as the API spells it, {"slope":[r,g,b],"offset":[r,g,b],
 * "power":[r,g,b],"sat":s} (plus "id" where a name is kept, as in scene_looks.cdl). The one
 * reader every route uses (clip looks, scene defaults), so they all refuse the same things
 * with the same messages.
 */
#ifndef SETPOST_CDL_JSON_H
#define SETPOST_CDL_JSON_H

#include <jansson.h>
#include <stdbool.h>

#include "lib/media/cdl.h"
#include "lib/core/err.h"

/* Reads j into *out and validates it (cdl_validate). Parts left out keep the identity.
 * where names the value in messages ("look.slope[1]: expected a number", "look: power
 * green is 0; must be > 0"). allow_id accepts a string "id" (at most CDL_ID_MAX - 1 bytes).
 * Returns 0 or SP_EINVAL. */
int cdl_from_json(json_t *j, const char *where, bool allow_id, struct cdl *out,
    struct err *err);

/* The JSON of c (new reference); with_id adds "id" when c has one. */
json_t *cdl_to_json(const struct cdl *c, bool with_id);

#endif
