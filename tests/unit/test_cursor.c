/* server/cursor.c: paging cursors read back; values JSON cannot hold make no cursor; only the
 * base64url alphabet is a cursor (libsodium 1.0.18 alone decodes a byte >= 0x80 as '_'). Both
 * refusals were found by tests/fuzz/fuzz_cursor.c. */
#include "server/cursor.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

Test(cursor, reads_back_and_is_refused_by_another_list)
{
	const char *keys[2] = { "A001C003", "scene \"12\"/take 3" };
	char vals[2][CURSOR_VAL_MAX];
	struct err err = { 0 };
	char *c = cursor_make("clips:name", keys, 2);

	cr_assert_not_null(c);
	cr_assert_eq(cursor_read("cursor", c, "clips:name", 2, vals, &err), 0, "%s", err.msg);
	cr_expect_str_eq(vals[0], keys[0]);
	cr_expect_str_eq(vals[1], keys[1]);
	cr_expect_eq(cursor_read("cursor", c, "dailies", 2, vals, &err), SP_EINVAL);
	cr_expect_eq(cursor_read("cursor", c, "clips:name", 1, vals, &err), SP_EINVAL);
	free(c);
}

Test(cursor, a_value_that_is_not_utf8_makes_no_cursor)
{
	const char *keys[2] = { "A001C003", "take \xff" };

	cr_expect_null(cursor_make("clips:name", keys, 2));
	cr_expect_null(cursor_make("clips:\xc3", keys, 1));
}

Test(cursor, a_byte_outside_the_alphabet_is_refused)
{
	const char *keys[1] = { "???" };
	char vals[1][CURSOR_VAL_MAX];
	struct err err = { 0 };
	char *c = cursor_make("t", keys, 1), *u;

	/* ["t","???"] is WyJ0IiwiPz8_Il0: its '_' (63) is what libsodium also makes of 0xff. */
	cr_assert_not_null(c);
	cr_assert_not_null((u = strchr(c, '_')), "%s", c);
	cr_assert_eq(cursor_read("cursor", c, "t", 1, vals, &err), 0, "%s", err.msg);
	*u = '\xff';
	cr_expect_eq(cursor_read("cursor", c, "t", 1, vals, &err), SP_EINVAL);
	free(c);
}
