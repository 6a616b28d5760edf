/* The two erase gates on a real database: "card safe to format" (required copies on distinct
 * volumes) and "working drives safe to clear" (the copy policy). The clear gate must stay shut
 * for each missing piece (a copy short, the archive unverified, the receipt missing, nothing
 * offsite, the card itself not safe) and name it; it opens only when everything is there. */
#include "harness.h"
#include "lib/custody/copy_policy.h"
#include "lib/store/migrate.h"

#include <criterion/criterion.h>
#include <string.h>

static const char *ci;
static struct db *db;

static void
start(void)
{
	struct err err;

	ci = harness_db_create();
	cr_assert_not_null(ci);
	cr_assert_eq(db_open(&db, ci, 2, &err), 0, "%s", err.msg);
	cr_assert_geq(migrate_apply(db, &err), 0, "%s", err.msg);
	/* One card, one file, copies on a RAID and a shuttle on set; an LTO tape; a post house. */
	harness_sqlf(ci, "INSERT INTO productions (name) VALUES ('P');"
	    "INSERT INTO days (production_id, shoot_date) VALUES (1, '2026-11-25');"
	    "INSERT INTO cards (day_id, label) VALUES (1, 'A001');"
	    "INSERT INTO clips (card_id, name) VALUES (1, 'A001C001');"
	    "INSERT INTO files (card_id, clip_id, rel_path, size) VALUES (1, 1, 'A001C001.mov', 10);"
	    "INSERT INTO volumes (name, kind, fs_uuid) VALUES ('raid', 'raid', 'uuid:r'),"
	    " ('shuttle', 'shuttle', 'uuid:s'), ('LTO001', 'lto', 'ltfs:1');"
	    "INSERT INTO copies (file_id, volume_id, rel_path, state, verified_at) VALUES"
	    " (1, 1, 'A001/A001C001.mov', 'verified', now()),"
	    " (1, 2, 'A001/A001C001.mov', 'verified', now());"
	    "INSERT INTO targets (production_id, name, url, recipient) VALUES"
	    " (1, 'lab', 'https://lab.example', 'age1qqqq')");
}

static void
stop(void)
{
	db_close(db);
}

TestSuite(copy_policy, .init = start, .fini = stop, .timeout = 30);

struct gates {
	bool format, clear;
	char why[2048];
};

static struct gates
gates(void)
{
	struct gates g;

	snprintf(g.why, sizeof(g.why), "%s", harness_sqlf(ci, "SELECT why_not::text FROM"
	    " setpost_card_clear_verdict(1)"));
	g.format = strcmp(harness_sqlf(ci, "SELECT safe FROM setpost_card_verdict(1)"), "t") == 0;
	g.clear = strcmp(harness_sqlf(ci, "SELECT safe FROM setpost_card_clear_verdict(1)"), "t") == 0;
	/* The list of cards says what one card says. */
	cr_assert_str_eq(harness_sqlf(ci, "SELECT (setpost_card_clear_verdict(k.id)).safe FROM cards k"
	    " WHERE k.id = 1"), g.clear ? "t" : "f");
	return g;
}

static void
lto_verified(void)
{
	harness_sqlf(ci, "INSERT INTO copies (file_id, volume_id, rel_path, state, verified_at)"
	    " VALUES (1, 3, 'A001/A001C001.mov', 'verified', now())");
}

Test(copy_policy, two_disks_on_set_are_safe_to_format_but_not_to_clear)
{
	struct gates g = gates();

	cr_expect(g.format);
	cr_expect_not(g.clear);
	cr_expect(strstr(g.why, "A001C001.mov: 2 of 3 verified copies; 1 of 2 media types (disk);"
	    " no verified archive (LTO or post-house receipt); no copy offsite"), "%s", g.why);
}

Test(copy_policy, an_archive_copy_not_yet_verified_keeps_the_gate_shut)
{
	harness_sqlf(ci, "UPDATE volumes SET location = 'vault' WHERE id = 3;"
	    "INSERT INTO copies (file_id, volume_id, rel_path) VALUES (1, 3, 'A001/A001C001.mov')");
	struct gates g = gates();
	cr_expect_not(g.clear);
	cr_expect(strstr(g.why, "no verified archive") != NULL, "%s", g.why);
	harness_sqlf(ci, "UPDATE copies SET state = 'failed' WHERE volume_id = 3");
	cr_expect_not(gates().clear);
	harness_sqlf(ci, "UPDATE copies SET state = 'verified', verified_at = now() WHERE volume_id = 3");
	g = gates();
	cr_expect(g.clear, "%s", g.why);
	cr_expect_str_eq(g.why, "[]");
}

Test(copy_policy, the_tape_on_set_is_not_offsite)
{
	lto_verified();
	struct gates g = gates();
	cr_expect_not(g.clear);
	cr_expect(strstr(g.why, "A001C001.mov: no copy offsite\"") != NULL, "%s", g.why);
	harness_sqlf(ci, "UPDATE volumes SET location = 'vault' WHERE id = 3");
	cr_expect(gates().clear);
	/* Offsite not asked: the tape on set is enough. */
	harness_sqlf(ci, "UPDATE volumes SET location = 'on_set' WHERE id = 3;"
	    "INSERT INTO copy_policies VALUES (1, 3, 2, 'lto', false, 't')");
	cr_expect(gates().clear);
}

Test(copy_policy, one_copy_short)
{
	lto_verified();
	harness_sqlf(ci, "UPDATE volumes SET location = 'vault' WHERE id = 3;"
	    "INSERT INTO copy_policies VALUES (1, 4, 2, 'lto_or_receipt', true, 't')");
	struct gates g = gates();
	cr_expect_not(g.clear);
	cr_expect(strstr(g.why, "A001C001.mov: 3 of 4 verified copies\"") != NULL, "%s", g.why);
	/* Two copies on one volume count once. */
	harness_sqlf(ci, "INSERT INTO copies (file_id, volume_id, rel_path, state, verified_at)"
	    " VALUES (1, 1, 'again/A001C001.mov', 'verified', now())");
	cr_expect_not(gates().clear);
	/* The post house's verified receipt is the fourth. */
	harness_sqlf(ci, "INSERT INTO deliveries (target_id, file_id, state, receipt) VALUES"
	    " (1, 1, 'delivered', '{}')");
	cr_expect(gates().clear);
}

Test(copy_policy, receipt_missing)
{
	lto_verified();
	harness_sqlf(ci, "UPDATE volumes SET location = 'vault' WHERE id = 3;"
	    "INSERT INTO copy_policies VALUES (1, 3, 2, 'receipt', true, 't')");
	struct gates g = gates();
	cr_expect_not(g.clear);
	cr_expect(strstr(g.why, "no verified post-house receipt") != NULL, "%s", g.why);
	/* Uploaded is not received: only the receiver's verified receipt counts. */
	harness_sqlf(ci, "INSERT INTO deliveries (target_id, file_id, state) VALUES (1, 1, 'uploaded')");
	cr_expect_not(gates().clear);
	harness_sqlf(ci, "UPDATE deliveries SET state = 'delivered', receipt = '{}'");
	g = gates();
	cr_expect(g.clear, "%s", g.why);
}

Test(copy_policy, never_before_the_card_is_safe_to_format)
{
	harness_sqlf(ci, "INSERT INTO copy_policies VALUES (1, 1, 1, 'none', false, 't');"
	    "UPDATE copies SET state = 'failed' WHERE volume_id = 2");
	struct gates g = gates();
	cr_expect_not(g.format);
	cr_expect_not(g.clear);
	cr_expect(strstr(g.why, "the card is not safe to format yet") != NULL, "%s", g.why);
	harness_sqlf(ci, "UPDATE copies SET state = 'verified' WHERE volume_id = 2");
	cr_expect(gates().clear);
	/* A card without files is never safe. */
	harness_sqlf(ci, "DELETE FROM files");
	cr_expect_not(gates().clear);
}

Test(copy_policy, set_checks_whole_and_changes_nothing_on_bad_input)
{
	struct err err = { 0 };
	json_t *out = NULL, *bad[] = {
		json_pack("{s:i}", "copies", 11),
		json_pack("{s:s}", "archive", "tape"),
		json_pack("{s:i,s:i}", "copies", 2, "media_types", 3),
		json_pack("{s:i,s:i}", "copies", 3, "colour", 1),
		json_pack("{s:s}", "offsite", "yes"),
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_expect_eq(copy_policy_set(db, 1, bad[i], "t", &out, &err), SP_EINVAL, "bad %zu", i);
		json_decref(bad[i]);
	}
	cr_expect_str_eq(harness_sqlf(ci, "SELECT count(*) FROM copy_policies"), "0");
	json_t *empty = json_object();
	cr_expect_eq(copy_policy_set(db, 9, empty, "t", &out, &err), SP_ENOTFOUND);
	json_decref(empty);

	json_t *patch = json_pack("{s:i,s:s}", "copies", 2, "archive", "none");
	cr_assert_eq(copy_policy_set(db, 1, patch, "t", &out, &err), 0, "%s", err.msg);
	json_decref(patch);
	cr_expect_eq(json_integer_value(json_object_get(out, "copies")), 2);
	cr_expect_eq(json_integer_value(json_object_get(out, "media_types")), 2);
	cr_expect_str_eq(json_string_value(json_object_get(out, "archive")), "none");
	cr_expect(json_is_false(json_object_get(out, "default")));
	cr_expect_eq(json_integer_value(json_object_get(out, "safe_to_format")), 1);
	cr_expect_eq(json_integer_value(json_object_get(out, "safe_to_clear")), 0);
	json_decref(out);
	cr_expect_str_eq(harness_sqlf(ci, "SELECT kind FROM events"), "production.copy_policy");
}
