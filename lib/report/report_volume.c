/* report_volume: what is on one volume (see report_volume.h). */
#include "lib/report/report_volume.h"
#include "lib/core/version.h"
#include "lib/pipeline/clipstate.h"
#include "lib/report/report_doc.h"
#include "lib/store/params.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Every copy on the volume with its file, card and latest check, in one snapshot. */
static const struct db_stmt stmt_volume = { "report_volume",
	"WITH v AS (SELECT * FROM volumes WHERE id = $1),"
	" cp AS (SELECT cp.*, f.rel_path AS file, f.size, f.card_id, k.label AS card,"
	"   d.shoot_date::text AS day, p.name AS production,"
	"   (SELECT coalesce(string_agg(h.algorithm || ':' || h.value, ' ' ORDER BY h.algorithm), '')"
	"    FROM hashes h WHERE h.file_id = f.id) AS hashes,"
	"   (SELECT json_build_object('at', to_char(x.checked_at AT TIME ZONE 'UTC',"
	"      'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), 'by', x.actor, 'how', x.source)"
	"    FROM verifications x WHERE x.copy_id = cp.id ORDER BY x.checked_at DESC, x.id DESC"
	"    LIMIT 1) AS checked"
	"   FROM copies cp JOIN files f ON f.id = cp.file_id JOIN cards k ON k.id = f.card_id"
	"   JOIN days d ON d.id = k.day_id JOIN productions p ON p.id = d.production_id"
	"   WHERE cp.volume_id = $1)"
	" SELECT json_build_object("
	"  'volume', (SELECT json_build_object('name', v.name, 'kind', v.kind, 'key',"
	"     coalesce(v.fs_uuid, ''), 'mounts', (SELECT coalesce(string_agg(m.host || ':' ||"
	"     m.mount_path, ', '), '') FROM volume_mounts m WHERE m.volume_id = v.id)) FROM v),"
	"  'cards', (SELECT coalesce(json_agg(json_build_object('id', c.card_id, 'label', c.card,"
	"     'day', c.day, 'production', c.production, 'files', c.n, 'bytes', c.bytes,"
	"     'verified', c.ok, 'all_files', (SELECT count(*) FROM files f WHERE f.card_id = c.card_id))"
	"     ORDER BY c.production, c.day, c.card), '[]') FROM (SELECT card_id, card, day, production,"
	"     count(*) AS n, sum(size) AS bytes, count(*) FILTER (WHERE state = 'verified') AS ok"
	"     FROM cp GROUP BY card_id, card, day, production) c),"
	"  'files', (SELECT coalesce(json_agg(json_build_object('card', cp.card, 'path', cp.rel_path,"
	"     'size', cp.size, 'hashes', cp.hashes, 'state', cp.state, 'error', coalesce(cp.error, ''),"
	"     'checked', cp.checked) ORDER BY cp.card, cp.rel_path), '[]') FROM cp)"
	" )::text WHERE EXISTS (SELECT 1 FROM v)", 1 };

static json_t *
vol_cards(struct db_conn *c, const json_t *cards, long long *bytes, long long *files,
    long long *bad, struct err *err)
{
	static const char *const names[] = { "Card", "Production", "Day", "Files here",
		"Verified here", "Size", "Card safe to format" };
	static const double shares[] = { 1.0, 1.4, 0.8, 0.7, 0.8, 0.7, 2.4 };
	json_t *rows = json_array(), *card, *why;
	size_t i;

	json_array_foreach(cards, i, card) {
		char n[48], ok[24], size[32], verdict[600];
		bool safe;
		json_int_t here = json_integer_value(json_object_get(card, "files"));
		json_int_t all = json_integer_value(json_object_get(card, "all_files"));
		json_int_t good = json_integer_value(json_object_get(card, "verified"));
		if (clipstate_card_safe(c, json_integer_value(json_object_get(card, "id")), &safe, &why,
		    err) < 0) {
			json_decref(rows);
			return NULL;
		}
		snprintf(verdict, sizeof(verdict), "%s%s", safe ? "YES" : "no: ", safe ? "" :
		    json_string_value(json_array_get(why, 0)) ? json_string_value(json_array_get(why, 0)) :
		    "not secured");
		json_decref(why);
		*bytes += json_integer_value(json_object_get(card, "bytes"));
		*files += here;
		*bad += here - good;
		snprintf(n, sizeof(n), "%lld of %lld", (long long)here, (long long)all);
		snprintf(ok, sizeof(ok), "%lld", (long long)good);
		report_size(json_integer_value(json_object_get(card, "bytes")), size, sizeof(size));
		json_array_append_new(rows, json_pack("[s,s,s,s,s,s,s]", report_str(card, "label"),
		    report_str(card, "production"), report_str(card, "day"), n, ok, size, verdict));
	}
	return report_section("Cards on this volume", report_columns(names, shares, 7), rows,
	    "No copy on this volume is known to setpost.");
}

static void
vol_files(const json_t *files, json_t **section, json_t **csv)
{
	static const char *const names[] = { "Card", "File (on the volume)", "Size", "Hashes",
		"State", "Latest check (UTC)", "By" };
	static const double shares[] = { 0.8, 3.2, 0.7, 2.4, 0.8, 1.3, 1.2 };
	json_t *rows = json_array(), *crows = json_array(), *f;
	size_t i;

	json_array_foreach(files, i, f) {
		const json_t *chk = json_object_get(f, "checked");
		char size[32], bytes[24], state[400], by[200];
		long long n = json_integer_value(json_object_get(f, "size"));
		report_size(n, size, sizeof(size));
		snprintf(bytes, sizeof(bytes), "%lld", n);
		snprintf(state, sizeof(state), "%s%s%s", report_str(f, "state"),
		    *report_str(f, "error") ? ": " : "", report_str(f, "error"));
		snprintf(by, sizeof(by), "%s%s%s%s", report_str(chk, "by"), *report_str(chk, "how") ?
		    " (" : "", report_str(chk, "how"), *report_str(chk, "how") ? ")" : "");
		json_array_append_new(rows, json_pack("[s,s,s,s,s,s,s]", report_str(f, "card"),
		    report_str(f, "path"), size, report_str(f, "hashes"), state, report_str(chk, "at"),
		    by));
		json_array_append_new(crows, json_pack("[s,s,s,s,s,s,s,s]", report_str(f, "card"),
		    report_str(f, "path"), bytes, report_str(f, "hashes"), report_str(f, "state"),
		    report_str(chk, "at"), by, report_str(f, "error")));
	}
	*section = report_section("Files on this volume", report_columns(names, shares, 7), rows,
	    "No file.");
	*csv = json_pack("{s:[s,s,s,s,s,s,s,s],s:o}", "columns", "card", "path", "size", "hashes",
	    "state", "checked_at", "checked_by", "error", "rows", crows);
}

int
report_volume_load(struct db_conn *c, long long volume_id, const char *data_dir,
    json_t **doc, struct err *err)
{
	char host[128] = "", now[32], buf[400], size[32];
	struct db_params p = { 0 };
	json_t *data, *cards, *files, *csv, *fields, *verdicts;
	const json_t *vol;
	long long bytes = 0, nfiles = 0, bad = 0;
	json_error_t je;
	PGresult *r;
	time_t t = time(NULL);
	struct tm tm;
	int rc;

	(void)data_dir;
	*doc = NULL;
	db_param_ll(&p, volume_id);
	if ((rc = db_query(c, &stmt_volume, p.v, &r, err)) < 0)
		return rc;
	if (rc == 0) {
		PQclear(r);
		return err_set(err, SP_ENOTFOUND, "volume %lld not found", volume_id);
	}
	data = json_loads(PQgetvalue(r, 0, 0), 0, &je);
	PQclear(r);
	if (data == NULL)
		return err_set(err, SP_EINTERNAL, "report: volume %lld: %s", volume_id, je.text);
	vol = json_object_get(data, "volume");
	if ((cards = vol_cards(c, json_object_get(data, "cards"), &bytes, &nfiles, &bad, err)) == NULL) {
		json_decref(data);
		return err->code;
	}
	vol_files(json_object_get(data, "files"), &files, &csv);
	fields = json_array();
	json_array_append_new(fields, report_field("Volume", report_str(vol, "name")));
	json_array_append_new(fields, report_field("Kind", report_str(vol, "kind")));
	json_array_append_new(fields, report_field("Identity", report_str(vol, "key")));
	json_array_append_new(fields, report_field("Mounted at", report_str(vol, "mounts")));
	report_size(bytes, size, sizeof(size));
	snprintf(buf, sizeof(buf), "%zu cards, %lld files, %s", json_array_size(json_object_get(data,
	    "cards")), nfiles, size);
	json_array_append_new(fields, report_field("Holds", buf));
	verdicts = json_array();
	if (bad == 0)
		snprintf(buf, sizeof(buf), "Every copy on this volume verified (%lld files)", nfiles);
	else
		snprintf(buf, sizeof(buf), "NOT every copy verified: %lld of %lld files", bad, nfiles);
	json_array_append_new(verdicts, json_string(buf));
	gethostname(host, sizeof(host) - 1);
	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(buf, sizeof(buf), "setpost %s on %s, %s", SETPOST_VERSION, host, now);
	*doc = json_pack("{s:s,s:s,s:o,s:o,s:[o,o],s:o,s:s}", "title",
	    strcmp(report_str(vol, "kind"), "shuttle") == 0 ? "Shuttle drive report" : "Volume report",
	    "subtitle", report_str(vol, "name"), "fields", fields, "verdicts", verdicts, "sections",
	    cards, files, "csv", csv, "footer", buf);
	json_decref(data);
	return *doc ? 0 : err_set(err, SP_ENOMEM, "report: out of memory");
}
