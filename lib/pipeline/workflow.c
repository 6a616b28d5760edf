/* workflow: the agreed workflow sheet, its versions, and the clips that break it
 * (see workflow.h). */
#include "lib/pipeline/workflow.h"
#include "lib/media/timecode.h"
#include "lib/store/event.h"
#include "lib/store/params.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define WF_TEXT_MAX 2000
#define WF_LIST_MAX 64

enum wf_type { WF_STR, WF_STRS, WF_INT, WF_OBJ, WF_OBJS };

struct wf_key {
	const char *name;
	enum wf_type type;
	const char *const *sub;      /* WF_OBJ, WF_OBJS: the keys of its objects */
};

static const char *const wf_camera[] = { "name", "model", "recording", "resolution",
	"frame_rate", "codec", "lens", "notes", NULL };
static const char *const wf_delivery[] = { "schedule", "targets", "notes", NULL };
static const char *const wf_sound[] = { "format", "in_camera", "recorder", "timecode", "notes",
	NULL };
static const char *const wf_contact[] = { "role", "name", "email", "phone", NULL };

static const struct wf_key wf_keys[] = {
	{ "cameras", WF_OBJS, wf_camera }, { "resolution", WF_STRS, NULL },
	{ "frame_rate", WF_STR, NULL }, { "codecs", WF_STRS, NULL },
	{ "colour_pipeline", WF_STR, NULL }, { "looks", WF_STRS, NULL }, { "luts", WF_STRS, NULL },
	{ "naming_rule", WF_STR, NULL }, { "copies_required", WF_INT, NULL },
	{ "media_rule", WF_STR, NULL }, { "archive_rule", WF_STR, NULL },
	{ "proxy_profiles", WF_STRS, NULL }, { "delivery", WF_OBJ, wf_delivery },
	{ "sound", WF_OBJ, wf_sound }, { "timecode", WF_STR, NULL },
	{ "contacts", WF_OBJS, wf_contact }, { "notes", WF_STR, NULL },
};
#define WF_NKEYS (sizeof(wf_keys) / sizeof(wf_keys[0]))

static bool
wf_text(const json_t *v)
{
	return json_is_string(v) && json_string_length(v) <= WF_TEXT_MAX;
}

/* A string, or a list of strings (a single string is a list of one). */
static bool
wf_texts(const json_t *v)
{
	const json_t *x;
	size_t i;

	if (wf_text(v))
		return true;
	if (!json_is_array(v) || json_array_size(v) > WF_LIST_MAX)
		return false;
	json_array_foreach(v, i, x)
		if (!wf_text(x))
			return false;
	return true;
}

static bool
wf_in(const char *key, const char *const *names)
{
	for (; *names; names++)
		if (strcmp(key, *names) == 0)
			return true;
	return false;
}

/* An object of sub keys, each a text, a list of texts or true/false. */
static int
wf_object(const char *name, const json_t *o, const char *const *sub, struct err *err)
{
	const char *k;
	json_t *v;

	if (!json_is_object(o))
		return err_set(err, SP_EINVAL, "workflow.%s: expected an object", name);
	json_object_foreach((json_t *)o, k, v) {
		if (!wf_in(k, sub))
			return err_set(err, SP_EINVAL, "workflow.%s.%.64s: unknown key", name, k);
		if (!wf_texts(v) && !json_is_boolean(v))
			return err_set(err, SP_EINVAL, "workflow.%s.%.64s: expected text, a list of "
			    "texts or true/false", name, k);
	}
	return 0;
}

static int
wf_value(const struct wf_key *k, const json_t *v, struct err *err)
{
	const json_t *x;
	size_t i;
	int rc;

	switch (k->type) {
	case WF_STR:
		return wf_text(v) ? 0 : err_set(err, SP_EINVAL, "workflow.%s: expected text of at "
		    "most %d bytes", k->name, WF_TEXT_MAX);
	case WF_STRS:
		return wf_texts(v) ? 0 : err_set(err, SP_EINVAL, "workflow.%s: expected text or a list "
		    "of texts", k->name);
	case WF_INT:
		return json_is_integer(v) && json_integer_value(v) >= 1 &&
		    json_integer_value(v) <= 10 ? 0 : err_set(err, SP_EINVAL, "workflow.%s: expected "
		    "a whole number from 1 to 10", k->name);
	case WF_OBJ:
		return wf_object(k->name, v, k->sub, err);
	case WF_OBJS:
		if (!json_is_array(v) || json_array_size(v) > WF_LIST_MAX)
			return err_set(err, SP_EINVAL, "workflow.%s: expected a list of objects", k->name);
		json_array_foreach(v, i, x)
			if ((rc = wf_object(k->name, x, k->sub, err)) < 0)
				return rc;
		return 0;
	}
	return 0;
}

/* The naming rule compiled to match a whole name. */
static int
wf_rule_compile(const char *rule, regex_t *re)
{
	size_t len = strlen(rule) + 8;
	char *full = malloc(len);
	int rc;

	if (full == NULL)
		return -1;
	snprintf(full, len, "^(%s)$", rule);
	rc = regcomp(re, full, REG_EXTENDED | REG_NOSUB);
	free(full);
	return rc;
}

/* "3840x2160" into w, h. */
static bool
wf_size(const char *s, long *w, long *h)
{
	char *end;

	*w = strtol(s, &end, 10);
	if (*w < 1 || *w > 65535 || (*end != 'x' && *end != 'X'))
		return false;
	*h = strtol(end + 1, &end, 10);
	return *h >= 1 && *h <= 65535 && *end == '\0';
}

int
workflow_validate(const json_t *sheet, struct err *err)
{
	const char *key;
	json_t *v, *x;
	size_t i;
	long w, h;
	regex_t re;
	int rc;

	if (!json_is_object(sheet))
		return err_set(err, SP_EINVAL, "workflow: expected an object");
	json_object_foreach((json_t *)sheet, key, v) {
		size_t k = 0;
		while (k < WF_NKEYS && strcmp(wf_keys[k].name, key) != 0)
			k++;
		if (k == WF_NKEYS)
			return err_set(err, SP_EINVAL, "workflow.%.64s: unknown key", key);
		if ((rc = wf_value(&wf_keys[k], v, err)) < 0)
			return rc;
	}
	if ((v = json_object_get(sheet, "frame_rate")) &&
	    timecode_rate_parse(json_string_value(v), &(struct timecode_rate){ 0 }, NULL) < 0)
		return err_set(err, SP_EINVAL, "workflow.frame_rate: \"%.32s\" is not a frame rate "
		    "(23.976, 25, 29.97DF...)", json_string_value(v));
	v = json_object_get(sheet, "resolution");
	if (json_is_string(v) && !wf_size(json_string_value(v), &w, &h))
		return err_set(err, SP_EINVAL, "workflow.resolution: expected WIDTHxHEIGHT");
	json_array_foreach(json_is_array(v) ? v : NULL, i, x)
		if (!wf_size(json_string_value(x), &w, &h))
			return err_set(err, SP_EINVAL, "workflow.resolution: expected WIDTHxHEIGHT");
	if ((v = json_object_get(sheet, "naming_rule"))) {
		if ((rc = wf_rule_compile(json_string_value(v), &re)) != 0)
			return err_set(err, SP_EINVAL, "workflow.naming_rule: not a POSIX extended regular "
			    "expression");
		regfree(&re);
	}
	return 0;
}

/* --- versions ---------------------------------------------------------------------------- */

static const struct db_stmt stmt_load = { "workflow_load",
	"SELECT json_build_object('production_id', p.id, 'production', p.name, 'version',"
	" coalesce(w.version, 0), 'sheet', coalesce(w.sheet, '{}'), 'changed_by', w.author,"
	" 'changed_at', w.created_at)::text FROM productions p LEFT JOIN LATERAL (SELECT * FROM"
	" workflow_sheets s WHERE s.production_id = p.id ORDER BY s.version DESC LIMIT 1) w ON true"
	" WHERE p.id = $1", 1 };

static const struct db_stmt stmt_lock = { "workflow_lock",
	"SELECT id FROM productions WHERE id = $1 FOR UPDATE", 1 };

/* The production's probed camera clips, to check against a new version. */
static const struct db_stmt stmt_probed = { "workflow_probed",
	"SELECT c.id FROM clips c JOIN cards k ON k.id = c.card_id AND k.kind = 'camera'"
	" JOIN days d ON d.id = k.day_id JOIN clip_media m ON m.clip_id = c.id"
	" AND m.status <> 'failed' WHERE d.production_id = $1 ORDER BY c.id", 1 };

static const struct db_stmt stmt_insert = { "workflow_insert",
	"INSERT INTO workflow_sheets (production_id, version, sheet, author) SELECT $1,"
	" coalesce(max(version), 0) + 1, $2::jsonb, $3 FROM workflow_sheets WHERE production_id = $1"
	" RETURNING version", 3 };

int
workflow_load(struct db_conn *c, long long production_id, json_t **out, struct err *err)
{
	struct db_params q = { 0 };
	PGresult *r;
	int rc;

	*out = NULL;
	db_param_ll(&q, production_id);
	if ((rc = db_query(c, &stmt_load, q.v, &r, err)) < 0)
		return rc;
	if (rc == 0) {
		PQclear(r);
		return err_set(err, SP_ENOTFOUND, "production %lld not found", production_id);
	}
	*out = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
	PQclear(r);
	return *out ? 0 : err_set(err, SP_ENOMEM, "out of memory");
}

int
workflow_save(struct db_conn *c, long long production_id, const json_t *sheet,
    const char *actor, bool *changed, json_t **out, struct err *err)
{
	struct db_params q = { 0 };
	json_t *cur = NULL, *data;
	PGresult *r;
	char *text;
	int rc, found;

	*changed = false;
	*out = NULL;
	if ((rc = workflow_validate(sheet, err)) < 0)
		return rc;
	db_param_ll(&q, production_id);
	if ((rc = db_query(c, &stmt_lock, q.v, NULL, err)) < 0)
		return rc;
	if (rc == 0)
		return err_set(err, SP_ENOTFOUND, "production %lld not found", production_id);
	if ((rc = workflow_load(c, production_id, &cur, err)) < 0)
		return rc;
	if (json_integer_value(json_object_get(cur, "version")) > 0 &&
	    json_equal(json_object_get(cur, "sheet"), (json_t *)sheet)) {
		*out = cur;
		return 0;
	}
	json_decref(cur);
	text = json_dumps(sheet, JSON_COMPACT);
	db_param_str(&q, text);
	db_param_str(&q, actor);
	rc = db_query(c, &stmt_insert, q.v, &r, err);
	free(text);
	if (rc < 0)
		return rc;
	data = json_pack("{s:I,s:I}", "production_id", (json_int_t)production_id, "version",
	    (json_int_t)db_ll(r, 0, 0));
	PQclear(r);
	rc = event_record(c, actor, "workflow.changed", "production", production_id, data, NULL,
	    err);
	json_decref(data);
	if (rc < 0 || (found = workflow_recheck(c, production_id, err)) < 0)
		return rc < 0 ? rc : found;
	*changed = true;
	if ((rc = workflow_load(c, production_id, out, err)) == 0)
		json_object_set_new(*out, "findings", json_integer(found));
	return rc;
}

/* --- the clips that break it ------------------------------------------------------------- */

static const struct db_stmt stmt_clip = { "workflow_clip",
	"SELECT c.name, k.kind, w.version, w.sheet::text, greatest(coalesce(c.duration_frames, 1)"
	" - 1, 0) FROM clips c JOIN cards k ON k.id = c.card_id JOIN days d ON d.id = k.day_id"
	" LEFT JOIN LATERAL (SELECT version, sheet FROM workflow_sheets s WHERE s.production_id ="
	" d.production_id ORDER BY s.version DESC LIMIT 1) w ON true WHERE c.id = $1", 1 };

static const struct db_stmt stmt_drop = { "workflow_drop",
	"DELETE FROM qc_flags WHERE clip_id = $1 AND kind = 'workflow'", 1 };

static const struct db_stmt stmt_flag = { "workflow_flag",
	"INSERT INTO qc_flags (clip_id, kind, severity, start_frame, end_frame, message, code)"
	" VALUES ($1, 'workflow', 'warning', 0, $2::bigint, $3, $4)", 4 };

struct wf_finding {
	const char *code;
	char message[600];
};

#define WF_FINDINGS_MAX 5

/* Whether text (a list or a single text) holds s, case aside. */
static bool
wf_listed(const json_t *list, const char *s)
{
	const json_t *x;
	size_t i;

	if (json_is_string(list))
		return strcasecmp(json_string_value(list), s) == 0;
	json_array_foreach(list, i, x)
		if (strcasecmp(json_string_value(x), s) == 0)
			return true;
	return false;
}

static bool
wf_size_listed(const json_t *list, int width, int height)
{
	const json_t *x;
	size_t i;
	long w, h;

	if (json_is_string(list))
		return wf_size(json_string_value(list), &w, &h) && w == width && h == height;
	json_array_foreach(list, i, x)
		if (wf_size(json_string_value(x), &w, &h) && w == width && h == height)
			return true;
	return false;
}

/* A list or a text as "a, b, c". */
static void
wf_join(const json_t *list, char *out, size_t len)
{
	const json_t *x;
	size_t i, n = 0;

	*out = '\0';
	if (json_is_string(list)) {
		snprintf(out, len, "%s", json_string_value(list));
		return;
	}
	json_array_foreach(list, i, x)
		if (n < len)
			n += (size_t)snprintf(out + n, len - n, "%s%s", n ? ", " : "", json_string_value(x));
}

/* What of the sheet the clip breaks; only what the probe knows is judged. */
static int
wf_findings(const char *name, const json_t *sheet, long version, const struct probe *p,
    struct wf_finding *f)
{
	struct timecode_rate rate;
	const json_t *v;
	char list[400];
	regex_t re;
	int n = 0;

	v = json_object_get(sheet, "frame_rate");
	if (v && p->fps_num > 0 && timecode_rate_parse(json_string_value(v), &rate, NULL) == 0 &&
	    (unsigned long long)p->fps_num * rate.den != (unsigned long long)rate.num * p->fps_den) {
		f[n].code = "SP-WF-RATE";
		snprintf(f[n++].message, sizeof(f->message), "frame rate %u/%u breaks the workflow "
		    "sheet (version %ld): frame_rate %s", p->fps_num, p->fps_den, version,
		    json_string_value(v));
	}
	v = json_object_get(sheet, "resolution");
	if (v && p->width > 0 && p->height > 0 && !wf_size_listed(v, p->width, p->height)) {
		wf_join(v, list, sizeof(list));
		f[n].code = "SP-WF-SIZE";
		snprintf(f[n++].message, sizeof(f->message), "picture %dx%d breaks the workflow sheet "
		    "(version %ld): resolution %s", p->width, p->height, version, list);
	}
	v = json_object_get(sheet, "codecs");
	if (v && p->decodable && p->video_streams > 0 && p->codec[0] && !wf_listed(v, p->codec)) {
		wf_join(v, list, sizeof(list));
		f[n].code = "SP-WF-CODEC";
		snprintf(f[n++].message, sizeof(f->message), "codec %s breaks the workflow sheet "
		    "(version %ld): codecs %s", p->codec, version, list);
	}
	v = json_object_get(json_object_get(sheet, "sound"), "in_camera");
	if (json_is_true(v) && p->decodable && p->video_streams > 0 && p->audio_channels == 0) {
		f[n].code = "SP-WF-SOUND";
		snprintf(f[n++].message, sizeof(f->message), "no sound in the file breaks the workflow "
		    "sheet (version %ld): sound.in_camera true", version);
	}
	v = json_object_get(sheet, "naming_rule");
	if (v && wf_rule_compile(json_string_value(v), &re) == 0) {
		if (regexec(&re, name, 0, NULL, 0) != 0) {
			f[n].code = "SP-WF-NAME";
			snprintf(f[n++].message, sizeof(f->message), "name %.200s breaks the workflow "
			    "sheet (version %ld): naming_rule %.300s", name, version,
			    json_string_value(v));
		}
		regfree(&re);
	}
	return n;
}

int
workflow_check(struct db_conn *c, long long clip_id, const struct probe *p, struct err *err)
{
	struct wf_finding f[WF_FINDINGS_MAX];
	struct db_params q = { 0 };
	json_t *sheet = NULL;
	PGresult *r;
	int rc, n = 0;

	db_param_ll(&q, clip_id);
	if ((rc = db_query(c, &stmt_clip, q.v, &r, err)) < 0)
		return rc;
	if (rc == 0 || (rc = db_query(c, &stmt_drop, q.v, NULL, err)) < 0)
		goto out;
	rc = 0;
	if (strcmp(PQgetvalue(r, 0, 1), "camera") != 0 || PQgetisnull(r, 0, 3) ||
	    (sheet = json_loads(PQgetvalue(r, 0, 3), 0, NULL)) == NULL)
		goto out;
	n = wf_findings(PQgetvalue(r, 0, 0), sheet, (long)db_ll(r, 0, 2), p, f);
	for (int i = 0; i < n && rc >= 0; i++) {
		const char *v[4] = { q.v[0], PQgetvalue(r, 0, 4), f[i].message, f[i].code };
		rc = db_query(c, &stmt_flag, v, NULL, err);
	}
out:
	json_decref(sheet);
	PQclear(r);
	return rc < 0 ? rc : n;
}

int
workflow_recheck(struct db_conn *c, long long production_id, struct err *err)
{
	struct db_params q = { 0 };
	PGresult *r;
	int n, rc = 0, found = 0;

	db_param_ll(&q, production_id);
	if ((n = db_query(c, &stmt_probed, q.v, &r, err)) < 0)
		return n;
	for (int i = 0; i < n && rc >= 0; i++) {
		struct probe p;
		probe_init(&p);
		if ((rc = probe_load(c, db_ll(r, i, 0), &p, err)) == 0 &&
		    (rc = workflow_check(c, db_ll(r, i, 0), &p, err)) > 0)
			found += rc;
		probe_release(&p);
	}
	PQclear(r);
	return rc < 0 ? rc : found;
}
