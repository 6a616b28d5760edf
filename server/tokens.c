/* tokens and users: the admin's management of who may use the API and the dashboard.
 * Secrets are shown once, at creation; lists never carry them. Every change is an event. */
#include "http.h"
#include "lib/store/event.h"
#include "lib/store/params.h"
#include "lib/core/json.h"

#include <stdint.h>
#include <stdio.h>

static enum MHD_Result
reply_list(struct request *req, int (*list)(struct db *, json_t **, struct err *))
{
	struct err err;
	json_t *items, *body;
	enum MHD_Result r;

	if (list(req->srv->db, &items, &err) < 0)
		return reply_err(req, &err);
	body = json_pack("{s:o}", "items", items);
	r = reply_json(req, 200, body);
	json_decref(body);
	return r;
}

enum MHD_Result
tokens_list(struct request *req)
{
	return reply_list(req, auth_token_list);
}

static const struct db_stmt stmt_token_production = { "tokens_production",
	"SELECT 1 FROM productions WHERE id = $1", 1 };
static const struct db_stmt stmt_token_owner = { "tokens_owner",
	"UPDATE tokens SET production_id = $2, created_by = $3, created_by_user_id = $4,"
	" created_by_token_id = $5 WHERE id = $1", 5 };

enum MHD_Result
tokens_create(struct request *req)
{
	static const char *const fields[] = { "name", "role", "production_id", NULL };
	char secret[AUTH_SECRET_LEN + 8];
	struct db_params q = { 0 };
	const char *name = NULL, *role = NULL;
	struct err err;
	long long id, pid = 0;
	json_t *body;
	enum MHD_Result r;
	int rc, rp;

	if (!request_json(req, fields) ||
	    !request_field_ok(req, json_get_string(req->json, "name", true, 200, &name, &err), &err) ||
	    !request_field_ok(req, json_get_string(req->json, "role", true, 16, &role, &err), &err) ||
	    !request_field_ok(req, rp = json_get_int(req->json, "production_id", false, 1, INT64_MAX,
	    &pid, &err), &err))
		return MHD_YES;
	if (auth_role_from_name(role) == 0)
		return reply_error(req, 400, "invalid", "role: expected admin, editor or post");
	/* A token for one production (issue 14): its holder sees and changes that one only. */
	if (rp == 0) {
		struct db_params p = { 0 };
		db_param_ll(&p, pid);
		if ((rc = db_exec(req->srv->db, &stmt_token_production, p.v, NULL, &err)) < 0)
			return reply_err(req, &err);
		if (rc == 0)
			return reply_error(req, 400, "invalid", "production_id: no production %lld", pid);
		if (auth_role_from_name(role) == ROLE_ADMIN)
			return reply_error(req, 400, "invalid", "production_id: an admin token serves "
			    "every production");
	}
	rc = auth_token_create(req->srv->db, name, auth_role_from_name(role), 0, secret, &id, &err);
	if (rc < 0)
		return reply_err(req, &err);
	db_param_ll(&q, id);
	db_param_ll_if(&q, rp == 0, pid);
	db_param_str(&q, req->who.name);
	db_param_ll_if(&q, req->who.user_id != 0, req->who.user_id);
	db_param_ll_if(&q, req->who.token_id != 0, req->who.token_id);
	if (db_exec(req->srv->db, &stmt_token_owner, q.v, NULL, &err) < 0) {
		(void)auth_token_revoke(req->srv->db, id, NULL);
		return reply_err(req, &err);
	}
	body = json_pack("{s:s,s:s}", "name", name, "role", role);
	if (rp == 0)
		json_object_set_new(body, "production_id", json_integer(pid));
	event_record_db(req->srv->db, req->who.name, "token.created", "token", id, body, NULL);
	json_object_set_new(body, "id", json_integer(id));
	json_object_set_new(body, "token", json_string(secret));
	r = reply_json(req, 201, body);
	json_decref(body);
	return r;
}

enum MHD_Result
tokens_revoke(struct request *req)
{
	struct err err;
	long long id;

	if (!request_param_id(req, 0, &id))
		return MHD_YES;
	if (auth_token_revoke(req->srv->db, id, &err) < 0)
		return reply_err(req, &err);
	event_record_db(req->srv->db, req->who.name, "token.revoked", "token", id, NULL, NULL);
	return reply_text(req, 204, "application/json", "", 0);
}

enum MHD_Result
users_list(struct request *req)
{
	return reply_list(req, auth_user_list);
}

enum MHD_Result
users_create(struct request *req)
{
	static const char *const fields[] = { "name", "role", "password", NULL };
	const char *name = NULL, *role = NULL, *password = NULL;
	struct err err;
	long long id;
	json_t *body;
	enum MHD_Result r;

	if (!request_json(req, fields) ||
	    !request_field_ok(req, json_get_string(req->json, "name", true, 100, &name, &err), &err) ||
	    !request_field_ok(req, json_get_string(req->json, "role", true, 16, &role, &err), &err) ||
	    !request_field_ok(req, json_get_string(req->json, "password", true, 1024, &password, &err), &err))
		return MHD_YES;
	if (auth_role_from_name(role) == 0)
		return reply_error(req, 400, "invalid", "role: expected admin, editor or post");
	if (auth_user_add(req->srv->db, name, auth_role_from_name(role), password, &id, &err) < 0)
		return reply_err(req, &err);
	body = json_pack("{s:I,s:s,s:s}", "id", (json_int_t)id, "name", name, "role", role);
	event_record_db(req->srv->db, req->who.name, "user.created", "user", id, body, NULL);
	r = reply_json(req, 201, body);
	json_decref(body);
	return r;
}

enum MHD_Result
users_update(struct request *req)
{
	static const char *const fields[] = { "disabled", NULL };
	struct err err;
	bool disabled;
	long long id;
	json_t *body;
	enum MHD_Result r;

	if (!request_param_id(req, 0, &id) || !request_json(req, fields) ||
	    !request_field_ok(req, json_get_bool(req->json, "disabled", true, &disabled, &err), &err))
		return MHD_YES;
	if (auth_user_set_disabled(req->srv->db, id, disabled, &err) < 0)
		return reply_err(req, &err);
	body = json_pack("{s:I,s:b}", "id", (json_int_t)id, "disabled", disabled);
	event_record_db(req->srv->db, req->who.name, "user.updated", "user", id, body, NULL);
	r = reply_json(req, 200, body);
	json_decref(body);
	return r;
}
