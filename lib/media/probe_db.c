/* probe_db: a clip's probe results in the database (clip_media, and the clip's own columns),
 * stored and loaded (see probe.h). */
#include "lib/media/probe.h"
#include "lib/media/probe_int.h"
#include "lib/store/params.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROBE_COLUMNS "status, decodable, vendor_tool, container, container_long, codec," \
	" codec_long, codec_tag, profile, pix_fmt, bit_depth, field_order, width, height, sar_num," \
	" sar_den, fps_num, fps_den, duration_frames, duration_seconds, bit_rate, start_tc," \
	" drop_frame, reel, video_streams, audio_streams, audio_channels, audio_sample_rate," \
	" audio_codec, camera_make, camera_model, camera_serial, lens, first_frame_number, tags," \
	" vendor, camera_settings"

static const struct db_stmt stmt_store = { "probe_store",
	"INSERT INTO clip_media (clip_id, file_id, " PROBE_COLUMNS ", error, probed_at)"
	" VALUES ($1, $2, $3, $4::bool, $5, $6, $7, $8, $9, $10, $11, $12, $13::int, $14,"
	" $15::int, $16::int, $17::int, $18::int, $19::int, $20::int, $21::bigint,"
	" $22::double precision, $23::bigint, $24, $25::bool, $26, $27::int, $28::int, $29::int,"
	" $30::int, $31, $32, $33, $34, $35, $36::bigint, $37::jsonb, $38::jsonb, $39::jsonb, NULL, now())"
	" ON CONFLICT (clip_id) DO UPDATE SET (file_id, " PROBE_COLUMNS ", error, probed_at) ="
	" (EXCLUDED.file_id, EXCLUDED.status, EXCLUDED.decodable, EXCLUDED.vendor_tool,"
	" EXCLUDED.container, EXCLUDED.container_long, EXCLUDED.codec, EXCLUDED.codec_long,"
	" EXCLUDED.codec_tag, EXCLUDED.profile, EXCLUDED.pix_fmt, EXCLUDED.bit_depth,"
	" EXCLUDED.field_order, EXCLUDED.width, EXCLUDED.height, EXCLUDED.sar_num,"
	" EXCLUDED.sar_den, EXCLUDED.fps_num, EXCLUDED.fps_den, EXCLUDED.duration_frames,"
	" EXCLUDED.duration_seconds, EXCLUDED.bit_rate, EXCLUDED.start_tc, EXCLUDED.drop_frame,"
	" EXCLUDED.reel, EXCLUDED.video_streams, EXCLUDED.audio_streams, EXCLUDED.audio_channels,"
	" EXCLUDED.audio_sample_rate, EXCLUDED.audio_codec, EXCLUDED.camera_make,"
	" EXCLUDED.camera_model, EXCLUDED.camera_serial, EXCLUDED.lens,"
	" EXCLUDED.first_frame_number, EXCLUDED.tags, EXCLUDED.vendor, EXCLUDED.camera_settings, NULL, now())", 39 };

/* The clip's own columns: what the file says wins over what registration guessed, except
 * that a missing value never erases a known one. */
static const struct db_stmt stmt_clip = { "probe_clip",
	"UPDATE clips SET codec = coalesce($2, codec), width = coalesce($3::int, width),"
	" height = coalesce($4::int, height), fps_num = coalesce($5::int, fps_num),"
	" fps_den = coalesce($6::int, fps_den),"
	" duration_frames = coalesce($7::bigint, duration_frames),"
	" start_tc = coalesce($8, start_tc), reel = coalesce($9, reel), updated_at = now(),"
	" recorded_at_source = CASE WHEN recorded_at IS NULL THEN $11 ELSE recorded_at_source END,"
	" recorded_at = coalesce(recorded_at, $10::timestamp)"
	" WHERE id = $1", 11 };

static const struct db_stmt stmt_fail = { "probe_fail",
	"INSERT INTO clip_media (clip_id, file_id, status, decodable, error, probed_at)"
	" VALUES ($1, $2, 'failed', false, $3, now())"
	" ON CONFLICT (clip_id) DO UPDATE SET file_id = EXCLUDED.file_id, status = 'failed',"
	" decodable = false, error = EXCLUDED.error, probed_at = now()", 3 };

static const char *
probe_num(char *buf, size_t len, long long v, bool keep_zero)
{
	if (v < 0 || (v == 0 && !keep_zero))
		return NULL;
	snprintf(buf, len, "%lld", v);
	return buf;
}

static const char *
probe_nz(const char *s)
{
	return s && *s ? s : NULL;
}

int
probe_store(struct db_conn *c, long long clip_id, long long file_id, const struct probe *p,
    struct err *err)
{
	char n[24][24], dur[32];
	char *tags = json_dumps(p->tags, JSON_COMPACT), *vendor = json_dumps(p->vendor, JSON_COMPACT);
	char *camera = p->camera ? json_dumps(p->camera, JSON_COMPACT) : NULL;
	int rc;

	snprintf(dur, sizeof(dur), "%.6f", p->duration);
	const char *v[39] = { probe_num(n[0], 24, clip_id, false),
		probe_num(n[1], 24, file_id, false), p->status, p->decodable ? "true" : "false",
		probe_nz(p->vendor_tool), probe_nz(p->container), probe_nz(p->container_long),
		probe_nz(p->codec), probe_nz(p->codec_long), probe_nz(p->codec_tag),
		probe_nz(p->profile), probe_nz(p->pix_fmt), probe_num(n[2], 24, p->bit_depth, false),
		probe_nz(p->field_order), probe_num(n[3], 24, p->width, false),
		probe_num(n[4], 24, p->height, false), probe_num(n[5], 24, p->sar_num, false),
		probe_num(n[6], 24, p->sar_den, false), probe_num(n[7], 24, p->fps_num, false),
		probe_num(n[8], 24, p->fps_den, false), probe_num(n[9], 24, p->duration_frames, true),
		p->duration > 0 ? dur : NULL, probe_num(n[10], 24, p->bit_rate, false),
		probe_nz(p->start_tc), p->drop_frame ? "true" : "false", probe_nz(p->reel),
		probe_num(n[11], 24, p->video_streams, true), probe_num(n[12], 24, p->audio_streams, true),
		probe_num(n[13], 24, p->audio_channels, true),
		probe_num(n[14], 24, p->audio_sample_rate, false), probe_nz(p->audio_codec),
		probe_nz(p->make), probe_nz(p->model), probe_nz(p->serial), probe_nz(p->lens),
		probe_num(n[15], 24, p->first_frame_number, true), tags, vendor,
		camera ? camera : "{}" };
	rc = db_query(c, &stmt_store, v, NULL, err);
	free(tags);
	free(vendor);
	free(camera);
	if (rc < 0)
		return rc;
	const char *cv[11] = { v[0], p->video_streams ? probe_nz(p->codec) : NULL, v[14], v[15],
		v[18], v[19], v[20], v[23], v[25], probe_nz(p->recorded_at),
		p->recorded_at[0] ? probe_nz(p->recorded_at_source) : NULL };
	return (rc = db_query(c, &stmt_clip, cv, NULL, err)) < 0 ? rc : 0;
}

int
probe_store_failure(struct db_conn *c, long long clip_id, long long file_id,
    const char *message, struct err *err)
{
	struct db_params q = { 0 };
	int rc;

	db_param_ll(&q, clip_id);
	db_param_ll_if(&q, file_id > 0, file_id);
	db_param_str(&q, message);
	return (rc = db_query(c, &stmt_fail, q.v, NULL, err)) < 0 ? rc : 0;
}

static const struct db_stmt stmt_load = { "probe_load",
	"SELECT " PROBE_COLUMNS " FROM clip_media WHERE clip_id = $1 AND status <> 'failed'", 1 };

static void
probe_row_strings(struct probe *p, const PGresult *r)
{
	probe_copy(p->status, sizeof(p->status), db_val(r, 0, 0));
	probe_copy(p->vendor_tool, sizeof(p->vendor_tool), db_val(r, 0, 2));
	probe_copy(p->container, sizeof(p->container), db_val(r, 0, 3));
	probe_copy(p->container_long, sizeof(p->container_long), db_val(r, 0, 4));
	probe_copy(p->codec, sizeof(p->codec), db_val(r, 0, 5));
	probe_copy(p->codec_long, sizeof(p->codec_long), db_val(r, 0, 6));
	probe_copy(p->codec_tag, sizeof(p->codec_tag), db_val(r, 0, 7));
	probe_copy(p->profile, sizeof(p->profile), db_val(r, 0, 8));
	probe_copy(p->pix_fmt, sizeof(p->pix_fmt), db_val(r, 0, 9));
	probe_copy(p->field_order, sizeof(p->field_order), db_val(r, 0, 11));
	probe_copy(p->start_tc, sizeof(p->start_tc), db_val(r, 0, 21));
	probe_copy(p->reel, sizeof(p->reel), db_val(r, 0, 23));
	probe_copy(p->audio_codec, sizeof(p->audio_codec), db_val(r, 0, 28));
	probe_copy(p->make, sizeof(p->make), db_val(r, 0, 29));
	probe_copy(p->model, sizeof(p->model), db_val(r, 0, 30));
	probe_copy(p->serial, sizeof(p->serial), db_val(r, 0, 31));
	probe_copy(p->lens, sizeof(p->lens), db_val(r, 0, 32));
}

int
probe_load(struct db_conn *c, long long clip_id, struct probe *p, struct err *err)
{
	struct db_params q = { 0 };
	PGresult *r;
	int rc;

	db_param_ll(&q, clip_id);
	if ((rc = db_query(c, &stmt_load, q.v, &r, err)) < 0)
		return rc;
	if (rc == 0) {
		PQclear(r);
		return err_set(err, SP_ENOTFOUND, "clip %lld has no probe results", clip_id);
	}
	probe_row_strings(p, r);
	p->decodable = db_bool(r, 0, 1);
	p->bit_depth = (int)db_ll(r, 0, 10);
	p->width = (int)db_ll(r, 0, 12);
	p->height = (int)db_ll(r, 0, 13);
	p->sar_num = db_val(r, 0, 14) ? (int)db_ll(r, 0, 14) : 1;
	p->sar_den = db_val(r, 0, 15) ? (int)db_ll(r, 0, 15) : 1;
	p->fps_num = (unsigned)db_ll(r, 0, 16);
	p->fps_den = (unsigned)db_ll(r, 0, 17);
	p->duration_frames = db_val(r, 0, 18) ? db_ll(r, 0, 18) : -1;
	p->duration = db_val(r, 0, 19) ? strtod(db_val(r, 0, 19), NULL) : 0;
	p->bit_rate = db_ll(r, 0, 20);
	p->drop_frame = db_bool(r, 0, 22);
	p->video_streams = (int)db_ll(r, 0, 24);
	p->audio_streams = (int)db_ll(r, 0, 25);
	p->audio_channels = (int)db_ll(r, 0, 26);
	p->audio_sample_rate = (int)db_ll(r, 0, 27);
	p->first_frame_number = db_val(r, 0, 33) ? db_ll(r, 0, 33) : -1;
	json_decref(p->tags);
	json_decref(p->vendor);
	json_decref(p->camera);
	p->tags = json_loads(db_val(r, 0, 34) ? db_val(r, 0, 34) : "{}", 0, NULL);
	p->vendor = json_loads(db_val(r, 0, 35) ? db_val(r, 0, 35) : "{}", 0, NULL);
	p->camera = json_loads(db_val(r, 0, 36) ? db_val(r, 0, 36) : "{}", 0, NULL);
	PQclear(r);
	return 0;
}
