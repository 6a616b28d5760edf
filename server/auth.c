/* auth (server side): who is calling, may they, and the session routes (login, logout, whoami).
 * Programs send `Authorization: Bearer spt_…`; the dashboard sends the sp_session cookie and,
 * on writes, the X-CSRF-Token header it got at login. */
#include "cache.h"
#include "http.h"
#include "lib/core/json.h"
#include "lib/core/log.h"
#include "lib/store/login.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define SESSION_COOKIE "sp_session"
#define SESSION_SECONDS (12 * 3600)   /* a shooting day */
#define DEVICE_COOKIE "sp_device"
#define DEVICE_SECONDS (365 * 24 * 3600)

static enum MHD_Result
auth_401(struct request *req, const char *msg)
{
	json_t *body = json_pack("{s:{s:s,s:s}}", "error", "code", "unauthorized", "message", msg);
	char *text = json_dumps(body, JSON_COMPACT);
	struct MHD_Response *resp;

	json_decref(body);
	resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(resp, "Content-Type", "application/json");
	MHD_add_response_header(resp, "WWW-Authenticate", "Bearer realm=\"setpost\"");
	return reply_response(req, 401, resp);
}

static bool
auth_is_write(const char *method)
{
	return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
	    strcmp(method, "OPTIONS") != 0;
}

/* Fills req->who from the Authorization header or the session cookie. */
static int
auth_identify(struct request *req, struct err *err)
{
	const char *authz = request_header(req, "Authorization");
	const char *cookie = MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, SESSION_COOKIE);

	struct cache *cache = req->srv->cache;
	unsigned long gen = cache_id_gen(cache);
	const char *secret;
	int rc;

	if (authz) {
		if (strncasecmp(authz, "Bearer ", 7) != 0)
			return err_set(err, SP_EAUTH, "Authorization: expected 'Bearer TOKEN'");
		secret = authz + 7;
	} else if (cookie) {
		secret = cookie;
	} else {
		return err_set(err, SP_EAUTH, "credentials required: a bearer token or a session");
	}
	/* Tokens start spt_ and sessions sps_: one secret cannot pass for the other kind. */
	if (cache_id_get(cache, secret, &req->who) && req->who.session == (authz == NULL))
		return 0;
	rc = authz ? auth_token_check(req->srv->db, secret, &req->who, err) :
	    auth_session_check(req->srv->db, secret, &req->who, err);
	if (rc == 0)
		cache_id_put(cache, secret, gen, &req->who, req->who.expires_at);
	return rc;
}

bool
auth_request(struct request *req)
{
	const char *csrf;
	struct err err;
	int rc;

	if (req->route->roles == ROUTE_PUBLIC)
		return true;
	if ((rc = auth_identify(req, &err)) < 0) {
		if (rc == SP_EAUTH)
			auth_401(req, err.msg);
		else
			reply_err(req, &err);
		return false;
	}
	if (!(req->who.role & req->route->roles)) {
		reply_error(req, 403, "forbidden", "the %s role may not %s %s",
		    auth_role_name(req->who.role), req->method, req->route->pattern);
		return false;
	}
	csrf = request_header(req, "X-CSRF-Token");
	if (req->who.session && auth_is_write(req->method) &&
	    (csrf == NULL || strcmp(csrf, req->who.csrf) != 0)) {
		reply_error(req, 403, "csrf", "a write from a session needs its X-CSRF-Token header");
		return false;
	}
	return true;
}

static json_t *
auth_who_json(const struct auth_identity *who)
{
	json_t *j = json_pack("{s:s,s:s,s:b}", "name", who->name, "role", auth_role_name(who->role),
	    "session", who->session);

	if (who->session)
		json_object_set_new(j, "csrf_token", json_string(who->csrf));
	return j;
}

static enum MHD_Result
auth_reply_cookie(struct request *req, unsigned status, json_t *body, const char *cookie)
{
	char *text = json_dumps(body, JSON_COMPACT);
	struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(text), text,
	    MHD_RESPMEM_MUST_FREE);

	MHD_add_response_header(resp, "Content-Type", "application/json");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "Set-Cookie", cookie);
	return reply_response(req, status, resp);
}

enum MHD_Result
session_login(struct request *req)
{
	static const char *const fields[] = { "name", "password", NULL };
	char addr[64], cookie[256], device[256];
	const char *name = NULL, *password = NULL;
	const char *known = MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, DEVICE_COOKIE);
	struct login_result res;
	struct err err;
	struct MHD_Response *resp;
	int rc;
	json_t *body;
	char *text;

	if (!request_json(req, fields) ||
	    !request_field_ok(req, json_get_string(req->json, "name", true, 100, &name, &err), &err) ||
	    !request_field_ok(req, json_get_string(req->json, "password", true, 1024, &password, &err), &err))
		return MHD_YES;
	request_address(req, addr, sizeof(addr));
	rc = login_check(req->srv->db, name, password, addr, known, SESSION_SECONDS, &res, &err);
	if (rc < 0 && res.retry_after > 0) {
		char ra[16];
		json_t *e = json_pack("{s:{s:s,s:s}}", "error", "code", "too_many_requests", "message", err.msg);

		text = json_dumps(e, JSON_COMPACT);
		json_decref(e);
		resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
		snprintf(ra, sizeof(ra), "%d", res.retry_after);
		MHD_add_response_header(resp, "Retry-After", ra);
		MHD_add_response_header(resp, "Content-Type", "application/json");
		return reply_response(req, 429, resp);
	}
	if (rc == SP_EAUTH) {
		log_warn("failed login name=%s addr=%s", name, addr);
		return reply_error(req, 401, "unauthorized", "%s", err.msg);
	}
	if (rc < 0)
		return reply_err(req, &err);
	snprintf(cookie, sizeof(cookie), SESSION_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict; "
	    "Max-Age=%d%s", res.session, SESSION_SECONDS, request_https(req) ? "; Secure" : "");
	/* Only the login route reads it: a year, renewed at each login (lib/store/login.h). */
	snprintf(device, sizeof(device), DEVICE_COOKIE "=%s; Path=/api/v1/login; HttpOnly; "
	    "SameSite=Strict; Max-Age=%d%s", res.device, DEVICE_SECONDS,
	    request_https(req) ? "; Secure" : "");
	body = auth_who_json(&res.who);
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(resp, "Content-Type", "application/json");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "Set-Cookie", cookie);
	MHD_add_response_header(resp, "Set-Cookie", device);
	return reply_response(req, 200, resp);
}

enum MHD_Result
session_logout(struct request *req)
{
	const char *cookie = MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, SESSION_COOKIE);
	struct err err;
	json_t *body;
	enum MHD_Result r;

	/* A token is not ended by logging out: saying "logged out" would mislead its owner. */
	if (!req->who.session)
		return reply_error(req, 400, "invalid", "logout ends a dashboard session; a token is "
		    "revoked with DELETE /api/v1/tokens/{id}");
	if (cookie && auth_logout(req->srv->db, cookie, &err) < 0)
		return reply_err(req, &err);
	body = json_pack("{s:b}", "logged_out", 1);
	r = auth_reply_cookie(req, 200, body, SESSION_COOKIE "=; Path=/; HttpOnly; SameSite=Strict; "
	    "Max-Age=0");
	json_decref(body);
	return r;
}

enum MHD_Result
session_get(struct request *req)
{
	json_t *body = auth_who_json(&req->who);
	enum MHD_Result r = reply_json(req, 200, body);

	json_decref(body);
	return r;
}
