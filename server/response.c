/* response: the reply_* helpers every handler uses (see http.h). */
#include "http.h"
#include "lib/core/json.h"
#include "lib/core/utf8.h"
#include "lib/store/event.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* What is sent when the real reply cannot be built (no memory, a body Jansson refused): still
 * one valid JSON error, never silence. */
static const char reply_fallback_body[] =
    "{\"error\":{\"code\":\"internal\",\"message\":\"the reply could not be built\"}}";

static enum MHD_Result reply_queue(struct request *req, unsigned status,
    struct MHD_Response *resp);

static enum MHD_Result
reply_fallback(struct request *req)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
	    sizeof(reply_fallback_body) - 1, (void *)reply_fallback_body, MHD_RESPMEM_PERSISTENT);

	if (resp == NULL)
		return MHD_NO;          /* nothing left to answer with: MHD closes the connection */
	MHD_add_response_header(resp, "Content-Type", "application/json");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	return reply_queue(req, 500, resp);
}

static enum MHD_Result
reply_queue(struct request *req, unsigned status, struct MHD_Response *resp)
{
	enum MHD_Result r;

	if (req->answered) {
		/* A second reply is a handler's bug; the first one stands. */
		MHD_destroy_response(resp);
		return MHD_YES;
	}
	req->status = status;
	req->answered = true;
	if (request_https(req))
		MHD_add_response_header(resp, "Strict-Transport-Security", "max-age=31536000");
	if (req->in_body) {
		/* libmicrohttpd queues nothing while the body is arriving: keep it for the end. */
		req->deferred = resp;
		return MHD_YES;
	}
	r = MHD_queue_response(req->conn, status, resp);
	MHD_destroy_response(resp);
	return r;
}

enum MHD_Result
reply_response(struct request *req, unsigned status, struct MHD_Response *resp)
{
	if (resp == NULL)
		return reply_fallback(req);
	return reply_queue(req, status, resp);
}

enum MHD_Result
reply_download(struct request *req, const char *content_type, const char *disp, void *data,
    size_t len, bool owned, const char *hname, const char *hvalue)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, data,
	    owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_MUST_COPY);

	if (resp == NULL) {
		if (owned)
			free(data);
		return reply_fallback(req);
	}
	MHD_add_response_header(resp, "Content-Type", content_type);
	MHD_add_response_header(resp, "Content-Disposition", disp);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (hname != NULL)
		MHD_add_response_header(resp, hname, hvalue);
	return reply_response(req, 200, resp);
}

enum MHD_Result
reply_text(struct request *req, unsigned status, const char *content_type, const char *text,
    size_t len)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)text,
	    MHD_RESPMEM_MUST_COPY);

	if (resp == NULL)
		return reply_fallback(req);
	MHD_add_response_header(resp, "Content-Type", content_type);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	return reply_response(req, status, resp);
}

enum MHD_Result
reply_json(struct request *req, unsigned status, json_t *body)
{
	/* Measured numbers (round trips, rates, fractions) to 9 significant digits, not 17:
	 * 0.166618 rather than 0.16661799999999999. Stored values keep their exact text. */
	char *text = body ? json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(9)) : NULL;
	struct MHD_Response *resp;

	if (text == NULL)
		return reply_fallback(req);
	resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(text);
		return reply_fallback(req);
	}
	MHD_add_response_header(resp, "Content-Type", "application/json");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	return reply_response(req, status, resp);
}

enum MHD_Result
reply_error(struct request *req, unsigned status, const char *code, const char *fmt, ...)
{
	char raw[600], msg[600];
	json_t *body;
	enum MHD_Result r;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/* Messages quote what the client sent; Jansson refuses invalid UTF-8 (and the reply with
	 * it), so such bytes become U+FFFD. */
	utf8_sanitize(msg, sizeof(msg), raw);
	body = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", msg);
	r = reply_json(req, status, body);
	json_decref(body);
	return r;
}

enum MHD_Result
reply_err(struct request *req, const struct err *err)
{
	return reply_error(req, (unsigned)err_http_status(err->code), err_code_name(err->code),
	    "%s", err->msg);
}

const char *
request_header(struct request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *
request_query(struct request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

bool
request_param_id(struct request *req, int i, long long *id)
{
	const char *s = req->params[i];
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (*s < '1' || *s > '9' || *end || v <= 0 || errno == ERANGE) {
		reply_error(req, 400, "invalid", "'%s' is not a valid id: expected a positive whole "
		    "number", s);
		return false;
	}
	*id = v;
	return true;
}

bool
request_rows_by_id(struct request *req, const struct db_stmt *stmt, const char *what,
    long long *id, PGresult **r)
{
	return request_rows_by_id2(req, stmt, NULL, what, id, r);
}

bool
request_rows_by_id2(struct request *req, const struct db_stmt *stmt, const char *p2,
    const char *what, long long *id, PGresult **r)
{
	const char *p[2] = { req->params[0], p2 };
	struct err err;
	int n;

	if (!request_param_id(req, 0, id))
		return false;
	if ((n = db_exec(req->srv->db, stmt, p, r, &err)) < 0)
		return reply_err(req, &err), false;
	if (n == 0) {
		PQclear(*r);
		return reply_error(req, 404, "not_found", "%s %lld not found", what, *id), false;
	}
	return true;
}

enum MHD_Result
reply_first_column(struct request *req, unsigned status, PGresult *r)
{
	enum MHD_Result res;

	res = reply_text(req, status, "application/json", PQgetvalue(r, 0, 0),
	    strlen(PQgetvalue(r, 0, 0)));
	PQclear(r);
	return res;
}

enum MHD_Result
reply_deleted(struct request *req, const struct db_stmt *st, const char *what, const char *kind)
{
	const char *p[1] = { req->params[0] };
	char event[64];
	struct err err;
	long long id;
	int rc;

	if (!request_param_id(req, 0, &id))
		return MHD_YES;
	if ((rc = db_exec(req->srv->db, st, p, NULL, &err)) < 0)
		return reply_err(req, &err);
	if (rc == 0)
		return reply_error(req, 404, "not_found", "%s %lld not found", what, id);
	snprintf(event, sizeof(event), "%s.deleted", kind);
	event_record_db(req->srv->db, req->who.name, event, kind, id, NULL, NULL);
	return reply_text(req, 204, "application/json", "", 0);
}

enum MHD_Result
reply_document(struct request *req, document_fn take)
{
	struct err err;
	json_t *doc, *result;
	enum MHD_Result r;

	if (json_parse_object(req->body.data, req->body.len, &doc, &err) < 0)
		return reply_err(req, &err);
	req->json = doc;
	if (take(req->srv->db, doc, req->who.name, &result, &err) < 0)
		return reply_err(req, &err);
	r = reply_json(req, 201, result);
	json_decref(result);
	return r;
}

enum MHD_Result
reply_items(struct request *req, const struct db_stmt *st, const char *const *p)
{
	struct err err;
	PGresult *r;

	if (db_exec(req->srv->db, st, p, &r, &err) < 0)
		return reply_err(req, &err);
	return reply_first_column(req, 200, r);
}

enum MHD_Result
reply_row(struct request *req, unsigned status, const struct db_stmt *st, const char *id,
    const char *what)
{
	const char *p[1] = { id };
	struct err err;
	PGresult *r;
	int n;

	if ((n = db_exec(req->srv->db, st, p, &r, &err)) < 0)
		return reply_err(req, &err);
	if (n == 0 || PQgetisnull(r, 0, 0)) {
		PQclear(r);
		return reply_error(req, 404, "not_found", "%s %s not found", what, id);
	}
	return reply_first_column(req, status, r);
}

bool
request_query_id(struct request *req, const char *name, const char **out)
{
	const char *v = request_query(req, name);
	char *end;

	*out = v;
	if (v == NULL || (strtoll(v, &end, 10) > 0 && *end == '\0'))
		return true;
	reply_error(req, 400, "invalid", "%s: expected an id", name);
	return false;
}

bool
request_json(struct request *req, const char *const *allowed)
{
	struct err err;

	if (json_parse_object(req->body.data, req->body.len, &req->json, &err) < 0 ||
	    json_only_fields(req->json, allowed, &err) < 0) {
		reply_err(req, &err);
		return false;
	}
	return true;
}

bool
request_field_ok(struct request *req, int rc, const struct err *err)
{
	if (rc >= 0)
		return true;
	reply_err(req, err);
	return false;
}

/* The address of the far end of the TCP connection. */
static void
request_peer(struct request *req, char *out, size_t len)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	snprintf(out, len, "-");
	if (ci && ci->client_addr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)ci->client_addr)->sin_addr, out, (socklen_t)len);
	else if (ci && ci->client_addr->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)ci->client_addr)->sin6_addr, out,
		    (socklen_t)len);
}

/* True when the connection comes from the reverse proxy named by --trust-proxy: its
 * X-Forwarded-* headers are believed, anyone else's are ignored. */
static bool
request_from_proxy(struct request *req)
{
	const char *proxy = req->srv->cfg->trust_proxy;
	char peer[64];
	unsigned char a[16], b[16];
	int fa, fb;

	if (proxy == NULL || *proxy == '\0')
		return false;
	request_peer(req, peer, sizeof(peer));
	fa = strchr(peer, ':') ? AF_INET6 : AF_INET;
	fb = strchr(proxy, ':') ? AF_INET6 : AF_INET;
	return fa == fb && inet_pton(fa, peer, a) == 1 && inet_pton(fb, proxy, b) == 1 &&
	    memcmp(a, b, fa == AF_INET ? 4 : 16) == 0;
}

bool
request_https(struct request *req)
{
	const char *proto;

	if (req->srv->tls)
		return true;
	proto = request_header(req, "X-Forwarded-Proto");
	return proto && strcasecmp(proto, "https") == 0 && request_from_proxy(req);
}

void
request_address(struct request *req, char *out, size_t len)
{
	const char *xff;
	const char *last;
	char cand[64];
	unsigned char bin[16];
	size_t n;

	request_peer(req, out, len);
	/* Behind the trusted proxy the client is the address it appended last (the rightmost
	 * entry: anything left of it the client may have written itself). */
	if (!request_from_proxy(req) || (xff = request_header(req, "X-Forwarded-For")) == NULL)
		return;
	last = strrchr(xff, ',');
	last = last ? last + 1 : xff;
	while (*last == ' ')
		last++;
	n = strcspn(last, " ");
	if (n == 0 || n >= sizeof(cand))
		return;
	memcpy(cand, last, n);
	cand[n] = '\0';
	if (inet_pton(AF_INET, cand, bin) == 1 || inet_pton(AF_INET6, cand, bin) == 1)
		snprintf(out, len, "%s", cand);
}
