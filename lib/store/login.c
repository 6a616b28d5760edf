/* login: name and password for a session, throttled per client, per account and per server
 * (see login.h). */
#include "lib/store/login.h"
#include "lib/store/pwhash.h"
#include "lib/store/params.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const struct db_stmt stmt_user_get = { "login_user_get",
	"SELECT id, role, password_hash, disabled FROM users WHERE name = $1", 1 };
/* failures is capped before power(): a long attack must not overflow the float. */
static const struct db_stmt stmt_client_get = { "login_client_get",
	"SELECT failures, GREATEST(0, ceil(extract(epoch FROM last_at + make_interval(secs =>"
	" LEAST(300, power(2, LEAST(failures, 20) - 3))) - now())))::int FROM login_failures"
	" WHERE name = $1 AND address = $2", 2 };
static const struct db_stmt stmt_client_add = { "login_client_add",
	"INSERT INTO login_failures (name, address, failures) VALUES ($1, $2, 1)"
	" ON CONFLICT (name, address) DO UPDATE SET failures = login_failures.failures + 1,"
	" last_at = now()", 2 };
static const struct db_stmt stmt_client_clear = { "login_client_clear",
	"DELETE FROM login_failures WHERE name = $1 AND address = $2", 2 };
static const struct db_stmt stmt_account_get = { "login_account_get",
	"SELECT GREATEST(0, ceil(extract(epoch FROM last_at + make_interval(secs =>"
	" LEAST($2::int, power(2, LEAST(failures, 20) - 5))) - now())))::int"
	" FROM login_account_failures WHERE name = $1 AND failures >= 5"
	" AND last_at > now() - interval '15 minutes'", 2 };
static const struct db_stmt stmt_account_add = { "login_account_add",
	"INSERT INTO login_account_failures (name, failures) VALUES ($1, 1)"
	" ON CONFLICT (name) DO UPDATE SET failures = CASE WHEN login_account_failures.last_at <"
	" now() - interval '15 minutes' THEN 1 ELSE login_account_failures.failures + 1 END,"
	" last_at = now()", 1 };
static const struct db_stmt stmt_device_known = { "login_device_known",
	"SELECT 1 FROM login_devices WHERE hash = $1 AND name = $2"
	" AND last_ok > now() - interval '1 year'", 2 };
static const struct db_stmt stmt_device_put = { "login_device_put",
	"INSERT INTO login_devices (hash, name) VALUES ($1, $2)"
	" ON CONFLICT (hash) DO UPDATE SET last_ok = now()", 2 };
static const struct db_stmt stmt_device_expire = { "login_device_expire",
	"DELETE FROM login_devices WHERE last_ok < now() - interval '1 year'", 0 };
static const struct db_stmt stmt_session_new = { "login_session_new",
	"INSERT INTO sessions (hash, user_id, csrf, expires_at)"
	" VALUES ($1, $2, $3, now() + make_interval(secs => $4::int))", 4 };

/* A hash no password matches, checked for unknown and disabled names so that they cost what a
 * real check costs. */
static char dummy_hash[PWHASH_LEN];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

/* Made once, inside the first gate slot that needs it (pwhash.h): a slot holder runs it. */
static void
dummy_make(void)
{
	char pw[AUTH_SECRET_LEN + 8];
	struct err err;

	auth_secret_new("", pw);
	if (pwhash_make_held(pw, dummy_hash, &err) < 0)
		dummy_hash[0] = '\0';
}

/* Seconds still to wait from stmt (a one-row, one-int answer), 0 when none. */
static int
login_wait(struct db *db, const struct db_stmt *st, const char *const *p, int col, int *wait,
    struct err *err)
{
	PGresult *r;
	int rc;

	*wait = 0;
	if ((rc = db_exec(db, st, p, &r, err)) < 0)
		return rc;
	if (rc == 1 && (col == 0 || db_ll(r, 0, 0) >= 3))
		*wait = (int)db_ll(r, 0, col);
	PQclear(r);
	return 0;
}

static int
login_password(struct db *db, const char *name, const char *password, bool known_device,
    struct auth_identity *id, struct err *err)
{
	const char *p[1] = { name };
	const char *hash;
	PGresult *r;
	bool real, ok;
	int rc;

	if ((rc = db_exec(db, &stmt_user_get, p, &r, err)) < 0)
		return rc;
	real = rc == 1 && !db_bool(r, 0, 3);
	if (!pwhash_enter(known_device)) {
		PQclear(r);
		return err_set(err, SP_EUNAVAIL, "too many login attempts on this server: try again "
		    "in a second");
	}
	if (!real)
		pthread_once(&dummy_once, dummy_make);
	hash = real ? PQgetvalue(r, 0, 2) : dummy_hash;
	ok = pwhash_verify_held(hash, password) && real;
	pwhash_leave();
	if (ok) {
		id->user_id = db_ll(r, 0, 0);
		id->role = auth_role_from_name(PQgetvalue(r, 0, 1));
		snprintf(id->name, sizeof(id->name), "%s", name);
	}
	PQclear(r);
	return ok ? 0 : err_set(err, SP_EAUTH, "wrong name or password");
}

static int
login_session(struct db *db, int seconds, struct login_result *out, struct err *err)
{
	char hash[67];
	struct db_params q = { 0 };
	int rc;

	auth_secret_new("sps_", out->session);
	auth_secret_hash(out->session, hash);
	auth_secret_new("", out->who.csrf);
	db_param_str(&q, hash);
	db_param_ll(&q, out->who.user_id);
	db_param_str(&q, out->who.csrf);
	db_param_ll(&q, seconds);
	out->who.session = true;
	rc = db_exec(db, &stmt_session_new, q.v, NULL, err);
	return rc < 0 ? rc : 0;
}

int
login_check(struct db *db, const char *name, const char *password, const char *address,
    const char *device, int seconds, struct login_result *out, struct err *err)
{
	char dhash[67], client[80], cap[16];
	const char *pd[2] = { dhash, name };
	const char *pc[2] = { name, client };
	const char *pa[2] = { name, cap };
	bool known = false;
	int rc;

	memset(out, 0, sizeof(*out));
	if (device && strncmp(device, "spd_", 4) == 0 && strlen(device) <= AUTH_SECRET_LEN) {
		auth_secret_hash(device, dhash);
		if ((rc = db_exec(db, &stmt_device_known, pd, NULL, err)) < 0)
			return rc;
		known = rc == 1;
	}
	/* A known browser is its own client: failures from its address by others do not slow it. */
	snprintf(client, sizeof(client), "%s%.64s", known ? "device:" : "", known ? dhash + 2 :
	    address);
	if ((rc = login_wait(db, &stmt_client_get, pc, 1, &out->retry_after, err)) < 0)
		return rc;
	if (out->retry_after == 0 && !known) {
		snprintf(cap, sizeof(cap), "%d", LOGIN_ACCOUNT_CAP);
		if ((rc = login_wait(db, &stmt_account_get, pa, 0, &out->retry_after, err)) < 0)
			return rc;
	}
	if (out->retry_after > 0)
		return err_set(err, SP_ECONFLICT, "too many failed logins: try again in %d s",
		    out->retry_after);
	if ((rc = login_password(db, name, password, known, &out->who, err)) < 0) {
		if (rc == SP_EUNAVAIL)
			out->retry_after = 1;
		if (rc == SP_EAUTH) {
			db_exec(db, &stmt_client_add, pc, NULL, NULL);
			if (!known)
				db_exec(db, &stmt_account_add, pa, NULL, NULL);
		}
		return rc;
	}
	db_exec(db, &stmt_client_clear, pc, NULL, NULL);
	if (!known) {
		auth_secret_new("spd_", out->device);
		auth_secret_hash(out->device, dhash);
	} else {
		snprintf(out->device, sizeof(out->device), "%s", device);
	}
	db_exec(db, &stmt_device_put, pd, NULL, NULL);
	db_exec(db, &stmt_device_expire, NULL, NULL, NULL);
	return login_session(db, seconds, out, err);
}
