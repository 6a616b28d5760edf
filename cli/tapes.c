/* tapes: `setpost tapes [--find TEXT] [--csv] [--mhl TAPE]` prints the LTO catalogue: each
 * tape, where it is kept, its cards, files and space; with --find, which tapes hold a clip or
 * file; with --csv, every file on every tape; with --mhl, one tape's files as an ASC MHL
 * manifest (lib/archive/catalogue.h). */
#include "cli.h"
#include "lib/archive/catalogue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char tapes_synopsis[] =
	"usage: setpost tapes [--find CLIP | --csv | --mhl TAPE] [options]\n\n"
	"Lists the LTO tapes setpost wrote: label, barcode, where each is kept (setpost volume mark\n"
	"LABEL --location vault), state, verified files, bytes and free space, and its cards. --find\n"
	"CLIP: only the tapes holding a clip or file whose name contains CLIP, with the files. --csv:\n"
	"every file on every tape, in tape order, as CSV. --mhl TAPE (its label, barcode or id): the\n"
	"files verified on that tape as an ASC MHL v2 manifest, with their hashes and the tape's\n"
	"identity, on standard output.";

static void
tapes_print(json_t *items)
{
	json_t *t, *m, *k;
	size_t i, j;

	if (json_array_size(items) == 0)
		printf("no tapes\n");

	json_array_foreach(items, i, t) {
		printf("tape %s", json_string_value(json_object_get(t, "label")));
		if (json_string_value(json_object_get(t, "barcode")))
			printf(" [%s]", json_string_value(json_object_get(t, "barcode")));
		printf(": %s, kept %s, %lld files verified (%.1f MB)",
		    json_string_value(json_object_get(t, "state")),
		    json_string_value(json_object_get(t, "location")),
		    (long long)json_integer_value(json_object_get(t, "files")),
		    (double)json_integer_value(json_object_get(t, "bytes")) / 1e6);
		if (json_integer_value(json_object_get(t, "files_unverified")))
			printf(", %lld not verified",
			    (long long)json_integer_value(json_object_get(t, "files_unverified")));
		printf(", %.1f MB free; cards:", (double)json_integer_value(json_object_get(t,
		    "bytes_free")) / 1e6);
		json_array_foreach(json_object_get(t, "cards"), j, k)
			printf(" %s", json_string_value(k));
		printf("\n");
		json_array_foreach(json_object_get(t, "matches"), j, m)
			printf("  %s %s %s (#%lld on tape, %s)\n",
			    json_string_value(json_object_get(m, "card")),
			    json_string_value(json_object_get(m, "file")),
			    json_string_value(json_object_get(m, "tape_path")),
			    (long long)json_integer_value(json_object_get(m, "seq")),
			    json_string_value(json_object_get(m, "state")));
	}
}

int
cmd_tapes(int argc, char **argv)
{
	int missing = 0, rc, csv = 0;
	const char *find = cli_take_flag(&argc, argv, "--find", &missing);
	const char *mhl = cli_take_flag(&argc, argv, "--mhl", &missing);
	struct config cfg;
	struct pgembed pg;
	struct db *db;
	struct err err;

	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--csv") == 0) {
			csv = 1;
			memmove(&argv[i], &argv[i + 1], (size_t)(argc - i) * sizeof(char *));
			argc--;
			break;
		}
	if ((rc = cli_config(&cfg, CONFIG_DB, argc, argv, tapes_synopsis)) >= 0)
		return rc;
	if (missing || cfg.nargs != 0 || (csv + !!find + !!mhl) > 1) {
		rc = cli_fail("tapes", "expected one of --find CLIP, --csv or --mhl TAPE (see --help)");
		goto out;
	}
	if (cli_db_open(&cfg, &pg, &db, CLI_DB_MIGRATE, &err) < 0) {
		rc = cli_fail("tapes", "%s", err.msg);
		goto out;
	}
	if (csv || mhl) {
		struct buf b = BUF_INIT(0);
		char *end;
		long long id = mhl ? strtoll(mhl, &end, 10) : 0;
		const char *stage = cfg.data_dir && access(cfg.data_dir, W_OK) == 0 ? cfg.data_dir :
		    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
		if (mhl && (*end || id < 1))
			id = 0;
		rc = mhl ? catalogue_mhl(db, id, id ? NULL : mhl, stage, &b, NULL, 0, &err) :
		    catalogue_csv(db, &b, &err);
		if (rc == 0 && b.len)
			fwrite(b.data, 1, b.len, stdout);
		buf_release(&b);
	} else {
		json_t *items;
		if ((rc = catalogue_tapes(db, find, &items, &err)) == 0) {
			tapes_print(items);
			json_decref(items);
		}
	}
	if (rc < 0)
		rc = cli_fail("tapes", "%s", err.msg);
	cli_db_close(&pg, db);
out:
	config_release(&cfg);
	return rc;
}
