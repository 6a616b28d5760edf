/* auth: roles, API tokens, users and sessions (see auth.h). */
#include "lib/store/auth.h"
#include "lib/store/params.h"
#include "lib/store/pwhash.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const auth_role_names[] = { "admin", "editor", "post" };

int
auth_role_from_name(const char *name)
{
	for (int i = 0; i < 3; i++)
		if (name && strcmp(name, auth_role_names[i]) == 0)
			return 1 << i;
	return 0;
}

const char *
auth_role_name(int role)
{
	for (int i = 0; i < 3; i++)
		if (role == 1 << i)
			return auth_role_names[i];
	return "none";
}

void
auth_secret_new(const char *prefix, char out[AUTH_SECRET_LEN + 8])
{
	unsigned char raw[32];
	size_t pl = strlen(prefix);

	randombytes_buf(raw, sizeof(raw));
	memcpy(out, prefix, pl);
	sodium_bin2base64(out + pl, AUTH_SECRET_LEN + 8 - pl, raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
}

void
auth_secret_hash(const char *secret, char out[2 + 64 + 1])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, (const unsigned char *)secret, strlen(secret));
	out[0] = '\\';
	out[1] = 'x';
	sodium_bin2hex(out + 2, 65, h, sizeof(h));
}

/* Tokens ---------------------------------------------------------------------------------- */

/* A read on every request; last_used_at is written at most once a minute, so concurrent
 * requests do not queue behind one row's updates. */
static const struct db_stmt stmt_token_check = { "auth_token_check",
	"WITH t AS (SELECT id, role, name, coalesce(user_id, 0) AS uid, last_used_at,"
	" coalesce(production_id, 0) AS pid FROM tokens"
	" WHERE hash = $1 AND revoked_at IS NULL"
	" AND (user_id IS NULL OR NOT (SELECT disabled FROM users WHERE id = user_id))),"
	" u AS (UPDATE tokens SET last_used_at = now() FROM t WHERE tokens.id = t.id"
	" AND (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute'))"
	" SELECT id, role, name, uid, pid FROM t", 1 };
static const struct db_stmt stmt_token_create = { "auth_token_create",
	"INSERT INTO tokens (name, role, hash, user_id) VALUES ($1, $2, $3, $4) RETURNING id", 4 };
static const struct db_stmt stmt_token_revoke = { "auth_token_revoke",
	"UPDATE tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL", 1 };
static const struct db_stmt stmt_token_list = { "auth_token_list",
	"SELECT coalesce(json_agg(json_build_object('id', id, 'name', name, 'role', role,"
	" 'user_id', user_id, 'production_id', production_id, 'created_by', created_by,"
	" 'created_at', created_at, 'last_used_at', last_used_at,"
	" 'revoked_at', revoked_at) ORDER BY id), '[]')::text FROM tokens", 0 };

int
auth_token_check(struct db *db, const char *token, struct auth_identity *id, struct err *err)
{
	char hash[67];
	const char *p[1] = { hash };
	PGresult *r;
	int rc;

	memset(id, 0, sizeof(*id));
	if (token == NULL || strncmp(token, "spt_", 4) != 0 || strlen(token) > AUTH_SECRET_LEN)
		return err_set(err, SP_EAUTH, "invalid token");
	auth_secret_hash(token, hash);
	if ((rc = db_exec(db, &stmt_token_check, p, &r, err)) < 0)
		return rc;
	if (rc == 0) {
		PQclear(r);
		return err_set(err, SP_EAUTH, "invalid or revoked token");
	}
	id->token_id = db_ll(r, 0, 0);
	id->role = auth_role_from_name(PQgetvalue(r, 0, 1));
	snprintf(id->name, sizeof(id->name), "token:%s", PQgetvalue(r, 0, 2));
	id->user_id = db_ll(r, 0, 3);
	id->production_id = db_ll(r, 0, 4);
	PQclear(r);
	return 0;
}

int
auth_token_create(struct db *db, const char *name, int role, long long user_id,
    char secret_out[AUTH_SECRET_LEN + 8], long long *id, struct err *err)
{
	char hash[67];
	struct db_params q = { 0 };
	PGresult *r;
	int rc;

	if (auth_role_name(role)[0] == 'n')
		return err_set(err, SP_EINVAL, "role: expected admin, editor or post");
	if (name == NULL || *name == '\0' || strlen(name) > 200)
		return err_set(err, SP_EINVAL, "name: expected 1 to 200 characters");
	db_param_str(&q, name);
	db_param_str(&q, auth_role_name(role));
	db_param_str(&q, hash);
	db_param_ll_if(&q, user_id != 0, user_id);
	auth_secret_new("spt_", secret_out);
	auth_secret_hash(secret_out, hash);
	if ((rc = db_exec(db, &stmt_token_create, q.v, &r, err)) < 0)
		return rc;
	if (id)
		*id = db_ll(r, 0, 0);
	PQclear(r);
	return 0;
}

int
auth_token_revoke(struct db *db, long long id, struct err *err)
{
	struct db_params q = { 0 };
	int rc;

	db_param_ll(&q, id);
	if ((rc = db_exec(db, &stmt_token_revoke, q.v, NULL, err)) < 0)
		return rc;
	return rc == 0 ? err_set(err, SP_ENOTFOUND, "no active token %lld", id) : 0;
}

static int
auth_json_list(struct db *db, const struct db_stmt *st, json_t **out, struct err *err)
{
	PGresult *r;
	json_error_t jerr;
	int rc;

	if ((rc = db_exec(db, st, NULL, &r, err)) < 0)
		return rc;
	*out = json_loads(PQgetvalue(r, 0, 0), 0, &jerr);
	PQclear(r);
	return *out ? 0 : err_set(err, SP_EINTERNAL, "%s: %s", st->name, jerr.text);
}

int
auth_token_list(struct db *db, json_t **out, struct err *err)
{
	return auth_json_list(db, &stmt_token_list, out, err);
}

/* Users ----------------------------------------------------------------------------------- */

static const struct db_stmt stmt_user_add = { "auth_user_add",
	"INSERT INTO users (name, role, password_hash) VALUES ($1, $2, $3) RETURNING id", 3 };
static const struct db_stmt stmt_user_list = { "auth_user_list",
	"SELECT coalesce(json_agg(json_build_object('id', id, 'name', name, 'role', role,"
	" 'disabled', disabled, 'created_at', created_at) ORDER BY id), '[]')::text FROM users", 0 };
static const struct db_stmt stmt_user_disable = { "auth_user_disable",
	"UPDATE users SET disabled = $2 WHERE id = $1", 2 };

int
auth_user_add(struct db *db, const char *name, int role, const char *password,
    long long *id, struct err *err)
{
	char hash[PWHASH_LEN];
	const char *p[3] = { name, auth_role_name(role), hash };
	PGresult *r;
	int rc;

	if (auth_role_name(role)[0] == 'n')
		return err_set(err, SP_EINVAL, "role: expected admin, editor or post");
	if (name == NULL || *name == '\0' || strlen(name) > 100)
		return err_set(err, SP_EINVAL, "name: expected 1 to 100 characters");
	if (password == NULL || strlen(password) < 8)
		return err_set(err, SP_EINVAL, "password: at least 8 characters");
	if ((rc = pwhash_make(password, hash, err)) < 0)
		return rc;
	rc = db_exec(db, &stmt_user_add, p, &r, err);
	sodium_memzero(hash, sizeof(hash));
	if (rc == SP_ECONFLICT)
		return err_set(err, SP_ECONFLICT, "user '%s' already exists", name);
	if (rc < 0)
		return rc;
	if (id)
		*id = db_ll(r, 0, 0);
	PQclear(r);
	return 0;
}

int
auth_user_list(struct db *db, json_t **out, struct err *err)
{
	return auth_json_list(db, &stmt_user_list, out, err);
}

int
auth_user_set_disabled(struct db *db, long long id, bool disabled, struct err *err)
{
	struct db_params q = { 0 };
	int rc;

	db_param_ll(&q, id);
	db_param_str(&q, disabled ? "true" : "false");
	if ((rc = db_exec(db, &stmt_user_disable, q.v, NULL, err)) < 0)
		return rc;
	return rc == 0 ? err_set(err, SP_ENOTFOUND, "no user %lld", id) : 0;
}

/* Sessions (a login makes one: lib/store/login.c) ---------------------------------------------------------------------- */

static const struct db_stmt stmt_session_get = { "auth_session_get",
	"SELECT u.id, u.role, u.name, s.csrf, extract(epoch FROM s.expires_at)::bigint"
	" FROM sessions s JOIN users u ON u.id = s.user_id"
	" WHERE s.hash = $1 AND s.expires_at > now() AND NOT u.disabled", 1 };
static const struct db_stmt stmt_session_end = { "auth_session_end",
	"DELETE FROM sessions WHERE hash = $1 OR expires_at < now()", 1 };

int
auth_session_check(struct db *db, const char *cookie_secret, struct auth_identity *id,
    struct err *err)
{
	char hash[67];
	const char *p[1] = { hash };
	PGresult *r;
	int rc;

	memset(id, 0, sizeof(*id));
	if (cookie_secret == NULL || strncmp(cookie_secret, "sps_", 4) != 0 ||
	    strlen(cookie_secret) > AUTH_SECRET_LEN)
		return err_set(err, SP_EAUTH, "invalid session");
	auth_secret_hash(cookie_secret, hash);
	if ((rc = db_exec(db, &stmt_session_get, p, &r, err)) < 0)
		return rc;
	if (rc == 0) {
		PQclear(r);
		return err_set(err, SP_EAUTH, "session expired or unknown: log in again");
	}
	id->user_id = db_ll(r, 0, 0);
	id->role = auth_role_from_name(PQgetvalue(r, 0, 1));
	snprintf(id->name, sizeof(id->name), "%s", PQgetvalue(r, 0, 2));
	snprintf(id->csrf, sizeof(id->csrf), "%s", PQgetvalue(r, 0, 3));
	id->expires_at = db_ll(r, 0, 4);
	id->session = true;
	PQclear(r);
	return 0;
}

int
auth_logout(struct db *db, const char *cookie_secret, struct err *err)
{
	char hash[67];
	const char *p[1] = { hash };
	int rc;

	auth_secret_hash(cookie_secret ? cookie_secret : "", hash);
	rc = db_exec(db, &stmt_session_end, p, NULL, err);
	return rc < 0 ? rc : 0;
}
