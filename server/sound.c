/* sound: the production sound matched to picture (lib/soundsync). A day's matches and the
 * picture clips nothing covers; the DIT's correction of one clip, and going back to the
 * automatic match. */
#include "http.h"
#include "lib/core/json.h"
#include "lib/pipeline/soundsync_db.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct db_stmt stmt_day = { "sound_day",
	"SELECT json_build_object('day_id', d.id,"
	" 'sound_clips', (SELECT count(*) FROM clips c JOIN cards k ON k.id = c.card_id"
	"  WHERE k.day_id = d.id AND k.kind = 'sound'),"
	" 'matches', (SELECT coalesce(json_agg(json_build_object('clip_id', c.id, 'clip', c.name,"
	"  'start_tc', c.start_tc, 'sound_clip_id', s.sound_clip_id, 'sound', sc.name,"
	"  'sound_start_tc', sc.start_tc, 'offset_frames', s.offset_frames, 'method', s.method,"
	"  'updated_at', s.updated_at) ORDER BY c.name, c.id), '[]') FROM clips c"
	"  JOIN cards k ON k.id = c.card_id JOIN clip_sound s ON s.clip_id = c.id"
	"  JOIN clips sc ON sc.id = s.sound_clip_id WHERE k.day_id = d.id AND s.method <> 'ambiguous'),"
	" 'ambiguous', (SELECT coalesce(json_agg(json_build_object('clip_id', c.id, 'clip', c.name,"
	"  'camera', coalesce(nullif(c.camera, ''), nullif(k.camera, ''), k.label),"
	"  'start_tc', c.start_tc, 'sound_clip_id', s.sound_clip_id, 'sound', sc.name,"
	"  'offset_frames', s.offset_frames, 'reason', 'its timecode overlaps another clip of the'"
	"  || ' same camera pointing to the same sound take: the timecode is not the time of day;'"
	"  || ' pick its sound by hand (PUT /api/v1/clips/' || c.id || '/sound)')"
	"  ORDER BY c.name, c.id), '[]') FROM clips c JOIN cards k ON k.id = c.card_id"
	"  JOIN clip_sound s ON s.clip_id = c.id JOIN clips sc ON sc.id = s.sound_clip_id"
	"  WHERE k.day_id = d.id AND s.method = 'ambiguous'),"
	" 'unmatched', (SELECT coalesce(json_agg(json_build_object('clip_id', c.id, 'clip', c.name,"
	"  'start_tc', c.start_tc, 'method', s.method, 'reason', CASE"
	"  WHEN s.method = 'manual' THEN 'no sound (set by hand: MOS)'"
	"  WHEN s.method = 'none' THEN 'no sound clip covers its timecode at its rate'"
	"  WHEN c.start_tc IS NULL OR c.fps_num IS NULL THEN 'no timecode or frame rate yet'"
	"  ELSE 'not matched yet' END) ORDER BY c.name, c.id), '[]') FROM clips c"
	"  JOIN cards k ON k.id = c.card_id LEFT JOIN clip_sound s ON s.clip_id = c.id"
	"  WHERE k.day_id = d.id AND k.kind <> 'sound' AND s.sound_clip_id IS NULL))::text"
	" FROM days d WHERE d.id = $1", 1 };
static const struct db_stmt stmt_clip = { "sound_clip",
	"SELECT json_build_object('clip_id', s.sound_clip_id, 'name', sc.name, 'offset_frames',"
	" s.offset_frames, 'method', s.method)::text FROM clips c LEFT JOIN clip_sound s"
	" ON s.clip_id = c.id LEFT JOIN clips sc ON sc.id = s.sound_clip_id WHERE c.id = $1", 1 };

enum MHD_Result
days_sound(struct request *req)
{
	long long id;

	if (!request_param_id(req, 0, &id))
		return MHD_YES;
	return reply_row(req, 200, &stmt_day, req->params[0], "day");
}

struct sound_arg {
	long long clip, sound, offset;
	const char *actor;
	bool has_offset;
};

static int
sound_put_tx(struct db_conn *c, void *arg, struct err *err)
{
	struct sound_arg *a = arg;

	return soundsync_set_manual(c, a->clip, a->sound, a->has_offset ? &a->offset : NULL,
	    a->actor, err);
}

static int
sound_delete_tx(struct db_conn *c, void *arg, struct err *err)
{
	struct sound_arg *a = arg;

	return soundsync_rematch(c, a->clip, a->actor, err);
}

enum MHD_Result
clips_sound_put(struct request *req)
{
	static const char *const fields[] = { "sound_clip_id", "offset_frames", NULL };
	struct sound_arg a = { 0, 0, 0, req->who.name, false };
	struct err err;
	json_t *s;

	if (!request_param_id(req, 0, &a.clip) || !request_json(req, fields))
		return MHD_YES;
	s = json_object_get(req->json, "sound_clip_id");
	if (s == NULL)
		return reply_error(req, 400, "invalid", "sound_clip_id: required, a sound clip id (or "
		    "null: this clip has no sound)");
	if (!json_is_null(s)) {
		int rc;
		if (!request_field_ok(req, json_get_int(req->json, "sound_clip_id", true, 1, INT64_MAX,
		    &a.sound, &err), &err) ||
		    !request_field_ok(req, rc = json_get_int(req->json, "offset_frames", false, -10000000,
		    10000000, &a.offset, &err), &err))
			return MHD_YES;
		a.has_offset = rc == 0;
	} else if (json_object_get(req->json, "offset_frames")) {
		return reply_error(req, 400, "invalid", "offset_frames: only with a sound_clip_id");
	}
	if (db_tx(req->srv->db, sound_put_tx, &a, &err) < 0)
		return reply_err(req, &err);
	return reply_row(req, 200, &stmt_clip, req->params[0], "clip");
}

enum MHD_Result
clips_sound_delete(struct request *req)
{
	struct sound_arg a = { 0, 0, 0, req->who.name, false };
	struct err err;

	if (!request_param_id(req, 0, &a.clip))
		return MHD_YES;
	if (db_tx(req->srv->db, sound_delete_tx, &a, &err) < 0)
		return reply_err(req, &err);
	return reply_row(req, 200, &stmt_clip, req->params[0], "clip");
}
