/* Clip states where QC and transcoding meet: the two jobs run side by side after the probe, so
 * QC may speak after the proxies are done. A finding then still holds the clip, and its
 * release gives back proxied, not merely secured. */
#include "harness.h"
#include "lib/pipeline/clipstate.h"
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
	/* One clip whose only active profile (the default, h264_1080) is done. */
	harness_sqlf(ci, "INSERT INTO productions (name) VALUES ('P');"
	    "INSERT INTO days (production_id, shoot_date) VALUES (1, '2026-11-25');"
	    "INSERT INTO cards (day_id, label) VALUES (1, 'A001');"
	    "INSERT INTO clips (card_id, name, state) VALUES (1, 'A001C001', 'proxied');"
	    "INSERT INTO renditions (clip_id, profile, state, rel_path, size, xxh64, finished_at)"
	    " VALUES (1, 'h264_1080', 'done', 'a.mp4', 10, '0123456789abcdef', now())");
}

static void
stop(void)
{
	db_close(db);
}

TestSuite(clipstate, .init = start, .fini = stop, .timeout = 30);

struct verdict {
	bool hold;
};

static int
verdict_tx(struct db_conn *c, void *arg, struct err *err)
{
	const struct verdict *v = arg;

	return clipstate_qc_verdict(c, 1, v->hold, "black frames at 00:00:01:00", "qc", err);
}

Test(clipstate, qc_after_proxies_holds_and_releases_to_proxied)
{
	struct verdict v = { true };
	struct err err = { 0 };

	cr_assert_geq(db_tx(db, verdict_tx, &v, &err), 0, "%s", err.msg);
	cr_expect_str_eq(harness_sqlf(ci, "SELECT state || ' ' || coalesce(state_reason, '')"
	    " FROM clips WHERE id = 1"), "qc_hold black frames at 00:00:01:00");
	v.hold = false;
	cr_assert_geq(db_tx(db, verdict_tx, &v, &err), 0, "%s", err.msg);
	cr_expect_str_eq(harness_sqlf(ci, "SELECT state FROM clips WHERE id = 1"), "proxied");
	cr_expect_str_eq(harness_sqlf(ci, "SELECT string_agg(kind, ',' ORDER BY id) FROM events"
	    " WHERE subject_type = 'clip'"), "clip.qc_hold,clip.qc_released,clip.proxied");
}

Test(clipstate, release_without_proxies_is_secured)
{
	struct verdict v = { true };
	struct err err = { 0 };

	harness_sqlf(ci, "DELETE FROM renditions; UPDATE clips SET state = 'secured'");
	cr_assert_geq(db_tx(db, verdict_tx, &v, &err), 0, "%s", err.msg);
	v.hold = false;
	cr_assert_geq(db_tx(db, verdict_tx, &v, &err), 0, "%s", err.msg);
	cr_expect_str_eq(harness_sqlf(ci, "SELECT state FROM clips WHERE id = 1"), "secured");
}

/* A proxied clip whose copy is found bad is no longer secured: copy_failed, with the reason;
 * secured again (the copy made anew), it is proxied again, as its proxies are still done. */
static int
refresh_tx(struct db_conn *c, void *arg, struct err *err)
{
	(void)arg;
	return clipstate_refresh_card(c, 1, "test", err);
}

Test(clipstate, proxied_clip_losing_a_copy)
{
	struct err err = { 0 };

	harness_sqlf(ci, "UPDATE productions SET required_copies = 1;"
	    "INSERT INTO volumes (name, fs_uuid) VALUES ('RAID', 'u1');"
	    "INSERT INTO files (card_id, clip_id, rel_path, size) VALUES (1, 1, 'A001C001.mov', 10);"
	    "INSERT INTO copies (file_id, volume_id, rel_path, state, verified_at)"
	    " VALUES (1, 1, 'A001C001.mov', 'verified', now())");
	cr_assert_geq(db_tx(db, refresh_tx, NULL, &err), 0, "%s", err.msg);
	cr_expect_str_eq(harness_sqlf(ci, "SELECT state FROM clips WHERE id = 1"), "proxied",
	    "a secured proxied clip keeps its state");
	harness_sqlf(ci, "UPDATE copies SET state = 'failed', error = 'xxh64 differs', verified_at = NULL");
	cr_assert_geq(db_tx(db, refresh_tx, NULL, &err), 0, "%s", err.msg);
	cr_expect_str_eq(harness_sqlf(ci, "SELECT state || ': ' || state_reason FROM clips WHERE id = 1"),
	    "copy_failed: A001C001.mov: copy on RAID failed: xxh64 differs");
	harness_sqlf(ci, "UPDATE copies SET state = 'verified', error = NULL, verified_at = now()");
	cr_assert_geq(db_tx(db, refresh_tx, NULL, &err), 0, "%s", err.msg);
	cr_expect_str_eq(harness_sqlf(ci, "SELECT state FROM clips WHERE id = 1"), "proxied");
}

Test(clipstate, delivered_clip_losing_a_copy_comes_back_delivered)
{
	struct err err = { 0 };

	harness_sqlf(ci, "UPDATE productions SET required_copies = 1;"
	    "UPDATE clips SET state = 'delivered';"
	    "INSERT INTO volumes (name, fs_uuid) VALUES ('RAID', 'u1');"
	    "INSERT INTO files (card_id, clip_id, rel_path, size) VALUES (1, 1, 'A001C001.mov', 10);"
	    "INSERT INTO copies (file_id, volume_id, rel_path, state, verified_at)"
	    " VALUES (1, 1, 'A001C001.mov', 'failed', NULL);"
	    "INSERT INTO targets (production_id, name, url, recipient)"
	    " VALUES (1, 'Lab', 'https://lab.example/', 'age1abc');"
	    "INSERT INTO deliveries (target_id, rendition_id, state, receipt)"
	    " VALUES (1, 1, 'delivered', '{}')");
	cr_assert_geq(db_tx(db, refresh_tx, NULL, &err), 0, "%s", err.msg);
	cr_expect_str_eq(harness_sqlf(ci, "SELECT state FROM clips WHERE id = 1"), "copy_failed");
	harness_sqlf(ci, "UPDATE copies SET state = 'verified', verified_at = now()");
	cr_assert_geq(db_tx(db, refresh_tx, NULL, &err), 0, "%s", err.msg);
	cr_expect_str_eq(harness_sqlf(ci, "SELECT state FROM clips WHERE id = 1"), "delivered");
}
