/* pipeline: what happens next to a clip (see pipeline.h). */
#include "lib/pipeline/pipeline.h"
#include "lib/pipeline/kinds.h"
#include "lib/store/event.h"
#include "lib/store/jobq.h"
#include "lib/store/params.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A job of this kind for this clip that is queued or running already. */
static const struct db_stmt stmt_pending = { "pipeline_pending",
	"SELECT id FROM jobs WHERE kind = $1 AND payload ? 'clip_id' AND payload->>'clip_id' = $2"
	" AND state IN ('queued', 'running') ORDER BY id LIMIT 1", 2 };

static const struct db_stmt stmt_circled = { "pipeline_circled",
	"SELECT circled FROM clips WHERE id = $1", 1 };

static const struct db_stmt stmt_unprobed = { "pipeline_unprobed",
	"SELECT c.circled FROM clips c WHERE c.id = $1"
	" AND NOT EXISTS (SELECT 1 FROM clip_media m WHERE m.clip_id = c.id)", 1 };

/* Proxies made (or being made) before what they show changed, and none queued that would
 * read the new facts when it starts. */
static const struct db_stmt stmt_stale = { "pipeline_stale",
	"SELECT c.circled FROM clips c WHERE c.id = $1"
	" AND (EXISTS (SELECT 1 FROM renditions r WHERE r.clip_id = c.id)"
	"  OR EXISTS (SELECT 1 FROM jobs j WHERE j.kind = 'transcode' AND j.state = 'running'"
	"   AND j.payload->>'clip_id' = $1::text))"
	" AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.kind = 'transcode' AND j.state = 'queued'"
	"  AND j.payload->>'clip_id' = $1::text)", 1 };

static const struct db_stmt stmt_sound_pending = { "pipeline_sound_pending",
	"SELECT d.id, EXISTS (SELECT 1 FROM jobs j WHERE j.kind = 'soundsync' AND j.state = 'queued'"
	" AND j.payload->>'day_id' = d.id::text) FROM days d WHERE d.id = coalesce($1::bigint,"
	" (SELECT k.day_id FROM clips c JOIN cards k ON k.id = c.card_id WHERE c.id = $2))", 2 };

/* Queues one job of kind k; payload is borrowed. A circled take goes before the others. */
static int
pipeline_queue(struct db_conn *c, const struct job_spec *k, json_t *payload, bool circled,
    long long *job_id, struct err *err)
{
	long long id;
	int rc;

	rc = jobq_enqueue(c, k->name, payload, k->priority + (circled ? 10 : 0), k->max_attempts,
	    &id, err);
	if (rc < 0)
		return rc;
	if (job_id)
		*job_id = id;
	return 1;
}

/* The id of a queued or running job of kind k for the clip, 0 when there is none. */
static int
pipeline_pending(struct db_conn *c, const struct job_spec *k, long long clip_id,
    long long *job_id, struct err *err)
{
	struct db_params q = { 0 };
	PGresult *r;
	int n;

	db_param_str(&q, k->name);
	db_param_ll(&q, clip_id);
	*job_id = 0;
	if ((n = db_query(c, &stmt_pending, q.v, &r, err)) < 0)
		return n;
	if (n > 0)
		*job_id = db_ll(r, 0, 0);
	PQclear(r);
	return 0;
}

/* One job of kind k for the clip, unless one is queued or running. */
static int
pipeline_clip_job(struct db_conn *c, const struct job_spec *k, long long clip_id, bool circled,
    struct err *err)
{
	json_t *payload;
	long long pending;
	int rc;

	if ((rc = pipeline_pending(c, k, clip_id, &pending, err)) < 0 || pending)
		return rc;
	payload = json_pack("{s:I}", "clip_id", (json_int_t)clip_id);
	rc = pipeline_queue(c, k, payload, circled, NULL, err);
	json_decref(payload);
	return rc;
}

/* Runs a one-parameter statement on the clip; 1 with *circled when it answered a row. */
static int
pipeline_clip_row(struct db_conn *c, const struct db_stmt *st, long long clip_id,
    bool *circled, struct err *err)
{
	struct db_params q = { 0 };
	PGresult *r;
	int n;

	db_param_ll(&q, clip_id);
	if ((n = db_query(c, st, q.v, &r, err)) < 0)
		return n;
	*circled = n > 0 && db_bool(r, 0, 0);
	PQclear(r);
	return n > 0;
}

int
pipeline_probed(struct db_conn *c, long long clip_id, bool circled, const struct probe *p,
    struct err *err)
{
	bool picture = p->video_streams > 0;
	int rc = 0, queued = 0;

	if (!p->decodable)
		return 0;
	/* Its start timecode is known now: match it to the day's sound. */
	if (picture && (rc = pipeline_sound(c, 0, clip_id, err)) < 0)
		return rc;
	/* Proxies as soon as the clip is known to decode (circled takes first); camera raw gets
	 * none (its media says vendor_tool). */
	if (picture && (rc = pipeline_clip_job(c, &job_transcode_spec, clip_id, circled, err)) < 0)
		return rc;
	queued += rc;
	if (picture && (rc = pipeline_clip_job(c, &job_thumbnails_spec, clip_id, circled, err)) < 0)
		return rc;
	queued += rc;
	if ((rc = pipeline_clip_job(c, &job_qc_spec, clip_id, circled, err)) < 0)
		return rc;
	return queued + rc > 0;
}

int
pipeline_camera_proxy(struct db_conn *c, long long clip_id, bool circled, struct err *err)
{
	int rc, queued;

	if ((rc = pipeline_clip_job(c, &job_transcode_spec, clip_id, circled, err)) < 0)
		return rc;
	queued = rc;
	if ((rc = pipeline_clip_job(c, &job_thumbnails_spec, clip_id, circled, err)) < 0)
		return rc;
	return queued + rc > 0;
}

int
pipeline_transcode(struct db_conn *c, long long clip_id, json_t *profiles, long long *job_id,
    struct err *err)
{
	json_t *payload;
	long long pending;
	bool circled;
	int rc;

	if ((rc = pipeline_pending(c, &job_transcode_spec, clip_id, &pending, err)) < 0)
		return rc;
	if (pending)
		return err_set(err, SP_ECONFLICT, "a transcode of this clip is already queued or"
		    " running (job %lld)", pending);
	if ((rc = pipeline_clip_row(c, &stmt_circled, clip_id, &circled, err)) < 0)
		return rc;
	if (rc == 0)
		return err_set(err, SP_ENOTFOUND, "clip %lld not found", clip_id);
	payload = json_pack("{s:I}", "clip_id", (json_int_t)clip_id);
	if (profiles)
		json_object_set(payload, "profiles", profiles);
	rc = pipeline_queue(c, &job_transcode_spec, payload, circled, job_id, err);
	json_decref(payload);
	return rc;
}

int
pipeline_stale(struct db_conn *c, long long clip_id, struct err *err)
{
	json_t *payload;
	bool circled;
	int rc;

	if ((rc = pipeline_clip_row(c, &stmt_stale, clip_id, &circled, err)) <= 0)
		return rc;
	payload = json_pack("{s:I}", "clip_id", (json_int_t)clip_id);
	rc = pipeline_queue(c, &job_transcode_spec, payload, circled, NULL, err);
	json_decref(payload);
	return rc;
}

/* The clips in scope with proxies (made, or being made), and whether their production wants
 * them made again. */
static const struct db_stmt stmt_look_scope = { "pipeline_look_scope",
	"SELECT c.id, coalesce((p.settings->>'look_rerender')::bool, true)"
	" FROM clips c JOIN cards k ON k.id = c.card_id JOIN days d ON d.id = k.day_id"
	" JOIN productions p ON p.id = d.production_id"
	" WHERE ($1::bigint IS NULL OR c.id = $1) AND ($2::bigint IS NULL OR d.id = $2)"
	" AND ($3::bigint IS NULL OR d.production_id = $3)"
	" AND ($4::text IS NULL OR (c.scene = $4 AND c.look IS NULL))"
	" AND (NOT $5::bool OR d.lut_id IS NULL)"
	" AND EXISTS (SELECT 1 FROM renditions r WHERE r.clip_id = c.id"
	"  AND r.state IN ('queued', 'running', 'done'))"
	" ORDER BY c.circled DESC, c.start_tc NULLS LAST, c.name, c.id", 5 };

static const struct db_stmt stmt_mark_stale = { "pipeline_mark_stale",
	"UPDATE renditions SET stale_at = now() WHERE clip_id = $1 AND state = 'done'"
	" AND stale_at IS NULL RETURNING id, profile", 1 };

/* One clip's done proxies stale, with its event; then made again when wanted. */
static int
pipeline_look_clip(struct db_conn *c, long long clip_id, bool rerender, const char *actor,
    struct err *err)
{
	struct db_params q = { 0 };
	PGresult *r;
	json_t *ids, *profiles, *data;
	int n, rc = 0;

	db_param_ll(&q, clip_id);
	if ((n = db_query(c, &stmt_mark_stale, q.v, &r, err)) < 0)
		return n;
	ids = json_array();
	profiles = json_array();
	for (int i = 0; i < n; i++) {
		json_array_append_new(ids, json_integer(db_ll(r, i, 0)));
		json_array_append_new(profiles, json_string(PQgetvalue(r, i, 1)));
	}
	PQclear(r);
	data = json_pack("{s:I,s:o,s:o,s:b}", "clip_id", (json_int_t)clip_id, "renditions", ids,
	    "profiles", profiles, "rerender", rerender);
	if (n > 0)
		rc = event_record(c, actor, "rendition.stale", "clip", clip_id, data, NULL, err);
	json_decref(data);
	if (rc == 0 && rerender && (rc = pipeline_stale(c, clip_id, err)) > 0)
		rc = 0;
	return rc;
}

int
pipeline_look_changed(struct db_conn *c, const struct pipeline_look_scope *s,
    const char *actor, struct err *err)
{
	struct db_params q = { 0 };
	PGresult *r;
	int n, rc = 0;

	db_param_ll_if(&q, s->clip_id > 0, s->clip_id);
	db_param_ll_if(&q, s->day_id > 0, s->day_id);
	db_param_ll_if(&q, s->production_id > 0, s->production_id);
	db_param_str(&q, s->scene);
	db_param_str(&q, s->show_lut ? "true" : "false");
	if ((n = db_query(c, &stmt_look_scope, q.v, &r, err)) < 0)
		return n;
	for (int i = 0; i < n && rc == 0; i++)
		rc = pipeline_look_clip(c, db_ll(r, i, 0), db_bool(r, i, 1), actor, err);
	PQclear(r);
	return rc < 0 ? rc : n;
}

int
pipeline_qc(struct db_conn *c, long long clip_id, struct err *err)
{
	bool circled;
	int rc;

	if ((rc = pipeline_clip_row(c, &stmt_circled, clip_id, &circled, err)) < 0)
		return rc;
	if (rc == 0)
		return err_set(err, SP_ENOTFOUND, "clip %lld not found", clip_id);
	return pipeline_clip_job(c, &job_qc_spec, clip_id, circled, err);
}

int
pipeline_sound(struct db_conn *c, long long day_id, long long clip_id, struct err *err)
{
	struct db_params q = { 0 };
	PGresult *r;
	json_t *payload;
	long long day;
	bool pending;
	int rc;

	db_param_ll_if(&q, day_id > 0, day_id);
	db_param_ll_if(&q, clip_id > 0, clip_id);
	if ((rc = db_query(c, &stmt_sound_pending, q.v, &r, err)) <= 0) {
		if (rc == 0)
			PQclear(r);
		return rc;
	}
	day = db_ll(r, 0, 0);
	pending = db_bool(r, 0, 1);
	PQclear(r);
	if (pending)
		return 0;
	payload = json_pack("{s:I}", "day_id", (json_int_t)day);
	rc = pipeline_queue(c, &job_soundsync_spec, payload, false, NULL, err);
	json_decref(payload);
	return rc;
}

int
pipeline_deliver(struct db_conn *c, long long delivery_id, enum pipeline_class cls,
    long long *job_id, struct err *err)
{
	json_t *payload = json_pack("{s:I}", "delivery_id", (json_int_t)delivery_id);
	const struct job_spec *k = &job_upload_spec;
	long long id;
	int rc;

	rc = jobq_enqueue(c, k->name, payload, k->priority + (int)cls, k->max_attempts, &id, err);
	json_decref(payload);
	if (rc < 0)
		return rc;
	if (job_id)
		*job_id = id;
	return 1;
}

/* --- delivery rules ---------------------------------------------------------------------- */

/* A clip may leave once its copies are secured, unless QC holds it. */
#define PIPELINE_MAY_LEAVE "c.state NOT IN ('registered', 'copy_failed', 'qc_hold')"

/* Each returns the new deliveries with their class. */
static const struct db_stmt stmt_rule_rendition = { "pipeline_rule_rendition",
	"WITH d AS (INSERT INTO deliveries (target_id, rendition_id, rule_id)"
	" SELECT ru.target_id, r.id, ru.id FROM renditions r JOIN clips c ON c.id = r.clip_id"
	" JOIN cards k ON k.id = c.card_id JOIN days dy ON dy.id = k.day_id"
	" JOIN delivery_rules ru ON ru.production_id = dy.production_id AND ru.enabled"
	"  AND ru.what = 'proxies' AND (ru.profiles = '{}' OR r.profile = ANY (ru.profiles))"
	" JOIN targets t ON t.id = ru.target_id AND t.enabled"
	" WHERE r.id = $1 AND r.state = 'done' AND " PIPELINE_MAY_LEAVE
	" ORDER BY ru.id ON CONFLICT DO NOTHING RETURNING id, rendition_id, rule_id)"
	" SELECT d.id, c.circled, d.rule_id FROM d JOIN renditions r ON r.id = d.rendition_id"
	" JOIN clips c ON c.id = r.clip_id ORDER BY d.id", 1 };

static const struct db_stmt stmt_rule_files = { "pipeline_rule_files",
	"WITH d AS (INSERT INTO deliveries (target_id, file_id, rule_id)"
	" SELECT ru.target_id, f.id, ru.id FROM files f JOIN clips c ON c.id = f.clip_id"
	" JOIN cards k ON k.id = c.card_id JOIN days dy ON dy.id = k.day_id"
	" JOIN delivery_rules ru ON ru.production_id = dy.production_id AND ru.enabled"
	"  AND ru.what = CASE k.kind WHEN 'sound' THEN 'sound' ELSE 'originals' END"
	" JOIN targets t ON t.id = ru.target_id AND t.enabled"
	" WHERE c.id = $1 AND " PIPELINE_MAY_LEAVE
	" ORDER BY ru.id, f.rel_path ON CONFLICT DO NOTHING RETURNING id, file_id, rule_id)"
	" SELECT d.id, k.kind = 'sound', d.rule_id FROM d JOIN files f ON f.id = d.file_id"
	" JOIN cards k ON k.id = f.card_id ORDER BY d.id", 1 };

static const struct db_stmt stmt_clip_renditions = { "pipeline_clip_renditions",
	"SELECT id FROM renditions WHERE clip_id = $1 AND state = 'done' ORDER BY profile", 1 };

/* Circled takes first, then shooting order (the camera's start timecode, then the name). */
static const struct db_stmt stmt_day_clips = { "pipeline_day_clips",
	"SELECT c.id FROM clips c JOIN cards k ON k.id = c.card_id WHERE k.day_id = $1"
	" AND ($2::bigint[] IS NULL OR c.id = ANY ($2::bigint[]))"
	" ORDER BY c.circled DESC, k.kind = 'sound' DESC, c.start_tc NULLS LAST, c.name, c.id", 2 };

/* Queues the upload of each delivery the statement made, with its event (the rule is its
 * actor); proxy tells rendition rows from file rows (whose flag says sound). Returns how
 * many. */
static int
pipeline_rule_run(struct db_conn *c, const struct db_stmt *st, long long id, bool proxy,
    struct err *err)
{
	struct db_params q = { 0 };
	PGresult *r;
	int n, rc = 0;

	db_param_ll(&q, id);
	if ((n = db_query(c, st, q.v, &r, err)) < 0)
		return n;
	for (int i = 0; i < n && rc >= 0; i++) {
		bool flag = db_bool(r, i, 1);
		enum pipeline_class cls = proxy ? (flag ? PIPELINE_CIRCLED_PROXY : PIPELINE_PROXY) :
		    (flag ? PIPELINE_SOUND : PIPELINE_ORIGINAL);
		long long job;
		char actor[48];
		json_t *data;
		if ((rc = pipeline_deliver(c, db_ll(r, i, 0), cls, &job, err)) < 0)
			break;
		snprintf(actor, sizeof(actor), "delivery rule %lld", db_ll(r, i, 2));
		data = json_pack("{s:I,s:I}", "job_id", (json_int_t)job, "rule_id",
		    (json_int_t)db_ll(r, i, 2));
		rc = event_record(c, actor, "delivery.queued", "delivery", db_ll(r, i, 0), data, NULL,
		    err);
		json_decref(data);
	}
	PQclear(r);
	return rc < 0 ? rc : n;
}

int
pipeline_rendition_ready(struct db_conn *c, long long rendition_id, struct err *err)
{
	return pipeline_rule_run(c, &stmt_rule_rendition, rendition_id, true, err);
}

/* Everything the rules ask for that the clip has ready: its proxies, then its files. */
static int
pipeline_rules_clip(struct db_conn *c, long long clip_id, struct err *err)
{
	struct db_params q = { 0 };
	PGresult *r;
	int n, rc = 0, queued = 0;

	db_param_ll(&q, clip_id);
	if ((n = db_query(c, &stmt_clip_renditions, q.v, &r, err)) < 0)
		return n;
	for (int i = 0; i < n && rc >= 0; i++)
		if ((rc = pipeline_rendition_ready(c, db_ll(r, i, 0), err)) > 0)
			queued += rc;
	PQclear(r);
	if (rc < 0 || (rc = pipeline_rule_run(c, &stmt_rule_files, clip_id, false, err)) < 0)
		return rc;
	return queued + rc;
}

int
pipeline_send_day(struct db_conn *c, long long day_id, const long long *clip_ids, size_t n,
    int *clips, struct err *err)
{
	struct db_params q = { 0 };
	char *ids = NULL;
	PGresult *r;
	int rows, rc = 0, queued = 0;

	if (n > 0) {
		size_t len = n * 24 + 3, off = 0;
		if ((ids = malloc(len)) == NULL)
			return err_set(err, SP_ENOMEM, "out of memory");
		off += (size_t)snprintf(ids, len, "{");
		for (size_t i = 0; i < n; i++)
			off += (size_t)snprintf(ids + off, len - off, "%s%lld", i ? "," : "", clip_ids[i]);
		snprintf(ids + off, len - off, "}");
	}
	db_param_ll(&q, day_id);
	db_param_str(&q, ids);
	rows = db_query(c, &stmt_day_clips, q.v, &r, err);
	free(ids);
	if (rows < 0)
		return rows;
	for (int i = 0; i < rows && rc >= 0; i++)
		if ((rc = pipeline_rules_clip(c, db_ll(r, i, 0), err)) > 0)
			queued += rc;
	PQclear(r);
	if (clips)
		*clips = rows;
	return rc < 0 ? rc : queued;
}

static const struct db_stmt stmt_superseded = { "pipeline_superseded",
	"WITH d AS (UPDATE deliveries SET state = 'failed', error = 'superseded by rendition ' || $2,"
	" updated_at = now() WHERE rendition_id = $1 AND state IN ('queued', 'retrying')"
	" RETURNING id),"
	" j AS (UPDATE jobs SET state = 'canceled', finished_at = now() WHERE kind = 'upload'"
	" AND state = 'queued' AND payload->>'delivery_id' IN (SELECT id::text FROM d) RETURNING id)"
	" SELECT count(*) FROM d", 2 };

int
pipeline_superseded(struct db_conn *c, long long old_id, long long new_id, struct err *err)
{
	struct db_params q = { 0 };
	PGresult *r;
	int rc;

	db_param_ll(&q, old_id);
	db_param_ll(&q, new_id);
	if ((rc = db_query(c, &stmt_superseded, q.v, &r, err)) < 0)
		return rc;
	rc = (int)db_ll(r, 0, 0);
	PQclear(r);
	return rc;
}

/* --- secured ----------------------------------------------------------------------------- */

int
pipeline_secured(struct db_conn *c, long long clip_id, struct err *err)
{
	bool circled;
	int rc, files;

	/* Originals and sound leave as soon as their copies are safe. */
	if ((files = pipeline_rule_run(c, &stmt_rule_files, clip_id, false, err)) < 0)
		return files;
	if ((rc = pipeline_clip_row(c, &stmt_unprobed, clip_id, &circled, err)) < 0)
		return rc;
	if (rc > 0 && (rc = pipeline_clip_job(c, &job_probe_spec, clip_id, circled, err)) < 0)
		return rc;
	return rc > 0 || files > 0;
}

static const struct db_stmt stmt_secured = { "pipeline_secured",
	"SELECT id FROM clips WHERE card_id = $1 AND state = 'secured' ORDER BY circled DESC, name",
	1 };

int
pipeline_card_secured(struct db_conn *c, long long card_id, struct err *err)
{
	struct db_params q = { 0 };
	PGresult *r;
	int n, rc = 0, queued = 0;

	db_param_ll(&q, card_id);
	if ((n = db_query(c, &stmt_secured, q.v, &r, err)) < 0)
		return n;
	for (int i = 0; i < n && rc >= 0; i++)
		if ((rc = pipeline_secured(c, db_ll(r, i, 0), err)) > 0)
			queued++;
	PQclear(r);
	return rc < 0 ? rc : queued;
}

/* --- reports ----------------------------------------------------------------------------- */

static const struct db_stmt stmt_report_rules = { "pipeline_report_rules",
	"SELECT EXISTS (SELECT 1 FROM delivery_rules ru JOIN targets t ON t.id = ru.target_id"
	" AND t.enabled WHERE ru.enabled AND ru.what = 'reports' AND ru.production_id ="
	" (SELECT d.production_id FROM days d WHERE d.id = CASE WHEN $1 = 'day' THEN $2::bigint"
	"  ELSE (SELECT k.day_id FROM cards k WHERE k.id = $2::bigint) END))", 2 };

int
pipeline_report_ready(struct db_conn *c, const char *report, long long id, struct err *err)
{
	struct db_params q = { 0 };
	json_t *payload;
	PGresult *r;
	bool any;
	int rc;

	db_param_str(&q, report);
	db_param_ll(&q, id);
	if ((rc = db_query(c, &stmt_report_rules, q.v, &r, err)) < 0)
		return rc;
	any = rc > 0 && db_bool(r, 0, 0);
	PQclear(r);
	if (!any)
		return 0;
	payload = json_pack("{s:s,s:I}", "report", report, "id", (json_int_t)id);
	rc = pipeline_queue(c, &job_report_spec, payload, false, NULL, err);
	json_decref(payload);
	return rc < 0 ? rc : 1;
}
