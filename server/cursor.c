/* cursor: opaque keyset positions (see cursor.h). */
#include "cursor.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *
cursor_make(const char *tag, const char *const *vals, int n)
{
	json_t *a = json_pack("[s]", tag);
	char *text, *out = NULL;
	size_t len, olen;
	int k = 0;

	/* A value JSON cannot hold (not UTF-8) makes no cursor rather than one with a key missing,
	 * which cursor_read would refuse. */
	while (k < n && json_array_append_new(a, json_string(vals[k] ? vals[k] : "")) == 0)
		k++;
	text = k == n ? json_dumps(a, JSON_COMPACT) : NULL;
	json_decref(a);
	if (text == NULL)
		return NULL;
	len = strlen(text);
	olen = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	if ((out = malloc(olen)) != NULL)
		sodium_bin2base64(out, olen, (const unsigned char *)text, len,
		    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	free(text);
	return out;
}

int
cursor_read(const char *field, const char *cursor, const char *tag, int n,
    char vals[][CURSOR_VAL_MAX], struct err *err)
{
	unsigned char raw[1200];
	size_t len;
	json_t *a;
	int rc = 0;

	/* libsodium 1.0.18 decodes any byte >= 0x80 as '_': only the alphabet is a cursor. */
	if (n > CURSOR_MAX_KEYS || strlen(cursor) > 1500 || strspn(cursor, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_") != strlen(cursor) ||
	    sodium_base642bin(raw, sizeof(raw) - 1,
	    cursor, strlen(cursor), NULL, &len, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		return err_set(err, SP_EINVAL, "%s: not a position this server gave", field);
	a = json_loadb((const char *)raw, len, 0, NULL);
	if (!json_is_array(a) || (int)json_array_size(a) != n + 1 ||
	    !json_is_string(json_array_get(a, 0)) ||
	    strcmp(json_string_value(json_array_get(a, 0)), tag) != 0)
		rc = err_set(err, SP_EINVAL, "%s: not a position of this list (%s)", field, tag);
	for (int k = 0; rc == 0 && k < n; k++) {
		const char *v = json_string_value(json_array_get(a, (size_t)k + 1));
		if (v == NULL || strlen(v) >= CURSOR_VAL_MAX)
			rc = err_set(err, SP_EINVAL, "%s: damaged", field);
		else
			snprintf(vals[k], CURSOR_VAL_MAX, "%s", v);
	}
	json_decref(a);
	return rc;
}
