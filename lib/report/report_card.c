/* report_card: a registered card's offload report from the database (see report_card.h). */
#include "lib/report/report_card.h"
#include "lib/core/version.h"
#include "lib/pipeline/clipstate.h"
#include "lib/report/report_offload.h"
#include "lib/store/params.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The card sheet of report_offload.h in one statement, one snapshot. A copy's folder is its
 * file's path on the volume less the file's path on the card. */
static const struct db_stmt stmt_card = { "report_card",
	"WITH k AS (SELECT k.*, d.shoot_date, p.name AS production FROM cards k"
	"   JOIN days d ON d.id = k.day_id JOIN productions p ON p.id = d.production_id"
	"   WHERE k.id = $1),"
	" f AS (SELECT f.*, c.name AS clip FROM files f LEFT JOIN clips c ON c.id = f.clip_id"
	"   WHERE f.card_id = $1),"
	" cp AS (SELECT cp.*, f.rel_path AS file, v.name AS volume, v.kind AS media,"
	"   left(cp.rel_path, greatest(length(cp.rel_path) - length(f.rel_path) - 1, 0)) AS folder"
	"   FROM copies cp JOIN f ON f.id = cp.file_id JOIN volumes v ON v.id = cp.volume_id)"
	" SELECT json_build_object("
	"  'card', (SELECT json_build_object('label', k.label, 'kind', k.kind, 'camera',"
	"     coalesce(k.camera, ''), 'vendor', coalesce(k.vendor, ''), 'reel', coalesce(k.reel, ''))"
	"     FROM k),"
	"  'production', (SELECT production FROM k), 'day', (SELECT shoot_date::text FROM k),"
	"  'clips', (SELECT coalesce(json_agg(json_build_object('name', c.name, 'camera',"
	"     coalesce(c.camera, ''), 'reel', coalesce(c.reel, ''), 'scene', coalesce(c.scene, ''),"
	"     'take', coalesce(c.take, ''), 'circled', c.circled, 'start_tc', coalesce(c.start_tc, ''),"
	"     'frames', c.duration_frames, 'fps_num', c.fps_num, 'fps_den', c.fps_den,"
	"     'codec', coalesce(c.codec, ''), 'width', c.width, 'height', c.height,"
	"     'camera_metadata', (SELECT jsonb_strip_nulls(jsonb_build_object('camera_model',"
	"        nullif(trim(coalesce(m.camera_make, '') || ' ' || coalesce(m.camera_model, '')), ''),"
	"        'camera_serial', m.camera_serial, 'lens', m.lens)) || m.camera_settings"
	"        FROM clip_media m WHERE m.clip_id = c.id),"
	"     'qc', (SELECT coalesce(string_agg(q.kind || ' (' || q.severity || ')', ', '"
	"        ORDER BY q.start_frame), '') FROM qc_flags q WHERE q.clip_id = c.id),"
	"     'thumbs', (SELECT coalesce(json_agg(json_build_object('path', t.rel_path, 'w', t.width,"
	"        'h', t.height) ORDER BY array_position(ARRAY[1, 0, 8], t.n)), '[]')"
	"        FROM clip_thumbnails t WHERE t.clip_id = c.id AND t.n IN (0, 1, 8)))"
	"     ORDER BY c.name), '[]') FROM clips c WHERE c.card_id = $1),"
	"  'files', (SELECT coalesce(json_agg(json_build_object('path', f.rel_path, 'size', f.size,"
	"     'role', f.role, 'clip', coalesce(f.clip, ''), 'hashes', (SELECT coalesce("
	"        json_object_agg(h.algorithm, h.value ORDER BY h.algorithm), '{}') FROM hashes h"
	"        WHERE h.file_id = f.id)) ORDER BY f.rel_path), '[]') FROM f),"
	"  'copies', (SELECT coalesce(json_agg(g ORDER BY g->'volume'->>'name', g->>'path'), '[]')"
	"     FROM (SELECT json_build_object('volume', json_build_object('name', cp.volume,"
	"        'kind', cp.media), 'path', cp.folder, 'folder', cp.volume || ': ' || cp.folder,"
	"        'files', json_agg(json_build_object('path', cp.file, 'state', cp.state,"
	"           'verified_at', coalesce(to_char(cp.verified_at AT TIME ZONE 'UTC',"
	"              'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ''), 'error', coalesce(cp.error, ''))"
	"           ORDER BY cp.file)) AS g"
	"        FROM cp GROUP BY cp.volume_id, cp.volume, cp.media, cp.folder) x),"
	"  'run', json_build_object("
	"     'registered', (SELECT to_char(created_at AT TIME ZONE 'UTC',"
	"        'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM k),"
	"     'last_check', coalesce((SELECT to_char(max(v.checked_at) AT TIME ZONE 'UTC',"
	"        'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM verifications v JOIN cp ON cp.id = v.copy_id), ''),"
	"     'operator', coalesce((SELECT string_agg(DISTINCT e.actor, ', ') FROM events e"
	"        WHERE e.kind = 'offload.registered' AND e.subject_type = 'card'"
	"        AND e.subject_id = $1), ''),"
	"     'algorithms', (SELECT coalesce(json_agg(DISTINCT h.algorithm), '[]') FROM hashes h"
	"        JOIN f ON f.id = h.file_id))"
	" )::text WHERE EXISTS (SELECT 1 FROM k)", 1 };

/* Thumbnail paths are relative to the data folder; the renderers want them whole. */
static void
card_thumbs(json_t *sheet, const char *data_dir)
{
	json_t *clip, *t;
	size_t i, j;

	json_array_foreach(json_object_get(sheet, "clips"), i, clip)
		json_array_foreach(json_object_get(clip, "thumbs"), j, t) {
			char path[4096];
			snprintf(path, sizeof(path), "%s/%s", data_dir,
			    json_string_value(json_object_get(t, "path")));
			json_object_set_new(t, "path", json_string(path));
		}
}

int
report_card_load(struct db_conn *c, long long card_id, const char *data_dir, json_t **doc,
    struct err *err)
{
	char host[128] = "";
	struct db_params p = { 0 };
	json_error_t je;
	json_t *sheet, *why, *run;
	PGresult *r;
	bool safe;
	int rc;

	*doc = NULL;
	db_param_ll(&p, card_id);
	if ((rc = db_query(c, &stmt_card, p.v, &r, err)) < 0)
		return rc;
	if (rc == 0) {
		PQclear(r);
		return err_set(err, SP_ENOTFOUND, "card %lld not found", card_id);
	}
	sheet = json_loads(PQgetvalue(r, 0, 0), 0, &je);
	PQclear(r);
	if (sheet == NULL)
		return err_set(err, SP_EINTERNAL, "report: card %lld: %s", card_id, je.text);
	if ((rc = clipstate_card_safe(c, card_id, &safe, &why, err)) < 0) {
		json_decref(sheet);
		return rc;
	}
	json_object_set_new(sheet, "verdict", json_pack("{s:b,s:o}", "safe_to_format", safe,
	    "why_not", why));
	card_thumbs(sheet, data_dir);
	gethostname(host, sizeof(host) - 1);
	run = json_object_get(sheet, "run");
	json_object_set_new(run, "host", json_string(host));
	json_object_set_new(run, "version", json_string(SETPOST_VERSION));
	rc = report_offload_document(sheet, doc, err);
	json_decref(sheet);
	return rc;
}
