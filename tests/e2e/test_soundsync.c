/* Sound sync end to end: a camera card and a sound roll registered over HTTP, the soundsync
 * job (queued by the registration) run by a real worker, against a real PostgreSQL. Covering
 * take, nearest record start, another rate, no timecode, 29.97 drop-frame, scene/take/circled
 * flowing from the sound report, the DIT's manual match kept over a rematch, MOS, roles. */
#include "harness.h"
#include "lib/store/db.h"
#include "lib/media/timecode.h"
#include "lib/store/worker.h"
#include "workers/kinds.h"
#include "lib/pipeline/kinds.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct harness_proc srv;
static const char *conninfo;
static char admin[256], editor[256];
static struct db *db;

static const char *const JSON[] = { "Content-Type: application/json", NULL };

/* --- the worker, in this process ---------------------------------------------------------- */

static struct {
	pthread_t thread;
	struct job_kind kinds[1];
	struct worker_options opt;
	volatile sig_atomic_t stop;
	int rc;
} w;

static void *
worker_main(void *arg)
{
	struct err err;

	(void)arg;
	w.rc = worker_run(db, w.kinds, 1, &w.opt, &w.stop, &err);
	return NULL;
}

static void
start(void)
{
	struct err err;

	conninfo = harness_db_create();
	cr_assert_not_null(conninfo);
	cr_assert_eq(harness_serve(&srv, conninfo, NULL), 0, "log %s", srv.log);
	snprintf(admin, sizeof(admin), "%s", harness_token(conninfo, "admin"));
	snprintf(editor, sizeof(editor), "%s", harness_token(conninfo, "editor"));
	harness_bearer = admin;
	cr_assert_eq(db_open(&db, conninfo, 4, &err), 0, "%s", err.msg);
	memset(&w, 0, sizeof(w));
	w.kinds[0] = (struct job_kind){ &job_soundsync_spec, job_soundsync_run, NULL };
	w.opt = (struct worker_options){ "sound-test", 1, 10, 0.1, NULL, NULL };
	pthread_create(&w.thread, NULL, worker_main, NULL);
}

static void
stop(void)
{
	w.stop = 1;
	pthread_join(w.thread, NULL);
	cr_expect_eq(w.rc, 0);
	db_close(db);
	harness_bearer = NULL;
	cr_expect_eq(harness_stop(&srv), 0, "log %s", srv.log);
}

TestSuite(soundsync, .init = start, .fini = stop, .timeout = 120);

/* --- helpers ----------------------------------------------------------------------------- */

static const char *
sql(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static const char *
sql(const char *fmt, ...)
{
	static char out[8192];
	char q[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	cr_assert_geq(harness_sql(conninfo, q, out, sizeof(out)), 0, "%s", q);
	return out;
}

static long
req(const char *method, const char *path, const char *body, json_t **out)
{
	struct harness_resp r;
	long status;

	cr_assert_eq(harness_http(&srv, method, path, body, body ? JSON : NULL, &r), 0);
	status = r.status;
	if (status >= 400)
		cr_log_info("%s %s -> %ld %s", method, path, status, r.body);
	if (out)
		*out = json_loads(r.body, 0, NULL);
	harness_resp_release(&r);
	return status;
}

static bool
idle(void *arg)
{
	char out[32];

	(void)arg;
	harness_sql(conninfo, "SELECT count(*) FROM jobs WHERE kind = 'soundsync' AND state IN "
	    "('queued', 'running')", out, sizeof(out));
	return strcmp(out, "0") == 0;
}

static void
settle(void)
{
	cr_assert(harness_wait_until(idle, NULL, 20), "soundsync jobs did not finish");
	cr_expect_str_eq(sql("SELECT count(*) FROM jobs WHERE kind = 'soundsync' AND state <> 'done'"),
	    "0");
}

/* A 48 kHz take: clip JSON with the BWF span registration records in metadata.sound. */
static void
take(char *out, size_t len, const char *name, const char *tc, unsigned num, unsigned den,
    bool drop, double seconds, const char *slate)
{
	struct timecode_rate r;
	struct err err;
	int64_t f;
	uint64_t tref;

	cr_assert_eq(timecode_rate_make(num, den, drop, &r, &err), 0, "%s", err.msg);
	cr_assert_eq(timecode_parse(tc, &r, &f, &err), 0, "%s", err.msg);
	cr_assert_eq(timecode_to_samples(f, 48000, &r, &tref, &err), 0);
	snprintf(out, len, "{\"name\":\"%s\",\"start_tc\":\"%s\",\"fps_num\":%u,\"fps_den\":%u%s,"
	    "\"metadata\":{\"sound\":{\"sample_rate\":48000,\"samples\":%llu,\"time_reference\":%llu}}}",
	    name, tc, num, den, slate, (unsigned long long)(seconds * 48000),
	    (unsigned long long)tref);
}

static void
register_card(const char *production, const char *label, const char *kind, const char *clips,
    const char *names)
{
	char body[8192], files[2048];
	size_t o = 0;
	const char *s = names;

	/* One file per clip name (space separated). */
	while (*s) {
		char n[64];
		size_t k = strcspn(s, " ");
		snprintf(n, sizeof(n), "%.*s", (int)k, s);
		o += (size_t)snprintf(files + o, sizeof(files) - o, "%s{\"path\":\"%s.%s\",\"size\":100,"
		    "\"clip\":\"%s\",\"hashes\":{\"xxh64\":\"0123456789abcdef\"}}", o ? "," : "", n,
		    strcmp(kind, "sound") ? "mov" : "wav", n);
		s += k + (s[k] == ' ');
	}
	snprintf(body, sizeof(body), "{\"production\":\"%s\",\"day\":\"2026-11-25\",\"card\":"
	    "{\"label\":\"%s\",\"kind\":\"%s\"},\"clips\":[%s],\"files\":[%s]}", production, label,
	    kind, clips, files);
	long st = req("POST", "/api/v1/offloads", body, NULL);

	cr_assert(st == 200 || st == 201, "%ld %s", st, body);
}

static long long
clip_id(const char *name)
{
	return strtoll(sql("SELECT id FROM clips WHERE name = '%s'", name), NULL, 10);
}

/* "sound name offset method" of a picture clip, from its detail over HTTP. */
static const char *
detail_sound(const char *name)
{
	static char out[200];
	char path[64];
	json_t *j, *s;

	snprintf(path, sizeof(path), "/api/v1/clips/%lld", clip_id(name));
	cr_assert_eq(req("GET", path, NULL, &j), 200);
	s = json_object_get(j, "sound");
	if (json_is_null(s) || s == NULL)
		snprintf(out, sizeof(out), "null");
	else
		snprintf(out, sizeof(out), "%s %lld %s", json_is_string(json_object_get(s, "name")) ?
		    json_string_value(json_object_get(s, "name")) : "-",
		    json_is_integer(json_object_get(s, "offset_frames")) ?
		    (long long)json_integer_value(json_object_get(s, "offset_frames")) : -1LL,
		    json_string_value(json_object_get(s, "method")));
	json_decref(j);
	return out;
}

/* The picture and sound of one day (see the comments for what each take covers). */
static void
load(void)
{
	char s1[400], s2[400], s3[400], s4[400], clips[2000];

	register_card("Feature", "A001", "camera",
	    "{\"name\":\"A001C001\",\"start_tc\":\"10:02:10:05\",\"fps_num\":25,\"fps_den\":1},"
	    "{\"name\":\"A001C002\",\"start_tc\":\"10:03:00:00\",\"fps_num\":25,\"fps_den\":1,"
	    "\"scene\":\"20\"},"
	    "{\"name\":\"A001C003\",\"start_tc\":\"10:05:10:00\",\"fps_num\":25,\"fps_den\":1},"
	    "{\"name\":\"A001C004\"}", "A001C001 A001C002 A001C003 A001C004");
	register_card("Feature", "B001", "camera",
	    "{\"name\":\"B001C001\",\"start_tc\":\"10:10:00;02\",\"fps_num\":30000,\"fps_den\":1001}",
	    "B001C001");
	settle();
	cr_expect_str_eq(sql("SELECT count(*) FROM clip_sound WHERE method = 'none'"), "4",
	    "no sound yet: the clips with timecode are uncovered");
	/* T001: 10:00:00:00 for four minutes (a wild track); T002: 10:02:00:00 for one minute,
	 * slate 12/3 circled; T003: 24 fps; T004: 29.97 DF at 10:09:59;20. */
	take(s1, sizeof(s1), "T001", "10:00:00:00", 25, 1, false, 240,
	    ",\"scene\":\"99\",\"take\":\"9\"");
	take(s2, sizeof(s2), "T002", "10:02:00:00", 25, 1, false, 60,
	    ",\"scene\":\"12\",\"take\":\"3\",\"circled\":true");
	take(s3, sizeof(s3), "T003", "10:05:00:00", 24, 1, false, 60, "");
	take(s4, sizeof(s4), "T004", "10:09:59;20", 30000, 1001, true, 60, "");
	snprintf(clips, sizeof(clips), "%s,%s,%s,%s", s1, s2, s3, s4);
	register_card("Feature", "S001", "sound", clips, "T001 T002 T003 T004");
	settle();
}

Test(soundsync, matches_by_timecode)
{
	json_t *j, *m;

	load();
	cr_expect_str_eq(detail_sound("A001C001"), "T002 255 timecode", "nearest start wins");
	cr_expect_str_eq(detail_sound("A001C002"), "T001 4500 timecode");
	cr_expect_str_eq(detail_sound("A001C003"), "- -1 none", "T003 runs at 24 fps");
	cr_expect_str_eq(detail_sound("A001C004"), "null", "no timecode");
	cr_expect_str_eq(detail_sound("B001C001"), "T004 12 timecode", "29.97 DF");

	/* Scene and take flowed where the camera had none; circled from the sound report. */
	cr_expect_str_eq(sql("SELECT scene || '/' || take || '/' || circled FROM clips WHERE name = "
	    "'A001C001'"), "12/3/true");
	cr_expect_str_eq(sql("SELECT scene || '/' || take || '/' || circled FROM clips WHERE name = "
	    "'A001C002'"), "20/9/false");
	cr_expect_str_eq(sql("SELECT data->'filled'->>'scene' FROM events WHERE kind = "
	    "'clip.slate_from_sound' AND subject_id = %lld", clip_id("A001C001")), "12");
	cr_expect_str_eq(sql("SELECT count(*) FROM events WHERE kind = 'clip.sound'"), "7",
	    "4 none, then 3 matches");

	cr_assert_eq(req("GET", "/api/v1/days/1/sound", NULL, &j), 200);
	cr_expect_eq(json_integer_value(json_object_get(j, "sound_clips")), 4);
	m = json_object_get(j, "matches");
	cr_expect_eq(json_array_size(m), 3);
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(m, 0), "sound_start_tc")),
	    "10:02:00:00");
	m = json_object_get(j, "unmatched");
	cr_assert_eq(json_array_size(m), 2);
	cr_expect(strstr(json_string_value(json_object_get(json_array_get(m, 0), "reason")),
	    "covers"));
	cr_expect(strstr(json_string_value(json_object_get(json_array_get(m, 1), "reason")),
	    "no timecode"));
	json_decref(j);
	cr_expect_eq(req("GET", "/api/v1/days/9/sound", NULL, NULL), 404);

	/* A rerun over the same day changes nothing and records nothing. */
	register_card("Feature", "S001", "sound", "", "T001 T002 T003 T004");
	settle();
	cr_expect_str_eq(sql("SELECT count(*) FROM events WHERE kind = 'clip.sound'"), "7");
}

Test(soundsync, manual_match_is_kept)
{
	char body[200], path[64], *text;
	json_t *j;
	long long c3 = 0;

	load();
	c3 = clip_id("A001C003");
	snprintf(path, sizeof(path), "/api/v1/clips/%lld/sound", c3);
	snprintf(body, sizeof(body), "{\"sound_clip_id\":%lld,\"offset_frames\":7}", clip_id("T001"));
	harness_bearer = editor;
	cr_expect_eq(req("PUT", path, body, NULL), 403);
	cr_expect_eq(req("DELETE", path, NULL, NULL), 403);
	harness_bearer = admin;
	cr_assert_eq(req("PUT", path, body, &j), 200);
	cr_expect_str_eq(json_string_value(json_object_get(j, "method")), "manual");
	cr_expect_eq(json_integer_value(json_object_get(j, "offset_frames")), 7);
	json_decref(j);

	/* New sound registered for the day: the automatic pass leaves the DIT's match alone. */
	register_card("Feature", "S001", "sound", "", "T001 T002 T003 T004");
	settle();
	cr_expect_str_eq(detail_sound("A001C003"), "T001 7 manual");

	/* Bad corrections change nothing. */
	snprintf(body, sizeof(body), "{\"sound_clip_id\":%lld,\"offset_frames\":1}",
	    clip_id("A001C001"));
	cr_expect_eq(req("PUT", path, body, &j), 400, "a picture clip is not sound");
	cr_expect(strstr(json_string_value(json_object_get(json_object_get(j, "error"), "message")),
	    "not on a sound card"));
	json_decref(j);
	snprintf(body, sizeof(body), "{\"sound_clip_id\":%lld}", clip_id("T003"));
	cr_expect_eq(req("PUT", path, body, &j), 400, "24 fps sound: no offset from timecode");
	cr_expect(strstr(json_string_value(json_object_get(json_object_get(j, "error"), "message")),
	    "offset_frames: required"));
	json_decref(j);
	cr_expect_eq(req("PUT", path, "{\"sound_clip_id\":99999,\"offset_frames\":1}", NULL), 400);
	register_card("Other", "S009", "sound", "{\"name\":\"Z001\",\"start_tc\":\"10:05:00:00\","
	    "\"fps_num\":25,\"fps_den\":1}", "Z001");
	settle();
	snprintf(body, sizeof(body), "{\"sound_clip_id\":%lld,\"offset_frames\":1}", clip_id("Z001"));
	cr_expect_eq(req("PUT", path, body, &j), 400);
	cr_expect(strstr(json_string_value(json_object_get(json_object_get(j, "error"), "message")),
	    "another production"));
	json_decref(j);
	cr_expect_eq(req("PUT", "/api/v1/clips/99999/sound", "{\"sound_clip_id\":null}", NULL), 404);
	cr_expect_str_eq(detail_sound("A001C003"), "T001 7 manual");

	/* Without an offset it comes from the timecodes: 10:05:10:00 - 10:00:00:00 at 25. */
	snprintf(body, sizeof(body), "{\"sound_clip_id\":%lld}", clip_id("T001"));
	cr_assert_eq(req("PUT", path, body, NULL), 200);
	cr_expect_str_eq(detail_sound("A001C003"), "T001 7750 manual");

	/* MOS: no sound, by hand, kept too. */
	cr_assert_eq(req("PUT", path, "{\"sound_clip_id\":null}", NULL), 200);
	cr_expect_str_eq(detail_sound("A001C003"), "- -1 manual");
	cr_assert_eq(req("GET", "/api/v1/days/1/sound", NULL, &j), 200);
	text = json_dumps(json_object_get(j, "unmatched"), 0);
	cr_expect(text && strstr(text, "MOS"), "%s", text);
	free(text);
	json_decref(j);

	/* Back to automatic: matched again at once. */
	cr_assert_eq(req("DELETE", path, NULL, &j), 200);
	cr_expect_str_eq(json_string_value(json_object_get(j, "method")), "none");
	json_decref(j);
	cr_expect_str_eq(detail_sound("A001C003"), "- -1 none");
	cr_expect_str_eq(sql("SELECT string_agg(data->>'method', ',' ORDER BY id) FROM events WHERE "
	    "kind = 'clip.sound' AND subject_id = %lld", c3), "none,manual,manual,manual,none");
}

/* One camera cannot record two stretches of time at once: two of its clips whose timecode
 * spans overlap (record run, a reset) prove nothing about the sound take their timecode points
 * to. Both are ambiguous (the sound named, not used, its slate taken back); another camera on
 * the same take is a multi-camera take and matches; the DIT's pick settles one. */
Test(soundsync, one_camera_twice_on_one_take_is_ambiguous)
{
	char s1[400], path[64], body[128];
	json_t *j, *a;

	take(s1, sizeof(s1), "T010", "01:00:00:00", 25, 1, false, 60,
	    ",\"scene\":\"7A\",\"take\":\"3\",\"circled\":true");
	register_card("Feature", "S010", "sound", s1, "T010");
	register_card("Feature", "C001", "camera",
	    "{\"name\":\"C001C001\",\"camera\":\"C\",\"start_tc\":\"01:00:00:00\",\"fps_num\":25,"
	    "\"fps_den\":1,\"duration_frames\":250},"
	    "{\"name\":\"C001C002\",\"camera\":\"C\",\"start_tc\":\"01:00:20:00\",\"fps_num\":25,"
	    "\"fps_den\":1,\"duration_frames\":250}", "C001C001 C001C002");
	register_card("Feature", "D001", "camera",
	    "{\"name\":\"D001C001\",\"camera\":\"D\",\"start_tc\":\"01:00:00:10\",\"fps_num\":25,"
	    "\"fps_den\":1,\"duration_frames\":250}", "D001C001");
	settle();
	/* Two clips of C one after the other within the take (the sound kept rolling): sure. */
	cr_expect_str_eq(detail_sound("C001C001"), "T010 0 timecode");
	cr_expect_str_eq(detail_sound("C001C002"), "T010 500 timecode");
	cr_expect_str_eq(sql("SELECT scene || '/' || take || '/' || circled FROM clips WHERE name = "
	    "'C001C001'"), "7A/3/true", "the slate flowed");

	/* C's next card starts again at 01:00:00:00: its clip overlaps C001C001. */
	register_card("Feature", "C002", "camera",
	    "{\"name\":\"C002C001\",\"camera\":\"C\",\"start_tc\":\"01:00:05:00\",\"fps_num\":25,"
	    "\"fps_den\":1,\"duration_frames\":250}", "C002C001");
	settle();
	cr_expect_str_eq(detail_sound("C001C001"), "T010 0 ambiguous");
	cr_expect_str_eq(detail_sound("C002C001"), "T010 125 ambiguous");
	cr_expect_str_eq(detail_sound("C001C002"), "T010 500 timecode", "overlaps neither");
	cr_expect_str_eq(detail_sound("D001C001"), "T010 10 timecode", "another camera: multicam");
	cr_expect_str_eq(sql("SELECT coalesce(scene, '-') || '/' || coalesce(take, '-') || '/' ||"
	    " circled FROM clips WHERE name = 'C001C001'"), "-/-/false", "the slate taken back");
	cr_expect_str_eq(sql("SELECT coalesce(scene, '-') FROM clips WHERE name = 'C002C001'"), "-",
	    "no slate for an ambiguous clip");
	cr_expect_str_eq(sql("SELECT data->'withdrawn'->>'scene' FROM events WHERE kind ="
	    " 'clip.slate_withdrawn' AND subject_id = %lld", clip_id("C001C001")), "7A");

	cr_assert_eq(req("GET", "/api/v1/days/1/sound", NULL, &j), 200);
	a = json_object_get(j, "ambiguous");
	cr_assert_eq(json_array_size(a), 2, "%s", json_dumps(j, 0));
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(a, 0), "sound")), "T010");
	cr_expect(strstr(json_string_value(json_object_get(json_array_get(a, 0), "reason")),
	    "same camera"));
	cr_expect_eq(json_array_size(json_object_get(j, "matches")), 2, "C001C002 and D001C001");
	json_decref(j);

	/* The DIT picks: C002C001 is the take; C001C001 was a rehearsal without sound. */
	snprintf(path, sizeof(path), "/api/v1/clips/%lld/sound", clip_id("C002C001"));
	snprintf(body, sizeof(body), "{\"sound_clip_id\":%lld}", clip_id("T010"));
	cr_assert_eq(req("PUT", path, body, NULL), 200);
	snprintf(path, sizeof(path), "/api/v1/clips/%lld/sound", clip_id("C001C001"));
	cr_assert_eq(req("PUT", path, "{\"sound_clip_id\":null}", NULL), 200);
	register_card("Feature", "S010", "sound", "", "T010");   /* the day matched again */
	settle();
	cr_expect_str_eq(detail_sound("C002C001"), "T010 125 manual");
	cr_expect_str_eq(detail_sound("C001C001"), "- -1 manual");
	cr_assert_eq(req("GET", "/api/v1/days/1/sound", NULL, &j), 200);
	cr_expect_eq(json_array_size(json_object_get(j, "ambiguous")), 0, "%s", json_dumps(j, 0));
	json_decref(j);
}

/* Of one camera's clips on one take, the one whose own slate (the camera's metadata or the
 * DIT's, not one a sound gave it) is the sound report's scene and take is matched; the others
 * stay ambiguous. Two agreeing, or a slate that came from this very sound, decide nothing. */
Test(soundsync, the_slate_picks_among_one_cameras_clips)
{
	char s1[400], path[64];

	take(s1, sizeof(s1), "T020", "02:00:00:00", 25, 1, false, 60,
	    ",\"scene\":\"9B\",\"take\":\"2\"");
	register_card("Feature", "S020", "sound", s1, "T020");
	register_card("Feature", "E001", "camera",
	    "{\"name\":\"E001C001\",\"camera\":\"E\",\"start_tc\":\"02:00:00:00\",\"fps_num\":25,"
	    "\"fps_den\":1,\"duration_frames\":250,\"scene\":\"9b\",\"take\":\"1\"},"
	    "{\"name\":\"E001C002\",\"camera\":\"E\",\"start_tc\":\"02:00:02:00\",\"fps_num\":25,"
	    "\"fps_den\":1,\"duration_frames\":250,\"scene\":\"9B\",\"take\":\"2\"},"
	    "{\"name\":\"E001C003\",\"camera\":\"E\",\"start_tc\":\"02:00:04:00\",\"fps_num\":25,"
	    "\"fps_den\":1,\"duration_frames\":250}", "E001C001 E001C002 E001C003");
	settle();
	cr_expect_str_eq(detail_sound("E001C002"), "T020 50 timecode", "its slate is the take's");
	cr_expect_str_eq(detail_sound("E001C001"), "T020 0 ambiguous", "take 1, not 2");
	cr_expect_str_eq(detail_sound("E001C003"), "T020 100 ambiguous", "no slate of its own");
	cr_expect_str_eq(sql("SELECT data->>'chosen_by' FROM events WHERE kind = 'clip.sound' AND"
	    " subject_id = %lld ORDER BY id DESC LIMIT 1", clip_id("E001C002")), "slate");

	/* The DIT corrects E001C001's take to 2 as well: two slates agree, nothing decides. */
	snprintf(path, sizeof(path), "/api/v1/clips/%lld", clip_id("E001C001"));
	cr_assert_eq(req("PATCH", path, "{\"take\":\"2\"}", NULL), 200);
	register_card("Feature", "S020", "sound", "", "T020");   /* the day matched again */
	settle();
	cr_expect_str_eq(detail_sound("E001C002"), "T020 50 ambiguous", "two slates agree");
	cr_expect_str_eq(detail_sound("E001C001"), "T020 0 ambiguous");
}

/* Of one camera's clips on one take whose slates decide nothing, the one whose recording time
 * (the camera's clock, registered as recorded_at) falls within the take's own recording (BWF
 * origination + its length) is matched, chosen_by shooting_time; the others stay ambiguous.
 * When two fall within it, or none has a time, nothing is guessed. */
Test(soundsync, the_shooting_time_picks_when_the_slate_cannot)
{
	char s1[600], path[64];
	json_t *j;

	/* T030: 60 s from 14:05:00 by the recorder's clock */
	take(s1, sizeof(s1), "T030", "03:00:00:00", 25, 1, false, 60,
	    ",\"scene\":\"12\",\"take\":\"1\",\"recorded_at\":\"2026-11-25T14:05:00\"");
	register_card("Feature", "S030", "sound", s1, "T030");
	register_card("Feature", "F001", "camera",
	    "{\"name\":\"F001C001\",\"camera\":\"F\",\"start_tc\":\"03:00:00:00\",\"fps_num\":25,"
	    "\"fps_den\":1,\"duration_frames\":250,\"recorded_at\":\"2026-11-25T13:40:10\"},"
	    "{\"name\":\"F001C002\",\"camera\":\"F\",\"start_tc\":\"03:00:02:00\",\"fps_num\":25,"
	    "\"fps_den\":1,\"duration_frames\":250,\"recorded_at\":\"2026-11-25T14:05:07\"},"
	    "{\"name\":\"F001C003\",\"camera\":\"F\",\"start_tc\":\"03:00:04:00\",\"fps_num\":25,"
	    "\"fps_den\":1,\"duration_frames\":250}", "F001C001 F001C002 F001C003");
	settle();
	cr_expect_str_eq(detail_sound("F001C002"), "T030 50 timecode", "recorded during the take");
	cr_expect_str_eq(detail_sound("F001C001"), "T030 0 ambiguous", "recorded 25 minutes before");
	cr_expect_str_eq(detail_sound("F001C003"), "T030 100 ambiguous", "no recording time");
	cr_expect_str_eq(sql("SELECT data->>'chosen_by' FROM events WHERE kind = 'clip.sound' AND"
	    " subject_id = %lld ORDER BY id DESC LIMIT 1", clip_id("F001C002")), "shooting_time");
	/* The recording time is the clip's, over HTTP, and says where it came from. */
	snprintf(path, sizeof(path), "/api/v1/clips/%lld", clip_id("F001C002"));
	cr_assert_eq(req("GET", path, NULL, &j), 200);
	cr_expect_str_eq(json_string_value(json_object_get(j, "recorded_at")), "2026-11-25T14:05:07");
	cr_expect_str_eq(json_string_value(json_object_get(j, "recorded_at_source")), "registration");
	json_decref(j);
	/* The slate, picked only by time, came to it; not to the others. */
	cr_expect_str_eq(sql("SELECT coalesce(scene, '-') || ' ' || coalesce(take, '-') FROM clips"
	    " WHERE name = 'F001C002'"), "12 1");
	cr_expect_str_eq(sql("SELECT coalesce(scene, '-') FROM clips WHERE name = 'F001C001'"), "-");

	/* A second camera card of F, recorded during the same take too: two agree, none is picked. */
	register_card("Feature", "F002", "camera",
	    "{\"name\":\"F002C001\",\"camera\":\"F\",\"start_tc\":\"03:00:01:00\",\"fps_num\":25,"
	    "\"fps_den\":1,\"duration_frames\":250,\"recorded_at\":\"2026-11-25T14:05:30\"}",
	    "F002C001");
	settle();
	cr_expect_str_eq(detail_sound("F002C001"), "T030 25 ambiguous", "two recorded during it");
	cr_expect_str_eq(detail_sound("F001C002"), "T030 50 ambiguous", "no longer the only one");

	/* A recording time that is not a wall-clock time is refused, and changes nothing. */
	cr_expect_eq(req("POST", "/api/v1/offloads", "{\"day\":\"2026-11-25\",\"card\":{\"label\":"
	    "\"F003\"},\"clips\":[{\"name\":\"F003C001\",\"recorded_at\":\"yesterday\"}],\"files\":"
	    "[{\"path\":\"F003C001.mov\",\"size\":1,\"clip\":\"F003C001\"}]}", NULL), 400);
	cr_expect_str_eq(sql("SELECT count(*) FROM cards WHERE label = 'F003'"), "0");
}
