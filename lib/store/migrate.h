/*
 * migrate: the database schema, as numbered SQL files in migrations/ compiled into the binary.
 * Each migration runs in its own transaction and is recorded in schema_migrations; an advisory
 * lock keeps two processes from migrating at once. setpost refuses a database whose schema is
 * newer than the migrations it knows.
 */
#ifndef SETPOST_MIGRATE_H
#define SETPOST_MIGRATE_H

#include "lib/store/db.h"
#include "lib/core/err.h"

struct migration {
	int version;
	const char *name;
	const char *sql;
};

extern const struct migration migrations[];
extern const int migrations_count;

/* Applies the missing migrations. Returns how many were applied, or < 0:
 * SP_EUNSUPPORTED when the database is newer than this program. */
int migrate_apply(struct db *db, struct err *err);

/* Current schema version of the database (0 when none). */
int migrate_version(struct db *db, int *version, struct err *err);

/* Highest version this program knows. */
int migrate_latest(void);

#endif
