/* archive: `setpost archive --to MOUNT [--card LABEL]... [--day DATE]` writes the production's
 * originals and sound to the LTO tape mounted at MOUNT (an LTFS volume), reads every file back
 * in tape order and records the copies; asks for the next tape when one fills
 * (lib/archive/archive.h). `setpost tapes` lists the catalogue. */
#include "cli.h"
#include "lib/archive/archive.h"
#include "lib/store/params.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char archive_synopsis[] =
	"usage: setpost archive --to MOUNT [--card LABEL]... [--day YYYY-MM-DD]\n"
	"                       [--production NAME] [--order size|name] [--wait SECONDS]\n"
	"                       [--no-progress] [options]\n\n"
	"Writes the registered files of the cards (all of the day, or of the production) to the\n"
	"LTO tape mounted at MOUNT by the LTFS software (a declared volume: 'setpost volume add'),\n"
	"card by card, largest file first (--order name: by name), one file at a time; writes each\n"
	"card's ASC MHL history on the tape, then reads every file back in tape order. When the tape\n"
	"fills, the file that did not fit goes whole to the next tape: mount it at MOUNT and the run\n"
	"goes on (it waits --wait seconds, default 3600; -1: as long as it takes). Run again after a\n"
	"stop: it goes on from the first file not verified on tape.";

struct archive_cli {
	bool quiet;
	char last[512];
};

static int
archive_cli_progress(void *arg, const struct archive_progress *p)
{
	struct archive_cli *a = arg;

	/* Waiting is always said (a person must act); the rest unless --no-progress. */
	if ((!a->quiet || strcmp(p->state, "waiting") == 0) && strcmp(a->last, p->message) != 0) {
		snprintf(a->last, sizeof(a->last), "%s", p->message);
		printf("%s: %s (%d of %d files, %.0f%%)\n", p->state, p->message, p->files_done,
		    p->files_total, p->bytes_total ? 100.0 * (double)p->bytes_done /
		    (double)p->bytes_total : 0.0);
		fflush(stdout);
	}
	return cli_stop != 0;
}

static const struct db_stmt stmt_find = { "archive_cli_find",
	"SELECT id FROM productions WHERE $1::text IS NULL OR name = $1 ORDER BY id LIMIT 2", 1 };
/* Both erase gates of the cards archived, as the cards list shows them. */
static const struct db_stmt stmt_gates = { "archive_cli_gates",
	"SELECT k.label, v.safe, w.safe, w.why_not::text FROM cards k JOIN days d ON d.id = k.day_id,"
	" setpost_card_verdict(k.id) v, setpost_card_clear_verdict(k.id) w"
	" WHERE d.production_id = $1 AND ($2::date IS NULL OR d.shoot_date = $2::date)"
	" AND EXISTS (SELECT 1 FROM files f JOIN copies cp ON cp.file_id = f.id"
	"  JOIN tapes t ON t.volume_id = cp.volume_id WHERE f.card_id = k.id)"
	" ORDER BY d.shoot_date, k.label", 2 };

static void
archive_cli_report(struct db *db, json_t *res, long long prod, const char *day)
{
	json_t *t;
	size_t i;
	struct db_params p = { 0 };
	PGresult *r;
	struct err err;
	int n;

	printf("archived: %lld files to write (%.1f MB), %lld written, %lld verified by read-back, "
	    "%lld failed, %lld already on tape\n",
	    (long long)json_integer_value(json_object_get(res, "files")),
	    (double)json_integer_value(json_object_get(res, "bytes")) / 1e6,
	    (long long)json_integer_value(json_object_get(res, "written")),
	    (long long)json_integer_value(json_object_get(res, "verified")),
	    (long long)json_integer_value(json_object_get(res, "failed")),
	    (long long)json_integer_value(json_object_get(res, "already")));
	json_array_foreach(json_object_get(res, "tapes"), i, t)
		printf("  tape %s (%s): %lld files written in this run%s\n",
		    json_string_value(json_object_get(t, "label")),
		    json_string_value(json_object_get(t, "key")),
		    (long long)json_integer_value(json_object_get(t, "files")),
		    json_object_get(t, "state") ? ", full" : "");
	if (json_integer_value(json_object_get(res, "reports_missing")))
		printf("  no offload report on tape for %lld card parts (their ASC MHL history is "
		    "there): %s\n", (long long)json_integer_value(json_object_get(res,
		    "reports_missing")), json_string_value(json_object_get(res, "report_missing_why")));
	db_param_ll(&p, prod);
	db_param_str(&p, day);
	if ((n = db_exec(db, &stmt_gates, p.v, &r, &err)) < 0)
		return;
	for (int k = 0; k < n; k++) {
		json_t *why = json_loads(PQgetvalue(r, k, 3), 0, NULL), *w;
		printf("card %s: safe to format: %s; working drives safe to clear: %s\n",
		    PQgetvalue(r, k, 0), db_bool(r, k, 1) ? "YES" : "no", db_bool(r, k, 2) ? "YES" : "no");
		json_array_foreach(why, i, w)
			if (i < 5)
				printf("  not clear: %s\n", json_string_value(w));
		json_decref(why);
	}
	PQclear(r);
}

int
cmd_archive(int argc, char **argv)
{
	int missing = 0, rc, ncards = 0;
	const char *to = cli_take_flag(&argc, argv, "--to", &missing);
	const char *name = cli_take_flag(&argc, argv, "--production", &missing);
	const char *day = cli_take_flag(&argc, argv, "--day", &missing);
	const char *order = cli_take_flag(&argc, argv, "--order", &missing);
	const char *wait = cli_take_flag(&argc, argv, "--wait", &missing);
	const char *cards[65], *c;
	struct archive_cli a = { false, "" };
	struct archive_opts o = { 0 };
	struct config cfg;
	struct pgembed pg;
	struct db *db;
	struct err err;
	json_t *res = NULL;
	PGresult *r = NULL;
	char *end;

	while ((c = cli_take_flag(&argc, argv, "--card", &missing)) != NULL && ncards < 64)
		cards[ncards++] = c;
	cards[ncards] = NULL;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--no-progress") == 0) {
			a.quiet = true;
			memmove(&argv[i], &argv[i + 1], (size_t)(argc - i) * sizeof(char *));
			argc--;
			break;
		}
	if ((rc = cli_config(&cfg, CONFIG_DB, argc, argv, archive_synopsis)) >= 0)
		return rc;
	o.wait_seconds = 3600;
	if (missing || to == NULL || cfg.nargs != 0) {
		rc = cli_fail("archive", "expected --to MOUNT, and a value after each flag (see --help)");
		goto out;
	}
	if (order && strcmp(order, "size") && strcmp(order, "name")) {
		rc = cli_fail("archive", "--order: expected size or name");
		goto out;
	}
	if (wait && ((o.wait_seconds = strtod(wait, &end)) < -1 || *end || end == wait)) {
		rc = cli_fail("archive", "--wait: expected seconds (-1: as long as it takes)");
		goto out;
	}
	if (day && (strlen(day) != 10 || day[4] != '-' || day[7] != '-')) {
		rc = cli_fail("archive", "--day: expected YYYY-MM-DD");
		goto out;
	}
	if (cli_db_open(&cfg, &pg, &db, CLI_DB_MIGRATE, &err) < 0) {
		rc = cli_fail("archive", "%s", err.msg);
		goto out;
	}
	const char *p[1] = { name };
	if ((rc = db_exec(db, &stmt_find, p, &r, &err)) != 1) {
		rc = rc < 0 ? cli_fail("archive", "%s", err.msg) : cli_fail("archive", rc == 0 ?
		    "no production%s%s" : "several productions: name one with --production%s%s",
		    name ? " " : "", name ? name : "");
		if (r)
			PQclear(r);
		cli_db_close(&pg, db);
		goto out;
	}
	o.production_id = db_ll(r, 0, 0);
	PQclear(r);
	o.tape = to;
	o.day = day;
	o.cards = ncards ? cards : NULL;
	o.order = order && strcmp(order, "name") == 0 ? ARCHIVE_BY_NAME : ARCHIVE_LARGEST_FIRST;
	o.actor = "cli";
	/* The history is staged in the data folder (or the temporary folder without one). */
	o.data_dir = cfg.data_dir && access(cfg.data_dir, W_OK) == 0 ? cfg.data_dir : NULL;
	o.stage_dir = o.data_dir ? o.data_dir : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	o.progress = archive_cli_progress;
	o.arg = &a;
	cli_signals_oneshot();
	rc = archive_run(db, &o, &res, &err);
	if (res)
		archive_cli_report(db, res, o.production_id, day);
	json_decref(res);
	cli_db_close(&pg, db);
	rc = rc < 0 ? cli_fail("archive", "%s", err.msg) : 0;
out:
	config_release(&cfg);
	return rc;
}
