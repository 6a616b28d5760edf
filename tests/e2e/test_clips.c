/* The clip library over HTTP: filters, sorts and a cursor that stays stable while clips are
 * added; a clip's detail in one response; PATCH with validation, events and roles. */
#include "harness.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct harness_proc srv;
static const char *conninfo;

/* 30 clips on two cards: scene 1..3, take 1..5, every third circled. */
static void
load(void)
{
	harness_sql(conninfo, "INSERT INTO productions (name) VALUES ('P');"
	    "INSERT INTO days (production_id, shoot_date) VALUES (1, '2026-11-25');"
	    "INSERT INTO cards (day_id, label, camera) VALUES (1, 'A001', 'A'), (1, 'B001', 'B');"
	    "INSERT INTO clips (card_id, name, scene, take, circled, notes)"
	    " SELECT 1 + (g % 2), (CASE WHEN g % 2 = 0 THEN 'A001' ELSE 'B001' END) || 'C' ||"
	    " lpad(g::text, 3, '0'), (1 + g % 3)::text, (1 + g % 5)::text, g % 3 = 0,"
	    " CASE WHEN g = 7 THEN 'boom in shot' ELSE '' END FROM generate_series(1, 30) g;"
	    "INSERT INTO files (card_id, clip_id, rel_path, size) SELECT card_id, id, name || '.mov', 100"
	    " FROM clips;"
	    "INSERT INTO hashes (file_id, algorithm, value) SELECT id, 'xxh64', lpad(to_hex(id), 16, '0')"
	    " FROM files", NULL, 0);
}

static void
start(void)
{
	conninfo = harness_db_create();
	cr_assert_not_null(conninfo);
	cr_assert_eq(harness_serve(&srv, conninfo, NULL), 0, "log %s", srv.log);
	harness_bearer = harness_token(conninfo, "admin");
	load();
}

static void
stop(void)
{
	cr_expect_eq(harness_stop(&srv), 0, "log %s", srv.log);
}

TestSuite(clips, .init = start, .fini = stop, .timeout = 120);

static int
items(const char *body)
{
	int n = 0;

	for (const char *p = body; (p = strstr(p, "\"state_reason\"")) != NULL; p++)
		n++;
	return n;
}

/* items[0].field of a list, as text (static). */
static const char *
first(const char *body, const char *field)
{
	static char out[256];
	json_t *j = json_loads(body, 0, NULL);
	json_t *v = json_object_get(json_array_get(json_object_get(j, "items"), 0), field);

	snprintf(out, sizeof(out), "%s", json_is_string(v) ? json_string_value(v) : "?");
	json_decref(j);
	return out;
}

/* A field of an object, as text (static). */
static const char *
field(const char *body, const char *name)
{
	static char out[256];
	json_t *j = json_loads(body, 0, NULL), *v = json_object_get(j, name);

	if (json_is_string(v))
		snprintf(out, sizeof(out), "%s", json_string_value(v));
	else if (json_is_boolean(v))
		snprintf(out, sizeof(out), "%s", json_is_true(v) ? "true" : "false");
	else if (json_is_integer(v))
		snprintf(out, sizeof(out), "%lld", (long long)json_integer_value(v));
	else
		snprintf(out, sizeof(out), "?");
	json_decref(j);
	return out;
}

static void
get(const char *path, struct harness_resp *r)
{
	harness_http(&srv, "GET", path, NULL, NULL, r);
}

Test(clips, filters)
{
	struct harness_resp r;

	get("/api/v1/clips?limit=500", &r);
	cr_expect_eq(r.status, 200, "%s", r.body);
	cr_expect_eq(items(r.body), 30);
	harness_resp_release(&r);
	get("/api/v1/clips?camera=A&limit=500", &r);
	cr_expect_eq(items(r.body), 15, "%s", r.body);
	harness_resp_release(&r);
	get("/api/v1/clips?circled=true&scene=1", &r);
	cr_expect_eq(items(r.body), 10, "%s", r.body);
	harness_resp_release(&r);
	get("/api/v1/clips?q=boom", &r);
	cr_expect_eq(items(r.body), 1, "%s", r.body);
	cr_expect_str_eq(first(r.body, "name"), "B001C007");
	harness_resp_release(&r);
	get("/api/v1/clips?q=%25", &r);
	cr_expect_eq(items(r.body), 0, "a %% in the text is a character, not a wildcard: %s", r.body);
	harness_resp_release(&r);
	get("/api/v1/clips?card_id=2&take=3", &r);
	cr_expect_eq(items(r.body), 3, "%s", r.body);
	harness_resp_release(&r);
	static const char *const bad[] = { "state=lost", "circled=yes", "limit=0", "sort=size",
		"card_id=x", "cursor=!!", "cursor=WyJuYW1lIl0" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char path[128];
		snprintf(path, sizeof(path), "/api/v1/clips?%s", bad[i]);
		get(path, &r);
		cr_expect_eq(r.status, 400, "%s: %s", bad[i], r.body);
		harness_resp_release(&r);
	}
}

/* Walks all pages of a sort; inserts a clip mid-walk that sorts after the cursor. */
static void
walk(const char *sort, const char *key, const char *want_first, int want)
{
	char path[512], cursor[400] = "";
	struct harness_resp r;
	int seen = 0, pages = 0;

	do {
		snprintf(path, sizeof(path), "/api/v1/clips?limit=7&sort=%s%s%s", sort,
		    cursor[0] ? "&cursor=" : "", cursor);
		get(path, &r);
		cr_assert_eq(r.status, 200, "%s", r.body);
		if (pages == 0)
			cr_expect_str_eq(first(r.body, key), want_first, "sort %s", sort);
		seen += items(r.body);
		char *nc = strstr(r.body, "\"next_cursor\":\"");
		cursor[0] = '\0';
		if (nc)
			snprintf(cursor, sizeof(cursor), "%.*s", (int)strcspn(nc + 15, "\""), nc + 15);
		harness_resp_release(&r);
		if (++pages == 2 && strcmp(sort, "name") == 0)
			harness_sql(conninfo, "INSERT INTO clips (card_id, name) VALUES (1, 'Z999')", NULL, 0);
	} while (cursor[0] && pages < 20);
	cr_expect_eq(seen, want, "sort %s saw %d", sort, seen);
}

Test(clips, cursor_pages_every_clip_once)
{
	walk("name", "name", "A001C002", 31);
	walk("-name", "name", "Z999", 31);
	walk("scene", "name", "Z999", 31);
	walk("-created", "name", "Z999", 31);
}

Test(clips, detail_and_patch)
{
	struct harness_resp r;
	char editor[160], out[256];

	get("/api/v1/clips/7", &r);
	cr_expect_eq(r.status, 200);
	cr_expect(strstr(r.body, "\"files\": [{") && strstr(r.body, "\"hashes\": {\"xxh64\":"), "%s", r.body);
	cr_expect_str_eq(field(r.body, "copies"), "0");
	cr_expect(strstr(r.body, "\"qc\": []"), "the QC findings are in the detail: %s", r.body);
	harness_resp_release(&r);
	harness_http(&srv, "PATCH", "/api/v1/clips/7", "{\"scene\":\"14B\",\"take\":\"3\",\"circled\":true,"
	    "\"look\":{\"slope\":[1,1,0.9],\"offset\":[-0.03,-0.02,0],\"power\":[1.25,1,1],\"sat\":1.7}}",
	    (const char *[]){ "Content-Type: application/json", NULL }, &r);
	cr_expect_eq(r.status, 200, "%s", r.body);
	cr_expect_str_eq(field(r.body, "scene"), "14B");
	cr_expect_str_eq(field(r.body, "circled"), "true");
	cr_expect(strstr(r.body, "clip.updated"), "the event is in the detail: %s", r.body);
	harness_resp_release(&r);
	harness_sql(conninfo, "SELECT data->'changes'->'scene'->>'from' || '>' || (data->'changes'->"
	    "'scene'->>'to') FROM events WHERE kind = 'clip.updated'", out, sizeof(out));
	cr_expect_str_eq(out, "2>14B");
	static const char *const bad[] = { "{}", "{\"take\":3}", "{\"circled\":\"yes\"}",
		"{\"scene\":\"x\",\"colour\":1}", "{\"look\":{\"slope\":[1,1]}}",
		"{\"look\":{\"slope\":[-1,1,1]}}", "{\"look\":{\"power\":[0,1,1]}}",
		"{\"look\":{\"sat\":-1}}", "{\"notes\":null}" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		harness_http(&srv, "PATCH", "/api/v1/clips/7", bad[i],
		    (const char *[]){ "Content-Type: application/json", NULL }, &r);
		cr_expect_eq(r.status, 400, "%s: %s", bad[i], r.body);
		harness_resp_release(&r);
	}
	harness_sql(conninfo, "SELECT scene || take || circled FROM clips WHERE id = 7", out, sizeof(out));
	cr_expect_str_eq(out, "14B3true", "bad patches changed nothing");
	harness_http(&srv, "PATCH", "/api/v1/clips/999", "{\"circled\":true}",
	    (const char *[]){ "Content-Type: application/json", NULL }, &r);
	cr_expect_eq(r.status, 404);
	harness_resp_release(&r);
	snprintf(editor, sizeof(editor), "Authorization: Bearer %s", harness_token(conninfo, "editor"));
	harness_http(&srv, "PATCH", "/api/v1/clips/7", "{\"circled\":false}",
	    (const char *[]){ editor, "Content-Type: application/json", NULL }, &r);
	cr_expect_eq(r.status, 403);
	harness_resp_release(&r);
}
