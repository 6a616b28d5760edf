/* The API's paging cursor (server/cursor.c). Input: a tag line, then the cursor as a client
 * sends it. It is read as a cursor of one to three keys; a cursor read must only give values
 * that fit. Then the input's lines after the tag are made into a cursor, which must read back
 * to the same values under the same tag and be refused under another. */
#include "tests/fuzz/fuzz.h"
#include "server/cursor.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *tag = fuzz_line(&data, &size), *cursor = fuzz_cstr(data, size), *made;
	char vals[CURSOR_MAX_KEYS][CURSOR_VAL_MAX];
	const char *keys[CURSOR_MAX_KEYS];
	struct err err;
	int n = 0;

	for (int k = 0; k <= CURSOR_MAX_KEYS + 1; k++)
		if (cursor_read("cursor", cursor, tag, k, vals, &err) == 0) {
			fuzz_check(strspn(cursor, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			    "0123456789-_") == strlen(cursor), "'%s' is not base64url", cursor);
			for (int i = 0; i < k; i++)
				fuzz_check(strnlen(vals[i], CURSOR_VAL_MAX) < CURSOR_VAL_MAX, "value %d "
				    "not terminated", i);
		}
	/* The rest as up to three values, one a line. */
	for (char *p = cursor; n < CURSOR_MAX_KEYS; n++) {
		char *nl = strchr(p, '\n');
		keys[n] = p;
		if (nl == NULL) {
			n++;
			break;
		}
		*nl = '\0';
		p = nl + 1;
	}
	made = cursor_make(tag, keys, n);
	if (made != NULL) {
		bool fits = true;

		for (int i = 0; i < n; i++)
			fits = fits && strlen(keys[i]) < CURSOR_VAL_MAX;
		int rc = cursor_read("cursor", made, tag, n, vals, &err);
		/* A tag or value that is not UTF-8 has no JSON: no cursor is made of it. */
		if (fits && strlen(made) <= 1500) {
			fuzz_check(rc == 0, "cursor '%s' made for tag '%s' is refused: %s", made, tag,
			    err.msg);
			for (int i = 0; i < n; i++)
				fuzz_check(strcmp(vals[i], keys[i]) == 0, "value '%s' came back as '%s'",
				    keys[i], vals[i]);
		}
		fuzz_check(cursor_read("cursor", made, "another list", n, vals, &err) < 0 ||
		    strcmp(tag, "another list") == 0, "a cursor of '%s' is taken by another list", tag);
		free(made);
	}
	free(tag);
	free(cursor);
	return 0;
}
