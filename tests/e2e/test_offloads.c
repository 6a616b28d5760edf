/* Registering offloads over HTTP: a card, its clips, files, hashes and copies; idempotence;
 * conflicts and mismatches that change nothing; safe-to-format with distinct volumes. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct harness_proc srv;
static const char *conninfo;

static void
start(void)
{
	conninfo = harness_db_create();
	cr_assert_not_null(conninfo);
	cr_assert_eq(harness_serve(&srv, conninfo, NULL), 0, "log %s", srv.log);
	harness_bearer = harness_token(conninfo, "admin");
}

static void
stop(void)
{
	cr_expect_eq(harness_stop(&srv), 0, "log %s", srv.log);
}

TestSuite(offloads, .init = start, .fini = stop, .timeout = 120);

#define FILES \
	"\"files\":[{\"path\":\"A001R1AB/A001C001.mov\",\"size\":5,\"clip\":\"A001C001\",\"hashes\":{\"xxh64\":\"0ea03b369a463d9d\"}}," \
	"{\"path\":\"A001R1AB/A001C002.mov\",\"size\":4,\"clip\":\"A001C002\",\"hashes\":{\"xxh64\":\"7680e5f98f4a80fd\"}}," \
	"{\"path\":\"A001R1AB.ale\",\"size\":4,\"role\":\"index\",\"hashes\":{\"xxh64\":\"7680e5f98f4a80fe\",\"md5\":\"00112233445566778899aabbccddeeff\"}}]"

#define COPY(key, name, v1, v2, v3) \
	"{\"volume\":{\"key\":\"" key "\",\"name\":\"" name "\"},\"path\":\"Day01\",\"files\":[" \
	"{\"path\":\"A001R1AB/A001C001.mov\",\"state\":\"verified\",\"hashes\":{\"xxh64\":\"" v1 "\"}}," \
	"{\"path\":\"A001R1AB/A001C002.mov\",\"state\":\"verified\",\"hashes\":{\"xxh64\":\"" v2 "\"}}," \
	"{\"path\":\"A001R1AB.ale\",\"state\":\"verified\",\"hashes\":{\"xxh64\":\"" v3 "\"}}]}"

#define CARD "\"production\":\"Feature\",\"day\":\"2026-11-25\",\"card\":{\"label\":\"A001R1AB\",\"camera\":\"A\"}," \
	"\"clips\":[{\"name\":\"A001C001\",\"scene\":\"14B\",\"take\":\"3\",\"circled\":true}],"

static long
post(const char *body, char *out, size_t len)
{
	struct harness_resp r;
	long s;

	harness_http(&srv, "POST", "/api/v1/offloads", body,
	    (const char *[]){ "Content-Type: application/json", NULL }, &r);
	s = r.status;
	if (out)
		snprintf(out, len, "%s", r.body);
	harness_resp_release(&r);
	return s;
}

static const char *
count(const char *sql)
{
	static char out[128];

	harness_sql(conninfo, sql, out, sizeof(out));
	return out;
}

Test(offloads, two_volumes_secure_a_card_once)
{
	char out[4096];
	const char *one = "{" CARD FILES ",\"copies\":[" COPY("uuid:raid", "RAID", "0ea03b369a463d9d",
	    "7680e5f98f4a80fd", "7680e5f98f4a80fe") "]}";
	const char *same = "{" CARD FILES ",\"copies\":[" COPY("uuid:raid", "RAID-again", "0ea03b369a463d9d",
	    "7680e5f98f4a80fd", "7680e5f98f4a80fe") "]}";
	const char *two = "{" CARD FILES ",\"copies\":[" COPY("uuid:shuttle", "Shuttle", "0ea03b369a463d9d",
	    "7680e5f98f4a80fd", "7680e5f98f4a80fe") "]}";

	cr_assert_eq(post(one, out, sizeof(out)), 201, "%s", out);
	cr_expect(strstr(out, "\"safe_to_format\":false"), "%s", out);
	cr_expect(strstr(out, "1 of 2 verified copies"), "%s", out);
	/* The same disk under another name is still one volume: not two copies. */
	cr_assert_eq(post(same, out, sizeof(out)), 201, "%s", out);
	cr_expect(strstr(out, "\"safe_to_format\":false"), "%s", out);
	cr_assert_eq(post(two, out, sizeof(out)), 201, "%s", out);
	cr_expect(strstr(out, "\"safe_to_format\":true"), "%s", out);
	cr_expect(strstr(out, "\"why_not\":[]"), "%s", out);
	cr_expect_str_eq(count("SELECT string_agg(state, ',' ORDER BY name) FROM clips"), "secured,secured");
	cr_expect_str_eq(count("SELECT scene || '/' || take || '/' || circled FROM clips WHERE name = 'A001C001'"),
	    "14B/3/true");
	cr_expect_str_eq(count("SELECT count(*) FROM events WHERE kind = 'clip.secured'"), "2");
	/* Registering again changes nothing. */
	cr_assert_eq(post(two, out, sizeof(out)), 201, "%s", out);
	cr_expect(strstr(out, "\"changed_clips\":0"), "%s", out);
	cr_expect_str_eq(count("SELECT count(*) || '/' || (SELECT count(*) FROM copies) || '/' ||"
	    " (SELECT count(*) FROM hashes) FROM files"), "3/6/4");
}

Test(offloads, mismatches_and_conflicts_change_nothing)
{
	char out[4096], before[128];
	const char *good = "{" CARD FILES "}";
	const char *bad_copy = "{" CARD FILES ",\"copies\":[" COPY("uuid:raid", "RAID", "0ea03b369a463d9d",
	    "7680e5f98f4a80fd", "deadbeefdeadbeef") "]}";
	const char *other_file = "{" CARD "\"files\":[{\"path\":\"A001R1AB/A001C001.mov\",\"size\":5,"
	    "\"hashes\":{\"xxh64\":\"1111111111111111\"}}]}";

	cr_assert_eq(post(good, out, sizeof(out)), 201, "%s", out);
	snprintf(before, sizeof(before), "%s", count("SELECT (SELECT count(*) FROM copies) || '/' ||"
	    " (SELECT count(*) FROM volumes) || '/' || (SELECT count(*) FROM events)"));
	cr_expect_eq(post(bad_copy, out, sizeof(out)), 422, "%s", out);
	cr_expect(strstr(out, "A001R1AB.ale on RAID: xxh64 deadbeefdeadbeef does not match"), "%s", out);
	cr_expect_eq(post(other_file, out, sizeof(out)), 409, "%s", out);
	cr_expect(strstr(out, "differs from the registered"), "%s", out);
	cr_expect_str_eq(count("SELECT (SELECT count(*) FROM copies) || '/' || (SELECT count(*) FROM"
	    " volumes) || '/' || (SELECT count(*) FROM events)"), before, "nothing half-applied");
}

Test(offloads, bad_input_names_the_field)
{
	static const struct { const char *body, *needle; } cases[] = {
		{ "{}", "card: required" },
		{ "{\"card\":{\"label\":\"A001\"}}", "files: expected a non-empty array" },
		{ "{\"card\":{\"label\":\"\"},\"files\":[]}", "card.label" },
		{ "{\"card\":{\"label\":\"A\"},\"files\":[{\"path\":\"../etc/passwd\",\"size\":1,\"hashes\":{\"xxh64\":\"0011223344556677\"}}]}", "files[0].path" },
		{ "{\"card\":{\"label\":\"A\"},\"files\":[{\"path\":\"a\",\"size\":-1,\"hashes\":{\"xxh64\":\"0011223344556677\"}}]}", "files[0].size" },
		{ "{\"card\":{\"label\":\"A\"},\"files\":[{\"path\":\"a\",\"size\":1,\"hashes\":{\"crc32\":\"00112233\"}}]}", "files[0].hashes.crc32: unknown field" },
		{ "{\"card\":{\"label\":\"A\"},\"files\":[{\"path\":\"a\",\"size\":1,\"hashes\":{\"xxh64\":\"XYZ\"}}]}", "files[0].hashes.xxh64" },
		{ "{\"card\":{\"label\":\"A\"},\"day\":\"25/11/2026\",\"files\":[{\"path\":\"a\",\"size\":1,\"hashes\":{\"xxh64\":\"0011223344556677\"}}]}", "day: expected a date" },
		{ "{\"card\":{\"label\":\"A\",\"kind\":\"tape\"},\"files\":[{\"path\":\"a\",\"size\":1,\"hashes\":{\"xxh64\":\"0011223344556677\"}}]}", "card.kind" },
		{ "{\"card\":{\"label\":\"A\"},\"files\":[{\"path\":\"a\",\"size\":1,\"hashes\":{\"xxh64\":\"0011223344556677\"}}],\"copies\":[{\"volume\":{\"key\":\"k\",\"name\":\"V\"},\"files\":[{\"path\":\"b\",\"state\":\"verified\",\"hashes\":{\"xxh64\":\"0011223344556677\"}}]}]}", "not a file of the card" },
		{ "{\"card\":{\"label\":\"A\"},\"files\":[{\"path\":\"a\",\"size\":1,\"hashes\":{\"xxh64\":\"0011223344556677\"}}],\"bogus\":1}", "bogus: unknown field" },
	};
	char out[4096];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long s = post(cases[i].body, out, sizeof(out));
		cr_expect_eq(s, 400, "case %zu: %ld %s", i, s, out);
		cr_expect(strstr(out, cases[i].needle), "case %zu wants '%s': %s", i, cases[i].needle, out);
	}
	cr_expect_str_eq(count("SELECT count(*) FROM files"), "0");
	cr_expect_str_eq(count("SELECT count(*) FROM cards"), "0");
}

Test(offloads, cards_say_why_not_and_who_may_register)
{
	struct harness_resp r;
	char editor[128];

	cr_assert_eq(post("{" CARD FILES "}", NULL, 0), 201);
	harness_http(&srv, "GET", "/api/v1/cards", NULL, NULL, &r);
	cr_expect(strstr(r.body, "\"label\":\"A001R1AB\"") && strstr(r.body, "\"files\":3"), "%s", r.body);
	harness_resp_release(&r);
	harness_http(&srv, "GET", "/api/v1/cards/1", NULL, NULL, &r);
	cr_expect(strstr(r.body, "\"safe_to_format\":false"), "%s", r.body);
	cr_expect(strstr(r.body, "A001R1AB.ale: 0 of 2 verified copies"), "%s", r.body);
	harness_resp_release(&r);
	harness_http(&srv, "GET", "/api/v1/cards/77", NULL, NULL, &r);
	cr_expect_eq(r.status, 404);
	harness_resp_release(&r);
	snprintf(editor, sizeof(editor), "Authorization: Bearer %s", harness_token(conninfo, "editor"));
	harness_http(&srv, "POST", "/api/v1/offloads", "{}", (const char *[]){ editor,
	    "Content-Type: application/json", NULL }, &r);
	cr_expect_eq(r.status, 403);
	harness_resp_release(&r);
}
