/* The media jobs end to end: a card of fixture clips (tests/fixtures/make-qc-clips.sh) is
 * registered over HTTP with a volume whose mount path holds them on this host; a real worker
 * loop (in this process) runs probe, thumbnails and QC with the real ffmpeg; then each defect
 * must be flagged where it was put and nowhere else, raw formats described from their names and
 * sidecars, broken files failed on their own clip with a clear reason, thumbnails and the card's
 * contact sheet served with ETag and Cache-Control. Also: cancellation kills and reaps ffmpeg
 * and leaves no output; a failing ffmpeg's last lines reach the job's error. */
#include "harness.h"
#include "lib/core/config.h"
#include "lib/custody/locate.h"
#include "lib/media/ffmpeg.h"
#include "lib/store/jobq.h"
#include "lib/core/log.h"
#include "lib/media/probe.h"
#include "lib/core/proc.h"
#include "lib/store/worker.h"
#include "lib/pipeline/kinds.h"
#include "lib/pipeline/pipeline.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int job_probe_run(struct job *job, struct err *err);
int job_thumbnails_run(struct job *job, struct err *err);
int job_qc_run(struct job *job, struct err *err);

/* Present once lib/pipeline/clipstate.c holds clips on QC findings (see workers/job_qc.c). */
int clipstate_qc_verdict(struct db_conn *c, long long clip_id, bool hold, const char *reason,
    const char *actor, struct err *err) __attribute__((weak));

#define HOST "cart-media-test"

static struct harness_proc srv;
static const char *conninfo;
static struct db *db;
static char data_dir[512], fixtures[512], dbinfo[1024], admin[256];
static struct config cfg;

/* --- fixtures: made once per run, shared by the tests ------------------------------------ */

static void
make_fixtures(void)
{
	const char *base = getenv("SETPOST_TEST_TMP");
	char tmp[600], tail[2048], probe_path[700];
	struct stat st;
	struct err err;

	snprintf(fixtures, sizeof(fixtures), "%s/qc-fixtures", base ? base : "/tmp");
	snprintf(probe_path, sizeof(probe_path), "%s/A001R1AB/A001C023_250101_R1AB.mov", fixtures);
	if (stat(probe_path, &st) == 0)
		return;
	snprintf(tmp, sizeof(tmp), "%s.%d", fixtures, (int)getpid());
	const char *argv[] = { "bash", "tests/fixtures/make-qc-clips.sh", tmp, NULL };
	cr_assert_eq(proc_run(argv, NULL, tail, sizeof(tail), &err), 0, "fixtures: %s", tail);
	/* Another test process may have won the race: its folder is as good as ours. */
	if (rename(tmp, fixtures) < 0) {
		const char *rm[] = { "rm", "-rf", tmp, NULL };
		proc_run(rm, NULL, NULL, 0, &err);
	}
}

static void
start(void)
{
	struct err err;

	make_fixtures();
	conninfo = harness_db_create();
	cr_assert_not_null(conninfo);
	snprintf(dbinfo, sizeof(dbinfo), "%s", conninfo);
	snprintf(data_dir, sizeof(data_dir), "%s", harness_tmpdir("media-data"));
	cr_assert_eq(harness_serve(&srv, dbinfo, data_dir), 0, "log %s", srv.log);
	/* harness_token answers in a buffer the next call reuses: keep a copy. */
	cr_assert_not_null(harness_token(dbinfo, "admin"));
	snprintf(admin, sizeof(admin), "%s", harness_token(dbinfo, "admin"));
	harness_bearer = admin;
	log_set_level(LOG_WARN);
	cr_assert_eq(db_open(&db, dbinfo, 8, &err), 0, "%s", err.msg);
	setenv("SETPOST_HOST", HOST, 1);
	locate_set_host(HOST);  /* the in-process worker: what cli_config does */
	memset(&cfg, 0, sizeof(cfg));
	cfg.data_dir = data_dir;
}

static void
stop(void)
{
	db_close(db);
	cr_expect_eq(harness_stop(&srv), 0, "log %s", srv.log);
}

TestSuite(media, .init = start, .fini = stop, .timeout = 240);

/* --- registering the card ---------------------------------------------------------------- */

struct fx {
	const char *path;       /* under the fixtures folder */
	const char *clip;
	const char *role;
};

static const struct fx card_files[] = {
	{ "A001R1AB/A001C001_250101_R1AB.mov", "A001C001_250101_R1AB", "media" },
	{ "A001R1AB/A001C002_250101_R1AB.mov", "A001C002_250101_R1AB", "media" },
	{ "A001R1AB/A001C003_250101_R1AB.mov", "A001C003_250101_R1AB", "media" },
	{ "A001R1AB/A001C004_250101_R1AB.mov", "A001C004_250101_R1AB", "media" },
	{ "A001R1AB/A001C005_250101_R1AB.mov", "A001C005_250101_R1AB", "media" },
	{ "A001R1AB/A001C006_250101_R1AB.mov", "A001C006_250101_R1AB", "media" },
	{ "A001R1AB/A001C007_250101_R1AB.mov", "A001C007_250101_R1AB", "media" },
	{ "A001R1AB/A001C008_250101_R1AB.mov", "A001C008_250101_R1AB", "media" },
	{ "A001R1AB/A001C009_250101_R1AB.mov", "A001C009_250101_R1AB", "media" },
	{ "A001R1AB/A001C010_250101_R1AB.mov", "A001C010_250101_R1AB", "media" },
	{ "A001R1AB/A001C011_250101_R1AB/A001C011_250101_R1AB.0086400.ari", "A001C011_250101_R1AB",
	  "media" },
	{ "A001R1AB/A001C011_250101_R1AB/A001C011_250101_R1AB.0086401.ari", "A001C011_250101_R1AB",
	  "media" },
	{ "A001R1AB/A001C011_250101_R1AB/A001C011_250101_R1AB.0086402.ari", "A001C011_250101_R1AB",
	  "media" },
	{ "A001R1AB/A001_08151512_C012.braw", "A001_08151512_C012", "media" },
	{ "A001R1AB/A001_08151512_C012.sidecar", "A001_08151512_C012", "sidecar" },
	{ "A001R1AB/A001_C013_0101AB.RDC/A001_C013_0101AB_001.R3D", "A001_C013_0101AB", "media" },
	{ "A001R1AB/A001_C013_0101AB.RDC/A001_C013_0101AB_002.R3D", "A001_C013_0101AB", "segment" },
	{ "A001R1AB/A001C020_250101_R1AB.mov", "A001C020_250101_R1AB", "media" },
	{ "A001R1AB/A001C021_250101_R1AB.mov", "A001C021_250101_R1AB", "media" },
	{ "A001R1AB/A001C022_250101_R1AB.mov", "A001C022_250101_R1AB", "media" },
	{ "A001R1AB/A001C023_250101_R1AB.mov", "A001C023_250101_R1AB", "media" },
};
#define NFILES (sizeof(card_files) / sizeof(card_files[0]))

/* Scene and take of the clips QC compares: C001..C004 are one setup; the others stand alone. */
static json_t *
clips_json(void)
{
	static const struct { const char *name, *scene, *take; bool circled; } clips[] = {
		{ "A001C001_250101_R1AB", "7A", "1", true },
		{ "A001C002_250101_R1AB", "7A", "2", false },
		{ "A001C003_250101_R1AB", "7A", "3", false },
		{ "A001C004_250101_R1AB", "7A", "4", false },
		{ "A001C005_250101_R1AB", "8", "1", false },
		{ "A001C006_250101_R1AB", "9", "1", false },
		{ "A001C007_250101_R1AB", "10", "1", false },
		{ "A001C008_250101_R1AB", "11", "1", false },
		{ "A001C009_250101_R1AB", "12", "1", false },
		{ "A001C010_250101_R1AB", "13", "1", false },
	};
	json_t *a = json_array();

	for (size_t i = 0; i < sizeof(clips) / sizeof(clips[0]); i++)
		json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:b}", "name", clips[i].name, "scene",
		    clips[i].scene, "take", clips[i].take, "circled", clips[i].circled));
	return a;
}

/* A copy on a volume mounted at mount on HOST (the first one unreadable on purpose). */
static json_t *
copy_json(const char *key, const char *name, const char *mount, const struct fx *files, size_t n)
{
	json_t *f = json_array();
	char hash[24];

	for (size_t i = 0; i < n; i++) {
		snprintf(hash, sizeof(hash), "%016zx", i + 0x1000);
		json_array_append_new(f, json_pack("{s:s,s:s,s:{s:s}}", "path", files[i].path, "state",
		    "verified", "hashes", "xxh64", hash));
	}
	return json_pack("{s:{s:s,s:s,s:s,s:s},s:o}", "volume", "key", key, "name", name, "host",
	    HOST, "mount_path", mount, "files", f);
}

/* Registers files as one card over HTTP (two verified copies: secured); returns the card id. */
static long long
register_card(const char *label, const struct fx *files, size_t n, json_t *clips)
{
	json_t *doc, *fl = json_array();
	struct harness_resp r;
	char path[1024], hash[24], *body;
	long long card;
	struct stat st;

	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", fixtures, files[i].path);
		cr_assert_eq(stat(path, &st), 0, "%s", path);
		snprintf(hash, sizeof(hash), "%016zx", i + 0x1000);
		json_array_append_new(fl, json_pack("{s:s,s:I,s:s,s:s,s:{s:s}}", "path", files[i].path,
		    "size", (json_int_t)st.st_size, "clip", files[i].clip, "role", files[i].role,
		    "hashes", "xxh64", hash));
	}
	doc = json_pack("{s:s,s:s,s:{s:s,s:s},s:o,s:o,s:[o,o]}", "production", "QC feature", "day",
	    "2026-11-25", "card", "label", label, "camera", "A", "clips", clips ? clips :
	    json_array(), "files", fl, "copies",
	    copy_json("uuid:shuttle-gone", "SHUTTLE", "/nonexistent/shuttle", files, n),
	    copy_json("uuid:raid", "RAID", fixtures, files, n));
	body = json_dumps(doc, JSON_COMPACT);
	harness_declare_volume(&srv, "/nonexistent/shuttle");
	harness_declare_volume(&srv, fixtures);
	harness_http(&srv, "POST", "/api/v1/offloads", body,
	    (const char *[]){ "Content-Type: application/json", NULL }, &r);
	cr_assert_eq(r.status, 201, "%s", r.body);
	cr_assert(strstr(r.body, "\"safe_to_format\":true"), "%s", r.body);
	json_t *res = json_loads(r.body, 0, NULL);
	card = (long long)json_integer_value(json_object_get(res, "card_id"));
	json_decref(res);
	harness_resp_release(&r);
	free(body);
	json_decref(doc);
	return card;
}

/* What clipstate does when clips become secured (pipeline_secured is idempotent, so this is
 * harmless once clipstate calls it itself). */
static void
queue_probes(long long card)
{
	struct db_conn *c;
	struct err err;

	cr_assert_eq(db_acquire(db, &c, &err), 0, "%s", err.msg);
	cr_assert_geq(pipeline_card_secured(c, card, &err), 0, "%s", err.msg);
	db_release(db, c);
}

/* --- the worker, in this process --------------------------------------------------------- */

struct running_worker {
	pthread_t thread;
	struct job_kind kinds[3];
	struct worker_options opt;
	volatile sig_atomic_t stop;
	int rc;
};

static void *
worker_main(void *arg)
{
	struct running_worker *w = arg;
	struct err err;

	w->rc = worker_run(db, w->kinds, 3, &w->opt, &w->stop, &err);
	return NULL;
}

static void
worker_start(struct running_worker *w)
{
	memset(w, 0, sizeof(*w));
	w->kinds[0] = (struct job_kind){ &job_probe_spec, job_probe_run, NULL };
	w->kinds[1] = (struct job_kind){ &job_thumbnails_spec, job_thumbnails_run, NULL };
	w->kinds[2] = (struct job_kind){ &job_qc_spec, job_qc_run, NULL };
	w->opt = (struct worker_options){ "media-test", 2, 10, 0.2, &cfg, NULL };
	pthread_create(&w->thread, NULL, worker_main, w);
}

static void
worker_stop(struct running_worker *w)
{
	w->stop = 1;
	pthread_join(w->thread, NULL);
	cr_expect_eq(w->rc, 0);
}

/* --- SQL helpers ------------------------------------------------------------------------- */

#define sql(...) harness_sqlf(dbinfo, __VA_ARGS__)

static long
sql_long(const char *q)
{
	return strtol(sql("%s", q), NULL, 10);
}

static long
sql_num(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static long
sql_num(const char *fmt, ...)
{
	char q[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	return sql_long(q);
}

static const char *wait_q;
static long wait_want;

static bool
wait_cond(void *arg)
{
	(void)arg;
	return sql_long(wait_q) == wait_want;
}

static bool
wait_sql(const char *q, long want, double seconds)
{
	wait_q = q;
	wait_want = want;
	return harness_wait_until(wait_cond, NULL, seconds);
}

static long long
clip_id(const char *name)
{
	return strtoll(sql("SELECT id FROM clips WHERE name = '%s'", name), NULL, 10);
}

/* --- the whole card ---------------------------------------------------------------------- */

/* A finding expected on a clip: kind, frames (within tolerance) and channel. */
struct want {
	const char *clip;
	const char *kind;
	long start, end;
	int channel;
	const char *severity;
};

static const struct want wanted[] = {
	{ "A001C004_250101_R1AB", "soft_focus", 0, 99, 0, "warning" },
	{ "A001C005_250101_R1AB", "clipped_highlights", 25, 50, 0, "warning" },
	{ "A001C006_250101_R1AB", "crushed_blacks", 25, 50, 0, "warning" },
	{ "A001C007_250101_R1AB", "black", 25, 50, 0, "warning" },
	{ "A001C008_250101_R1AB", "frozen", 25, 62, 0, "error" },
	{ "A001C009_250101_R1AB", "silent_channel", 0, 99, 2, "warning" },
	{ "A001C010_250101_R1AB", "audio_clipping", 25, 49, 1, "warning" },
};

static void
expect_flags(void)
{
	/* Every clean or defective clip: exactly the findings wanted, nothing else. */
	for (int c = 1; c <= 10; c++) {
		char name[32];
		int n = 0;
		snprintf(name, sizeof(name), "A001C%03d_250101_R1AB", c);
		for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++)
			n += strcmp(wanted[i].clip, name) == 0;
		cr_expect_eq(sql_num("SELECT count(*) FROM qc_flags f JOIN clips c ON c.id ="
		    " f.clip_id WHERE c.name = '%s'", name), n, "%s: %s", name,
		    sql("SELECT coalesce(string_agg(kind || ' ' || start_frame || '-' || end_frame, ', '),"
		    " 'none') FROM qc_flags f JOIN clips c ON c.id = f.clip_id WHERE c.name = '%s'", name));
	}
	for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
		const struct want *w = &wanted[i];
		cr_expect_eq(sql_num("SELECT count(*) FROM qc_flags f JOIN clips c ON c.id ="
		    " f.clip_id WHERE c.name = '%s' AND kind = '%s' AND severity = '%s'"
		    " AND abs(start_frame - %ld) <= 2 AND abs(end_frame - %ld) <= 3"
		    " AND channel IS NOT DISTINCT FROM %s", w->clip, w->kind, w->severity, w->start,
		    w->end, w->channel ? (w->channel == 1 ? "1" : "2") : "NULL"), 1,
		    "%s %s %ld-%ld: %s", w->clip, w->kind, w->start, w->end,
		    sql("SELECT coalesce(string_agg(kind || ' ' || severity || ' ' || start_frame || '-' ||"
		    " end_frame || ' ch' || coalesce(channel, 0), ', '), 'none') FROM qc_flags f JOIN clips c"
		    " ON c.id = f.clip_id WHERE c.name = '%s'", w->clip));
	}
	/* A frozen picture is an error by default: the clip is held for a person to look. */
	if (clipstate_qc_verdict) {
		cr_expect_str_eq(sql("SELECT string_agg(name || ' ' || state, ', ' ORDER BY name) FROM"
		    " clips WHERE state = 'qc_hold'"), "A001C008_250101_R1AB qc_hold");
		cr_expect(strstr(sql("SELECT state_reason FROM clips WHERE name ="
		    " 'A001C008_250101_R1AB'"), "QC frozen at 01:00:01:00: picture frozen"));
	}
	/* Timecodes come from the clip's start timecode: frame 25 at 25 fps is one second in. */
	cr_expect_str_eq(sql("SELECT f.start_tc || ' ' || f.end_tc FROM qc_flags f JOIN clips c ON"
	    " c.id = f.clip_id WHERE c.name = 'A001C008_250101_R1AB'"), "01:00:01:00 01:00:02:12");
}

static void
expect_probe(void)
{
	cr_expect_str_eq(sql("SELECT concat_ws(' ', m.status, m.codec, m.width, m.height, m.fps_num ||"
	    " '/' || m.fps_den, m.duration_frames, m.start_tc, m.drop_frame, m.reel, m.audio_channels,"
	    " m.audio_sample_rate, m.camera_make, m.camera_model) FROM clip_media m JOIN clips c ON"
	    " c.id = m.clip_id WHERE c.name = 'A001C001_250101_R1AB'"),
	    "probed prores 320 180 25/1 100 01:00:00:00 f A001R1AB 2 48000 ARRI ALEXA Mini");
	cr_expect_str_eq(sql("SELECT concat_ws(' ', codec, width, fps_num, duration_frames, start_tc,"
	    " reel) FROM clips WHERE name = 'A001C001_250101_R1AB'"),
	    "prores 320 25 100 01:00:00:00 A001R1AB", "the clip's own columns are filled");
	/* Raw: described from names, files and sidecars; no thumbnails or QC queued. */
	cr_expect_str_eq(sql("SELECT concat_ws(' ', m.status, m.decodable, m.duration_frames,"
	    " m.first_frame_number, m.reel, m.camera_make) FROM clip_media m JOIN clips c ON c.id ="
	    " m.clip_id WHERE c.name = 'A001C011_250101_R1AB'"),
	    "vendor_tool f 3 86400 A001R1AB ARRI");
	cr_expect(strstr(sql("SELECT vendor_tool FROM clip_media m JOIN clips c ON c.id = m.clip_id"
	    " WHERE c.name = 'A001C011_250101_R1AB'"), "needs ARRI's software"));
	cr_expect_str_eq(sql("SELECT concat_ws(' | ', m.status, m.camera_model, m.camera_serial,"
	    " m.lens, m.start_tc) FROM clip_media m JOIN clips c ON c.id = m.clip_id"
	    " WHERE c.name = 'A001_08151512_C012'"), "vendor_tool | Blackmagic URSA Mini Pro 12K |"
	    " BMD-12K-0042 | Zeiss CP.3 50mm T2.1 | 10:00:00:00", "from the .sidecar");
	cr_expect(strstr(sql("SELECT vendor_tool FROM clip_media m JOIN clips c ON c.id = m.clip_id"
	    " WHERE c.name = 'A001_C013_0101AB'"), "RED"));
	cr_expect_eq(sql_long("SELECT count(*) FROM jobs j JOIN clips c ON c.id::text ="
	    " j.payload->>'clip_id' WHERE j.kind <> 'probe' AND (c.name LIKE 'A001\\_%%' OR"
	    " c.name IN ('A001C011_250101_R1AB', 'A001C020_250101_R1AB', 'A001C021_250101_R1AB',"
	    " 'A001C022_250101_R1AB', 'A001C023_250101_R1AB'))"), 0);
}

static void
expect_failures(void)
{
	static const struct { const char *clip, *why; } bad[] = {
		{ "A001C020_250101_R1AB", "A001R1AB/A001C020_250101_R1AB.mov: the file is empty (0 bytes)" },
		{ "A001C021_250101_R1AB", "A001R1AB/A001C021_250101_R1AB.mov: not a media file: it starts"
		  " with \"Call she\"" },
		{ "A001C022_250101_R1AB", "A001R1AB/A001C022_250101_R1AB.mov: its name says QuickTime"
		  " (.mov) but it holds WAV (wav): the name lies about its type" },
		{ "A001C023_250101_R1AB", "A001R1AB/A001C023_250101_R1AB.mov: ffmpeg cannot read it: a"
		  " QuickTime file cut short or damaged" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		long long id = clip_id(bad[i].clip);
		cr_expect_str_eq(sql("SELECT state || ' ' || attempts FROM jobs WHERE kind = 'probe' AND"
		    " payload->>'clip_id' = '%lld'", id), "dead 1", "%s: not retried", bad[i].clip);
		cr_expect(strstr(sql("SELECT last_error FROM jobs WHERE kind = 'probe' AND"
		    " payload->>'clip_id' = '%lld'", id), bad[i].why), "%s: %s", bad[i].clip, sql("SELECT"
		    " last_error FROM jobs WHERE kind = 'probe' AND payload->>'clip_id' = '%lld'", id));
		cr_expect(strstr(sql("SELECT status || ': ' || error FROM clip_media WHERE clip_id = %lld",
		    id), bad[i].why), "%s recorded on the clip", bad[i].clip);
	}
}

static void
expect_measures(void)
{
	cr_expect_str_eq(sql("SELECT concat_ws(' ', q.frames, q.luma_max < 0.96, q.clipped_share,"
	    " q.crushed_share, q.decode_errors, jsonb_array_length(q.focus)) FROM clip_qc q JOIN"
	    " clips c ON c.id = q.clip_id WHERE c.name = 'A001C001_250101_R1AB'"), "100 t 0 0 0 8",
	    "a focus sample every 13 frames (0.5 s at 25 fps)");
	cr_expect_str_eq(sql("SELECT round(q.clipped_share::numeric, 2) FROM clip_qc q JOIN clips c"
	    " ON c.id = q.clip_id WHERE c.name = 'A001C005_250101_R1AB'"), "0.26");
	cr_expect_str_eq(sql("SELECT concat_ws(' ', (q.audio->0->>'peak_db')::float8,"
	    " (q.audio->0->>'rms_db')::float8, (q.audio->1->>'peak_db')::float8) FROM clip_qc q JOIN clips c ON c.id = q.clip_id"
	    " WHERE c.name = 'A001C001_250101_R1AB'"), "-12.04 -15.05 -12.04");
	cr_expect_str_eq(sql("SELECT concat_ws(' ', (q.audio->0->>'peak_db')::float8,"
	    " (q.audio->1->>'peak_db')::float8, (q.audio->1->>'silent_seconds')::float8) FROM clip_qc q JOIN clips c ON c.id = q.clip_id"
	    " WHERE c.name = 'A001C009_250101_R1AB'"), "-12.04 4", "a silent channel has no peak");
	cr_expect_str_eq(sql("SELECT (q.audio->0->>'peak_db')::float8 FROM clip_qc q JOIN clips c ON c.id ="
	    " q.clip_id WHERE c.name = 'A001C010_250101_R1AB'"), "0");
	/* The blurred take scores far below the sharp ones. */
	cr_expect_eq(sql_long("SELECT count(*) FROM clip_qc q JOIN clips c ON c.id = q.clip_id"
	    " WHERE c.name = 'A001C004_250101_R1AB' AND q.focus_median * 10 < (SELECT min(q2.focus_median)"
	    " FROM clip_qc q2 JOIN clips c2 ON c2.id = q2.clip_id WHERE c2.scene = '7A'"
	    " AND c2.take <> '4')"), 1);
}

/* Thumbnails on disk: whole JPEGs under their real names, nothing temporary left. */
static void
expect_thumbnail_files(long long card)
{
	long long id = clip_id("A001C001_250101_R1AB");
	char path[1200];
	unsigned char head[2];
	FILE *f;
	DIR *d;
	struct dirent *e;

	cr_expect_str_eq(sql("SELECT count(*) || ' ' || min(n) || ' ' || max(n) FROM clip_thumbnails"
	    " WHERE clip_id = %lld", id), "9 0 8");
	cr_expect_str_eq(sql("SELECT frame || ' ' || timecode || ' ' || width || 'x' || height FROM"
	    " clip_thumbnails WHERE clip_id = %lld AND n = 0", id), "50 01:00:02:00 320x180");
	for (int n = 0; n <= 8; n++) {
		snprintf(path, sizeof(path), "%s/media/thumbs/%lld/%d.jpg", data_dir, id, n);
		f = fopen(path, "rb");
		cr_expect_not_null(f, "%s", path);
		cr_expect(f && fread(head, 1, 2, f) == 2 && head[0] == 0xff && head[1] == 0xd8, "%s", path);
		if (f)
			fclose(f);
	}
	snprintf(path, sizeof(path), "%s/media/thumbs/%lld", data_dir, id);
	d = opendir(path);
	while (d && (e = readdir(d)) != NULL)
		cr_expect(strncmp(e->d_name, ".tmp", 4) != 0 && !strstr(e->d_name, ".new"),
		    "left behind: %s", e->d_name);
	if (d)
		closedir(d);
	cr_expect_str_eq(sql("SELECT clips FROM card_contact_sheets WHERE card_id = %lld", card), "10");
	snprintf(path, sizeof(path), "%s/media/contact/%lld.jpg", data_dir, card);
	cr_expect_eq(access(path, R_OK), 0, "%s", path);
}

/* The API: media document, pictures with caching headers, roles. */
static void
expect_api(long long card)
{
	long long id = clip_id("A001C008_250101_R1AB"), bad = clip_id("A001C021_250101_R1AB");
	struct harness_resp r;
	char url[128], etag[80], cache[80], inm[128], editor[128], type[64];
	json_t *j;

	snprintf(url, sizeof(url), "/api/v1/clips/%lld/media", id);
	harness_http(&srv, "GET", url, NULL, NULL, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	j = json_loads(r.body, 0, NULL);
	cr_expect_str_eq(json_string_value(json_object_get(json_object_get(j, "probe"), "codec")),
	    "prores");
	cr_expect_eq(json_array_size(json_object_get(j, "thumbnails")), 9);
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(j, "flags"), 0),
	    "kind")), "frozen");
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(j, "flags"), 0),
	    "start_tc")), "01:00:01:00");
	cr_expect(json_is_object(json_object_get(j, "qc")));
	json_decref(j);
	harness_resp_release(&r);

	snprintf(url, sizeof(url), "/api/v1/clips/%lld/media", bad);
	harness_http(&srv, "GET", url, NULL, NULL, &r);
	cr_expect_eq(r.status, 200);
	cr_expect(strstr(r.body, "\"status\":\"failed\"") && strstr(r.body, "not a media file") &&
	    strstr(r.body, "\"state\":\"dead\""), "%s", r.body);
	harness_resp_release(&r);

	snprintf(url, sizeof(url), "/api/v1/clips/%lld/thumbnails/0.jpg", id);
	harness_http(&srv, "GET", url, NULL, NULL, &r);
	cr_expect_eq(r.status, 200);
	cr_expect(r.len > 1000 && (unsigned char)r.body[0] == 0xff);
	cr_expect(harness_header(&r, "ETag", etag, sizeof(etag)) && etag[0] == '"', "%s", r.headers);
	cr_expect(harness_header(&r, "Cache-Control", cache, sizeof(cache)) &&
	    strstr(cache, "private"), "%s", r.headers);
	cr_expect(harness_header(&r, "Content-Type", type, sizeof(type)) &&
	    strcmp(type, "image/jpeg") == 0);
	harness_resp_release(&r);
	snprintf(inm, sizeof(inm), "If-None-Match: %s", etag);
	harness_http(&srv, "GET", url, NULL, (const char *[]){ inm, NULL }, &r);
	cr_expect_eq(r.status, 304, "unchanged: not sent again");
	harness_resp_release(&r);

	snprintf(editor, sizeof(editor), "Authorization: Bearer %s", harness_token(dbinfo, "editor"));
	snprintf(url, sizeof(url), "/api/v1/cards/%lld/contact-sheet.jpg", card);
	harness_http(&srv, "GET", url, NULL, (const char *[]){ editor, NULL }, &r);
	cr_expect_eq(r.status, 200, "editors may look");
	cr_expect(harness_header(&r, "ETag", etag, sizeof(etag)));
	harness_resp_release(&r);
	harness_http(&srv, "GET", url, NULL, (const char *[]){ "Authorization: Bearer nope", NULL },
	    &r);
	cr_expect_eq(r.status, 401);
	harness_resp_release(&r);

	snprintf(url, sizeof(url), "/api/v1/clips/%lld/thumbnails/42.jpg", id);
	harness_http(&srv, "GET", url, NULL, NULL, &r);
	cr_expect_eq(r.status, 404, "%s", r.body);
	harness_resp_release(&r);
	for (int i = 0; i < 2; i++) {
		snprintf(url, sizeof(url), "/api/v1/clips/%lld/thumbnails/%s", id, i ? "01.jpg" : "x.jpg");
		harness_http(&srv, "GET", url, NULL, NULL, &r);
		cr_expect_eq(r.status, 400, "%s", url);
		harness_resp_release(&r);
	}
	harness_http(&srv, "GET", "/api/v1/clips/999999/media", NULL, NULL, &r);
	cr_expect_eq(r.status, 404, "%s", r.body);
	harness_resp_release(&r);
}

Test(media, a_card_of_defects_each_flagged_where_it_is_and_nowhere_else)
{
	struct running_worker w;
	long long card = register_card("A001R1AB", card_files, NFILES, clips_json());

	queue_probes(card);
	cr_expect_eq(sql_long("SELECT count(*) FROM jobs WHERE kind = 'probe'"), 17);
	worker_start(&w);
	/* 17 probes, then thumbnails and QC for the 10 clips ffmpeg can decode. */
	cr_expect(wait_sql("SELECT count(*) FROM jobs WHERE state IN ('done', 'dead')", 37, 150),
	    "jobs: %s", sql("SELECT string_agg(kind || ':' || state || ':' || coalesce(last_error, ''),"
	    " ', ') FROM jobs WHERE state NOT IN ('done')"));
	worker_stop(&w);
	cr_expect_eq(sql_long("SELECT count(*) FROM jobs WHERE state = 'dead'"), 4, "%s",
	    sql("SELECT string_agg(kind || ' ' || coalesce(last_error, ''), ', ') FROM jobs"
	    " WHERE state = 'dead'"));
	/* Circled takes go first. */
	cr_expect_str_eq(sql("SELECT c.name FROM jobs j JOIN clips c ON c.id::text ="
	    " j.payload->>'clip_id' WHERE j.kind = 'probe' ORDER BY j.started_at, j.id LIMIT 1"),
	    "A001C001_250101_R1AB");
	expect_probe();
	expect_failures();
	expect_flags();
	expect_measures();
	expect_thumbnail_files(card);
	expect_api(card);
	/* Running QC again replaces the findings; it does not add to them. */
	{
		struct db_conn *c;
		struct err err;
		cr_assert_eq(db_acquire(db, &c, &err), 0);
		cr_assert_eq(pipeline_qc(c, clip_id("A001C008_250101_R1AB"), &err), 1);
		db_release(db, c);
		worker_start(&w);
		cr_expect(wait_sql("SELECT count(*) FROM jobs WHERE state IN ('done', 'dead')", 38, 60));
		worker_stop(&w);
		cr_expect_eq(sql_long("SELECT count(*) FROM qc_flags f JOIN clips c ON c.id = f.clip_id"
		    " WHERE c.name = 'A001C008_250101_R1AB'"), 1);
	}
	/* Another lens is another setup: the soft take, shot on a lens of its own, is compared
	 * with no other take, so nothing calls it soft. */
	{
		struct db_conn *c;
		struct err err;
		long long soft = clip_id("A001C004_250101_R1AB");
		sql("UPDATE clip_media SET lens = 'Cooke S4 50mm' WHERE clip_id = %lld", soft);
		cr_assert_eq(db_acquire(db, &c, &err), 0);
		cr_assert_eq(pipeline_qc(c, soft, &err), 1);
		db_release(db, c);
		worker_start(&w);
		cr_expect(wait_sql("SELECT count(*) FROM jobs WHERE state IN ('done', 'dead')", 39, 60));
		worker_stop(&w);
		cr_expect_eq(strtol(sql("SELECT count(*) FROM qc_flags WHERE kind = 'soft_focus'"
		    " AND clip_id = %lld", soft), NULL, 10), 0, "compared across lenses");
	}
}

/* --- cancellation and failures ----------------------------------------------------------- */

/* A stand-in for ffmpeg (a script in a temp folder), used through SETPOST_FFMPEG. */
static void
fake_ffmpeg(const char *script)
{
	static char path[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/fake-ffmpeg", harness_tmpdir("ffmpeg"));
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fprintf(f, "#!/bin/sh\n%s\n", script);
	fclose(f);
	chmod(path, 0755);
	setenv("SETPOST_FFMPEG", path, 1);
	ffmpeg_set_programs(path, NULL);
}

/* Children of this process that are ffmpeg (running, or dead and not reaped). */
static int
ffmpeg_children(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)) != NULL) {
		char path[300], stat[512], comm[64], state;
		int pid, ppid;
		FILE *f;
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(stat, sizeof(stat), f) && sscanf(stat, "%d (%63[^)]) %c %d", &pid, comm,
		    &state, &ppid) == 4 && ppid == getpid() && strcmp(comm, "ffmpeg") == 0)
			n++;
		fclose(f);
	}
	if (d)
		closedir(d);
	return n;
}

static const struct fx one_clip[] = {
	{ "A001R1AB/A001C005_250101_R1AB.mov", "A001C005_250101_R1AB", "media" },
};

Test(media, cancel_kills_ffmpeg_and_leaves_no_output)
{
	struct running_worker w;
	char q[256], dir[700];
	long long card, id;
	DIR *d;
	struct dirent *e;
	int jpgs = 0;

	/* At a fifth of real time the 4 s clip takes 20 s: long enough to cancel halfway even on a
	 * loaded machine (at real time it could finish first, and the test would fail). */
	fake_ffmpeg("exec ffmpeg -readrate 0.2 \"$@\"");
	card = register_card("A009R1AB", one_clip, 1, NULL);
	queue_probes(card);
	id = clip_id("A001C005_250101_R1AB");
	worker_start(&w);
	cr_assert(wait_sql("SELECT count(*) FROM jobs WHERE kind IN ('thumbnails', 'qc') AND"
	    " state = 'running' AND progress > 0.1 AND progress_text <> ''", 2, 30),
	    "%s", sql("SELECT string_agg(kind || ':' || state || ':' || progress, ', ') FROM jobs"));
	cr_expect_eq(ffmpeg_children(), 2, "both jobs' ffmpeg are running");
	for (int i = 0; i < 2; i++) {
		struct err err;
		snprintf(q, sizeof(q), "SELECT id FROM jobs WHERE kind = '%s'", i ? "qc" : "thumbnails");
		cr_expect_eq(jobq_cancel(db, sql_long(q), &err), 0, "%s", err.msg);
	}
	cr_expect(wait_sql("SELECT count(*) FROM jobs WHERE state = 'canceled' AND"
	    " last_error = 'canceled'", 2, 15));
	cr_expect_eq(ffmpeg_children(), 0, "ffmpeg killed and reaped");
	worker_stop(&w);
	cr_expect_eq(sql_num("SELECT (SELECT count(*) FROM clip_qc WHERE clip_id = %lld) +"
	    " (SELECT count(*) FROM qc_flags WHERE clip_id = %lld) + (SELECT count(*) FROM"
	    " clip_thumbnails WHERE clip_id = %lld)", id, id, id), 0, "nothing recorded");
	snprintf(dir, sizeof(dir), "%s/media/thumbs/%lld", data_dir, id);
	d = opendir(dir);
	while (d && (e = readdir(d)) != NULL)
		jpgs += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	if (d)
		closedir(d);
	cr_expect_eq(jpgs, 0, "no picture, whole or half, and no temporary folder in %s", dir);
}

Test(media, a_failing_ffmpeg_leaves_its_last_lines_in_the_job)
{
	struct running_worker w;
	long long card;

	fake_ffmpeg("echo 'Stream #0:0: decoding started' >&2\n"
	    "echo '[prores @ 0x1] invalid frame header' >&2\n"
	    "echo 'Error while decoding stream #0:0: Invalid data found when processing input' >&2\n"
	    "exit 1");
	card = register_card("A010R1AB", one_clip, 1, NULL);
	queue_probes(card);
	worker_start(&w);
	cr_expect(wait_sql("SELECT count(*) FROM jobs WHERE kind = 'qc' AND last_error LIKE"
	    " '%QC pass failed: %invalid frame header | Error while decoding stream #0:0%'", 1, 30),
	    "%s", sql("SELECT string_agg(kind || ': ' || coalesce(last_error, '-'), ', ') FROM jobs"));
	cr_expect(wait_sql("SELECT count(*) FROM jobs WHERE kind = 'thumbnails' AND last_error LIKE"
	    " '%could not make thumbnails: %Invalid data found when processing input'", 1, 30),
	    "%s", sql("SELECT string_agg(kind || ': ' || coalesce(last_error, '-'), ', ') FROM jobs"));
	worker_stop(&w);
	cr_expect_eq(ffmpeg_children(), 0);
	cr_expect_eq(sql_long("SELECT count(*) FROM clip_qc"), 0);
}

/* --- production settings ----------------------------------------------------------------- */

static const struct fx two_clips[] = {
	{ "A001R1AB/A001C007_250101_R1AB.mov", "A001C007_250101_R1AB", "media" },
	{ "A001R1AB/A001C008_250101_R1AB.mov", "A001C008_250101_R1AB", "media" },
};

Test(media, production_settings_move_thresholds_and_bad_ones_are_named)
{
	struct running_worker w;
	struct harness_resp r;
	struct db_conn *c;
	struct err err;
	long long card;

	card = register_card("A011R1AB", two_clips, 2, NULL);
	/* Freezes shorter than 2 s are accepted on this production; black is an error here. */
	harness_http(&srv, "PATCH", "/api/v1/productions/1", "{\"settings\":{\"qc\":"
	    "{\"freeze_min_seconds\":2,\"severity\":{\"black\":\"error\"}}}}",
	    (const char *[]){ "Content-Type: application/json", NULL }, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	harness_resp_release(&r);
	queue_probes(card);
	worker_start(&w);
	cr_expect(wait_sql("SELECT count(*) FROM jobs WHERE kind = 'qc' AND state = 'done'", 2, 60),
	    "%s", sql("SELECT string_agg(kind || ':' || state || ':' || coalesce(last_error, ''), ', ')"
	    " FROM jobs"));
	worker_stop(&w);
	cr_expect_str_eq(sql("SELECT string_agg(c.name || ' ' || f.kind || ' ' || f.severity, ', ')"
	    " FROM qc_flags f JOIN clips c ON c.id = f.clip_id"), "A001C007_250101_R1AB black error",
	    "the 1.5 s freeze is below this production's threshold");
	cr_expect_str_eq(sql("SELECT settings->>'freeze_min_seconds' FROM clip_qc q JOIN clips c ON"
	    " c.id = q.clip_id WHERE c.name = 'A001C008_250101_R1AB'"), "2.0",
	    "each pass records the settings it used");

	/* Settings written wrong (by hand, or an older version): QC fails at once, naming the key. */
	harness_sql(dbinfo, "UPDATE productions SET settings = '{\"qc\":{\"freez_min\":1}}'", NULL, 0);
	cr_assert_eq(db_acquire(db, &c, &err), 0);
	cr_assert_eq(pipeline_qc(c, clip_id("A001C007_250101_R1AB"), &err), 1);
	db_release(db, c);
	worker_start(&w);
	cr_expect(wait_sql("SELECT count(*) FROM jobs WHERE kind = 'qc' AND state = 'dead' AND"
	    " attempts = 1 AND last_error = 'settings.qc.freez_min: unknown setting'", 1, 30), "%s",
	    sql("SELECT string_agg(kind || ':' || state || ':' || coalesce(last_error, ''), ', ')"
	    " FROM jobs WHERE kind = 'qc'"));
	worker_stop(&w);
	cr_expect_eq(sql_long("SELECT count(*) FROM qc_flags"), 1, "the last good pass stays whole");
}
