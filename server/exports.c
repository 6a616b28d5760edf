/* exports: what editorial imports beside the dailies. Avid ALEs of a day or of a card (one row
 * per camera clip, in card then clip order), an OpenTimelineIO bin of the day's dailies (one
 * Clip per clip that has a ready rendition, its media reference the download address), and the
 * looks as ASC CDL: a day's .ccc (ids are clip names) and one clip's .cc.
 *
 * The look of a clip is its own (clips.look), else its scene's default (scene_looks), else
 * none. One profile names the media: `?profile=`, else the production's editorial_profile,
 * else its first active one (profile_editorial), never "whichever is done first", so the same
 * request names the same files all day; a clip whose proxy of that profile is not done yet
 * has an empty Source File and is counted in the answer's X-Setpost-Proxies-Missing header
 * and named in the index (GET /days/{id}/ales).
 *
 * ALE choices: Avid applies the heading's FPS to every row, so a file holds one rate: a day
 * shot at several rates has one ALE per rate (`?rate=23.976`, `29.97DF`; without it such a
 * day answers 409 naming them) and the index lists them, named <day>_<rate>.ale; a day at one
 * rate keeps <day>.ale. Clips of no known rate go with the rate most clips share (their
 * timecode columns stay empty). Drop-frame labels (';') appear only in a drop-frame file.
 * VIDEO_FORMAT and AUDIO_FORMAT describe the proxy Source File names (its size as the
 * profile makes it from the camera picture; its sample rate), not the camera file.
 * Circled is "Yes" or empty; Tape is the clip's reel (else the card's reel, else the card's
 * label) and Camroll the card's label; Soundroll is the sound card of the synced recording. */
#include "editorial.h"
#include "http.h"
#include "lib/editorial/ale.h"
#include "lib/media/camera.h"
#include "lib/media/cdl.h"
#include "lib/media/look.h"
#include "lib/media/profile.h"
#include "lib/media/timecode.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* Columns of stmt_clips. */
enum {
	X_NAME, X_SCENE, X_TAKE, X_CIRCLED, X_CAMERA, X_REEL, X_TC, X_FPSN, X_FPSD, X_DUR, X_W, X_H,
	X_CARD, X_CARD_REEL, X_LOOK, X_ACH, X_SOUNDROLL, X_RID, X_RFILE, X_DROP, X_CLIP_ID,
	X_RSIZE, X_RHASH, X_SARN, X_SARD, X_ARATE, X_CARD_ID, X_SHOW, X_DAY, X_LOOK_ID, X_LOOK_FROM,
	X_HAS_LUT, X_CAMSET,
};

static const struct db_stmt stmt_clips = { "exports_clips",
	"SELECT c.name, c.scene, c.take, c.circled::text, coalesce(c.camera, k.camera), c.reel,"
	" c.start_tc, c.fps_num, c.fps_den, c.duration_frames, c.width, c.height, k.label, k.reel,"
	" coalesce(nullif(c.look, 'null'), sl.cdl)::text, m.audio_channels, coalesce(sk.reel, sk.label), r.id,"
	" regexp_replace(r.rel_path, '^.*/', ''), coalesce(m.drop_frame, false)::text, c.id,"
	" r.size, r.xxh64, m.sar_num, m.sar_den, m.audio_sample_rate, k.id, p.name, d.shoot_date::text,"
	"  coalesce(nullif(c.look, 'null'), sl.cdl) ->> 'id',"
	" CASE WHEN nullif(c.look, 'null') IS NOT NULL THEN 'clip' ELSE 'scene' END,"
	" (coalesce(d.lut_id, p.show_lut_id) IS NOT NULL)::text, m.camera_settings::text"
	" FROM clips c JOIN cards k ON k.id = c.card_id JOIN days d ON d.id = k.day_id"
	" JOIN productions p ON p.id = d.production_id"
	" LEFT JOIN scene_looks sl ON sl.production_id = d.production_id AND sl.scene = c.scene"
	" LEFT JOIN clip_media m ON m.clip_id = c.id"
	" LEFT JOIN clip_sound cs ON cs.clip_id = c.id AND cs.method <> 'ambiguous'"
	" LEFT JOIN clips sc ON sc.id = cs.sound_clip_id LEFT JOIN cards sk ON sk.id = sc.card_id"
	" LEFT JOIN LATERAL (SELECT r.id, r.rel_path, r.size, r.xxh64 FROM renditions r"
	"  WHERE r.clip_id = c.id AND r.state = 'done' AND ($3::text IS NULL OR r.profile = $3)"
	"  ORDER BY r.profile LIMIT 1) r ON true"
	" WHERE k.kind = 'camera' AND ($1::bigint IS NULL OR k.day_id = $1)"
	" AND ($2::bigint IS NULL OR k.id = $2) AND ($4::bigint IS NULL OR c.id = $4)"
	" ORDER BY k.label, c.name", 4 };

static const struct db_stmt stmt_day = { "exports_day",
	"SELECT d.shoot_date::text, p.settings::text FROM days d"
	" JOIN productions p ON p.id = d.production_id WHERE d.id = $1", 1 };
static const struct db_stmt stmt_card = { "exports_card",
	"SELECT d.shoot_date::text || '_' || k.label, p.settings::text FROM cards k"
	" JOIN days d ON d.id = k.day_id JOIN productions p ON p.id = d.production_id"
	" WHERE k.id = $1", 1 };
static const struct db_stmt stmt_clip = { "exports_clip",
	"SELECT c.name, p.settings::text FROM clips c JOIN cards k ON k.id = c.card_id"
	" JOIN days d ON d.id = k.day_id JOIN productions p ON p.id = d.production_id"
	" WHERE c.id = $1", 1 };

/* What a request names: the export's base file name from the row found, the profile that
 * names the media, and the clips. */
struct exp_set {
	char base[300];
	struct profile prof;
	PGresult *r;
	int n;
};

/* The profile a request names (p[2], replaced by the chosen name), else the production's
 * editorial one. Replies itself and returns false on failure. */
static bool
exp_profile(struct request *req, const char *settings_text, const char **p, struct profile *out)
{
	json_t *settings = json_loads(settings_text, 0, NULL);
	struct profile_set all;
	struct err err;
	int rc, k = -1;

	rc = profile_editorial(settings, out, &err);
	if (rc == 0 && p[2] != NULL && (rc = profile_load(settings, &all, NULL, &err)) == 0) {
		for (int i = 0; i < all.n && k < 0; i++)
			if (strcmp(all.v[i].name, p[2]) == 0)
				k = i;
		if (k >= 0) {
			*out = all.v[k];
			out->burnin = NULL;
		}
		profile_set_release(&all);
		if (k < 0) {
			json_decref(settings);
			return reply_error(req, 400, "invalid", "profile: no profile named %.60s in this"
			    " production", p[2]), false;
		}
	}
	json_decref(settings);
	if (rc < 0)
		return reply_err(req, &err), false;
	p[2] = out->name;
	return true;
}

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
	if (!exp_profile(req, PQgetvalue(r, 0, 1), p, &s->prof)) {
		PQclear(r);
		return false;
	}
	PQclear(r);
	for (char *c = s->base; *c; c++)
		if (*c == '/' || *c == '\\' || *c == '"' || (unsigned char)*c < 0x20)
			*c = '_';
	if ((s->n = db_exec(req->srv->db, &stmt_clips, p, &s->r, &err)) < 0)
		return reply_err(req, &err), false;
	return true;
}

static enum MHD_Result
exp_reply_with(struct request *req, const char *type, const char *name, const char *data,
    size_t len, const char *hname, const char *hvalue)
{
	char disp[400];

	snprintf(disp, sizeof(disp), "attachment; filename=\"%s\"", name);
	return reply_download(req, type, disp, (void *)data, len, false, hname, hvalue);
}

static enum MHD_Result
exp_reply(struct request *req, const char *type, const char *name, const char *data, size_t len)
{
	return exp_reply_with(req, type, name, data, len, NULL, NULL);
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

/* The name of row i's look baked for post, as GET /clips/{id}/look.cube gives it (lib/media/
 * look.h); false when the clip has no look (no CDL of its own or its scene's, no LUT). */
static bool
exp_cube_name(const PGresult *r, int i, char *out, size_t len)
{
	struct cdl c;
	struct look_naming n = { exp_look(db_val(r, i, X_LOOK), "", &c),
		strcmp(PQgetvalue(r, i, X_HAS_LUT), "true") == 0, PQgetvalue(r, i, X_LOOK_ID),
		PQgetvalue(r, i, X_LOOK_FROM) };

	if (!n.has_cdl && !n.has_lut)
		return false;
	look_cube_name_of(&n, PQgetvalue(r, i, X_SHOW), PQgetvalue(r, i, X_DAY),
	    PQgetvalue(r, i, X_SCENE), PQgetvalue(r, i, X_NAME), out, len);
	return true;
}

/* --- ALE -------------------------------------------------------------------------------- */

static const char *const ale_cols[] = { "Name", "Tracks", "Start", "End", "Duration", "Tape",
	"Source File", "Scene", "Take", "Camroll", "Soundroll", "ASC_SOP", "ASC_SAT", "LUT",
	"Circled" };

#define ALE_RATES_MAX 16
#define ALE_KEY_BUFSZ (TIMECODE_RATE_BUFSZ + 4)

/* The rates of a set of clips, one ALE each. */
struct ale_rates {
	struct timecode_rate rate[ALE_RATES_MAX];
	int count[ALE_RATES_MAX];
	int n;
	int common;           /* the rate most clips share: clips of no known rate go there */
};

/* A rate as a file and the ?rate= parameter name it: "23.976", "25", "29.97DF". */
static void
ale_rate_key(const struct timecode_rate *rate, char out[ALE_KEY_BUFSZ])
{
	char dec[TIMECODE_RATE_BUFSZ];

	timecode_rate_decimal(rate, dec);
	snprintf(out, ALE_KEY_BUFSZ, "%s%s", dec, rate->drop ? "DF" : "");
}

static bool
ale_rate_eq(const struct timecode_rate *a, const struct timecode_rate *b)
{
	return a->num == b->num && a->den == b->den && a->drop == b->drop;
}

/* The rates rows carry (of card card_id only, when not NULL), in the order they appear. */
static void
ale_rates_of(const PGresult *r, int n, const char *card_id, struct ale_rates *rs)
{
	memset(rs, 0, sizeof(*rs));
	for (int i = 0; i < n; i++) {
		struct timecode_rate a;
		int k = 0;
		if ((card_id && strcmp(PQgetvalue(r, i, X_CARD_ID), card_id) != 0) || !exp_rate(r, i, &a))
			continue;
		while (k < rs->n && !ale_rate_eq(&rs->rate[k], &a))
			k++;
		if (k == rs->n) {
			if (rs->n == ALE_RATES_MAX)
				continue;
			rs->rate[rs->n++] = a;
		}
		if (++rs->count[k] > rs->count[rs->common])
			rs->common = k;
	}
	if (rs->n == 0) {   /* nothing known: Avid still wants an FPS */
		timecode_rate_make(24, 1, false, &rs->rate[0], NULL);
		rs->n = 1;
	}
}

/* Whether row i belongs in the ALE of rate k (and of card card_id, when not NULL). */
static bool
ale_row_in(const PGresult *r, int i, const struct ale_rates *rs, int k, const char *card_id)
{
	struct timecode_rate a;

	if (card_id && strcmp(PQgetvalue(r, i, X_CARD_ID), card_id) != 0)
		return false;
	if (!exp_rate(r, i, &a))
		return k == rs->common;
	return ale_rate_eq(&a, &rs->rate[k]);
}

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

/* The proxy's frame size for row i: the profile's fit of the camera picture (by its display
 * width when anamorphic); false when the camera size is unknown. */
static bool
ale_proxy_size(const PGresult *r, int i, const struct profile *prof, unsigned *w, unsigned *h)
{
	int sw, sh, pw, ph;

	if (PQgetisnull(r, i, X_W) || PQgetisnull(r, i, X_H))
		return false;
	sw = (int)strtol(PQgetvalue(r, i, X_W), NULL, 10);
	sh = (int)strtol(PQgetvalue(r, i, X_H), NULL, 10);
	if (!PQgetisnull(r, i, X_SARN) && !PQgetisnull(r, i, X_SARD)) {
		long sn = strtol(PQgetvalue(r, i, X_SARN), NULL, 10);
		long sd = strtol(PQgetvalue(r, i, X_SARD), NULL, 10);
		if (sn > 0 && sd > 0)
			sw = (int)((double)sw * sn / sd + 0.5);
	}
	profile_output_size(prof, sw, sh, &pw, &ph);
	*w = (unsigned)pw;
	*h = (unsigned)ph;
	return true;
}

/* The camera settings the card carried (lib/media/camera.h), in the columns Avid and
 * Silverstack name them; a setting the format does not expose stays an empty cell. */
static int
ale_camera_cells(struct ale *ale, size_t row, const char *settings, struct err *err)
{
	json_t *j = settings ? json_loads(settings, 0, NULL) : NULL;
	int rc = 0;

	for (int f = 0; f < CAMERA_NFIELDS && j; f++)
		if (ale_column_find(ale, camera_fields[f].ale) >= 0)
			rc |= ale_put(ale, row, camera_fields[f].ale,
			    json_string_value(json_object_get(j, camera_fields[f].key)), err);
	json_decref(j);
	return rc;
}

/* A column for each camera setting one of the ALE's rows carries, none for the others. */
static int
ale_camera_columns(struct ale *ale, const PGresult *r, int n, const struct ale_rates *rs, int k,
    const char *card_id, struct err *err)
{
	bool has[CAMERA_NFIELDS] = { false };
	int rc = 0;

	for (int i = 0; i < n; i++) {
		json_t *j;
		if (!ale_row_in(r, i, rs, k, card_id) || !db_val(r, i, X_CAMSET) ||
		    (j = json_loads(db_val(r, i, X_CAMSET), 0, NULL)) == NULL)
			continue;
		for (int f = 0; f < CAMERA_NFIELDS; f++)
			has[f] |= json_object_get(j, camera_fields[f].key) != NULL;
		json_decref(j);
	}
	for (int f = 0; f < CAMERA_NFIELDS && rc >= 0; f++)
		if (has[f])
			rc = ale_column_add(ale, camera_fields[f].ale, err);
	return rc < 0 ? rc : 0;
}

static int
ale_row(struct ale *ale, const PGresult *r, int i, const struct timecode_rate *file_rate,
    struct err *err)
{
	char tc[TIMECODE_BUFSZ], tracks[32] = "V", sop[ALE_SOP_BUFSZ], sat[ALE_SAT_BUFSZ], cube[300];
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
	/* Only a row of the file's own rate gets timecodes: Avid reads them at the heading's FPS. */
	if (exp_range(r, i, &rate, &start, &dur) && ale_rate_eq(&rate, file_rate)) {
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
	if (exp_cube_name(r, i, cube, sizeof(cube)))
		rc |= ale_cell_set(ale, (size_t)row, "LUT", cube, err);
	if (strcmp(PQgetvalue(r, i, X_CIRCLED), "true") == 0)
		rc |= ale_cell_set(ale, (size_t)row, "Circled", "Yes", err);
	rc |= ale_camera_cells(ale, (size_t)row, db_val(r, i, X_CAMSET), err);
	return rc ? SP_EINTERNAL : 0;
}

/* The ALE of rate k of rs (and card card_id, when not NULL) as text; *missing counts its rows
 * without a finished proxy of the profile. */
static int
ale_build(const PGresult *r, int n, const struct profile *prof, const struct ale_rates *rs,
    int k, const char *card_id, char **text, size_t *len, int *missing, struct err *err)
{
	struct ale ale = ALE_INIT;
	unsigned w = 0, h = 0, arate = profile_audio_rate(prof);
	FILE *f;
	int rc = 0;

	*text = NULL;
	*missing = 0;
	for (int i = 0; i < n && w == 0; i++)
		if (ale_row_in(r, i, rs, k, card_id) && !ale_proxy_size(r, i, prof, &w, &h))
			w = 0;
	if (w == 0) {
		w = (unsigned)prof->width;
		h = (unsigned)prof->height;
	}
	for (int i = 0; i < n && arate == 0; i++)
		if (ale_row_in(r, i, rs, k, card_id) && !PQgetisnull(r, i, X_ARATE))
			arate = (unsigned)strtoul(PQgetvalue(r, i, X_ARATE), NULL, 10);
	if ((rc = ale_heading_standard(&ale, w, h, arate, &rs->rate[k], err)) < 0)
		goto out;
	for (size_t c = 0; c < sizeof(ale_cols) / sizeof(ale_cols[0]); c++)
		if ((rc = ale_column_add(&ale, ale_cols[c], err)) < 0)
			goto out;
	if ((rc = ale_camera_columns(&ale, r, n, rs, k, card_id, err)) < 0)
		goto out;
	for (int i = 0; i < n; i++) {
		if (!ale_row_in(r, i, rs, k, card_id))
			continue;
		*missing += PQgetisnull(r, i, X_RID);
		if ((rc = ale_row(&ale, r, i, &rs->rate[k], err)) < 0)
			goto out;
	}
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

/* The ALE's file name: the subject's, with the rate when the subject has several. */
static void
ale_file_name(const char *base, const struct ale_rates *rs, int k, char *out, size_t len)
{
	char key[ALE_KEY_BUFSZ];

	ale_rate_key(&rs->rate[k], key);
	if (rs->n > 1)
		snprintf(out, len, "%s_%s.ale", base, key);
	else
		snprintf(out, len, "%s.ale", base);
}

/* Which of rs the request's ?rate= names (the only one when absent); replies itself (400,
 * 404, or 409 for a mixed day asked without a rate) and returns -1 otherwise. */
static int
ale_pick_rate(struct request *req, const struct ale_rates *rs, const char *what, const char *id)
{
	const char *q = request_query(req, "rate");
	char keys[ALE_RATES_MAX * ALE_KEY_BUFSZ] = "", key[ALE_KEY_BUFSZ];
	struct timecode_rate want;
	struct err err;

	for (int k = 0; k < rs->n; k++) {
		ale_rate_key(&rs->rate[k], key);
		snprintf(keys + strlen(keys), sizeof(keys) - strlen(keys), "%s%s", k ? ", " : "", key);
	}
	if (q == NULL) {
		if (rs->n == 1)
			return 0;
		reply_error(req, 409, "conflict", "%s %s has clips at %d rates (%s) and Avid takes one"
		    " per ALE: ask for one with ?rate=, or list the files at /api/v1/days/{id}/ales",
		    what, id, rs->n, keys);
		return -1;
	}
	if (timecode_rate_parse(q, &want, &err) < 0) {
		reply_error(req, 400, "invalid", "rate: %s", err.msg);
		return -1;
	}
	for (int k = 0; k < rs->n; k++)
		if (ale_rate_eq(&rs->rate[k], &want))
			return k;
	reply_error(req, 404, "not_found", "%s %s has no clips at %s (it has %s)", what, id, q, keys);
	return -1;
}

static enum MHD_Result
ale_send(struct request *req, const struct db_stmt *subject, const char *what, const char **p,
    int idx)
{
	struct ale_rates rs;
	struct exp_set s;
	struct err err;
	char *text, name[360], missing_s[16];
	size_t len;
	int k, missing;
	enum MHD_Result res;

	if (!exp_load(req, subject, what, p, idx, &s))
		return MHD_YES;
	ale_rates_of(s.r, s.n, NULL, &rs);
	if ((k = ale_pick_rate(req, &rs, what, p[idx])) < 0) {
		PQclear(s.r);
		return MHD_YES;
	}
	if (ale_build(s.r, s.n, &s.prof, &rs, k, NULL, &text, &len, &missing, &err) < 0) {
		PQclear(s.r);
		return reply_err(req, &err);
	}
	PQclear(s.r);
	ale_file_name(s.base, &rs, k, name, sizeof(name));
	snprintf(missing_s, sizeof(missing_s), "%d", missing);
	res = exp_reply_with(req, "text/plain; charset=utf-8", name, text, len,
	    "X-Setpost-Proxies-Missing", missing_s);
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

/* One entry of the index: a file, its address, its rows and the clips still missing a proxy. */
static json_t *
ale_index_entry(const PGresult *r, int n, const struct exp_set *s, const struct ale_rates *rs,
    int k, const char *card_id, const char *card_base, const char *subject)
{
	char key[ALE_KEY_BUFSZ], name[400], url[240];
	json_t *missing = json_array(), *e;
	int rows = 0;

	ale_rate_key(&rs->rate[k], key);
	ale_file_name(card_base ? card_base : s->base, rs, k, name, sizeof(name));
	for (int i = 0; i < n; i++) {
		if (!ale_row_in(r, i, rs, k, card_id))
			continue;
		rows++;
		if (PQgetisnull(r, i, X_RID))
			json_array_append_new(missing, json_string(PQgetvalue(r, i, X_NAME)));
	}
	/* Profile names are letters, digits, '_' and '-', rate keys digits and "DF": nothing to
	 * escape in the query. */
	snprintf(url, sizeof(url), "%s/ale?profile=%s&rate=%s", subject, s->prof.name, key);
	e = json_pack("{s:s,s:s,s:s,s:i,s:o}", "name", name, "rate", key, "url", url, "clips",
	    rows, "missing", missing);
	if (card_id)
		json_object_set_new(e, "card_id", json_integer(strtoll(card_id, NULL, 10)));
	return e;
}

/* GET /days/{id}/ales[?profile=&by=card]: the ALE files of a day, one per rate (per card and
 * rate with by=card), so a client fetches each without guessing. */
enum MHD_Result
days_ales_get(struct request *req)
{
	const char *p[4] = { req->params[0], NULL, request_query(req, "profile"), NULL };
	const char *by = request_query(req, "by");
	json_t *files = json_array(), *body;
	char subject[64];
	enum MHD_Result res;
	struct ale_rates rs;
	struct exp_set s;
	long long id;

	if (!request_param_id(req, 0, &id)) {
		json_decref(files);
		return MHD_YES;
	}
	if (by != NULL && strcmp(by, "card") != 0 && strcmp(by, "rate") != 0) {
		json_decref(files);
		return reply_error(req, 400, "invalid", "by: expected rate or card");
	}
	if (!exp_load(req, &stmt_day, "day", p, 0, &s)) {
		json_decref(files);
		return MHD_YES;
	}
	if (by == NULL || strcmp(by, "rate") == 0) {
		ale_rates_of(s.r, s.n, NULL, &rs);
		snprintf(subject, sizeof(subject), "/api/v1/days/%lld", id);
		for (int k = 0; k < rs.n; k++)
			json_array_append_new(files, ale_index_entry(s.r, s.n, &s, &rs, k, NULL, NULL,
			    subject));
	} else {
		for (int i = 0; i < s.n; i++) {
			const char *cid = PQgetvalue(s.r, i, X_CARD_ID);
			char card_base[400];
			if (i > 0 && strcmp(PQgetvalue(s.r, i - 1, X_CARD_ID), cid) == 0)
				continue;   /* rows come card by card */
			snprintf(card_base, sizeof(card_base), "%s_%s", s.base, PQgetvalue(s.r, i, X_CARD));
			for (char *c = card_base; *c; c++)
				if (*c == '/' || *c == '\\' || *c == '"' || (unsigned char)*c < 0x20)
					*c = '_';
			ale_rates_of(s.r, s.n, cid, &rs);
			snprintf(subject, sizeof(subject), "/api/v1/cards/%s", cid);
			for (int k = 0; k < rs.n; k++)
				json_array_append_new(files, ale_index_entry(s.r, s.n, &s, &rs, k, cid,
				    card_base, subject));
		}
	}
	PQclear(s.r);
	body = json_pack("{s:s,s:s,s:o}", "day", s.base, "profile", s.prof.name, "files", files);
	res = reply_json(req, 200, body);
	json_decref(body);
	return res;
}

/* --- OpenTimelineIO ---------------------------------------------------------------------- */

static json_t *
otio_time(double value, double rate)
{
	return json_pack("{s:s,s:f,s:f}", "OTIO_SCHEMA", "RationalTime.1", "rate", rate, "value",
	    value);
}

static json_t *
otio_range(double start, double dur, double rate)
{
	return json_pack("{s:s,s:o,s:o}", "OTIO_SCHEMA", "TimeRange.1", "duration",
	    otio_time(dur, rate), "start_time", otio_time(start, rate));
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

/* Appends s, made one path component as `setpost pull` makes it ('/', '\' and control
 * characters become '_'), percent-encoded as a relative URL's segment (RFC 3986). */
static void
otio_segment(const char *s, char *out, size_t len)
{
	size_t o = strlen(out);

	for (; *s && o + 4 < len; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '/' || c == '\\' || c < 0x20)
			c = '_';
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    strchr("-._~!$&'()*+,;=:@", c))
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, len - o, "%%%02X", c);
	}
	out[o] = '\0';
}

/* The clip's metadata: setpost's own, and the keys OTIO's ALE adapter uses (otio-ale-adapter:
 * the row's columns under "ALE", the look under "cdl" as asc_sop and asc_sat). */
static json_t *
otio_metadata(const PGresult *r, int i)
{
	struct cdl look;
	json_t *meta, *ale;
	const char *tape = db_val(r, i, X_REEL) ? db_val(r, i, X_REEL) :
	    db_val(r, i, X_CARD_REEL) ? db_val(r, i, X_CARD_REEL) : PQgetvalue(r, i, X_CARD);
	bool circled = strcmp(PQgetvalue(r, i, X_CIRCLED), "true") == 0;

	ale = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "Scene", db_val(r, i, X_SCENE) ?
	    db_val(r, i, X_SCENE) : "", "Take", db_val(r, i, X_TAKE) ? db_val(r, i, X_TAKE) : "",
	    "Circled", circled ? "Yes" : "", "Tape", tape, "Camroll", PQgetvalue(r, i, X_CARD),
	    "Soundroll", db_val(r, i, X_SOUNDROLL) ? db_val(r, i, X_SOUNDROLL) : "");
	meta = json_pack("{s:I,s:s?,s:s?,s:b,s:s?,s:s?,s:s,s:s?,s:I,s:s}", "clip_id",
	    (json_int_t)strtoll(PQgetvalue(r, i, X_CLIP_ID), NULL, 10), "scene",
	    db_val(r, i, X_SCENE), "take", db_val(r, i, X_TAKE), "circled", circled, "camera",
	    db_val(r, i, X_CAMERA), "reel", tape, "card", PQgetvalue(r, i, X_CARD), "start_tc",
	    db_val(r, i, X_TC), "size", (json_int_t)strtoll(PQgetvalue(r, i, X_RSIZE), NULL, 10),
	    "xxh64", PQgetvalue(r, i, X_RHASH));
	meta = json_pack("{s:o,s:o}", "setpost", meta, "ALE", ale);
	if (exp_look(db_val(r, i, X_LOOK), "", &look))
		json_object_set_new(meta, "cdl", json_pack("{s:{s:[fff],s:[fff],s:[fff]},s:f}",
		    "asc_sop", "slope", look.slope[0], look.slope[1], look.slope[2], "offset",
		    look.offset[0], look.offset[1], look.offset[2], "power", look.power[0],
		    look.power[1], look.power[2], "asc_sat", look.sat));
	return meta;
}

/* A Clip of row i. relative: target_url is <card>/<file>, as `setpost pull` lays the files out
 * beside the .otio; else the download address. whole: the clip's source_range is all of it
 * (a timeline's clip), else none (a bin's). */
static json_t *
otio_clip(struct request *req, const PGresult *r, int i, bool relative, bool whole)
{
	char path[64], url[1200] = "";
	struct timecode_rate rate;
	int64_t start, dur;
	json_t *ref, *clip, *range = json_null();

	if (relative) {
		otio_segment(PQgetvalue(r, i, X_CARD), url, sizeof(url));
		snprintf(url + strlen(url), sizeof(url) - strlen(url), "/");
		otio_segment(PQgetvalue(r, i, X_RFILE), url, sizeof(url));
	} else {
		snprintf(path, sizeof(path), "/api/v1/renditions/%s/file", PQgetvalue(r, i, X_RID));
		otio_url(req, path, url, sizeof(url));
	}
	ref = json_pack("{s:s,s:{},s:s,s:n,s:s}", "OTIO_SCHEMA", "ExternalReference.1", "metadata",
	    "name", PQgetvalue(r, i, X_RFILE), "available_image_bounds", "target_url", url);
	if (exp_range(r, i, &rate, &start, &dur))
		range = otio_range((double)start, (double)dur, (double)rate.num / rate.den);
	json_object_set(ref, "available_range", range);
	clip = json_pack("{s:s,s:o,s:s,s:o,s:[],s:[],s:b,s:{s:o},s:s}", "OTIO_SCHEMA", "Clip.2",
	    "metadata", otio_metadata(r, i), "name", PQgetvalue(r, i, X_NAME), "source_range",
	    whole ? json_incref(range) : json_null(), "effects", "markers", "enabled", 1,
	    "media_references", "DEFAULT_MEDIA", ref, "active_media_reference_key", "DEFAULT_MEDIA");
	json_decref(range);
	return clip;
}

static json_t *
otio_track(const char *name, const char *kind, json_t *children)
{
	return json_pack("{s:s,s:{},s:s,s:n,s:[],s:[],s:b,s:o,s:s}", "OTIO_SCHEMA", "Track.1",
	    "metadata", "name", name, "source_range", "effects", "markers", "enabled", 1,
	    "children", children, "kind", kind);
}

/* The day as a Timeline: Stack > one video track of every clip with a proxy and a known
 * range, in card then clip order (a camera names its clips in shooting order), and an audio
 * track with the same clips where production sound is synced into the proxy and gaps of the
 * same length elsewhere, so each sound stays under its picture. Clips left off (no proxy of
 * the profile yet, or no timecode or rate) are named in the timeline's metadata. */
static json_t *
otio_timeline(struct request *req, const PGresult *r, int n, const struct exp_set *s)
{
	json_t *video = json_array(), *audio = json_array(), *left = json_array(), *tracks;
	bool any_sound = false;

	for (int i = 0; i < n; i++) {
		struct timecode_rate rate;
		int64_t start, dur;
		if (PQgetisnull(r, i, X_RID) || !exp_range(r, i, &rate, &start, &dur)) {
			json_array_append_new(left, json_string(PQgetvalue(r, i, X_NAME)));
			continue;
		}
		json_array_append_new(video, otio_clip(req, r, i, true, true));
		if (db_val(r, i, X_SOUNDROLL)) {
			json_array_append_new(audio, otio_clip(req, r, i, true, true));
			any_sound = true;
		} else {
			json_array_append_new(audio, json_pack("{s:s,s:{},s:s,s:o,s:[],s:[],s:b}",
			    "OTIO_SCHEMA", "Gap.1", "metadata", "name", "", "source_range",
			    otio_range(0, (double)dur, (double)rate.num / rate.den), "effects", "markers",
			    "enabled", 1));
		}
	}
	tracks = json_pack("[o]", otio_track("V1", "Video", video));
	if (any_sound)
		json_array_append_new(tracks, otio_track("A1", "Audio", audio));
	else
		json_decref(audio);
	return json_pack("{s:s,s:{s:{s:s,s:s,s:o}},s:s,s:n,s:{s:s,s:{},s:s,s:n,s:[],s:[],s:b,s:o}}",
	    "OTIO_SCHEMA", "Timeline.1", "metadata", "setpost", "day", s->base, "profile",
	    s->prof.name, "left_off", left, "name", s->base, "global_start_time", "tracks",
	    "OTIO_SCHEMA", "Stack.1", "metadata", "name", "tracks", "source_range", "effects",
	    "markers", "enabled", 1, "children", tracks);
}

/* GET /days/{id}/otio[?profile=&card_id=&as=bin]: the day (or one of its cards) as a Timeline
 * whose media are addressed relative to the folder `setpost pull` writes (where it puts the
 * .otio); as=bin: the older bin, a SerializableCollection of clips addressed by URL. */
enum MHD_Result
days_otio_get(struct request *req)
{
	const char *p[4] = { req->params[0], request_query(req, "card_id"),
		request_query(req, "profile"), NULL };
	const char *as = request_query(req, "as");
	struct exp_set s;
	json_t *doc;
	char name[340], *text;
	enum MHD_Result res;
	long long id, card;

	if (!request_param_id(req, 0, &id))
		return MHD_YES;
	if (as != NULL && strcmp(as, "bin") != 0 && strcmp(as, "timeline") != 0)
		return reply_error(req, 400, "invalid", "as: expected timeline or bin");
	if (p[1] != NULL && sscanf(p[1], "%lld", &card) != 1)
		return reply_error(req, 400, "invalid", "card_id: expected a number");
	if (!exp_load(req, &stmt_day, "day", p, 0, &s))
		return MHD_YES;
	if (as != NULL && strcmp(as, "bin") == 0) {
		json_t *children = json_array();
		for (int i = 0; i < s.n; i++)
			if (!PQgetisnull(s.r, i, X_RID))
				json_array_append_new(children, otio_clip(req, s.r, i, false, false));
		doc = json_pack("{s:s,s:{},s:s,s:o}", "OTIO_SCHEMA", "SerializableCollection.1",
		    "metadata", "name", s.base, "children", children);
	} else {
		doc = otio_timeline(req, s.r, s.n, &s);
	}
	if (p[1] != NULL && s.n > 0)
		snprintf(s.base + strlen(s.base), sizeof(s.base) - strlen(s.base), "_%s",
		    PQgetvalue(s.r, 0, X_CARD));
	PQclear(s.r);
	text = json_dumps(doc, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
	json_decref(doc);
	if (text == NULL)
		return MHD_NO;
	snprintf(name, sizeof(name), "%s.otio", s.base);
	res = exp_reply(req, "application/json", name, text, strlen(text));
	free(text);
	return res;
}

/* --- cubes ------------------------------------------------------------------------------- */

/* GET /days/{id}/cubes: the looks of a day's camera clips baked for post, one entry per cube
 * name with the clips that use it (a scene's default look is one cube for the whole scene),
 * its address that of the first such clip's GET /clips/{id}/look.cube. */
enum MHD_Result
days_cubes_get(struct request *req)
{
	const char *p[4] = { req->params[0], NULL, NULL, NULL };
	json_t *files, *byname, *body;
	enum MHD_Result res;
	struct exp_set s;
	long long id;

	if (!request_param_id(req, 0, &id) || !exp_load(req, &stmt_day, "day", p, 0, &s))
		return MHD_YES;
	files = json_array();
	byname = json_object();
	for (int i = 0; i < s.n; i++) {
		char cube[300], url[80];
		json_t *e;
		if (!exp_cube_name(s.r, i, cube, sizeof(cube)))
			continue;
		if ((e = json_object_get(byname, cube)) == NULL) {
			snprintf(url, sizeof(url), "/api/v1/clips/%s/look.cube",
			    PQgetvalue(s.r, i, X_CLIP_ID));
			e = json_pack("{s:s,s:s,s:[]}", "name", cube, "url", url, "clips");
			json_object_set_new(byname, cube, e);
			json_array_append(files, e);
		}
		json_array_append_new(json_object_get(e, "clips"), json_string(PQgetvalue(s.r, i,
		    X_NAME)));
	}
	json_decref(byname);
	PQclear(s.r);
	body = json_pack("{s:s,s:o}", "day", s.base, "files", files);
	res = reply_json(req, 200, body);
	json_decref(body);
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
	for (int i = 0; i < n; i++) {
		char cube[280];
		if (!exp_look(db_val(r, i, X_LOOK), PQgetvalue(r, i, X_NAME), &v[m]))
			continue;
		/* A grading system keeps the Description: it names the cube post gets of this look. */
		if (exp_cube_name(r, i, cube, sizeof(cube)))
			snprintf(v[m].desc, sizeof(v[m].desc), "LUT for post: %s", cube);
		m++;
	}
	if (m == 0) {   /* an empty ColorCorrectionCollection only confuses a grading system */
		free(v);
		return reply_error(req, 404, "not_found", one ? "clip %s has no look (its own or its"
		    " scene's)" : "day %s has no looks (its clips' own or their scenes')", base);
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
