/* soundsync: the pure part of picture-to-sound matching (see soundsync.h). */
#include "lib/media/soundsync.h"

#include <math.h>
#include <stdio.h>

int
soundsync_clip_rate(unsigned num, unsigned den, const char *start_tc,
    struct timecode_rate *rate, struct err *err)
{
	if (num == 0 || den == 0)
		return err_set(err, SP_EINVAL, "no frame rate");
	return timecode_rate_make(num, den, start_tc && timecode_label_is_drop(start_tc), rate,
	    err);
}

static bool
soundsync_same_rate(const struct timecode_rate *a, const struct timecode_rate *b)
{
	return a->num == b->num && a->den == b->den && a->drop == b->drop;
}

int
soundsync_span(const struct soundsync_sound *s, const struct timecode_rate *pic,
    struct soundsync_span *out, struct err *err)
{
	char a[TIMECODE_RATE_BUFSZ], b[TIMECODE_RATE_BUFSZ];
	int64_t day = timecode_frames_per_day(pic), start = 0, len = 0;
	int rc;

	if (!s->has_rate)
		return err_set(err, SP_EINVAL, "sound clip %lld: no timecode rate", s->id);
	if (!soundsync_same_rate(&s->rate, pic)) {
		timecode_rate_decimal(&s->rate, a);
		timecode_rate_decimal(pic, b);
		return err_set(err, SP_EINVAL, "sound clip %lld runs at %s%s, the picture at %s%s",
		    s->id, a, s->rate.drop ? " DF" : "", b, pic->drop ? " DF" : "");
	}
	/* The sample count is exact where the label was rounded to a frame. */
	if (s->has_time_reference && s->sample_rate > 0)
		rc = timecode_from_samples(s->time_reference, s->sample_rate, pic, &start, err);
	else if (s->start_tc[0])
		rc = timecode_parse(s->start_tc, pic, &start, err);
	else
		rc = err_set(err, SP_EINVAL, "sound clip %lld: no start timecode", s->id);
	if (rc < 0)
		return rc;
	if (s->samples > 0 && s->sample_rate > 0)
		rc = timecode_from_samples(s->samples, s->sample_rate, pic, &len, err);
	else if (s->duration_seconds > 0)
		len = (int64_t)llround(s->duration_seconds * pic->num / pic->den);
	else if (s->duration_frames >= 0)
		len = s->duration_frames;
	else
		rc = err_set(err, SP_EINVAL, "sound clip %lld: no duration", s->id);
	if (rc < 0)
		return rc;
	if (len <= 0)
		return err_set(err, SP_EINVAL, "sound clip %lld: empty", s->id);
	out->id = s->id;
	out->start = start % day;
	out->len = len;
	return 0;
}

long
soundsync_pick(const struct soundsync_span *v, size_t n, int64_t pic_start, int64_t day,
    int64_t *offset)
{
	long best = -1;
	int64_t bo = 0;

	if (day <= 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		/* Modulo one day: a take that rolled over midnight still covers 00:00:10:00. */
		int64_t off = ((pic_start - v[i].start) % day + day) % day;
		if (off >= v[i].len)
			continue;
		if (best < 0 || off < bo || (off == bo && v[i].id < v[best].id)) {
			best = (long)i;
			bo = off;
		}
	}
	if (best >= 0 && offset)
		*offset = bo;
	return best;
}
