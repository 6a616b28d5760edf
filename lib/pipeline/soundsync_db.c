/* soundsync_db: matching a day's picture clips to its sound in the database (see
 * soundsync_db.h). */
#include "lib/pipeline/soundsync_db.h"
#include "lib/pipeline/pipeline.h"
#include "lib/media/soundsync.h"
#include "lib/media/timecode.h"
#include "lib/store/event.h"
#include "lib/store/params.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct db_stmt stmt_lock = { "soundsync_lock",
	"SELECT pg_advisory_xact_lock(hashtext('setpost.soundsync'), $1::int)", 1 };
/* The sound of a day: what the BWF said at registration (metadata.sound) and, failing that,
 * what ffprobe measured. */
static const struct db_stmt stmt_sounds = { "soundsync_sounds",
	"SELECT c.id, c.fps_num, c.fps_den, c.start_tc,"
	" coalesce(c.metadata->'sound'->>'sample_rate', m.audio_sample_rate::text),"
	" c.metadata->'sound'->>'time_reference', c.metadata->'sound'->>'samples',"
	" m.duration_seconds, c.duration_frames"
	" FROM clips c JOIN cards k ON k.id = c.card_id LEFT JOIN clip_media m ON m.clip_id = c.id"
	" WHERE k.day_id = $1 AND k.kind = 'sound' ORDER BY c.id", 1 };
static const struct db_stmt stmt_sound_one = { "soundsync_sound_one",
	"SELECT c.id, c.fps_num, c.fps_den, c.start_tc,"
	" coalesce(c.metadata->'sound'->>'sample_rate', m.audio_sample_rate::text),"
	" c.metadata->'sound'->>'time_reference', c.metadata->'sound'->>'samples',"
	" m.duration_seconds, c.duration_frames"
	" FROM clips c LEFT JOIN clip_media m ON m.clip_id = c.id WHERE c.id = $1", 1 };
static const struct db_stmt stmt_picture_one = { "soundsync_picture_one",
	"SELECT c.id, c.fps_num, c.fps_den, c.start_tc FROM clips c WHERE c.id = $1", 1 };
/* The day's pictures, each with its camera (the letter, else its card: two cards of unknown
 * cameras may be two cameras) and length; every picture is read even when one is asked for,
 * because whether a match is sure depends on the others. */
/* Also each picture's slate (scene, take) and the sound it last took a slate from, if any: a
 * slate that came from a sound says nothing about whether that sound is the picture's. */
static const struct db_stmt stmt_pictures = { "soundsync_pictures",
	"SELECT c.id, c.fps_num, c.fps_den, c.start_tc, s.method,"
	" coalesce(nullif(c.camera, ''), nullif(k.camera, ''), 'card ' || k.id), c.duration_frames,"
	" coalesce(c.scene, ''), coalesce(c.take, ''),"
	" (SELECT (e.data->>'sound_clip_id')::bigint FROM events e WHERE e.kind ="
	"  'clip.slate_from_sound' AND e.subject_type = 'clip' AND e.subject_id = c.id"
	"  ORDER BY e.id DESC LIMIT 1), extract(epoch FROM c.recorded_at)"
	" FROM clips c JOIN cards k ON k.id = c.card_id LEFT JOIN clip_sound s ON s.clip_id = c.id"
	" WHERE k.day_id = $1 AND k.kind <> 'sound' ORDER BY c.id FOR UPDATE OF c", 1 };
/* A sound take's slate, and when it was recorded: its recorder's clock at the start (BWF
 * origination, migration 0071) and its length in seconds (BWF samples, else the probe's). */
static const struct db_stmt stmt_sound_slate = { "soundsync_sound_slate",
	"SELECT coalesce(c.scene, ''), coalesce(c.take, ''), extract(epoch FROM c.recorded_at),"
	" coalesce(CASE WHEN jsonb_typeof(c.metadata->'sound'->'samples') = 'number' AND"
	"  jsonb_typeof(c.metadata->'sound'->'sample_rate') = 'number' THEN"
	"  (c.metadata->'sound'->>'samples')::float8 /"
	"  nullif((c.metadata->'sound'->>'sample_rate')::float8, 0) END, m.duration_seconds)"
	" FROM clips c LEFT JOIN clip_media m ON m.clip_id = c.id WHERE c.id = $1", 1 };
/* Automatic results never replace the DIT's, and an unchanged result is not written again
 * (no event either): a rerun over a day is quiet. */
static const struct db_stmt stmt_auto = { "soundsync_auto",
	"INSERT INTO clip_sound (clip_id, sound_clip_id, offset_frames, method)"
	" VALUES ($1, $2, $3, $4) ON CONFLICT (clip_id) DO UPDATE SET"
	" sound_clip_id = EXCLUDED.sound_clip_id, offset_frames = EXCLUDED.offset_frames,"
	" method = EXCLUDED.method, updated_at = now()"
	" WHERE clip_sound.method <> 'manual' AND (clip_sound.sound_clip_id,"
	" clip_sound.offset_frames, clip_sound.method) IS DISTINCT FROM"
	" (EXCLUDED.sound_clip_id, EXCLUDED.offset_frames, EXCLUDED.method)", 4 };
static const struct db_stmt stmt_manual = { "soundsync_manual",
	"INSERT INTO clip_sound (clip_id, sound_clip_id, offset_frames, method)"
	" VALUES ($1, $2, $3, $4) ON CONFLICT (clip_id) DO UPDATE SET"
	" sound_clip_id = EXCLUDED.sound_clip_id, offset_frames = EXCLUDED.offset_frames,"
	" method = EXCLUDED.method, updated_at = now()", 4 };
/* Scene and take only where the camera carried none; circled only towards true. Returns
 * what was filled. */
static const struct db_stmt stmt_slate = { "soundsync_slate",
	"WITH o AS (SELECT p.scene AS ps, p.take AS pt, p.circled AS pc, s.scene AS ss,"
	" s.take AS st, s.circled AS sc FROM clips p, clips s WHERE p.id = $1 AND s.id = $2)"
	" UPDATE clips SET scene = CASE WHEN coalesce(o.ps, '') = '' AND coalesce(o.ss, '') <> ''"
	"  THEN o.ss ELSE scene END,"
	" take = CASE WHEN coalesce(o.pt, '') = '' AND coalesce(o.st, '') <> '' THEN o.st ELSE take END,"
	" circled = circled OR o.sc, updated_at = now() FROM o WHERE clips.id = $1 AND"
	" ((coalesce(o.ps, '') = '' AND coalesce(o.ss, '') <> '') OR"
	"  (coalesce(o.pt, '') = '' AND coalesce(o.st, '') <> '') OR (o.sc AND NOT o.pc))"
	" RETURNING jsonb_strip_nulls(jsonb_build_object("
	" 'scene', CASE WHEN coalesce(o.ps, '') = '' AND coalesce(o.ss, '') <> '' THEN o.ss END,"
	" 'take', CASE WHEN coalesce(o.pt, '') = '' AND coalesce(o.st, '') <> '' THEN o.st END,"
	" 'circled', CASE WHEN o.sc AND NOT o.pc THEN true END))::text", 2 };
/* A match that turned out unsure takes back the slate it gave: the fields the last
 * clip.slate_from_sound from that sound filled, where they still hold what it wrote. */
static const struct db_stmt stmt_unslate = { "soundsync_unslate",
	"WITH f AS (SELECT data->'filled' AS f FROM events WHERE kind = 'clip.slate_from_sound'"
	"  AND subject_type = 'clip' AND subject_id = $1 AND (data->>'sound_clip_id')::bigint = $2"
	"  ORDER BY id DESC LIMIT 1)"
	" UPDATE clips SET"
	" scene = CASE WHEN f.f ? 'scene' AND scene = f.f->>'scene' THEN NULL ELSE scene END,"
	" take = CASE WHEN f.f ? 'take' AND take = f.f->>'take' THEN NULL ELSE take END,"
	" circled = CASE WHEN f.f ? 'circled' THEN false ELSE circled END, updated_at = now()"
	" FROM f WHERE clips.id = $1 RETURNING f.f::text", 2 };
static const struct db_stmt stmt_clip_where = { "soundsync_clip_where",
	"SELECT k.kind, d.production_id, k.day_id, c.name FROM clips c JOIN cards k ON k.id = c.card_id"
	" JOIN days d ON d.id = k.day_id WHERE c.id = $1", 1 };
static const struct db_stmt stmt_forget = { "soundsync_forget",
	"DELETE FROM clip_sound WHERE clip_id = $1", 1 };

static unsigned long long
soundsync_ull(const PGresult *r, int row, int col)
{
	const char *v = db_val(r, row, col);

	return v ? strtoull(v, NULL, 10) : 0;
}

/* Loads the day's sound clips into *out (caller frees). */
static int
soundsync_load_sounds(struct db_conn *c, const struct db_stmt *st, long long key,
    struct soundsync_sound **out, size_t *n, struct err *err)
{
	struct db_params q = { 0 };
	struct soundsync_sound *v;
	PGresult *r;
	struct err e2;
	int rows;

	*out = NULL;
	*n = 0;
	db_param_ll(&q, key);
	if ((rows = db_query(c, st, q.v, &r, err)) < 0)
		return rows;
	if (rows == 0) {
		PQclear(r);
		return 0;
	}
	if ((v = calloc((size_t)rows, sizeof(*v))) == NULL) {
		PQclear(r);
		return err_set(err, SP_ENOMEM, "out of memory");
	}
	for (int i = 0; i < rows; i++) {
		struct soundsync_sound *s = &v[i];
		const char *tc = db_val(r, i, 3);
		s->id = db_ll(r, i, 0);
		snprintf(s->start_tc, sizeof(s->start_tc), "%s", tc ? tc : "");
		s->has_rate = soundsync_clip_rate((unsigned)db_ll(r, i, 1), (unsigned)db_ll(r, i, 2), tc,
		    &s->rate, &e2) == 0;
		s->sample_rate = (uint32_t)soundsync_ull(r, i, 4);
		s->has_time_reference = db_val(r, i, 5) != NULL;
		s->time_reference = soundsync_ull(r, i, 5);
		s->samples = soundsync_ull(r, i, 6);
		s->duration_seconds = db_val(r, i, 7) ? strtod(db_val(r, i, 7), NULL) : 0;
		s->duration_frames = db_val(r, i, 8) ? db_ll(r, i, 8) : -1;
	}
	PQclear(r);
	*out = v;
	*n = (size_t)rows;
	return 0;
}

/* Scene, take, circled from the sound clip where the picture clip has none; one event. */
static int
soundsync_slate(struct db_conn *c, const char *pic, const char *snd, long long pic_id,
    const char *actor, struct err *err)
{
	const char *p[2] = { pic, snd };
	PGresult *r;
	json_t *data;
	int rc;

	if ((rc = db_query(c, &stmt_slate, p, &r, err)) <= 0) {
		if (rc == 0)
			PQclear(r);
		return rc;
	}
	data = json_pack("{s:o,s:I}", "filled", json_loads(PQgetvalue(r, 0, 0), 0, NULL),
	    "sound_clip_id", (json_int_t)strtoll(snd, NULL, 10));
	PQclear(r);
	rc = event_record(c, actor, "clip.slate_from_sound", "clip", pic_id, data, NULL, err);
	json_decref(data);
	return rc;
}

/* Takes back the slate a sound gave a picture whose match is no longer sure; one event. */
static int
soundsync_unslate(struct db_conn *c, const char *pic, const char *snd, long long pic_id,
    const char *actor, struct err *err)
{
	const char *p[2] = { pic, snd };
	PGresult *r;
	json_t *data;
	int rc;

	if ((rc = db_query(c, &stmt_unslate, p, &r, err)) <= 0) {
		if (rc == 0)
			PQclear(r);
		return rc < 0 ? rc : 1;
	}
	data = json_pack("{s:o,s:I}", "withdrawn", json_loads(PQgetvalue(r, 0, 0), 0, NULL),
	    "sound_clip_id", (json_int_t)strtoll(snd, NULL, 10));
	PQclear(r);
	rc = event_record(c, actor, "clip.slate_withdrawn", "clip", pic_id, data, NULL, err);
	json_decref(data);
	return rc < 0 ? rc : 1;
}

/* Writes one result; on a change records "clip.sound", lets the slate flow and has proxies
 * made before the change made again. */
static int
soundsync_write(struct db_conn *c, const struct db_stmt *st, long long pic_id,
    long long snd_id, long long offset, const char *method, const char *chosen_by,
    const char *actor, struct err *err)
{
	struct db_params q = { 0 };
	json_t *data;
	int rc;

	db_param_ll(&q, pic_id);
	db_param_ll_if(&q, snd_id != 0, snd_id);
	db_param_ll_if(&q, snd_id != 0, offset);
	db_param_str(&q, method);
	if ((rc = db_query(c, st, q.v, NULL, err)) <= 0)
		return rc;
	data = json_pack("{s:s,s:o,s:o}", "method", method,
	    "sound_clip_id", snd_id ? json_integer(snd_id) : json_null(),
	    "offset_frames", snd_id ? json_integer(offset) : json_null());
	/* another clip of its camera has the same timecode: its slate or shooting time decided */
	if (chosen_by)
		json_object_set_new(data, "chosen_by", json_string(chosen_by));
	rc = event_record(c, actor, "clip.sound", "clip", pic_id, data, NULL, err);
	json_decref(data);
	/* q.v[0], q.v[1]: the picture's and the sound's ids as text */
	if (strcmp(method, "ambiguous") == 0)
		return rc < 0 ? rc : soundsync_unslate(c, q.v[0], q.v[1], pic_id, actor, err);
	if (rc == 0 && snd_id)
		rc = soundsync_slate(c, q.v[0], q.v[1], pic_id, actor, err);
	if (rc == 0 && snd_id)
		rc = pipeline_stale(c, pic_id, err);
	return rc < 0 ? rc : 1;
}

/* One picture of the day and the sound its timecode points to. */
struct soundsync_pic {
	long long id;
	bool skip;                 /* a manual match, or no timecode yet */
	const char *camera;        /* borrowed from the result */
	struct timecode_rate rate;
	int64_t start, len;        /* frames since midnight, at rate; len >= 1 */
	long long sound;           /* 0: nothing covers it */
	int64_t offset;
	bool ambiguous;
	const char *chosen_by;     /* of an ambiguous group, the one picked: "slate" when its own */
	                           /* slate is the take's, "shooting_time" when it was recorded */
	                           /* while the take was; else NULL */
	bool judged;               /* its ambiguous group was looked at */
	bool has_time;             /* recorded_at known (migration 0071) */
	double recorded;           /* recorded_at, seconds (wall clock, as the device's) */
	const char *scene, *take;  /* borrowed; "" when none */
	long long slate_from;      /* the sound its slate came from, 0: the camera's or the DIT's */
};

/* The sound picture row's timecode points to (p->sound 0: none; p->skip: not matched now). */
static void
soundsync_point(const PGresult *r, int row, const struct soundsync_sound *snd, size_t nsnd,
    struct soundsync_span *spans, struct soundsync_pic *p)
{
	const char *tc = db_val(r, row, 3), *method = db_val(r, row, 4);
	struct err e2;
	size_t n = 0;
	long k;

	p->id = db_ll(r, row, 0);
	p->camera = PQgetvalue(r, row, 5);
	p->scene = PQgetvalue(r, row, 7);
	p->take = PQgetvalue(r, row, 8);
	p->slate_from = db_val(r, row, 9) ? db_ll(r, row, 9) : 0;
	p->has_time = db_val(r, row, 10) != NULL;
	p->recorded = p->has_time ? strtod(PQgetvalue(r, row, 10), NULL) : 0;
	p->len = db_val(r, row, 6) && db_ll(r, row, 6) > 0 ? db_ll(r, row, 6) : 1;
	p->skip = (method && strcmp(method, "manual") == 0) || tc == NULL ||
	    soundsync_clip_rate((unsigned)db_ll(r, row, 1), (unsigned)db_ll(r, row, 2), tc, &p->rate,
	    &e2) < 0 || timecode_parse(tc, &p->rate, &p->start, &e2) < 0;
	if (p->skip)
		return;   /* the DIT's, or no timecode yet: the probe will ask again */
	for (size_t i = 0; i < nsnd; i++)
		if (soundsync_span(&snd[i], &p->rate, &spans[n], &e2) == 0)
			n++;
	k = soundsync_pick(spans, n, p->start, timecode_frames_per_day(&p->rate), &p->offset);
	p->sound = k >= 0 ? spans[k].id : 0;
}

/* One camera cannot record two stretches of time at once: two of its pictures whose timecode
 * spans overlap do not carry the time of day (record run, a reset), so a sound take their
 * timecode points to proves nothing for either; both are ambiguous. Pictures of other cameras
 * on the same take are a multi-camera take: matched. */
static void
soundsync_mark_ambiguous(struct soundsync_pic *v, int n)
{
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++) {
			struct soundsync_pic *a = &v[i], *b = &v[j];

			if (a->skip || b->skip || a->sound == 0 || a->sound != b->sound ||
			    strcmp(a->camera, b->camera) != 0 || a->rate.num != b->rate.num ||
			    a->rate.den != b->rate.den || a->start >= b->start + b->len ||
			    b->start >= a->start + a->len)
				continue;
			a->ambiguous = b->ambiguous = true;
		}
}

static bool
soundsync_same_label(const char *a, const char *b)
{
	return a[0] != '\0' && strcasecmp(a, b) == 0;
}

/* A picture's own slate (from the camera or the DIT, not from a sound) is the take's. */
static bool
soundsync_slate_agrees(const struct soundsync_pic *p, const PGresult *snd)
{
	return p->slate_from != p->sound && soundsync_same_label(PQgetvalue(snd, 0, 0), p->scene) &&
	    soundsync_same_label(PQgetvalue(snd, 0, 1), p->take);
}

/* A picture whose recording began while the take was being recorded, by the devices' clocks
 * (a second's grace each side: BWF origination has whole seconds). */
static bool
soundsync_time_agrees(const struct soundsync_pic *p, const PGresult *snd)
{
	double start, len;

	if (!p->has_time || db_val(snd, 0, 2) == NULL || db_val(snd, 0, 3) == NULL)
		return false;
	start = strtod(PQgetvalue(snd, 0, 2), NULL);
	len = strtod(PQgetvalue(snd, 0, 3), NULL);
	return len > 0 && p->recorded >= start - 1 && p->recorded <= start + len + 1;
}

/* Of the group of v[i] (ambiguous pictures of one camera on one sound take), the one that
 * agrees (fn) when exactly one does: its index, else -1. */
static int
soundsync_one_agrees(struct soundsync_pic *v, int n, int i, const PGresult *snd,
    bool (*fn)(const struct soundsync_pic *, const PGresult *))
{
	int found = -1, agree = 0;

	for (int j = i; j < n; j++) {
		struct soundsync_pic *p = &v[j];
		if (!p->ambiguous || p->sound != v[i].sound || strcmp(p->camera, v[i].camera) != 0)
			continue;
		p->judged = true;
		if (fn(p, snd)) {
			agree++;
			found = j;
		}
	}
	return agree == 1 ? found : -1;
}

/* Of a group of ambiguous pictures (one camera, one sound take), the one whose own slate is
 * the take's, when exactly one is; failing that, the one recorded while the take was, when
 * exactly one was. It is matched, the others stay ambiguous for the DIT. Nothing is guessed:
 * when neither decides, all stay ambiguous. */
static int
soundsync_pick_in_group(struct db_conn *c, struct soundsync_pic *v, int n, struct err *err)
{
	for (int i = 0; i < n; i++) {
		struct db_params q = { 0 };
		const char *by = "slate";
		PGresult *r;
		int found, rc;

		if (!v[i].ambiguous || v[i].judged)
			continue;
		db_param_ll(&q, v[i].sound);
		if ((rc = db_query(c, &stmt_sound_slate, q.v, &r, err)) < 0)
			return rc;
		if (rc == 0) {
			PQclear(r);
			continue;
		}
		if ((found = soundsync_one_agrees(v, n, i, r, soundsync_slate_agrees)) < 0) {
			by = "shooting_time";
			found = soundsync_one_agrees(v, n, i, r, soundsync_time_agrees);
		}
		PQclear(r);
		if (found >= 0) {
			v[found].ambiguous = false;
			v[found].chosen_by = by;
		}
	}
	return 0;
}

int
soundsync_match_day(struct db_conn *c, long long day_id, long long clip_id,
    const char *actor, int *matched, int *unmatched, struct err *err)
{
	struct db_params p = { 0 };
	struct soundsync_sound *snd = NULL;
	struct soundsync_span *spans = NULL;
	struct soundsync_pic *pics = NULL;
	size_t nsnd = 0;
	PGresult *r = NULL;
	int rows = 0, rc, nm = 0, nu = 0;

	(void)clip_id;   /* whether one picture's match is sure depends on the others: all judged */
	db_param_ll(&p, day_id);
	if ((rc = db_query(c, &stmt_lock, p.v, NULL, err)) < 0 ||
	    (rc = soundsync_load_sounds(c, &stmt_sounds, day_id, &snd, &nsnd, err)) < 0)
		return rc;
	if ((rows = rc = db_query(c, &stmt_pictures, p.v, &r, err)) < 0)
		goto out;
	if ((nsnd > 0 && (spans = calloc(nsnd, sizeof(*spans))) == NULL) ||
	    (pics = calloc((size_t)(rows ? rows : 1), sizeof(*pics))) == NULL) {
		rc = err_set(err, SP_ENOMEM, "out of memory");
		goto out;
	}
	for (int i = 0; i < rows; i++)
		soundsync_point(r, i, snd, nsnd, spans, &pics[i]);
	soundsync_mark_ambiguous(pics, rows);
	if ((rc = soundsync_pick_in_group(c, pics, rows, err)) < 0)
		goto out;
	for (int i = 0; i < rows && rc >= 0; i++) {
		const struct soundsync_pic *q = &pics[i];

		if (q->skip)
			continue;
		rc = soundsync_write(c, &stmt_auto, q->id, q->sound, q->offset, q->ambiguous ?
		    "ambiguous" : q->sound ? "timecode" : "none", q->chosen_by, actor, err);
		if (rc >= 0 && q->sound && !q->ambiguous)
			nm++;
		else if (rc >= 0)
			nu++;
	}
	rc = rc < 0 ? rc : 0;
out:
	PQclear(r);
	free(pics);
	free(spans);
	free(snd);
	if (matched)
		*matched = nm;
	if (unmatched)
		*unmatched = nu;
	return rc;
}

/* Where a clip is: its card's kind, production and day. */
static int
soundsync_where(struct db_conn *c, long long id, char kind[8], long long *production,
    long long *day, struct err *err)
{
	struct db_params q = { 0 };
	PGresult *r;
	int rc;

	db_param_ll(&q, id);
	if ((rc = db_query(c, &stmt_clip_where, q.v, &r, err)) < 0)
		return rc;
	if (rc == 0) {
		PQclear(r);
		return err_set(err, SP_ENOTFOUND, "clip %lld not found", id);
	}
	snprintf(kind, 8, "%s", PQgetvalue(r, 0, 0));
	*production = db_ll(r, 0, 1);
	*day = db_ll(r, 0, 2);
	PQclear(r);
	return 0;
}

/* Where picture clip pic starts in sound clip snd, from their timecodes. */
static int
soundsync_offset(struct db_conn *c, long long pic, long long snd, long long *offset,
    struct err *err)
{
	struct db_params q = { 0 };
	struct soundsync_sound *s = NULL;
	struct soundsync_span span;
	struct timecode_rate rate;
	PGresult *r;
	const char *tc;
	size_t n = 0;
	int64_t start;
	int rc;

	db_param_ll(&q, pic);
	if ((rc = db_query(c, &stmt_picture_one, q.v, &r, err)) < 0)
		return rc;
	tc = rc ? db_val(r, 0, 3) : NULL;
	rc = tc == NULL ? err_set(err, SP_EINVAL, "the clip has no start timecode") :
	    soundsync_clip_rate((unsigned)db_ll(r, 0, 1), (unsigned)db_ll(r, 0, 2), tc, &rate, err);
	if (rc == 0)
		rc = timecode_parse(tc, &rate, &start, err);
	PQclear(r);
	if (rc < 0)
		return rc;
	if ((rc = soundsync_load_sounds(c, &stmt_sound_one, snd, &s, &n, err)) < 0)
		return rc;
	rc = n == 1 ? soundsync_span(&s[0], &rate, &span, err) : err_set(err, SP_EINVAL,
	    "sound clip %lld not found", snd);
	free(s);
	if (rc < 0)
		return rc;
	*offset = ((start - span.start) % timecode_frames_per_day(&rate) +
	    timecode_frames_per_day(&rate)) % timecode_frames_per_day(&rate);
	/* A picture that starts before the take rolled: a small negative offset, not a day. */
	if (*offset > timecode_frames_per_day(&rate) / 2)
		*offset -= timecode_frames_per_day(&rate);
	return 0;
}

int
soundsync_set_manual(struct db_conn *c, long long clip_id, long long sound_clip_id,
    const long long *offset_given, const char *actor, struct err *err)
{
	long long offset_frames = offset_given ? *offset_given : 0;
	char kind[8], skind[8];
	long long prod, day, sprod, sday;
	struct db_params q = { 0 };
	int rc;

	if ((rc = soundsync_where(c, clip_id, kind, &prod, &day, err)) < 0)
		return rc;
	if (strcmp(kind, "sound") == 0)
		return err_set(err, SP_EINVAL, "clip %lld is a sound clip: give a picture clip", clip_id);
	if (sound_clip_id > 0) {
		if ((rc = soundsync_where(c, sound_clip_id, skind, &sprod, &sday, err)) < 0)
			return rc == SP_ENOTFOUND ? err_set(err, SP_EINVAL, "sound_clip_id: clip %lld not "
			    "found", sound_clip_id) : rc;
		if (strcmp(skind, "sound"))
			return err_set(err, SP_EINVAL, "sound_clip_id: clip %lld is not on a sound card",
			    sound_clip_id);
		if (sprod != prod)
			return err_set(err, SP_EINVAL, "sound_clip_id: clip %lld belongs to another "
			    "production", sound_clip_id);
	}
	if (sound_clip_id > 0 && offset_given == NULL &&
	    soundsync_offset(c, clip_id, sound_clip_id, &offset_frames, err) < 0)
		return err_prefix(err, "offset_frames: required, the timecodes cannot give it: ");
	db_param_ll(&q, day);
	db_param_str(&q, NULL);
	if ((rc = db_query(c, &stmt_lock, q.v, NULL, err)) < 0)
		return rc;
	rc = soundsync_write(c, &stmt_manual, clip_id, sound_clip_id, offset_frames, "manual", NULL,
	    actor, err);
	return rc < 0 ? rc : 0;
}

int
soundsync_rematch(struct db_conn *c, long long clip_id, const char *actor, struct err *err)
{
	char kind[8];
	struct db_params q = { 0 };
	long long prod, day;
	int rc;

	if ((rc = soundsync_where(c, clip_id, kind, &prod, &day, err)) < 0)
		return rc;
	if (strcmp(kind, "sound") == 0)
		return err_set(err, SP_EINVAL, "clip %lld is a sound clip: give a picture clip", clip_id);
	db_param_ll(&q, clip_id);
	if ((rc = db_query(c, &stmt_forget, q.v, NULL, err)) < 0)
		return rc;
	return soundsync_match_day(c, day, clip_id, actor, NULL, NULL, err);
}
