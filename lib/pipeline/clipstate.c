/* clipstate: clip state transitions and the safe-to-format verdict (see clipstate.h). */
#include "lib/pipeline/clipstate.h"
#include "lib/store/event.h"
#include "lib/pipeline/pipeline.h"
#include "lib/media/profile.h"
#include "lib/store/params.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Verified copies of a file, counted once per volume. */
#define CLIPSTATE_COPIES(file) \
	"(SELECT count(DISTINCT cp.volume_id) FROM copies cp WHERE cp.file_id = " file \
	" AND cp.state = 'verified')"

#define CLIPSTATE_REQUIRED \
	"(SELECT p.required_copies FROM cards k JOIN days d ON d.id = k.day_id" \
	" JOIN productions p ON p.id = d.production_id WHERE k.id = $1)"

/* For every clip of the card whose state is copy-related: the state the facts say. A clip past
 * its copies (proxied, delivered, or failed later on) that is no longer secured (a copy found
 * changed or missing) falls back to copy_failed; while it stays secured its state is kept. */
static const struct db_stmt stmt_derive = { "clipstate_derive",
	"WITH facts AS ("
	" SELECT c.id, c.state,"
	"  bool_and(" CLIPSTATE_COPIES("f.id") " >= " CLIPSTATE_REQUIRED ") AS secured,"
	"  (SELECT f2.rel_path || ': copy on ' || v.name || ' failed: ' || coalesce(cp.error, '?')"
	"   FROM files f2 JOIN copies cp ON cp.file_id = f2.id JOIN volumes v ON v.id = cp.volume_id"
	"   WHERE f2.clip_id = c.id AND cp.state = 'failed' AND " CLIPSTATE_COPIES("f2.id")
	"    < " CLIPSTATE_REQUIRED " ORDER BY f2.rel_path LIMIT 1) AS failure"
	" FROM clips c JOIN files f ON f.clip_id = c.id"
	" WHERE c.card_id = $1 AND c.state IN ('registered', 'secured', 'copy_failed', 'proxied',"
	"  'transcode_failed', 'delivered', 'upload_failed', 'media_error')"
	" GROUP BY c.id, c.state),"
	" judged AS (SELECT *, state IN ('registered', 'secured', 'copy_failed') AS early FROM facts)"
	" UPDATE clips c SET state = n.state, state_reason = n.reason, updated_at = now()"
	" FROM (SELECT id, CASE WHEN secured THEN 'secured' WHEN failure IS NOT NULL OR NOT early"
	"  THEN 'copy_failed' ELSE 'registered' END AS state,"
	"  CASE WHEN secured THEN NULL WHEN failure IS NOT NULL OR early THEN failure"
	"  ELSE 'a file has fewer verified copies than the production requires' END AS reason,"
	"  state AS old, early FROM judged) n"
	" WHERE c.id = n.id AND (n.early OR n.state <> 'secured')"
	" AND (c.state <> n.state OR c.state_reason IS DISTINCT FROM n.reason)"
	" RETURNING c.id, c.name, n.old, n.state, coalesce(n.reason, '')", 1 };

static const struct db_stmt stmt_a_delivery = { "clipstate_a_delivery",
	"SELECT d.id FROM deliveries d LEFT JOIN files f ON f.id = d.file_id"
	" LEFT JOIN renditions r ON r.id = d.rendition_id"
	" WHERE coalesce(f.clip_id, r.clip_id) = $1 LIMIT 1", 1 };

/* A clip secured again after a copy failed: what its proxies, then its deliveries, say. */
static int
clipstate_resecured(struct db_conn *c, long long clip_id, const char *actor, struct err *err)
{
	struct db_params q = { 0 };
	PGresult *r;
	long long delivery = 0;
	int n, rc;

	if ((rc = clipstate_refresh_active(c, clip_id, actor, err)) < 0)
		return rc;
	db_param_ll(&q, clip_id);
	if ((n = db_query(c, &stmt_a_delivery, q.v, &r, err)) < 0)
		return n;
	if (n > 0)
		delivery = db_ll(r, 0, 0);
	PQclear(r);
	rc = delivery ? clipstate_refresh_deliveries(c, delivery, actor, err) : 0;
	return rc < 0 ? rc : 0;
}

int
clipstate_refresh_card(struct db_conn *c, long long card_id, const char *actor, struct err *err)
{
	struct db_params q = { 0 };
	PGresult *r;
	int n, rc = 0;

	db_param_ll(&q, card_id);
	if ((n = db_query(c, &stmt_derive, q.v, &r, err)) < 0)
		return n;
	for (int i = 0; i < n && rc == 0; i++) {
		char kind[48];
		json_t *data = json_pack("{s:s,s:s,s:s,s:s}", "clip", PQgetvalue(r, i, 1), "from",
		    PQgetvalue(r, i, 2), "to", PQgetvalue(r, i, 3), "reason", PQgetvalue(r, i, 4));
		snprintf(kind, sizeof(kind), "clip.%s", PQgetvalue(r, i, 3));
		rc = event_record(c, actor, kind, "clip", db_ll(r, i, 0), data, NULL, err);
		json_decref(data);
		/* A secured clip gets its probe (then thumbnails and QC), circled takes first; one
		 * secured again after a copy failed gets back what its proxies say. */
		if (rc == 0 && strcmp(PQgetvalue(r, i, 3), "secured") == 0 &&
		    (rc = pipeline_secured(c, db_ll(r, i, 0), err)) > 0)
			rc = 0;
		if (rc == 0 && strcmp(PQgetvalue(r, i, 3), "secured") == 0 &&
		    strcmp(PQgetvalue(r, i, 2), "copy_failed") == 0)
			rc = clipstate_resecured(c, db_ll(r, i, 0), actor, err);
	}
	PQclear(r);
	return rc < 0 ? rc : n;
}

/* The verdict is the database's (migration 0017), so a list of cards gets it in one query. */
static const struct db_stmt stmt_verdict = { "clipstate_verdict",
	"SELECT safe, why_not::text FROM setpost_card_verdict($1)", 1 };

int
clipstate_card_safe(struct db_conn *c, long long card_id, bool *safe, json_t **why_not,
    struct err *err)
{
	struct db_params q = { 0 };
	PGresult *r;
	int n;

	db_param_ll(&q, card_id);
	if ((n = db_query(c, &stmt_verdict, q.v, &r, err)) < 0)
		return n;
	*safe = db_bool(r, 0, 0);
	*why_not = json_loads(PQgetvalue(r, 0, 1), 0, NULL);
	if (*why_not == NULL)
		*why_not = json_array();
	PQclear(r);
	return 0;
}

static const struct db_stmt stmt_qc_hold = { "clipstate_qc_hold",
	"UPDATE clips SET state = 'qc_hold', state_reason = $2, updated_at = now()"
	" WHERE id = $1 AND (state IN ('secured', 'proxied', 'transcode_failed') OR (state = 'qc_hold' AND"
	" state_reason IS DISTINCT FROM $2)) RETURNING name, card_id", 2 };

static const struct db_stmt stmt_qc_release = { "clipstate_qc_release",
	"UPDATE clips SET state = 'secured', state_reason = NULL, updated_at = now()"
	" WHERE id = $1 AND state = 'qc_hold' RETURNING name, card_id", 1 };

int
clipstate_qc_verdict(struct db_conn *c, long long clip_id, bool hold, const char *reason,
    const char *actor, struct err *err)
{
	struct db_params q = { 0 };
	PGresult *r;
	json_t *data;
	int n, rc;

	db_param_ll(&q, clip_id);
	db_param_str(&q, reason ? reason : "QC finding");
	if ((n = db_query(c, hold ? &stmt_qc_hold : &stmt_qc_release, q.v, &r, err)) < 0)
		return n;
	if (n == 0) {
		PQclear(r);
		return 0;
	}
	/* Released: reason is the DIT's note, when a person released it. */
	data = json_pack("{s:s,s:s,s:s}", "clip", PQgetvalue(r, 0, 0), "to",
	    hold ? "qc_hold" : "secured", "reason", hold ? q.v[1] : reason ? reason : "");
	rc = event_record(c, actor, hold ? "clip.qc_hold" : "clip.qc_released", "clip", clip_id,
	    data, NULL, err);
	json_decref(data);
	/* Released: what the copies say now decides (secured, or copy_failed meanwhile), then the
	 * proxies (made while it was held: proxied, or transcode_failed). */
	if (rc == 0 && !hold && (rc = clipstate_refresh_card(c, db_ll(r, 0, 1), actor, err)) >= 0)
		rc = clipstate_refresh_active(c, clip_id, actor, err);
	PQclear(r);
	return rc < 0 ? rc : 1;
}

static const struct db_stmt stmt_media_error = { "clipstate_media_error",
	"UPDATE clips SET state = 'media_error', state_reason = $2, updated_at = now()"
	" WHERE id = $1 AND (state IN ('secured', 'proxied', 'transcode_failed', 'qc_hold') OR"
	" (state = 'media_error' AND state_reason IS DISTINCT FROM $2)) RETURNING name, state", 2 };

int
clipstate_media_error(struct db_conn *c, long long clip_id, const char *reason,
    const char *actor, struct err *err)
{
	struct db_params q = { 0 };
	PGresult *r;
	json_t *data;
	int n, rc;

	db_param_ll(&q, clip_id);
	db_param_str(&q, reason && *reason ? reason : "the media cannot be read");
	if ((n = db_query(c, &stmt_media_error, q.v, &r, err)) < 0)
		return n;
	if (n == 0) {
		PQclear(r);
		return 0;
	}
	data = json_pack("{s:s,s:s,s:s}", "clip", PQgetvalue(r, 0, 0), "to", "media_error",
	    "reason", q.v[1]);
	PQclear(r);
	rc = event_record(c, actor, "clip.media_error", "clip", clip_id, data, NULL, err);
	json_decref(data);
	return rc < 0 ? rc : 1;
}

/* $2 is the active profiles as a text array. A failure wins over done renditions. */
static const struct db_stmt stmt_renditions = { "clipstate_renditions",
	"WITH r AS (SELECT (SELECT r.profile || ': ' || coalesce(r.error, 'failed') FROM renditions r"
	"  WHERE r.clip_id = $1 AND r.state = 'failed' AND r.profile = ANY ($2::text[])"
	"  AND r.error IS DISTINCT FROM 'canceled'"
	"  ORDER BY r.profile LIMIT 1) AS failure,"
	" (SELECT count(*) FROM renditions r WHERE r.clip_id = $1 AND r.state = 'done'"
	"  AND r.profile = ANY ($2::text[])) = cardinality($2::text[]) AS done),"
	" n AS (SELECT CASE WHEN failure IS NOT NULL THEN 'transcode_failed' WHEN done"
	"  THEN 'proxied' ELSE 'secured' END AS state, failure AS reason FROM r)"
	" UPDATE clips c SET state = n.state, state_reason = n.reason, updated_at = now() FROM n"
	" WHERE c.id = $1 AND c.state IN ('secured', 'proxied', 'transcode_failed')"
	" AND (c.state <> n.state OR c.state_reason IS DISTINCT FROM n.reason)"
	" RETURNING c.name, n.state, coalesce(n.reason, '')", 2 };

int
clipstate_refresh_renditions(struct db_conn *c, long long clip_id, const char *const *profiles,
    int n, const char *actor, struct err *err)
{
	char arr[1024];
	struct db_params q = { 0 };
	size_t o = 0;
	PGresult *r;
	json_t *data;
	char kind[48];
	int rows, rc;

	db_param_ll(&q, clip_id);
	db_param_str(&q, arr);
	/* Profile names are letters, digits, '_' and '-': nothing to quote in the array literal. */
	arr[o++] = '{';
	for (int i = 0; i < n && o + 64 < sizeof(arr); i++)
		o += (size_t)snprintf(arr + o, sizeof(arr) - o, "%s\"%s\"", i ? "," : "", profiles[i]);
	snprintf(arr + o, sizeof(arr) - o, "}");
	if ((rows = db_query(c, &stmt_renditions, q.v, &r, err)) < 0)
		return rows;
	if (rows == 0) {
		PQclear(r);
		return 0;
	}
	data = json_pack("{s:s,s:s,s:s}", "clip", PQgetvalue(r, 0, 0), "to", PQgetvalue(r, 0, 1),
	    "reason", PQgetvalue(r, 0, 2));
	snprintf(kind, sizeof(kind), "clip.%s", PQgetvalue(r, 0, 1));
	rc = event_record(c, actor, kind, "clip", clip_id, data, NULL, err);
	json_decref(data);
	PQclear(r);
	return rc < 0 ? rc : 1;
}

/* The clip of the delivery, and what all of that clip's deliveries say. */
static const struct db_stmt stmt_deliveries = { "clipstate_deliveries",
	"WITH clip AS (SELECT coalesce(f.clip_id, r.clip_id) AS id FROM deliveries d"
	"  LEFT JOIN files f ON f.id = d.file_id LEFT JOIN renditions r ON r.id = d.rendition_id"
	"  WHERE d.id = $1),"
	" facts AS (SELECT count(*) AS n, count(*) FILTER (WHERE x.state = 'delivered') AS ok,"
	"  (array_agg('delivery ' || x.id || ': ' || coalesce(x.error, 'failed') ORDER BY x.updated_at"
	"   DESC) FILTER (WHERE x.state = 'failed'))[1] AS failure"
	"  FROM deliveries x LEFT JOIN files xf ON xf.id = x.file_id"
	"  LEFT JOIN renditions xr ON xr.id = x.rendition_id"
	"  WHERE coalesce(xf.clip_id, xr.clip_id) = (SELECT id FROM clip)),"
	" next AS (SELECT CASE WHEN failure IS NOT NULL THEN 'upload_failed'"
	"  WHEN n > 0 AND ok = n THEN 'delivered' END AS state, failure AS reason FROM facts)"
	" UPDATE clips c SET state = next.state, state_reason = next.reason, updated_at = now()"
	" FROM next, (SELECT state AS old FROM clips WHERE id = (SELECT id FROM clip)) o"
	" WHERE c.id = (SELECT id FROM clip) AND next.state IS NOT NULL"
	" AND c.state IN ('secured', 'proxied', 'delivered', 'upload_failed')"
	" AND (c.state <> next.state OR c.state_reason IS DISTINCT FROM next.reason)"
	" RETURNING c.id, c.name, o.old, c.state, coalesce(c.state_reason, '')", 1 };

int
clipstate_refresh_deliveries(struct db_conn *c, long long delivery_id, const char *actor,
    struct err *err)
{
	char kind[48];
	struct db_params q = { 0 };
	PGresult *r;
	json_t *data;
	int n, rc;

	db_param_ll(&q, delivery_id);
	if ((n = db_query(c, &stmt_deliveries, q.v, &r, err)) <= 0) {
		if (n == 0)
			PQclear(r);
		return n;
	}
	data = json_pack("{s:s,s:s,s:s,s:s}", "clip", PQgetvalue(r, 0, 1), "from",
	    PQgetvalue(r, 0, 2), "to", PQgetvalue(r, 0, 3), "reason", PQgetvalue(r, 0, 4));
	snprintf(kind, sizeof(kind), "clip.%s", PQgetvalue(r, 0, 3));
	rc = event_record(c, actor, kind, "clip", db_ll(r, 0, 0), data, NULL, err);
	json_decref(data);
	PQclear(r);
	return rc < 0 ? rc : 1;
}

static const struct db_stmt stmt_settings = { "clipstate_settings",
	"SELECT p.settings::text FROM clips c JOIN cards k ON k.id = c.card_id"
	" JOIN days d ON d.id = k.day_id JOIN productions p ON p.id = d.production_id"
	" WHERE c.id = $1", 1 };

int
clipstate_refresh_active(struct db_conn *c, long long clip_id, const char *actor,
    struct err *err)
{
	struct db_params q = { 0 };
	const char *names[PROFILE_MAX];
	struct profile_set active;
	json_t *settings;
	PGresult *r;
	int n, rc;

	db_param_ll(&q, clip_id);
	if ((n = db_query(c, &stmt_settings, q.v, &r, err)) < 0)
		return n;
	settings = n ? json_loads(PQgetvalue(r, 0, 0), 0, NULL) : NULL;
	PQclear(r);
	if (n == 0)
		return 0;
	rc = profile_load(settings, NULL, &active, err);
	json_decref(settings);
	if (rc < 0)
		return rc;
	for (int i = 0; i < active.n; i++)
		names[i] = active.v[i].name;
	rc = clipstate_refresh_renditions(c, clip_id, names, active.n, actor, err);
	profile_set_release(&active);
	return rc;
}
