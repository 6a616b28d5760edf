/* server/arrival_name.c: every component of an arrival's path is one safe name. */
#include "server/arrival_name.h"

#include <criterion/criterion.h>
#include <string.h>

static const char *
safe(const char *in)
{
	static char out[ARRIVAL_NAME_MAX + 1];

	arrival_name(in, "unfiled", out, sizeof(out));
	return out;
}

Test(arrival_name, a_plain_name_is_kept)
{
	cr_expect_str_eq(safe("A001C001_250101_R1AB.mp4"), "A001C001_250101_R1AB.mp4");
	cr_expect_str_eq(safe("Scène 12 — prise 3"), "Scène 12 — prise 3");
	cr_expect_str_eq(safe("2026-12-07"), "2026-12-07");
}

Test(arrival_name, dots_separators_and_control_characters_do_not_escape)
{
	cr_expect_str_eq(safe("."), "_");
	cr_expect_str_eq(safe(".."), "_.");
	cr_expect_str_eq(safe("../../etc/passwd"), "_._.._etc_passwd");
	cr_expect_str_eq(safe("a/b\\c"), "a_b_c");
	cr_expect_str_eq(safe("a\nb\x7f\x01"), "a_b__");
	cr_expect_str_eq(safe(".hidden.partial"), "_hidden.partial");
	cr_expect_eq(strchr(safe("/"), '/'), NULL);
}

Test(arrival_name, nothing_given_is_the_fallback)
{
	cr_expect_str_eq(safe(NULL), "unfiled");
	cr_expect_str_eq(safe(""), "unfiled");
}

Test(arrival_name, a_long_name_is_cut_on_a_character_boundary)
{
	char in[400];

	memset(in, 'a', sizeof(in));
	in[ARRIVAL_NAME_MAX - 1] = '\xc3';   /* é straddling the limit */
	in[ARRIVAL_NAME_MAX] = '\xa9';
	in[sizeof(in) - 1] = '\0';
	cr_expect_eq(strlen(safe(in)), ARRIVAL_NAME_MAX - 1);
	memset(in, 'b', sizeof(in) - 1);
	cr_expect_eq(strlen(safe(in)), ARRIVAL_NAME_MAX);
}
