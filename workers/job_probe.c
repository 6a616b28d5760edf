/* job_probe: a secured clip's technical metadata (lib/probe), then its thumbnails and QC jobs.
 * Payload {"clip_id": N}. A file ffmpeg cannot read is a permanent failure of this clip only,
 * recorded on the clip (clip_media.status = 'failed') with the reason; camera raw is described
 * from its name and sidecars and marked as needing the maker's software. */
#include "lib/editorial/ale_probe.h"
#include "payload.h"
#include "lib/pipeline/clipstate.h"
#include "lib/store/event.h"
#include "lib/custody/locate.h"
#include "lib/custody/clip_input.h"
#include "lib/core/log.h"
#include "lib/media/probe.h"
#include "lib/pipeline/pipeline.h"
#include "lib/pipeline/workflow.h"
#include "lib/media/sequence.h"
#include "lib/store/worker.h"
#include "lib/store/params.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

int job_probe_run(struct job *job, struct err *err);


#define JOB_PROBE_SIDECAR_MAX (1 << 20)

static bool
job_probe_canceled(void *arg)
{
	return job_canceled(arg);
}

/* Reads a small text file whole (sidecars). */
static int
job_probe_read(const char *path, char **text, size_t *len, struct err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf;
	ssize_t n;

	if (fd < 0)
		return err_errno(err, SP_EIO, errno, "%s", path);
	buf = malloc(JOB_PROBE_SIDECAR_MAX + 1);
	n = buf ? read(fd, buf, JOB_PROBE_SIDECAR_MAX) : -1;
	close(fd);
	if (n < 0) {
		free(buf);
		return err_set(err, SP_EIO, "%s: cannot read", path);
	}
	buf[n] = '\0';
	*text = buf;
	*len = (size_t)n;
	return 0;
}

struct job_probe_side {
	struct probe *p;
	const char *clip;
	json_t *used;
	bool probed;         /* ffprobe described the clip: sidecars add camera settings only */
};

/* One sidecar: a Blackmagic .sidecar, the maker's clip XML (Sony M01.XML, Canon .XML, RED .RMD)
 * or the card's ALE.
 * Unreadable ones are noted, not fatal. */
static int
job_probe_sidecar(void *arg, const char *rel, const char *path, struct err *err)
{
	struct job_probe_side *s = arg;
	const char *dot = strrchr(rel, '.');
	struct ale ale = ALE_INIT;
	struct err e2;
	char *text = NULL;
	size_t len = 0;

	(void)err;
	if (dot && strcasecmp(dot, ".ale") == 0) {
		if (ale_read_file(path, &ale, &e2) == 0 && (s->probed ?
		    probe_camera_from_ale(&ale, s->clip, s->p) : probe_from_ale(&ale, s->clip, s->p)) > 0)
			json_array_append_new(s->used, json_string(rel));
		ale_release(&ale);
	} else if (dot && (strcasecmp(dot, ".xml") == 0 || strcasecmp(dot, ".rmd") == 0) &&
	    job_probe_read(path, &text, &len, &e2) == 0) {
		if (probe_from_xml(text, len, s->p, &e2) == 0)
			json_array_append_new(s->used, json_string(rel));
		free(text);
	} else if (!s->probed && dot && strcasecmp(dot, ".sidecar") == 0 &&
	    job_probe_read(path, &text, &len, &e2) == 0) {
		if (probe_from_sidecar(text, len, s->p, &e2) == 0)
			json_array_append_new(s->used, json_string(rel));
		free(text);
	}
	return 0;
}

/* A Sony clip's NonRealTimeMeta sidecar (C0001M01.XML): its recording time, when the
 * container gave none. */
static int
job_probe_sony_xml(void *arg, const char *rel, const char *path, struct err *err)
{
	size_t n = strlen(rel), len = 0;
	struct probe *p = arg;
	char *text = NULL;
	struct err e2;

	(void)err;
	if (p->recorded_at[0] || n < 7 || strcasecmp(rel + n - 7, "M01.XML") != 0 ||
	    job_probe_read(path, &text, &len, &e2) < 0)
		return 0;
	(void)probe_from_sony_xml(text, len, p, &e2);   /* not one: nothing learnt, no failure */
	free(text);
	return 0;
}

/* What the sidecars tell: everything for camera raw, camera settings for a probed clip. */
static int
job_probe_sidecars(struct db_conn *c, const struct locate_clip *lc, struct probe *p,
    bool probed, struct err *err)
{
	struct job_probe_side side = { p, lc->name, json_array(), probed };
	int rc;

	rc = locate_sidecars(c, lc, job_probe_sidecar, &side, err);
	if (json_array_size(side.used) == 0 && probed) {
		json_decref(side.used);
		return rc;
	}
	json_object_set_new(p->vendor, "sidecars", side.used);
	return rc;
}

/* Raw camera formats: what the name, the files and the sidecars tell. */
static int
job_probe_raw(struct db_conn *c, const struct locate_clip *lc, struct probe *p,
    struct err *err)
{
	probe_from_name(lc->rel_path, lc->nmedia, p);
	return job_probe_sidecars(c, lc, p, false, err);
}

/* Runs ffprobe on a readable copy. Content problems are permanent. */
static int
job_probe_media(struct job *job, struct db_conn *c, struct locate_clip *lc, struct probe *p,
    struct err *err)
{
	int rc;

	if ((rc = locate_file(c, lc->file_id, lc->path, sizeof(lc->path), err)) < 0)
		return rc;
	rc = probe_file(lc->path, lc->rel_path, p, job_probe_canceled, job, err);
	if (rc == 0)
		rc = probe_check_name(lc->rel_path, p, err);
	if (rc == SP_EUNSUPPORTED || rc == SP_EINVAL)
		job->permanent = true;
	if (rc == 0 && !p->decodable)
		rc = job_probe_raw(c, lc, p, err);
	else if (rc == 0)
		rc = job_probe_sidecars(c, lc, p, true, err);
	return rc;
}

/* Camera raw with a camera proxy: the proxy is probed too; what it is goes in the clip's media
 * (vendor.camera_proxy), its recording time where the original gives none. 1 when it can be
 * the dailies source. A proxy that cannot be read is said there, never fatal. */
static int
job_probe_camera_proxy(struct db_conn *c, const struct locate_clip *lc, struct probe *p)
{
	char path[PATH_MAX];
	struct probe px;
	struct err e2;
	json_t *o;
	int rc;

	if (p->decodable || strcmp(p->status, "vendor_tool") != 0 || lc->proxy_file_id == 0)
		return 0;
	probe_init(&px);
	rc = clip_input_camera_proxy(c, lc, &px, path, sizeof(path), &e2);
	o = json_pack("{s:s,s:b}", "file", lc->proxy_rel_path, "dailies_source", rc > 0);
	if (rc < 0) {
		json_object_set_new(o, "error", json_string(e2.msg));
	} else {
		json_t *j = probe_to_json(&px);
		static const char *const keep[] = { "codec", "width", "height", "fps_num", "fps_den",
			"duration_frames", "start_tc", "recorded_at", NULL };
		for (const char *const *k = keep; *k; k++)
			json_object_set(o, *k, json_object_get(j, *k));
		json_decref(j);
	}
	json_object_set_new(p->vendor, "camera_proxy", o);
	if (rc > 0 && !p->recorded_at[0] && px.recorded_at[0]) {
		memcpy(p->recorded_at, px.recorded_at, sizeof(p->recorded_at));
		snprintf(p->recorded_at_source, sizeof(p->recorded_at_source),
		    "camera proxy's creation_time");
	}
	probe_release(&px);
	return rc > 0;
}

struct job_probe_save {
	struct job *job;
	const struct locate_clip *lc;
	const struct probe *p;
	bool camera_proxy;         /* camera raw whose camera proxy makes its dailies */
	const char *failure;
	char sequence[600];        /* what is wrong with its numbered files, or "" */
};

static const struct db_stmt stmt_essence = { "probe_essence",
	"SELECT rel_path, role FROM files WHERE clip_id = $1 AND role IN ('media', 'segment')", 1 };

/* A clip of numbered frame or segment files with a number missing or twice cannot be played as
 * shot: the reason goes in s->sequence. */
static int
job_probe_sequence(struct db_conn *c, const struct locate_clip *lc, struct job_probe_save *s,
    struct err *err)
{
	char why[sizeof(s->sequence) - 64];
	struct db_params q = { 0 };
	const char **names;
	PGresult *r;
	int n, found;

	db_param_ll(&q, lc->clip_id);
	if ((n = db_query(c, &stmt_essence, q.v, &r, err)) < 0)
		return n;
	names = calloc((size_t)(n ? n : 1), sizeof(*names));
	for (int i = 0; names && i < n; i++)
		names[i] = PQgetvalue(r, i, 0);
	/* One picture file per frame (ARRIRAW, DPX, EXR, DNG) or per segment (RED R3D). */
	found = n > 1 && names ? sequence_check(names, (size_t)n, probe_vendor_tool(lc->rel_path) &&
	    strcasestr(lc->rel_path, ".r3d") ? "segments" : "frames", why, sizeof(why)) : 0;
	if (found > 0)
		snprintf(s->sequence, sizeof(s->sequence), "%.60s: %.500s", lc->name, why);
	free(names);
	PQclear(r);
	return names == NULL ? err_set(err, SP_ENOMEM, "out of memory") : 0;
}

static int
job_probe_save_tx(struct db_conn *c, void *arg, struct err *err)
{
	struct job_probe_save *s = arg;
	const struct probe *p = s->p;
	json_t *data;
	int rc;

	if (s->failure) {
		if ((rc = probe_store_failure(c, s->lc->clip_id, s->lc->file_id, s->failure, err)) < 0)
			return rc;
		data = json_pack("{s:s,s:s}", "clip", s->lc->name, "error", s->failure);
		rc = event_record(c, s->job->worker, "clip.probe_failed", "clip", s->lc->clip_id, data,
		    NULL, err);
		json_decref(data);
		/* The clip itself says it: red, with the reason, wherever the clip is shown. */
		if (rc == 0 && (rc = clipstate_media_error(c, s->lc->clip_id, s->failure,
		    s->job->worker, err)) > 0)
			rc = 0;
		return rc;
	}
	if ((rc = probe_store(c, s->lc->clip_id, s->lc->file_id, p, err)) < 0)
		return rc;
	data = json_pack("{s:s,s:s,s:s}", "clip", s->lc->name, "status", p->status, "codec",
	    p->codec);
	if (s->camera_proxy)
		json_object_set_new(data, "camera_proxy", json_string(s->lc->proxy_rel_path));
	rc = event_record(c, s->job->worker, "clip.probed", "clip", s->lc->clip_id, data, NULL, err);
	json_decref(data);
	/* Readable files, but frames missing or twice: the clip cannot be played as shot. */
	if (rc == 0 && s->sequence[0] &&
	    (rc = clipstate_media_error(c, s->lc->clip_id, s->sequence, s->job->worker, err)) > 0)
		rc = 0;
	/* What breaks the production's workflow sheet (frame rate, size, codec, sound, name). */
	if (rc == 0 && (rc = workflow_check(c, s->lc->clip_id, p, err)) > 0)
		rc = 0;
	if (rc == 0 && !p->decodable && s->camera_proxy && !s->sequence[0])
		return (rc = pipeline_camera_proxy(c, s->lc->clip_id, s->lc->circled, err)) < 0 ? rc : 0;
	if (rc < 0 || !p->decodable)
		return rc;
	rc = pipeline_probed(c, s->lc->clip_id, s->lc->circled, p, err);
	return rc < 0 ? rc : 0;
}

static json_t *
job_probe_result(const struct locate_clip *lc, const struct probe *p)
{
	json_t *r = probe_to_json(p);

	json_object_del(r, "tags");
	json_object_del(r, "vendor");
	json_object_set_new(r, "clip_id", json_integer(lc->clip_id));
	json_object_set_new(r, "file", json_string(lc->rel_path));
	return r;
}

int
job_probe_run(struct job *job, struct err *err)
{
	struct job_probe_save save = { .job = job };
	struct locate_clip *lc = calloc(1, sizeof(*lc));
	struct db_conn *c = NULL;
	struct probe p;
	struct err e2;
	long long clip_id = 0;
	int rc;

	probe_init(&p);
	if (lc == NULL) {
		rc = err_set(err, SP_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = job_payload_clip_id(job, &clip_id, err)) < 0 ||
	    (rc = db_acquire(job->db, &c, err)) < 0)
		goto out;
	if ((rc = locate_clip_load(c, clip_id, lc, err)) < 0) {
		job->permanent = rc == SP_ENOTFOUND;
		goto out;
	}
	job_progress(job, 0.1, "probing %s", lc->rel_path);
	save.sequence[0] = '\0';
	if (lc->nmedia > 1 && (rc = job_probe_sequence(c, lc, &save, err)) < 0)
		goto out;
	if (probe_vendor_tool(lc->rel_path))
		rc = job_probe_raw(c, lc, &p, err);
	else
		rc = job_probe_media(job, c, lc, &p, err);
	if (rc == 0 && !p.recorded_at[0])
		rc = locate_sidecars(c, lc, job_probe_sony_xml, &p, err);
	if (rc == 0)
		save.camera_proxy = job_probe_camera_proxy(c, lc, &p) > 0;
	db_release(job->db, c);
	c = NULL;
	if (rc < 0 && !job->permanent)
		goto out;
	save.lc = lc;
	save.p = &p;
	save.failure = rc < 0 ? err->msg : NULL;
	if (db_tx(job->db, job_probe_save_tx, &save, &e2) < 0) {
		if (rc == 0)
			*err = e2;
		rc = rc < 0 ? rc : e2.code;
		goto out;
	}
	if (rc == 0) {
		job->result = job_probe_result(lc, &p);
		log_info("job=%lld clip=%s status=%s codec=%s", job->id, lc->name, p.status, p.codec);
	}
out:
	if (c)
		db_release(job->db, c);
	probe_release(&p);
	free(lc);
	return rc;
}
