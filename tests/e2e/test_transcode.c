/* Proxies end to end: a camera card (a 2 s ProRes chart clip with timecode, reel name and a
 * white flash at frame 25) and a sound card (a BWF whose 1 kHz burst is at the flash's
 * timecode; tests/fixtures/make-sync-clip.sh) are registered over HTTP; the clip gets a CDL, the production a show LUT and two
 * active profiles, and the picture-to-sound match is put in clip_sound directly. A real worker
 * (this process) probes the clip, which queues its transcode; then the proxies must carry the
 * look (pixels against the CDL + LUT math), the start timecode and reel, the burn-ins (only
 * where the profile asks), the production sound with its burst on the flash frame (±1 frame),
 * and the camera's own sound as a second track where the profile asks. Also: a source that
 * turns out unreadable leaves the rendition failed with ffmpeg's reason and the clip
 * transcode_failed; cancel kills and reaps ffmpeg; no temporary file is left behind. */
#include "harness.h"
#include "lib/media/cdl.h"
#include "lib/core/config.h"
#include "lib/custody/locate.h"
#include "lib/media/ffmpeg.h"
#include "lib/core/hash.h"
#include "lib/store/jobq.h"
#include "lib/core/log.h"
#include "lib/media/lut.h"
#include "lib/media/probe.h"
#include "lib/core/proc.h"
#include "lib/store/worker.h"
#include "lib/pipeline/kinds.h"
#include "lib/pipeline/pipeline.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int job_probe_run(struct job *job, struct err *err);
int job_transcode_run(struct job *job, struct err *err);

#define HOST "cart-transcode-test"
#define W 320
#define H 180
#define FLASH 25          /* frame of the white flash, 1.0 s at 25 fps */
#define SOUND_LEAD 50     /* the sound roll starts 50 frames (2 s) before the picture */

static struct harness_proc srv;
static struct db *db;
static char data_dir[512], rend_dir[600], media[512], dbinfo[1024], admin[256];
static struct config cfg;

static void
ff(const char *const *argv)
{
	char tail[2048];
	struct err err;

	cr_assert_eq(proc_run(argv, NULL, tail, sizeof(tail), &err), 0, "%s: %s", argv[0], tail);
}

/* The chart: left half 0x806650, right top a blue patch, white at FLASH; Rec.709 4:2:2 10-bit
 * like a camera file; TC 01:00:00:00, reel A001R1AB; camera sound a quiet 300 Hz tone. */
static void
make_clip(const char *path, double seconds)
{
	char v[512], a[128], d[16];

	snprintf(d, sizeof(d), "%g", seconds);
	snprintf(v, sizeof(v), "color=c=0x806650:s=%dx%d:r=25:d=%g,drawbox=x=160:y=0:w=160:h=90:"
	    "c=0x3050c0:t=fill,drawbox=x=0:y=0:w=%d:h=%d:c=white:t=fill:enable='eq(n\\,%d)',"
	    "scale=out_color_matrix=bt709:out_range=tv,format=yuv422p10le", W, H, seconds, W, H,
	    FLASH);
	snprintf(a, sizeof(a), "sine=f=300:r=48000:d=%g,volume=0.05", seconds);
	const char *argv[] = { "ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", v,
		"-f", "lavfi", "-i", a, "-c:v", "prores_ks", "-profile:v", "3", "-c:a", "pcm_s24le",
		"-timecode", "01:00:00:00", "-metadata:s:v:0", "reel_name=A001R1AB", "-movflags",
		"use_metadata_tags", path, NULL };
	ff(argv);
}

static void
start(void)
{
	char p[700];
	struct err err;

	snprintf(media, sizeof(media), "%s", harness_tmpdir("transcode-media"));
	snprintf(p, sizeof(p), "%s/A001R1AB", media);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/SOUND01", media);
	mkdir(p, 0755);
	snprintf(dbinfo, sizeof(dbinfo), "%s", harness_db_create());
	snprintf(data_dir, sizeof(data_dir), "%s", harness_tmpdir("transcode-data"));
	snprintf(rend_dir, sizeof(rend_dir), "%s/renditions", data_dir);
	cr_assert_eq(harness_serve(&srv, dbinfo, data_dir), 0, "log %s", srv.log);
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

TestSuite(transcode, .init = start, .fini = stop, .timeout = 120);

/* --- SQL -------------------------------------------------------------------------------- */

static const char *
sql(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static const char *
sql(const char *fmt, ...)
{
	static char out[4096];
	char q[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	cr_assert_geq(harness_sql(dbinfo, q, out, sizeof(out)), 0, "%s: %s", q, out);
	return out;
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
	return strtol(sql("%s", q), NULL, 10);
}

static const char *wait_q;
static long wait_want;

static bool
wait_cond(void *arg)
{
	(void)arg;
	return sql_num("%s", wait_q) == wait_want;
}

static bool
wait_sql(const char *q, long want, double seconds)
{
	wait_q = q;
	wait_want = want;
	return harness_wait_until(wait_cond, NULL, seconds);
}

/* --- registering ------------------------------------------------------------------------ */

/* One card of one file, two verified copies (one unreadable here): secured. */
static long long
register_card(const char *label, const char *kind, const char *rel, const char *clip,
    bool circled)
{
	char path[1024], *body;
	struct harness_resp r;
	struct stat st;
	json_t *doc, *copies = json_array();
	long long card;

	snprintf(path, sizeof(path), "%s/%s", media, rel);
	cr_assert_eq(stat(path, &st), 0, "%s", path);
	for (int i = 0; i < 2; i++)
		json_array_append_new(copies, json_pack("{s:{s:s,s:s,s:s,s:s},s:[{s:s,s:s,s:{s:s}}]}",
		    "volume", "key", i ? "uuid:raid" : "uuid:gone", "name", i ? "RAID" : "SHUTTLE",
		    "host", HOST, "mount_path", i ? media : "/nonexistent", "files", "path", rel,
		    "state", "verified", "hashes", "xxh64", "0123456789abcdef"));
	doc = json_pack("{s:s,s:s,s:{s:s,s:s},s:[{s:s,s:s,s:s,s:b}],s:[{s:s,s:I,s:s,s:s,s:{s:s}}],"
	    "s:o}", "production", "Dailies feature", "day", "2026-11-25", "card", "label", label,
	    "kind", kind, "clips", "name", clip, "scene", "7A", "take", "3", "circled", circled,
	    "files", "path", rel, "size", (json_int_t)st.st_size, "clip", clip, "role", "media",
	    "hashes", "xxh64", "0123456789abcdef", "copies", copies);
	body = json_dumps(doc, JSON_COMPACT);
	harness_declare_volume(&srv, "/nonexistent");
	harness_declare_volume(&srv, media);
	harness_http(&srv, "POST", "/api/v1/offloads", body,
	    (const char *[]){ "Content-Type: application/json", NULL }, &r);
	cr_assert_eq(r.status, 201, "%s", r.body);
	json_t *res = json_loads(r.body, 0, NULL);
	card = (long long)json_integer_value(json_object_get(res, "card_id"));
	json_decref(res);
	harness_resp_release(&r);
	free(body);
	json_decref(doc);
	return card;
}

/* --- the worker ------------------------------------------------------------------------- */

struct running_worker {
	pthread_t thread;
	struct job_kind kinds[2];
	int nkinds;
	struct worker_options opt;
	volatile sig_atomic_t stop;
	int rc;
};

static void *
worker_main(void *arg)
{
	struct running_worker *w = arg;
	struct err err;

	w->rc = worker_run(db, w->kinds, w->nkinds, &w->opt, &w->stop, &err);
	return NULL;
}

/* Probe, and transcode unless probe_only. */
static void
worker_start(struct running_worker *w, bool probe_only)
{
	memset(w, 0, sizeof(*w));
	w->nkinds = probe_only ? 1 : 2;
	w->kinds[0] = (struct job_kind){ &job_probe_spec, job_probe_run, NULL };
	w->kinds[1] = (struct job_kind){ &job_transcode_spec, job_transcode_run, NULL };
	w->opt = (struct worker_options){ "transcode-test", 2, 4, 0.2, &cfg, NULL };
	pthread_create(&w->thread, NULL, worker_main, w);
}

static void
worker_stop(struct running_worker *w)
{
	w->stop = 1;
	pthread_join(w->thread, NULL);
	cr_expect_eq(w->rc, 0);
}

/* What clipstate does when clips become secured (idempotent). */
static void
queue_probes(long long card)
{
	struct db_conn *c;
	struct err err;

	cr_assert_eq(db_acquire(db, &c, &err), 0, "%s", err.msg);
	cr_assert_geq(pipeline_card_secured(c, card, &err), 0, "%s", err.msg);
	db_release(db, c);
}

/* --- reading the proxies ---------------------------------------------------------------- */

/* ffprobe's value of one entry (e.g. "format_tags=timecode") of stream spec (or NULL). */
static void
ffprobe(const char *path, const char *entries, const char *streams, char *out, size_t len)
{
	struct err err;
	char tail[4096];
	const char *argv[] = { "ffprobe", "-v", "error", "-show_entries", entries, "-of",
		"default=nw=1:nk=1", streams ? "-select_streams" : path, streams ? streams : NULL,
		streams ? path : NULL, NULL };

	cr_assert_eq(proc_run(argv, NULL, tail, sizeof(tail), &err), 0, "%s", tail);
	snprintf(out, len, "%s", tail);
	for (char *s = out + strlen(out); s > out && (s[-1] == '\n' || s[-1] == '\r');)
		*--s = '\0';
}

/* Decodes one video frame (n) to rgb24 with the Rec.709 matrix, or the audio of stream
 * a:idx to mono s16 at 48 kHz; returns the bytes read into buf. */
static size_t
decode(const char *path, const char *what, int n, unsigned char *buf, size_t len)
{
	char out[700], vf[200], map[16];
	struct err err;
	char tail[2048];
	FILE *f;
	size_t got;

	snprintf(out, sizeof(out), "%s/decoded.raw", data_dir);
	if (strcmp(what, "video") == 0) {
		snprintf(vf, sizeof(vf), "select=eq(n\\,%d),scale=in_color_matrix=bt709:in_range=tv,"
		    "format=rgb24", n);
		const char *argv[] = { "ffmpeg", "-nostdin", "-v", "error", "-y", "-i", path, "-vf", vf,
			"-frames:v", "1", "-f", "rawvideo", out, NULL };
		cr_assert_eq(proc_run(argv, NULL, tail, sizeof(tail), &err), 0, "%s", tail);
	} else {
		snprintf(map, sizeof(map), "0:a:%d", n);
		const char *argv[] = { "ffmpeg", "-nostdin", "-v", "error", "-y", "-i", path, "-map", map,
			"-ac", "1", "-ar", "48000", "-f", "s16le", out, NULL };
		cr_assert_eq(proc_run(argv, NULL, tail, sizeof(tail), &err), 0, "%s", tail);
	}
	f = fopen(out, "rb");
	cr_assert_not_null(f);
	got = fread(buf, 1, len, f);
	fclose(f);
	return got;
}

/* Frame index of the brightest frame (the flash), from luma of every frame at 16x9. */
static int
flash_frame(const char *path)
{
	char out[700], tail[2048];
	static unsigned char buf[16 * 9 * 200];
	struct err err;
	FILE *f;
	size_t got;
	int best = -1;
	long bestsum = -1;

	snprintf(out, sizeof(out), "%s/luma.raw", data_dir);
	const char *argv[] = { "ffmpeg", "-nostdin", "-v", "error", "-y", "-i", path, "-vf",
		"scale=16:9,format=gray", "-f", "rawvideo", out, NULL };
	cr_assert_eq(proc_run(argv, NULL, tail, sizeof(tail), &err), 0, "%s", tail);
	f = fopen(out, "rb");
	cr_assert_not_null(f);
	got = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	for (size_t i = 0; i < got / 144; i++) {
		long s = 0;
		for (int k = 0; k < 144; k++)
			s += buf[i * 144 + k];
		if (s > bestsum) {
			bestsum = s;
			best = (int)i;
		}
	}
	return best;
}

/* First sample of mono s16 audio louder than 0.2 of full scale, in picture frames (25 fps). */
static double
burst_frame(const unsigned char *buf, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2) {
		int16_t s = (int16_t)(buf[i] | buf[i + 1] << 8);
		if (abs(s) > 6500)
			return (double)(i / 2) / 1920.0;
	}
	return -1;
}

static long
tmp_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	long n = 0;
	char sub[1200];

	while (d && (e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (strstr(e->d_name, ".tmp"))
			n++;
		snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name);
		if (e->d_type == DT_DIR)
			n += tmp_files(sub);
	}
	if (d)
		closedir(d);
	return n;
}

/* --- the proxies ------------------------------------------------------------------------ */

/* The show LUT: 2 points, a warm tint with lifted blacks (red fastest). */
#define SHOW_CUBE \
	"TITLE \"warm\"\nLUT_3D_SIZE 2\n0.05 0.04 0.03\n1 0.04 0.03\n0.05 0.95 0.03\n1 0.95 0.03\n" \
	"0.05 0.04 0.9\n1 0.04 0.9\n0.05 0.95 0.9\n1 0.95 0.9\n"

static void
expected(const unsigned char rgb8[3], double out[3])
{
	struct cdl c = { { 1.1, 1.0, 0.9 }, { 0.02, 0.0, -0.01 }, { 0.95, 1.0, 1.05 }, 0.85, "", "" };
	struct lut l = LUT_INIT;
	struct err err;
	double in[3] = { rgb8[0] / 255.0, rgb8[1] / 255.0, rgb8[2] / 255.0 };

	cr_assert_eq(lut_read_cube_mem(&l, SHOW_CUBE, strlen(SHOW_CUBE), "warm", &err), 0, "%s",
	    err.msg);
	cdl_apply(&c, in, out);
	lut_sample(&l, LUT_TETRAHEDRAL, out, out);
	for (int i = 0; i < 3; i++)
		out[i] = fmin(1, fmax(0, out[i])) * 255;
	lut_release(&l);
}

static void
check_pixel(const unsigned char *frame, int x, int y, const unsigned char src[3],
    const char *what)
{
	const unsigned char *px = frame + (y * W + x) * 3;
	double want[3];

	expected(src, want);
	for (int c = 0; c < 3; c++)
		cr_expect_leq(fabs(px[c] - want[c]), 5, "%s (%d,%d) channel %d: proxy %d, look math %.1f",
		    what, x, y, c, px[c], want[c]);
}

Test(transcode, proxies_with_look_timecode_reel_burnins_and_sound)
{
	static unsigned char f264[W * H * 3], fpro[W * H * 3], audio[48000 * 2 * 3];
	static const unsigned char base[3] = { 0x80, 0x66, 0x50 }, blue[3] = { 0x30, 0x50, 0xc0 };
	struct running_worker w;
	static const char *const profs[3] = { "h264_720", "prores_proxy", "dnxhd_36" };
	static const char *const sizes[3] = { "320\n180", "320\n180", "1920\n1080" };
	char path[1200], val[256], rel[3][600], xxh[3][32];
	long long card, clip, sound;
	struct hash_result h;
	struct stat st;
	struct err err;
	size_t n;
	long diff = 0;

	/* The chart with its flash and the BWF with its burst (bext: 00:59:58:00). */
	const char *mk[] = { "bash", "tests/fixtures/make-sync-clip.sh", media, NULL };
	ff(mk);
	card = register_card("A001R1AB", "camera", "A001R1AB/A001C003_251125_R1AB.mov",
	    "A001C003_251125_R1AB", true);
	register_card("SOUND01", "sound", "SOUND01/T003.WAV", "T003", false);
	clip = sql_num("SELECT id FROM clips WHERE name = 'A001C003_251125_R1AB'");
	sound = sql_num("SELECT id FROM clips WHERE name = 'T003'");
	/* The look, the show LUT, the profiles and the sound match, as the other pieces set them. */
	sql("UPDATE clips SET look = '{\"slope\":[1.1,1.0,0.9],\"offset\":[0.02,0,-0.01],"
	    "\"power\":[0.95,1,1.05],\"sat\":0.85}' WHERE id = %lld", clip);
	sql("INSERT INTO luts (production_id, name, size, cube, sha256) SELECT id, 'warm', 2,"
	    " convert_to('%s', 'UTF8'), repeat('0', 64) FROM productions", SHOW_CUBE);
	sql("UPDATE productions SET show_lut_id = (SELECT id FROM luts), settings = settings ||"
	    " '{\"proxy_active\": [\"h264_720\", \"prores_proxy\", \"dnxhd_36\"]}'");
	sql("INSERT INTO clip_sound (clip_id, sound_clip_id, offset_frames, method) VALUES"
	    " (%lld, %lld, %d, 'timecode')", clip, sound, SOUND_LEAD);
	queue_probes(card);
	worker_start(&w, false);
	char q[200];
	snprintf(q, sizeof(q), "SELECT count(*) FROM clips WHERE id = %lld AND state = 'proxied'",
	    clip);
	bool ok = wait_sql(q, 1, 60);
	worker_stop(&w);
	cr_assert(ok, "clip %s; jobs %s", sql("SELECT state || ' ' || coalesce(state_reason, '')"
	    " FROM clips WHERE id = %lld", clip), sql("SELECT string_agg(kind || ':' || state || ':'"
	    " || coalesce(last_error, ''), ', ') FROM jobs"));
	cr_expect_eq(sql_num("SELECT priority FROM jobs WHERE kind = 'transcode'"),
	    job_transcode_spec.priority + 10,
	    "circled takes first");

	/* Registered: rel_path under the renditions folder, size and xxh64 of the file. */
	for (int i = 0; i < 3; i++) {
		const char *prof = profs[i];
		snprintf(rel[i], sizeof(rel[i]), "%s", sql("SELECT rel_path FROM renditions WHERE"
		    " clip_id = %lld AND profile = '%s' AND state = 'done' AND finished_at IS NOT NULL",
		    clip, prof));
		snprintf(xxh[i], sizeof(xxh[i]), "%s", sql("SELECT xxh64 FROM renditions WHERE"
		    " clip_id = %lld AND profile = '%s'", clip, prof));
		snprintf(path, sizeof(path), "%s/%s", rend_dir, rel[i]);
		cr_assert_eq(stat(path, &st), 0, "%s", path);
		cr_expect_eq(sql_num("SELECT size FROM renditions WHERE clip_id = %lld AND profile ="
		    " '%s'", clip, prof), st.st_size);
		cr_assert_eq(hash_file(path, HASH_BIT(HASH_XXH64), &h, &err), 0);
		cr_expect_str_eq(xxh[i], h.v[HASH_XXH64].str);
	}
	cr_expect_str_eq(rel[0], "2026-11-25/A001R1AB/A001C003_251125_R1AB_h264_720.mp4");
	cr_expect_str_eq(rel[1], "2026-11-25/A001R1AB/A001C003_251125_R1AB_prores_proxy.mov");
	cr_expect_str_eq(rel[2], "2026-11-25/A001R1AB/A001C003_251125_R1AB_dnxhd_36.mxf");
	cr_expect_eq(sql_num("SELECT count(*) FROM events WHERE kind = 'rendition.ready' AND"
	    " subject_type = 'rendition'"), 3);
	cr_expect_eq(sql_num("SELECT count(*) FROM events WHERE kind = 'clip.proxied'"), 1);
	cr_expect_eq(tmp_files(rend_dir), 0, "no temporary file left");
	/* The API says where each proxy is. */
	struct harness_resp r;
	char q2[96];
	snprintf(q2, sizeof(q2), "/api/v1/renditions?clip_id=%lld", clip);
	harness_http(&srv, "GET", q2, NULL, NULL, &r);
	cr_expect_eq(r.status, 200);
	for (int i = 0; i < 3; i++)
		cr_expect(r.body && strstr(r.body, rel[i]), "%s not in %s", rel[i], r.body);
	harness_resp_release(&r);

	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", rend_dir, rel[i]);
		/* MXF carries the timecode and reel name on its streams. */
		ffprobe(path, i == 2 ? "stream_tags=timecode" : "format_tags=timecode", i == 2 ? "v:0" :
		    NULL, val, sizeof(val));
		cr_expect_str_eq(val, "01:00:00:00", "%s timecode", rel[i]);
		ffprobe(path, i == 2 ? "stream_tags=reel_name" : "format_tags=reel_name", i == 2 ?
		    "v:0" : NULL, val, sizeof(val));
		cr_expect_str_eq(val, "A001R1AB", "%s reel", rel[i]);
		ffprobe(path, "stream=width,height", "v:0", val, sizeof(val));
		cr_expect_str_eq(val, sizes[i], "%s: never scaled up, except to Avid's fixed size",
		    rel[i]);
		/* The flash is still frame 25, the production sound's burst lands on it. */
		cr_expect_eq(flash_frame(path), FLASH, "%s", rel[i]);
		n = decode(path, "audio", 0, audio, sizeof(audio));
		double b = burst_frame(audio, n);
		cr_expect(fabs(b - FLASH) <= 1, "%s: burst at frame %.2f, flash at %d", rel[i], b,
		    FLASH);
	}
	/* h264_720: production sound only; prores_proxy: plus the camera's scratch track. */
	snprintf(path, sizeof(path), "%s/%s", rend_dir, rel[0]);
	ffprobe(path, "stream=index", "a", val, sizeof(val));
	cr_expect_str_eq(val, "1", "one audio track in %s", rel[0]);
	snprintf(path, sizeof(path), "%s/%s", rend_dir, rel[1]);
	ffprobe(path, "stream=codec_name", "a", val, sizeof(val));
	cr_expect_str_eq(val, "pcm_s16le\npcm_s16le", "production + scratch in %s", rel[1]);
	n = decode(path, "audio", 1, audio, sizeof(audio));
	cr_expect_lt(burst_frame(audio, n), 0, "the scratch track is the camera's quiet tone");

	/* The look: both proxies' patches are the CDL then the show LUT of the source colours. */
	snprintf(path, sizeof(path), "%s/%s", rend_dir, rel[0]);
	decode(path, "video", 5, f264, sizeof(f264));
	snprintf(path, sizeof(path), "%s/%s", rend_dir, rel[1]);
	decode(path, "video", 5, fpro, sizeof(fpro));
	check_pixel(f264, 80, 130, base, "h264_720");
	check_pixel(f264, 240, 45, blue, "h264_720");
	check_pixel(fpro, 80, 130, base, "prores_proxy");
	check_pixel(fpro, 240, 45, blue, "prores_proxy");
	/* Burn-ins: the review copy's corners carry text, the ProRes proxy's are clean. */
	for (int y = 0; y < 20; y++)
		for (int x = 0; x < 120; x++)
			for (int c = 0; c < 3; c++)
				diff += abs(f264[(y * W + x) * 3 + c] - fpro[(y * W + x) * 3 + c]);
	cr_expect_gt(diff, 20000, "clip name burnt into the top left of the review copy (%ld)", diff);
	diff = 0;
	for (int y = 60; y < 120; y++)
		for (int x = 100; x < 140; x++)
			for (int c = 0; c < 3; c++)
				diff += abs(f264[(y * W + x) * 3 + c] - fpro[(y * W + x) * 3 + c]);
	cr_expect_lt(diff, 40 * 60 * 3 * 3, "and nothing in the middle (%ld)", diff);
}

/* The file changes under us after the probe (a bad copy): ffmpeg fails, its reason is kept. */
Test(transcode, unreadable_source_fails_with_reason)
{
	struct running_worker w;
	char path[1200];
	long long card, clip;
	FILE *f;

	snprintf(path, sizeof(path), "%s/A001R1AB/A001C004_251125_R1AB.mov", media);
	make_clip(path, 1);
	card = register_card("A001R1AB", "camera", "A001R1AB/A001C004_251125_R1AB.mov",
	    "A001C004_251125_R1AB", false);
	clip = sql_num("SELECT id FROM clips WHERE name = 'A001C004_251125_R1AB'");
	/* Probe only (no transcode kind running), then spoil the file, then transcode. */
	queue_probes(card);
	worker_start(&w, true);
	bool queued = wait_sql("SELECT count(*) FROM jobs WHERE kind = 'transcode'", 1, 30);
	worker_stop(&w);
	cr_assert(queued);
	f = fopen(path, "r+b");
	cr_assert_not_null(f);
	for (int i = 0; i < 200000; i++)
		fputc(i * 7 & 0xff, f);
	fclose(f);
	worker_start(&w, false);
	bool ok = wait_sql("SELECT count(*) FROM clips WHERE state = 'transcode_failed'", 1, 30);
	worker_stop(&w);
	cr_assert(ok, "%s", sql("SELECT string_agg(kind || ':' || state || ':' ||"
	    " coalesce(last_error, ''), ', ') FROM jobs"));
	cr_expect_eq(sql_num("SELECT count(*) FROM renditions WHERE clip_id = %lld AND state ="
	    " 'failed' AND error LIKE '%%ffmpeg failed making h264_1080: %%' AND rel_path IS NULL",
	    clip), 1, "%s", sql("SELECT error FROM renditions"));
	cr_expect_eq(sql_num("SELECT count(*) FROM clips WHERE id = %lld AND state_reason LIKE"
	    " 'h264_1080: %%'", clip), 1);
	cr_expect_eq(sql_num("SELECT count(*) FROM jobs WHERE kind = 'transcode' AND state ="
	    " 'dead' AND attempts = 1"), 1, "not retried: the content is bad");
	cr_expect_eq(tmp_files(rend_dir), 0, "no temporary file left");
}

/* Children of this process that are ffmpeg (running, or dead and not reaped). */
static int
ffmpeg_children(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)) != NULL) {
		char p[300], st[512], comm[64], state;
		int pid, ppid;
		FILE *f;
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(p, sizeof(p), "/proc/%s/stat", e->d_name);
		if ((f = fopen(p, "r")) == NULL)
			continue;
		if (fgets(st, sizeof(st), f) && sscanf(st, "%d (%63[^)]) %c %d", &pid, comm, &state,
		    &ppid) == 4 && ppid == getpid() && strcmp(comm, "ffmpeg") == 0)
			n++;
		fclose(f);
	}
	if (d)
		closedir(d);
	return n;
}

Test(transcode, cancel_kills_ffmpeg_and_leaves_nothing)
{
	struct running_worker w;
	char path[1200], script[700];
	long long card, clip;
	struct err err;
	FILE *f;

	snprintf(path, sizeof(path), "%s/A001R1AB/A001C005_251125_R1AB.mov", media);
	make_clip(path, 6);
	/* Real time (-re): the 6 s clip takes 6 s, long enough to cancel halfway. */
	snprintf(script, sizeof(script), "%s/fake-ffmpeg", data_dir);
	f = fopen(script, "w");
	cr_assert_not_null(f);
	fprintf(f, "#!/bin/sh\nexec ffmpeg -re \"$@\"\n");
	fclose(f);
	chmod(script, 0755);
	setenv("SETPOST_FFMPEG", script, 1);
	ffmpeg_set_programs(script, NULL);
	card = register_card("A001R1AB", "camera", "A001R1AB/A001C005_251125_R1AB.mov",
	    "A001C005_251125_R1AB", false);
	clip = sql_num("SELECT id FROM clips WHERE name = 'A001C005_251125_R1AB'");
	queue_probes(card);
	worker_start(&w, false);
	if (!wait_sql("SELECT count(*) FROM jobs WHERE kind = 'transcode' AND state ="
	    " 'running' AND progress > 0.05 AND progress_text LIKE '%left'", 1, 30)) {
		worker_stop(&w);
		cr_assert_fail("%s", sql("SELECT string_agg(kind || ':' || state || ':' || progress ||"
		    " ':' || coalesce(progress_text, '') || coalesce(last_error, ''), ', ') FROM jobs"));
	}
	cr_expect_eq(ffmpeg_children(), 1, "ffmpeg is running");
	cr_expect_eq(jobq_cancel(db, sql_num("SELECT id FROM jobs WHERE kind = 'transcode'"), &err),
	    0, "%s", err.msg);
	cr_expect(wait_sql("SELECT count(*) FROM jobs WHERE state = 'canceled'", 1, 15));
	cr_expect_eq(ffmpeg_children(), 0, "ffmpeg killed and reaped");
	worker_stop(&w);
	cr_expect_eq(sql_num("SELECT count(*) FROM renditions WHERE clip_id = %lld AND state ="
	    " 'failed' AND error = 'canceled'", clip), 1);
	cr_expect_eq(sql_num("SELECT count(*) FROM clips WHERE id = %lld AND state = 'secured'",
	    clip), 1, "a cancel says nothing about the clip");
	cr_expect_eq(tmp_files(rend_dir), 0, "no half-written proxy");
}

/* POST /api/v1/clips/{id}/transcode: refused with reasons, then a re-run of one profile. */
static long
post_transcode(long long clip, const char *body, char *out, size_t len)
{
	struct harness_resp r;
	char path[128];
	long status;

	snprintf(path, sizeof(path), "/api/v1/clips/%lld/transcode", clip);
	harness_http(&srv, "POST", path, body, (const char *[]){ "Content-Type: application/json",
	    NULL }, &r);
	snprintf(out, len, "%s", r.body ? r.body : "");
	status = r.status;
	harness_resp_release(&r);
	return status;
}

Test(transcode, rerun_route)
{
	struct running_worker w;
	char path[1200], body[2048];
	long long clip, file;

	snprintf(path, sizeof(path), "%s/A001R1AB/A001C006_251125_R1AB.mov", media);
	make_clip(path, 1);
	register_card("A001R1AB", "camera", "A001R1AB/A001C006_251125_R1AB.mov",
	    "A001C006_251125_R1AB", false);
	clip = sql_num("SELECT id FROM clips WHERE name = 'A001C006_251125_R1AB'");
	file = sql_num("SELECT id FROM files WHERE clip_id = %lld", clip);
	cr_expect_eq(post_transcode(clip, "{}", body, sizeof(body)), 409);
	cr_expect(strstr(body, "not been probed"), "%s", body);
	cr_expect_eq(post_transcode(99999, "{}", body, sizeof(body)), 404, "%s", body);
	sql("INSERT INTO clip_media (clip_id, file_id, status, decodable, vendor_tool) VALUES"
	    " (%lld, %lld, 'vendor_tool', false, 'ARRI Reference Tool')", clip, file);
	cr_expect_eq(post_transcode(clip, "{}", body, sizeof(body)), 409);
	cr_expect(strstr(body, "camera raw ffmpeg cannot decode (ARRI Reference Tool)"), "%s", body);
	sql("DELETE FROM clip_media");
	sql("UPDATE productions SET settings = settings || '{\"proxy_active\": [\"h264_1080\","
	    " \"h264_720\"]}'");
	/* The probe queues the transcode of every active profile. */
	worker_start(&w, true);
	bool ok = wait_sql("SELECT count(*) FROM jobs WHERE kind = 'transcode'", 1, 30);
	worker_stop(&w);
	cr_assert(ok);
	cr_expect_eq(post_transcode(clip, "{}", body, sizeof(body)), 409);
	cr_expect(strstr(body, "already queued or running"), "%s", body);
	sql("DELETE FROM jobs WHERE kind = 'transcode'");
	cr_expect_eq(post_transcode(clip, "{\"profiles\": [\"prores_lt\"]}", body, sizeof(body)),
	    400);
	cr_expect(strstr(body, "profiles[0]: prores_lt is not an active profile"), "%s", body);
	cr_expect_eq(post_transcode(clip, "{\"profiles\": 3}", body, sizeof(body)), 400);
	cr_expect_eq(post_transcode(clip, "{\"profiles\": [\"h264_720\"]}", body, sizeof(body)),
	    201, "%s", body);
	cr_expect_eq(sql_num("SELECT count(*) FROM events WHERE kind = 'clip.transcode_requested'"),
	    1);
	worker_start(&w, false);
	ok = wait_sql("SELECT count(*) FROM renditions WHERE state = 'done'", 1, 40);
	worker_stop(&w);
	cr_assert(ok, "%s", sql("SELECT string_agg(kind || ':' || state || ':' ||"
	    " coalesce(last_error, ''), ', ') FROM jobs"));
	cr_expect_str_eq(sql("SELECT string_agg(profile, ',') FROM renditions"), "h264_720");
	cr_expect_eq(sql_num("SELECT count(*) FROM jobs WHERE kind = 'transcode'"), 1);
	cr_expect_str_eq(sql("SELECT state FROM clips WHERE id = %lld", clip), "secured",
	    "h264_1080 is still missing");
}

/* Sound that starts after the picture (offset_frames < 0) is delayed into place. */
Test(transcode, sound_starting_after_the_picture)
{
	static unsigned char audio[48000 * 2 * 3];
	struct running_worker w;
	char path[1200], rel[600];
	long long card, clip, sound;
	size_t n;

	snprintf(path, sizeof(path), "%s/A001R1AB/A001C007_251125_R1AB.mov", media);
	make_clip(path, 2);
	/* The roll starts 15 frames into the picture; its burst 10 frames later: frame 25. */
	snprintf(path, sizeof(path), "%s/SOUND01/T007.WAV", media);
	const char *mk[] = { "ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
		"aevalsrc='if(between(t,0.4,0.6),0.5*sin(2*PI*1000*t),0)':s=48000:d=3", "-c:a",
		"pcm_s24le", path, NULL };
	ff(mk);
	card = register_card("A001R1AB", "camera", "A001R1AB/A001C007_251125_R1AB.mov",
	    "A001C007_251125_R1AB", false);
	register_card("SOUND01", "sound", "SOUND01/T007.WAV", "T007", false);
	clip = sql_num("SELECT id FROM clips WHERE name = 'A001C007_251125_R1AB'");
	sound = sql_num("SELECT id FROM clips WHERE name = 'T007'");
	sql("INSERT INTO clip_sound (clip_id, sound_clip_id, offset_frames, method) VALUES"
	    " (%lld, %lld, -15, 'manual')", clip, sound);
	queue_probes(card);
	worker_start(&w, false);
	bool ok = wait_sql("SELECT count(*) FROM renditions WHERE state = 'done'", 1, 40);
	worker_stop(&w);
	cr_assert(ok, "%s", sql("SELECT string_agg(kind || ':' || state || ':' ||"
	    " coalesce(last_error, ''), ', ') FROM jobs"));
	snprintf(rel, sizeof(rel), "%s", sql("SELECT rel_path FROM renditions"));
	snprintf(path, sizeof(path), "%s/%s", rend_dir, rel);
	n = decode(path, "audio", 0, audio, sizeof(audio));
	double b = burst_frame(audio, n);
	cr_expect(fabs(b - FLASH) <= 1, "burst at frame %.2f, flash at %d", b, FLASH);
	cr_expect_eq(flash_frame(path), FLASH);
}
