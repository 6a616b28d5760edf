/* report_day: the shooting-day summary production and post read at wrap: what was shot
 * (cards, sound rolls, clips by camera and scene), what is secured on how many volumes, which
 * cards are safe to format (by the same rule as the API: clipstate_card_safe), QC findings,
 * looks, what reached the post house and when, and what is still missing. */
#include "lib/report/report_day.h"
#include "lib/report/report_doc.h"
#include "lib/core/version.h"
#include "lib/pipeline/clipstate.h"
#include "lib/store/params.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* One statement returns the whole day as JSON, read in one snapshot (the caller's
 * transaction); each part is formatted for reading (sizes, timecodes, times in UTC). */
static const struct db_stmt stmt_day = { "report_day",
	"WITH d AS (SELECT d.*, p.name AS production, p.required_copies,"
	"   (SELECT name FROM luts WHERE id = coalesce(d.lut_id, p.show_lut_id)) AS lut"
	"  FROM days d JOIN productions p ON p.id = d.production_id WHERE d.id = $1),"
	" k AS (SELECT k.* FROM cards k WHERE k.day_id = $1),"
	" c AS (SELECT c.*, k.label AS card, k.kind AS card_kind FROM clips c JOIN k ON k.id = c.card_id),"
	" f AS (SELECT f.* FROM files f JOIN k ON k.id = f.card_id)"
	" SELECT json_build_object("
	"  'day', (SELECT row_to_json(d) FROM d),"
	"  'cards', (SELECT coalesce(json_agg(json_build_object('id', k.id, 'label', k.label,"
	"     'kind', k.kind, 'camera', k.camera, 'vendor', k.vendor, 'reel', k.reel,"
	"     'clips', (SELECT count(*) FROM c WHERE c.card_id = k.id),"
	"     'files', (SELECT count(*) FROM f WHERE f.card_id = k.id),"
	"     'bytes', (SELECT coalesce(sum(size), 0) FROM f WHERE f.card_id = k.id),"
	"     'volumes', (SELECT coalesce(string_agg(DISTINCT v.name || ' (' || v.kind || ')', ', '), '')"
	"        FROM f JOIN copies cp ON cp.file_id = f.id AND cp.state = 'verified'"
	"        JOIN volumes v ON v.id = cp.volume_id WHERE f.card_id = k.id))"
	"     ORDER BY k.kind, k.label), '[]') FROM k),"
	"  'clips', (SELECT coalesce(json_agg(json_build_object('name', c.name, 'card', c.card,"
	"     'kind', c.card_kind, 'camera', coalesce(c.camera, ''), 'scene', coalesce(c.scene, ''),"
	"     'take', coalesce(c.take, ''), 'circled', c.circled, 'tc', coalesce(c.start_tc, ''),"
	"     'frames', c.duration_frames, 'fps_num', c.fps_num, 'fps_den', c.fps_den,"
	"     'codec', coalesce(c.codec, ''), 'width', c.width, 'height', c.height,"
	"     'state', c.state, 'reason', coalesce(c.state_reason, ''),"
	"     'look', CASE WHEN c.look IS NOT NULL THEN 'clip CDL' WHEN EXISTS (SELECT 1 FROM"
	"        scene_looks s WHERE s.production_id = (SELECT production_id FROM d)"
	"        AND s.scene = c.scene) THEN 'scene ' || c.scene ELSE '' END,"
	"     'proxies', (SELECT coalesce(string_agg(r.profile, ', ' ORDER BY r.profile), '')"
	"        FROM renditions r WHERE r.clip_id = c.id AND r.state = 'done'),"
	"     'thumbs', (SELECT coalesce(json_agg(json_build_object('path', t.rel_path, 'w', t.width,"
	"        'h', t.height) ORDER BY array_position(ARRAY[1, 0, 8], t.n)), '[]')"
	"        FROM clip_thumbnails t WHERE t.clip_id = c.id AND t.n IN (0, 1, 8)),"
	"     'delivered', (SELECT max(dl.updated_at) FROM deliveries dl JOIN renditions r"
	"        ON r.id = dl.rendition_id WHERE r.clip_id = c.id AND dl.state = 'delivered'))"
	"     ORDER BY c.card_kind, coalesce(c.camera, ''), c.scene, c.take, c.name), '[]') FROM c),"
	"  'qc', (SELECT coalesce(json_agg(json_build_object('clip', c.name, 'kind', q.kind,"
	"     'severity', q.severity, 'at', coalesce(q.start_tc, q.start_frame::text),"
	"     'message', q.message) ORDER BY c.name, q.start_frame), '[]')"
	"     FROM qc_flags q JOIN c ON c.id = q.clip_id),"
	"  'deliveries', (SELECT coalesce(json_agg(json_build_object("
	"     'what', coalesce(cr.name || ' ' || r.profile, fc.name || ' (original)', ''),"
	"     'target', t.name, 'state', dl.state, 'error', coalesce(dl.error, ''),"
	"     'at', dl.updated_at) ORDER BY dl.id), '[]')"
	"     FROM deliveries dl JOIN targets t ON t.id = dl.target_id"
	"     LEFT JOIN renditions r ON r.id = dl.rendition_id LEFT JOIN c cr ON cr.id = r.clip_id"
	"     LEFT JOIN files fl ON fl.id = dl.file_id LEFT JOIN c fc ON fc.id = fl.clip_id"
	"     WHERE cr.id IS NOT NULL OR fc.id IS NOT NULL),"
	"  'shuttles', (SELECT coalesce(json_agg(json_build_object('name', s.name, 'cards', s.cards,"
	"     'files', s.n, 'bytes', s.bytes, 'verified', s.ok) ORDER BY s.name), '[]') FROM"
	"     (SELECT v.name, string_agg(DISTINCT k.label, ', ') AS cards, count(*) AS n,"
	"      sum(f.size) AS bytes, count(*) FILTER (WHERE cp.state = 'verified') AS ok"
	"      FROM f JOIN k ON k.id = f.card_id JOIN copies cp ON cp.file_id = f.id"
	"      JOIN volumes v ON v.id = cp.volume_id WHERE v.kind = 'shuttle' GROUP BY v.id, v.name) s),"
	"  'files', (SELECT coalesce(json_agg(json_build_object('card', k.label, 'clip',"
	"     coalesce(c.name, ''), 'path', f.rel_path, 'size', f.size, 'role', f.role,"
	"     'hash', (SELECT h.algorithm || ':' || h.value FROM hashes h WHERE h.file_id = f.id"
	"        ORDER BY h.algorithm = 'xxh64' DESC, h.algorithm LIMIT 1),"
	"     'volume', coalesce(v.name, ''), 'media', coalesce(v.kind, ''),"
	"     'copy', coalesce(cp.rel_path, ''), 'state', coalesce(cp.state, 'no copy'),"
	"     'verified', cp.verified_at) ORDER BY k.label, f.rel_path, v.name), '[]')"
	"     FROM f JOIN k ON k.id = f.card_id LEFT JOIN c ON c.id = f.clip_id"
	"     LEFT JOIN copies cp ON cp.file_id = f.id LEFT JOIN volumes v ON v.id = cp.volume_id)"
	" )::text WHERE EXISTS (SELECT 1 FROM d)", 1 };

struct day_totals {
	long long bytes, files, cards, rolls, clips, safe, proxied, delivered;
};

static json_t *
day_cards(struct db_conn *c, const json_t *cards, struct day_totals *t, json_t *missing,
    struct err *err)
{
	static const char *const names[] = { "Card", "Kind", "Camera / reel", "Clips", "Files",
		"Size", "Verified on", "Safe to format" };
	static const double shares[] = { 0.8, 0.6, 1.0, 0.5, 0.5, 0.7, 2.0, 2.2 };
	json_t *rows = json_array(), *card, *why;
	size_t i;

	json_array_foreach(cards, i, card) {
		char size[32], verdict[600], clips[24], files[24], cam[160];
		bool safe;
		if (clipstate_card_safe(c, json_integer_value(json_object_get(card, "id")), &safe,
		    &why, err) < 0) {
			json_decref(rows);
			return NULL;
		}
		if (safe)
			snprintf(verdict, sizeof(verdict), "YES");
		else
			snprintf(verdict, sizeof(verdict), "no: %s%s",
			    json_string_value(json_array_get(why, 0)) ?
			    json_string_value(json_array_get(why, 0)) : "not secured",
			    json_array_size(why) > 1 ? " (and more)" : "");
		if (!safe)
			json_array_append_new(missing, json_sprintf("Card %s is not safe to format: %s",
			    report_str(card, "label"), verdict + 4));
		json_decref(why);
		t->safe += safe;
		t->bytes += json_integer_value(json_object_get(card, "bytes"));
		t->files += json_integer_value(json_object_get(card, "files"));
		if (strcmp(report_str(card, "kind"), "sound") == 0)
			t->rolls++;
		else
			t->cards++;
		report_size(json_integer_value(json_object_get(card, "bytes")), size, sizeof(size));
		snprintf(clips, sizeof(clips), "%lld", (long long)json_integer_value(json_object_get(card, "clips")));
		snprintf(files, sizeof(files), "%lld", (long long)json_integer_value(json_object_get(card, "files")));
		snprintf(cam, sizeof(cam), "%s%s%s", report_str(card, "camera"),
		    *report_str(card, "camera") && *report_str(card, "reel") ? " / " : "", report_str(card, "reel"));
		json_array_append_new(rows, json_pack("[s,s,s,s,s,s,s,s]", report_str(card, "label"),
		    report_str(card, "kind"), cam, clips, files, size, report_str(card, "volumes"), verdict));
	}
	return report_section("Cards and sound rolls", report_columns(names, shares, 8), rows,
	    "No cards were offloaded on this day.");
}

/* The clip's thumbnails (first, middle, last frame) as the renderers' image cell:
 * {"images": [{"path": absolute, "w": px, "h": px}, ...]}. */
static json_t *
day_thumbs(const json_t *clip, const char *data_dir)
{
	json_t *images = json_array(), *t;
	size_t i;

	json_array_foreach(json_object_get(clip, "thumbs"), i, t) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", data_dir, report_str(t, "path"));
		json_array_append_new(images, json_pack("{s:s,s:O,s:O}", "path", path, "w",
		    json_object_get(t, "w"), "h", json_object_get(t, "h")));
	}
	return json_pack("{s:o}", "images", images);
}

static json_t *
day_clips(const json_t *clips, const char *data_dir, struct day_totals *t, json_t *missing)
{
	static const char *const names[] = { "Clip", "Pictures", "Card", "Camera", "Scene / take",
		"TC in", "Duration", "Format", "Look", "State", "Proxies", "At the post house" };
	/* The clip's name gets room for a camera's 20-odd characters on one line. */
	static const double shares[] = { 1.9, 2.2, 0.6, 0.5, 0.8, 0.9, 0.7, 1.1, 0.6, 1.1, 0.8,
		1.0 };
	json_t *rows = json_array(), *clip;
	size_t i;

	json_array_foreach(clips, i, clip) {
		char st[64], dur[32], fmt[96], state[400];
		const char *delivered = report_str(clip, "delivered");
		bool sound = strcmp(report_str(clip, "kind"), "sound") == 0;
		t->clips++;
		snprintf(st, sizeof(st), "%s%s%s%s", report_str(clip, "scene"),
		    *report_str(clip, "take") ? " / " : "", report_str(clip, "take"),
		    json_is_true(json_object_get(clip, "circled")) ? " (circled)" : "");
		report_clip_duration(clip, dur, sizeof(dur));
		report_clip_format(clip, fmt, sizeof(fmt));
		snprintf(state, sizeof(state), "%s%s%s", report_str(clip, "state"),
		    *report_str(clip, "reason") ? ": " : "", report_str(clip, "reason"));
		if (*report_str(clip, "proxies"))
			t->proxied++;
		else if (!sound)
			json_array_append_new(missing, json_sprintf("%s has no proxy yet (%s)",
			    report_str(clip, "name"), report_str(clip, "state")));
		if (*delivered)
			t->delivered++;
		json_array_append_new(rows, json_pack("[s,o,s,s,s,s,s,s,s,s,s,s]", report_str(clip, "name"),
		    day_thumbs(clip, data_dir), report_str(clip, "card"), report_str(clip, "camera"), st,
		    report_str(clip, "tc"), dur, fmt, report_str(clip, "look"), state, report_str(clip, "proxies"),
		    delivered));
	}
	return report_section("Clips by camera and scene", report_columns(names, shares, 12), rows,
	    "No clips.");
}

/* A section whose columns are string members of each item, named by keys. */
static json_t *
day_strings(const char *title, const json_t *items, const char *const *names,
    const char *const *keys, const double *shares, size_t n, const char *empty)
{
	json_t *rows = json_array(), *it, *row;
	size_t i;

	json_array_foreach(items, i, it) {
		row = json_array();
		for (size_t k = 0; k < n; k++)
			json_array_append_new(row, json_string(report_str(it, keys[k])));
		json_array_append_new(rows, row);
	}
	return report_section(title, report_columns(names, shares, n), rows, empty);
}

static json_t *
day_qc(const json_t *qc)
{
	static const char *const names[] = { "Clip", "Finding", "Severity", "At", "What was seen" };
	static const char *const keys[] = { "clip", "kind", "severity", "at", "message" };
	static const double shares[] = { 1.4, 1.1, 0.6, 0.8, 3.0 };

	return day_strings("QC findings", qc, names, keys, shares, 5, "No QC findings on this day.");
}

static json_t *
day_deliveries(const json_t *deliveries)
{
	static const char *const names[] = { "What", "To", "State", "Last change (UTC)", "Reason" };
	static const char *const keys[] = { "what", "target", "state", "at", "error" };
	static const double shares[] = { 1.8, 0.9, 0.7, 1.2, 2.2 };

	return day_strings("Deliveries to the post house", deliveries, names, keys, shares, 5,
	    "Nothing was sent to the post house from this day.");
}

/* Which shuttle drive carries what of the day (volumes marked shuttle). */
static json_t *
day_shuttles(const json_t *shuttles)
{
	static const char *const names[] = { "Shuttle drive", "Cards", "Files", "Size",
		"Verified there" };
	static const double shares[] = { 1.2, 2.6, 0.6, 0.7, 1.0 };
	json_t *rows = json_array(), *v;
	size_t i;

	json_array_foreach(shuttles, i, v) {
		char n[24], size[32], ok[48];
		json_int_t files = json_integer_value(json_object_get(v, "files"));
		json_int_t good = json_integer_value(json_object_get(v, "verified"));
		snprintf(n, sizeof(n), "%lld", (long long)files);
		report_size(json_integer_value(json_object_get(v, "bytes")), size, sizeof(size));
		snprintf(ok, sizeof(ok), good == files ? "all %lld" : "%lld", (long long)good);
		json_array_append_new(rows, json_pack("[s,s,s,s,s]", report_str(v, "name"),
		    report_str(v, "cards"), n, size, ok));
	}
	return report_section("Shuttle drives", report_columns(names, shares, 5), rows,
	    "No copy of this day is on a volume marked as a shuttle drive.");
}

static json_t *
day_csv(const json_t *files)
{
	json_t *rows = json_array(), *f;
	size_t i;

	json_array_foreach(files, i, f) {
		char size[24];
		snprintf(size, sizeof(size), "%lld", (long long)json_integer_value(json_object_get(f, "size")));
		json_array_append_new(rows, json_pack("[s,s,s,s,s,s,s,s,s,s,s]", report_str(f, "card"),
		    report_str(f, "clip"), report_str(f, "path"), size, report_str(f, "role"), report_str(f, "hash"),
		    report_str(f, "volume"), report_str(f, "media"), report_str(f, "copy"), report_str(f, "state"),
		    report_str(f, "verified")));
	}
	return json_pack("{s:[s,s,s,s,s,s,s,s,s,s,s],s:o}", "columns", "card", "clip", "file",
	    "size", "role", "hash", "volume", "media", "copy_path", "copy_state", "verified_at",
	    "rows", rows);
}

static json_t *
day_document(struct db_conn *c, json_t *data, const char *data_dir, struct err *err)
{
	const json_t *day = json_object_get(data, "day");
	struct day_totals t;
	json_t *missing = json_array(), *sections, *cards, *fields, *verdicts, *doc;
	char sub[400], buf[64], host[128] = "", footer[400], now[32], rule[200];
	time_t tnow = time(NULL);
	struct tm tm;

	memset(&t, 0, sizeof(t));
	if ((cards = day_cards(c, json_object_get(data, "cards"), &t, missing, err)) == NULL) {
		json_decref(missing);
		return NULL;
	}
	sections = json_pack("[o,o,o,o]", cards, day_clips(json_object_get(data, "clips"), data_dir,
	    &t, missing), day_qc(json_object_get(data, "qc")),
	    day_deliveries(json_object_get(data, "deliveries")));
	json_array_insert_new(sections, 1, day_shuttles(json_object_get(data, "shuttles")));
	gethostname(host, sizeof(host) - 1);
	gmtime_r(&tnow, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(sub, sizeof(sub), "%s · %s%s%s", report_str(day, "production"),
	    report_str(day, "shoot_date"), *report_str(day, "label") ? " · " : "", report_str(day, "label"));
	fields = json_array();
	json_array_append_new(fields, report_field("Production", report_str(day, "production")));
	json_array_append_new(fields, report_field("Shoot date", report_str(day, "shoot_date")));
	json_array_append_new(fields, report_field("Day", report_str(day, "label")));
	json_array_append_new(fields, report_field("Wrapped (UTC)", *report_str(day, "wrapped_at") ?
	    report_str(day, "wrapped_at") : "not yet"));
	snprintf(buf, sizeof(buf), "%lld camera, %lld sound", t.cards, t.rolls);
	json_array_append_new(fields, report_field("Cards", buf));
	snprintf(buf, sizeof(buf), "%lld (%lld with proxies)", t.clips, t.proxied);
	json_array_append_new(fields, report_field("Clips", buf));
	report_size(t.bytes, buf, sizeof(buf));
	snprintf(rule, sizeof(rule), "%s in %lld files", buf, t.files);
	json_array_append_new(fields, report_field("Offloaded", rule));
	snprintf(rule, sizeof(rule), "%lld verified copies on distinct volumes",
	    (long long)json_integer_value(json_object_get(day, "required_copies")));
	json_array_append_new(fields, report_field("Copy rule", rule));
	json_array_append_new(fields, report_field("Show / day LUT", *report_str(day, "lut") ?
	    report_str(day, "lut") : "none"));
	snprintf(buf, sizeof(buf), "%lld clips", t.delivered);
	json_array_append_new(fields, report_field("Delivered to post", buf));
	verdicts = json_array();
	snprintf(rule, sizeof(rule), "Safe to format: %lld of %lld cards and rolls", t.safe,
	    t.cards + t.rolls);
	json_array_append_new(verdicts, json_string(rule));
	snprintf(footer, sizeof(footer), "setpost %s on %s, %s", SETPOST_VERSION, host, now);
	{
		static const char *const names[] = { "Still missing" };
		static const double shares[] = { 1.0 };
		json_t *rows = json_array(), *m;
		size_t i;
		json_array_foreach(missing, i, m)
			json_array_append_new(rows, json_pack("[O]", m));
		json_array_append_new(sections, report_section("Still missing", report_columns(names, shares,
		    1), rows, "Nothing: every card is safe to format and every clip has its proxy."));
	}
	json_decref(missing);
	doc = json_pack("{s:s,s:s,s:o,s:o,s:o,s:o,s:s}", "title", "Shooting day report", "subtitle",
	    sub, "fields", fields, "verdicts", verdicts, "sections", sections, "csv",
	    day_csv(json_object_get(data, "files")), "footer", footer);
	if (doc == NULL)
		err_set(err, SP_ENOMEM, "report: out of memory");
	return doc;
}

int
report_day_load(struct db_conn *c, long long day_id, const char *data_dir, json_t **doc,
    struct err *err)
{
	struct db_params q = { 0 };
	json_error_t je;
	json_t *data;
	PGresult *r;
	int rc;

	*doc = NULL;
	db_param_ll(&q, day_id);
	if ((rc = db_query(c, &stmt_day, q.v, &r, err)) < 0)
		return rc;
	if (rc == 0) {
		PQclear(r);
		return err_set(err, SP_ENOTFOUND, "day %lld not found", day_id);
	}
	data = json_loads(PQgetvalue(r, 0, 0), 0, &je);
	PQclear(r);
	if (data == NULL)
		return err_set(err, SP_EINTERNAL, "report: day %lld: %s", day_id, je.text);
	*doc = day_document(c, data, data_dir, err);
	json_decref(data);
	return *doc ? 0 : err->code;
}
