/*
 * soundsync: which production sound plays with a picture clip (issue 6, migration 0006).
 *
 * A picture clip is matched to the sound clip of the same day whose timecode span covers
 * the picture's first frame, when both run at the same timecode rate (the recorder's iXML
 * TIMECODE_RATE and FLAG against the camera's). When several cover it, the one whose record
 * started nearest before the picture wins (ties: the lower clip id). offset_frames is where
 * the picture's first frame falls in the sound file, in picture frames (picture start TC -
 * sound start TC); spans that run over midnight are handled modulo one day.
 *
 * The pure part (soundsync_span, soundsync_pick) works on values and never touches the
 * database. The database part matches a day (or one clip of it) in the caller's
 * transaction: rows of clip_sound with method 'manual' are never replaced; a picture clip
 * with a timecode that nothing covers gets a 'none' row; scene and take flow from the sound
 * clip to a picture clip that has none, and circled when the sound report circled the take.
 * Each change records an event ("clip.sound", "clip.slate_from_sound").
 */
#ifndef SETPOST_SOUNDSYNC_H
#define SETPOST_SOUNDSYNC_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/store/db.h"
#include "lib/core/err.h"
#include "lib/media/timecode.h"

/* What is known of a sound clip. Durations and start may come from several places; the
 * most precise one known is used: samples (BWF), then seconds (probe), then frames. */
struct soundsync_sound {
	long long id;
	bool has_rate;                  /* rate is the recorder's timecode rate */
	struct timecode_rate rate;
	char start_tc[TIMECODE_BUFSZ];  /* label at rate, "" when unknown */
	uint32_t sample_rate;           /* 0 when unknown */
	bool has_time_reference;
	uint64_t time_reference;        /* bext: samples since midnight */
	uint64_t samples;               /* length in sample frames; 0 when unknown */
	double duration_seconds;        /* 0 when unknown */
	int64_t duration_frames;        /* at rate; < 0 when unknown */
};

/* A sound clip's span in picture frames: start since midnight, length. */
struct soundsync_span {
	long long id;
	int64_t start, len;
};

/* The span of s at the picture's rate pic. SP_EINVAL (message says why) when s cannot be
 * matched to such a picture: another rate, no start, or no length. */
int soundsync_span(const struct soundsync_sound *s, const struct timecode_rate *pic,
    struct soundsync_span *out, struct err *err);

/* Index in v[0..n-1] of the span covering the picture frame pic_start (a frame count since
 * midnight, < day), nearest record start first, ties to the lower id; -1 when none covers it.
 * *offset gets pic_start - start (mod day) for the chosen one. */
long soundsync_pick(const struct soundsync_span *v, size_t n, int64_t pic_start, int64_t day,
    int64_t *offset);

/* Parses a clip's stored rate (fps_num/fps_den, 0 when unknown) and start label; the drop
 * flag comes from the label's ';'. Returns 0, or SP_EINVAL. */
int soundsync_clip_rate(unsigned num, unsigned den, const char *start_tc,
    struct timecode_rate *rate, struct err *err);

#endif
