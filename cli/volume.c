/* volume: `setpost volume add NAME PATH` declares a folder of this host as a volume (the only
 * folders, with the data folder, that the server and workers touch: lib/custody/confine.h);
 * `setpost volume list` shows them. */
#include "cli.h"
#include "lib/custody/confine.h"
#include "lib/custody/locate.h"
#include "lib/store/event.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char volume_synopsis[] =
	"usage: setpost volume add NAME PATH [options]\n"
	"       setpost volume list [options]\n"
	"       setpost volume mark VOLUME [--kind KIND] [--location PLACE] [options]\n"
	"       setpost volume mount VOLUME PATH [options]\n"
	"       setpost volume mounts [options]\n\n"
	"add declares the folder PATH (a RAID, a shuttle drive, a card reader's mount) as a\n"
	"volume: the server and the workers read originals, copy and register copies only under\n"
	"declared volumes. Not /, a system folder, nor the data folder.\n"
	"mark says what a volume holding copies is (VOLUME: its name or id in GET /api/v1/volumes):\n"
	"--kind disk, raid, shuttle, lto, nas, cloud or card (its media type for the copy policy)\n"
	"and --location on_set, vault, post_house or offsite (a copy off set counts as offsite).\n"
	"mount records where THIS host (SETPOST_HOST, else its host name) sees a volume that copies\n"
	"were registered on (VOLUME: its id or name, see mounts), for a worker on another host\n"
	"reading the same shared storage at another path; PATH must lie under a declared volume.\n"
	"mounts lists those volumes with each host's mount point.";

/* The volumes copies were registered on (not the declared folders): by id or by name. */
static const struct db_stmt stmt_mark = { "volume_cli_mark",
	"UPDATE volumes SET kind = coalesce($2, kind), location = coalesce($3, location)"
	" WHERE name = $1 OR id::text = $1 RETURNING id, name, kind, location", 3 };
static const struct db_stmt stmt_mark_count = { "volume_cli_mark_count",
	"SELECT count(*) FROM volumes WHERE name = $1 OR id::text = $1", 1 };
static const struct db_stmt stmt_volume_find = { "volume_mount_find",
	"SELECT id FROM volumes WHERE id::text = $1 OR name = $1 ORDER BY id::text = $1 DESC, id", 1 };
static const struct db_stmt stmt_volume_mount = { "volume_mount_set",
	"INSERT INTO volume_mounts (volume_id, host, mount_path) VALUES ($1, $2, $3)"
	" ON CONFLICT (volume_id, host) DO UPDATE SET mount_path = EXCLUDED.mount_path", 3 };
static const struct db_stmt stmt_mounts = { "volume_mounts_list",
	"SELECT v.id, v.name, coalesce(m.host, '-'), coalesce(m.mount_path, '-') FROM volumes v"
	" LEFT JOIN volume_mounts m ON m.volume_id = v.id ORDER BY v.id, m.host", 0 };

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

/* One connection for the check and the write, so a refusal changes nothing. */
static int
volume_mount(struct db *db, const char *volume, const char *path)
{
	char real[PATH_MAX], host[256], vid[24];
	const char *pf[1] = { volume }, *pm[3] = { vid, host, real };
	struct db_conn *c;
	struct err err;
	PGresult *r;
	int n, rc;

	if (volume == NULL || path == NULL)
		return cli_fail("volume", "mount: expected VOLUME PATH (see --help)");
	if (realpath(path, real) == NULL)
		return cli_fail("volume", "%s: %s", path, strerror(errno));
	locate_host(host, sizeof(host));
	if (db_acquire(db, &c, &err) < 0)
		return cli_fail("volume", "%s", err.msg);
	if ((n = db_query(c, &stmt_volume_find, pf, &r, &err)) < 0) {
		rc = cli_fail("volume", "%s", err.msg);
		goto out;
	}
	snprintf(vid, sizeof(vid), "%s", n > 0 ? PQgetvalue(r, 0, 0) : "");
	PQclear(r);
	if (n == 0)
		rc = cli_fail("volume", "mount: no volume '%s' (see setpost volume mounts)", volume);
	else if (confine_check(c, "PATH", real, &err) < 0)
		rc = cli_fail("volume", "mount: %s", err.msg);
	else if (db_query(c, &stmt_volume_mount, pm, NULL, &err) < 0)
		rc = cli_fail("volume", "%s", err.msg);
	else
		rc = printf("volume %s: mounted at %s on host %s\n", vid, real, host) < 0;
out:
	db_release(db, c);
	return rc;
}

static int
volume_mounts(struct db *db)
{
	struct err err;
	PGresult *r;
	int n;

	if ((n = db_exec(db, &stmt_mounts, NULL, &r, &err)) < 0)
		return cli_fail("volume", "%s", err.msg);
	printf("%-6s %-20s %-24s %s\n", "ID", "NAME", "HOST", "MOUNT");
	for (int i = 0; i < n; i++)
		printf("%-6s %-20s %-24s %s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
		    PQgetvalue(r, i, 2), PQgetvalue(r, i, 3));
	PQclear(r);
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
		rc = cli_fail("volume", "expected add, list, mark, mount or mounts (see --help)");
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
	else if (strcmp(cfg.args[0], "mount") == 0)
		rc = volume_mount(db, cfg.nargs > 1 ? cfg.args[1] : NULL,
		    cfg.nargs > 2 ? cfg.args[2] : NULL);
	else if (strcmp(cfg.args[0], "mounts") == 0)
		rc = volume_mounts(db);
	else
		rc = cli_fail("volume", "unknown action '%s': expected add, list, mark, mount or "
		    "mounts", cfg.args[0]);
	cli_db_close(&pg, db);
out:
	config_release(&cfg);
	return rc;
}
