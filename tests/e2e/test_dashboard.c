/* What the dashboard reads in one request: a day's cards with their verdicts and per-stage clip
 * counts, the clip list's QC/proxy/delivery columns, and the host's mounts (admin only). */
#include "harness.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

static struct harness_proc srv;
static const char *conninfo;

/* Card A001 with three clips: c1 has two verified copies on two volumes, a done rendition
 * delivered (receipt) and a QC error; c2 one verified copy and a rendition running; c3 none.
 * Card B001 has one clip, secured on both volumes. A second day has a card of its own. */
static void
load(void)
{
	int n = harness_sql(conninfo, "INSERT INTO productions (name) VALUES ('P');"
	    "INSERT INTO days (production_id, shoot_date) VALUES (1, '2026-11-25'), (1, '2026-11-26');"
	    "INSERT INTO cards (day_id, label, camera) VALUES (1, 'A001', 'A'), (1, 'B001', 'B'),"
	    " (2, 'C001', 'C');"
	    "INSERT INTO clips (card_id, name) VALUES (1, 'c1'), (1, 'c2'), (1, 'c3'), (2, 'd1'),"
	    " (3, 'e1');"
	    "INSERT INTO files (card_id, clip_id, rel_path, size) SELECT card_id, id, name || '.mov',"
	    " 1000 FROM clips;"
	    "INSERT INTO volumes (name, fs_uuid) VALUES ('RAID', 'u1'), ('SHUTTLE', 'u2');"
	    "INSERT INTO copies (file_id, volume_id, rel_path, state, verified_at) VALUES"
	    " (1, 1, 'x', 'verified', now()), (1, 2, 'x', 'verified', now()),"
	    " (2, 1, 'x', 'verified', now()), (4, 1, 'x', 'verified', now()),"
	    " (4, 2, 'x', 'verified', now());"
	    "INSERT INTO renditions (clip_id, profile, state, rel_path, xxh64, size) VALUES"
	    " (1, 'h264', 'done', 'c1.mp4', '0123456789abcdef', 400), (2, 'h264', 'running', NULL,"
	    " NULL, NULL);"
	    "INSERT INTO targets (production_id, name, url, recipient) VALUES (1, 'Post',"
	    " 'https://post.example/up/', 'age1qqqq');"
	    "INSERT INTO deliveries (target_id, rendition_id, state, bytes_sent, bytes_total, receipt)"
	    " VALUES (1, 1, 'delivered', 400, 400, '{}');"
	    "INSERT INTO qc_flags (clip_id, kind, severity, start_frame, end_frame, message) VALUES"
	    " (1, 'black', 'warning', 0, 10, 'black'), (1, 'frozen', 'error', 20, 50, 'frozen')",
	    NULL, 0);
	cr_assert_geq(n, 0, "fixture SQL");
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
	harness_bearer = NULL;
	cr_expect_eq(harness_stop(&srv), 0, "log %s", srv.log);
}

TestSuite(dashboard, .init = start, .fini = stop, .timeout = 120);

static json_t *
get(const char *path, long want)
{
	struct harness_resp r;
	json_t *j;

	cr_assert_eq(harness_http(&srv, "GET", path, NULL, NULL, &r), 0);
	cr_assert_eq(r.status, want, "%s: %ld %s", path, r.status, r.body);
	j = json_loads(r.body, 0, NULL);
	harness_resp_release(&r);
	cr_assert_not_null(j);
	return j;
}

static long long
num(json_t *o, const char *path)
{
	char buf[128], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save))
		o = json_object_get(o, k);
	cr_assert(json_is_integer(o), "%s is not a number", path);
	return json_integer_value(o);
}

Test(dashboard, day_cards_counts_each_stage_and_gives_the_verdict)
{
	json_t *j = get("/api/v1/days/1/cards", 200);
	json_t *cards = json_object_get(j, "cards");
	json_t *a = json_array_get(cards, 0), *b = json_array_get(cards, 1);

	cr_assert_eq(json_array_size(cards), 2, "only the day's cards");
	cr_assert_str_eq(json_string_value(json_object_get(a, "label")), "A001");
	cr_expect_eq(num(a, "clips"), 3);
	cr_expect_eq(num(a, "bytes"), 3000);
	cr_expect_eq(num(a, "stages.copied"), 2);
	cr_expect_eq(num(a, "stages.verified"), 1);
	cr_expect_eq(num(a, "stages.proxied"), 1);
	cr_expect_eq(num(a, "stages.uploaded"), 1);
	cr_expect_eq(num(a, "stages.delivered"), 1);
	cr_expect(json_is_false(json_object_get(a, "safe_to_format")));
	cr_expect_eq(json_array_size(json_object_get(a, "why_not")), 2, "c2 and c3 short of copies");
	cr_expect(json_is_true(json_object_get(b, "safe_to_format")), "B001 has two copies");
	cr_expect_eq(num(b, "stages.verified"), 1);
	cr_expect_eq(num(j, "day.required_copies"), 2);
	json_decref(j);

	json_decref(get("/api/v1/days/99/cards", 404));
	json_decref(get("/api/v1/days/x/cards", 400));
}

/* The set-based verdicts (migration 0066) and the one-card functions agree, card by card, on a
 * card short of copies, one safe, one with no copies at all, and one that does not exist. */
Test(dashboard, the_day_verdicts_agree_with_the_one_card_functions)
{
	char out[64];

	cr_assert_geq(harness_sql(conninfo, "SELECT count(*) FROM generate_series(1, 4) k,"
	    " setpost_card_verdict(k) o, setpost_card_clear_verdict(k) w,"
	    " setpost_cards_verdicts(ARRAY[k]) n WHERE (o.safe, o.why_not, w.safe, w.why_not)"
	    " IS DISTINCT FROM (n.safe, n.why_not, n.clear, n.why_not_clear)", out, sizeof(out)), 0);
	cr_expect_str_eq(out, "0");
	cr_assert_geq(harness_sql(conninfo, "SELECT count(*) FROM setpost_cards_verdicts('{1,2,3}') n"
	    " JOIN setpost_card_verdict(n.card) o ON true WHERE (o.safe, o.why_not)"
	    " IS DISTINCT FROM (n.safe, n.why_not)", out, sizeof(out)), 0);
	cr_expect_str_eq(out, "0");
	cr_assert_geq(harness_sql(conninfo, "SELECT string_agg(safe::text, ',' ORDER BY card)"
	    " FROM setpost_cards_verdicts('{1,2,3,4}')", out, sizeof(out)), 0);
	cr_expect_str_eq(out, "false,true,false,false", "A001 short, B001 safe, C001 none, no card 4");
}

Test(dashboard, clip_list_carries_qc_proxy_and_delivery)
{
	json_t *j = get("/api/v1/clips?card_id=1&sort=name", 200);
	json_t *c1 = json_array_get(json_object_get(j, "items"), 0);
	json_t *c2 = json_array_get(json_object_get(j, "items"), 1);
	json_t *c3 = json_array_get(json_object_get(j, "items"), 2);

	cr_expect_eq(num(c1, "qc_flags"), 2);
	cr_expect_str_eq(json_string_value(json_object_get(c1, "qc_worst")), "error");
	cr_expect_str_eq(json_string_value(json_object_get(c1, "proxy")), "done");
	cr_expect_eq(num(c1, "delivery_sent"), 400);
	cr_expect_eq(num(c1, "delivery_total"), 400);
	cr_expect_str_eq(json_string_value(json_object_get(c2, "proxy")), "running");
	cr_expect(json_is_null(json_object_get(c3, "proxy")));
	cr_expect(json_is_null(json_object_get(c3, "qc_worst")));
	cr_expect_eq(num(c3, "delivery_total"), 0);
	json_decref(j);
}

Test(dashboard, mounts_are_listed_for_the_dit_only)
{
	json_t *j = get("/api/v1/mounts", 200), *m;
	size_t i;
	bool root = false;

	json_array_foreach(json_object_get(j, "items"), i, m) {
		const char *p = json_string_value(json_object_get(m, "path"));
		cr_expect(strncmp(p, "/proc", 5) != 0 && strncmp(p, "/sys", 4) != 0, "%s", p);
		root |= strcmp(p, "/") == 0;
	}
	cr_expect(root, "the root file system is a candidate");
	json_decref(j);

	harness_bearer = harness_token(conninfo, "editor");
	json_decref(get("/api/v1/mounts", 403));
	json_decref(get("/api/v1/days/1/cards", 200));
	harness_bearer = harness_token(conninfo, "admin");
}

struct card_field {
	const char *label, *field;
};

/* The card's boolean field as the day's cards give it now. */
static bool
card_true(void *arg)
{
	const struct card_field *w = arg;
	json_t *j = get("/api/v1/days/1/cards", 200), *k;
	bool yes = false;
	size_t i;

	json_array_foreach(json_object_get(j, "cards"), i, k)
		if (strcmp(json_string_value(json_object_get(k, "label")), w->label) == 0)
			yes = json_is_true(json_object_get(k, w->field));
	json_decref(j);
	return yes;
}

/* The day's cards are kept in the page cache (ETag, 304), and what another process writes in
 * SQL still reaches them: the copies that make a card safe to format, and a copy policy that
 * makes its working drives safe to clear (copy_policies notifies since migration 0066). */
Test(dashboard, day_cards_are_cached_and_follow_writes_elsewhere)
{
	struct card_field a = { "A001", "safe_to_format" }, b = { "B001", "safe_to_clear" };
	struct harness_resp r;
	char etag[128], inm[160];
	const char *h[] = { inm, NULL };

	cr_assert_eq(harness_http(&srv, "GET", "/api/v1/days/1/cards", NULL, NULL, &r), 0);
	cr_assert(harness_header(&r, "ETag", etag, sizeof(etag)), "no ETag: %s", r.headers);
	harness_resp_release(&r);
	snprintf(inm, sizeof(inm), "If-None-Match: %s", etag);
	cr_assert_eq(harness_http(&srv, "GET", "/api/v1/days/1/cards", NULL, h, &r), 0);
	cr_expect_eq(r.status, 304);
	harness_resp_release(&r);

	cr_assert(!card_true(&a) && !card_true(&b));
	cr_assert_geq(harness_sql(conninfo, "INSERT INTO copies (file_id, volume_id, rel_path, state,"
	    " verified_at) VALUES (2, 2, 'x', 'verified', now()), (3, 1, 'x', 'verified', now()),"
	    " (3, 2, 'x', 'verified', now())", NULL, 0), 0);
	cr_assert(harness_wait_until(card_true, &a, 1.0), "A001 stayed unsafe after its copies");
	cr_assert_eq(harness_http(&srv, "GET", "/api/v1/days/1/cards", NULL, h, &r), 0);
	cr_expect_eq(r.status, 200, "the old ETag still matched");
	harness_resp_release(&r);

	cr_assert(!card_true(&b), "B001's drives are not safe to clear under the 3-2-1 policy");
	cr_assert_geq(harness_sql(conninfo, "INSERT INTO copy_policies (production_id, copies,"
	    " media_types, archive, offsite, updated_by) VALUES (1, 2, 1, 'none', false, 'psql')",
	    NULL, 0), 0);
	cr_assert(harness_wait_until(card_true, &b, 1.0), "the policy written in SQL was not seen");
}
