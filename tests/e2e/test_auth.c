/* Roles, tokens, users, sessions and CSRF over real HTTP: the route table walked for every
 * role, login with its slowdown, revocation that bites at once, bad input, and HTTPS. */
#include "harness.h"
#include "lib/store/auth.h"
#include "server/http.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct harness_proc srv;
static const char *conninfo;
static char tok_admin[128], tok_editor[128], tok_post[128];

static void
start(void)
{
	conninfo = harness_db_create();
	cr_assert_not_null(conninfo);
	cr_assert_eq(harness_serve(&srv, conninfo, NULL), 0, "log %s", srv.log);
	snprintf(tok_admin, sizeof(tok_admin), "%s", harness_token(conninfo, "admin"));
	snprintf(tok_editor, sizeof(tok_editor), "%s", harness_token(conninfo, "editor"));
	snprintf(tok_post, sizeof(tok_post), "%s", harness_token(conninfo, "post"));
	cr_assert(strncmp(tok_admin, "spt_", 4) == 0, "%s", tok_admin);
	harness_bearer = NULL;
}

static void
stop(void)
{
	cr_expect_eq(harness_stop(&srv), 0, "log %s", srv.log);
}

TestSuite(auth, .init = start, .fini = stop, .timeout = 180);

static long
call(const char *method, const char *path, const char *body, const char *token)
{
	char authz[200];
	const char *h[3] = { "Content-Type: application/json", NULL, NULL };
	struct harness_resp r;
	long s;

	if (token) {
		snprintf(authz, sizeof(authz), "Authorization: Bearer %s", token);
		h[1] = authz;
	}
	harness_http(&srv, method, path, body, h, &r);
	s = r.status;
	harness_resp_release(&r);
	return s;
}

/* Every route: 401 without credentials (unless public), 403 for a role it does not allow,
 * and neither for a role it allows. */
Test(auth, route_table_walk)
{
	const char *tokens[3] = { tok_admin, tok_editor, tok_post };
	const int roles[3] = { ROLE_ADMIN, ROLE_EDITOR, ROLE_POST };

	for (int i = 0; i < server_nroutes; i++) {
		const struct route *rt = &server_routes[i];
		char path[256], *brace;
		const char *body = strcmp(rt->method, "GET") ? "{}" : NULL;

		snprintf(path, sizeof(path), "%s", rt->pattern);
		while ((brace = strchr(path, '{')) != NULL) {
			char *close = strchr(brace, '}');
			memmove(brace + 6, close + 1, strlen(close + 1) + 1);
			memcpy(brace, "999999", 6);
		}
		if (strcmp(rt->pattern, "/api/v1/logout") == 0)
			continue; /* walked below, as it ends the caller's session */
		/* The event stream never ends by itself: its status is all that is wanted. */
		harness_timeout_ms = strcmp(rt->pattern, "/api/v1/events/stream") == 0 ? 1000 : 0;
		long none = call(rt->method, path, body, NULL);
		if (rt->roles == ROUTE_PUBLIC)
			cr_expect(none != 401 && none != 403, "%s %s public, got %ld", rt->method, path, none);
		else
			cr_expect_eq(none, 401, "%s %s without credentials: %ld", rt->method, path, none);
		cr_expect_eq(call(rt->method, path, body, "spt_forged"), rt->roles == ROUTE_PUBLIC ?
		    none : 401, "%s %s forged token", rt->method, path);
		for (int k = 0; k < 3 && rt->roles != ROUTE_PUBLIC; k++) {
			long s = call(rt->method, path, body, tokens[k]);
			if (rt->roles & roles[k])
				cr_expect(s != 401 && s != 403, "%s %s as %s: %ld", rt->method, path,
				    auth_role_name(roles[k]), s);
			else
				cr_expect_eq(s, 403, "%s %s as %s: %ld", rt->method, path,
				    auth_role_name(roles[k]), s);
		}
	}
	cr_expect_eq(call("POST", "/api/v1/logout", "{}", NULL), 401);
	/* A token cannot log out: it is revoked instead (it is not a session). */
	cr_expect_eq(call("POST", "/api/v1/logout", "{}", tok_editor), 400);
}

static void
json_field(const char *body, const char *field, char *out, size_t len)
{
	char key[64];
	const char *at;

	snprintf(key, sizeof(key), "\"%s\":\"", field);
	at = strstr(body, key);
	cr_assert_not_null(at, "%s in %s", field, body);
	at += strlen(key);
	snprintf(out, len, "%.*s", (int)strcspn(at, "\""), at);
}

Test(auth, tokens_api_create_list_revoke)
{
	struct harness_resp r;
	char tok[128], id[32], path[64];

	harness_bearer = tok_admin;
	harness_http(&srv, "POST", "/api/v1/tokens", "{\"name\":\"Avid bay 2\",\"role\":\"editor\"}",
	    (const char *[]){ "Content-Type: application/json", NULL }, &r);
	cr_assert_eq(r.status, 201, "%s", r.body);
	json_field(r.body, "token", tok, sizeof(tok));
	snprintf(id, sizeof(id), "%lld", strtoll(strstr(r.body, "\"id\":") + 5, NULL, 10));
	harness_resp_release(&r);
	cr_expect_eq(call("GET", "/api/v1/jobs", NULL, tok), 200, "the new token works");
	harness_http(&srv, "GET", "/api/v1/tokens", NULL, NULL, &r);
	cr_expect(strstr(r.body, "Avid bay 2") != NULL);
	cr_expect(strstr(r.body, tok) == NULL, "lists never carry secrets");
	cr_expect(strstr(r.body, "spt_") == NULL, "lists never carry secrets");
	harness_resp_release(&r);
	snprintf(path, sizeof(path), "/api/v1/tokens/%s", id);
	harness_http(&srv, "DELETE", path, NULL, NULL, &r);
	cr_expect_eq(r.status, 204, "%s", r.body);
	harness_resp_release(&r);
	cr_expect_eq(call("GET", "/api/v1/jobs", NULL, tok), 401, "revoked at once");
	cr_expect_eq(call("DELETE", path, NULL, tok_admin), 404, "already revoked");
	char out[64];
	harness_sql(conninfo, "SELECT count(*) FROM events WHERE kind IN ('token.created',"
	    " 'token.revoked') AND actor LIKE 'token:%'", out, sizeof(out));
	cr_expect_str_eq(out, "2", "writes are recorded as events with their actor");
	harness_bearer = NULL;
}

static long
login(const char *name, const char *password, char *cookie, size_t clen, char *csrf,
    size_t csrflen, char *retry, size_t rlen)
{
	char body[256], sc[512];
	struct harness_resp r;
	long s;

	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"password\":\"%s\"}", name, password);
	harness_http(&srv, "POST", "/api/v1/login", body,
	    (const char *[]){ "Content-Type: application/json", NULL }, &r);
	s = r.status;
	if (s == 200) {
		cr_assert(harness_header(&r, "Set-Cookie", sc, sizeof(sc)));
		cr_expect(strstr(sc, "HttpOnly") && strstr(sc, "SameSite=Strict"), "%s", sc);
		snprintf(cookie, clen, "Cookie: %.*s", (int)strcspn(sc, ";"), sc);
		json_field(r.body, "csrf_token", csrf, csrflen);
	}
	if (retry && !harness_header(&r, "Retry-After", retry, rlen))
		retry[0] = '\0';
	harness_resp_release(&r);
	return s;
}

Test(auth, login_session_csrf_logout)
{
	struct db *db;
	struct err err;
	char cookie[256], csrf[128], csrfh[160];
	struct harness_resp r;

	cr_assert_eq(db_open(&db, conninfo, 1, &err), 0);
	cr_assert_eq(auth_user_add(db, "dit", ROLE_ADMIN, "correct horse", NULL, &err), 0, "%s", err.msg);
	cr_expect_eq(auth_user_add(db, "dit", ROLE_ADMIN, "correct horse", NULL, &err), SP_ECONFLICT);
	cr_expect_eq(auth_user_add(db, "x", ROLE_ADMIN, "short", NULL, &err), SP_EINVAL);
	db_close(db);
	cr_expect_eq(login("dit", "wrong horse", cookie, sizeof(cookie), csrf, sizeof(csrf), NULL, 0), 401);
	cr_expect_eq(login("nobody", "correct horse", cookie, sizeof(cookie), csrf, sizeof(csrf), NULL, 0), 401);
	cr_assert_eq(login("dit", "correct horse", cookie, sizeof(cookie), csrf, sizeof(csrf), NULL, 0), 200);
	harness_http(&srv, "GET", "/api/v1/session", NULL, (const char *[]){ cookie, NULL }, &r);
	cr_expect_eq(r.status, 200);
	cr_expect(strstr(r.body, "\"role\":\"admin\""), "%s", r.body);
	harness_resp_release(&r);
	/* A write from a session needs the CSRF header. */
	harness_http(&srv, "POST", "/api/v1/tokens", "{\"name\":\"n\",\"role\":\"post\"}",
	    (const char *[]){ cookie, "Content-Type: application/json", NULL }, &r);
	cr_expect_eq(r.status, 403, "%s", r.body);
	cr_expect(strstr(r.body, "\"code\":\"csrf\""), "%s", r.body);
	harness_resp_release(&r);
	snprintf(csrfh, sizeof(csrfh), "X-CSRF-Token: %s", csrf);
	harness_http(&srv, "POST", "/api/v1/tokens", "{\"name\":\"n\",\"role\":\"post\"}",
	    (const char *[]){ cookie, csrfh, "Content-Type: application/json", NULL }, &r);
	cr_expect_eq(r.status, 201, "%s", r.body);
	harness_resp_release(&r);
	harness_http(&srv, "POST", "/api/v1/logout", "{}",
	    (const char *[]){ cookie, csrfh, "Content-Type: application/json", NULL }, &r);
	cr_expect_eq(r.status, 200, "%s", r.body);
	harness_resp_release(&r);
	harness_http(&srv, "GET", "/api/v1/session", NULL, (const char *[]){ cookie, NULL }, &r);
	cr_expect_eq(r.status, 401, "the session ended");
	harness_resp_release(&r);
	harness_http(&srv, "GET", "/api/v1/session", NULL,
	    (const char *[]){ "Cookie: sp_session=sps_forged", NULL }, &r);
	cr_expect_eq(r.status, 401);
	harness_resp_release(&r);
}

Test(auth, repeated_failed_logins_slow_down)
{
	struct db *db;
	struct err err;
	char cookie[256], csrf[128], retry[16];
	long s = 0;

	cr_assert_eq(db_open(&db, conninfo, 1, &err), 0);
	cr_assert_eq(auth_user_add(db, "loader", ROLE_EDITOR, "right password", NULL, &err), 0);
	db_close(db);
	for (int i = 0; i < 3; i++)
		cr_expect_eq(login("loader", "guess", cookie, sizeof(cookie), csrf, sizeof(csrf), NULL, 0), 401);
	s = login("loader", "guess", cookie, sizeof(cookie), csrf, sizeof(csrf), retry, sizeof(retry));
	cr_expect(s == 401 || s == 429, "%ld", s);
	s = login("loader", "right password", cookie, sizeof(cookie), csrf, sizeof(csrf), retry, sizeof(retry));
	cr_expect_eq(s, 429, "even the right password waits after repeated failures");
	cr_expect(atoi(retry) >= 1, "Retry-After %s", retry);
	sleep((unsigned)atoi(retry) + 1);
	cr_expect_eq(login("loader", "right password", cookie, sizeof(cookie), csrf, sizeof(csrf), NULL, 0), 200);
}

/* However long an attack on an account has gone on (5000 failures from clients it does not
 * know), a new browser waits at most the account cap, then the right password gets in; the
 * refusal itself counted no failure. (The failures are written by hand: reaching them over
 * HTTP would take hours of the server's own slowdown; tests/journey/login_throttle.sh does the
 * attack over HTTP.) */
Test(auth, the_account_delay_is_capped_and_never_a_lockout)
{
	struct db *db;
	struct err err;
	char cookie[256], csrf[128], retry[16], out[32];
	long s;

	cr_assert_eq(db_open(&db, conninfo, 1, &err), 0);
	cr_assert_eq(auth_user_add(db, "focus", ROLE_EDITOR, "right password", NULL, &err), 0);
	db_close(db);
	harness_sqlf(conninfo, "INSERT INTO login_account_failures (name, failures, last_at)"
	    " VALUES ('focus', 5000, now() - interval '55 seconds')");
	s = login("focus", "right password", cookie, sizeof(cookie), csrf, sizeof(csrf), retry,
	    sizeof(retry));
	cr_expect_eq(s, 429, "the account is being attacked: a new browser waits");
	cr_expect(atoi(retry) >= 1 && atoi(retry) <= 5, "Retry-After %s: the cap is 60 s", retry);
	harness_sql(conninfo, "SELECT failures FROM login_account_failures WHERE name = 'focus'",
	    out, sizeof(out));
	cr_expect_str_eq(out, "5000", "a refused attempt counts no failure");
	sleep((unsigned)atoi(retry) + 1);
	cr_expect_eq(login("focus", "right password", cookie, sizeof(cookie), csrf, sizeof(csrf),
	    NULL, 0), 200, "after the capped wait the right password gets in");
}

Test(auth, bad_input_is_refused_and_changes_nothing)
{
	static const char *const bodies[] = {
		"{", "[]", "null", "{\"name\":\"a\"}", "{\"name\":1,\"role\":\"post\"}",
		"{\"name\":\"a\",\"role\":\"root\"}", "{\"name\":\"a\",\"role\":\"post\",\"extra\":1}",
		"{\"name\":\"a\",\"name\":\"b\",\"role\":\"post\"}", "{\"name\":\"\\ud800\",\"role\":\"post\"}",
		"{\"name\":\"a\xff\",\"role\":\"post\"}",
	};
	char deep[20000], out[64];
	struct harness_resp r;

	harness_bearer = tok_admin;
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		harness_http(&srv, "POST", "/api/v1/tokens", bodies[i],
		    (const char *[]){ "Content-Type: application/json", NULL }, &r);
		cr_expect_eq(r.status, 400, "%s -> %ld %s", bodies[i], r.status, r.body);
		cr_expect(strstr(r.body, "\"code\":\"invalid\""), "%s", r.body);
		harness_resp_release(&r);
	}
	memset(deep, '[', 10000);
	memset(deep + 10000, ']', 9999);
	deep[19999] = '\0';
	harness_http(&srv, "POST", "/api/v1/tokens", deep,
	    (const char *[]){ "Content-Type: application/json", NULL }, &r);
	cr_expect_eq(r.status, 400);
	harness_resp_release(&r);
	harness_http(&srv, "POST", "/api/v1/tokens",
	    "{\"name\":\"x'); DROP TABLE tokens; --\",\"role\":\"post\"}",
	    (const char *[]){ "Content-Type: application/json", NULL }, &r);
	cr_expect_eq(r.status, 201, "%s", r.body);
	harness_resp_release(&r);
	harness_sql(conninfo, "SELECT count(*) FROM tokens WHERE name LIKE 'x''); DROP%'", out, sizeof(out));
	cr_expect_str_eq(out, "1", "stored as text, not run");
	harness_sql(conninfo, "SELECT count(*) FROM tokens", out, sizeof(out));
	cr_expect_str_eq(out, "4", "only the one valid request created a token");
	harness_http(&srv, "GET", "/api/v1/jobs", NULL, (const char *[]){ "Authorization: Basic YTpi", NULL }, &r);
	cr_expect_eq(r.status, 401);
	harness_resp_release(&r);
	harness_bearer = NULL;
}

Test(auth, https_with_a_generated_certificate)
{
	const char *dir = harness_tmpdir("tls");
	char cert[600], key[600], cmd[1600], cookie[256], csrf[128];
	struct harness_proc tls;
	struct harness_resp r;
	struct db *db;
	struct err err;

	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	snprintf(cmd, sizeof(cmd), "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
	    " -nodes -days 1 -subj /CN=localhost -keyout %s -out %s 2>/dev/null", key, cert);
	cr_assert_eq(system(cmd), 0, "openssl makes a certificate");
	cr_assert_eq(harness_serve_args(&tls, conninfo, NULL, (const char *[]){ "--tls-cert", cert,
	    "--tls-key", key, NULL }), 0, "log %s", tls.log);
	harness_http(&tls, "GET", "/api/v1/health", NULL, NULL, &r);
	cr_expect_eq(r.status, 200);
	harness_resp_release(&r);
	cr_assert_eq(db_open(&db, conninfo, 1, &err), 0);
	auth_user_add(db, "tlsuser", ROLE_EDITOR, "a long password", NULL, &err);
	db_close(db);
	harness_http(&tls, "POST", "/api/v1/login", "{\"name\":\"tlsuser\",\"password\":\"a long password\"}",
	    (const char *[]){ "Content-Type: application/json", NULL }, &r);
	cr_expect_eq(r.status, 200);
	cr_expect(harness_header(&r, "Set-Cookie", cookie, sizeof(cookie)));
	cr_expect(strstr(cookie, "; Secure"), "Secure under TLS: %s", cookie);
	harness_resp_release(&r);
	(void)csrf;
	cr_expect_eq(harness_stop(&tls), 0);
}
