/*
 * cursor: opaque keyset positions for paged lists (clips, dailies). A cursor is base64url
 * (no padding) of a JSON array [tag, key values...]: the tag names the list and its order, so
 * a cursor of one list is refused by another; the values are the last row's sort keys as text.
 */
#ifndef SETPOST_CURSOR_H
#define SETPOST_CURSOR_H

#include "lib/core/err.h"

#define CURSOR_MAX_KEYS 3
#define CURSOR_VAL_MAX 300

/* A new cursor from n key values (borrowed); malloc'd, the caller frees it. NULL on no memory. */
char *cursor_make(const char *tag, const char *const *vals, int n);

/* Reads a cursor made with the same tag and n keys into vals. SP_EINVAL naming `field`
 * ("cursor: ...") when it is not one. */
int cursor_read(const char *field, const char *cursor, const char *tag, int n,
    char vals[][CURSOR_VAL_MAX], struct err *err);

#endif
