/* job_transcode: a secured clip's proxies, one per active profile of its production
 * (lib/profile), with its look baked into one cube (lib/look), burn-ins (lib/burnin) and the
 * synced production sound (table clip_sound). Payload {"clip_id": N} and optionally
 * "profiles": [names] to make only those.
 *
 * Each proxy is written by ffmpeg under a temporary name next to its real one
 * (".<name>.<job>.tmp"), hashed (xxh64), renamed, then registered as a rendition (state done)
 * with a rendition.ready event. A failed ffmpeg leaves the rendition failed with its last
 * lines and the clip transcode_failed; a canceled one leaves nothing on disk. The clip becomes
 * proxied when every active profile's rendition is done (lib/clipstate).
 *
 * A proxy made again (its look changed, its sound was synced anew) while a done one exists
 * is a new rendition (version + 1): the old one stays done and deliverable while the new one
 * is made, then, in the transaction that records the new one, becomes superseded, its file
 * kept aside (hard-linked to .superseded/<id>.<name> before the new file takes the name), its
 * deliveries not yet started failed as superseded. The new one's rendition.ready sends it by
 * the same delivery rules. A failed remake leaves the old one done, with the error.
 *
 * Filter order (bench/transcode.sh (b)): the picture is scaled down to the proxy's size first,
 * converted there to 16-bit planar RGB, then lut3d, then the encoder's format and the burn-ins:
 * the look costs the proxy's pixels, not the source's. 16-bit, not 8: ffmpeg 5.1's lut3d has
 * SIMD code only for 16-bit and float planar input; on 8- or 10-bit RGB it runs plain C and
 * costs almost twice as much at 720p as the 16-bit path does at 1080p (measured: 720p, 100
 * frames, user CPU: gbrp 2.27 s, gbrp10le 2.26 s, gbrp16le 1.25 s, naive 1080p gbrp16le 1.95 s).
 * The way back to Y'CbCr rounds accurately (accurate_rnd, no measurable cost): without it the
 * 16-bit to 8-bit step alone put flat patches 3 code values from the naive chain's render.
 *
 * Concurrency: one transcode at a time per worker (kinds.c) with ffmpeg -threads 2. One
 * ffmpeg already keeps both cores busy (frame-threaded decoding and encoding), so a second
 * one would only time-slice with the first, delaying the first proxy (circled takes first)
 * without finishing the card sooner; the worker's other slots stay free for probe,
 * thumbnails and QC. */
#include "lib/media/burnin.h"
#include "payload.h"
#include "lib/core/clock.h"
#include "lib/pipeline/clipstate.h"
#include "lib/pipeline/pipeline.h"
#include "lib/core/config.h"
#include "lib/store/event.h"
#include "lib/media/ffmpeg.h"
#include "lib/media/frameseq.h"
#include "lib/core/file.h"
#include "lib/core/hash.h"
#include "lib/custody/locate.h"
#include "lib/custody/clip_input.h"
#include "lib/core/log.h"
#include "lib/media/look.h"
#include "lib/media/probe.h"
#include "lib/media/profile.h"
#include "lib/store/worker.h"
#include "lib/store/params.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int job_transcode_run(struct job *job, struct err *err);


#define TC_ARGV_MAX 128

struct tc {
	struct job *job;
	struct locate_clip lc;
	struct probe p;
	struct look look;
	struct profile_set active;      /* the ones this job makes */
	char all[PROFILE_MAX][PROFILE_NAME_MAX];   /* every active one: what proxied means */
	int nall;
	json_t *settings;
	char day[32], card[128], production[256], scene[64], take[64], camera[64], reel[128];
	/* production sound */
	long long sound_clip_id, offset_frames;
	char sound_path[PATH_MAX];
	char dir[PATH_MAX];            /* renditions folder */
	char cube[PATH_MAX];           /* baked look, "" when the look is the identity */
	int done, nprof;
	double started;
	json_t *commands;              /* profile -> the ffmpeg argv it ran (result, benches) */
	double ffmpeg_seconds;
};

static bool
tc_canceled(void *arg)
{
	return job_canceled(arg);
}

/* --- what the clip is ------------------------------------------------------------------- */

static const struct db_stmt stmt_clip = { "transcode_clip",
	"SELECT d.shoot_date::text, k.label, p.name, p.settings, coalesce(c.scene, ''),"
	" coalesce(c.take, ''), coalesce(c.camera, ''), coalesce(nullif(m.reel, ''), c.reel, ''),"
	" cs.sound_clip_id, cs.offset_frames"
	" FROM clips c JOIN cards k ON k.id = c.card_id JOIN days d ON d.id = k.day_id"
	" JOIN productions p ON p.id = d.production_id"
	" LEFT JOIN clip_media m ON m.clip_id = c.id"
	" LEFT JOIN clip_sound cs ON cs.clip_id = c.id AND cs.sound_clip_id IS NOT NULL"
	" AND cs.method <> 'ambiguous'"
	" WHERE c.id = $1", 1 };

static int
tc_load_clip(struct tc *t, struct db_conn *c, struct err *err)
{
	struct db_params q = { 0 };
	PGresult *r;
	int n;

	db_param_ll(&q, t->lc.clip_id);
	if ((n = db_query(c, &stmt_clip, q.v, &r, err)) < 0)
		return n;
	if (n == 0) {
		PQclear(r);
		return err_set(err, SP_ENOTFOUND, "clip %lld not found", t->lc.clip_id);
	}
	snprintf(t->day, sizeof(t->day), "%s", PQgetvalue(r, 0, 0));
	snprintf(t->card, sizeof(t->card), "%s", PQgetvalue(r, 0, 1));
	snprintf(t->production, sizeof(t->production), "%s", PQgetvalue(r, 0, 2));
	t->settings = json_loads(PQgetvalue(r, 0, 3), 0, NULL);
	snprintf(t->scene, sizeof(t->scene), "%s", PQgetvalue(r, 0, 4));
	snprintf(t->take, sizeof(t->take), "%s", PQgetvalue(r, 0, 5));
	snprintf(t->camera, sizeof(t->camera), "%s", PQgetvalue(r, 0, 6));
	snprintf(t->reel, sizeof(t->reel), "%s", PQgetvalue(r, 0, 7));
	t->sound_clip_id = db_ll(r, 0, 8);
	t->offset_frames = db_ll(r, 0, 9);
	PQclear(r);
	return 0;
}

/* Everything the job needs from the database, and readable copies of picture and sound. */
static int
tc_prepare(struct tc *t, struct db_conn *c, long long clip_id, struct err *err)
{
	struct locate_clip *snd;
	int rc;

	if ((rc = locate_clip_load(c, clip_id, &t->lc, err)) < 0 ||
	    (rc = tc_load_clip(t, c, err)) < 0) {
		t->job->permanent = rc == SP_ENOTFOUND;
		return rc;
	}
	if ((rc = probe_load(c, clip_id, &t->p, err)) < 0) {
		t->job->permanent = true;
		return err_prefix(err, "%s: not probed: ", t->lc.name);
	}
	/* the original, or the camera's own proxy when the original needs the maker's SDK */
	if ((rc = clip_input_locate(c, &t->lc, &t->p, err)) < 0)
		return rc;
	if (!t->p.decodable || t->p.video_streams == 0) {
		t->job->permanent = true;
		return err_set(err, SP_EUNSUPPORTED, "%s: %s", t->lc.name, t->p.video_streams == 0 ?
		    "no picture to transcode" : "ffmpeg cannot decode it; transcode it with the"
		    " maker's software");
	}
	if (t->p.fps_num == 0 || t->p.fps_den == 0) {
		t->job->permanent = true;
		return err_set(err, SP_EUNSUPPORTED, "%s: unknown frame rate", t->lc.name);
	}
	if ((rc = profile_load(t->settings, NULL, &t->active, err)) < 0 ||
	    (rc = look_load(c, clip_id, &t->look, err)) < 0) {
		t->job->permanent = rc == SP_EINVAL;
		return rc;
	}
	if (t->sound_clip_id > 0) {
		if ((snd = calloc(1, sizeof(*snd))) == NULL)
			return err_set(err, SP_ENOMEM, "out of memory");
		rc = locate_clip_load(c, t->sound_clip_id, snd, err);
		if (rc == 0)
			rc = locate_file(c, snd->file_id, t->sound_path, sizeof(t->sound_path), err);
		free(snd);
		if (rc < 0)
			return err_prefix(err, "%s: synced sound: ", t->lc.name);
	}
	return 0;
}

/* --- renditions in the database --------------------------------------------------------- */

static const struct db_stmt stmt_start = { "transcode_start",
	"INSERT INTO renditions (clip_id, profile, state, source) VALUES ($1, $2, 'running', $3)"
	" ON CONFLICT (clip_id, profile) WHERE state <> 'superseded' DO UPDATE SET state = 'running',"
	" error = NULL, rel_path = NULL, size = NULL, xxh64 = NULL, finished_at = NULL,"
	" stale_at = NULL, source = EXCLUDED.source RETURNING id", 3 };

/* The done rendition of this clip and profile, which a new one would supersede. */
static const struct db_stmt stmt_current = { "transcode_current",
	"SELECT id, version, rel_path FROM renditions WHERE clip_id = $1 AND profile = $2"
	" AND state = 'done'", 2 };

/* The old one aside, then the new one (done) in its place; $1 old id, $2 its file aside. */
static const struct db_stmt stmt_supersede = { "transcode_supersede",
	"UPDATE renditions SET state = 'superseded', rel_path = $2 WHERE id = $1 AND state = 'done'"
	" RETURNING clip_id, profile, version", 2 };
static const struct db_stmt stmt_remade = { "transcode_remade",
	"INSERT INTO renditions (clip_id, profile, state, rel_path, size, xxh64, version,"
	" finished_at, source) VALUES ($1, $2, 'done', $3, $4, $5, $6::int + 1, now(), $7)"
	" RETURNING id", 7 };
static const struct db_stmt stmt_superseded_by = { "transcode_superseded_by",
	"UPDATE renditions SET superseded_by = $2 WHERE id = $1", 2 };
static const struct db_stmt stmt_remake_failed = { "transcode_remake_failed",
	"UPDATE renditions SET error = $2 WHERE id = $1", 2 };

static const struct db_stmt stmt_done = { "transcode_done",
	"UPDATE renditions SET state = 'done', rel_path = $2, size = $3, xxh64 = $4, error = NULL,"
	" finished_at = now(), source = $5 WHERE id = $1", 5 };

static const struct db_stmt stmt_failed = { "transcode_failed",
	"UPDATE renditions SET state = $3, error = $2, finished_at = now() WHERE id = $1", 3 };

static int
tc_start(struct tc *t, const struct profile *pr, long long *rid, struct err *err)
{
	struct db_params q = { 0 };
	PGresult *r;
	int n;

	db_param_ll(&q, t->lc.clip_id);
	db_param_str(&q, pr->name);
	db_param_str(&q, clip_input_source(&t->lc));
	if ((n = db_exec(t->job->db, &stmt_start, q.v, &r, err)) < 0)
		return n;
	*rid = db_ll(r, 0, 0);
	PQclear(r);
	return 0;
}

struct tc_end {
	struct tc *t;
	const struct profile *pr;
	long long rid;
	const char *rel, *error, *state;
	long long size;
	const char *xxh64;
	bool last;
	/* a remake: the done rendition it supersedes, its version, where its file goes aside */
	long long old_id;
	int old_version;
	char old_rel[1024], aside[1100];
};

/* The done rendition of the clip in this profile (a remake supersedes it), or none. */
static int
tc_current(struct tc *t, const struct profile *pr, struct tc_end *e, struct err *err)
{
	struct db_params q = { 0 };
	PGresult *r;
	int n;

	db_param_ll(&q, t->lc.clip_id);
	db_param_str(&q, pr->name);
	if ((n = db_exec(t->job->db, &stmt_current, q.v, &r, err)) < 0)
		return n;
	if (n > 0 && db_val(r, 0, 2)) {
		e->old_id = db_ll(r, 0, 0);
		e->old_version = (int)db_ll(r, 0, 1);
		snprintf(e->old_rel, sizeof(e->old_rel), "%s", PQgetvalue(r, 0, 2));
	}
	PQclear(r);
	return 0;
}

/* In the remake's transaction: the old rendition superseded, the new one recorded done. */
static int
tc_supersede(struct db_conn *c, struct tc_end *e, struct err *err)
{
	struct db_params p1 = { 0 }, p2 = { 0 }, p3 = { 0 };
	PGresult *r;
	json_t *data;
	int n, rc;

	db_param_ll(&p1, e->old_id);
	db_param_str(&p1, e->aside);
	db_param_ll(&p2, e->t->lc.clip_id);
	db_param_str(&p2, e->pr->name);
	db_param_str(&p2, e->rel);
	db_param_ll(&p2, e->size);
	db_param_str(&p2, e->xxh64);
	db_param_ll(&p2, e->old_version);
	db_param_str(&p2, clip_input_source(&e->t->lc));
	if ((n = db_query(c, &stmt_supersede, p1.v, NULL, err)) < 0)
		return n;
	if (n == 0)
		return err_set(err, SP_ECONFLICT, "rendition %lld was superseded meanwhile", e->old_id);
	if ((n = db_query(c, &stmt_remade, p2.v, &r, err)) < 0)
		return n;
	e->rid = db_ll(r, 0, 0);
	PQclear(r);
	db_param_ll(&p3, e->old_id);
	db_param_ll(&p3, e->rid);
	if ((rc = db_query(c, &stmt_superseded_by, p3.v, NULL, err)) < 0 ||
	    (n = pipeline_superseded(c, e->old_id, e->rid, err)) < 0)
		return rc < 0 ? rc : n;
	data = json_pack("{s:I,s:s,s:s,s:I,s:i,s:s,s:i}", "clip_id",
	    (json_int_t)e->t->lc.clip_id, "clip", e->t->lc.name, "profile", e->pr->name,
	    "superseded_by", (json_int_t)e->rid, "version", e->old_version + 1, "kept_at", e->aside,
	    "deliveries_dropped", n);
	rc = event_record(c, e->t->job->worker, "rendition.superseded", "rendition", e->old_id,
	    data, NULL, err);
	json_decref(data);
	return rc;
}

static int
tc_end_tx(struct db_conn *c, void *arg, struct err *err)
{
	struct tc_end *e = arg;
	struct db_params q = { 0 };
	const char *names[PROFILE_MAX];
	json_t *data;
	int rc;

	if (e->error == NULL) {
		if (e->old_id > 0 && (rc = tc_supersede(c, e, err)) < 0)
			return rc;
		db_param_ll(&q, e->rid);
		db_param_str(&q, e->rel);
		db_param_ll(&q, e->size);
		db_param_str(&q, e->xxh64);
		db_param_str(&q, clip_input_source(&e->t->lc));
		if ((rc = db_query(c, &stmt_done, q.v, NULL, err)) < 0)
			return rc;
		data = json_pack("{s:I,s:s,s:s,s:s,s:I,s:s,s:i,s:s}", "clip_id",
		    (json_int_t)e->t->lc.clip_id, "clip", e->t->lc.name, "profile", e->pr->name,
		    "rel_path", e->rel, "size", (json_int_t)e->size, "xxh64", e->xxh64, "version",
		    e->old_id > 0 ? e->old_version + 1 : 1, "source", clip_input_source(&e->t->lc));
		if (e->t->lc.from_camera_proxy)
			json_object_set_new(data, "camera_proxy", json_string(e->t->lc.proxy_rel_path));
		rc = event_record(c, e->t->job->worker, "rendition.ready", "rendition", e->rid, data,
		    NULL, err);
		/* Complete and hashed: its deliveries leave now, whatever the rest of the clip does. */
		if (rc == 0 && (rc = pipeline_rendition_ready(c, e->rid, err)) > 0)
			rc = 0;
	} else {
		db_param_ll(&q, e->rid);
		db_param_str(&q, e->error);
		db_param_str(&q, e->state);
		if ((rc = db_query(c, &stmt_failed, q.v, NULL, err)) < 0)
			return rc;
		data = json_pack("{s:I,s:s,s:s,s:s}", "clip_id", (json_int_t)e->t->lc.clip_id, "clip",
		    e->t->lc.name, "profile", e->pr->name, "error", e->error);
		rc = strcmp(e->state, "failed") ? 0 : event_record(c, e->t->job->worker,
		    "rendition.failed", "rendition", e->rid, data, NULL, err);
	}
	json_decref(data);
	/* A person's cancel or a shutdown says nothing about the clip. */
	if (rc < 0 || strcmp(e->state, "queued") == 0 || (e->error && !strcmp(e->error, "canceled")))
		return rc;
	for (int i = 0; i < e->t->nall; i++)
		names[i] = e->t->all[i];
	rc = clipstate_refresh_renditions(c, e->t->lc.clip_id, names, e->t->nall,
	    e->t->job->worker, err);
	return rc < 0 ? rc : 0;
}

/* --- the ffmpeg command ----------------------------------------------------------------- */

struct tc_cmd {
	const char *argv[TC_ARGV_MAX];
	int argc;
	char words[2 * PROFILE_ARGS_MAX + 64];   /* the profile's arguments, split in place */
	struct media_input in;     /* the clip: a file, or a DPX/OpenEXR frame sequence */
	char sound[PATH_MAX + 8], ss[32], graph[8192], tcode[TIMECODE_BUFSZ],
	    reel_str[200], dur[32], out[3 * PATH_MAX];
};

static void
tc_arg(struct tc_cmd *m, const char *a)
{
	if (m->argc < TC_ARGV_MAX - 1)
		m->argv[m->argc++] = a;
	m->argv[m->argc] = NULL;
}

/* Appends a profile's space-separated arguments (checked by lib/profile: no quotes). */
static void
tc_words(struct tc_cmd *m, size_t *used, const char *args)
{
	char *w = m->words + *used, *save = NULL, *tok;
	size_t n = strlen(args) + 1;

	if (*used + n > sizeof(m->words))
		return;
	memcpy(w, args, n);
	*used += n;
	for (tok = strtok_r(w, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		tc_arg(m, tok);
}

/* The video chain: scale to fit the profile's box (never up), look at that size in 16-bit
 * planar RGB, then the encoder's format, then the burn-ins. Rec.709 both ways. */
int tc_video_chain(const struct profile *pr, int src_w, int src_h, const char *cube,
    json_t *burnin, const struct burnin_vars *bv, char *out, size_t len, struct err *err);

int
tc_video_chain(const struct profile *pr, int src_w, int src_h, const char *cube,
    json_t *burnin, const struct burnin_vars *bv, char *out, size_t len, struct err *err)
{
	char ecube[PATH_MAX * 2], bi[6144];
	int w = pr->width, h = pr->height, n;

	char pad[96] = "";

	/* Fit inside the box keeping the picture's aspect, even sizes, never larger (unless the
	 * profile wants its exact size: then fitted up or down and padded). */
	if (pr->exact)
		snprintf(pad, sizeof(pad), ",pad=%d:%d:(ow-iw)/2:(oh-ih)/2", pr->width, pr->height);
	if (src_w > 0 && src_h > 0) {
		if (!pr->exact && src_w <= w && src_h <= h) {
			w = src_w;
			h = src_h;
		} else if ((double)src_w / src_h > (double)w / h) {
			h = (int)lround((double)w * src_h / src_w);
		} else {
			w = (int)lround((double)h * src_w / src_h);
		}
		w &= ~1;
		h &= ~1;
	}
	if (burnin_filter(burnin, bv, h, bi, sizeof(bi), err) < 0)
		return err->code;
	if (cube && cube[0]) {
		if (ffmpeg_escape(cube, ecube, sizeof(ecube)) < 0)
			return err_set(err, SP_ETOOBIG, "look path too long");
		n = snprintf(out, len, "[0:v:0]scale=%d:%d:flags=bicubic:in_color_matrix=bt709:"
		    "in_range=tv:out_range=pc,format=gbrp16le,lut3d=file=%s,scale=out_color_matrix=bt709:"
		    "in_range=pc:out_range=tv:flags=accurate_rnd,format=%s%s,setsar=1%s%s[v]", w, h, ecube, pr->pix_fmt,
		    pad, bi[0] ? "," : "", bi);
	} else {
		n = snprintf(out, len, "[0:v:0]scale=%d:%d:flags=bicubic,format=%s%s,setsar=1%s%s[v]",
		    w, h, pr->pix_fmt, pad, bi[0] ? "," : "", bi);
	}
	if (n < 0 || (size_t)n >= len)
		return err_set(err, SP_ETOOBIG, "filter graph too long");
	return 0;
}

static int
tc_command(struct tc *t, const struct profile *pr, const char *tmp, struct tc_cmd *m,
    struct err *err)
{
	struct burnin_vars bv = { t->lc.name, t->scene, t->take, t->reel, t->camera, t->day,
		t->production, t->card, t->p.start_tc[0] ? t->p.start_tc : "00:00:00:00",
		t->p.fps_num, t->p.fps_den };
	size_t used = 0, gl;
	bool synced = t->sound_path[0] != '\0';
	const char *fmt = strcmp(pr->ext, "mp4") == 0 ? "mp4" : strcmp(pr->ext, "mxf") == 0 ?
	    "mxf" : "mov";
	int rc;

	m->argc = 0;
	tc_arg(m, "ffmpeg");
	tc_arg(m, "-nostdin");
	tc_arg(m, "-hide_banner");
	tc_arg(m, "-nostats");
	tc_arg(m, "-v");
	tc_arg(m, "error");
	tc_arg(m, "-progress");
	tc_arg(m, "pipe:3");
	tc_arg(m, "-y");
	if ((rc = media_input_of(t->lc.path, &m->in, err)) < 0)
		return rc;
	for (int i = 0; i < m->in.argc; i++)
		tc_arg(m, m->in.argv[i]);
	if (synced) {
		/* Where the picture's first frame falls in the sound file, in seconds. */
		double off = (double)t->offset_frames * t->p.fps_den / t->p.fps_num;
		if (off > 0) {
			snprintf(m->ss, sizeof(m->ss), "%.6f", off);
			tc_arg(m, "-ss");
			tc_arg(m, m->ss);
		}
		snprintf(m->sound, sizeof(m->sound), "file:%s", t->sound_path);
		tc_arg(m, "-i");
		tc_arg(m, m->sound);
	}
	/* Anamorphic pictures are fitted by their display shape; the proxy has square pixels. */
	int disp_w = t->p.sar_num > 0 && t->p.sar_den > 0 ?
	    (int)lround((double)t->p.width * t->p.sar_num / t->p.sar_den) : t->p.width;
	if ((rc = tc_video_chain(pr, disp_w, t->p.height, t->cube, pr->burnin, &bv, m->graph,
	    sizeof(m->graph) - 128, err)) < 0)
		return rc;
	gl = strlen(m->graph);
	if (synced && t->offset_frames < 0)   /* the sound starts after the picture: delay it */
		snprintf(m->graph + gl, sizeof(m->graph) - gl, ";[1:a:0]adelay=delays=%.3f:all=1[a]",
		    -1000.0 * (double)t->offset_frames * t->p.fps_den / t->p.fps_num);
	tc_arg(m, "-filter_complex");
	tc_arg(m, m->graph);
	tc_arg(m, "-map");
	tc_arg(m, "[v]");
	if (synced && strncmp(pr->audio_layout, "camera", 6) == 0) {
		/* The camera file's tracks first and as they are (what Premiere compares when it
		 * attaches a proxy); the production sound after them only when asked. */
		tc_arg(m, "-map");
		tc_arg(m, "0:a?");
		if (strcmp(pr->audio_layout, "camera+production") == 0) {
			tc_arg(m, "-map");
			tc_arg(m, t->offset_frames < 0 ? "[a]" : "1:a:0");
		}
	} else if (synced) {
		tc_arg(m, "-map");
		tc_arg(m, t->offset_frames < 0 ? "[a]" : "1:a:0");
		if (pr->scratch_track) {
			tc_arg(m, "-map");
			tc_arg(m, "0:a?");
		}
	} else {
		tc_arg(m, "-map");
		tc_arg(m, "0:a?");
	}
	tc_words(m, &used, pr->video);
	if (pr->video_bitrate[0]) {
		tc_arg(m, "-b:v");
		tc_arg(m, pr->video_bitrate);
	}
	tc_arg(m, "-threads");
	tc_arg(m, "2");
	tc_words(m, &used, pr->audio);
	/* The source's start timecode and reel name go with the proxy (tmcd track / MXF). */
	snprintf(m->tcode, sizeof(m->tcode), "%s", bv.start_tc);
	tc_arg(m, "-timecode");
	tc_arg(m, m->tcode);
	if (t->reel[0]) {
		snprintf(m->reel_str, sizeof(m->reel_str), "reel_name=%s", t->reel);
		tc_arg(m, "-metadata");
		tc_arg(m, m->reel_str);
		tc_arg(m, "-metadata:s:v:0");
		tc_arg(m, m->reel_str);
	}
	if (strcmp(fmt, "mxf") != 0) {
		tc_arg(m, "-movflags");
		tc_arg(m, "+faststart+use_metadata_tags");
		tc_arg(m, "-write_tmcd");
		tc_arg(m, "1");
	}
	if (t->p.duration > 0) {   /* the sound file is longer than the picture */
		snprintf(m->dur, sizeof(m->dur), "%.6f", t->p.duration);
		tc_arg(m, "-t");
		tc_arg(m, m->dur);
	} else if (synced) {
		tc_arg(m, "-shortest");
	}
	tc_arg(m, "-f");
	tc_arg(m, fmt);
	snprintf(m->out, sizeof(m->out), "file:%s", tmp);
	tc_arg(m, m->out);
	if (m->argc >= TC_ARGV_MAX - 1)
		return err_set(err, SP_ETOOBIG, "%s: too many encoder arguments", pr->name);
	return 0;
}

/* --- a remake: the old file kept aside ------------------------------------------------- */

/* Hard-links the old rendition's file to <its folder>/.superseded/<id>.<name> (its rel path
 * in end->aside) before the new file takes the name, so the old one is never missing. */
static int
tc_aside(struct tc *t, struct tc_end *e, struct err *err)
{
	char folder[1024], from[PATH_MAX + 1100], to[PATH_MAX + 1200], dir[PATH_MAX + 1200];
	const char *base = strrchr(e->old_rel, '/');
	int rc;

	snprintf(folder, sizeof(folder), "%.*s", base ? (int)(base - e->old_rel) : 0, e->old_rel);
	base = base ? base + 1 : e->old_rel;
	if (snprintf(e->aside, sizeof(e->aside), "%s%s.superseded/%lld.%s", folder,
	    folder[0] ? "/" : "", e->old_id, base) >= (int)sizeof(e->aside) ||
	    snprintf(from, sizeof(from), "%s/%s", t->dir, e->old_rel) >= (int)sizeof(from) ||
	    snprintf(to, sizeof(to), "%s/%s", t->dir, e->aside) >= (int)sizeof(to))
		return err_set(err, SP_ETOOBIG, "%s: path too long", e->old_rel);
	snprintf(dir, sizeof(dir), "%s", to);
	*strrchr(dir, '/') = '\0';
	if ((rc = file_mkdirs(dir, 0755, err)) < 0)
		return rc;
	unlink(to);
	if (link(from, to) < 0)
		return err_errno(err, SP_EIO, errno, "keep %s aside", from);
	return 0;
}

/* After the remake's transaction: on success the old name goes when the new file has
 * another; on failure the old file goes back to its name. */
static void
tc_aside_end(struct tc *t, struct tc_end *e, const char *rel, int rc)
{
	char old[PATH_MAX + 1100], aside[PATH_MAX + 1200];

	snprintf(old, sizeof(old), "%s/%s", t->dir, e->old_rel);
	snprintf(aside, sizeof(aside), "%s/%s", t->dir, e->aside);
	if (rc == 0 && strcmp(rel, e->old_rel) != 0)
		unlink(old);
	else if (rc < 0 && rename(aside, old) < 0)
		log_warn("job=%lld: cannot put %s back: %s", t->job->id, old, strerror(errno));
}

/* --- one proxy -------------------------------------------------------------------------- */

static void
tc_progress(void *arg, double fraction, double seconds)
{
	struct tc *t = arg;
	double all = (t->done + fraction) / (t->nprof > 0 ? t->nprof : 1);
	double spent = clock_now() - t->started;
	(void)seconds;

	if (all > 0.01)
		job_progress(t->job, all, "%s: %s %.0f%%, about %.0f s left", t->lc.name,
		    t->active.v[t->done].name, fraction * 100, spent / all - spent);
	else
		job_progress(t->job, all, "%s: %s starting", t->lc.name, t->active.v[t->done].name);
}

static int
tc_one(struct tc *t, const struct profile *pr, struct err *err)
{
	struct tc_end end = { t, pr, 0, NULL, NULL, "failed", 0, NULL, false, 0, 0, "", "" };
	struct tc_cmd *m = calloc(1, sizeof(*m));
	struct ffmpeg_run run;
	struct hash_result h;
	struct profile_vars pv = { t->day, t->card, t->lc.name, t->scene, t->take, t->reel };
	char rel[1024], final[PATH_MAX + 1100], tmp[PATH_MAX + 1200], folder[PATH_MAX + 1100],
	    why[FFMPEG_TAIL + 300], *slash;
	struct err e2;
	int rc;

	if (m == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	tmp[0] = '\0';
	if ((rc = profile_name(pr, &pv, rel, sizeof(rel), err)) < 0 ||
	    (rc = tc_current(t, pr, &end, err)) < 0 ||
	    (end.old_id == 0 && (rc = tc_start(t, pr, &end.rid, err)) < 0))
		goto out;
	snprintf(final, sizeof(final), "%s/%s", t->dir, rel);
	snprintf(folder, sizeof(folder), "%s", final);
	slash = strrchr(folder, '/');
	*slash = '\0';
	snprintf(tmp, sizeof(tmp), "%s/.%s.%lld.tmp", folder, slash + 1, t->job->id);
	if ((rc = file_mkdirs(folder, 0755, err)) < 0 || (rc = tc_command(t, pr, tmp, m, err)) < 0)
		goto fail;
	memset(&run, 0, sizeof(run));
	run.argv = m->argv;
	run.progress_fd = 3;
	run.duration = t->p.duration;
	run.on_progress = tc_progress;
	run.progress_arg = t;
	run.canceled = tc_canceled;
	run.cancel_arg = t->job;
	if ((rc = ffmpeg_run(&run, err)) < 0) {
		if (rc == SP_ECANCELED)
			goto fail;
		ffmpeg_last_lines(run.tail, 4, why, sizeof(why));
		rc = err_set(err, SP_EIO, "%s: ffmpeg failed making %s: %s", t->lc.name, pr->name,
		    why[0] ? why : err->msg);
		/* ffmpeg refusing this source is about its content: retrying changes nothing. */
		t->job->permanent = true;
		goto fail;
	}
	t->ffmpeg_seconds += run.seconds;
	json_t *argv = json_array();
	for (int i = 0; i < m->argc; i++)
		json_array_append_new(argv, json_string(m->argv[i]));
	json_object_set_new(t->commands, pr->name, argv);
	if ((rc = hash_file(tmp, HASH_BIT(HASH_XXH64), &h, err)) < 0)
		goto fail;
	if (end.old_id > 0 && (rc = tc_aside(t, &end, err)) < 0)
		goto fail;
	if (rename(tmp, final) < 0) {
		rc = err_errno(err, SP_EIO, errno, "rename to %s", final);
		goto fail;
	}
	tmp[0] = '\0';
	end.rel = rel;
	end.size = (long long)h.nbytes;
	end.xxh64 = h.v[HASH_XXH64].str;
	end.state = "done";
	rc = db_tx(t->job->db, tc_end_tx, &end, err);
	if (end.old_id > 0)
		tc_aside_end(t, &end, rel, rc);
	if (rc == 0)
		log_info("job=%lld clip=%s profile=%s rendition=%s bytes=%lld", t->job->id, t->lc.name,
		    pr->name, rel, end.size);
	goto out;
fail:
	if (end.old_id > 0 && end.rid == 0 && rc != SP_ECANCELED) {
		/* A failed remake: the old proxy stays done (and stale), with why. */
		struct db_params pe = { 0 };
		db_param_ll(&pe, end.old_id);
		db_param_str(&pe, err->msg);
		if (db_exec(t->job->db, &stmt_remake_failed, pe.v, NULL, &e2) < 0)
			log_warn("job=%lld rendition %lld: %s", t->job->id, end.old_id, e2.msg);
	}
	if (end.rid > 0) {
		/* Shutdown: the job is requeued, so is the rendition; cancel: it is not made. */
		bool requeue = rc == SP_ECANCELED && !atomic_load(&t->job->cancel);
		end.error = rc == SP_ECANCELED ? "canceled" : err->msg;
		end.state = requeue ? "queued" : "failed";
		if (db_tx(t->job->db, tc_end_tx, &end, &e2) < 0)
			log_warn("job=%lld rendition %lld: %s", t->job->id, end.rid, e2.msg);
	}
out:
	if (tmp[0])
		unlink(tmp);
	free(m);
	return rc;
}

/* --- the job ---------------------------------------------------------------------------- */

static int
tc_dirs(struct tc *t, struct err *err)
{
	const struct config *cfg = t->job->ctx;
	char looks[PATH_MAX], raw[PATH_MAX];
	int rc;

	if (cfg == NULL || cfg->data_dir == NULL)
		return err_set(err, SP_EINTERNAL, "transcode needs the data folder");
	if ((rc = config_renditions_dir(cfg, raw, sizeof(raw), err)) < 0 ||
	    (rc = file_mkdirs(raw, 0755, err)) < 0)
		return rc;
	if (realpath(raw, t->dir) == NULL)
		return err_errno(err, SP_EIO, errno, "renditions folder %s", raw);
	if (look_is_identity(&t->look))
		return 0;
	snprintf(looks, sizeof(looks), "%s/looks", cfg->data_dir);
	if ((rc = file_mkdirs(looks, 0755, err)) < 0)
		return rc;
	if (realpath(looks, raw) == NULL)
		return err_errno(err, SP_EIO, errno, "looks folder %s", looks);
	return look_bake_file(&t->look, LUT_BAKE_DEFAULT, raw, t->cube, sizeof(t->cube), err);
}

/* Keeps only the profiles the payload names (a re-run of some). */
static int
tc_filter_profiles(struct tc *t, struct err *err)
{
	json_t *want = json_object_get(t->job->payload, "profiles"), *v;
	struct profile_set keep;
	size_t i;

	for (int k = 0; k < t->active.n; k++)
		memcpy(t->all[k], t->active.v[k].name, sizeof(t->all[k]));
	t->nall = t->active.n;
	if (want == NULL || json_is_null(want))
		return 0;
	memset(&keep, 0, sizeof(keep));
	json_array_foreach(want, i, v) {
		for (int k = 0; k < t->active.n; k++)
			if (json_is_string(v) && strcmp(json_string_value(v), t->active.v[k].name) == 0)
				keep.v[keep.n++] = t->active.v[k];
	}
	if (keep.n == 0) {
		t->job->permanent = true;
		return err_set(err, SP_EINVAL, "payload.profiles: none of them is active");
	}
	memcpy(t->active.v, keep.v, sizeof(keep.v));
	t->active.n = keep.n;
	return 0;
}

int
job_transcode_run(struct job *job, struct err *err)
{
	struct tc *t = calloc(1, sizeof(*t));
	json_t *made;
	long long clip_id;
	struct db_conn *c = NULL;
	int rc, failed = 0;

	if (t == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	t->job = job;
	t->look = (struct look)LOOK_INIT;
	t->commands = json_object();
	probe_init(&t->p);
	if ((rc = job_payload_clip_id(job, &clip_id, err)) < 0 ||
	    (rc = db_acquire(job->db, &c, err)) < 0)
		goto out;
	rc = tc_prepare(t, c, clip_id, err);
	db_release(job->db, c);
	if (rc < 0 || (rc = tc_filter_profiles(t, err)) < 0 || (rc = tc_dirs(t, err)) < 0)
		goto out;
	t->nprof = t->active.n;
	t->started = clock_now();
	made = json_array();
	for (t->done = 0; t->done < t->active.n; t->done++) {
		struct err e1;
		if ((rc = tc_one(t, &t->active.v[t->done], &e1)) == SP_ECANCELED) {
			*err = e1;
			json_decref(made);
			goto out;
		}
		if (rc < 0) {
			if (failed++ == 0)
				*err = e1;
		} else {
			json_array_append_new(made, json_string(t->active.v[t->done].name));
		}
	}
	rc = failed ? err->code : 0;
	if (rc == 0)
		job->result = json_pack("{s:I,s:o,s:o,s:O,s:f}", "clip_id", (json_int_t)t->lc.clip_id,
		    "profiles", made, "look", look_to_json(&t->look), "commands", t->commands,
		    "ffmpeg_seconds", t->ffmpeg_seconds);
	else
		json_decref(made);
out:
	look_release(&t->look);
	profile_set_release(&t->active);
	probe_release(&t->p);
	json_decref(t->settings);
	json_decref(t->commands);
	free(t);
	return rc;
}
