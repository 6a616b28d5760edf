/* response: the reply_* helpers every handler uses (see http.h). */
#include "http.h"
#include "lib/core/json.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum MHD_Result
reply_response(struct request *req, unsigned status, struct MHD_Response *resp)
{
	enum MHD_Result r;

	if (resp == NULL)
		return MHD_NO;
	req->status = status;
	req->answered = true;
	r = MHD_queue_response(req->conn, status, resp);
	MHD_destroy_response(resp);
	return r;
}

enum MHD_Result
reply_text(struct request *req, unsigned status, const char *content_type, const char *text,
    size_t len)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)text,
	    MHD_RESPMEM_MUST_COPY);

	if (resp == NULL)
		return MHD_NO;
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
	char *text = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(9));
	struct MHD_Response *resp;

	if (text == NULL)
		return MHD_NO;
	resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "application/json");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	return reply_response(req, status, resp);
}

enum MHD_Result
reply_error(struct request *req, unsigned status, const char *code, const char *fmt, ...)
{
	char msg[600];
	json_t *body;
	enum MHD_Result r;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
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
	const char *p[1] = { req->params[0] };
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

/* Replies status with the first column of r's first row as the JSON body; clears r. */
static enum MHD_Result
reply_first_column(struct request *req, unsigned status, PGresult *r)
{
	enum MHD_Result res;

	res = reply_text(req, status, "application/json", PQgetvalue(r, 0, 0),
	    strlen(PQgetvalue(r, 0, 0)));
	PQclear(r);
	return res;
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

void
request_address(struct request *req, char *out, size_t len)
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
