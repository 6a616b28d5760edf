/* register: an offload into the database, checked whole, written in one transaction
 * (see register.h). */
#include "lib/custody/register.h"
#include "lib/custody/verification.h"
#include "lib/custody/confine.h"
#include "lib/custody/copy_policy.h"
#include "lib/pipeline/clipstate.h"
#include "lib/store/event.h"
#include "lib/core/json.h"
#include "lib/pipeline/pipeline.h"
#include "lib/store/params.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const register_algos[] = { "xxh64", "xxh3", "xxh128", "md5", "sha1", "c4",
	NULL };

/* --- validation: every message names the field ----------------------------------------- */

static int
register_hashes(json_t *h, const char *where, struct err *err)
{
	const char *algo;
	json_t *v;

	if (!json_is_object(h) || json_object_size(h) == 0)
		return err_set(err, SP_EINVAL, "%s.hashes: expected an object of algorithm: value", where);
	if (json_only_fields(h, register_algos, err) < 0)
		return err_prefix(err, "%s.hashes.", where);
	json_object_foreach(h, algo, v) {
		const char *s = json_string_value(v);
		size_t n = s ? strlen(s) : 0;
		bool c4 = strcmp(algo, "c4") == 0;
		if (n < 8 || n > 128 || (!c4 && strspn(s, "0123456789abcdef") != n) ||
		    (c4 && strncmp(s, "c4", 2) != 0))
			return err_set(err, SP_EINVAL, "%s.hashes.%s: expected %s", where, algo,
			    c4 ? "a c4 id" : "lower-case hex");
	}
	return 0;
}

static bool
register_path_ok(const char *p)
{
	if (p == NULL || *p == '\0' || *p == '/' || strstr(p, "//") || strchr(p, '\\'))
		return false;
	for (const char *s = p; s; s = strchr(s, '/')) {
		if (*s == '/')
			s++;
		if (strncmp(s, "..", 2) == 0 && (s[2] == '/' || s[2] == '\0'))
			return false;
		if (s[0] == '.' && (s[1] == '/' || s[1] == '\0'))
			return false;
	}
	return true;
}

static int
register_check_file(json_t *f, size_t i, struct err *err)
{
	static const char *const fields[] = { "path", "size", "mtime", "role", "clip", "hashes",
		"camera_proxy", NULL };
	static const char *const roles[] = { "media", "segment", "sidecar", "index", "other", NULL };
	char where[32];
	const char *s;
	long long size;
	bool proxy = false;
	int rc;

	snprintf(where, sizeof(where), "files[%zu]", i);
	if (!json_is_object(f))
		return err_set(err, SP_EINVAL, "%s: expected an object", where);
	if ((rc = json_only_fields(f, fields, err)) < 0 ||
	    (rc = json_get_string(f, "path", true, 4096, &s, err)) < 0 ||
	    (rc = json_get_int(f, "size", true, 0, INT64_MAX, &size, err)) < 0)
		return err_prefix(err, "%s.", where);
	if (!register_path_ok(s))
		return err_set(err, SP_EINVAL, "%s.path: expected a relative path without '.' or '..' "
		    "parts", where);
	if ((rc = json_get_string(f, "role", false, 16, &s, err)) < 0)
		return err_prefix(err, "%s.", where);
	if (rc == 0) {
		const char *const *r = roles;
		while (*r && strcmp(*r, s) != 0)
			r++;
		if (*r == NULL)
			return err_set(err, SP_EINVAL, "%s.role: expected media, segment, sidecar, index "
			    "or other", where);
	}
	if (json_get_string(f, "mtime", false, 40, &s, err) < 0 ||
	    json_get_string(f, "clip", false, 255, &s, err) < 0 ||
	    json_get_bool(f, "camera_proxy", false, &proxy, err) < 0)
		return err_prefix(err, "%s.", where);
	s = json_string_value(json_object_get(f, "role"));
	if (proxy && (json_object_get(f, "clip") == NULL || s == NULL || strcmp(s, "sidecar") != 0))
		return err_set(err, SP_EINVAL, "%s.camera_proxy: only a sidecar file of a clip is its "
		    "camera proxy", where);
	/* A file the offload could not read is still a file of the card: registered without
	 * hashes, it has no verified copy, so the card is not safe to format. */
	if (json_object_get(f, "hashes") == NULL)
		return 0;
	return register_hashes(json_object_get(f, "hashes"), where, err);
}

/* "YYYY-MM-DDThh:mm:ss" and a real date and time. */
static bool
register_wall_clock_ok(const char *s)
{
	struct tm tm = { 0 };
	const char *end = strlen(s) == 19 ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;

	return end && *end == '\0' && tm.tm_year >= 70;
}

static int
register_check_clip(json_t *c, size_t i, struct err *err)
{
	static const char *const fields[] = { "name", "scene", "take", "circled", "camera", "reel",
		"start_tc", "fps_num", "fps_den", "duration_frames", "width", "height", "codec",
		"metadata", "notes", "recorded_at", NULL };
	static const char *const strings[] = { "scene", "take", "camera", "reel", "start_tc",
		"codec", NULL };
	const char *s;
	long long v;
	bool b;

	if (!json_is_object(c))
		return err_set(err, SP_EINVAL, "clips[%zu]: expected an object", i);
	if (json_only_fields(c, fields, err) < 0 || json_get_string(c, "name", true, 255, &s, err) < 0 ||
	    json_get_bool(c, "circled", false, &b, err) < 0 ||
	    json_get_string(c, "notes", false, 4000, &s, err) < 0 ||
	    json_get_int(c, "fps_num", false, 1, 1000000, &v, err) < 0 ||
	    json_get_int(c, "fps_den", false, 1, 1000000, &v, err) < 0 ||
	    json_get_int(c, "duration_frames", false, 0, INT64_MAX, &v, err) < 0 ||
	    json_get_int(c, "width", false, 1, 100000, &v, err) < 0 ||
	    json_get_int(c, "height", false, 1, 100000, &v, err) < 0)
		return err_prefix(err, "clips[%zu].", i);
	for (const char *const *f = strings; *f; f++)
		if (json_get_string(c, *f, false, CLIP_LABEL_MAX, &s, err) < 0)
			return err_prefix(err, "clips[%zu].", i);
	if (json_object_get(c, "metadata") && !json_is_object(json_object_get(c, "metadata")))
		return err_set(err, SP_EINVAL, "clips[%zu].metadata: expected an object", i);
	if (json_get_string(c, "recorded_at", false, 19, &s, err) < 0)
		return err_prefix(err, "clips[%zu].", i);
	if (json_object_get(c, "recorded_at") && !register_wall_clock_ok(s))
		return err_set(err, SP_EINVAL, "clips[%zu].recorded_at: expected the recording "
		    "device's clock as YYYY-MM-DDThh:mm:ss (no zone)", i);
	return 0;
}

static int
register_check_copy(json_t *cp, size_t i, struct err *err)
{
	static const char *const fields[] = { "volume", "path", "files", NULL };
	static const char *const vfields[] = { "key", "name", "kind", "host", "mount_path",
		"device_id", NULL };
	static const char *const ffields[] = { "path", "state", "verified_at", "hashes", "error",
		NULL };
	json_t *vol = json_object_get(cp, "volume"), *files = json_object_get(cp, "files"), *f;
	const char *s, *t;
	size_t k;

	if (!json_is_object(cp) || json_only_fields(cp, fields, err) < 0)
		return json_is_object(cp) ? err_prefix(err, "copies[%zu].", i) :
		    err_set(err, SP_EINVAL, "copies[%zu]: expected an object", i);
	if (!json_is_object(vol) || json_only_fields(vol, vfields, err) < 0 ||
	    json_get_string(vol, "key", true, 200, &s, err) < 0 ||
	    json_get_string(vol, "name", true, 200, &s, err) < 0 ||
	    json_get_string(vol, "host", false, 200, &s, err) < 0 ||
	    json_get_string(vol, "mount_path", false, 4096, &s, err) < 0)
		return json_is_object(vol) ? err_prefix(err, "copies[%zu].volume.", i) :
		    err_set(err, SP_EINVAL, "copies[%zu].volume: expected an object", i);
	if (json_get_string(cp, "path", false, 4096, &s, err) < 0)
		return err_prefix(err, "copies[%zu].", i);
	if (json_get_string(cp, "path", false, 4096, &s, err) == 0 && *s && !register_path_ok(s))
		return err_set(err, SP_EINVAL, "copies[%zu].path: expected a relative path without "
		    "'.' or '..' parts", i);
	if (!json_is_array(files))
		return err_set(err, SP_EINVAL, "copies[%zu].files: expected an array", i);
	json_array_foreach(files, k, f) {
		if (!json_is_object(f) || json_only_fields(f, ffields, err) < 0 ||
		    json_get_string(f, "path", true, 4096, &s, err) < 0 ||
		    json_get_string(f, "state", true, 16, &s, err) < 0)
			return err_prefix(err, "copies[%zu].files[%zu].", i, k);
		if (json_get_string(f, "verified_at", false, 40, &t, err) < 0)
			return err_prefix(err, "copies[%zu].files[%zu].", i, k);
		if (json_get_string(f, "verified_at", false, 40, &t, err) == 0 &&
		    !verification_time_ok(t))
			return err_set(err, SP_EINVAL, "copies[%zu].files[%zu].verified_at: expected a "
			    "UTC time as YYYY-MM-DDThh:mm:ssZ", i, k);
		if (strcmp(s, "verified") && strcmp(s, "failed"))
			return err_set(err, SP_EINVAL, "copies[%zu].files[%zu].state: expected verified "
			    "or failed", i, k);
		if (strcmp(s, "verified") == 0 &&
		    register_hashes(json_object_get(f, "hashes"), "copy file", err) < 0)
			return err_prefix(err, "copies[%zu].files[%zu]: ", i, k);
	}
	return 0;
}

static int
register_check_card(json_t *card, struct err *err)
{
	static const char *const fields[] = { "label", "camera", "kind", "vendor", "reel", NULL };
	const char *s;

	if (!json_is_object(card))
		return err_set(err, SP_EINVAL, "card: required, an object with a label");
	if (json_only_fields(card, fields, err) < 0 ||
	    json_get_string(card, "label", true, 64, &s, err) < 0 ||
	    json_get_string(card, "camera", false, 8, &s, err) < 0 ||
	    json_get_string(card, "vendor", false, 32, &s, err) < 0 ||
	    json_get_string(card, "reel", false, 64, &s, err) < 0)
		return err_prefix(err, "card.");
	if (*json_string_value(json_object_get(card, "label")) == '\0')
		return err_set(err, SP_EINVAL, "card.label: must not be empty");
	if (json_get_string(card, "kind", false, 8, &s, err) == 0 && strcmp(s, "camera") &&
	    strcmp(s, "sound"))
		return err_set(err, SP_EINVAL, "card.kind: expected camera or sound");
	return 0;
}

static int
register_check(json_t *doc, struct err *err)
{
	static const char *const fields[] = { "production", "day", "card", "clips", "files",
		"copies", "complete", NULL };
	json_t *files = json_object_get(doc, "files"), *v;
	const char *s;
	size_t i;
	bool b;
	int rc;

	if ((rc = json_only_fields(doc, fields, err)) < 0 ||
	    (rc = json_get_bool(doc, "complete", false, &b, err)) < 0 ||
	    (rc = json_get_string(doc, "production", false, 200, &s, err)) < 0 ||
	    (rc = json_get_string(doc, "day", false, 10, &s, err)) < 0 ||
	    (rc = register_check_card(json_object_get(doc, "card"), err)) < 0)
		return rc;
	if (json_get_string(doc, "day", false, 10, &s, err) == 0) {
		struct tm tm;
		const char *end = strptime(s, "%Y-%m-%d", &tm);
		if (end == NULL || *end)
			return err_set(err, SP_EINVAL, "day: expected a date as YYYY-MM-DD");
	}
	if (!json_is_array(files) || json_array_size(files) == 0)
		return err_set(err, SP_EINVAL, "files: expected a non-empty array");
	json_array_foreach(files, i, v)
		if ((rc = register_check_file(v, i, err)) < 0)
			return rc;
	json_array_foreach(json_object_get(doc, "clips"), i, v)
		if ((rc = register_check_clip(v, i, err)) < 0)
			return rc;
	json_array_foreach(json_object_get(doc, "copies"), i, v)
		if ((rc = register_check_copy(v, i, err)) < 0)
			return rc;
	if (json_object_get(doc, "clips") && !json_is_array(json_object_get(doc, "clips")))
		return err_set(err, SP_EINVAL, "clips: expected an array");
	if (json_object_get(doc, "copies") && !json_is_array(json_object_get(doc, "copies")))
		return err_set(err, SP_EINVAL, "copies: expected an array");
	return 0;
}

/* --- writing ---------------------------------------------------------------------------- */

static const struct db_stmt stmt_production = { "register_production",
	"INSERT INTO productions (name) VALUES ($1) ON CONFLICT (name) DO UPDATE SET name ="
	" EXCLUDED.name RETURNING id", 1 };
static const struct db_stmt stmt_day = { "register_day",
	"INSERT INTO days (production_id, shoot_date) VALUES ($1, coalesce($2::date, current_date))"
	" ON CONFLICT (production_id, shoot_date) DO UPDATE SET shoot_date = EXCLUDED.shoot_date"
	" RETURNING id", 2 };
/* A row that exists is updated, and only a missing one inserted (ON CONFLICT only for a
 * concurrent twin): a card registered clip by clip, then whole, uses no id twice. */
#define REGISTER_UPSERT(table, key, set, cols, vals, conflict, excluded) \
	"WITH old AS (SELECT id FROM " table " WHERE " key "),"                                   \
	" upd AS (UPDATE " table " t SET " set " FROM old WHERE t.id = old.id RETURNING t.*),"     \
	" ins AS (INSERT INTO " table " (" cols ") SELECT " vals " WHERE NOT EXISTS"              \
	"  (SELECT 1 FROM old) ON CONFLICT (" conflict ") DO UPDATE SET " excluded                \
	"  RETURNING " table ".*)"

/* $7: the document is a part ("complete": false): a new card is offloading until its whole
 * registration; a part never reopens a card already registered whole (migration 0068). */
static const struct db_stmt stmt_card = { "register_card",
	REGISTER_UPSERT("cards", "day_id = $1 AND label = $2::text",
	"camera = coalesce(t.camera, $3::text), vendor = coalesce(t.vendor, $5::text),"
	" reel = coalesce(t.reel, $6::text), offloading = t.offloading AND $7::bool",
	"day_id, label, camera, kind, vendor, reel, offloading",
	"$1, $2::text, $3::text, coalesce($4::text, 'camera'), $5::text, $6::text, $7::bool",
	"day_id, label", "camera = coalesce(cards.camera, EXCLUDED.camera),"
	" vendor = coalesce(cards.vendor, EXCLUDED.vendor), reel = coalesce(cards.reel, EXCLUDED.reel),"
	" offloading = cards.offloading AND EXCLUDED.offloading")
	" SELECT id FROM upd UNION ALL SELECT id FROM ins", 7 };
static const struct db_stmt stmt_card_offloading = { "register_card_offloading",
	"SELECT offloading FROM cards WHERE id = $1", 1 };
/* What people on set already changed (scene, take, circled, notes) is never overwritten. */
static const struct db_stmt stmt_clip = { "register_clip",
	REGISTER_UPSERT("clips", "card_id = $1 AND name = $2::text",
	"scene = coalesce(t.scene, $3::text), take = coalesce(t.take, $4::text),"
	" camera = coalesce(t.camera, $6::text), reel = coalesce(t.reel, $7::text),"
	" start_tc = coalesce(t.start_tc, $8::text), fps_num = coalesce(t.fps_num, $9::int),"
	" fps_den = coalesce(t.fps_den, $10::int),"
	" metadata = coalesce($15::jsonb, '{}') || t.metadata",
	"card_id, name, scene, take, circled, camera, reel, start_tc, fps_num,"
	" fps_den, duration_frames, width, height, codec, metadata, notes",
	"$1, $2::text, $3::text, $4::text, coalesce($5::bool, false), $6::text, $7::text, $8::text,"
	" $9::int, $10::int, $11::bigint, $12::int, $13::int, $14::text,"
	" coalesce($15::jsonb, '{}'), coalesce($16::text, '')",
	"card_id, name", "scene = coalesce(clips.scene, EXCLUDED.scene),"
	" take = coalesce(clips.take, EXCLUDED.take), camera = coalesce(clips.camera, EXCLUDED.camera),"
	" reel = coalesce(clips.reel, EXCLUDED.reel),"
	" start_tc = coalesce(clips.start_tc, EXCLUDED.start_tc),"
	" fps_num = coalesce(clips.fps_num, EXCLUDED.fps_num),"
	" fps_den = coalesce(clips.fps_den, EXCLUDED.fps_den),"
	" metadata = EXCLUDED.metadata || clips.metadata")
	" SELECT id FROM upd UNION ALL SELECT id FROM ins", 16 };
/* When the clip was recorded, by the device's clock (migration 0071): kept once known. */
static const struct db_stmt stmt_clip_recorded = { "register_clip_recorded",
	"UPDATE clips SET recorded_at = $2::timestamp, recorded_at_source = 'registration'"
	" WHERE id = $1 AND recorded_at IS NULL", 2 };
static const struct db_stmt stmt_file = { "register_file",
	REGISTER_UPSERT("files", "card_id = $1 AND rel_path = $3::text",
	"clip_id = coalesce(t.clip_id, $2::bigint)",
	"card_id, clip_id, rel_path, size, mtime, role",
	"$1, $2::bigint, $3::text, $4::bigint, $5::timestamptz, coalesce($6::text, 'media')",
	"card_id, rel_path", "clip_id = coalesce(files.clip_id, EXCLUDED.clip_id)")
	" SELECT id, size FROM upd UNION ALL SELECT id, size FROM ins", 6 };
static const struct db_stmt stmt_hash = { "register_hash",
	"WITH ins AS (INSERT INTO hashes (file_id, algorithm, value) VALUES ($1, $2, $3)"
	" ON CONFLICT (file_id, algorithm) DO NOTHING RETURNING value)"
	" SELECT value FROM ins UNION ALL SELECT value FROM hashes WHERE file_id = $1 AND"
	" algorithm = $2 AND NOT EXISTS (SELECT 1 FROM ins)", 3 };
/* The clip's camera proxy (migration 0070): the first one named stays. */
static const struct db_stmt stmt_camera_proxy = { "register_camera_proxy",
	"UPDATE clips SET camera_proxy_file_id = $2 WHERE id = $1 AND camera_proxy_file_id IS NULL", 2 };
static const struct db_stmt stmt_file_by_path = { "register_file_by_path",
	"SELECT id FROM files WHERE card_id = $1 AND rel_path = $2", 2 };
static const struct db_stmt stmt_file_hash = { "register_file_hash",
	"SELECT value FROM hashes WHERE file_id = $1 AND algorithm = $2", 2 };
static const struct db_stmt stmt_volume = { "register_volume",
	REGISTER_UPSERT("volumes", "fs_uuid = $3::text", "name = $1::text",
	"name, kind, fs_uuid, device_id", "$1::text, coalesce($2::text, 'disk'), $3::text, $4::text",
	"fs_uuid", "name = EXCLUDED.name")
	" SELECT id FROM upd UNION ALL SELECT id FROM ins", 4 };
static const struct db_stmt stmt_mount = { "register_mount",
	"INSERT INTO volume_mounts (volume_id, host, mount_path) VALUES ($1, $2, $3)"
	" ON CONFLICT (volume_id, host) DO UPDATE SET mount_path = EXCLUDED.mount_path", 3 };
/* The copy itself; its state is what its checks say (lib/custody/verification). */
static const struct db_stmt stmt_copy = { "register_copy",
	REGISTER_UPSERT("copies", "file_id = $1 AND volume_id = $2 AND rel_path = $3::text",
	"rel_path = $3::text", "file_id, volume_id, rel_path", "$1, $2, $3::text",
	"file_id, volume_id, rel_path", "rel_path = EXCLUDED.rel_path")
	" SELECT id FROM upd UNION ALL SELECT id FROM ins", 3 };

/* The card already registered with every hashed file of the document (same path, size and a
 * hash in common): the same card offloaded again. */
static const struct db_stmt stmt_same_card = { "register_same_card",
	"WITH doc AS (SELECT x->>'path' AS path, (x->>'size')::bigint AS size, h.key AS algo,"
	"  h.value #>> '{}' AS value FROM jsonb_array_elements($1::jsonb) x,"
	"  jsonb_each(x->'hashes') h),"
	" want AS (SELECT count(DISTINCT path) AS n FROM doc),"
	" m AS (SELECT f.card_id, count(DISTINCT doc.path) AS n FROM doc JOIN files f"
	"  ON f.rel_path = doc.path AND f.size = doc.size JOIN hashes hs ON hs.file_id = f.id"
	"  AND hs.algorithm = doc.algo AND hs.value = doc.value GROUP BY f.card_id)"
	" SELECT k.id, k.label, d.shoot_date::text, p.name FROM m JOIN cards k ON k.id = m.card_id"
	" JOIN days d ON d.id = k.day_id JOIN productions p ON p.id = d.production_id, want"
	" WHERE want.n > 0 AND m.n = want.n ORDER BY k.id LIMIT 1", 1 };

struct register_ctx {
	json_t *doc;
	const char *actor;
	long long day_id, card_id;
	int nfiles, nclips, ncopies, changed;
	bool was_safe;
	size_t ncopy_docs;
	long long existing;     /* the card was already registered: its id */
	bool part;              /* "complete": false: one part of a card still being offloaded */
	bool parts_before;      /* the card was being registered in parts until this document */
};

static const char *
jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* An optional integer field as the next parameter (SQL NULL when absent). */
static void
jint(struct db_params *q, json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	db_param_ll_if(q, json_is_integer(v), json_integer_value(v));
}

static int
register_id(struct db_conn *c, const struct db_stmt *st, const char *const *p, long long *id,
    struct err *err)
{
	PGresult *r;
	int rc = db_query(c, st, p, &r, err);

	if (rc < 0)
		return rc;
	*id = rc > 0 ? db_ll(r, 0, 0) : 0;
	PQclear(r);
	return 0;
}

static int
register_card(struct db_conn *c, struct register_ctx *x, struct err *err)
{
	json_t *card = json_object_get(x->doc, "card");
	const char *prod = jstr(x->doc, "production");
	long long production;
	int rc;

	const char *pp[1] = { prod ? prod : "Untitled production" };
	if ((rc = register_id(c, &stmt_production, pp, &production, err)) < 0)
		return rc;
	struct db_params qd = { 0 };
	db_param_ll(&qd, production);
	db_param_str(&qd, jstr(x->doc, "day"));
	if ((rc = register_id(c, &stmt_day, qd.v, &x->day_id, err)) < 0)
		return rc;
	struct db_params qc = { 0 };
	db_param_ll(&qc, x->day_id);
	db_param_str(&qc, jstr(card, "label"));
	db_param_str(&qc, jstr(card, "camera"));
	db_param_str(&qc, jstr(card, "kind"));
	db_param_str(&qc, jstr(card, "vendor"));
	db_param_str(&qc, jstr(card, "reel"));
	db_param_str(&qc, x->part ? "true" : "false");
	return register_id(c, &stmt_card, qc.v, &x->card_id, err);
}

static int
register_clip(struct db_conn *c, struct register_ctx *x, json_t *clip, long long *id,
    struct err *err)
{
	struct db_params q = { 0 };
	char *meta = NULL;
	json_t *circ = json_object_get(clip, "circled");
	int rc;

	if (json_object_get(clip, "metadata"))
		meta = json_dumps(json_object_get(clip, "metadata"), JSON_COMPACT);
	db_param_ll(&q, x->card_id);
	db_param_str(&q, jstr(clip, "name"));
	db_param_str(&q, jstr(clip, "scene"));
	db_param_str(&q, jstr(clip, "take"));
	db_param_str(&q, circ ? (json_is_true(circ) ? "true" : "false") : NULL);
	db_param_str(&q, jstr(clip, "camera"));
	db_param_str(&q, jstr(clip, "reel"));
	db_param_str(&q, jstr(clip, "start_tc"));
	jint(&q, clip, "fps_num");
	jint(&q, clip, "fps_den");
	jint(&q, clip, "duration_frames");
	jint(&q, clip, "width");
	jint(&q, clip, "height");
	db_param_str(&q, jstr(clip, "codec"));
	db_param_str(&q, meta);
	db_param_str(&q, jstr(clip, "notes"));
	rc = register_id(c, &stmt_clip, q.v, id, err);
	free(meta);
	if (rc == 0 && jstr(clip, "recorded_at")) {
		struct db_params qr = { 0 };
		db_param_ll(&qr, *id);
		db_param_str(&qr, jstr(clip, "recorded_at"));
		rc = db_query(c, &stmt_clip_recorded, qr.v, NULL, err);
		rc = rc < 0 ? rc : 0;
	}
	x->nclips++;
	return rc;
}

/* The clip a file names, created from the clips list or by name alone. */
static int
register_file_clip(struct db_conn *c, struct register_ctx *x, const char *name,
    long long *id, struct err *err)
{
	json_t *clips = json_object_get(x->doc, "clips"), *cl, *bare;
	size_t i;
	int rc;

	json_array_foreach(clips, i, cl)
		if (strcmp(jstr(cl, "name"), name) == 0)
			return register_clip(c, x, cl, id, err);
	bare = json_pack("{s:s}", "name", name);
	rc = register_clip(c, x, bare, id, err);
	json_decref(bare);
	return rc;
}

static int
register_file_hashes(struct db_conn *c, long long file_id, json_t *f, struct err *err)
{
	const char *algo;
	json_t *v;
	PGresult *r;
	int rc;

	json_object_foreach(json_object_get(f, "hashes"), algo, v) {
		struct db_params q = { 0 };
		db_param_ll(&q, file_id);
		db_param_str(&q, algo);
		db_param_str(&q, json_string_value(v));
		if ((rc = db_query(c, &stmt_hash, q.v, &r, err)) < 0)
			return rc;
		rc = strcmp(PQgetvalue(r, 0, 0), json_string_value(v)) == 0 ? 0 :
		    err_set(err, SP_ECONFLICT, "file %s: %s %s differs from the registered %s: a "
		    "different file under the same name", jstr(f, "path"), algo, json_string_value(v),
		    PQgetvalue(r, 0, 0));
		PQclear(r);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int
register_file(struct db_conn *c, struct register_ctx *x, json_t *f, struct err *err)
{
	struct db_params q = { 0 };
	long long clip_id = 0, file_id;
	const char *clipname = jstr(f, "clip");
	PGresult *r;
	int rc;

	if (clipname && (rc = register_file_clip(c, x, clipname, &clip_id, err)) < 0)
		return rc;
	db_param_ll(&q, x->card_id);
	db_param_ll_if(&q, clip_id != 0, clip_id);
	db_param_str(&q, jstr(f, "path"));
	db_param_ll(&q, json_integer_value(json_object_get(f, "size")));
	db_param_str(&q, jstr(f, "mtime"));
	db_param_str(&q, jstr(f, "role"));
	if ((rc = db_query(c, &stmt_file, q.v, &r, err)) < 0)
		return err_prefix(err, "file %s: ", jstr(f, "path"));
	file_id = db_ll(r, 0, 0);
	rc = strcmp(PQgetvalue(r, 0, 1), q.v[3]) == 0 ? 0 : err_set(err, SP_ECONFLICT, "file %s: "
	    "size %s differs from the registered %s", jstr(f, "path"), q.v[3], PQgetvalue(r, 0, 1));
	PQclear(r);
	x->nfiles++;
	if (rc == 0 && clip_id != 0 && json_is_true(json_object_get(f, "camera_proxy"))) {
		struct db_params qp = { 0 };
		db_param_ll(&qp, clip_id);
		db_param_ll(&qp, file_id);
		rc = db_query(c, &stmt_camera_proxy, qp.v, NULL, err);
	}
	return rc < 0 ? rc : register_file_hashes(c, file_id, f, err);
}

/* A verified copy must carry the same hash as the file, for at least one algorithm both know,
 * and no different one. */
static int
register_copy_hash_ok(struct db_conn *c, long long file_id, json_t *cf, const char *vol,
    struct err *err)
{
	const char *algo;
	json_t *v;
	PGresult *r;
	int matched = 0, rc;

	json_object_foreach(json_object_get(cf, "hashes"), algo, v) {
		struct db_params q = { 0 };
		db_param_ll(&q, file_id);
		db_param_str(&q, algo);
		if ((rc = db_query(c, &stmt_file_hash, q.v, &r, err)) < 0)
			return rc;
		if (rc == 1 && strcmp(PQgetvalue(r, 0, 0), json_string_value(v)) != 0) {
			PQclear(r);
			return err_set(err, SP_EMISMATCH, "copy of %s on %s: %s %s does not match the "
			    "source's: not recorded as verified", jstr(cf, "path"), vol, algo,
			    json_string_value(v));
		}
		matched += rc;
		PQclear(r);
	}
	if (matched == 0)
		return err_set(err, SP_EINVAL, "copy of %s on %s: no hash in common with the source's",
		    jstr(cf, "path"), vol);
	return 0;
}

static int
register_copy_file(struct db_conn *c, struct register_ctx *x, long long vol_id, json_t *cp,
    json_t *cf, struct err *err)
{
	char rel[8300];
	const char *base = jstr(cp, "path"), *vname = jstr(json_object_get(cp, "volume"), "name");
	long long file_id, copy_id;
	int rc;

	struct db_params qf = { 0 };
	db_param_ll(&qf, x->card_id);
	db_param_str(&qf, jstr(cf, "path"));
	if ((rc = register_id(c, &stmt_file_by_path, qf.v, &file_id, err)) < 0)
		return rc;
	if (file_id == 0)
		return err_set(err, SP_EINVAL, "copy on %s lists %s, which is not a file of the card",
		    vname, jstr(cf, "path"));
	if (strcmp(jstr(cf, "state"), "verified") == 0 &&
	    (rc = register_copy_hash_ok(c, file_id, cf, vname, err)) < 0)
		return rc;
	snprintf(rel, sizeof(rel), "%s%s%s", base ? base : "", base && *base ? "/" : "",
	    jstr(cf, "path"));
	struct db_params q = { 0 };
	db_param_ll(&q, file_id);
	db_param_ll(&q, vol_id);
	db_param_str(&q, rel);
	x->ncopies++;
	if ((rc = register_id(c, &stmt_copy, q.v, &copy_id, err)) < 0)
		return rc;
	/* A registration is a check made at verified_at (now when not said): a later failure
	 * the server already knows of still wins. */
	struct verification v = { .copy_id = copy_id, .checked_at = jstr(cf, "verified_at"),
		.source = "register", .result = jstr(cf, "state"), .error = jstr(cf, "error") };
	return (rc = verification_record(c, &v, x->actor, err)) < 0 ? rc : 0;
}

static int
register_copy(struct db_conn *c, struct register_ctx *x, json_t *cp, struct err *err)
{
	json_t *vol = json_object_get(cp, "volume"), *cf;
	long long vol_id;
	size_t i;
	int rc;

	const char *pv[4] = { jstr(vol, "name"), jstr(vol, "kind"), jstr(vol, "key"),
		jstr(vol, "device_id") };
	char where[8300], what[48];

	/* A copy the server may later read must lie under a declared volume; judged on the text
	 * alone, so a refusal says nothing about the host's files. */
	if (jstr(vol, "mount_path")) {
		const char *base = jstr(cp, "path");
		snprintf(where, sizeof(where), "%s%s%s", jstr(vol, "mount_path"),
		    base && *base && strcmp(jstr(vol, "mount_path"), "/") ? "/" : "", base ? base : "");
		snprintf(what, sizeof(what), "copies[%zu]", x->ncopy_docs);
		if ((rc = confine_check(c, what, where, err)) < 0)
			return rc;
	}
	x->ncopy_docs++;
	if ((rc = register_id(c, &stmt_volume, pv, &vol_id, err)) < 0)
		return rc;
	if (jstr(vol, "host") && jstr(vol, "mount_path")) {
		struct db_params pm = { 0 };
		db_param_ll(&pm, vol_id);
		db_param_str(&pm, jstr(vol, "host"));
		db_param_str(&pm, jstr(vol, "mount_path"));
		if ((rc = db_query(c, &stmt_mount, pm.v, NULL, err)) < 0)
			return rc;
	}
	json_array_foreach(json_object_get(cp, "files"), i, cf)
		if ((rc = register_copy_file(c, x, vol_id, cp, cf, err)) < 0)
			return rc;
	return 0;
}

/* The same files under another label (or on another day) are the same card offloaded twice:
 * refused, naming the card. Under its own label they add copies to it. */
static int
register_duplicate(struct db_conn *c, struct register_ctx *x, struct err *err)
{
	char *files = json_dumps(json_object_get(x->doc, "files"), JSON_COMPACT);
	const char *p[1] = { files }, *label = jstr(json_object_get(x->doc, "card"), "label");
	const char *day = jstr(x->doc, "day");
	PGresult *r;
	int n, rc = 0;

	x->existing = 0;
	if (files == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	n = db_query(c, &stmt_same_card, p, &r, err);
	free(files);
	if (n <= 0) {
		if (n == 0)
			PQclear(r);
		return n;
	}
	if (strcmp(PQgetvalue(r, 0, 1), label) != 0 || (day && strcmp(PQgetvalue(r, 0, 2), day)))
		rc = err_set(err, SP_ECONFLICT, "these files (names, sizes, hashes) are already "
		    "registered as card %s (id %s, %s, %s): register the copies under that label and "
		    "day to add them to it", PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 0),
		    PQgetvalue(r, 0, 2), PQgetvalue(r, 0, 3));
	else
		x->existing = db_ll(r, 0, 0);
	PQclear(r);
	if (rc == 0 && x->existing) {
		struct db_params q = { 0 };
		db_param_ll(&q, x->existing);
		if ((n = db_query(c, &stmt_card_offloading, q.v, &r, err)) < 0)
			return n;
		x->parts_before = n > 0 && db_bool(r, 0, 0);
		PQclear(r);
	}
	return rc;
}

static int
register_tx(struct db_conn *c, void *arg, struct err *err)
{
	struct register_ctx *x = arg;
	json_t *v, *summary;
	size_t i;
	int rc;

	x->nfiles = x->nclips = x->ncopies = 0;
	x->ncopy_docs = 0;
	x->parts_before = false;
	if ((rc = register_duplicate(c, x, err)) < 0 ||
	    (rc = register_card(c, x, err)) < 0 ||
	    (rc = custody_card_before(c, x->card_id, &x->was_safe, err)) < 0)
		return rc;
	json_array_foreach(json_object_get(x->doc, "files"), i, v)
		if ((rc = register_file(c, x, v, err)) < 0)
			return rc;
	json_array_foreach(json_object_get(x->doc, "copies"), i, v)
		if ((rc = register_copy(c, x, v, err)) < 0)
			return rc;
	if ((x->changed = custody_card_after(c, x->card_id, x->was_safe, x->actor, NULL, NULL,
	    err)) < 0)
		return x->changed;
	/* New sound or new pictures with timecode: match the day again (workers/job_soundsync). */
	if ((rc = pipeline_sound(c, x->day_id, 0, err)) < 0)
		return rc;
	summary = json_pack("{s:s,s:i,s:i,s:b}", "card", jstr(json_object_get(x->doc, "card"),
	    "label"), "files", x->nfiles, "copies", x->ncopies, "complete", !x->part);
	rc = event_record(c, x->actor, "offload.registered", "card", x->card_id, summary, NULL, err);
	json_decref(summary);
	if (rc < 0)
		return rc;
	/* The card's offload report (lib/report/report_card.h) now says what was registered. */
	char url[64];
	snprintf(url, sizeof(url), "/api/v1/cards/%lld/report", x->card_id);
	summary = json_pack("{s:s,s:s,s:s}", "report", "offload", "card",
	    jstr(json_object_get(x->doc, "card"), "label"), "url", url);
	rc = event_record(c, x->actor, "report.ready", "card", x->card_id, summary, NULL, err);
	/* A delivery rule of what 'reports' sends it to the post house with the dailies: once
	 * the whole card is registered, not at each part. */
	if (rc == 0 && !x->part && (rc = pipeline_report_ready(c, "offload", x->card_id, err)) > 0)
		rc = 0;
	json_decref(summary);
	return rc;
}

static int
register_verdict_tx(struct db_conn *c, void *arg, struct err *err)
{
	void **a = arg;
	struct register_ctx *x = a[0];
	bool safe;
	json_t *why;
	int rc;

	if ((rc = clipstate_card_safe(c, x->card_id, &safe, &why, err)) < 0)
		return rc;
	*(json_t **)a[1] = json_pack("{s:I,s:I,s:i,s:i,s:i,s:b,s:o,s:b}", "card_id",
	    (json_int_t)x->card_id, "day_id", (json_int_t)x->day_id, "files", x->nfiles, "copies",
	    x->ncopies, "changed_clips", x->changed, "safe_to_format", safe, "why_not", why,
	    "already_registered", x->existing == x->card_id && x->existing != 0 && !x->parts_before);
	json_object_set_new(*(json_t **)a[1], "complete", json_boolean(!x->part));
	/* The second gate beside the first: working drives safe to clear. */
	if ((rc = copy_policy_card_annotate(c, x->card_id, *(json_t **)a[1], err)) < 0) {
		json_decref(*(json_t **)a[1]);
		*(json_t **)a[1] = NULL;
	}
	return rc;
}

int
register_offload(struct db *db, json_t *doc, const char *actor, json_t **result,
    struct err *err)
{
	struct register_ctx x = { .doc = doc, .actor = actor };
	void *arg[2] = { &x, result };
	int rc;

	if (!json_is_object(doc))
		return err_set(err, SP_EINVAL, "offload: expected a JSON object");
	if ((rc = register_check(doc, err)) < 0)
		return rc;
	x.part = json_is_false(json_object_get(doc, "complete"));
	if ((rc = db_tx(db, register_tx, &x, err)) < 0)
		return rc;
	return db_tx(db, register_verdict_tx, arg, err);
}
