/* qc: one ffmpeg pass of picture, sound and focus checks, its output read back and turned into
 * measures and findings (see qc.h). */
#include "lib/media/qc.h"
#include "lib/media/frameseq.h"

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const qc_kinds[QC_NKINDS] = { "clipped_highlights", "crushed_blacks",
	"black", "frozen", "audio_clipping", "silent_channel", "soft_focus", "decode_errors" };
static const char *const qc_severities[] = { "info", "warning", "error", "never" };
/* setpost's own codes: the Netflix Production QC Glossary's codes could not be checked against
 * its published list for these automatic findings, so none is claimed (docs/dit.md). */
static const char *const qc_codes[QC_NKINDS] = { "SP-IMG-CLIP", "SP-IMG-CRUSH", "SP-IMG-BLACK",
	"SP-IMG-FREEZE", "SP-AUD-CLIP", "SP-AUD-MUTE", "SP-IMG-FOCUS", "SP-FILE-DECODE" };

const char *
qc_kind_name(enum qc_kind k)
{
	return k >= 0 && k < QC_NKINDS ? qc_kinds[k] : "?";
}

const char *
qc_kind_code(enum qc_kind k)
{
	return k >= 0 && k < QC_NKINDS ? qc_codes[k] : "?";
}

const char *
qc_kind_code_of(const char *name)
{
	for (int k = 0; k < QC_NKINDS; k++)
		if (strcmp(qc_kinds[k], name) == 0)
			return qc_codes[k];
	return NULL;
}

const char *
qc_severity_name(int severity)
{
	return severity >= 0 && severity <= QC_NEVER ? qc_severities[severity] : "?";
}

/* --- settings --------------------------------------------------------------------------- */

/* Every numeric setting: its name, where it lives in the struct, its range. */
static const struct {
	const char *name;
	size_t offset;
	double min, max;
} qc_numbers[] = {
	{ "highlight_level", offsetof(struct qc_settings, highlight_level), 0.5, 1 },
	{ "shadow_level", offsetof(struct qc_settings, shadow_level), 0, 0.5 },
	{ "clipped_min_seconds", offsetof(struct qc_settings, clipped_min_seconds), 0, 3600 },
	{ "crushed_min_seconds", offsetof(struct qc_settings, crushed_min_seconds), 0, 3600 },
	{ "black_min_seconds", offsetof(struct qc_settings, black_min_seconds), 0, 3600 },
	{ "black_pixel_threshold", offsetof(struct qc_settings, black_pixel_threshold), 0, 1 },
	{ "black_picture_ratio", offsetof(struct qc_settings, black_picture_ratio), 0.5, 1 },
	{ "freeze_min_seconds", offsetof(struct qc_settings, freeze_min_seconds), 0.1, 3600 },
	{ "freeze_noise", offsetof(struct qc_settings, freeze_noise), 0, 1 },
	{ "silence_db", offsetof(struct qc_settings, silence_db), -150, 0 },
	{ "silence_min_seconds", offsetof(struct qc_settings, silence_min_seconds), 0.1, 3600 },
	{ "silent_channel_share", offsetof(struct qc_settings, silent_channel_share), 0.1, 1 },
	{ "audio_clip_db", offsetof(struct qc_settings, audio_clip_db), -20, 0 },
	{ "focus_interval_seconds", offsetof(struct qc_settings, focus_interval_seconds), 0.04, 60 },
	{ "focus_soft_ratio", offsetof(struct qc_settings, focus_soft_ratio), 0.01, 1 },
};

void
qc_settings_default(struct qc_settings *s)
{
	static const int severity[QC_NKINDS] = { QC_WARNING, QC_WARNING, QC_WARNING, QC_ERROR,
		QC_WARNING, QC_WARNING, QC_WARNING, QC_ERROR };

	*s = (struct qc_settings){
		.highlight_level = 0.91,       /* ~ legal white (235/255, 940/1023) and above */
		.shadow_level = 0.063,         /* ~ legal black (16/255, 64/1023) and below */
		.clipped_min_seconds = 0.5,
		.crushed_min_seconds = 0.5,
		.black_min_seconds = 0.5,
		.black_pixel_threshold = 0.10,
		.black_picture_ratio = 0.98,
		.freeze_min_seconds = 1.0,
		.freeze_noise = 0.001,
		.silence_db = -60,
		.silence_min_seconds = 1.0,
		.silent_channel_share = 0.9,
		.audio_clip_db = -0.1,
		.focus_interval_seconds = 0.5,
		.focus_width = 480,
		.focus_soft_ratio = 0.5,
		.focus_min_samples = 2,
		.hold_severity = QC_ERROR,
		.hold_blocks = QC_BLOCKS_DELIVERY | QC_BLOCKS_PULL,
	};
	memcpy(s->severity, severity, sizeof(severity));
}

static int
qc_severity_parse(json_t *v, const char *where, bool never_ok, int *out, struct err *err)
{
	const char *s = json_string_value(v);

	for (int i = 0; s && i <= (never_ok ? QC_NEVER : QC_ERROR); i++)
		if (strcmp(s, qc_severities[i]) == 0) {
			*out = i;
			return 0;
		}
	return err_set(err, SP_EINVAL, "settings.qc.%s: expected info, warning, error%s", where,
	    never_ok ? " or never" : "");
}

static int
qc_settings_severity(struct qc_settings *s, json_t *obj, struct err *err)
{
	const char *key;
	json_t *v;
	char where[64];

	if (!json_is_object(obj))
		return err_set(err, SP_EINVAL, "settings.qc.severity: expected an object of kind: level");
	json_object_foreach(obj, key, v) {
		int k = 0;
		while (k < QC_NKINDS && strcmp(qc_kinds[k], key) != 0)
			k++;
		if (k == QC_NKINDS)
			return err_set(err, SP_EINVAL, "settings.qc.severity.%s: unknown kind", key);
		snprintf(where, sizeof(where), "severity.%s", key);
		if (qc_severity_parse(v, where, false, &s->severity[k], err) < 0)
			return SP_EINVAL;
	}
	return 0;
}

/* hold_blocks: a list of what a hold stops, each at most once. */
static int
qc_settings_blocks(struct qc_settings *s, json_t *v, struct err *err)
{
	static const char *const names[] = { "delivery", "pull" };
	static const unsigned bits[] = { QC_BLOCKS_DELIVERY, QC_BLOCKS_PULL };
	unsigned blocks = 0;
	json_t *e;
	size_t i;

	if (!json_is_array(v))
		return err_set(err, SP_EINVAL, "settings.qc.hold_blocks: expected a list of "
		    "\"delivery\" and \"pull\"");
	json_array_foreach(v, i, e) {
		size_t k = 0;
		while (k < 2 && !(json_is_string(e) && strcmp(json_string_value(e), names[k]) == 0))
			k++;
		if (k == 2 || (blocks & bits[k]))
			return err_set(err, SP_EINVAL, "settings.qc.hold_blocks[%zu]: expected \"delivery\""
			    " or \"pull\", each at most once", i);
		blocks |= bits[k];
	}
	s->hold_blocks = blocks;
	return 0;
}

/* One key of the qc object. */
static int
qc_settings_key(struct qc_settings *s, const char *key, json_t *v, struct err *err)
{
	if (strcmp(key, "severity") == 0)
		return qc_settings_severity(s, v, err);
	if (strcmp(key, "hold") == 0)
		return qc_severity_parse(v, "hold", true, &s->hold_severity, err);
	if (strcmp(key, "hold_blocks") == 0)
		return qc_settings_blocks(s, v, err);
	if (strcmp(key, "focus_width") == 0 || strcmp(key, "focus_min_samples") == 0) {
		bool w = strcmp(key, "focus_width") == 0;
		json_int_t n = json_integer_value(v);
		if (!json_is_integer(v) || n < (w ? 64 : 1) || n > (w ? 1920 : 100))
			return err_set(err, SP_EINVAL, "settings.qc.%s: expected a whole number from %d "
			    "to %d", key, w ? 64 : 1, w ? 1920 : 100);
		*(w ? &s->focus_width : &s->focus_min_samples) = (int)n;
		return 0;
	}
	for (size_t i = 0; i < sizeof(qc_numbers) / sizeof(qc_numbers[0]); i++) {
		double d = json_number_value(v);
		if (strcmp(key, qc_numbers[i].name) != 0)
			continue;
		if (!json_is_number(v) || d < qc_numbers[i].min || d > qc_numbers[i].max)
			return err_set(err, SP_EINVAL, "settings.qc.%s: expected a number from %g to %g",
			    key, qc_numbers[i].min, qc_numbers[i].max);
		*(double *)(void *)((char *)s + qc_numbers[i].offset) = d;
		return 0;
	}
	return err_set(err, SP_EINVAL, "settings.qc.%s: unknown setting", key);
}

int
qc_settings_parse(struct qc_settings *s, json_t *qc, struct err *err)
{
	const char *key;
	json_t *v;
	int rc;

	if (qc == NULL || json_is_null(qc))
		return 0;
	if (!json_is_object(qc))
		return err_set(err, SP_EINVAL, "settings.qc: expected an object");
	json_object_foreach(qc, key, v)
		if ((rc = qc_settings_key(s, key, v, err)) < 0)
			return rc;
	return 0;
}

json_t *
qc_settings_json(const struct qc_settings *s)
{
	json_t *j = json_object(), *sev = json_object();

	for (size_t i = 0; i < sizeof(qc_numbers) / sizeof(qc_numbers[0]); i++)
		json_object_set_new(j, qc_numbers[i].name,
		    json_real(*(const double *)(const void *)((const char *)s + qc_numbers[i].offset)));
	json_object_set_new(j, "focus_width", json_integer(s->focus_width));
	json_object_set_new(j, "focus_min_samples", json_integer(s->focus_min_samples));
	for (int k = 0; k < QC_NKINDS; k++)
		json_object_set_new(sev, qc_kinds[k], json_string(qc_severity_name(s->severity[k])));
	json_object_set_new(j, "severity", sev);
	json_object_set_new(j, "hold", json_string(qc_severity_name(s->hold_severity)));
	json_object_set_new(j, "hold_blocks", json_array());
	if (s->hold_blocks & QC_BLOCKS_DELIVERY)
		json_array_append_new(json_object_get(j, "hold_blocks"), json_string("delivery"));
	if (s->hold_blocks & QC_BLOCKS_PULL)
		json_array_append_new(json_object_get(j, "hold_blocks"), json_string("pull"));
	return j;
}

/* --- results ---------------------------------------------------------------------------- */

long long
qc_frame_at(double seconds, unsigned fps_num, unsigned fps_den)
{
	if (!(seconds > 0) || fps_den == 0)
		return 0;
	return llround(seconds * fps_num / fps_den);
}

void
qc_flag_add(struct qc_result *res, const struct qc_settings *s, enum qc_kind kind,
    long long start, long long end, int channel, double value, const char *fmt, ...)
{
	struct qc_flag *f, *grown;
	va_list ap;

	if ((res->nflags & 15) == 0) {
		grown = realloc(res->flags, sizeof(*grown) * (size_t)(res->nflags + 16));
		if (grown == NULL)
			return;
		res->flags = grown;
	}
	f = &res->flags[res->nflags++];
	f->kind = kind;
	f->severity = s->severity[kind];
	f->start = start < 0 ? 0 : start;
	f->end = end < f->start ? f->start : end;
	f->channel = channel;
	f->value = value;
	va_start(ap, fmt);
	vsnprintf(f->message, sizeof(f->message), fmt, ap);
	va_end(ap);
}

void
qc_result_release(struct qc_result *res)
{
	free(res->focus);
	free(res->flags);
	json_decref(res->command);
	res->focus = NULL;
	res->flags = NULL;
	res->command = NULL;
	res->nfocus = res->nflags = 0;
}

static json_t *
qc_jdb(double v)
{
	return isfinite(v) ? json_real(round(v * 100) / 100) : json_null();
}

json_t *
qc_audio_json(const struct qc_result *res)
{
	json_t *a = json_array();

	for (int c = 0; c < res->channels; c++)
		json_array_append_new(a, json_pack("{s:i,s:o,s:o,s:o,s:o}", "channel", c + 1,
		    "peak_db", qc_jdb(res->ch[c].peak_db), "rms_db", qc_jdb(res->ch[c].rms_db),
		    "clipped_seconds", qc_jdb(res->ch[c].clipped_seconds),
		    "silent_seconds", qc_jdb(res->ch[c].silent_seconds)));
	return a;
}

json_t *
qc_focus_json(const struct qc_result *res)
{
	json_t *a = json_array();

	for (int i = 0; i < res->nfocus; i++)
		json_array_append_new(a, json_pack("[I,f]", (json_int_t)res->focus[i].frame,
		    res->focus[i].score < 0 ? -1.0 : round(res->focus[i].score * 100) / 100));
	return a;
}

/* --- reading ffmpeg's output ------------------------------------------------------------ */

struct qc_span {
	long long start, end;   /* frames, inclusive */
};

struct qc_spans {
	struct qc_span *v;
	int n;
};

static void
qc_span_add(struct qc_spans *s, long long start, long long end)
{
	struct qc_span *grown;

	if ((s->n & 15) == 0) {
		if ((grown = realloc(s->v, sizeof(*grown) * (size_t)(s->n + 16))) == NULL)
			return;
		s->v = grown;
	}
	s->v[s->n++] = (struct qc_span){ start, end };
}

/* What the parser holds while ffmpeg runs. */
struct qc_state {
	const struct qc_input *in;
	const struct qc_settings *s;
	struct qc_result *res;
	/* picture: the frame being read, and marks per frame (bit 1 clipped, bit 2 crushed) */
	long long vframe;
	double t0;
	bool t0_set;
	double ymin, yavg, ymax, ylow, yhigh;
	bool vhave;
	uint8_t *marks;
	long long nmarks;
	double luma_sum;
	long long luma_frames;
	int ymin_i, ymax_i;
	long long black_start;          /* open black stretch, or -1 */
	struct qc_spans black;
	double freeze_start;            /* open freeze (seconds), or -1 */
	struct qc_spans frozen;
	/* sound: the window being read */
	double wtime;
	bool whave;
	double wpeak[QC_MAX_CHANNELS], wrms[QC_MAX_CHANNELS];
	double window;                  /* seconds per window */
	/* focus: the frame being filled */
	uint8_t *fbuf;
	size_t fhave, fsize;
};

static long long
qc_frame(const struct qc_state *q, double t)
{
	return qc_frame_at(t - (q->t0_set ? q->t0 : 0), q->in->fps_num, q->in->fps_den);
}

static void
qc_mark(struct qc_state *q, long long frame, uint8_t bits)
{
	if (frame < 0)
		return;
	if (frame >= q->nmarks) {
		long long n = q->nmarks ? q->nmarks : 1024;
		uint8_t *grown;
		while (n <= frame)
			n *= 2;
		if ((grown = realloc(q->marks, (size_t)n)) == NULL)
			return;
		memset(grown + q->nmarks, 0, (size_t)(n - q->nmarks));
		q->marks = grown;
		q->nmarks = n;
	}
	q->marks[frame] |= bits;
}

/* The end of one frame's metadata block. */
static void
qc_video_frame_done(struct qc_state *q)
{
	int depth = q->res->bit_depth > 0 ? q->res->bit_depth : 8;
	double max = (double)((1 << depth) - 1);

	if (!q->vhave)
		return;
	q->vhave = false;
	q->res->frames = q->vframe + 1;
	if (q->luma_frames == 0 || q->ymin < q->ymin_i)
		q->ymin_i = (int)q->ymin;
	if (q->luma_frames == 0 || q->ymax > q->ymax_i)
		q->ymax_i = (int)q->ymax;
	q->luma_sum += q->yavg;
	q->luma_frames++;
	qc_mark(q, q->vframe, (uint8_t)((q->yhigh / max >= q->s->highlight_level ? 1 : 0) |
	    (q->ylow / max <= q->s->shadow_level ? 2 : 0)));
}

static void
qc_video_key(struct qc_state *q, const char *key, const char *val)
{
	double v = strtod(val, NULL);

	if (strcmp(key, "lavfi.signalstats.YMIN") == 0)
		q->ymin = v;
	else if (strcmp(key, "lavfi.signalstats.YAVG") == 0)
		q->yavg = v;
	else if (strcmp(key, "lavfi.signalstats.YMAX") == 0)
		q->ymax = v;
	else if (strcmp(key, "lavfi.signalstats.YLOW") == 0)
		q->ylow = v;
	else if (strcmp(key, "lavfi.signalstats.YHIGH") == 0)
		q->yhigh = v;
	else if (strcmp(key, "lavfi.black_start") == 0 && q->black_start < 0)
		q->black_start = q->vframe;
	else if (strcmp(key, "lavfi.black_end") == 0 && q->black_start >= 0) {
		qc_span_add(&q->black, q->black_start, q->vframe - 1);
		q->black_start = -1;
	} else if (strcmp(key, "lavfi.freezedetect.freeze_start") == 0)
		q->freeze_start = v;
	else if (strcmp(key, "lavfi.freezedetect.freeze_end") == 0 && q->freeze_start >= 0) {
		qc_span_add(&q->frozen, qc_frame(q, q->freeze_start), qc_frame(q, v) - 1);
		q->freeze_start = -1;
	}
}

/* "frame:12   pts:6144    pts_time:0.48" */
static bool
qc_frame_line(const char *line, long long *n, double *t)
{
	const char *pt;

	if (strncmp(line, "frame:", 6) != 0)
		return false;
	*n = strtoll(line + 6, NULL, 10);
	pt = strstr(line, "pts_time:");
	*t = pt ? strtod(pt + 9, NULL) : 0;
	return true;
}

static int
qc_on_video(void *arg, const char *line, size_t len, struct err *err)
{
	struct qc_state *q = arg;
	const char *eq = strchr(line, '=');
	char key[128];
	long long n;
	double t;

	(void)len;
	(void)err;
	if (qc_frame_line(line, &n, &t)) {
		qc_video_frame_done(q);
		q->vframe = n;
		q->vhave = true;
		if (!q->t0_set) {
			q->t0 = isfinite(t) ? t : 0;
			q->t0_set = true;
		}
		return 0;
	}
	if (eq == NULL || (size_t)(eq - line) >= sizeof(key))
		return 0;
	snprintf(key, sizeof(key), "%.*s", (int)(eq - line), line);
	qc_video_key(q, key, eq + 1);
	return 0;
}

/* Clipping closer than this to the previous clipping continues its run. */
#define QC_CLIP_GAP 0.5

static void
qc_clip_close(struct qc_state *q, int c)
{
	struct qc_channel *ch = &q->res->ch[c];

	qc_flag_add(q->res, q->s, QC_AUDIO_CLIPPING, qc_frame(q, ch->clip_start),
	    qc_frame(q, ch->clip_end) - 1, c + 1, ch->clip_peak, "channel %d clips: peaks at "
	    "%.1f dBFS for %.1f s", c + 1, ch->clip_peak, ch->clip_end - ch->clip_start);
	ch->clip_start = -1;
}

/* The end of one audio window: per channel, its peak and mean square, and clipping runs. */
static void
qc_audio_window_done(struct qc_state *q)
{
	struct qc_result *r = q->res;
	double end = q->wtime + q->window;

	if (!q->whave)
		return;
	q->whave = false;
	if (end > r->audio_seconds)
		r->audio_seconds = end;
	for (int c = 0; c < r->channels; c++) {
		struct qc_channel *ch = &r->ch[c];
		bool open = ch->clip_start >= 0;
		if (ch->windows == 0 || q->wpeak[c] > ch->peak_db)
			ch->peak_db = q->wpeak[c];
		if (isfinite(q->wrms[c]))
			ch->energy += pow(10, q->wrms[c] / 10);
		ch->windows++;
		if (q->wpeak[c] < q->s->audio_clip_db) {
			if (open && end - ch->clip_end >= QC_CLIP_GAP)
				qc_clip_close(q, c);
			continue;
		}
		if (open && q->wtime - ch->clip_end >= QC_CLIP_GAP)
			qc_clip_close(q, c);
		if (ch->clip_start < 0) {
			ch->clip_start = q->wtime;
			ch->clip_peak = q->wpeak[c];
		}
		ch->clip_end = end;
		ch->clipped_seconds += q->window;
		if (q->wpeak[c] > ch->clip_peak)
			ch->clip_peak = q->wpeak[c];
	}
}

static void
qc_silence(struct qc_state *q, int c, bool start, double t)
{
	struct qc_channel *ch;

	if (c < 1 || c > q->res->channels)
		return;
	ch = &q->res->ch[c - 1];
	if (start) {
		ch->silence_start = t;
		if (ch->silent_seconds == 0)
			ch->silence_first = t;
		return;
	}
	if (ch->silence_start < 0)
		return;
	ch->silent_seconds += t - ch->silence_start;
	ch->silence_last = t;
	ch->silence_start = -1;
}

static void
qc_audio_key(struct qc_state *q, const char *key, const char *val)
{
	const char *dot;
	int c;

	if (strncmp(key, "lavfi.astats.", 13) == 0) {
		c = (int)strtol(key + 13, NULL, 10);
		dot = strchr(key + 13, '.');
		if (c < 1 || c > QC_MAX_CHANNELS || dot == NULL)
			return;
		if (c > q->res->channels)
			q->res->channels = c;
		if (strcmp(dot + 1, "Peak_level") == 0)
			q->wpeak[c - 1] = strtod(val, NULL);
		else if (strcmp(dot + 1, "RMS_level") == 0)
			q->wrms[c - 1] = strtod(val, NULL);
	} else if (strncmp(key, "lavfi.silence_start.", 20) == 0) {
		qc_silence(q, (int)strtol(key + 20, NULL, 10), true, strtod(val, NULL));
	} else if (strncmp(key, "lavfi.silence_end.", 18) == 0) {
		qc_silence(q, (int)strtol(key + 18, NULL, 10), false, strtod(val, NULL));
	}
}

static int
qc_on_audio(void *arg, const char *line, size_t len, struct err *err)
{
	struct qc_state *q = arg;
	const char *eq = strchr(line, '=');
	char key[128];
	long long n;
	double t;

	(void)len;
	(void)err;
	if (qc_frame_line(line, &n, &t)) {
		qc_audio_window_done(q);
		q->wtime = t;
		q->whave = true;
		return 0;
	}
	if (eq == NULL || (size_t)(eq - line) >= sizeof(key))
		return 0;
	snprintf(key, sizeof(key), "%.*s", (int)(eq - line), line);
	qc_audio_key(q, key, eq + 1);
	return 0;
}

/* Raw grey frames of the focus branch: one score each. */
static int
qc_on_focus(void *arg, const char *data, size_t len, struct err *err)
{
	struct qc_state *q = arg;
	struct qc_result *r = q->res;

	while (len > 0) {
		size_t take = q->fsize - q->fhave;
		if (take > len)
			take = len;
		memcpy(q->fbuf + q->fhave, data, take);
		q->fhave += take;
		data += take;
		len -= take;
		if (q->fhave < q->fsize)
			break;
		q->fhave = 0;
		if ((r->nfocus & 63) == 0) {
			struct focus_sample *grown = realloc(r->focus, sizeof(*grown) *
			    (size_t)(r->nfocus + 64));
			if (grown == NULL)
				return err_set(err, SP_ENOMEM, "out of memory");
			r->focus = grown;
		}
		r->focus[r->nfocus] = (struct focus_sample){ (long long)r->nfocus * r->focus_every,
			focus_laplacian_variance(q->fbuf, r->focus_w, r->focus_h, (size_t)r->focus_w) };
		r->nfocus++;
	}
	return 0;
}

/* --- the command ------------------------------------------------------------------------ */

/* Focus frames: focus_width wide (never upscaled), the display aspect kept, even sizes. */
static void
qc_focus_size(const struct qc_input *in, const struct qc_settings *s, int *w, int *h)
{
	double dw = (double)in->width * (in->sar_num > 0 ? in->sar_num : 1) /
	    (in->sar_den > 0 ? in->sar_den : 1);

	*w = (int)(dw < s->focus_width ? dw : s->focus_width) & ~1;
	*h = dw > 0 ? ((int)lround(*w * in->height / dw) & ~1) : 0;
}

struct qc_argv {
	char graph[8192];
	struct media_input in;     /* the clip: a file, or a DPX/OpenEXR frame sequence */
	const char *argv[48];
	int argc;
};

static void
qc_arg(struct qc_argv *a, const char *s)
{
	if (a->argc < (int)(sizeof(a->argv) / sizeof(a->argv[0])) - 1)
		a->argv[a->argc++] = s;
	a->argv[a->argc] = NULL;
}

static void
qc_graph_video(struct qc_argv *a, const struct qc_settings *s, const struct qc_result *r)
{
	size_t used = strlen(a->graph);

	snprintf(a->graph + used, sizeof(a->graph) - used,
	    "[0:v:0]split=2[qs][qf];"
	    "[qs]signalstats,blackdetect=d=0:pix_th=%g:pic_th=%g,freezedetect=n=%g:d=%g,"
	    "metadata=mode=print:file=pipe\\\\:4[qv];"
	    "[qf]select='not(mod(n\\,%d))',scale=%d:%d:flags=area,format=gray[qf2]",
	    s->black_pixel_threshold, s->black_picture_ratio, s->freeze_noise,
	    s->freeze_min_seconds, r->focus_every, r->focus_w, r->focus_h);
}

static void
qc_graph_audio(struct qc_argv *a, const struct qc_input *in, const struct qc_settings *s,
    int window_samples)
{
	int n = in->audio_streams > QC_MAX_CHANNELS ? QC_MAX_CHANNELS : in->audio_streams;
	size_t used = strlen(a->graph);

	if (used)
		used += (size_t)snprintf(a->graph + used, sizeof(a->graph) - used, ";");
	for (int i = 0; i < n; i++)
		used += (size_t)snprintf(a->graph + used, sizeof(a->graph) - used, "[0:a:%d]", i);
	if (n > 1)
		used += (size_t)snprintf(a->graph + used, sizeof(a->graph) - used,
		    "amerge=inputs=%d,", n);
	snprintf(a->graph + used, sizeof(a->graph) - used,
	    "asetnsamples=n=%d:p=0,"
	    "astats=metadata=1:reset=1:measure_overall=none:measure_perchannel=Peak_level+RMS_level,"
	    "silencedetect=n=%gdB:d=%g:mono=1,ametadata=mode=print:file=pipe\\\\:5[qa]",
	    window_samples, s->silence_db, s->silence_min_seconds);
}

/* Builds the ffmpeg command for in (argv borrowed from a). */
static int
qc_command(struct qc_argv *a, const struct qc_input *in, const struct qc_settings *s,
    const struct qc_result *r, int window_samples, struct err *err)
{
	static const char *const head[] = { "ffmpeg", "-nostdin", "-hide_banner", "-nostats",
		"-v", "error", "-progress", "pipe:3" };
	int rc;

	a->argc = 0;
	a->graph[0] = '\0';
	for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++)
		qc_arg(a, head[i]);
	if ((rc = media_input_of(in->path, &a->in, err)) < 0)
		return rc;
	for (int i = 0; i < a->in.argc; i++)
		qc_arg(a, a->in.argv[i]);
	if (in->video)
		qc_graph_video(a, s, r);
	if (in->audio_streams > 0)
		qc_graph_audio(a, in, s, window_samples);
	qc_arg(a, "-filter_complex");
	qc_arg(a, a->graph);
	if (in->video) {
		static const char *const v[] = { "-map", "[qv]", "-f", "null", "-", "-map", "[qf2]",
			"-f", "rawvideo", "-pix_fmt", "gray", "-fps_mode", "passthrough", "pipe:1" };
		for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
			qc_arg(a, v[i]);
	}
	if (in->audio_streams > 0) {
		static const char *const au[] = { "-map", "[qa]", "-f", "null", "-" };
		for (size_t i = 0; i < sizeof(au) / sizeof(au[0]); i++)
			qc_arg(a, au[i]);
	}
	return 0;
}

/* --- findings --------------------------------------------------------------------------- */

static bool
qc_in_spans(const struct qc_spans *s, long long f)
{
	for (int i = 0; i < s->n; i++)
		if (f >= s->v[i].start && f <= s->v[i].end)
			return true;
	return false;
}

/* Runs of frames carrying mark bit (outside black stretches) of at least min_seconds. */
static void
qc_mark_runs(struct qc_state *q, uint8_t bit, enum qc_kind kind, double min_seconds)
{
	struct qc_result *r = q->res;
	long long min = qc_frame_at(min_seconds, q->in->fps_num, q->in->fps_den), start = -1;

	for (long long f = 0; f <= r->frames; f++) {
		bool on = f < r->frames && f < q->nmarks && (q->marks[f] & bit) &&
		    !qc_in_spans(&q->black, f);
		if (on && start < 0)
			start = f;
		if (on || start < 0)
			continue;
		if (f - start >= (min > 0 ? min : 1))
			qc_flag_add(r, q->s, kind, start, f - 1, 0, (double)(f - start),
			    kind == QC_CLIPPED ? "highlights clipped for %lld frames" :
			    "blacks crushed for %lld frames", f - start);
		start = -1;
	}
}

/* Frozen stretches minus the black ones (a black picture is frozen too). */
static void
qc_frozen_flags(struct qc_state *q)
{
	long long min = qc_frame_at(q->s->freeze_min_seconds, q->in->fps_num, q->in->fps_den);

	for (int i = 0; i < q->frozen.n; i++) {
		long long start = -1;
		for (long long f = q->frozen.v[i].start; f <= q->frozen.v[i].end + 1; f++) {
			bool on = f <= q->frozen.v[i].end && !qc_in_spans(&q->black, f);
			if (on && start < 0)
				start = f;
			if (on || start < 0)
				continue;
			if (f - start >= min)
				qc_flag_add(q->res, q->s, QC_FROZEN, start, f - 1, 0, (double)(f - start),
				    "picture frozen for %lld frames", f - start);
			start = -1;
		}
	}
}

static void
qc_picture_flags(struct qc_state *q)
{
	struct qc_result *r = q->res;
	long long min = qc_frame_at(q->s->black_min_seconds, q->in->fps_num, q->in->fps_den);
	long long clipped = 0, crushed = 0;
	int depth = r->bit_depth > 0 ? r->bit_depth : 8;
	double max = (double)((1 << depth) - 1);

	if (q->black_start >= 0)
		qc_span_add(&q->black, q->black_start, r->frames - 1);
	if (q->freeze_start >= 0)
		qc_span_add(&q->frozen, qc_frame(q, q->freeze_start), r->frames - 1);
	for (int i = 0; i < q->black.n; i++)
		if (q->black.v[i].end - q->black.v[i].start + 1 >= (min > 0 ? min : 1))
			qc_flag_add(r, q->s, QC_BLACK, q->black.v[i].start, q->black.v[i].end, 0,
			    (double)(q->black.v[i].end - q->black.v[i].start + 1),
			    "black for %lld frames", q->black.v[i].end - q->black.v[i].start + 1);
	qc_frozen_flags(q);
	qc_mark_runs(q, 1, QC_CLIPPED, q->s->clipped_min_seconds);
	qc_mark_runs(q, 2, QC_CRUSHED, q->s->crushed_min_seconds);
	for (long long f = 0; f < r->frames && f < q->nmarks; f++) {
		if (q->marks[f] == 0 || qc_in_spans(&q->black, f))
			continue;
		clipped += q->marks[f] & 1;
		crushed += (q->marks[f] >> 1) & 1;
	}
	r->clipped_share = r->frames ? (double)clipped / (double)r->frames : 0;
	r->crushed_share = r->frames ? (double)crushed / (double)r->frames : 0;
	r->luma_min = q->luma_frames ? q->ymin_i / max : 0;
	r->luma_max = q->luma_frames ? q->ymax_i / max : 0;
	r->luma_avg = q->luma_frames ? q->luma_sum / (double)q->luma_frames / max : 0;
	/* No focus score where the picture is black. */
	for (int i = 0; i < r->nfocus; i++)
		if (qc_in_spans(&q->black, r->focus[i].frame))
			r->focus[i].score = -1;
}

static void
qc_sound_flags(struct qc_state *q)
{
	struct qc_result *r = q->res;
	double dur = r->audio_seconds;

	for (int c = 0; c < r->channels; c++) {
		struct qc_channel *ch = &r->ch[c];
		if (ch->clip_start >= 0)
			qc_clip_close(q, c);
		if (ch->silence_start >= 0)
			qc_silence(q, c + 1, false, dur);
		ch->rms_db = ch->windows && ch->energy > 0 ?
		    10 * log10(ch->energy / (double)ch->windows) : -INFINITY;
		if (dur > 0 && ch->silent_seconds >= q->s->silent_channel_share * dur)
			qc_flag_add(r, q->s, QC_SILENT_CHANNEL, qc_frame(q, ch->silence_first),
			    qc_frame(q, ch->silence_last) - 1, c + 1, ch->silent_seconds / dur,
			    "channel %d silent (below %.0f dBFS) for %.0f%% of the clip", c + 1,
			    q->s->silence_db, 100 * ch->silent_seconds / dur);
	}
}

static void
qc_finish(struct qc_state *q, const struct ffmpeg_run *run)
{
	struct qc_result *r = q->res;

	qc_video_frame_done(q);
	qc_audio_window_done(q);
	if (r->frames == 0 && q->in->fps_num)
		r->frames = qc_frame_at(r->audio_seconds, q->in->fps_num, q->in->fps_den);
	if (q->in->video)
		qc_picture_flags(q);
	qc_sound_flags(q);
	r->decode_errors = run->error_lines;
	if (r->decode_errors > 0) {
		ffmpeg_last_lines(run->tail, 3, r->errors, sizeof(r->errors));
		qc_flag_add(r, q->s, QC_DECODE_ERRORS, 0, r->frames > 0 ? r->frames - 1 : 0, 0,
		    r->decode_errors, "ffmpeg reported %d error line(s) while decoding: %.180s",
		    r->decode_errors, r->errors);
	}
}

/* --- running ---------------------------------------------------------------------------- */

static void
qc_state_init(struct qc_state *q, const struct qc_input *in, const struct qc_settings *s,
    struct qc_result *res)
{
	memset(q, 0, sizeof(*q));
	q->in = in;
	q->s = s;
	q->res = res;
	q->black_start = -1;
	q->freeze_start = -1;
	for (int c = 0; c < QC_MAX_CHANNELS; c++) {
		res->ch[c].clip_start = -1;
		res->ch[c].silence_start = -1;
		res->ch[c].peak_db = -INFINITY;
		q->wpeak[c] = q->wrms[c] = -INFINITY;
	}
}

static void
qc_state_release(struct qc_state *q)
{
	free(q->marks);
	free(q->black.v);
	free(q->frozen.v);
	free(q->fbuf);
}

static void
qc_command_json(struct qc_result *res, const struct qc_argv *a)
{
	res->command = json_array();
	for (int i = 0; i < a->argc; i++)
		json_array_append_new(res->command, json_string(a->argv[i]));
}

int
qc_run(const struct qc_input *in, const struct qc_settings *s, const struct qc_hooks *h,
    struct qc_result *res, struct err *err)
{
	struct qc_state q;
	struct ffmpeg_run run;
	struct qc_argv *a = calloc(1, sizeof(*a));
	int rate = in->audio_sample_rate > 0 ? in->audio_sample_rate : 48000, rc;
	double fps = in->fps_den ? (double)in->fps_num / in->fps_den : 0;

	memset(res, 0, sizeof(*res));
	qc_state_init(&q, in, s, res);
	res->bit_depth = in->bit_depth >= 8 && in->bit_depth <= 16 ? in->bit_depth : 8;
	memset(&run, 0, sizeof(run));
	if (a == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	if (!in->video && in->audio_streams <= 0) {
		rc = err_set(err, SP_EUNSUPPORTED, "nothing to check: no picture or sound stream");
		goto out;
	}
	q.window = rate / 10 / (double)rate;
	res->focus_every = fps > 0 ? (int)lround(fps * s->focus_interval_seconds) : 1;
	if (res->focus_every < 1)
		res->focus_every = 1;
	qc_focus_size(in, s, &res->focus_w, &res->focus_h);
	if (in->video && (res->focus_w < 8 || res->focus_h < 8)) {
		rc = err_set(err, SP_EUNSUPPORTED, "picture size %dx%d too small to check",
		    in->width, in->height);
		goto out;
	}
	q.fsize = (size_t)res->focus_w * (size_t)res->focus_h;
	if (in->video && (q.fbuf = malloc(q.fsize)) == NULL) {
		rc = err_set(err, SP_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = qc_command(a, in, s, res, rate / 10, err)) < 0)
		goto out;
	qc_command_json(res, a);
	run.argv = a->argv;
	run.progress_fd = 3;
	run.duration = in->duration;
	run.on_progress = h ? h->progress : NULL;
	run.progress_arg = h ? h->arg : NULL;
	run.canceled = h ? h->canceled : NULL;
	run.cancel_arg = h ? h->arg : NULL;
	run.background = h && h->background;
	if (in->video) {
		run.pipes[run.npipes++] = (struct ffmpeg_pipe){ 4, true, qc_on_video, &q };
		run.pipes[run.npipes++] = (struct ffmpeg_pipe){ 1, false, qc_on_focus, &q };
	}
	if (in->audio_streams > 0)
		run.pipes[run.npipes++] = (struct ffmpeg_pipe){ 5, true, qc_on_audio, &q };
	rc = ffmpeg_run(&run, err);
	res->ffmpeg_seconds = run.seconds;
	if (rc == SP_EIO)
		ffmpeg_last_lines(run.tail, 3, res->errors, sizeof(res->errors));
	if (rc == 0)
		qc_finish(&q, &run);
out:
	qc_state_release(&q);
	free(a);
	return rc;
}
