/* db: connection pool, prepared statements, transactions, LISTEN/NOTIFY (see db.h). */
#include "lib/store/db.h"
#include "lib/core/clock.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct db_conn {
	PGconn *pg;
	const struct db_stmt **prepared; /* statements prepared on this connection */
	int nprepared, capprepared;
	bool in_use;
	bool broken;
	bool in_tx;
};

struct db {
	char *conninfo;
	pthread_mutex_t lock;
	pthread_cond_t freed;
	int size;
	struct db_conn *conns;
};

static void
db_conn_close(struct db_conn *c)
{
	if (c->pg)
		PQfinish(c->pg);
	c->pg = NULL;
	c->nprepared = 0;
	c->broken = false;
	c->in_tx = false;
}

/* Server notices ("relation already exists, skipping") are not errors; libpq would print them. */
static void
db_quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static int
db_connect(const char *conninfo, PGconn **out, struct err *err)
{
	PGconn *pg = PQconnectdb(conninfo);
	char msg[400];

	if (pg == NULL)
		return err_set(err, SP_ENOMEM, "database: out of memory");
	if (PQstatus(pg) != CONNECTION_OK) {
		snprintf(msg, sizeof(msg), "%s", PQerrorMessage(pg));
		msg[strcspn(msg, "\n")] = '\0';
		PQfinish(pg);
		return err_set(err, SP_EUNAVAIL, "database unreachable: %s", msg);
	}
	PQsetNoticeProcessor(pg, db_quiet, NULL);
	/* Our statements take optional filters ("$1 IS NULL OR …"): a generic plan cannot use
	 * indexes for them, so each execution is planned with its values (bench/api.sh). */
	PQclear(PQexec(pg, "SET plan_cache_mode = force_custom_plan"));
	*out = pg;
	return 0;
}

int
db_open(struct db **out, const char *conninfo, int size, struct err *err)
{
	struct db *db = calloc(1, sizeof(*db));
	int rc;

	if (db == NULL || (db->conns = calloc((size_t)size, sizeof(*db->conns))) == NULL ||
	    (db->conninfo = strdup(conninfo)) == NULL) {
		rc = err_set(err, SP_ENOMEM, "out of memory");
		goto fail;
	}
	db->size = size;
	pthread_mutex_init(&db->lock, NULL);
	pthread_cond_init(&db->freed, NULL);
	if ((rc = db_connect(conninfo, &db->conns[0].pg, err)) < 0)
		goto fail;
	*out = db;
	return 0;
fail:
	if (db) {
		free(db->conns);
		free(db->conninfo);
		free(db);
	}
	return rc;
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	for (int i = 0; i < db->size; i++) {
		db_conn_close(&db->conns[i]);
		free(db->conns[i].prepared);
	}
	pthread_mutex_destroy(&db->lock);
	pthread_cond_destroy(&db->freed);
	free(db->conns);
	free(db->conninfo);
	free(db);
}

const char *
db_conninfo(const struct db *db)
{
	return db->conninfo;
}

/* Picks a free slot, preferring one with an open connection. Called with the lock held. */
static struct db_conn *
db_pick(struct db *db)
{
	struct db_conn *free_slot = NULL;

	for (int i = 0; i < db->size; i++) {
		struct db_conn *c = &db->conns[i];
		if (c->in_use)
			continue;
		if (c->pg)
			return c;
		if (free_slot == NULL)
			free_slot = c;
	}
	return free_slot;
}

int
db_acquire(struct db *db, struct db_conn **out, struct err *err)
{
	struct timespec until;
	struct db_conn *c;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&db->lock);
	while ((c = db_pick(db)) == NULL && rc == 0)
		rc = pthread_cond_timedwait(&db->freed, &db->lock, &until);
	if (c)
		c->in_use = true;
	pthread_mutex_unlock(&db->lock);
	if (c == NULL)
		return err_set(err, SP_EUNAVAIL, "database pool exhausted (%d connections busy)",
		    db->size);
	if (c->pg && PQstatus(c->pg) != CONNECTION_OK)
		db_conn_close(c);
	if (c->pg == NULL && (rc = db_connect(db->conninfo, &c->pg, err)) < 0) {
		db_release(db, c);
		return rc;
	}
	*out = c;
	return 0;
}

void
db_release(struct db *db, struct db_conn *c)
{
	if (c == NULL)
		return;
	if (c->broken || c->in_tx || (c->pg && PQtransactionStatus(c->pg) != PQTRANS_IDLE))
		db_conn_close(c);
	pthread_mutex_lock(&db->lock);
	c->in_use = false;
	pthread_cond_signal(&db->freed);
	pthread_mutex_unlock(&db->lock);
}

PGconn *
db_conn_pg(struct db_conn *c)
{
	return c->pg;
}

/* Maps a failed result to an SP_E* code by its SQLSTATE class. */
static int
db_result_err(struct db_conn *c, PGresult *r, const char *name, struct err *err)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	int code = SP_EDB;

	if (msg == NULL)
		msg = PQerrorMessage(c->pg);
	if (PQstatus(c->pg) != CONNECTION_OK || state == NULL || strncmp(state, "08", 2) == 0 ||
	    strncmp(state, "57P", 3) == 0) {
		c->broken = true;
		code = SP_EUNAVAIL;
	} else if (strcmp(state, "23505") == 0) {
		code = SP_ECONFLICT;
	} else if (strncmp(state, "23", 2) == 0 || strncmp(state, "22", 2) == 0) {
		code = SP_EINVAL;
	} else if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0) {
		code = SP_ECONFLICT;
	}
	err_set(err, code, "database (%s, %s): %.*s", name, state ? state : "no state",
	    (int)strcspn(msg, "\n"), msg);
	return code;
}

static bool
db_is_prepared(struct db_conn *c, const struct db_stmt *st)
{
	for (int i = 0; i < c->nprepared; i++)
		if (c->prepared[i] == st)
			return true;
	return false;
}

static int
db_prepare(struct db_conn *c, const struct db_stmt *st, struct err *err)
{
	PGresult *r;
	int rc = 0;

	if (db_is_prepared(c, st))
		return 0;
	if (c->nprepared == c->capprepared) {
		int cap = c->capprepared ? c->capprepared * 2 : 32;
		const struct db_stmt **p = realloc(c->prepared, (size_t)cap * sizeof(*p));
		if (p == NULL)
			return err_set(err, SP_ENOMEM, "out of memory");
		c->prepared = p;
		c->capprepared = cap;
	}
	r = PQprepare(c->pg, st->name, st->sql, st->nparams, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		rc = db_result_err(c, r, st->name, err);
	else
		c->prepared[c->nprepared++] = st;
	PQclear(r);
	return rc;
}

static int
db_query_once(struct db_conn *c, const struct db_stmt *st, const char *const *params,
    PGresult **res, struct err *err)
{
	PGresult *r;
	ExecStatusType s;
	int rc;

	if ((rc = db_prepare(c, st, err)) < 0)
		return rc;
	r = PQexecPrepared(c->pg, st->name, st->nparams, params, NULL, NULL, 0);
	s = PQresultStatus(r);
	if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK) {
		rc = db_result_err(c, r, st->name, err);
		PQclear(r);
		return rc;
	}
	rc = s == PGRES_TUPLES_OK ? PQntuples(r) : (int)strtol(PQcmdTuples(r), NULL, 10);
	if (res)
		*res = r;
	else
		PQclear(r);
	return rc;
}

int
db_query(struct db_conn *c, const struct db_stmt *st, const char *const *params,
    PGresult **res, struct err *err)
{
	int rc = db_query_once(c, st, params, res, err);

	/* A pooled connection may have died while idle (server restart): outside a
	 * transaction it is safe to reconnect once and run the statement again. */
	if (rc == SP_EUNAVAIL && !c->in_tx) {
		PQreset(c->pg);
		c->nprepared = 0;
		c->broken = false;
		if (PQstatus(c->pg) == CONNECTION_OK)
			rc = db_query_once(c, st, params, res, err);
		else
			c->broken = true;
	}
	return rc;
}

int
db_exec(struct db *db, const struct db_stmt *st, const char *const *params,
    PGresult **res, struct err *err)
{
	struct db_conn *c;
	int rc;

	if ((rc = db_acquire(db, &c, err)) < 0)
		return rc;
	rc = db_query(c, st, params, res, err);
	db_release(db, c);
	return rc;
}

static int
db_simple(struct db_conn *c, const char *sql, struct err *err)
{
	PGresult *r = PQexec(c->pg, sql);
	int rc = 0;

	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		rc = db_result_err(c, r, sql, err);
	PQclear(r);
	return rc;
}

static bool
db_retryable(const struct err *err)
{
	return strstr(err->msg, "(40001") || strstr(err->msg, "(40P01");
}

int
db_tx(struct db *db, db_tx_fn fn, void *arg, struct err *err)
{
	struct db_conn *c;
	int rc, attempt;

	if ((rc = db_acquire(db, &c, err)) < 0)
		return rc;
	for (attempt = 0; attempt < 5; attempt++) {
		if ((rc = db_simple(c, "BEGIN", err)) < 0)
			break;
		c->in_tx = true;
		rc = fn(c, arg, err);
		if (rc >= 0) {
			int crc = db_simple(c, "COMMIT", err);
			if (crc < 0)
				rc = crc;
		}
		if (rc < 0 && PQstatus(c->pg) == CONNECTION_OK &&
		    PQtransactionStatus(c->pg) != PQTRANS_IDLE)
			db_simple(c, "ROLLBACK", NULL);
		c->in_tx = false;
		if (rc >= 0 || !db_retryable(err))
			break;
	}
	db_release(db, c);
	return rc;
}

static const struct db_stmt stmt_ping = { "db_ping", "SELECT 1", 0 };
static const struct db_stmt stmt_notify = { "db_notify", "SELECT pg_notify($1, $2)", 2 };

int
db_ping(struct db *db, double *ms, struct err *err)
{
	double t0 = clock_now();
	int rc = db_exec(db, &stmt_ping, NULL, NULL, err);

	if (ms)
		*ms = (clock_now() - t0) * 1e3;
	return rc < 0 ? rc : 0;
}

int
db_notify(struct db_conn *c, const char *channel, const char *payload, struct err *err)
{
	const char *p[2] = { channel, payload ? payload : "" };
	int rc = db_query(c, &stmt_notify, p, NULL, err);

	return rc < 0 ? rc : 0;
}

void
db_pool_stats(struct db *db, int *size, int *in_use, int *open)
{
	int u = 0, o = 0;

	pthread_mutex_lock(&db->lock);
	for (int i = 0; i < db->size; i++) {
		u += db->conns[i].in_use;
		o += db->conns[i].pg != NULL;
	}
	pthread_mutex_unlock(&db->lock);
	*size = db->size;
	*in_use = u;
	*open = o;
}

const char *
db_val(const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		return NULL;
	return PQgetvalue(r, row, col);
}

long long
db_ll(const PGresult *r, int row, int col)
{
	const char *v = db_val(r, row, col);

	return v ? strtoll(v, NULL, 10) : 0;
}

bool
db_bool(const PGresult *r, int row, int col)
{
	const char *v = db_val(r, row, col);

	return v && v[0] == 't';
}
