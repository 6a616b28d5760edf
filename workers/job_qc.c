/* job_qc: the automatic QC pass of a clip (lib/qc), its findings stored as flags with their
 * frames and timecodes, and the focus of every take of its setup (same production, scene,
 * camera and lens; a lens the camera did not record counts as a lens of its own) compared
 * again, so a soft take stands out. Payload {"clip_id": N}.
 *
 * Everything a pass finds is written in one transaction (the old findings replaced), so a
 * canceled or failed pass leaves the previous results whole. */
#include "lib/pipeline/clipstate.h"
#include "payload.h"
#include "lib/core/clock.h"
#include "lib/store/event.h"
#include "lib/custody/locate.h"
#include "lib/core/log.h"
#include "lib/media/probe.h"
#include "lib/media/qc.h"
#include "lib/store/worker.h"
#include "lib/store/params.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int job_qc_run(struct job *job, struct err *err);


struct qcjob {
	struct job *job;
	struct locate_clip lc;
	struct probe p;
	struct qc_settings s;
	struct qc_input in;
	struct qc_result res;
	long long production_id;
	char scene[128], camera[64];
	char lens[128];            /* "" when the camera did not say */
	bool has_scene;
	double started;
};

static bool
qcjob_canceled(void *arg)
{
	return job_canceled(arg);
}

static void
qcjob_progress(void *arg, double fraction, double seconds)
{
	job_progress(arg, 0.02 + 0.9 * fraction, "qc %.0f%% (%.1f s read)", 100 * fraction, seconds);
}

/* --- loading ---------------------------------------------------------------------------- */

static const struct db_stmt stmt_context = { "qc_context",
	"SELECT p.settings->'qc', d.production_id, c.scene, coalesce(c.camera, k.camera, ''),"
	" c.fps_num, c.fps_den, coalesce(m.lens, '') FROM clips c JOIN cards k ON k.id = c.card_id"
	" JOIN days d ON d.id = k.day_id JOIN productions p ON p.id = d.production_id"
	" LEFT JOIN clip_media m ON m.clip_id = c.id WHERE c.id = $1", 1 };

static int
qcjob_context(struct qcjob *q, struct db_conn *c, struct err *err)
{
	struct db_params prm = { 0 };
	json_t *settings;
	PGresult *r;
	int rc;

	db_param_ll(&prm, q->lc.clip_id);
	if ((rc = db_query(c, &stmt_context, prm.v, &r, err)) <= 0)
		return rc < 0 ? rc : err_set(err, SP_ENOTFOUND, "clip %lld not found", q->lc.clip_id);
	settings = db_val(r, 0, 0) ? json_loads(db_val(r, 0, 0), JSON_DECODE_ANY, NULL) : NULL;
	q->production_id = db_ll(r, 0, 1);
	q->has_scene = db_val(r, 0, 2) && *db_val(r, 0, 2);
	snprintf(q->scene, sizeof(q->scene), "%s", q->has_scene ? db_val(r, 0, 2) : "");
	snprintf(q->camera, sizeof(q->camera), "%s", db_val(r, 0, 3));
	snprintf(q->lens, sizeof(q->lens), "%s", db_val(r, 0, 6));
	/* Sound files carry no frame rate: number their frames at the clip's, else 25. */
	if (q->p.fps_num == 0) {
		q->p.fps_num = db_val(r, 0, 4) ? (unsigned)db_ll(r, 0, 4) : 25;
		q->p.fps_den = db_val(r, 0, 5) ? (unsigned)db_ll(r, 0, 5) : 1;
	}
	PQclear(r);
	qc_settings_default(&q->s);
	rc = qc_settings_parse(&q->s, settings, err);
	json_decref(settings);
	if (rc < 0)
		q->job->permanent = true;
	return rc;
}

/* Loads clip, probe, settings and a readable copy; *skip for clips ffmpeg cannot decode. */
static int
qcjob_load(struct qcjob *q, long long clip_id, bool *skip, struct err *err)
{
	struct db_conn *c;
	int rc;

	if ((rc = db_acquire(q->job->db, &c, err)) < 0)
		return rc;
	if ((rc = locate_clip_load(c, clip_id, &q->lc, err)) < 0 ||
	    (rc = probe_load(c, clip_id, &q->p, err)) < 0) {
		q->job->permanent = rc == SP_ENOTFOUND;
		goto out;
	}
	*skip = !q->p.decodable;
	if (*skip || (rc = qcjob_context(q, c, err)) < 0)
		goto out;
	rc = locate_file(c, q->lc.file_id, q->lc.path, sizeof(q->lc.path), err);
out:
	db_release(q->job->db, c);
	return rc;
}

static void
qcjob_input(struct qcjob *q)
{
	const struct probe *p = &q->p;

	q->in = (struct qc_input){
		.path = q->lc.path,
		.fps_num = p->fps_num, .fps_den = p->fps_den,
		.frames = p->duration_frames,
		.duration = p->duration,
		.width = p->width, .height = p->height, .sar_num = p->sar_num, .sar_den = p->sar_den,
		.bit_depth = p->bit_depth,
		.video = p->video_streams > 0 && p->width > 0,
		.audio_streams = p->audio_streams,
		.audio_sample_rate = p->audio_sample_rate,
	};
}

/* --- storing ---------------------------------------------------------------------------- */

static const struct db_stmt stmt_qc = { "qc_store",
	"INSERT INTO clip_qc (clip_id, job_id, frames, luma_min, luma_avg, luma_max, clipped_share,"
	" crushed_share, audio, focus, focus_median, decode_errors, settings, ffmpeg_seconds, seconds,"
	" ran_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::jsonb, $11, $12,"
	" $13::jsonb, $14, $15, now())"
	" ON CONFLICT (clip_id) DO UPDATE SET (job_id, frames, luma_min, luma_avg, luma_max,"
	" clipped_share, crushed_share, audio, focus, focus_median, decode_errors, settings,"
	" ffmpeg_seconds, seconds, ran_at) = (EXCLUDED.job_id, EXCLUDED.frames, EXCLUDED.luma_min,"
	" EXCLUDED.luma_avg, EXCLUDED.luma_max, EXCLUDED.clipped_share, EXCLUDED.crushed_share,"
	" EXCLUDED.audio, EXCLUDED.focus, EXCLUDED.focus_median, EXCLUDED.decode_errors,"
	" EXCLUDED.settings, EXCLUDED.ffmpeg_seconds, EXCLUDED.seconds, now())", 15 };

/* A pass replaces a clip's findings but keeps the DIT's answers (qchold.h) to those it finds
 * again (same kind, first frame and channel): the newest finding at or below $2 is the old
 * one. $1: the clips (a text array), $3: only this kind (NULL: all but soft_focus, which
 * the setup's comparison replaces, and workflow, which the probe's check of the workflow
 * sheet replaces: lib/pipeline/workflow.h). */
static const struct db_stmt stmt_flags_max = { "qc_flags_max",
	"SELECT coalesce(max(id), 0) FROM qc_flags WHERE clip_id = ANY($1::bigint[])"
	" AND ($2::text IS NULL OR kind = $2)", 2 };

static const struct db_stmt stmt_flags_carry = { "qc_flags_carry",
	"UPDATE qc_flags n SET disposition = o.disposition, note = o.note,"
	" disposed_by = o.disposed_by, disposed_at = o.disposed_at FROM qc_flags o"
	" WHERE n.clip_id = ANY($1::bigint[]) AND o.clip_id = n.clip_id AND n.id > $2::bigint"
	" AND o.id <= $2::bigint AND o.disposition <> 'open' AND o.kind = n.kind"
	" AND o.start_frame = n.start_frame AND o.channel IS NOT DISTINCT FROM n.channel"
	" AND coalesce(n.kind = $3, n.kind NOT IN ('soft_focus', 'workflow'))", 3 };

static const struct db_stmt stmt_flags_drop = { "qc_flags_drop",
	"DELETE FROM qc_flags WHERE clip_id = ANY($1::bigint[]) AND id <= $2::bigint"
	" AND coalesce(kind = $3, kind NOT IN ('soft_focus', 'workflow'))", 3 };

static const struct db_stmt stmt_flag = { "qc_flag",
	"INSERT INTO qc_flags (clip_id, kind, severity, start_frame, end_frame, start_tc, end_tc,"
	" channel, value, message, code) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)", 11 };

/* The old findings' last id, before new ones are written (qcjob_flags_replaced after). */
static int
qcjob_flags_max(struct db_conn *c, const char *clips, const char *kind, char *max, size_t len,
    struct err *err)
{
	const char *v[2] = { clips, kind };
	PGresult *r;
	int rc;

	if ((rc = db_query(c, &stmt_flags_max, v, &r, err)) < 0)
		return rc;
	snprintf(max, len, "%lld", db_ll(r, 0, 0));
	PQclear(r);
	return 0;
}

/* The new findings take the answers of the old ones they repeat; the old ones go. */
static int
qcjob_flags_replaced(struct db_conn *c, const char *clips, const char *kind, const char *max,
    struct err *err)
{
	const char *v[3] = { clips, max, kind };
	int rc;

	if ((rc = db_query(c, &stmt_flags_carry, v, NULL, err)) < 0)
		return rc;
	return db_query(c, &stmt_flags_drop, v, NULL, err);
}

/* One flag row; the timecodes from the clip's start timecode and rate. */
static int
qcjob_flag(struct db_conn *c, long long clip_id, const struct probe *p,
    const struct qc_flag *f, struct err *err)
{
	char stc[TIMECODE_BUFSZ], etc[TIMECODE_BUFSZ], val[40];
	struct db_params q = { 0 };
	bool tc = probe_timecode(p, f->start, stc) >= 0 && probe_timecode(p, f->end, etc) >= 0;

	db_param_ll(&q, clip_id);
	db_param_str(&q, qc_kind_name(f->kind));
	db_param_str(&q, qc_severity_name(f->severity));
	db_param_ll(&q, f->start);
	db_param_ll(&q, f->end);
	db_param_str(&q, tc ? stc : NULL);
	db_param_str(&q, tc ? etc : NULL);
	db_param_ll_if(&q, f->channel > 0, f->channel);
	snprintf(val, sizeof(val), "%.6g", f->value);   /* significant digits, not decimals */
	db_param_str(&q, isfinite(f->value) ? val : NULL);
	db_param_str(&q, f->message);
	db_param_str(&q, qc_kind_code(f->kind));
	return db_query(c, &stmt_flag, q.v, NULL, err);
}

static int
qcjob_store_measures(struct db_conn *c, struct qcjob *q, struct err *err)
{
	const struct qc_result *r = &q->res;
	char b[12][48];
	json_t *au = qc_audio_json(r), *a = qc_focus_json(r), *s = qc_settings_json(&q->s);
	char *audio = json_dumps(au, JSON_COMPACT | JSON_REAL_PRECISION(6)), *focus, *settings;
	double median = focus_median(r->focus, r->nfocus);
	int rc;

	focus = json_dumps(a, JSON_COMPACT | JSON_REAL_PRECISION(8));
	settings = json_dumps(s, JSON_COMPACT | JSON_REAL_PRECISION(6));
	snprintf(b[0], 48, "%lld", q->lc.clip_id);
	snprintf(b[1], 48, "%lld", q->job->id);
	snprintf(b[2], 48, "%lld", r->frames);
	snprintf(b[3], 48, "%.5f", r->luma_min);
	snprintf(b[4], 48, "%.5f", r->luma_avg);
	snprintf(b[5], 48, "%.5f", r->luma_max);
	snprintf(b[6], 48, "%.5f", r->clipped_share);
	snprintf(b[7], 48, "%.5f", r->crushed_share);
	snprintf(b[8], 48, "%.4f", median);
	snprintf(b[9], 48, "%d", r->decode_errors);
	snprintf(b[10], 48, "%.3f", r->ffmpeg_seconds);
	snprintf(b[11], 48, "%.3f", clock_now() - q->started);
	const char *v[15] = { b[0], b[1], b[2], q->in.video ? b[3] : NULL, q->in.video ? b[4] : NULL,
		q->in.video ? b[5] : NULL, q->in.video ? b[6] : NULL, q->in.video ? b[7] : NULL,
		audio, focus, median >= 0 ? b[8] : NULL, b[9], settings, b[10], b[11] };
	rc = db_query(c, &stmt_qc, v, NULL, err);
	json_decref(au);
	json_decref(a);
	json_decref(s);
	free(focus);
	free(settings);
	free(audio);
	return rc;
}

/* --- soft takes: the setup's focus, compared ------------------------------------------ */

static const struct db_stmt stmt_setup_lock = { "qc_setup_lock",
	"SELECT pg_advisory_xact_lock(hashtext('setpost.focus'), hashtext($1 || '/' || $2 || '/'"
	" || $3 || '/' || $4))", 4 };

static const struct db_stmt stmt_setup = { "qc_setup",
	"SELECT c.id, c.take, q.focus::text, q.focus_median, m.fps_num, m.fps_den, m.start_tc,"
	" m.drop_frame, coalesce(q.frames, m.duration_frames, 0)"
	" FROM clips c JOIN cards k ON k.id = c.card_id JOIN days d ON d.id = k.day_id"
	" JOIN clip_qc q ON q.clip_id = c.id JOIN clip_media m ON m.clip_id = c.id"
	" WHERE d.production_id = $1::bigint AND c.scene = $2"
	"  AND coalesce(c.camera, k.camera, '') = $3 AND coalesce(m.lens, '') = $4"
	"  AND q.focus_median IS NOT NULL ORDER BY c.id", 4 };


struct qcjob_take {
	long long id;
	char take[32];
	struct probe p;           /* only rate and start timecode are used */
	struct focus_sample *s;
	int n;
	double median;
	long long frames;
};

static void
qcjob_take_load(struct qcjob_take *t, const PGresult *r, int i)
{
	json_t *a = json_loads(PQgetvalue(r, i, 2), 0, NULL), *e;
	size_t k;

	t->id = db_ll(r, i, 0);
	snprintf(t->take, sizeof(t->take), "%s", db_val(r, i, 1) ? db_val(r, i, 1) : "?");
	t->median = strtod(PQgetvalue(r, i, 3), NULL);
	probe_init(&t->p);
	t->p.fps_num = (unsigned)db_ll(r, i, 4);
	t->p.fps_den = (unsigned)db_ll(r, i, 5);
	snprintf(t->p.start_tc, sizeof(t->p.start_tc), "%s", db_val(r, i, 6) ? db_val(r, i, 6) : "");
	t->p.drop_frame = db_bool(r, i, 7);
	t->frames = db_ll(r, i, 8);
	t->n = (int)json_array_size(a);
	t->s = calloc((size_t)(t->n ? t->n : 1), sizeof(*t->s));
	json_array_foreach(a, k, e) {
		if (t->s == NULL)
			break;
		t->s[k].frame = (long long)json_integer_value(json_array_get(e, 0));
		t->s[k].score = json_number_value(json_array_get(e, 1));
	}
	json_decref(a);
}

/* The setup's reference for one take: the median of the other takes' medians. */
static double
qcjob_reference(const struct qcjob_take *t, int n, int self)
{
	double *v = malloc(sizeof(double) * (size_t)n), ref;
	int k = 0;

	if (v == NULL)
		return -1;
	for (int i = 0; i < n; i++)
		if (i != self)
			v[k++] = t[i].median;
	ref = focus_median_of(v, k);
	free(v);
	return ref;
}

static int
qcjob_soft_take(struct db_conn *c, const struct qcjob *q, struct qcjob_take *t, int n, int self,
    struct err *err)
{
	struct qcjob_take *me = &t[self];
	struct focus_run runs[32];
	double ref = qcjob_reference(t, n, self);
	int every = me->n > 1 ? (int)(me->s[1].frame - me->s[0].frame) : 1;
	int nr = focus_soft_runs(me->s, me->n, ref, q->s.focus_soft_ratio, q->s.focus_min_samples,
	    runs, 32);
	struct qc_result tmp = { 0 };
	int rc = 0;

	for (int i = 0; i < nr; i++) {
		long long end = me->s[runs[i].last].frame + every - 1;
		if (me->frames > 0 && end > me->frames - 1)
			end = me->frames - 1;
		qc_flag_add(&tmp, &q->s, QC_SOFT_FOCUS, me->s[runs[i].first].frame, end, 0,
		    runs[i].worst, "take %s soft: focus down to %.0f%% of the other %d take(s) of "
		    "scene %s", me->take, 100 * runs[i].worst, n - 1, q->scene);
	}
	for (int i = 0; i < tmp.nflags && rc >= 0; i++)
		rc = qcjob_flag(c, me->id, &me->p, &tmp.flags[i], err);
	qc_result_release(&tmp);
	return rc;
}

/* Recomputes soft_focus for every take of this clip's setup (a new take moves the others'
 * reference too). */
static int
qcjob_setup(struct db_conn *c, struct qcjob *q, struct err *err)
{
	char ids[4096], max[24];
	struct db_params prm = { 0 };
	struct qcjob_take *t;
	PGresult *r;
	size_t used = 0;
	int n, rc = 0;

	if (!q->has_scene)
		return 0;
	db_param_ll(&prm, q->production_id);
	db_param_str(&prm, q->scene);
	db_param_str(&prm, q->camera);
	db_param_str(&prm, q->lens);
	if ((rc = db_query(c, &stmt_setup_lock, prm.v, NULL, err)) < 0 ||
	    (n = rc = db_query(c, &stmt_setup, prm.v, &r, err)) < 0)
		return rc;
	t = calloc((size_t)(n ? n : 1), sizeof(*t));
	used = (size_t)snprintf(ids, sizeof(ids), "{");
	for (int i = 0; t && i < n; i++) {
		qcjob_take_load(&t[i], r, i);
		if (used + 24 < sizeof(ids))
			used += (size_t)snprintf(ids + used, sizeof(ids) - used, "%s%lld", i ? "," : "",
			    t[i].id);
	}
	PQclear(r);
	snprintf(ids + used, sizeof(ids) - used, "}");
	rc = t ? qcjob_flags_max(c, ids, "soft_focus", max, sizeof(max), err) :
	    err_set(err, SP_ENOMEM, "oom");
	for (int i = 0; rc >= 0 && n > 1 && i < n; i++)
		rc = qcjob_soft_take(c, q, t, n, i, err);
	if (rc >= 0)
		rc = qcjob_flags_replaced(c, ids, "soft_focus", max, err);
	for (int i = 0; t && i < n; i++) {
		free(t[i].s);
		probe_release(&t[i].p);
	}
	free(t);
	return rc < 0 ? rc : 0;
}

static const struct db_stmt stmt_worst = { "qc_worst",
	"SELECT severity, kind, coalesce(start_tc, start_frame::text), message FROM qc_flags"
	" WHERE clip_id = $1 AND disposition = 'open' ORDER BY CASE severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1"
	" ELSE 2 END, start_frame LIMIT 1", 1 };

/* Asks the clip state module to hold (or release) the clip. */
static int
qcjob_verdict(struct db_conn *c, struct qcjob *q, struct err *err)
{
	char reason[400] = "";
	struct db_params prm = { 0 };
	PGresult *r;
	bool hold = false;
	int rc;

	db_param_ll(&prm, q->lc.clip_id);
	if ((rc = db_query(c, &stmt_worst, prm.v, &r, err)) < 0)
		return rc;
	for (int s = QC_INFO; rc > 0 && s <= QC_ERROR; s++)
		if (strcmp(PQgetvalue(r, 0, 0), qc_severity_name(s)) == 0)
			hold = s >= q->s.hold_severity;
	if (hold)
		snprintf(reason, sizeof(reason), "QC %s at %s: %s", PQgetvalue(r, 0, 1),
		    PQgetvalue(r, 0, 2), PQgetvalue(r, 0, 3));
	PQclear(r);
	rc = clipstate_qc_verdict(c, q->lc.clip_id, hold, hold ? reason : NULL, q->job->worker, err);
	return rc < 0 ? rc : 0;
}

static int
qcjob_save_tx(struct db_conn *c, void *arg, struct err *err)
{
	struct qcjob *q = arg;
	char ids[32], max[24];
	json_t *data;
	int rc;

	snprintf(ids, sizeof(ids), "{%lld}", q->lc.clip_id);
	if ((rc = qcjob_store_measures(c, q, err)) < 0 ||
	    (rc = qcjob_flags_max(c, ids, NULL, max, sizeof(max), err)) < 0)
		return rc;
	for (int i = 0; i < q->res.nflags; i++)
		if ((rc = qcjob_flag(c, q->lc.clip_id, &q->p, &q->res.flags[i], err)) < 0)
			return rc;
	/* Every kind but soft_focus, which the setup below recomputes (and carries) itself; a
	 * clip with no scene has no setup, so no soft take. */
	if ((rc = qcjob_flags_replaced(c, ids, NULL, max, err)) < 0 ||
	    (!q->has_scene && (rc = qcjob_flags_replaced(c, ids, "soft_focus", max, err)) < 0))
		return rc;
	if ((rc = qcjob_setup(c, q, err)) < 0 || (rc = qcjob_verdict(c, q, err)) < 0)
		return rc;
	data = json_pack("{s:s,s:i}", "clip", q->lc.name, "flags", q->res.nflags);
	rc = event_record(c, q->job->worker, "clip.qc", "clip", q->lc.clip_id, data, NULL, err);
	json_decref(data);
	return rc;
}

/* --- the job ---------------------------------------------------------------------------- */

static json_t *
qcjob_result(const struct qcjob *q)
{
	json_t *kinds = json_object();

	for (int i = 0; i < q->res.nflags; i++) {
		const char *k = qc_kind_name(q->res.flags[i].kind);
		json_object_set_new(kinds, k, json_integer(json_integer_value(json_object_get(kinds, k))
		    + 1));
	}
	return json_pack("{s:I,s:I,s:i,s:o,s:f,s:f,s:O}", "clip_id", (json_int_t)q->lc.clip_id,
	    "frames", (json_int_t)q->res.frames, "flags", q->res.nflags, "kinds", kinds,
	    "ffmpeg_seconds", q->res.ffmpeg_seconds, "seconds", clock_now() - q->started,
	    "command", q->res.command);
}

int
job_qc_run(struct job *job, struct err *err)
{
	struct qcjob *q = calloc(1, sizeof(*q));
	/* QC is analysis: it runs beside a proxy's encode at idle CPU priority (never delaying it),
	 * at full speed once the proxies are made. */
	struct qc_hooks hooks = { qcjob_progress, qcjob_canceled, job, true };
	long long clip_id = 0;
	bool skip = false;
	int rc;

	if (q == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	q->job = job;
	q->started = clock_now();
	probe_init(&q->p);
	if ((rc = job_payload_clip_id(job, &clip_id, err)) < 0 ||
	    (rc = qcjob_load(q, clip_id, &skip, err)) < 0)
		goto out;
	if (skip) {
		job->result = json_pack("{s:I,s:s}", "clip_id", (json_int_t)clip_id, "skipped",
		    q->p.vendor_tool);
		goto out;
	}
	qcjob_input(q);
	rc = qc_run(&q->in, &q->s, &hooks, &q->res, err);
	if (rc == SP_EIO) {
		char why[sizeof(err->msg)];
		snprintf(why, sizeof(why), "%.400s", q->res.errors[0] ? q->res.errors : err->msg);
		err_set(err, SP_EIO, "%s: QC pass failed: %s", q->lc.rel_path, why);
	}
	if (rc < 0)
		goto out;
	job_progress(job, 0.95, "qc: recording %d finding(s)", q->res.nflags);
	if ((rc = db_tx(job->db, qcjob_save_tx, q, err)) < 0)
		goto out;
	job->result = qcjob_result(q);
	log_info("job=%lld clip=%s qc flags=%d ffmpeg=%.2fs", job->id, q->lc.name, q->res.nflags,
	    q->res.ffmpeg_seconds);
out:
	qc_result_release(&q->res);
	probe_release(&q->p);
	free(q);
	return rc;
}
