/* Unit tests for lib/media/cdl_json.c: the one reader of CDL JSON (clip looks, scene defaults). */
#include <criterion/criterion.h>
#include <string.h>

#include "lib/media/cdl_json.h"

static int
read(const char *text, bool allow_id, struct cdl *c, struct err *err)
{
	json_t *j = json_loads(text, 0, NULL);
	int rc;

	cr_assert_not_null(j, "%s", text);
	rc = cdl_from_json(j, "look", allow_id, c, err);
	json_decref(j);
	return rc;
}

Test(cdl_json, parts_left_out_are_identity)
{
	struct cdl c;
	struct err err = { 0 };

	cr_assert_eq(read("{\"slope\":[1.1,1,0.9],\"sat\":0.5}", false, &c, &err), 0, "%s", err.msg);
	cr_expect_float_eq(c.slope[0], 1.1, 1e-12);
	cr_expect_float_eq(c.offset[1], 0, 1e-12);
	cr_expect_float_eq(c.power[2], 1, 1e-12);
	cr_expect_float_eq(c.sat, 0.5, 1e-12);
	cr_expect_str_eq(c.id, "");
}

Test(cdl_json, refusals_name_the_field)
{
	static const struct { const char *in, *msg; } cases[] = {
		{ "[]", "look: expected an object" },
		{ "{\"slope\":[1,1]}", "look.slope: expected 3 numbers" },
		{ "{\"offset\":[0,\"x\",0]}", "look.offset[1]: expected a number" },
		{ "{\"power\":[1,0,1]}", "look: power green is 0" },
		{ "{\"sat\":-1}", "look.sat" },
		{ "{\"colour\":1}", "look.colour" },
		{ "{\"id\":\"x\"}", "look.id" },
	};
	struct cdl c;
	struct err err;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&err, 0, sizeof(err));
		cr_expect_eq(read(cases[i].in, false, &c, &err), SP_EINVAL, "%s", cases[i].in);
		cr_expect(strstr(err.msg, cases[i].msg), "%s: %s", cases[i].in, err.msg);
	}
}

Test(cdl_json, round_trip_with_id)
{
	struct cdl c, d;
	struct err err = { 0 };
	json_t *j;

	cr_assert_eq(read("{\"slope\":[1.2,1,1],\"offset\":[-0.01,0,0.02],\"power\":[1,1.1,1],"
	    "\"sat\":0.8,\"id\":\"sc12\"}", true, &c, &err), 0, "%s", err.msg);
	cr_expect_str_eq(c.id, "sc12");
	j = cdl_to_json(&c, true);
	cr_assert_eq(cdl_from_json(j, "cdl", true, &d, &err), 0, "%s", err.msg);
	json_decref(j);
	cr_expect_eq(memcmp(&c, &d, sizeof(c)), 0);
	j = cdl_to_json(&c, false);
	cr_expect_null(json_object_get(j, "id"));
	json_decref(j);
}
