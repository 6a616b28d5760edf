/* Looks over HTTP against a real PostgreSQL: LUT upload (good, malformed with its line, nothing
 * stored), show and day LUT of the same production only, scene defaults, CDL import from
 * .cc/.ccc/.cdl and an ALE with the unmatched report and all-or-nothing, events and roles. */
#include "harness.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct harness_proc srv;
static const char *conninfo;
static char admin[256], editor[256];

static const char *const JSON[] = { "Content-Type: application/json", NULL };
static const char *const TEXT[] = { "Content-Type: text/plain", NULL };

#define CUBE_OK "# a tinted identity\nTITLE \"Show LUT\"\nLUT_3D_SIZE 2\n" \
	"0 0 0\n1 0 0\n0 1 0\n1 1 0\n0 0 1\n1 0 1\n0 1 1\n1 1 1\n"
/* Line 6 has two values. */
#define CUBE_BAD "TITLE \"Broken\"\nLUT_3D_SIZE 2\n0 0 0\n1 0 0\n0 1 0\n1 1\n0 0 1\n1 0 1\n" \
	"0 1 1\n1 1 1\n"

/* Production 1 with days 1 and 2, production 2 with day 3; camera card A001 (day 1) with
 * A001C001..C003, B001 (day 2) with B001C001, a sound card on day 1, C001 on production 2. */
static void
load(void)
{
	cr_assert_geq(harness_sql(conninfo,
	    "INSERT INTO productions (name) VALUES ('P'), ('Other');"
	    "INSERT INTO days (production_id, shoot_date) VALUES (1, '2026-11-25'), (1, '2026-11-26'),"
	    " (2, '2026-11-25');"
	    "INSERT INTO cards (day_id, label, camera, kind) VALUES (1, 'A001', 'A', 'camera'),"
	    " (2, 'B001', 'B', 'camera'), (1, 'S001', NULL, 'sound'), (3, 'C001', 'C', 'camera');"
	    "INSERT INTO clips (card_id, name, scene) VALUES (1, 'A001C001', '12'), (1, 'A001C002', '12'),"
	    " (1, 'A001C003', '14'), (2, 'B001C001', '12'), (3, 'S001T01', '12'), (4, 'C001C001', '1')",
	    NULL, 0), 0);
}

static void
start(void)
{
	conninfo = harness_db_create();
	cr_assert_not_null(conninfo);
	cr_assert_eq(harness_serve(&srv, conninfo, NULL), 0, "log %s", srv.log);
	/* harness_token's answer is static: keep copies. */
	snprintf(admin, sizeof(admin), "%s", harness_token(conninfo, "admin"));
	snprintf(editor, sizeof(editor), "%s", harness_token(conninfo, "editor"));
	harness_bearer = admin;
	load();
}

static void
stop(void)
{
	harness_bearer = NULL;
	cr_expect_eq(harness_stop(&srv), 0, "log %s", srv.log);
}

TestSuite(looks, .init = start, .fini = stop, .timeout = 120);

static long
req(const char *method, const char *path, const char *body, const char *const *hdr,
    json_t **out)
{
	struct harness_resp r;
	long status;

	cr_assert_eq(harness_http(&srv, method, path, body, hdr, &r), 0);
	status = r.status;
	if (out)
		*out = json_loads(r.body, 0, NULL);
	if (status >= 400)
		cr_log_info("%s %s -> %ld %s", method, path, status, r.body);
	harness_resp_release(&r);
	return status;
}

static const char *
sql(const char *q)
{
	static char out[4096];

	cr_assert_geq(harness_sql(conninfo, q, out, sizeof(out)), 0, "%s", q);
	return out;
}

static const char *
errmsg(json_t *j)
{
	const char *m = json_string_value(json_object_get(json_object_get(j, "error"), "message"));

	return m ? m : "";
}

Test(looks, lut_upload_good_and_bad)
{
	json_t *j;
	char path[64];
	struct harness_resp r;
	long id;

	cr_assert_eq(req("POST", "/api/v1/luts?name=broken&production_id=1", CUBE_BAD, TEXT, &j), 400);
	cr_expect(strstr(errmsg(j), "broken: line 6"), "%s", errmsg(j));
	json_decref(j);
	cr_expect_str_eq(sql("SELECT count(*) FROM luts"), "0", "nothing stored");
	cr_expect_str_eq(sql("SELECT count(*) FROM events WHERE kind = 'lut.uploaded'"), "0");

	cr_assert_eq(req("POST", "/api/v1/luts?name=show&production_id=1", CUBE_OK, TEXT, &j), 201);
	id = (long)json_integer_value(json_object_get(j, "id"));
	cr_expect_eq(json_integer_value(json_object_get(j, "size")), 2);
	cr_expect_str_eq(json_string_value(json_object_get(j, "title")), "Show LUT");
	cr_expect_eq(json_integer_value(json_object_get(j, "bytes")), (json_int_t)strlen(CUBE_OK));
	cr_expect_eq(strlen(json_string_value(json_object_get(j, "sha256"))), 64);
	json_decref(j);
	cr_expect_str_eq(sql("SELECT actor || ' ' || (data->>'name') FROM events WHERE kind = "
	    "'lut.uploaded'"), "token:test show");

	/* The same name again is a conflict; JSON bodies work too. */
	cr_expect_eq(req("POST", "/api/v1/luts?name=show&production_id=1", CUBE_OK, TEXT, NULL), 409);
	cr_expect_eq(req("POST", "/api/v1/luts", "{\"name\":\"night\",\"production_id\":1,\"cube\":"
	    "\"LUT_3D_SIZE 2\\n0 0 0\\n1 0 0\\n0 1 0\\n1 1 0\\n0 0 1\\n1 0 1\\n0 1 1\\n1 1 1\\n\"}",
	    JSON, NULL), 201);
	cr_expect_eq(req("POST", "/api/v1/luts?name=x", CUBE_OK, TEXT, &j), 400, "two productions");
	cr_expect(strstr(errmsg(j), "production_id"), "%s", errmsg(j));
	json_decref(j);

	/* List (no bytes), one, the file back byte for byte. */
	cr_assert_eq(req("GET", "/api/v1/luts", NULL, NULL, &j), 200);
	cr_expect_eq(json_array_size(json_object_get(j, "items")), 2);
	cr_expect_null(json_object_get(json_array_get(json_object_get(j, "items"), 0), "cube"));
	json_decref(j);
	snprintf(path, sizeof(path), "/api/v1/luts/%ld/cube", id);
	cr_assert_eq(harness_http(&srv, "GET", path, NULL, NULL, &r), 0);
	cr_expect_eq(r.status, 200);
	cr_expect_str_eq(r.body, CUBE_OK);
	harness_resp_release(&r);

	/* Show LUT: only a LUT of the same production. */
	snprintf(path, sizeof(path), "{\"show_lut_id\":%ld}", id);
	cr_expect_eq(req("PATCH", "/api/v1/productions/2", path, JSON, &j), 400);
	cr_expect(strstr(errmsg(j), "show_lut_id"), "%s", errmsg(j));
	json_decref(j);
	cr_expect_str_eq(sql("SELECT coalesce(show_lut_id::text, 'none') FROM productions WHERE id = 2"),
	    "none");
	cr_assert_eq(req("PATCH", "/api/v1/productions/1", path, JSON, &j), 200);
	cr_expect_eq(json_integer_value(json_object_get(j, "show_lut_id")), id);
	json_decref(j);
	cr_expect_eq(req("PATCH", "/api/v1/productions/1", "{\"show_lut_id\":999}", JSON, NULL), 400);

	/* A day's LUT, same rule; null goes back to the show LUT. */
	snprintf(path, sizeof(path), "{\"lut_id\":%ld}", id);
	cr_expect_eq(req("PATCH", "/api/v1/days/3", path, JSON, NULL), 400);
	cr_assert_eq(req("PATCH", "/api/v1/days/2", path, JSON, &j), 200);
	cr_expect_eq(json_integer_value(json_object_get(j, "lut_id")), id);
	json_decref(j);
	cr_expect_str_eq(sql("SELECT data::text FROM events WHERE kind = 'day.updated'"),
	    "{\"lut_id\": {\"to\": 1, \"from\": null}}");
	cr_expect_eq(req("PATCH", "/api/v1/days/2", "{\"lut_id\":null}", JSON, NULL), 200);
	cr_expect_eq(req("PATCH", "/api/v1/days/99", "{\"lut_id\":null}", JSON, NULL), 404);

	/* Editors read but do not write. */
	harness_bearer = editor;
	cr_expect_eq(req("GET", "/api/v1/luts", NULL, NULL, NULL), 200);
	cr_expect_eq(req("POST", "/api/v1/luts?name=e&production_id=1", CUBE_OK, TEXT, NULL), 403);
	cr_expect_eq(req("PATCH", "/api/v1/days/2", "{\"lut_id\":null}", JSON, NULL), 403);
	snprintf(path, sizeof(path), "/api/v1/luts/%ld", id);
	cr_expect_eq(req("DELETE", path, NULL, NULL, NULL), 403);
	harness_bearer = admin;

	/* Deleting the show LUT leaves the production without one. */
	cr_expect_eq(req("DELETE", path, NULL, NULL, NULL), 204);
	cr_expect_eq(req("GET", path, NULL, NULL, NULL), 404);
	cr_expect_str_eq(sql("SELECT coalesce(show_lut_id::text, 'none') FROM productions WHERE id = 1"),
	    "none");
	cr_expect_str_eq(sql("SELECT count(*) FROM events WHERE kind = 'lut.deleted'"), "1");
}

Test(looks, scene_defaults)
{
	json_t *j;

	cr_assert_eq(req("PUT", "/api/v1/scene-looks/12?production_id=1", "{\"slope\":[1.1,1,0.9],"
	    "\"offset\":[0,0,0.02],\"power\":[1,1,1],\"sat\":0.8,\"id\":\"sc12\"}", JSON, &j), 200);
	cr_expect_str_eq(json_string_value(json_object_get(j, "scene")), "12");
	cr_expect_str_eq(json_string_value(json_object_get(json_object_get(j, "cdl"), "id")), "sc12");
	json_decref(j);
	/* Validated like a clip's look, with the same messages. */
	cr_expect_eq(req("PUT", "/api/v1/scene-looks/12?production_id=1", "{\"power\":[0,1,1]}",
	    JSON, &j), 400);
	cr_expect(strstr(errmsg(j), "cdl: power red is 0"), "%s", errmsg(j));
	json_decref(j);
	cr_expect_eq(req("PUT", "/api/v1/scene-looks/12?production_id=1", "{\"slope\":[1,1]}",
	    JSON, &j), 400);
	cr_expect(strstr(errmsg(j), "cdl.slope: expected 3 numbers"), "%s", errmsg(j));
	json_decref(j);
	cr_expect_eq(req("PATCH", "/api/v1/clips/1", "{\"look\":{\"slope\":[1,1]}}", JSON, &j), 400);
	cr_expect(strstr(errmsg(j), "look.slope: expected 3 numbers"), "%s", errmsg(j));
	json_decref(j);
	cr_expect_str_eq(sql("SELECT cdl->>'sat' FROM scene_looks WHERE scene = '12'"), "0.8");

	cr_assert_eq(req("GET", "/api/v1/scene-looks?production_id=1", NULL, NULL, &j), 200);
	cr_expect_eq(json_array_size(json_object_get(j, "items")), 1);
	json_decref(j);
	harness_bearer = editor;
	cr_expect_eq(req("PUT", "/api/v1/scene-looks/12?production_id=1", "{}", JSON, NULL), 403);
	cr_expect_eq(req("DELETE", "/api/v1/scene-looks/12?production_id=1", NULL, NULL, NULL), 403);
	harness_bearer = admin;
	cr_expect_eq(req("DELETE", "/api/v1/scene-looks/12?production_id=1", NULL, NULL, NULL), 204);
	cr_expect_eq(req("DELETE", "/api/v1/scene-looks/12?production_id=1", NULL, NULL, NULL), 404);
	cr_expect_str_eq(sql("SELECT string_agg(kind, ',' ORDER BY id) FROM events WHERE kind LIKE "
	    "'scene_look.%'"), "scene_look.updated,scene_look.deleted");
}

#define CC_NS "xmlns=\"urn:ASC:CDL:v1.01\""
#define CORR(id, s) "<ColorCorrection id=\"" id "\"><SOPNode><Slope>" s " 1 1</Slope>" \
	"<Offset>0 0 0</Offset><Power>1 1 1</Power></SOPNode><SatNode><Saturation>0.9" \
	"</Saturation></SatNode></ColorCorrection>"

static const char *
look_slope(const char *clip)
{
	static char q[200];

	snprintf(q, sizeof(q), "SELECT coalesce(look->'slope'->>0, 'none') FROM clips WHERE name = '%s'",
	    clip);
	return sql(q);
}

Test(looks, import_cc_ccc_cdl_ale)
{
	json_t *j;

	/* .ccc on day 1: two match, one is on day 2 (out of scope), one matches nothing. */
	cr_assert_eq(req("POST", "/api/v1/looks/import?day_id=1&name=day1.ccc",
	    "<?xml version=\"1.0\"?><ColorCorrectionCollection " CC_NS ">" CORR("A001C001", "1.1")
	    CORR("A001C002", "1.2") CORR("B001C001", "1.3") CORR("ZZZ", "1.4")
	    "</ColorCorrectionCollection>", TEXT, &j), 200);
	cr_expect_str_eq(json_string_value(json_object_get(j, "format")), "ccc");
	cr_expect_eq(json_array_size(json_object_get(j, "applied")), 2);
	cr_expect_eq(json_array_size(json_object_get(j, "unmatched")), 2);
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(j,
	    "unmatched"), 1), "element")), "ColorCorrection 4 (id ZZZ)");
	json_decref(j);
	cr_expect_str_eq(look_slope("A001C001"), "1.1");
	cr_expect_str_eq(look_slope("A001C002"), "1.2");
	cr_expect_str_eq(look_slope("B001C001"), "none");
	cr_expect_str_eq(sql("SELECT count(*) FROM events WHERE kind = 'clip.look'"), "2");
	cr_expect_str_eq(sql("SELECT data->>'file' FROM events WHERE kind = 'clip.look' LIMIT 1"),
	    "day1.ccc");

	/* .cc on the production: B001C001 on day 2 now matches. */
	cr_assert_eq(req("POST", "/api/v1/looks/import?production_id=1",
	    "<ColorCorrection " CC_NS " id=\"B001C001\"><SOPNode><Slope>1.5 1 1</Slope></SOPNode>"
	    "</ColorCorrection>", TEXT, &j), 200);
	cr_expect_str_eq(json_string_value(json_object_get(j, "format")), "cc");
	json_decref(j);
	cr_expect_str_eq(look_slope("B001C001"), "1.5");

	/* .cdl: matched by MediaRef when the id is not a clip name. */
	cr_assert_eq(req("POST", "/api/v1/looks/import?day_id=1",
	    "<ColorDecisionList " CC_NS "><ColorDecision><MediaRef ref=\"/Volumes/A001/A001C003.mov\"/>"
	    CORR("grade7", "1.7") "</ColorDecision></ColorDecisionList>", TEXT, &j), 200);
	cr_expect_str_eq(json_string_value(json_object_get(j, "format")), "cdl");
	cr_expect_eq(json_array_size(json_object_get(j, "applied")), 1);
	json_decref(j);
	cr_expect_str_eq(look_slope("A001C003"), "1.7");

	/* ALE: Name then Source File; a row without ASC columns is skipped. */
	cr_assert_eq(req("POST", "/api/v1/looks/import?day_id=1&name=day1.ale",
	    "Heading\nFIELD_DELIM\tTABS\nFPS\t25\n\nColumn\nName\tSource File\tASC_SOP\tASC_SAT\n\nData\n"
	    "A001C001\t\t(2.0 1 1)(0 0 0)(1 1 1)\t1.0\n"
	    "x\tA001C002.mov\t(2.1 1 1)(0 0 0)(1 1 1)\t\n"
	    "A001C003\t\t\t\n", TEXT, &j), 200);
	cr_expect_str_eq(json_string_value(json_object_get(j, "format")), "ale");
	cr_expect_eq(json_array_size(json_object_get(j, "applied")), 2);
	cr_expect_eq(json_array_size(json_object_get(j, "skipped")), 1);
	json_decref(j);
	cr_expect_str_eq(look_slope("A001C001"), "2.0");
	cr_expect_str_eq(look_slope("A001C002"), "2.1");
	cr_expect_str_eq(look_slope("A001C003"), "1.7");

	/* As a scene default. */
	cr_assert_eq(req("POST", "/api/v1/looks/import?production_id=1&scene=14",
	    "<ColorCorrection " CC_NS " id=\"night\"><SOPNode><Slope>0.8 0.9 1.1</Slope></SOPNode>"
	    "</ColorCorrection>", TEXT, &j), 200);
	json_decref(j);
	cr_expect_str_eq(sql("SELECT cdl->>'id' FROM scene_looks WHERE scene = '14'"), "night");
	cr_expect_eq(req("POST", "/api/v1/looks/import?production_id=1&scene=14",
	    "<ColorCorrectionCollection " CC_NS ">" CORR("a", "1") CORR("b", "1")
	    "</ColorCorrectionCollection>", TEXT, NULL), 400);
	cr_expect_str_eq(sql("SELECT count(*) FROM events WHERE kind = 'looks.imported'"), "5");
}

Test(looks, import_is_all_or_nothing)
{
	json_t *j;

	/* The second correction is invalid: the first is not applied either. */
	cr_assert_eq(req("POST", "/api/v1/looks/import?day_id=1&name=bad.ccc",
	    "<ColorCorrectionCollection " CC_NS ">" CORR("A001C001", "1.1")
	    "<ColorCorrection id=\"A001C002\"><SOPNode><Slope>1 1</Slope></SOPNode></ColorCorrection>"
	    "</ColorCorrectionCollection>", TEXT, &j), 400);
	cr_expect(strstr(errmsg(j), "bad.ccc: line 1"), "%s", errmsg(j));
	cr_expect(strstr(errmsg(j), "Slope"), "%s", errmsg(j));
	json_decref(j);
	cr_expect_str_eq(look_slope("A001C001"), "none");

	/* An ALE row with a bad ASC_SOP names the row; nothing is applied. */
	cr_assert_eq(req("POST", "/api/v1/looks/import?day_id=1&name=bad.ale",
	    "Heading\nFIELD_DELIM\tTABS\n\nColumn\nName\tASC_SOP\n\nData\n"
	    "A001C001\t(2 1 1)(0 0 0)(1 1 1)\nA001C002\t(2 1 1)(0 0 0)(1 0 1)\n", TEXT, &j), 400);
	cr_expect(strstr(errmsg(j), "bad.ale: data row 2 (A001C002): ASC_SOP"), "%s", errmsg(j));
	json_decref(j);
	cr_expect_eq(req("POST", "/api/v1/looks/import?day_id=1", "Heading\nFIELD_DELIM\tTABS\n\n"
	    "Column\nName\n\nData\nA001C001\n", TEXT, NULL), 400, "no ASC columns");
	cr_expect_eq(req("POST", "/api/v1/looks/import?day_id=1", "<nope/>", TEXT, NULL), 400);
	cr_expect_eq(req("POST", "/api/v1/looks/import?day_id=99", "<nope/>", TEXT, NULL), 404);
	cr_expect_str_eq(look_slope("A001C001"), "none");
	cr_expect_str_eq(sql("SELECT count(*) FROM events WHERE kind IN ('clip.look', "
	    "'looks.imported')"), "0");

	harness_bearer = editor;
	cr_expect_eq(req("POST", "/api/v1/looks/import?day_id=1", "<ColorCorrection " CC_NS
	    " id=\"A001C001\"/>", TEXT, NULL), 403);
	harness_bearer = admin;
	cr_expect_str_eq(look_slope("A001C001"), "none");
}
