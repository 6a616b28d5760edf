/* lib/media/profile.c, profile_name: a rendition's path never has a ".." component or a
 * control character, whatever the clip's names and the template. Found by
 * tests/fuzz/fuzz_settings.c: ".{scene}" with the scene "." made "../" (the transcode would
 * have written outside the renditions folder), and a template's own DEL or \u0001 went into
 * the file name. */
#include "lib/media/profile.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static void
name_of(const char *naming, const struct profile_vars *v, char *out, size_t len)
{
	struct profile_set act;
	struct err err;

	cr_assert_eq(profile_load(NULL, NULL, &act, &err), 0, "%s", err.msg);
	snprintf(act.v[0].naming, sizeof(act.v[0].naming), "%s", naming);
	cr_assert_eq(profile_name(&act.v[0], v, out, len, &err), 0, "%s", err.msg);
	profile_set_release(&act);
}

Test(profile_name, a_dot_before_a_value_never_makes_dot_dot)
{
	struct profile_vars v = { "D01", "A001", "A001C003", ".", "..", "R1" };
	char out[512];

	name_of(".{scene}/{clip}.{ext}", &v, out, sizeof(out));
	cr_expect_str_eq(out, "._/A001C003.mp4");
	name_of("x/.{take}/{clip}", &v, out, sizeof(out));
	cr_expect_str_eq(out, "x/._./A001C003");
	name_of("{day}/.{scene}.{ext}", &v, out, sizeof(out));
	cr_expect_str_eq(out, "D01/._.mp4");
}

Test(profile_name, values_in_the_middle_of_a_component_keep_their_dots)
{
	struct profile_vars v = { "D01", "A001", "A001C003.R3D", "12", ".5", "R1" };
	char out[512];

	name_of("{clip}_{scene}{take}.{ext}", &v, out, sizeof(out));
	cr_expect_str_eq(out, "A001C003.R3D_12.5.mp4");
}

Test(profile_name, templates_with_control_characters_or_backslashes_are_refused)
{
	static const char *const bad[] = {
		"{\"proxy_profiles\": {\"h264_720\": {\"naming\": \"{clip}\\u0001.{ext}\"}}}",
		"{\"proxy_profiles\": {\"h264_720\": {\"naming\": \"{clip}\x7f.{ext}\"}}}",
		"{\"proxy_profiles\": {\"h264_720\": {\"naming\": \"a\\\\{clip}.{ext}\"}}}",
	};
	struct err err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *s = json_loads(bad[i], 0, NULL);
		cr_assert_not_null(s, "%s", bad[i]);
		cr_expect_eq(profile_settings_check(s, &err), SP_EINVAL, "%s accepted", bad[i]);
		cr_expect(strstr(err.msg, "h264_720.naming"), "%s", err.msg);
		json_decref(s);
	}
}
