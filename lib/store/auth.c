/* auth: roles, API tokens, users, sessions and the login slowdown (see auth.h). */
#include "lib/store/auth.h"
#include "lib/store/params.h"

#include <errno.h>
#include <pthread.h>
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
static const struct db_stmt stmt_user_get = { "auth_user_get",
	"SELECT id, role, password_hash, disabled FROM users WHERE name = $1", 1 };

int
auth_user_add(struct db *db, const char *name, int role, const char *password,
    long long *id, struct err *err)
{
	char hash[crypto_pwhash_STRBYTES];
	const char *p[3] = { name, auth_role_name(role), hash };
	PGresult *r;
	int rc;

	if (auth_role_name(role)[0] == 'n')
		return err_set(err, SP_EINVAL, "role: expected admin, editor or post");
	if (name == NULL || *name == '\0' || strlen(name) > 100)
		return err_set(err, SP_EINVAL, "name: expected 1 to 100 characters");
	if (password == NULL || strlen(password) < 8)
		return err_set(err, SP_EINVAL, "password: at least 8 characters");
	if (crypto_pwhash_str(hash, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return err_set(err, SP_ENOMEM, "password hashing ran out of memory");
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

/* Sessions and login ---------------------------------------------------------------------- */

static const struct db_stmt stmt_fail_get = { "auth_fail_get",
	"SELECT failures, GREATEST(0, ceil(extract(epoch FROM last_at + make_interval(secs =>"
	" LEAST(300, power(2, failures - 3))) - now())))::int FROM login_failures"
	" WHERE name = $1 AND address = $2", 2 };
static const struct db_stmt stmt_fail_add = { "auth_fail_add",
	"INSERT INTO login_failures (name, address, failures) VALUES ($1, $2, 1)"
	" ON CONFLICT (name, address) DO UPDATE SET failures = login_failures.failures + 1,"
	" last_at = now()", 2 };
static const struct db_stmt stmt_fail_clear = { "auth_fail_clear",
	"DELETE FROM login_failures WHERE name = $1 AND address = $2", 2 };
static const struct db_stmt stmt_session_new = { "auth_session_new",
	"INSERT INTO sessions (hash, user_id, csrf, expires_at)"
	" VALUES ($1, $2, $3, now() + make_interval(secs => $4::int))", 4 };
static const struct db_stmt stmt_session_get = { "auth_session_get",
	"SELECT u.id, u.role, u.name, s.csrf, extract(epoch FROM s.expires_at)::bigint"
	" FROM sessions s JOIN users u ON u.id = s.user_id"
	" WHERE s.hash = $1 AND s.expires_at > now() AND NOT u.disabled", 1 };
static const struct db_stmt stmt_session_end = { "auth_session_end",
	"DELETE FROM sessions WHERE hash = $1 OR expires_at < now()", 1 };

/* Seconds to wait before trying (name, address) again: none for the first three failures,
 * then 1, 2, 4 … up to 5 minutes after the last one. */
static int
auth_slowdown(struct db *db, const char *name, const char *address, int *wait, struct err *err)
{
	const char *p[2] = { name, address };
	PGresult *r;
	int rc;

	*wait = 0;
	if ((rc = db_exec(db, &stmt_fail_get, p, &r, err)) < 0)
		return rc;
	if (rc == 1 && db_ll(r, 0, 0) >= 3)
		*wait = (int)db_ll(r, 0, 1);
	PQclear(r);
	return 0;
}

/* Password checks are argon2id: each takes a core and tens of MiB. However many logins arrive
 * (24 at once, names rotated), at most AUTH_CHECKS_AT_ONCE run together and at most
 * AUTH_CHECKS_PER_SECOND start in any second; past the budget the answer is 429, Retry-After 1,
 * with no password checked (issue 14). */
#define AUTH_CHECKS_AT_ONCE 2
#define AUTH_CHECKS_PER_SECOND 10

static pthread_mutex_t auth_gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t auth_gate_free = PTHREAD_COND_INITIALIZER;
static int auth_gate_running, auth_gate_started;
static time_t auth_gate_second;

static bool
auth_gate_enter(void)
{
	struct timespec until;
	bool ok = true;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	pthread_mutex_lock(&auth_gate_lock);
	if (time(NULL) != auth_gate_second) {
		auth_gate_second = time(NULL);
		auth_gate_started = 0;
	}
	if (auth_gate_started >= AUTH_CHECKS_PER_SECOND)
		ok = false;
	while (ok && auth_gate_running >= AUTH_CHECKS_AT_ONCE)
		if (pthread_cond_timedwait(&auth_gate_free, &auth_gate_lock, &until) == ETIMEDOUT)
			ok = false;
	/* A check that waited for a slot may start in a later second: it counts in that second's
	 * budget, which it may find spent. */
	if (ok && time(NULL) != auth_gate_second) {
		auth_gate_second = time(NULL);
		auth_gate_started = 0;
	}
	if (ok && auth_gate_started >= AUTH_CHECKS_PER_SECOND)
		ok = false;
	if (ok) {
		auth_gate_running++;
		auth_gate_started++;
	}
	pthread_mutex_unlock(&auth_gate_lock);
	return ok;
}

static void
auth_gate_leave(void)
{
	pthread_mutex_lock(&auth_gate_lock);
	auth_gate_running--;
	pthread_cond_signal(&auth_gate_free);
	pthread_mutex_unlock(&auth_gate_lock);
}

static int
auth_password_ok(struct db *db, const char *name, const char *password,
    struct auth_identity *id, struct err *err)
{
	const char *p[1] = { name };
	PGresult *r;
	bool ok = false;
	int rc;

	if ((rc = db_exec(db, &stmt_user_get, p, &r, err)) < 0)
		return rc;
	if (rc == 1 && !db_bool(r, 0, 3)) {
		if (!auth_gate_enter()) {
			PQclear(r);
			return err_set(err, SP_EUNAVAIL, "too many login attempts on this server: try "
			    "again in a second");
		}
		ok = crypto_pwhash_str_verify(PQgetvalue(r, 0, 2), password, strlen(password)) == 0;
		auth_gate_leave();
	}
	if (ok) {
		id->user_id = db_ll(r, 0, 0);
		id->role = auth_role_from_name(PQgetvalue(r, 0, 1));
		snprintf(id->name, sizeof(id->name), "%s", name);
	}
	PQclear(r);
	return ok ? 0 : err_set(err, SP_EAUTH, "wrong name or password");
}

int
auth_login(struct db *db, const char *name, const char *password, const char *address,
    int seconds, char cookie_secret[AUTH_SECRET_LEN + 8], struct auth_identity *id,
    int *retry_after, struct err *err)
{
	char hash[67], secs[16];
	const char *pf[2] = { name, address };
	struct db_params q = { 0 };
	int rc;

	memset(id, 0, sizeof(*id));
	if ((rc = auth_slowdown(db, name, address, retry_after, err)) < 0)
		return rc;
	if (*retry_after > 0)
		return err_set(err, SP_ECONFLICT, "too many failed logins: try again in %d s",
		    *retry_after);
	if ((rc = auth_password_ok(db, name, password, id, err)) < 0) {
		if (rc == SP_EUNAVAIL && strncmp(err->msg, "too many login", 14) == 0)
			*retry_after = 1;
		if (rc == SP_EAUTH)
			db_exec(db, &stmt_fail_add, pf, NULL, NULL);
		return rc;
	}
	db_exec(db, &stmt_fail_clear, pf, NULL, NULL);
	auth_secret_new("sps_", cookie_secret);
	auth_secret_hash(cookie_secret, hash);
	auth_secret_new("", id->csrf);
	db_param_str(&q, hash);
	db_param_ll(&q, id->user_id);
	db_param_str(&q, id->csrf);
	db_param_str(&q, secs);
	snprintf(secs, sizeof(secs), "%d", seconds);
	id->session = true;
	rc = db_exec(db, &stmt_session_new, q.v, NULL, err);
	return rc < 0 ? rc : 0;
}

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
