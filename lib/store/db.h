/*
 * db: the PostgreSQL connection pool, named prepared statements, transactions and
 * LISTEN/NOTIFY. PostgreSQL is setpost's only store.
 *
 * Statements are declared `static const struct db_stmt` next to the code that uses them and
 * prepared on each connection the first time that connection runs them (the pool remembers
 * which). Every query is parameterised: there is no way to run built SQL text.
 *
 * The pool is thread-safe. A connection is lent by db_acquire() and must be given back with
 * db_release() by the same caller; a connection that broke is closed on release and a new one
 * opened on the next acquire, so the pool recovers by itself when the server comes back.
 * PGresult ownership: db_query() hands the result to the caller (PQclear it), or clears it
 * itself when res is NULL.
 */
#ifndef SETPOST_DB_H
#define SETPOST_DB_H

#include "lib/core/err.h"

#include <libpq-fe.h>
#include <stdbool.h>

struct db_stmt {
	const char *name;   /* unique across the program */
	const char *sql;
	int nparams;
};

struct db;
struct db_conn;

/* Creates a pool of `size` connections to conninfo and opens one to check the address.
 * On failure nothing is allocated. */
int db_open(struct db **out, const char *conninfo, int size, struct err *err);
void db_close(struct db *db);
const char *db_conninfo(const struct db *db);

/* Lends a connection (waits up to 10 s for a free one). */
int db_acquire(struct db *db, struct db_conn **out, struct err *err);
void db_release(struct db *db, struct db_conn *c);
PGconn *db_conn_pg(struct db_conn *c);

/* Runs a prepared statement with text parameters (NULL = SQL NULL). On success returns the
 * number of rows (or affected rows) and, if res is not NULL, the result (caller PQclears).
 * Errors: SP_ECONFLICT (unique violation), SP_EINVAL (check/foreign key/bad value),
 * SP_EUNAVAIL (connection lost), SP_EDB otherwise; err carries the server's message. */
int db_query(struct db_conn *c, const struct db_stmt *st, const char *const *params,
    PGresult **res, struct err *err);

/* db_query on a connection taken from the pool and given back. */
int db_exec(struct db *db, const struct db_stmt *st, const char *const *params,
    PGresult **res, struct err *err);

/* Runs fn inside BEGIN/COMMIT on one connection; ROLLBACK when fn returns < 0. Retries the
 * whole transaction (up to 5 times) on serialization failure or deadlock. */
typedef int (*db_tx_fn)(struct db_conn *c, void *arg, struct err *err);
int db_tx(struct db *db, db_tx_fn fn, void *arg, struct err *err);

/* Round trip to the server in milliseconds. */
int db_ping(struct db *db, double *ms, struct err *err);

/* Sends NOTIFY channel, payload (inside the caller's transaction if any). */
int db_notify(struct db_conn *c, const char *channel, const char *payload, struct err *err);

void db_pool_stats(struct db *db, int *size, int *in_use, int *open);

/* A dedicated connection that LISTENs on channels. */
struct db_listener;
int db_listener_open(struct db_listener **out, const char *conninfo,
    const char *const *channels, int nchannels, struct err *err);
/* Waits up to timeout_ms for a notification. Returns 1 and fills channel/payload when one came,
 * 0 on timeout or right after a reconnection (notifications may have been missed while it was
 * down), < 0 when the connection is lost (the next call reconnects and re-LISTENs). */
int db_listener_wait(struct db_listener *l, int timeout_ms, char *channel, size_t chlen,
    char *payload, size_t plen, struct err *err);
void db_listener_close(struct db_listener *l);

/* Helpers to read results: NULL-safe value access. */
const char *db_val(const PGresult *r, int row, int col);  /* NULL for SQL NULL */
long long db_ll(const PGresult *r, int row, int col);     /* 0 for NULL */
bool db_bool(const PGresult *r, int row, int col);

#endif
