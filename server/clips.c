/* clips: the clip library. The list filters by day, card, camera, scene, take, state, circled
 * and free text, sorts, and pages with an opaque cursor (keyset, so it is stable while clips are
 * added); a clip's detail carries its files, hashes, copies, renditions, deliveries and recent
 * events in one response; PATCH changes what people on set change. */
#include "cache.h"
#include "cursor.h"
#include "http.h"
#include "lib/pipeline/pipeline.h"
#include "lib/media/cdl_json.h"
#include "lib/store/event.h"
#include "lib/core/json.h"
#include "lib/custody/register.h"
#include "lib/store/params.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLIP_JSON \
	"json_build_object('id', c.id, 'name', c.name, 'state', c.state, 'state_reason'," \
	" c.state_reason, 'scene', c.scene, 'take', c.take, 'circled', c.circled, 'notes', c.notes," \
	" 'camera', coalesce(c.camera, k.camera), 'reel', c.reel, 'start_tc', c.start_tc," \
	" 'fps', CASE WHEN c.fps_num IS NULL THEN NULL ELSE c.fps_num || '/' || c.fps_den END," \
	" 'duration_frames', c.duration_frames, 'width', c.width, 'height', c.height, 'codec', c.codec," \
	" 'look', c.look, 'card_id', k.id, 'card', k.label, 'day_id', k.day_id," \
	" 'shoot_date', d.shoot_date, 'created_at', c.created_at, 'updated_at', c.updated_at," \
	" 'copies', (SELECT coalesce(min(n), 0) FROM (SELECT count(DISTINCT cp.volume_id) n" \
	"   FROM files f LEFT JOIN copies cp ON cp.file_id = f.id AND cp.state = 'verified'" \
	"   WHERE f.clip_id = c.id GROUP BY f.id) m)," \
	" 'poster', (SELECT '/api/v1/clips/' || c.id || '/thumbnails/0.jpg' FROM clip_thumbnails t" \
	"   WHERE t.clip_id = c.id AND t.n = 0)," \
	" 'qc_flags', (SELECT count(*) FROM qc_flags q WHERE q.clip_id = c.id)," \
	" 'qc_open', (SELECT count(*) FROM qc_flags q WHERE q.clip_id = c.id" \
	"   AND q.disposition = 'open')," \
	" 'media_status', (SELECT m.status FROM clip_media m WHERE m.clip_id = c.id)," \
	" 'vendor_tool', (SELECT m.vendor_tool FROM clip_media m WHERE m.clip_id = c.id)," \
	" 'qc_worst', (SELECT q.severity FROM qc_flags q WHERE q.clip_id = c.id ORDER BY" \
	"   CASE q.severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END LIMIT 1)," \
	" 'proxy', (SELECT r.state FROM renditions r WHERE r.clip_id = c.id" \
	"   ORDER BY r.state = 'done' DESC, r.id DESC LIMIT 1)," \
	" 'delivery_sent', (SELECT coalesce(sum(dl.bytes_sent), 0) FROM renditions r JOIN deliveries dl" \
	"   ON dl.rendition_id = r.id WHERE r.clip_id = c.id)," \
	" 'delivery_total', (SELECT coalesce(sum(coalesce(dl.bytes_total, r.size, 0)), 0)" \
	"   FROM renditions r JOIN deliveries dl ON dl.rendition_id = r.id WHERE r.clip_id = c.id))"

#define CLIP_FROM \
	" FROM clips c JOIN cards k ON k.id = c.card_id JOIN days d ON d.id = k.day_id" \
	" WHERE ($1::bigint IS NULL OR k.day_id = $1) AND ($2::bigint IS NULL OR k.id = $2)" \
	" AND ($3::text IS NULL OR coalesce(c.camera, k.camera) = $3) AND ($4::text IS NULL OR c.scene = $4)" \
	" AND ($5::text IS NULL OR c.take = $5) AND ($6::text IS NULL OR c.state = $6)" \
	" AND ($7::bool IS NULL OR c.circled = $7)" \
	" AND ($8::text IS NULL OR c.name ILIKE $8 OR c.scene ILIKE $8 OR c.notes ILIKE $8" \
	"  OR k.label ILIKE $8) AND ($13::bigint = 0 OR d.production_id = $13)"

/* One statement per sort order; $9.. are the cursor's values, $12 the page size, $13 the
 * production the caller is confined to (0: all, server/scope.c), $14 true for an admin: only
 * admins read host paths (a state reason naming a file; migration 0062). */
struct clips_sort {
	const char *name;
	struct db_stmt stmt;
	int nkeys;
};

#define SORT(nm, keys, cmp, order, n) { nm, { "clips_list_" nm, \
	"SELECT CASE WHEN $14::bool THEN " CLIP_JSON "::text ELSE setpost_redact_paths(" CLIP_JSON \
	"::text) END, " keys CLIP_FROM " AND ($9::text IS NULL OR " cmp ")" \
	" AND ($11::bigint IS NULL OR true)" \
	" ORDER BY " order " LIMIT $12", 14 }, n }

static const struct clips_sort clips_sorts[] = {
	SORT("name", "c.name, c.id::text, NULL",
	    "(c.name, c.id) > ($9, $10::bigint)", "c.name, c.id", 2),
	SORT("-name", "c.name, c.id::text, NULL",
	    "(c.name, c.id) < ($9, $10::bigint)", "c.name DESC, c.id DESC", 2),
	SORT("created", "c.created_at::text, c.id::text, NULL",
	    "(c.created_at, c.id) > ($9::timestamptz, $10::bigint)", "c.created_at, c.id", 2),
	SORT("-created", "c.created_at::text, c.id::text, NULL",
	    "(c.created_at, c.id) < ($9::timestamptz, $10::bigint)", "c.created_at DESC, c.id DESC", 2),
	SORT("scene", "coalesce(c.scene, ''), coalesce(c.take, ''), c.id::text",
	    "(coalesce(c.scene, ''), coalesce(c.take, ''), c.id) > ($9, $10, $11::bigint)",
	    "coalesce(c.scene, ''), coalesce(c.take, ''), c.id", 3),
};

static const struct clips_sort *
clips_sort_find(const char *name)
{
	for (size_t i = 0; i < sizeof(clips_sorts) / sizeof(clips_sorts[0]); i++)
		if (strcmp(clips_sorts[i].name, name) == 0)
			return &clips_sorts[i];
	return NULL;
}

struct clips_query {
	const char *p[14];
	char like[300], limit[8], scope[24], vals[CURSOR_MAX_KEYS][CURSOR_VAL_MAX];
	const struct clips_sort *sort;
};

static bool
clips_check_id(struct request *req, const char *name, const char *v)
{
	char *end;

	if (v == NULL || (strtoll(v, &end, 10) > 0 && *end == '\0'))
		return true;
	reply_error(req, 400, "invalid", "%s: expected an id", name);
	return false;
}

/* Reads the query string; replies 400 itself on bad input. */
static bool
clips_query_read(struct request *req, struct clips_query *q)
{
	static const char *const states[] = { "registered", "secured", "proxied", "delivered",
		"copy_failed", "qc_hold", "transcode_failed", "upload_failed", "media_error" };
	const char *state = request_query(req, "state"), *circ = request_query(req, "circled");
	const char *text = request_query(req, "q"), *lim = request_query(req, "limit");
	const char *sort = request_query(req, "sort"), *cursor = request_query(req, "cursor");
	struct err err;
	long n = 50;
	char *end;

	memset(q, 0, sizeof(*q));
	if (!clips_check_id(req, "day_id", request_query(req, "day_id")) ||
	    !clips_check_id(req, "card_id", request_query(req, "card_id")))
		return false;
	q->p[0] = request_query(req, "day_id");
	q->p[1] = request_query(req, "card_id");
	q->p[2] = request_query(req, "camera");
	q->p[3] = request_query(req, "scene");
	q->p[4] = request_query(req, "take");
	if (state) {
		size_t i = 0;
		while (i < sizeof(states) / sizeof(states[0]) && strcmp(states[i], state) != 0)
			i++;
		if (i == sizeof(states) / sizeof(states[0]))
			return reply_error(req, 400, "invalid", "state: not a clip state"), false;
		q->p[5] = state;
	}
	if (circ && strcmp(circ, "true") && strcmp(circ, "false"))
		return reply_error(req, 400, "invalid", "circled: expected true or false"), false;
	q->p[6] = circ;
	if (text) {
		size_t o = 0;
		if (strlen(text) > 100)
			return reply_error(req, 400, "invalid", "q: at most 100 characters"), false;
		q->like[o++] = '%';
		for (const char *s = text; *s; s++) {
			if (*s == '%' || *s == '_' || *s == '\\')
				q->like[o++] = '\\';
			q->like[o++] = *s;
		}
		q->like[o++] = '%';
		q->p[7] = q->like;
	}
	if (lim && ((n = strtol(lim, &end, 10)) < 1 || n > 500 || *end))
		return reply_error(req, 400, "invalid", "limit: expected 1 to 500"), false;
	snprintf(q->limit, sizeof(q->limit), "%ld", n);
	q->p[11] = q->limit;
	request_scope_param(req, q->scope);
	q->p[12] = q->scope;
	q->p[13] = req->who.role == ROLE_ADMIN ? "true" : "false";
	if ((q->sort = clips_sort_find(sort ? sort : "name")) == NULL)
		return reply_error(req, 400, "invalid", "sort: expected name, -name, created, -created "
		    "or scene"), false;
	if (cursor) {
		if (cursor_read("cursor", cursor, q->sort->name, q->sort->nkeys, q->vals, &err) < 0)
			return reply_err(req, &err), false;
		for (int k = 0; k < q->sort->nkeys; k++)
			q->p[8 + k] = q->vals[k];
	}
	return true;
}

/* The cache key of a page: the sort and every parameter as read (unset ones marked apart
 * from empty ones), so spellings of the same question share one entry. */
static void
clips_query_key(const struct clips_query *q, struct buf *key)
{
	buf_appends(key, "clips\x1f");
	buf_appends(key, q->sort->name);
	for (int i = 0; i < 14; i++) {
		buf_appends(key, q->p[i] ? "\x1f=" : "\x1f-");
		buf_appends(key, q->p[i] ? q->p[i] : "");
	}
}

/* The list and a clip's detail are read from the tables migration 0013 watches (clips, cards,
 * days, files, copies, hashes, renditions, deliveries, targets, QC, media, events...): any
 * table added to what they show must be watched there too, or the cache would hide its
 * changes. */
enum MHD_Result
clips_list(struct request *req)
{
	struct clips_query q;
	struct err err;
	struct buf out = BUF_INIT(0), key = BUF_INIT(0);
	struct cache *cache = req->srv->cache;
	unsigned long gen = 0;
	PGresult *r;
	enum MHD_Result res;
	int n;

	if (!clips_query_read(req, &q))
		return MHD_YES;
	clips_query_key(&q, &key);
	if (key.data && cache_page_reply(cache, req, key.data, &gen, &res)) {
		buf_release(&key);
		return res;
	}
	if ((n = db_exec(req->srv->db, &q.sort->stmt, q.p, &r, &err)) < 0) {
		buf_release(&key);
		return reply_err(req, &err);
	}
	/* The rows are JSON already: join them rather than parse and print them again. */
	buf_appends(&out, "{\"items\":[");
	for (int i = 0; i < n; i++) {
		buf_appends(&out, i ? "," : "");
		buf_appends(&out, PQgetvalue(r, i, 0));
	}
	buf_appends(&out, "]");
	if (n == (int)strtol(q.limit, NULL, 10)) {
		const char *keys[CURSOR_MAX_KEYS];
		char *cur;
		for (int k = 0; k < q.sort->nkeys; k++)
			keys[k] = PQgetvalue(r, n - 1, 1 + k);
		cur = cursor_make(q.sort->name, keys, q.sort->nkeys);
		buf_appendf(&out, ",\"next_cursor\":\"%s\"", cur ? cur : "");
		free(cur);
	}
	buf_appends(&out, "}");
	PQclear(r);
	res = key.data && out.data ? cache_page_store_reply(cache, req, key.data, gen, out.data, out.len) :
	    reply_error(req, 500, "internal", "out of memory");
	buf_release(&out);
	buf_release(&key);
	return res;
}

static const struct db_stmt stmt_detail = { "clips_detail",
	"SELECT setpost_redact_paths((" CLIP_JSON "::jsonb || jsonb_build_object("
	" 'metadata', c.metadata,"
	" 'recorded_at', to_char(c.recorded_at, 'YYYY-MM-DD\"T\"HH24:MI:SS'),"
	" 'recorded_at_source', c.recorded_at_source,"
	" 'camera_proxy', (SELECT jsonb_build_object('file_id', f.id, 'path', f.rel_path, 'name',"
	"   regexp_replace(f.rel_path, '^.*/', ''), 'dailies_source', EXISTS (SELECT 1 FROM"
	"   renditions r WHERE r.clip_id = c.id AND r.source = 'camera_proxy'))"
	"   FROM files f WHERE f.id = c.camera_proxy_file_id),"
	" 'camera_metadata', (SELECT jsonb_strip_nulls(jsonb_build_object('camera_make',"
	"   m.camera_make, 'camera_model', m.camera_model, 'camera_serial', m.camera_serial,"
	"   'lens', m.lens)) || m.camera_settings FROM clip_media m WHERE m.clip_id = c.id),"
	" 'sound', (SELECT jsonb_build_object('clip_id', s.sound_clip_id, 'name', sc.name,"
	"   'offset_frames', s.offset_frames, 'method', s.method) FROM clip_sound s"
	"   LEFT JOIN clips sc ON sc.id = s.sound_clip_id WHERE s.clip_id = c.id),"
	" 'qc', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', q.id, 'kind', q.kind, 'code',"
	"   q.code, 'severity', q.severity,"
	"   'start_frame', q.start_frame, 'end_frame', q.end_frame, 'start_tc', q.start_tc, 'end_tc',"
	"   q.end_tc, 'channel', q.channel, 'message', q.message, 'disposition', q.disposition,"
	"   'note', q.note, 'disposed_by', q.disposed_by, 'disposed_at', q.disposed_at)"
	"   ORDER BY q.start_frame), '[]')"
	"   FROM qc_flags q WHERE q.clip_id = c.id),"
	" 'files', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', f.id, 'path', f.rel_path,"
	"   'size', f.size, 'mtime', f.mtime, 'role', f.role,"
	"   'hashes', (SELECT coalesce(jsonb_object_agg(h.algorithm, h.value), '{}') FROM hashes h"
	"    WHERE h.file_id = f.id),"
	"   'copies', (SELECT coalesce(jsonb_agg(jsonb_build_object('volume', v.name, 'volume_id', v.id,"
	"    'state', cp.state, 'verified_at', cp.verified_at) || CASE WHEN $2::bool THEN"
	"    jsonb_build_object('path', cp.rel_path, 'error', cp.error) ELSE '{}'::jsonb END"
	"    ORDER BY v.name), '[]') FROM copies cp JOIN volumes v ON v.id = cp.volume_id"
	"    WHERE cp.file_id = f.id)) ORDER BY f.rel_path), '[]') FROM files f WHERE f.clip_id = c.id),"
	" 'renditions', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', r.id, 'profile', r.profile,"
	"   'state', r.state, 'rel_path', r.rel_path, 'size', r.size, 'xxh64', r.xxh64, 'error', r.error,"
	"   'finished_at', r.finished_at, 'version', r.version, 'stale', r.stale_at IS NOT NULL,"
	"   'source', r.source, 'superseded_by', r.superseded_by, 'url', CASE WHEN r.state = 'done'"
	"   THEN '/api/v1/renditions/' || r.id || '/file' END) ORDER BY r.profile, r.version DESC),"
	"   '[]') FROM renditions r"
	"   WHERE r.clip_id = c.id),"
	" 'deliveries', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', dl.id, 'target', t.name,"
	"   'state', dl.state, 'bytes_sent', dl.bytes_sent, 'bytes_total', dl.bytes_total,"
	"   'error', dl.error, 'rendition_id', dl.rendition_id) ORDER BY dl.id), '[]')"
	"   FROM deliveries dl JOIN targets t ON t.id = dl.target_id JOIN renditions r"
	"   ON r.id = dl.rendition_id WHERE r.clip_id = c.id),"
	" 'events', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', e.id, 'at', e.at, 'actor',"
	"   e.actor, 'kind', e.kind, 'data', e.data) ORDER BY e.id DESC), '[]') FROM (SELECT * FROM"
	"   events e WHERE e.subject_type = 'clip' AND e.subject_id = c.id ORDER BY e.id DESC"
	"   LIMIT 50) e)))::text, NOT $2::bool)"
	" FROM clips c JOIN cards k ON k.id = c.card_id JOIN days d ON d.id = k.day_id"
	" WHERE c.id = $1", 2 };

/* A clip's detail, from the cache when it holds a current copy. After a write (PATCH) the
 * cache is not asked, as it is emptied only when the handler returns; what is read then is
 * stored under the generation before the write, which that emptying makes stale. */
static enum MHD_Result
clips_reply_one(struct request *req, long long id, bool after_write)
{
	struct cache *cache = req->srv->cache;
	unsigned long gen = 0;
	char key[48];
	struct db_params q = { 0 };
	struct err err;
	PGresult *r;
	enum MHD_Result res;
	int n;

	/* Only admins see where copies lie on their volumes (see server/files.c): two pages. */
	snprintf(key, sizeof(key), "clip\x1f%lld\x1f%c", id, req->who.role == ROLE_ADMIN ? 'a' : 'o');
	if (after_write)
		gen = cache_page_gen(cache);
	else if (cache_page_reply(cache, req, key, &gen, &res))
		return res;
	db_param_ll(&q, id);
	db_param_str(&q, req->who.role == ROLE_ADMIN ? "true" : "false");
	if ((n = db_exec(req->srv->db, &stmt_detail, q.v, &r, &err)) < 0)
		return reply_err(req, &err);
	if (n == 0) {
		PQclear(r);
		return reply_error(req, 404, "not_found", "clip %lld not found", id);
	}
	res = cache_page_store_reply(cache, req, key, gen, PQgetvalue(r, 0, 0),
	    strlen(PQgetvalue(r, 0, 0)));
	PQclear(r);
	return res;
}

enum MHD_Result
clips_get(struct request *req)
{
	long long id;

	if (!request_param_id(req, 0, &id))
		return MHD_YES;
	return clips_reply_one(req, id, false);
}

/* --- PATCH --------------------------------------------------------------------------------- */

static const struct db_stmt stmt_old = { "clips_patch_old",
	"SELECT scene, take, circled::text, notes, look::text FROM clips WHERE id = $1 FOR UPDATE", 1 };
static const struct db_stmt stmt_patch = { "clips_patch",
	"UPDATE clips SET scene = CASE WHEN $2::bool THEN $3 ELSE scene END,"
	" take = CASE WHEN $4::bool THEN $5 ELSE take END,"
	" circled = CASE WHEN $6::bool THEN $7::bool ELSE circled END,"
	" notes = CASE WHEN $8::bool THEN $9 ELSE notes END,"
	" look = CASE WHEN $10::bool THEN $11::jsonb ELSE look END, updated_at = now()"
	" WHERE id = $1", 11 };

static const char *const clips_fields[] = { "scene", "take", "circled", "notes", "look", NULL };

/* A look is an ASC CDL (lib/cdl_json): the same reader as the scene defaults'. */
static int
clips_check_look(json_t *look, struct err *err)
{
	struct cdl cdl;

	return json_is_null(look) ? 0 : cdl_from_json(look, "look", false, &cdl, err);
}

static int
clips_check_patch(json_t *j, struct err *err)
{
	const char *s;
	bool b;
	int rc;

	if (json_object_size(j) == 0)
		return err_set(err, SP_EINVAL, "nothing to change: send scene, take, circled, notes or look");
	if ((!json_is_null(json_object_get(j, "scene")) &&
	    (rc = json_get_string(j, "scene", false, CLIP_LABEL_MAX, &s, err)) < 0) ||
	    (!json_is_null(json_object_get(j, "take")) &&
	    (rc = json_get_string(j, "take", false, CLIP_LABEL_MAX, &s, err)) < 0) ||
	    (rc = json_get_bool(j, "circled", false, &b, err)) < 0 ||
	    (rc = json_get_string(j, "notes", false, 4000, &s, err)) < 0)
		return SP_EINVAL;
	if (json_object_get(j, "look"))
		return clips_check_look(json_object_get(j, "look"), err);
	return 0;
}

struct clips_patch_arg {
	long long id;
	json_t *in;
	const char *actor;
};

/* The changes as {field: {from, to}} for the event. */
static json_t *
clips_changes(const PGresult *old, json_t *in)
{
	json_t *ch = json_object();

	for (int i = 0; clips_fields[i]; i++) {
		json_t *to = json_object_get(in, clips_fields[i]);
		const char *from = db_val(old, 0, i);
		json_t *fj;
		if (to == NULL)
			continue;
		if (i == 2)
			fj = json_boolean(from && from[0] == 't');
		else if (i == 4)
			fj = from ? json_loads(from, 0, NULL) : json_null();
		else
			fj = from ? json_string(from) : json_null();
		if (json_equal(fj, to)) {      /* sent, but not a change: not recorded as one */
			json_decref(fj);
			continue;
		}
		json_object_set_new(ch, clips_fields[i], json_pack("{s:o,s:O}", "from", fj, "to", to));
	}
	return ch;
}

static int
clips_patch_tx(struct db_conn *c, void *arg, struct err *err)
{
	struct clips_patch_arg *a = arg;
	struct db_params num = { 0 };
	char *look = NULL;
	const char *p[11];
	json_t *in = a->in, *changes;
	PGresult *old;
	int rc;

	db_param_ll(&num, a->id);
	p[0] = num.v[0];
	if ((rc = db_query(c, &stmt_old, p, &old, err)) < 0)
		return rc;
	if (rc == 0) {
		PQclear(old);
		return err_set(err, SP_ENOTFOUND, "clip %lld not found", a->id);
	}
	for (int i = 0; clips_fields[i]; i++) {
		json_t *v = json_object_get(in, clips_fields[i]);
		p[1 + 2 * i] = v ? "true" : "false";
		p[2 + 2 * i] = v == NULL || json_is_null(v) ? NULL : json_is_boolean(v) ?
		    (json_is_true(v) ? "true" : "false") : json_string_value(v);
	}
	if (json_object_get(in, "look") && !json_is_null(json_object_get(in, "look")))
		p[10] = look = json_dumps(json_object_get(in, "look"), JSON_COMPACT);
	if (json_object_get(in, "notes") == NULL)
		p[8] = NULL;
	changes = clips_changes(old, in);
	PQclear(old);
	/* Nothing differs from what is stored: no write, no event, updated_at kept. */
	rc = json_object_size(changes) ? db_query(c, &stmt_patch, p, NULL, err) : 0;
	free(look);
	if (rc >= 0 && json_object_size(changes)) {
		bool look_changed = json_object_get(changes, "look") != NULL;
		json_t *data = json_pack("{s:o}", "changes", changes);
		rc = event_record(c, a->actor, "clip.updated", "clip", a->id, data, NULL, err);
		json_decref(data);
		/* Its proxies show the old look now: stale, and made again (lib/pipeline). */
		if (rc == 0 && look_changed) {
			struct pipeline_look_scope s = { .clip_id = a->id };
			rc = pipeline_look_changed(c, &s, a->actor, err);
		}
	} else {
		json_decref(changes);
	}
	return rc < 0 ? rc : 0;
}

enum MHD_Result
clips_patch(struct request *req)
{
	struct clips_patch_arg a;
	struct err err;

	if (!request_param_id(req, 0, &a.id) || !request_json(req, clips_fields))
		return MHD_YES;
	if (clips_check_patch(req->json, &err) < 0)
		return reply_err(req, &err);
	a.in = req->json;
	a.actor = req->who.name;
	if (db_tx(req->srv->db, clips_patch_tx, &a, &err) < 0)
		return reply_err(req, &err);
	return clips_reply_one(req, a.id, true);
}
