/* jobq: the job queue in PostgreSQL (see jobq.h). */
#include "lib/store/jobq.h"
#include "lib/store/params.h"

#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct db_stmt stmt_enqueue = { "jobq_enqueue",
	"INSERT INTO jobs (kind, payload, priority, max_attempts) VALUES ($1, $2, $3, $4) "
	"RETURNING id", 4 };

static const struct db_stmt stmt_claim = { "jobq_claim",
	"WITH next AS ("
	" SELECT jobs.id FROM jobs JOIN unnest($2::text[], $4::int[]) AS k (kind, minp)"
	" ON k.kind = jobs.kind AND (coalesce(k.minp, 0) = 0 OR jobs.priority >= k.minp)"
	" WHERE attempts < max_attempts AND"
	"  ((state = 'queued' AND run_after <= now()) OR (state = 'running' AND lease_until < now()))"
	" ORDER BY priority DESC, run_after, jobs.id LIMIT 1 FOR UPDATE OF jobs SKIP LOCKED)"
	" UPDATE jobs j SET state = 'running', attempts = j.attempts + 1, worker = $1,"
	"  lease_until = now() + make_interval(secs => $3::int), started_at = now(),"
	"  cancel_requested = false,"
	"  last_error = CASE WHEN j.state = 'running'"
	"   THEN 'lease expired on worker ' || coalesce(j.worker, '?') ELSE j.last_error END"
	" FROM next WHERE j.id = next.id"
	" RETURNING j.id, j.kind, j.payload, j.attempts, j.max_attempts, j.priority", 4 };

static const struct db_stmt stmt_heartbeat = { "jobq_heartbeat",
	"UPDATE jobs SET lease_until = now() + make_interval(secs => $3::int)"
	" WHERE id = $1 AND worker = $2 AND state = 'running' RETURNING cancel_requested", 3 };

static const struct db_stmt stmt_progress = { "jobq_progress",
	"UPDATE jobs SET progress = $3, progress_text = $4"
	" WHERE id = $1 AND worker = $2 AND state = 'running'", 4 };

static const struct db_stmt stmt_done = { "jobq_done",
	"UPDATE jobs SET state = 'done', progress = 1, result = $3, finished_at = now(),"
	" lease_until = NULL WHERE id = $1 AND worker = $2 AND state = 'running'", 3 };

static const struct db_stmt stmt_fail = { "jobq_fail",
	"UPDATE jobs SET last_error = $3, lease_until = NULL,"
	" state = CASE WHEN $5::bool OR attempts >= max_attempts THEN 'dead' ELSE 'queued' END,"
	" finished_at = CASE WHEN $5::bool OR attempts >= max_attempts THEN now() END,"
	" run_after = now() + make_interval(secs => $4::double precision)"
	" WHERE id = $1 AND worker = $2 AND state = 'running'", 5 };

static const struct db_stmt stmt_canceled = { "jobq_canceled",
	"UPDATE jobs SET state = 'canceled', finished_at = now(), lease_until = NULL,"
	" last_error = 'canceled' WHERE id = $1 AND worker = $2 AND state = 'running'", 2 };

static const struct db_stmt stmt_requeue = { "jobq_requeue",
	"UPDATE jobs SET state = 'queued', attempts = greatest(attempts - 1, 0), run_after = now(),"
	" lease_until = NULL, worker = NULL WHERE id = $1 AND worker = $2 AND state = 'running'", 2 };

static const struct db_stmt stmt_settle_done = { "jobq_settle_done",
	"UPDATE jobs SET state = 'done', progress = 1, result = $3, finished_at = now(),"
	" lease_until = NULL, last_error = NULL"
	" WHERE id = $1 AND worker = $2 AND state IN ('running', 'queued', 'dead')", 3 };

static const struct db_stmt stmt_settle_fail = { "jobq_settle_fail",
	"UPDATE jobs SET last_error = $3, lease_until = NULL,"
	" state = CASE WHEN $5::bool OR attempts >= max_attempts THEN 'dead' ELSE 'queued' END,"
	" finished_at = CASE WHEN $5::bool OR attempts >= max_attempts THEN now() END,"
	" run_after = now() + make_interval(secs => $4::double precision)"
	" WHERE id = $1 AND worker = $2 AND state IN ('running', 'dead')", 5 };

static const struct db_stmt stmt_reap = { "jobq_reap",
	"UPDATE jobs SET state = 'dead', finished_at = now(), lease_until = NULL,"
	" last_error = 'lease expired on worker ' || coalesce(worker, '?') || ' after ' ||"
	"  attempts || ' attempts'"
	" WHERE state = 'running' AND lease_until < now() AND attempts >= max_attempts", 0 };

static const struct db_stmt stmt_cancel = { "jobq_cancel",
	"UPDATE jobs SET"
	" state = CASE WHEN state = 'queued' THEN 'canceled' ELSE state END,"
	" finished_at = CASE WHEN state = 'queued' THEN now() ELSE finished_at END,"
	" cancel_requested = (state = 'running')"
	" WHERE id = $1 AND state IN ('queued', 'running') RETURNING state", 1 };

static const struct db_stmt stmt_retry = { "jobq_retry",
	"UPDATE jobs SET state = 'queued', attempts = 0, run_after = now(), finished_at = NULL,"
	" cancel_requested = false, progress = 0, progress_text = ''"
	" WHERE id = $1 AND state IN ('dead', 'canceled')", 1 };

static const struct db_stmt stmt_exists = { "jobq_exists",
	"SELECT state FROM jobs WHERE id = $1", 1 };

int
jobq_enqueue(struct db_conn *c, const char *kind, json_t *payload, int priority,
    int max_attempts, long long *id, struct err *err)
{
	char *text = payload ? json_dumps(payload, JSON_COMPACT) : strdup("{}");
	char prio[16], max[16];
	const char *p[4] = { kind, text, prio, max };
	PGresult *r;
	int rc;

	if (text == NULL)
		return err_set(err, SP_ENOMEM, "job %s: payload not serialisable", kind);
	snprintf(prio, sizeof(prio), "%d", priority);
	snprintf(max, sizeof(max), "%d", max_attempts);
	rc = db_query(c, &stmt_enqueue, p, &r, err);
	free(text);
	if (rc < 0)
		return rc;
	if (id)
		*id = db_ll(r, 0, 0);
	PQclear(r);
	return 0;
}

/* Formats kinds as a PostgreSQL text[] literal; kind names are [a-z0-9_] only. */
static int
jobq_kinds_array(const char *const *kinds, int n, char *out, size_t len, struct err *err)
{
	size_t used = 0;

	out[used++] = '{';
	for (int i = 0; i < n; i++) {
		size_t k = strlen(kinds[i]);
		if (strspn(kinds[i], "abcdefghijklmnopqrstuvwxyz0123456789_") != k ||
		    used + k + 3 > len)
			return err_set(err, SP_EINVAL, "job kind '%s' is not valid", kinds[i]);
		if (i)
			out[used++] = ',';
		memcpy(out + used, kinds[i], k);
		used += k;
	}
	out[used++] = '}';
	out[used] = '\0';
	return 0;
}

static int
jobq_fill_claim(PGresult *r, struct jobq_claim *claim, struct err *err)
{
	json_error_t jerr;

	memset(claim, 0, sizeof(*claim));
	claim->id = db_ll(r, 0, 0);
	snprintf(claim->kind, sizeof(claim->kind), "%s", PQgetvalue(r, 0, 1));
	claim->payload = json_loads(PQgetvalue(r, 0, 2), 0, &jerr);
	claim->attempts = (int)db_ll(r, 0, 3);
	claim->max_attempts = (int)db_ll(r, 0, 4);
	claim->priority = (int)db_ll(r, 0, 5);
	if (claim->payload == NULL)
		return err_set(err, SP_EINTERNAL, "job %lld: payload: %s", claim->id, jerr.text);
	return 0;
}

int
jobq_claim(struct db *db, const char *worker, const char *const *kinds, int nkinds,
    const int *min_priority, int lease_seconds, struct jobq_claim *claim, struct err *err)
{
	char arr[1024], lease[16], mins[1024];
	const char *p[4] = { worker, arr, lease, mins };
	size_t off = 0;
	PGresult *r;
	int rc;

	if (nkinds == 0)
		return 0;
	if ((rc = jobq_kinds_array(kinds, nkinds, arr, sizeof(arr), err)) < 0)
		return rc;
	snprintf(lease, sizeof(lease), "%d", lease_seconds);
	mins[off++] = '{';
	for (int i = 0; i < nkinds && off + 16 < sizeof(mins); i++)
		off += (size_t)snprintf(mins + off, sizeof(mins) - off, "%s%d", i ? "," : "",
		    min_priority ? min_priority[i] : 0);
	snprintf(mins + off, sizeof(mins) - off, "}");
	if ((rc = db_exec(db, &stmt_claim, p, &r, err)) < 0)
		return rc;
	if (rc == 1)
		rc = jobq_fill_claim(r, claim, err) < 0 ? SP_EINTERNAL : 1;
	PQclear(r);
	return rc;
}

void
jobq_claim_release(struct jobq_claim *claim)
{
	json_decref(claim->payload);
	claim->payload = NULL;
}

int
jobq_heartbeat(struct db *db, long long id, const char *worker, int lease_seconds,
    bool *cancel, struct err *err)
{
	char lease[16];
	struct db_params q = { 0 };
	PGresult *r;
	int rc;

	db_param_ll(&q, id);
	db_param_str(&q, worker);
	db_param_str(&q, lease);
	snprintf(lease, sizeof(lease), "%d", lease_seconds);
	if ((rc = db_exec(db, &stmt_heartbeat, q.v, &r, err)) < 0)
		return rc;
	if (rc == 1)
		*cancel = db_bool(r, 0, 0);
	PQclear(r);
	return rc;
}

int
jobq_progress(struct db *db, long long id, const char *worker, double fraction,
    const char *text, struct err *err)
{
	char frac[32];
	struct db_params q = { 0 };

	if (!(fraction >= 0))
		fraction = 0;
	if (fraction > 1)
		fraction = 1;
	db_param_ll(&q, id);
	db_param_str(&q, worker);
	db_param_str(&q, frac);
	db_param_str(&q, text ? text : "");
	snprintf(frac, sizeof(frac), "%.4f", fraction);
	return db_exec(db, &stmt_progress, q.v, NULL, err);
}

static int
jobq_update(struct db *db, const struct db_stmt *st, const char **p, struct err *err)
{
	int rc = db_exec(db, st, p, NULL, err);

	if (rc == 0)
		return err_set(err, SP_ECONFLICT, "job %s: lease lost to another worker", p[0]);
	return rc < 0 ? rc : 0;
}

int
jobq_done(struct db *db, long long id, const char *worker, json_t *result, struct err *err)
{
	char *res = result ? json_dumps(result, JSON_COMPACT) : NULL;
	struct db_params q = { 0 };
	int rc;

	db_param_ll(&q, id);
	db_param_str(&q, worker);
	db_param_str(&q, res);
	rc = jobq_update(db, &stmt_done, q.v, err);
	free(res);
	return rc;
}

int
jobq_fail(struct db *db, long long id, const char *worker, const char *error,
    double backoff_seconds, bool permanent, struct err *err)
{
	char backoff[32];
	struct db_params q = { 0 };

	db_param_ll(&q, id);
	db_param_str(&q, worker);
	db_param_str(&q, error);
	db_param_str(&q, backoff);
	db_param_str(&q, permanent ? "true" : "false");
	snprintf(backoff, sizeof(backoff), "%.3f", backoff_seconds);
	return jobq_update(db, &stmt_fail, q.v, err);
}

int
jobq_canceled(struct db *db, long long id, const char *worker, struct err *err)
{
	struct db_params q = { 0 };

	db_param_ll(&q, id);
	db_param_str(&q, worker);
	return jobq_update(db, &stmt_canceled, q.v, err);
}

int
jobq_requeue(struct db *db, long long id, const char *worker, struct err *err)
{
	struct db_params q = { 0 };

	db_param_ll(&q, id);
	db_param_str(&q, worker);
	return jobq_update(db, &stmt_requeue, q.v, err);
}

int
jobq_settle(struct db *db, long long id, const char *worker, bool done, json_t *result,
    const char *error, double backoff_seconds, bool permanent, struct err *err)
{
	struct db_params q = { 0 };
	char *text = NULL;
	int rc;

	if (done && result && (text = json_dumps(result, JSON_COMPACT)) == NULL)
		return err_set(err, SP_ENOMEM, "job %lld: result not serialisable", id);
	db_param_ll(&q, id);
	db_param_str(&q, worker);
	db_param_str(&q, done ? text : (error ? error : "failed"));
	db_param_double(&q, backoff_seconds, 3);
	db_param_str(&q, permanent ? "true" : "false");
	rc = db_exec(db, done ? &stmt_settle_done : &stmt_settle_fail, q.v, NULL, err);
	free(text);
	return rc < 0 ? rc : rc > 0;
}

int
jobq_reap(struct db *db, struct err *err)
{
	return db_exec(db, &stmt_reap, NULL, NULL, err);
}

/* After a 0-row update: was the job missing, or in the wrong state? */
static int
jobq_why_not(struct db *db, const char *sid, const char *action, struct err *err)
{
	const char *p[1] = { sid };
	PGresult *r;
	int rc = db_exec(db, &stmt_exists, p, &r, err);

	if (rc < 0)
		return rc;
	if (rc == 0)
		rc = err_set(err, SP_ENOTFOUND, "job %s not found", sid);
	else
		rc = err_set(err, SP_ECONFLICT, "job %s is %s: cannot %s it", sid,
		    PQgetvalue(r, 0, 0), action);
	PQclear(r);
	return rc;
}

int
jobq_cancel(struct db *db, long long id, struct err *err)
{
	struct db_params q = { 0 };
	int rc;

	db_param_ll(&q, id);
	rc = db_exec(db, &stmt_cancel, q.v, NULL, err);
	if (rc == 0)
		return jobq_why_not(db, q.v[0], "cancel", err);
	return rc < 0 ? rc : 0;
}

int
jobq_retry(struct db *db, long long id, struct err *err)
{
	struct db_params q = { 0 };
	int rc;

	db_param_ll(&q, id);
	rc = db_exec(db, &stmt_retry, q.v, NULL, err);
	if (rc == 0)
		return jobq_why_not(db, q.v[0], "retry", err);
	return rc < 0 ? rc : 0;
}

double
jobq_backoff(int attempts)
{
	double base = 2.0 * pow(2.0, attempts > 1 ? attempts - 1 : 0);
	double jitter = (double)randombytes_uniform(5001) / 10000.0 - 0.25; /* -0.25..+0.25 */

	if (base > 600)
		base = 600;
	return base * (1.0 + jitter);
}
