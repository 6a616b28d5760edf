/* lib/core/safe_name.c: the one sanitiser for names that become paths (issue 14): a receiver's
 * arrival folders and file names, a rendition's name, a pulled file's folders, a card label. */
#include "lib/core/safe_name.h"
#include "lib/media/profile.h"

#include <criterion/criterion.h>
#include <string.h>

static const char *
safe(const char *in)
{
	static char out[SAFE_NAME_MAX + 1];

	safe_name(in, "unfiled", out, sizeof(out));
	return out;
}

Test(safe_name, a_plain_name_is_kept)
{
	cr_expect_str_eq(safe("A001C001_250101_R1AB.mp4"), "A001C001_250101_R1AB.mp4");
	cr_expect_str_eq(safe("Scène 12 — prise 3"), "Scène 12 — prise 3");
	cr_expect_str_eq(safe("2026-12-07"), "2026-12-07");
}

Test(safe_name, dots_separators_and_control_characters_do_not_escape)
{
	cr_expect_str_eq(safe("."), "_");
	cr_expect_str_eq(safe(".."), "_.");
	cr_expect_str_eq(safe("../../etc/passwd"), "_._.._etc_passwd");
	cr_expect_str_eq(safe("a/b\\c"), "a_b_c");
	cr_expect_str_eq(safe("a\nb\x7f\x01"), "a_b__");
	cr_expect_str_eq(safe(".hidden.partial"), "_hidden.partial");
	cr_expect_eq(strchr(safe("/"), '/'), NULL);
}

Test(safe_name, nothing_given_is_the_fallback)
{
	cr_expect_str_eq(safe(NULL), "unfiled");
	cr_expect_str_eq(safe(""), "unfiled");
}

Test(safe_name, a_long_name_is_cut_on_a_character_boundary)
{
	char in[400];

	memset(in, 'a', sizeof(in));
	in[SAFE_NAME_MAX - 1] = '\xc3';   /* é straddling the limit */
	in[SAFE_NAME_MAX] = '\xa9';
	in[sizeof(in) - 1] = '\0';
	cr_expect_eq(strlen(safe(in)), SAFE_NAME_MAX - 1);
	memset(in, 'b', sizeof(in) - 1);
	cr_expect_eq(strlen(safe(in)), SAFE_NAME_MAX);
}

Test(safe_name, bytes_that_are_not_utf8_do_not_pass)
{
	cr_expect_str_eq(safe("a\xff\xfe" "b"), "a__b");
	cr_expect_str_eq(safe("\xc0\xae\xc0\xae"), "____");   /* overlong "..": not a way around */
}

Test(safe_name, appending_makes_one_component_safe_in_the_middle_of_a_path)
{
	char out[64] = "x/";
	size_t o = 2;

	o = safe_name_append(out, sizeof(out), o, ".");
	cr_expect_str_eq(out, "x/_");
	o = safe_name_append(out, sizeof(out), o, "./..");
	cr_expect_str_eq(out, "x/_._..");
	cr_expect_eq(o, strlen(out));
	snprintf(out, sizeof(out), "day/.");
	safe_name_append(out, sizeof(out), 5, "..");
	cr_expect_str_eq(out, "day/._.", "a template's own dot, then the value's: never \"..\"");
}

Test(safe_name, a_label_is_ok_only_when_it_is_already_safe)
{
	cr_expect(safe_name_ok("A001R1AB"));
	cr_expect(safe_name_ok("Carte B 012"));
	cr_expect_not(safe_name_ok(""));
	cr_expect_not(safe_name_ok("."));
	cr_expect_not(safe_name_ok(".."));
	cr_expect_not(safe_name_ok("../../../../etc/passwd"));
	cr_expect_not(safe_name_ok("A001/B"));
	cr_expect_not(safe_name_ok(".hidden"));
	cr_expect_not(safe_name_ok("A001\n"));
	cr_expect_not(safe_name_ok("A001\xff"));
}

/* The case: the template ".{scene}/.{take}/{clip}.{ext}" with scene and take "." (an
 * iXML sound report can carry them) made "../../A001C001.mp4". */
Test(safe_name, the_rendition_template_with_dot_scene_and_take_stays_inside)
{
	struct profile_set act;
	struct profile_vars v = { "D01", "A001", "A001C001", ".", ".", "R1" };
	struct err err;
	char out[512];

	cr_assert_eq(profile_load(NULL, NULL, &act, &err), 0, "%s", err.msg);
	snprintf(act.v[0].naming, sizeof(act.v[0].naming), ".{scene}/.{take}/{clip}.{ext}");
	cr_assert_eq(profile_name(&act.v[0], &v, out, sizeof(out), &err), 0, "%s", err.msg);
	cr_expect_str_eq(out, "._/._/A001C001.mp4");
	v.scene = "../..";
	v.take = "/etc";
	cr_assert_eq(profile_name(&act.v[0], &v, out, sizeof(out), &err), 0, "%s", err.msg);
	cr_expect_str_eq(out, "._._../._etc/A001C001.mp4");
	v.clip = "..";
	snprintf(act.v[0].naming, sizeof(act.v[0].naming), "{clip}");
	cr_assert_eq(profile_name(&act.v[0], &v, out, sizeof(out), &err), 0, "%s", err.msg);
	cr_expect_str_eq(out, "_.");
	profile_set_release(&act);
}
