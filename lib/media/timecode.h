/*
 * timecode: SMPTE timecode labels, timecode rates, and BWF sample positions.
 *
 * A position is a frame count (int64_t) since the label 00:00:00:00. A rate is a
 * rational number of real frames per second (24000/1001, 25, ...) plus a drop-frame
 * flag. Labels count in the nominal rate: at 24000/1001 a "timecode second" has 24
 * labels and lasts 1001/1000 real seconds. Drop-frame (only 30000/1001 and
 * 60000/1001) skips labels ;00 and ;01 (;00-;03 at 59.94) at the start of every
 * minute except minutes 00, 10, 20, ..., so the labels stay close to the wall clock.
 *
 * Labels are HH:MM:SS:FF. Any ';' separator marks a drop-frame label (Avid writes
 * "01;18;00;02", most tools "01:18:00;02"); we write the latter. Hours run 00-23 and
 * timecode_format() wraps positions modulo one day, like a clock.
 *
 * Rounding (sample positions from BWF, see SPECS.md 7.1): samples -> frames rounds to
 * the nearest frame, halves up, because recorders compute TimeReference by rounding
 * a label's real time to a whole sample (at 29.97 a frame is 1601.6 samples at 48 kHz),
 * so the nearest frame recovers their label whichever way they rounded. frames ->
 * samples also rounds to the nearest sample, halves up.
 *
 * Everything here works on values: nothing is allocated, nothing needs freeing, and
 * every function is thread-safe. A struct timecode_rate should come from
 * timecode_rate_make() or timecode_rate_parse(); the functions returning int check it.
 */
#ifndef SETPOST_TIMECODE_H
#define SETPOST_TIMECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/core/err.h"

/* Room for "HH:MM:SS:FF" and its NUL. */
#define TIMECODE_BUFSZ 12
/* Room for a rate as "60000/1001" or "23.976", and its NUL. */
#define TIMECODE_RATE_BUFSZ 24

struct timecode_rate {
	unsigned num;   /* real frames per second = num / den */
	unsigned den;
	bool drop;      /* drop-frame labels */
};

/* Fills *rate with num/den (reduced) and drop. Accepted rates: 24000/1001, 24, 25,
 * 30000/1001, 30, 48, 50, 60000/1001, 60; drop only with 30000/1001 and 60000/1001.
 * Returns 0, or SP_EINVAL naming the rate. */
int timecode_rate_make(unsigned num, unsigned den, bool drop, struct timecode_rate *rate,
    struct err *err);

/* Parses "24000/1001", "24/1", "25", "23.976", "23.98", "29.97", "59.94" (a decimal
 * within 0.005 of an accepted rate), optionally followed by "DF" or "NDF" (any case,
 * optional space). Surrounding blanks are ignored. Without a suffix drop is false.
 * Returns 0 or SP_EINVAL. */
int timecode_rate_parse(const char *s, struct timecode_rate *rate, struct err *err);

/* Labels per timecode second: 24 for 24000/1001, 30 for 30000/1001; 0 if den is 0. */
unsigned timecode_rate_nominal(const struct timecode_rate *rate);

/* Writes the rate as ALE's FPS spells it: "23.976", "29.97", "59.94", "25". */
void timecode_rate_decimal(const struct timecode_rate *rate, char out[TIMECODE_RATE_BUFSZ]);

/* Writes the rate as iXML's TIMECODE_RATE spells it: "24000/1001", "25/1". */
void timecode_rate_fraction(const struct timecode_rate *rate, char out[TIMECODE_RATE_BUFSZ]);

/* Frames in one day of labels (00:00:00:00 to 23:59:59:FF plus one). */
int64_t timecode_frames_per_day(const struct timecode_rate *rate);

/* True if the label uses ';' as any separator, i.e. it claims to be drop-frame.
 * Lets a reader pick rate->drop from the label when only "29.97" is known. */
bool timecode_label_is_drop(const char *s);

/* Parses a label into a frame count. The label must be exactly HH:MM:SS:FF (two
 * digits each), drop-frame exactly when rate->drop, hours < 24, minutes and seconds
 * < 60, frames < the nominal rate, and not a label drop-frame skips (00:01:00;00).
 * Returns 0 or SP_EINVAL with the label in the message. */
int timecode_parse(const char *s, const struct timecode_rate *rate, int64_t *frames,
    struct err *err);

/* Formats a frame count as a label; frames outside one day wrap (negative too).
 * Returns 0, or SP_EINVAL for a bad rate. */
int timecode_format(const struct timecode_rate *rate, int64_t frames, char out[TIMECODE_BUFSZ],
    struct err *err);

/* BWF TimeReference (samples since midnight at sample_rate) to the nearest frame.
 * Returns 0, or SP_EINVAL (zero sample rate, bad rate, value too large). */
int timecode_from_samples(uint64_t samples, uint32_t sample_rate, const struct timecode_rate *rate,
    int64_t *frames, struct err *err);

/* Frame count to samples since midnight, to the nearest sample. frames must be >= 0.
 * Returns 0 or SP_EINVAL. */
int timecode_to_samples(int64_t frames, uint32_t sample_rate, const struct timecode_rate *rate,
    uint64_t *samples, struct err *err);

#endif
