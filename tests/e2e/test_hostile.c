/* The server under hostile input (issue 14): every request gets exactly one JSON answer, soon;
 * escapes that do not decode to clean UTF-8 text are 400 (and never cut a path parameter short);
 * every oversized body is 413; a log line cannot be forged with a newline. */
#include "harness.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct harness_proc srv;
static const char *conninfo;
static char admin[128];

#define OFFLOAD "{\"production\":\"Feature\",\"card\":{\"label\":\"A001\"},\"files\":[{\"path\":\"a.mov\"," \
	"\"size\":5,\"clip\":\"A001C001\",\"hashes\":{\"xxh64\":\"0ea03b369a463d9d\"}}],\"copies\":[{\"volume\":" \
	"{\"key\":\"uuid:r\",\"name\":\"RAID\",\"host\":\"cart\",\"mount_path\":\"/mnt/raid\"},\"files\":[{\"path\":" \
	"\"a.mov\",\"state\":\"verified\",\"hashes\":{\"xxh64\":\"0ea03b369a463d9d\"}}]}]}"

static const char *json_ct[] = { "Content-Type: application/json", NULL };

static void
start(void)
{
	struct harness_resp r;

	conninfo = harness_db_create();
	cr_assert_not_null(conninfo);
	cr_assert_eq(harness_serve(&srv, conninfo, NULL), 0, "log %s", srv.log);
	/* harness_token's buffer is reused by the next call: keep a copy. */
	snprintf(admin, sizeof(admin), "%s", harness_token(conninfo, "admin"));
	cr_assert(strncmp(admin, "spt_", 4) == 0, "admin token: %s", admin);
	harness_bearer = admin;
	/* Registrations name copies under declared volumes only (issue 21's confinement). */
	cr_assert_eq(harness_declare_volume(&srv, "/mnt/raid"), 201);
	harness_http(&srv, "POST", "/api/v1/offloads", OFFLOAD, json_ct, &r);
	cr_assert_eq(r.status, 201, "%s", r.body);
	harness_resp_release(&r);
	/* An answer comes at once or not at all: the bug was a request left hanging for ~60 s. */
	harness_timeout_ms = 10000;
}

static void
stop(void)
{
	harness_timeout_ms = 0;
	cr_expect_eq(harness_stop(&srv), 0, "log %s", srv.log);
}

TestSuite(hostile, .init = start, .fini = stop, .timeout = 120);

/* One JSON error answer with the status wanted, within the time limit. */
static void
expect_answer(int rc, struct harness_resp *r, long status, const char *what)
{
	cr_expect_eq(rc, 0, "%s: an answer, not a hang or a dropped connection", what);
	cr_expect_eq(r->status, status, "%s: status %ld, want %ld: %s", what, r->status, status,
	    r->body ? r->body : "");
	cr_expect(r->body && strncmp(r->body, "{\"error\":{\"code\":\"", 18) == 0,
	    "%s: a JSON error body: %s", what, r->body ? r->body : "");
	cr_expect(strstr(r->headers, "application/json") != NULL, "%s: JSON content type", what);
}

static void
try(const char *method, const char *path, const void *body, size_t len, const char *const *hdr,
    long status)
{
	struct harness_resp r;
	int rc = harness_http_body(&srv, method, path, body, len, hdr, &r);

	expect_answer(rc, &r, status, path);
	harness_resp_release(&r);
}

Test(hostile, escapes_that_are_not_clean_text_are_400)
{
	static const char *const paths[] = {
		"/api/v1/clips/%ff", "/api/v1/cards/%c0%ae", "/api/v1/uploads/%ff/receipt",
		"/%c0%ae%c0%ae/etc/passwd", "/api/v1/jobs/1%zz", "/api/v1/clips/1%", "/api/v1/clips?q=a%0ab",
		"/api/v1/clips?sort=%ff", "/api/v1/clips/\xff", "/api/v1/scene-looks/%ed%a0%80",
		"/api/v1/clips/%f4%90%80%80", NULL,
	};

	for (int i = 0; paths[i]; i++)
		try("GET", paths[i], NULL, 0, NULL, 400);
	try("POST", "/api/v1/luts?name=%ff%fe", "LUT_3D_SIZE 2\n", 14, NULL, 400);
}

Test(hostile, nul_never_cuts_a_path_parameter)
{
	char out[64], id[24];

	/* The test's own admin token: "DELETE /tokens/1%00" revoked token 1. */
	snprintf(id, sizeof(id), "%s", harness_sqlf(conninfo, "SELECT max(id) FROM tokens"));
	snprintf(out, sizeof(out), "/api/v1/tokens/%s%%00", id);
	try("DELETE", out, NULL, 0, NULL, 400);
	snprintf(out, sizeof(out), "/api/v1/tokens/%s%%00x", id);
	try("DELETE", out, NULL, 0, NULL, 400);
	cr_expect_str_eq(harness_sqlf(conninfo, "SELECT count(*) FROM tokens WHERE id = %s "
	    "AND revoked_at IS NULL", id), "1", "token %s still valid", id);
}

Test(hostile, invalid_utf8_in_a_body_is_answered)
{
	static const char ale[] = "Heading\xff\nFIELD_DELIM\tTABS\n\nColumn\nName\n\nData\nA\xff\n";
	static const char cube[] = "TITLE \"\xff\xfe\"\nLUT_3D_SIZE 2\n\xff\n";
	static const char json[] = "{\"name\":\"\xff\"}";

	try("POST", "/api/v1/looks/import?format=ale", ale, sizeof(ale) - 1, NULL, 400);
	try("POST", "/api/v1/luts?name=x", cube, sizeof(cube) - 1, NULL, 400);
	try("POST", "/api/v1/tokens", json, sizeof(json) - 1, json_ct, 400);
	try("PATCH", "/api/v1/clips/1", json, sizeof(json) - 1, json_ct, 400);
}

Test(hostile, every_oversized_body_is_413)
{
	size_t len = 8 * 1024 * 1024 + 10;
	char *big = malloc(len);
	static const char *chunked[] = { "Transfer-Encoding: chunked", NULL };
	static const char *chunked_json[] = { "Transfer-Encoding: chunked",
		"Content-Type: application/json", NULL };

	cr_assert_not_null(big);
	memset(big, ' ', len);
	big[0] = '{';
	/* Decided from Content-Length, before a byte is read. */
	try("POST", "/api/v1/luts?name=x", big, len, NULL, 413);
	try("POST", "/api/v1/looks/import", big, len, json_ct, 413);
	try("POST", "/api/v1/tokens", big, len, json_ct, 413);
	try("PUT", "/api/v1/scene-looks/1", big, len, json_ct, 413);
	/* Without one: while reading. */
	try("POST", "/api/v1/luts?name=x", big, len, chunked, 413);
	try("POST", "/api/v1/looks/import", big, len, chunked, 413);
	try("POST", "/api/v1/tokens", big, len, chunked_json, 413);
	free(big);
}

/* True when a line of the log at path starts with prefix; "forged" matches a line that has
 * "forged" anywhere but at its start, to show the URL was logged at all. */
static bool
log_has_line_starting(const char *path, const char *prefix)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	bool found = false;
	bool anywhere = strcmp(prefix, "forged") == 0;

	while (f && !found && fgets(line, sizeof(line), f))
		found = anywhere ? strstr(line, "forged") != NULL && strncmp(line, "forged", 6) != 0 :
		    strncmp(line, prefix, strlen(prefix)) == 0;
	if (f)
		fclose(f);
	return found;
}

Test(hostile, a_newline_cannot_forge_a_log_line)
{
	struct harness_resp r;
	static const char body[] = "{\"name\":\"x\\n2026-01-01T00:00:00.000Z info forged: admin\","
		"\"password\":\"y\"}";

	harness_http(&srv, "POST", "/api/v1/login", body, (const char *[]){
	    "Content-Type: application/json", "Cookie: a=b", NULL }, &r);
	harness_resp_release(&r);
	harness_http(&srv, "GET", "/api/v1/nope%0d%0a2026-01-01T00:00:00.000Z%20info%20forged", NULL,
	    NULL, &r);
	harness_resp_release(&r);
	cr_expect(log_has_line_starting(srv.log, "forged"), "the URL was logged, escaped: %s",
	    srv.log);
	cr_expect(!log_has_line_starting(srv.log, "2026-01-01T00:00:00.000Z info forged"),
	    "no forged line in %s", srv.log);
}

/* SSRF (issue 14): a post token may not point a webhook, nor an admin a delivery target, at the
 * cart's own network in any spelling; nothing is created. */
Test(hostile, webhooks_and_targets_refuse_local_addresses_in_every_spelling)
{
	static const char *const hosts[] = {
		"127.0.0.1", "127.1", "0x7f000001", "2130706433", "0177.0.0.1", "[::1]",
		"[::ffff:127.0.0.1]", "169.254.169.254", "10.0.0.1", "172.16.0.1", "192.168.0.1",
		"[fe80::1]", "[fc00::1]", "224.0.0.1", "0.0.0.0", "[::]", "localhost", NULL,
	};
	char post[128], body[256], auth[200];
	struct harness_resp r;

	snprintf(post, sizeof(post), "%s", harness_token(conninfo, "post"));
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", post);
	for (int i = 0; hosts[i]; i++) {
		snprintf(body, sizeof(body), "{\"url\":\"http://%s:8080/x\",\"events\":[\"day.wrapped\"]}",
		    hosts[i]);
		harness_http(&srv, "POST", "/api/v1/webhooks", body, (const char *[]){
		    "Content-Type: application/json", auth, NULL }, &r);
		expect_answer(0, &r, 400, hosts[i]);
		cr_expect(strstr(r.body, "--outbound-allow") != NULL, "%s: says why: %s", hosts[i], r.body);
		harness_resp_release(&r);
		snprintf(body, sizeof(body), "{\"production_id\":1,\"name\":\"t%d\",\"url\":\"http://%s/files/\","
		    "\"recipient\":\"age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq\"}",
		    i, hosts[i]);
		harness_http(&srv, "POST", "/api/v1/targets", body, json_ct, &r);
		expect_answer(0, &r, 400, hosts[i]);
		harness_resp_release(&r);
	}
	cr_expect_str_eq(harness_sqlf(conninfo, "SELECT (SELECT count(*) FROM webhooks) + "
	    "(SELECT count(*) FROM targets)"), "0");
}

/* An API call as token (NULL: the admin); returns the status, the body in *out when out. */
static long
call(const char *token, const char *method, const char *path, const char *body, char **out)
{
	char auth[200];
	struct harness_resp r;
	long st;

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token ? token : admin);
	harness_http(&srv, method, path, body, (const char *[]){ "Content-Type: application/json",
	    auth, NULL }, &r);
	st = r.status;
	if (out)
		*out = strdup(r.body ? r.body : "");
	harness_resp_release(&r);
	return st;
}

/* POSTs body to path as token (NULL: the admin); asserts 201 and returns the new id. */
static long long
create(const char *token, const char *path, const char *body)
{
	char *out;
	long st = call(token, "POST", path, body, &out);
	json_t *j = json_loads(out, 0, NULL);
	long long id = json_integer_value(json_object_get(j, "id"));

	cr_assert_eq(st, 201, "%s", out);
	json_decref(j);
	free(out);
	return id;
}

#define HOOK "{\"url\":\"https://93.184.216.34/hook\",\"events\":[\"day.wrapped\"]}"

/* Ownership (issue 14): a post token reaches only the hooks it made, and a token for one
 * production only that production's hooks, targets and deliveries; admins reach all. A
 * refused attempt changes nothing. */
Test(hostile, post_tokens_reach_only_their_own_hooks_and_production)
{
	char p1[128], p2[128], path[128], *out, before[64];
	long long w_admin, w_p1, w_p2, t_other;
	struct harness_resp r;

	static const char other[] = "{\"production\":\"Other\",\"card\":{\"label\":\"B001\"},"
	    "\"files\":[{\"path\":\"b.mov\",\"size\":5,\"clip\":\"B001C001\",\"hashes\":{\"xxh64\":"
	    "\"0ea03b369a463d9d\"}}],\"copies\":[{\"volume\":{\"key\":\"uuid:r\",\"name\":\"RAID\","
	    "\"host\":\"cart\",\"mount_path\":\"/mnt/raid\"},\"files\":[{\"path\":\"b.mov\","
	    "\"state\":\"verified\",\"hashes\":{\"xxh64\":\"0ea03b369a463d9d\"}}]}]}";

	cr_assert_eq(call(NULL, "POST", "/api/v1/offloads", other, &out), 201, "%s", out);
	free(out);
	snprintf(p1, sizeof(p1), "%s", harness_token(conninfo, "post"));
	cr_assert_eq(call(NULL, "POST", "/api/v1/tokens", "{\"name\":\"lab\",\"role\":\"post\","
	    "\"production_id\":1}", &out), 201, "%s", out);
	json_t *j = json_loads(out, 0, NULL);
	snprintf(p2, sizeof(p2), "%s", json_string_value(json_object_get(j, "token")));
	json_decref(j);
	free(out);
	cr_expect_eq(call(NULL, "POST", "/api/v1/tokens", "{\"name\":\"x\",\"role\":\"post\","
	    "\"production_id\":99}", NULL), 400);

	w_admin = create(NULL, "/api/v1/webhooks", HOOK);
	w_p1 = create(p1, "/api/v1/webhooks", HOOK);
	w_p2 = create(p2, "/api/v1/webhooks", HOOK);
	cr_expect_str_eq(harness_sqlf(conninfo, "SELECT coalesce(production_id, 0) FROM webhooks "
	    "WHERE id = %lld", w_p2), "1", "a production's token makes hooks for it");
	cr_expect_eq(call(p2, "POST", "/api/v1/webhooks", "{\"url\":\"https://93.184.216.34/\","
	    "\"events\":[\"day.wrapped\"],\"production_id\":2}", NULL), 403);

	snprintf(before, sizeof(before), "%s", harness_sqlf(conninfo, "SELECT md5(string_agg("
	    "w::text, ',' ORDER BY id)) FROM webhooks w"));
	snprintf(path, sizeof(path), "/api/v1/webhooks/%lld", w_admin);
	cr_expect_eq(call(p1, "GET", path, NULL, NULL), 404);
	cr_expect_eq(call(p1, "PATCH", path, "{\"url\":\"https://93.184.216.35/x\"}", NULL), 404);
	cr_expect_eq(call(p1, "PATCH", path, "{\"enabled\":false}", NULL), 404);
	cr_expect_eq(call(p1, "DELETE", path, NULL, NULL), 404);
	snprintf(path, sizeof(path), "/api/v1/webhooks/%lld/deliveries", w_admin);
	cr_expect_eq(call(p1, "GET", path, NULL, NULL), 404);
	snprintf(path, sizeof(path), "/api/v1/webhooks/%lld/test", w_admin);
	cr_expect_eq(call(p1, "POST", path, NULL, NULL), 404);
	snprintf(path, sizeof(path), "/api/v1/webhooks/%lld", w_p1);
	cr_expect_eq(call(p2, "DELETE", path, NULL, NULL), 404);
	cr_expect_str_eq(harness_sqlf(conninfo, "SELECT md5(string_agg(w::text, ',' ORDER BY id)) "
	    "FROM webhooks w"), before, "refused requests changed nothing");

	cr_expect_eq(call(p1, "GET", path, NULL, NULL), 200);
	cr_expect_eq(call(p1, "GET", "/api/v1/webhooks", NULL, &out), 200);
	j = json_loads(out, 0, NULL);
	free(out);
	cr_expect_eq(json_array_size(json_object_get(j, "items")), 1, "p1 sees its own hook only");
	cr_expect_eq(json_integer_value(json_object_get(json_array_get(json_object_get(j, "items"), 0),
	    "id")), w_p1);
	json_decref(j);
	cr_expect_eq(call(NULL, "GET", "/api/v1/webhooks", NULL, &out), 200);
	j = json_loads(out, 0, NULL);
	free(out);
	cr_expect_eq(json_array_size(json_object_get(j, "items")), 3, "the admin sees all");
	json_decref(j);

	t_other = create(NULL, "/api/v1/targets", "{\"production_id\":2,\"name\":"
	    "\"Lab\",\"url\":\"https://93.184.216.34/files/\",\"recipient\":"
	    "\"age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj\"}");
	cr_expect_gt(t_other, 0);
	cr_expect_eq(call(p2, "GET", "/api/v1/targets", NULL, &out), 200);
	cr_expect(strstr(out, "\"Lab\"") == NULL, "p2 (production 1) sees no target of "
	    "production 2: %s", out);
	free(out);
	cr_expect_eq(call(p1, "GET", "/api/v1/targets", NULL, &out), 200);
	cr_expect(strstr(out, "\"Lab\"") != NULL, "an unscoped post token sees it: %s", out);
	free(out);
	harness_http(&srv, "GET", "/api/v1/tokens", NULL, NULL, &r);
	cr_expect(strstr(r.body, "\"production_id\":1") != NULL, "tokens list their production: %s",
	    r.body);
	harness_resp_release(&r);
}
