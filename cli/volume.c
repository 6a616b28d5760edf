/* volume: `setpost volume add NAME PATH` declares a folder of this host as a volume (the only
 * folders, with the data folder, that the server and workers touch: lib/custody/confine.h);
 * `setpost volume list` shows them. */
#include "cli.h"
#include "lib/custody/confine.h"
#include "lib/store/event.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char volume_synopsis[] =
	"usage: setpost volume add NAME PATH [options]\n"
	"       setpost volume list [options]\n"
	"       setpost volume mark VOLUME [--kind KIND] [--location PLACE] [options]\n\n"
	"add declares the folder PATH (a RAID, a shuttle drive, a card reader's mount) as a\n"
	"volume: the server and the workers read originals, copy and register copies only under\n"
	"declared volumes. Not /, a system folder, nor the data folder.\n"
	"mark says what a volume holding copies is (VOLUME: its name or id in GET /api/v1/volumes):\n"
	"--kind disk, raid, shuttle, lto, nas, cloud or card (its media type for the copy policy)\n"
	"and --location on_set, vault, post_house or offsite (a copy off set counts as offsite).";

/* The volumes copies were registered on (not the declared folders): by id or by name. */
static const struct db_stmt stmt_mark = { "volume_cli_mark",
	"UPDATE volumes SET kind = coalesce($2, kind), location = coalesce($3, location)"
	" WHERE name = $1 OR id::text = $1 RETURNING id, name, kind, location", 3 };
static const struct db_stmt stmt_mark_count = { "volume_cli_mark_count",
	"SELECT count(*) FROM volumes WHERE name = $1 OR id::text = $1", 1 };

static const struct db_stmt stmt_list = { "volume_roots_list",
	"SELECT id, name, path, created_by FROM volume_roots ORDER BY path", 0 };

static int
volume_add(struct db *db, const struct config *cfg, const char *name, const char *path)
{
	char real[PATH_MAX], data[PATH_MAX];
	struct err err;
	long long id;
	bool created;
	json_t *ev;

	if (name == NULL || path == NULL)
		return cli_fail("volume", "add: expected NAME PATH (see --help)");
	if (realpath(path, real) == NULL)
		return cli_fail("volume", "%s: %s", path, strerror(errno));
	if (confine_declare(db, name, real, realpath(cfg->data_dir, data) ? data : NULL, "cli", &id,
	    &created, &err) < 0)
		return cli_fail("volume", "%s", err.msg);
	if (created) {
		ev = json_pack("{s:s,s:s}", "name", name, "path", real);
		event_record_db(db, "cli", "volume.declared", "volume_root", id, ev, NULL);
		json_decref(ev);
	}
	printf("volume %lld: %s %s%s\n", id, name, real, created ? "" : " (already declared)");
	return 0;
}

static int
volume_list(struct db *db)
{
	struct err err;
	PGresult *r;
	int n;

	if ((n = db_exec(db, &stmt_list, NULL, &r, &err)) < 0)
		return cli_fail("volume", "%s", err.msg);
	printf("%-6s %-20s %s\n", "ID", "NAME", "PATH");
	for (int i = 0; i < n; i++)
		printf("%-6s %-20s %s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2));
	PQclear(r);
	return 0;
}

static int
volume_mark(struct db *db, const char *which, const char *kind, const char *place)
{
	static const char *const kinds[] = { "disk", "raid", "shuttle", "lto", "nas", "cloud",
		"card", NULL };
	static const char *const places[] = { "on_set", "vault", "post_house", "offsite", NULL };
	const char *p[3] = { which, kind, place };
	const char *const *k = kinds, *const *l = places;
	struct err err;
	PGresult *r;
	int n;

	if (which == NULL || (kind == NULL && place == NULL))
		return cli_fail("volume", "mark: expected VOLUME and --kind or --location (see --help)");
	while (kind && *k && strcmp(*k, kind) != 0)
		k++;
	while (place && *l && strcmp(*l, place) != 0)
		l++;
	if ((kind && *k == NULL) || (place && *l == NULL))
		return cli_fail("volume", kind && *k == NULL ? "--kind: expected disk, raid, shuttle, "
		    "lto, nas, cloud or card" : "--location: expected on_set, vault, post_house or "
		    "offsite");
	if ((n = db_exec(db, &stmt_mark_count, p, &r, &err)) < 0)
		return cli_fail("volume", "%s", err.msg);
	n = (int)db_ll(r, 0, 0);
	PQclear(r);
	if (n != 1)
		return cli_fail("volume", n == 0 ? "mark: no volume '%s' holds copies (see GET "
		    "/api/v1/volumes)" : "mark: several volumes are named '%s': give its id", which);
	if ((n = db_exec(db, &stmt_mark, p, &r, &err)) < 0)
		return cli_fail("volume", "%s", err.msg);
	if (n == 1)
		printf("volume %s: %s, kind %s, kept %s\n", PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1),
		    PQgetvalue(r, 0, 2), PQgetvalue(r, 0, 3));
	PQclear(r);
	return n == 1 ? 0 : cli_fail("volume", "mark: volume '%s' changed meanwhile", which);
}

int
cmd_volume(int argc, char **argv)
{
	struct config cfg;
	struct pgembed pg;
	struct db *db;
	struct err err;
	int rc, missing = 0;
	const char *kind = cli_take_flag(&argc, argv, "--kind", &missing);
	const char *place = cli_take_flag(&argc, argv, "--location", &missing);

	if ((rc = cli_config(&cfg, CONFIG_DB, argc, argv, volume_synopsis)) >= 0)
		return rc;
	if (missing) {
		rc = cli_fail("volume", "--kind and --location need a value (see --help)");
		goto out;
	}
	if (cfg.nargs < 1) {
		rc = cli_fail("volume", "expected add or list (see --help)");
		goto out;
	}
	if (cli_db_open(&cfg, &pg, &db, 1, &err) < 0) {
		rc = cli_fail("volume", "%s", err.msg);
		goto out;
	}
	if (strcmp(cfg.args[0], "add") == 0)
		rc = volume_add(db, &cfg, cfg.nargs > 1 ? cfg.args[1] : NULL,
		    cfg.nargs > 2 ? cfg.args[2] : NULL);
	else if (strcmp(cfg.args[0], "list") == 0)
		rc = volume_list(db);
	else if (strcmp(cfg.args[0], "mark") == 0)
		rc = volume_mark(db, cfg.nargs > 1 ? cfg.args[1] : NULL, kind, place);
	else
		rc = cli_fail("volume", "unknown action '%s': expected add, list or mark", cfg.args[0]);
	cli_db_close(&pg, db);
out:
	config_release(&cfg);
	return rc;
}
