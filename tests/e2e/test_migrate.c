/* Migrations: applied once each, in order, recorded (a lower number merged later included);
 * concurrent starts do not race; a database
 * newer than the program is refused, by the library and by the command line. */
#include "harness.h"
#include "lib/store/migrate.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>

TestSuite(migrate, .timeout = 120);

Test(migrate, applies_once_and_records)
{
	const char *ci = harness_db_create();
	struct db *db;
	struct err err;
	char out[64];
	int v;

	cr_assert_eq(db_open(&db, ci, 2, &err), 0, "%s", err.msg);
	cr_expect_eq(migrate_apply(db, &err), migrations_count, "%s", err.msg);
	cr_expect_eq(migrate_apply(db, &err), 0, "second run applies nothing");
	cr_expect_eq(migrate_version(db, &v, &err), 0);
	cr_expect_eq(v, migrate_latest());
	harness_sql(ci, "SELECT count(*) FROM schema_migrations", out, sizeof(out));
	cr_expect_eq(strtol(out, NULL, 10), migrations_count);
	harness_sql(ci, "SELECT count(*) FROM information_schema.tables WHERE table_name IN"
	    " ('productions','days','volumes','cards','clips','files','hashes','copies','renditions',"
	    "'targets','deliveries','jobs','events','users','tokens')", out, sizeof(out));
	cr_expect_str_eq(out, "15");
	db_close(db);
}

static const char *race_ci;

static void *
race(void *arg)
{
	struct db *db;
	struct err err;
	int *rc = arg;

	*rc = db_open(&db, race_ci, 1, &err) < 0 ? -100 : migrate_apply(db, &err);
	if (*rc > -100)
		db_close(db);
	return NULL;
}

Test(migrate, concurrent_starts_apply_once)
{
	pthread_t a, b;
	int ra, rb;

	race_ci = harness_db_create();
	pthread_create(&a, NULL, race, &ra);
	pthread_create(&b, NULL, race, &rb);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	cr_expect(ra >= 0 && rb >= 0, "%d %d", ra, rb);
	cr_expect_eq(ra + rb, migrations_count, "applied once in all");
}

Test(migrate, newer_schema_is_refused)
{
	const char *ci = harness_db_create();
	char civ[1024], out[4096];
	struct db *db;
	struct err err;

	snprintf(civ, sizeof(civ), "%s", ci);
	cr_assert_eq(db_open(&db, civ, 1, &err), 0);
	cr_assert_geq(migrate_apply(db, &err), 0);
	harness_sql(civ, "INSERT INTO schema_migrations (version, name) VALUES (9999, 'future')",
	    NULL, 0);
	cr_expect_eq(migrate_apply(db, &err), SP_EUNSUPPORTED);
	cr_expect(strstr(err.msg, "newer than this setpost knows"), "%s", err.msg);
	db_close(db);
	cr_expect_eq(harness_run((const char *[]){ "migrate", "--database-url", civ, NULL }, out,
	    sizeof(out)), 1);
	cr_expect(strstr(out, "setpost migrate: database schema is at version 9999"), "%s", out);
	cr_expect_eq(harness_run((const char *[]){ "serve", "--listen", "127.0.0.1:0",
	    "--database-url", civ, NULL }, out, sizeof(out)), 1);
	cr_expect(strstr(out, "setpost serve: database schema is at version 9999"), "%s", out);
}

/* A migration merged from a parallel branch with a lower number than one already applied
 * (0007 arriving after 0013) is still applied: every unrecorded one runs, in order. */
Test(migrate, lower_number_merged_later_is_applied)
{
	const char *ci = harness_db_create();
	struct db *db;
	struct err err;
	char out[64];

	cr_assert_eq(db_open(&db, ci, 1, &err), 0);
	cr_assert_eq(migrate_apply(db, &err), migrations_count, "%s", err.msg);
	/* As if 0007 had never been there: its objects gone, its record gone. */
	cr_assert_eq(harness_sql(ci, "DROP TRIGGER events_webhooks ON events;"
	    " DROP TRIGGER jobs_webhook_release ON jobs; DROP TRIGGER jobs_failed ON jobs;"
	    " DROP TABLE webhook_deliveries, webhooks;"
	    " DROP FUNCTION setpost_webhook_dispatch, setpost_webhook_release, setpost_job_failed,"
	    "  setpost_webhook_enqueue, setpost_webhook_type, setpost_event_production;"
	    " DROP INDEX jobs_webhook_pending;"
	    " DELETE FROM schema_migrations WHERE version = 7", NULL, 0), 0);
	cr_expect_eq(migrate_apply(db, &err), 1, "%s", err.msg);
	harness_sql(ci, "SELECT count(*) FROM schema_migrations WHERE version = 7", out, sizeof(out));
	cr_expect_str_eq(out, "1");
	harness_sql(ci, "SELECT to_regclass('webhooks') IS NOT NULL", out, sizeof(out));
	cr_expect_str_eq(out, "t");
	db_close(db);
}
