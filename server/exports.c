/* exports: what editorial imports beside the dailies. An Avid ALE of a day or of a card (one row
 * per camera clip, in card then clip order), an OpenTimelineIO bin of the day's dailies (one
 * Clip per clip that has a ready rendition, its media reference the download address), and the
 * looks as ASC CDL: a day's .ccc (ids are clip names) and one clip's .cc.
 *
 * The look of a clip is its own (clips.look), else its scene's default (scene_looks), else
 * none. ALE choices: FPS is the rate most of the clips share (Avid takes one per file) and
 * rows keep their own timecode; clips without a known rate or timecode leave Start, End and
 * Duration empty; Circled is "Yes" or empty; Tape is the clip's reel (else the card's reel,
 * else the card's label) and Camroll the card's label; Soundroll is the sound card of the
 * synced recording. `profile` picks which rendition names Source File and the OTIO
 * reference (default: the first ready one by profile name). */
#include "editorial.h"
#include "http.h"
#include "lib/editorial/ale.h"
#include "lib/media/cdl.h"
#include "lib/media/timecode.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* Columns of stmt_clips. */
enum {
	X_NAME, X_SCENE, X_TAKE, X_CIRCLED, X_CAMERA, X_REEL, X_TC, X_FPSN, X_FPSD, X_DUR, X_W, X_H,
	X_CARD, X_CARD_REEL, X_LOOK, X_ACH, X_SOUNDROLL, X_RID, X_RFILE, X_DROP, X_CLIP_ID,
	X_RSIZE, X_RHASH,
};

static const struct db_stmt stmt_clips = { "exports_clips",
	"SELECT c.name, c.scene, c.take, c.circled::text, coalesce(c.camera, k.camera), c.reel,"
	" c.start_tc, c.fps_num, c.fps_den, c.duration_frames, c.width, c.height, k.label, k.reel,"
	" coalesce(c.look, sl.cdl)::text, m.audio_channels, coalesce(sk.reel, sk.label), r.id,"
	" regexp_replace(r.rel_path, '^.*/', ''), coalesce(m.drop_frame, false)::text, c.id,"
	" r.size, r.xxh64"
	" FROM clips c JOIN cards k ON k.id = c.card_id JOIN days d ON d.id = k.day_id"
	" LEFT JOIN scene_looks sl ON sl.production_id = d.production_id AND sl.scene = c.scene"
	" LEFT JOIN clip_media m ON m.clip_id = c.id"
	" LEFT JOIN clip_sound cs ON cs.clip_id = c.id"
	" LEFT JOIN clips sc ON sc.id = cs.sound_clip_id LEFT JOIN cards sk ON sk.id = sc.card_id"
	" LEFT JOIN LATERAL (SELECT r.id, r.rel_path, r.size, r.xxh64 FROM renditions r"
	"  WHERE r.clip_id = c.id AND r.state = 'done' AND ($3::text IS NULL OR r.profile = $3)"
	"  ORDER BY r.profile LIMIT 1) r ON true"
	" WHERE k.kind = 'camera' AND ($1::bigint IS NULL OR k.day_id = $1)"
	" AND ($2::bigint IS NULL OR k.id = $2) AND ($4::bigint IS NULL OR c.id = $4)"
	" ORDER BY k.label, c.name", 4 };

static const struct db_stmt stmt_day = { "exports_day",
	"SELECT shoot_date::text FROM days WHERE id = $1", 1 };
static const struct db_stmt stmt_card = { "exports_card",
	"SELECT d.shoot_date::text || '_' || k.label FROM cards k JOIN days d ON d.id = k.day_id"
	" WHERE k.id = $1", 1 };
static const struct db_stmt stmt_clip = { "exports_clip",
	"SELECT name FROM clips WHERE id = $1", 1 };

/* What a request names: the export's base file name from the row found, and the clips. */
struct exp_set {
	char base[300];
	PGresult *r;
	int n;
};

/* Looks up the subject (stmt, 404 when absent) and loads its clips. p: day, card, profile,
 * clip. Replies itself and returns false on failure. */
static bool
exp_load(struct request *req, const struct db_stmt *subject, const char *what, const char **p,
    int idx, struct exp_set *s)
{
	const char *q[1] = { p[idx] };
	struct err err;
	PGresult *r;
	int n;

	if ((n = db_exec(req->srv->db, subject, q, &r, &err)) < 0)
		return reply_err(req, &err), false;
	if (n == 0) {
		PQclear(r);
		return reply_error(req, 404, "not_found", "%s %s not found", what, q[0]), false;
	}
	snprintf(s->base, sizeof(s->base), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	for (char *c = s->base; *c; c++)
		if (*c == '/' || *c == '\\' || *c == '"' || (unsigned char)*c < 0x20)
			*c = '_';
	if ((s->n = db_exec(req->srv->db, &stmt_clips, p, &s->r, &err)) < 0)
		return reply_err(req, &err), false;
	return true;
}

static enum MHD_Result
exp_reply(struct request *req, const char *type, const char *name, const char *data, size_t len)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)data,
	    MHD_RESPMEM_MUST_COPY);
	char disp[400];

	if (resp == NULL)
		return MHD_NO;
	snprintf(disp, sizeof(disp), "attachment; filename=\"%s\"", name);
	MHD_add_response_header(resp, "Content-Type", type);
	MHD_add_response_header(resp, "Content-Disposition", disp);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	return reply_response(req, 200, resp);
}

/* The clip's rate, when it has one setpost knows. */
static bool
exp_rate(const PGresult *r, int i, struct timecode_rate *rate)
{
	const char *tc = db_val(r, i, X_TC);
	bool drop = strcmp(PQgetvalue(r, i, X_DROP), "true") == 0 || (tc && timecode_label_is_drop(tc));

	if (PQgetisnull(r, i, X_FPSN) || PQgetisnull(r, i, X_FPSD))
		return false;
	return timecode_rate_make((unsigned)strtoul(PQgetvalue(r, i, X_FPSN), NULL, 10),
	    (unsigned)strtoul(PQgetvalue(r, i, X_FPSD), NULL, 10), drop, rate, NULL) == 0 ||
	    timecode_rate_make((unsigned)strtoul(PQgetvalue(r, i, X_FPSN), NULL, 10),
	    (unsigned)strtoul(PQgetvalue(r, i, X_FPSD), NULL, 10), false, rate, NULL) == 0;
}

/* Start and duration in frames at the clip's rate; false when unknown. */
static bool
exp_range(const PGresult *r, int i, struct timecode_rate *rate, int64_t *start, int64_t *dur)
{
	const char *tc = db_val(r, i, X_TC);

	if (!exp_rate(r, i, rate) || tc == NULL || PQgetisnull(r, i, X_DUR))
		return false;
	*dur = strtoll(PQgetvalue(r, i, X_DUR), NULL, 10);
	return timecode_parse(tc, rate, start, NULL) == 0;
}

/* A look as JSON ({"slope":[3],"offset":[3],"power":[3],"sat":s}) into a cdl named id. */
static bool
exp_look(const char *text, const char *id, struct cdl *c)
{
	static const char *const parts[] = { "slope", "offset", "power" };
	json_t *j = text ? json_loads(text, 0, NULL) : NULL;
	double *dst[3];
	bool ok = json_is_object(j);

	cdl_init(c);
	dst[0] = c->slope, dst[1] = c->offset, dst[2] = c->power;
	for (int k = 0; ok && k < 3; k++) {
		json_t *a = json_object_get(j, parts[k]);
		for (size_t x = 0; json_is_array(a) && x < 3 && x < json_array_size(a); x++)
			dst[k][x] = json_number_value(json_array_get(a, x));
	}
	if (ok && json_is_number(json_object_get(j, "sat")))
		c->sat = json_number_value(json_object_get(j, "sat"));
	json_decref(j);
	if (!ok)
		return false;
	snprintf(c->id, sizeof(c->id), "%s", id);
	for (char *s = c->id; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
	return cdl_validate(c, NULL) == 0;
}

/* --- ALE -------------------------------------------------------------------------------- */

static const char *const ale_cols[] = { "Name", "Tracks", "Start", "End", "Duration", "Tape",
	"Source File", "Scene", "Take", "Camroll", "Soundroll", "ASC_SOP", "ASC_SAT", "Circled" };

/* Sets a cell from free text, made safe for a tab-delimited line. */
static int
ale_put(struct ale *ale, size_t row, const char *col, const char *v, struct err *err)
{
	char tmp[1024];

	if (v == NULL)
		return 0;
	snprintf(tmp, sizeof(tmp), "%s", v);
	ale_sanitize(tmp);
	return ale_cell_set(ale, row, col, tmp, err);
}

/* The rate most rows share; 24 when none has one. */
static void
ale_common_rate(const PGresult *r, int n, struct timecode_rate *best)
{
	int bestn = 0;

	timecode_rate_make(24, 1, false, best, NULL);
	for (int i = 0; i < n; i++) {
		struct timecode_rate a, b;
		int count = 0;
		if (!exp_rate(r, i, &a))
			continue;
		for (int k = 0; k < n; k++)
			count += exp_rate(r, k, &b) && b.num == a.num && b.den == a.den && b.drop == a.drop;
		if (count > bestn) {
			bestn = count;
			*best = a;
		}
	}
}

static int
ale_row(struct ale *ale, const PGresult *r, int i, struct err *err)
{
	char tc[TIMECODE_BUFSZ], tracks[32] = "V", sop[ALE_SOP_BUFSZ], sat[ALE_SAT_BUFSZ];
	struct timecode_rate rate;
	int64_t start, dur;
	struct cdl look;
	int row, rc = 0;
	long ach = PQgetisnull(r, i, X_ACH) ? 0 : strtol(PQgetvalue(r, i, X_ACH), NULL, 10);

	if ((row = ale_row_add(ale, err)) < 0)
		return row;
	for (long a = 1; a <= ach && a <= 8; a++)
		snprintf(tracks + strlen(tracks), sizeof(tracks) - strlen(tracks), "A%ld", a);
	rc |= ale_put(ale, (size_t)row, "Name", PQgetvalue(r, i, X_NAME), err);
	rc |= ale_put(ale, (size_t)row, "Tracks", tracks, err);
	if (exp_range(r, i, &rate, &start, &dur)) {
		rc |= timecode_format(&rate, start, tc, err) | ale_cell_set(ale, (size_t)row, "Start",
		    tc, err);
		rc |= timecode_format(&rate, start + dur, tc, err) | ale_cell_set(ale, (size_t)row,
		    "End", tc, err);
		rc |= timecode_format(&rate, dur, tc, err) | ale_cell_set(ale, (size_t)row, "Duration",
		    tc, err);
	}
	rc |= ale_put(ale, (size_t)row, "Tape", db_val(r, i, X_REEL) ? db_val(r, i, X_REEL) :
	    db_val(r, i, X_CARD_REEL) ? db_val(r, i, X_CARD_REEL) : PQgetvalue(r, i, X_CARD), err);
	rc |= ale_put(ale, (size_t)row, "Source File", db_val(r, i, X_RFILE), err);
	rc |= ale_put(ale, (size_t)row, "Scene", db_val(r, i, X_SCENE), err);
	rc |= ale_put(ale, (size_t)row, "Take", db_val(r, i, X_TAKE), err);
	rc |= ale_put(ale, (size_t)row, "Camroll", PQgetvalue(r, i, X_CARD), err);
	rc |= ale_put(ale, (size_t)row, "Soundroll", db_val(r, i, X_SOUNDROLL), err);
	if (exp_look(db_val(r, i, X_LOOK), "", &look) &&
	    ale_sop_format(look.slope, look.offset, look.power, sop, NULL) == 0 &&
	    ale_sat_format(look.sat, sat, NULL) == 0) {
		rc |= ale_cell_set(ale, (size_t)row, "ASC_SOP", sop, err);
		rc |= ale_cell_set(ale, (size_t)row, "ASC_SAT", sat, err);
	}
	if (strcmp(PQgetvalue(r, i, X_CIRCLED), "true") == 0)
		rc |= ale_cell_set(ale, (size_t)row, "Circled", "Yes", err);
	return rc ? SP_EINTERNAL : 0;
}

static int
ale_build(const PGresult *r, int n, char **text, size_t *len, struct err *err)
{
	struct ale ale = ALE_INIT;
	struct timecode_rate rate;
	unsigned w = 0, h = 0;
	FILE *f;
	int rc = 0;

	*text = NULL;
	ale_common_rate(r, n, &rate);
	for (int i = 0; i < n && w == 0; i++)
		if (!PQgetisnull(r, i, X_W) && !PQgetisnull(r, i, X_H)) {
			w = (unsigned)strtoul(PQgetvalue(r, i, X_W), NULL, 10);
			h = (unsigned)strtoul(PQgetvalue(r, i, X_H), NULL, 10);
		}
	if ((rc = ale_heading_standard(&ale, w, h, 0, &rate, err)) < 0)
		goto out;
	for (size_t c = 0; c < sizeof(ale_cols) / sizeof(ale_cols[0]); c++)
		if ((rc = ale_column_add(&ale, ale_cols[c], err)) < 0)
			goto out;
	for (int i = 0; i < n; i++)
		if ((rc = ale_row(&ale, r, i, err)) < 0)
			goto out;
	if ((f = open_memstream(text, len)) == NULL) {
		rc = err_set(err, SP_ENOMEM, "out of memory");
		goto out;
	}
	rc = ale_write(&ale, f, ALE_EOL_CRLF, err);
	if (fclose(f) != 0 && rc == 0)
		rc = err_set(err, SP_ENOMEM, "out of memory");
out:
	ale_release(&ale);
	if (rc < 0) {
		free(*text);
		*text = NULL;
	}
	return rc < 0 ? rc : 0;
}

static enum MHD_Result
ale_send(struct request *req, const struct db_stmt *subject, const char *what, const char **p,
    int idx)
{
	struct exp_set s;
	struct err err;
	char *text, name[320];
	size_t len;
	enum MHD_Result res;

	if (!exp_load(req, subject, what, p, idx, &s))
		return MHD_YES;
	if (ale_build(s.r, s.n, &text, &len, &err) < 0) {
		PQclear(s.r);
		return reply_err(req, &err);
	}
	PQclear(s.r);
	snprintf(name, sizeof(name), "%s.ale", s.base);
	res = exp_reply(req, "text/plain; charset=utf-8", name, text, len);
	free(text);
	return res;
}

enum MHD_Result
days_ale_get(struct request *req)
{
	const char *p[4] = { req->params[0], NULL, request_query(req, "profile"), NULL };
	long long id;

	if (!request_param_id(req, 0, &id))
		return MHD_YES;
	return ale_send(req, &stmt_day, "day", p, 0);
}

enum MHD_Result
cards_ale_get(struct request *req)
{
	const char *p[4] = { NULL, req->params[0], request_query(req, "profile"), NULL };
	long long id;

	if (!request_param_id(req, 0, &id))
		return MHD_YES;
	return ale_send(req, &stmt_card, "card", p, 1);
}

/* --- OpenTimelineIO ---------------------------------------------------------------------- */

static json_t *
otio_time(double value, double rate)
{
	return json_pack("{s:s,s:f,s:f}", "OTIO_SCHEMA", "RationalTime.1", "rate", rate, "value",
	    value);
}

/* The absolute address of path on this server, from the request's Host. */
static void
otio_url(struct request *req, const char *path, char *out, size_t len)
{
	const char *host = request_header(req, "Host");

	if (host && strpbrk(host, "/\\ \"") == NULL)
		snprintf(out, len, "%s://%s%s", req->srv->tls ? "https" : "http", host, path);
	else
		snprintf(out, len, "%s", path);
}

static json_t *
otio_clip(struct request *req, const PGresult *r, int i)
{
	char path[64], url[600];
	struct timecode_rate rate;
	int64_t start, dur;
	struct cdl look;
	json_t *ref, *clip, *meta;

	snprintf(path, sizeof(path), "/api/v1/renditions/%s/file", PQgetvalue(r, i, X_RID));
	otio_url(req, path, url, sizeof(url));
	ref = json_pack("{s:s,s:{},s:s,s:n,s:s}", "OTIO_SCHEMA", "ExternalReference.1", "metadata",
	    "name", PQgetvalue(r, i, X_RFILE), "available_image_bounds", "target_url", url);
	if (exp_range(r, i, &rate, &start, &dur)) {
		double fps = (double)rate.num / rate.den;
		json_object_set_new(ref, "available_range", json_pack("{s:s,s:o,s:o}", "OTIO_SCHEMA",
		    "TimeRange.1", "duration", otio_time((double)dur, fps), "start_time",
		    otio_time((double)start, fps)));
	} else {
		json_object_set_new(ref, "available_range", json_null());
	}
	meta = json_pack("{s:I,s:s?,s:s?,s:b,s:s?,s:s?,s:s,s:s?,s:I,s:s}", "clip_id",
	    (json_int_t)strtoll(PQgetvalue(r, i, X_CLIP_ID), NULL, 10), "scene",
	    db_val(r, i, X_SCENE), "take", db_val(r, i, X_TAKE), "circled",
	    strcmp(PQgetvalue(r, i, X_CIRCLED), "true") == 0, "camera", db_val(r, i, X_CAMERA),
	    "reel", db_val(r, i, X_REEL), "card", PQgetvalue(r, i, X_CARD), "start_tc",
	    db_val(r, i, X_TC), "size", (json_int_t)strtoll(PQgetvalue(r, i, X_RSIZE), NULL, 10),
	    "xxh64", PQgetvalue(r, i, X_RHASH));
	clip = json_pack("{s:s,s:{s:o},s:s,s:n,s:[],s:[],s:b,s:{s:o},s:s}", "OTIO_SCHEMA", "Clip.2",
	    "metadata", "setpost", meta, "name", PQgetvalue(r, i, X_NAME), "source_range", "effects",
	    "markers", "enabled", 1, "media_references", "DEFAULT_MEDIA", ref,
	    "active_media_reference_key", "DEFAULT_MEDIA");
	/* The same keys OTIO's ALE adapter uses, so Resolve and friends find the look. */
	if (exp_look(db_val(r, i, X_LOOK), "", &look))
		json_object_set_new(json_object_get(clip, "metadata"), "cdl", json_pack(
		    "{s:{s:[fff],s:[fff],s:[fff]},s:f}", "asc_sop", "slope", look.slope[0],
		    look.slope[1], look.slope[2], "offset", look.offset[0], look.offset[1],
		    look.offset[2], "power", look.power[0], look.power[1], look.power[2], "asc_sat",
		    look.sat));
	return clip;
}

enum MHD_Result
days_otio_get(struct request *req)
{
	const char *p[4] = { req->params[0], NULL, request_query(req, "profile"), NULL };
	struct exp_set s;
	json_t *bin, *children;
	char name[320], *text;
	enum MHD_Result res;
	long long id;

	if (!request_param_id(req, 0, &id) || !exp_load(req, &stmt_day, "day", p, 0, &s))
		return MHD_YES;
	children = json_array();
	for (int i = 0; i < s.n; i++)
		if (!PQgetisnull(s.r, i, X_RID))
			json_array_append_new(children, otio_clip(req, s.r, i));
	PQclear(s.r);
	bin = json_pack("{s:s,s:{},s:s,s:o}", "OTIO_SCHEMA", "SerializableCollection.1", "metadata",
	    "name", s.base, "children", children);
	text = json_dumps(bin, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
	json_decref(bin);
	if (text == NULL)
		return MHD_NO;
	snprintf(name, sizeof(name), "%s.otio", s.base);
	res = exp_reply(req, "application/json", name, text, strlen(text));
	free(text);
	return res;
}

/* --- CDL --------------------------------------------------------------------------------- */

static enum MHD_Result
cdl_send(struct request *req, const PGresult *r, int n, bool one, const char *base)
{
	struct cdl *v = calloc((size_t)n + 1, sizeof(*v));
	char *text = NULL, name[320];
	size_t m = 0, len;
	struct err err;
	enum MHD_Result res;
	int rc;

	if (v == NULL)
		return MHD_NO;
	for (int i = 0; i < n; i++)
		if (exp_look(db_val(r, i, X_LOOK), PQgetvalue(r, i, X_NAME), &v[m]))
			m++;
	if (one && m == 0) {
		free(v);
		return reply_error(req, 404, "not_found", "clip %s has no look (its own or its scene's)",
		    base);
	}
	rc = one ? cdl_write_cc(&v[0], &text, &len, &err) : cdl_write_ccc(v, m, &text, &len, &err);
	free(v);
	if (rc < 0)
		return reply_err(req, &err);
	snprintf(name, sizeof(name), "%s.%s", base, one ? "cc" : "ccc");
	res = exp_reply(req, "application/xml", name, text, len);
	free(text);
	return res;
}

enum MHD_Result
days_ccc_get(struct request *req)
{
	const char *p[4] = { req->params[0], NULL, NULL, NULL };
	struct exp_set s;
	enum MHD_Result res;
	long long id;

	if (!request_param_id(req, 0, &id) || !exp_load(req, &stmt_day, "day", p, 0, &s))
		return MHD_YES;
	res = cdl_send(req, s.r, s.n, false, s.base);
	PQclear(s.r);
	return res;
}

enum MHD_Result
clips_cc_get(struct request *req)
{
	const char *p[4] = { NULL, NULL, NULL, req->params[0] };
	struct exp_set s;
	enum MHD_Result res;
	long long id;

	if (!request_param_id(req, 0, &id) || !exp_load(req, &stmt_clip, "clip", p, 3, &s))
		return MHD_YES;
	res = cdl_send(req, s.r, s.n, true, s.base);
	PQclear(s.r);
	return res;
}
