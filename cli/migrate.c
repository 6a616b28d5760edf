/* migrate: bring the database schema up to date (also done at every start). */
#include "cli.h"
#include "lib/store/migrate.h"

#include <stdio.h>

static const char migrate_synopsis[] =
	"usage: setpost migrate [options]\n\n"
	"Applies the schema migrations this setpost carries and prints the resulting version.\n"
	"Refuses a database whose schema is newer than this program.";

int
cmd_migrate(int argc, char **argv)
{
	struct config cfg;
	struct pgembed pg;
	struct db *db;
	struct err err;
	int rc = cli_config(&cfg, CONFIG_DB, argc, argv, migrate_synopsis), version = 0;

	if (rc >= 0)
		return rc;
	if (cli_db_open(&cfg, &pg, &db, 0, &err) < 0 || (rc = migrate_apply(db, &err)) < 0 ||
	    migrate_version(db, &version, &err) < 0) {
		rc = cli_fail("migrate", "%s", err.msg);
		goto out;
	}
	printf("schema at version %d (%d migration(s) applied)\n", version, rc);
	cli_db_close(&pg, db);
	rc = 0;
out:
	config_release(&cfg);
	return rc;
}
