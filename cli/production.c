/* production: `setpost production copies N [--production NAME]` sets how many verified copies
 * on distinct volumes a card needs before it is safe to format, and re-judges every card. */
#include "cli.h"
#include "lib/custody/verification.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char production_synopsis[] =
	"usage: setpost production copies N [--production NAME] [options]\n"
	"       setpost production policy [--copies N] ... (see 'setpost production policy --help')\n\n"
	"Sets the verified copies on distinct volumes (1 to 10) every file of a card needs before\n"
	"the card is safe to format, and re-judges every card of the production at once. Without\n"
	"--production, the only production there is.";

static const struct db_stmt stmt_find = { "production_cli_find",
	"SELECT id, name FROM productions WHERE $1::text IS NULL OR name = $1 ORDER BY id LIMIT 2", 1 };

int
cli_production_open(const struct config *cfg, struct pgembed *pg, struct db **db,
    const char *name, long long *id, char *pname, size_t len)
{
	struct err err;
	int rc;

	if (cli_db_open(cfg, pg, db, CLI_DB_MIGRATE, &err) < 0)
		return cli_fail("production", "%s", err.msg);
	if ((rc = cli_production_find(*db, name, id, pname, len)) != 0)
		cli_db_close(pg, *db);
	return rc;
}

int
cli_production_find(struct db *db, const char *name, long long *id, char *pname, size_t len)
{
	const char *p[1] = { name };
	struct err err;
	PGresult *r;
	int rc = db_exec(db, &stmt_find, p, &r, &err);

	if (rc < 0)
		return cli_fail("production", "%s", err.msg);
	if (rc != 1) {
		PQclear(r);
		return cli_fail("production", rc == 0 ? "no production%s%s" : "several productions: "
		    "name one with --production%s%s", name ? " " : "", name ? name : "");
	}
	*id = db_ll(r, 0, 0);
	snprintf(pname, len, "%s", PQgetvalue(r, 0, 1));
	PQclear(r);
	return 0;
}

int
cmd_production(int argc, char **argv)
{
	int missing = 0, rc, cards = 0, safe = 0;
	const char *name;
	struct config cfg;
	struct pgembed pg;
	struct db *db;
	struct err err;
	long long n = 0;
	char *end;

	if (argc > 1 && strcmp(argv[1], "policy") == 0)
		return cmd_production_policy(argc - 1, argv + 1);
	name = cli_take_flag(&argc, argv, "--production", &missing);
	if ((rc = cli_config(&cfg, CONFIG_DB, argc, argv, production_synopsis)) >= 0)
		return rc;
	if (missing || cfg.nargs != 2 || strcmp(cfg.args[0], "copies") != 0 ||
	    (n = strtoll(cfg.args[1], &end, 10)) < 1 || n > 10 || *end) {
		rc = cli_fail("production", "expected 'copies N' with N from 1 to 10 (see --help)");
		goto out;
	}
	long long id;
	char pname[256];
	if ((rc = cli_production_open(&cfg, &pg, &db, name, &id, pname, sizeof pname)) != 0)
		goto out;
	if (custody_required_copies_set(db, id, (int)n, "cli", &cards, &safe, &err) < 0)
		rc = cli_fail("production", "%s", err.msg);
	else
		printf("production %s: %lld verified copies on distinct volumes required; %d "
		    "cards re-checked, %d safe to format\n", pname, n, cards, safe);
	cli_db_close(&pg, db);
out:
	config_release(&cfg);
	return rc;
}
