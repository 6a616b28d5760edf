/*
 * qc: the automatic quality check of a clip, in one ffmpeg pass.
 *
 * One decode feeds three branches of a filter graph:
 *   picture: signalstats (luma per frame), blackdetect, freezedetect, metadata=print to pipe 4;
 *   sound:   all audio streams merged, cut into 100 ms windows, astats (peak, RMS per channel),
 *            silencedetect per channel, ametadata=print to pipe 5;
 *   focus:   every Nth frame scaled down to grey, -f rawvideo to stdout; the variance of its
 *            Laplacian is computed here (focus.h).
 * ffmpeg's -progress goes to pipe 3 (the job's progress); its stderr is kept for errors.
 *
 * From what comes back, per clip: luma min/avg/max (0..1 of the code range), the share of
 * frames with clipped highlights (the 90th luma percentile, signalstats' YHIGH, at or above
 * highlight_level: at least a tenth of the picture is blown) and with crushed blacks (YLOW at
 * or below shadow_level), peak and RMS per audio channel, focus scores; and findings (flags),
 * each a stretch of frames: clipped_highlights, crushed_blacks, black, frozen (not counting
 * black stretches, which are frozen too), audio_clipping (windows whose peak reaches
 * audio_clip_db) and silent_channel (silent for at least silent_channel_share of the clip) per
 * channel, decode_errors. soft_focus needs the other takes of the setup and is decided by the
 * qc job (focus_soft_runs).
 *
 * Thresholds are production settings (productions.settings -> 'qc'); every one has a default
 * here. Ownership: struct qc_result owns its arrays and JSON; qc_result_release() frees them.
 */
#ifndef SETPOST_QC_H
#define SETPOST_QC_H

#include "lib/core/err.h"
#include "lib/media/ffmpeg.h"
#include "lib/media/focus.h"

#include <jansson.h>
#include <stdbool.h>

enum qc_kind {
	QC_CLIPPED, QC_CRUSHED, QC_BLACK, QC_FROZEN, QC_AUDIO_CLIPPING, QC_SILENT_CHANNEL,
	QC_SOFT_FOCUS, QC_DECODE_ERRORS, QC_NKINDS
};

enum qc_severity { QC_INFO, QC_WARNING, QC_ERROR, QC_NEVER };

const char *qc_kind_name(enum qc_kind k);
/* The finding's code in setpost's QC vocabulary ("SP-IMG-FREEZE"...; docs/dit.md lists them),
 * stable across versions so reports and the post house can count findings by code. */
const char *qc_kind_code(enum qc_kind k);
/* The code for a kind given by its name (a stored flag's), NULL when unknown. */
const char *qc_kind_code_of(const char *name);
const char *qc_severity_name(int severity);

struct qc_settings {
	double highlight_level;        /* 0..1 */
	double shadow_level;           /* 0..1 */
	double clipped_min_seconds;
	double crushed_min_seconds;
	double black_min_seconds;
	double black_pixel_threshold;  /* blackdetect pix_th */
	double black_picture_ratio;    /* blackdetect pic_th */
	double freeze_min_seconds;
	double freeze_noise;           /* freezedetect n */
	double silence_db;             /* below this a channel is silent */
	double silence_min_seconds;
	double silent_channel_share;   /* 0..1 of the clip */
	double audio_clip_db;          /* a peak at or above this is clipping (dBFS) */
	double focus_interval_seconds; /* one focus sample every so often */
	int focus_width;               /* sampled frames are scaled to this width */
	double focus_soft_ratio;       /* soft below this share of the setup's score */
	int focus_min_samples;         /* consecutive soft samples to make a finding */
	int severity[QC_NKINDS];
	int hold_severity;             /* findings at or above it hold the clip; QC_NEVER: none */
	unsigned hold_blocks;          /* QC_BLOCKS_*: what a held clip may not do until released */
};

/* What a hold blocks ("hold_blocks": ["delivery", "pull"], the default). A held clip is always
 * proxied: editorial may need to see it to decide. */
#define QC_BLOCKS_DELIVERY 1u     /* no delivery to a post house is created for it */
#define QC_BLOCKS_PULL     2u     /* its proxies are not in the dailies feed `pull` reads */

void qc_settings_default(struct qc_settings *s);
/* Applies a production's "qc" object (may be NULL) over the defaults in s. Unknown keys and
 * values out of range are SP_EINVAL naming "settings.qc.KEY". */
int qc_settings_parse(struct qc_settings *s, json_t *qc, struct err *err);
json_t *qc_settings_json(const struct qc_settings *s);

struct qc_input {
	const char *path;
	unsigned fps_num, fps_den;     /* frame numbering (25/1 for sound-only if unknown) */
	long long frames;              /* expected frames, -1 unknown */
	double duration;               /* seconds, for progress */
	int width, height, sar_num, sar_den;
	int bit_depth;                 /* of the decoded picture (signalstats' code values) */
	bool video;                    /* a picture to check */
	int audio_streams;
	int audio_sample_rate;
};

struct qc_flag {
	enum qc_kind kind;
	int severity;
	long long start, end;          /* frames, inclusive */
	int channel;                   /* 1-based; 0 for the picture */
	double value;
	char message[256];
};

#define QC_MAX_CHANNELS 64

struct qc_channel {
	double peak_db;                /* -inf when silent throughout */
	double rms_db;
	double clipped_seconds;
	double silent_seconds;
	double energy;                 /* internal: sum of window mean squares */
	long windows;
	double clip_start;             /* internal: open clipping run, or -1 */
	double clip_end;
	double clip_peak;
	double silence_start;          /* internal: open silence, or -1 */
	double silence_first, silence_last;
};

struct qc_result {
	long long frames;
	int bit_depth;
	double luma_min, luma_avg, luma_max;
	double clipped_share, crushed_share;
	int channels;
	struct qc_channel ch[QC_MAX_CHANNELS];
	double audio_seconds;
	struct focus_sample *focus;
	int nfocus;
	int focus_every;               /* frames between samples */
	int focus_w, focus_h;
	struct qc_flag *flags;
	int nflags;
	int decode_errors;
	char errors[600];              /* last ffmpeg error lines, when there were some */
	double ffmpeg_seconds;
	json_t *command;               /* the ffmpeg argv, as a JSON array */
};

struct qc_hooks {
	void (*progress)(void *arg, double fraction, double seconds_done);
	bool (*canceled)(void *arg);
	void *arg;
	bool background;        /* ffmpeg at idle CPU priority (struct ffmpeg_run) */
};

/* Runs the pass on in->path with settings s. On success res holds the measures and the
 * findings (without soft_focus). SP_ECANCELED when canceled (ffmpeg killed and reaped),
 * SP_EIO with ffmpeg's last lines when it failed. res must be released either way. */
int qc_run(const struct qc_input *in, const struct qc_settings *s, const struct qc_hooks *h,
    struct qc_result *res, struct err *err);
void qc_result_release(struct qc_result *res);

/* Adds a finding (message formatted) to res. */
void qc_flag_add(struct qc_result *res, const struct qc_settings *s, enum qc_kind kind,
    long long start, long long end, int channel, double value, const char *fmt, ...)
	__attribute__((format(printf, 8, 9)));

/* Per-channel audio measures and focus samples as JSON (new references). */
json_t *qc_audio_json(const struct qc_result *res);
json_t *qc_focus_json(const struct qc_result *res);

/* Frame number of a time in seconds at fps (rounded to the nearest frame). */
long long qc_frame_at(double seconds, unsigned fps_num, unsigned fps_den);

#endif
