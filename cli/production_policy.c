/* production policy: `setpost production policy [--copies N] [--media-types N] [--archive A]
 * [--offsite yes|no] [--production NAME]` shows, or changes then shows, the production's copy
 * policy: the rule of the second erase gate, "working drives safe to clear"
 * (lib/custody/copy_policy.h). */
#include "cli.h"
#include "lib/custody/copy_policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char policy_synopsis[] =
	"usage: setpost production policy [--copies N] [--media-types N] [--archive A]\n"
	"                                 [--offsite yes|no] [--production NAME] [options]\n\n"
	"Shows the production's copy policy, or changes what is given first. A card is safe to\n"
	"format with the required verified copies on distinct volumes ('production copies N'); the\n"
	"working drives are safe to clear only when, besides, every file has N verified copies\n"
	"(--copies; a post house's verified receipt counts as one) on N media types (--media-types:\n"
	"disk, lto, cloud, receipt), an archive copy (--archive lto, receipt, lto_or_receipt or\n"
	"none) and one copy offsite (--offsite: a volume not on set, or the receipt). Without a\n"
	"policy: 3 copies, 2 media types, LTO or receipt, offsite.";

static int
policy_patch(json_t *patch, const char *copies, const char *types, const char *archive,
    const char *offsite)
{
	char *end;
	long long n;

	if (copies) {
		if ((n = strtoll(copies, &end, 10)) < 1 || n > 10 || *end)
			return cli_fail("production", "--copies: expected 1 to 10");
		json_object_set_new(patch, "copies", json_integer(n));
	}
	if (types) {
		if ((n = strtoll(types, &end, 10)) < 1 || n > 4 || *end)
			return cli_fail("production", "--media-types: expected 1 to 4");
		json_object_set_new(patch, "media_types", json_integer(n));
	}
	if (archive)
		json_object_set_new(patch, "archive", json_string(archive));
	if (offsite) {
		if (strcmp(offsite, "yes") && strcmp(offsite, "no"))
			return cli_fail("production", "--offsite: expected yes or no");
		json_object_set_new(patch, "offsite", json_boolean(strcmp(offsite, "yes") == 0));
	}
	return 0;
}

static void
policy_print(json_t *p)
{
	const char *arch = json_string_value(json_object_get(p, "archive"));

	printf("production %s: copy policy %lld verified copies on %lld media types, archive: %s, "
	    "offsite copy: %s%s\n", json_string_value(json_object_get(p, "production")),
	    (long long)json_integer_value(json_object_get(p, "copies")),
	    (long long)json_integer_value(json_object_get(p, "media_types")),
	    strcmp(arch, "lto_or_receipt") == 0 ? "LTO or post-house receipt" :
	    strcmp(arch, "lto") == 0 ? "LTO" : strcmp(arch, "receipt") == 0 ? "post-house receipt" :
	    "none", json_is_true(json_object_get(p, "offsite")) ? "required" : "not required",
	    json_is_true(json_object_get(p, "default")) ? " (the default)" : "");
	printf("  card safe to format: %lld of %lld cards (%lld verified copies on distinct "
	    "volumes)\n", (long long)json_integer_value(json_object_get(p, "safe_to_format")),
	    (long long)json_integer_value(json_object_get(p, "cards")),
	    (long long)json_integer_value(json_object_get(p, "required_copies")));
	printf("  working drives safe to clear: %lld of %lld cards\n",
	    (long long)json_integer_value(json_object_get(p, "safe_to_clear")),
	    (long long)json_integer_value(json_object_get(p, "cards")));
}

int
cmd_production_policy(int argc, char **argv)
{
	int missing = 0, rc;
	const char *name = cli_take_flag(&argc, argv, "--production", &missing);
	const char *copies = cli_take_flag(&argc, argv, "--copies", &missing);
	const char *types = cli_take_flag(&argc, argv, "--media-types", &missing);
	const char *archive = cli_take_flag(&argc, argv, "--archive", &missing);
	const char *offsite = cli_take_flag(&argc, argv, "--offsite", &missing);
	json_t *patch = json_object(), *out = NULL;
	struct config cfg;
	struct pgembed pg;
	struct db *db;
	struct err err;

	if ((rc = cli_config(&cfg, CONFIG_DB, argc, argv, policy_synopsis)) >= 0) {
		json_decref(patch);
		return rc;
	}
	if (missing || cfg.nargs != 0) {
		rc = cli_fail("production", "policy: a flag without its value, or an unexpected "
		    "argument (see 'setpost production policy --help')");
		goto out;
	}
	if ((rc = policy_patch(patch, copies, types, archive, offsite)) != 0)
		goto out;
	long long id;
	char pname[256];
	if ((rc = cli_production_open(&cfg, &pg, &db, name, &id, pname, sizeof pname)) != 0)
		goto out;
	rc = json_object_size(patch) ? copy_policy_set(db, id, patch, "cli", &out, &err) :
	    copy_policy_get(db, id, &out, &err);
	if (rc < 0)
		rc = cli_fail("production", "policy: %s", err.msg);
	else {
		policy_print(out);
		rc = 0;
	}
	cli_db_close(&pg, db);
out:
	json_decref(out);
	json_decref(patch);
	config_release(&cfg);
	return rc;
}
