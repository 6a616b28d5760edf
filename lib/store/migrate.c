/* migrate: apply the embedded migrations in order (see migrate.h). */
#include "lib/store/migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Any constant: identifies setpost's migration lock among advisory locks. */
#define MIGRATE_LOCK_KEY "5372615"

static const struct db_stmt stmt_lock = {
	"migrate_lock", "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", 0 };
static const struct db_stmt stmt_unlock = {
	"migrate_unlock", "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")", 0 };
static const struct db_stmt stmt_table = {
	"migrate_table",
	"CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, "
	"name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())", 0 };
static const struct db_stmt stmt_applied = {
	"migrate_applied", "SELECT 1 FROM schema_migrations WHERE version = $1", 1 };
static const struct db_stmt stmt_version = {
	"migrate_version", "SELECT coalesce(max(version), 0) FROM schema_migrations", 0 };
static const struct db_stmt stmt_record = {
	"migrate_record", "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", 2 };

int
migrate_latest(void)
{
	int v = 0;

	for (int i = 0; i < migrations_count; i++)
		if (migrations[i].version > v)
			v = migrations[i].version;
	return v;
}

static int
migrate_sql(struct db_conn *c, const char *sql, const char *what, struct err *err)
{
	/* The only place setpost runs SQL text that is not a prepared statement: the migration
	 * files compiled into the binary, several statements each. */
	PGresult *r = PQexec(db_conn_pg(c), sql);
	int rc = 0;

	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		rc = err_set(err, SP_EDB, "migration %s: %.*s", what,
		    (int)strcspn(PQerrorMessage(db_conn_pg(c)), "\n"), PQerrorMessage(db_conn_pg(c)));
	PQclear(r);
	return rc;
}

static int
migrate_one(struct db_conn *c, const struct migration *m, struct err *err)
{
	char ver[16];
	const char *p[2] = { ver, m->name };
	int rc;

	snprintf(ver, sizeof(ver), "%d", m->version);
	if ((rc = migrate_sql(c, "BEGIN", m->name, err)) < 0)
		return rc;
	if ((rc = migrate_sql(c, m->sql, m->name, err)) < 0 ||
	    (rc = db_query(c, &stmt_record, p, NULL, err)) < 0) {
		migrate_sql(c, "ROLLBACK", m->name, NULL);
		return rc;
	}
	return migrate_sql(c, "COMMIT", m->name, err);
}

static int
migrate_current(struct db_conn *c, int *version, struct err *err)
{
	PGresult *r;
	int rc;

	if ((rc = db_query(c, &stmt_table, NULL, NULL, err)) < 0 ||
	    (rc = db_query(c, &stmt_version, NULL, &r, err)) < 0)
		return rc;
	*version = (int)db_ll(r, 0, 0);
	PQclear(r);
	return 0;
}

static int
migrate_locked(struct db_conn *c, struct err *err)
{
	int current, applied = 0, rc;

	if ((rc = migrate_current(c, &current, err)) < 0)
		return rc;
	if (current > migrate_latest())
		return err_set(err, SP_EUNSUPPORTED, "database schema is at version %d, newer than "
		    "this setpost knows (%d): upgrade setpost before using this database", current,
		    migrate_latest());
	/* Every migration not yet recorded, in order, not only those above the newest recorded:
	 * work merged from parallel branches may bring a lower number later. */
	for (int i = 0; i < migrations_count; i++) {
		char ver[16];
		const char *p[1] = { ver };
		snprintf(ver, sizeof(ver), "%d", migrations[i].version);
		if ((rc = db_query(c, &stmt_applied, p, NULL, err)) < 0)
			return rc;
		if (rc > 0)
			continue;
		if ((rc = migrate_one(c, &migrations[i], err)) < 0)
			return rc;
		applied++;
	}
	return applied;
}

int
migrate_apply(struct db *db, struct err *err)
{
	struct db_conn *c;
	int rc;

	if ((rc = db_acquire(db, &c, err)) < 0)
		return rc;
	if ((rc = db_query(c, &stmt_lock, NULL, NULL, err)) >= 0) {
		rc = migrate_locked(c, err);
		db_query(c, &stmt_unlock, NULL, NULL, NULL);
	}
	db_release(db, c);
	return rc;
}

int
migrate_version(struct db *db, int *version, struct err *err)
{
	struct db_conn *c;
	int rc;

	if ((rc = db_acquire(db, &c, err)) < 0)
		return rc;
	rc = migrate_current(c, version, err);
	db_release(db, c);
	return rc;
}
