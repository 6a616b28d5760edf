/* Unit tests for lib/media/soundsync.c: a sound clip's span at the picture rate and the choice of
 * the covering take (nearest record start, rates that differ, midnight, drop-frame). */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/media/soundsync.h"

static struct timecode_rate
rate(unsigned num, unsigned den, bool drop)
{
	struct timecode_rate r;
	struct err err = { 0 };

	cr_assert_eq(timecode_rate_make(num, den, drop, &r, &err), 0, "%s", err.msg);
	return r;
}

static int64_t
at(const char *label, const struct timecode_rate *r)
{
	struct err err = { 0 };
	int64_t f;

	cr_assert_eq(timecode_parse(label, r, &f, &err), 0, "%s: %s", label, err.msg);
	return f;
}

/* A 48 kHz BWF take starting at label, seconds long, at the picture's rate r. */
static struct soundsync_sound
take(long long id, const char *label, double seconds, const struct timecode_rate *r)
{
	struct soundsync_sound s = { .id = id, .has_rate = true, .rate = *r, .sample_rate = 48000,
		.has_time_reference = true, .duration_frames = -1 };
	struct err err = { 0 };

	cr_assert_eq(timecode_to_samples(at(label, r), 48000, r, &s.time_reference, &err), 0);
	s.samples = (uint64_t)(seconds * 48000);
	snprintf(s.start_tc, sizeof(s.start_tc), "%s", label);
	return s;
}

Test(soundsync, span_from_samples)
{
	struct timecode_rate r = rate(24000, 1001, false);
	struct soundsync_sound s = take(7, "14:05:38:00", 60, &r);
	struct soundsync_span sp;
	struct err err = { 0 };

	cr_assert_eq(soundsync_span(&s, &r, &sp, &err), 0, "%s", err.msg);
	cr_expect_eq(sp.id, 7);
	cr_expect_eq(sp.start, at("14:05:38:00", &r));
	cr_expect_eq(sp.len, 1439);   /* 60 s at 23.976: 1438.56 frames, nearest */
}

Test(soundsync, span_falls_back_to_label_and_seconds)
{
	struct timecode_rate r = rate(25, 1, false);
	struct soundsync_sound s = { .id = 1, .has_rate = true, .rate = r, .duration_seconds = 10,
		.duration_frames = -1 };
	struct soundsync_span sp;
	struct err err = { 0 };

	snprintf(s.start_tc, sizeof(s.start_tc), "10:00:00:00");
	cr_assert_eq(soundsync_span(&s, &r, &sp, &err), 0, "%s", err.msg);
	cr_expect_eq(sp.start, 900000);
	cr_expect_eq(sp.len, 250);
	s.duration_seconds = 0;
	cr_expect_eq(soundsync_span(&s, &r, &sp, &err), SP_EINVAL);
	cr_expect(strstr(err.msg, "no duration"), "%s", err.msg);
}

Test(soundsync, other_rate_is_not_a_match)
{
	struct timecode_rate pic = rate(25, 1, false), r24 = rate(24, 1, false);
	struct timecode_rate df = rate(30000, 1001, true), ndf = rate(30000, 1001, false);
	struct soundsync_sound s = take(1, "10:00:00:00", 60, &r24);
	struct soundsync_span sp;
	struct err err = { 0 };

	cr_expect_eq(soundsync_span(&s, &pic, &sp, &err), SP_EINVAL);
	cr_expect(strstr(err.msg, "runs at 24, the picture at 25"), "%s", err.msg);
	s = take(1, "10:00:00;00", 60, &df);
	cr_expect_eq(soundsync_span(&s, &ndf, &sp, &err), SP_EINVAL, "DF sound, NDF picture");
	cr_expect_eq(soundsync_span(&s, &df, &sp, &err), 0, "%s", err.msg);
	s.has_rate = false;
	cr_expect_eq(soundsync_span(&s, &df, &sp, &err), SP_EINVAL);
}

Test(soundsync, pick_covering_nearest_start)
{
	struct timecode_rate r = rate(25, 1, false);
	int64_t day = timecode_frames_per_day(&r), off = -1;
	struct soundsync_span v[] = {
		{ 10, at("10:00:00:00", &r), 25 * 600 },  /* a ten-minute wild track */
		{ 11, at("10:02:00:00", &r), 25 * 60 },
		{ 12, at("10:05:00:00", &r), 25 * 60 },
	};

	cr_expect_eq(soundsync_pick(v, 3, at("10:02:10:05", &r), day, &off), 1);
	cr_expect_eq(off, 10 * 25 + 5);
	cr_expect_eq(soundsync_pick(v, 3, at("10:04:00:00", &r), day, &off), 0);
	cr_expect_eq(off, 4 * 60 * 25);
	cr_expect_eq(soundsync_pick(v, 3, at("10:03:00:00", &r), day, &off), 0, "end is exclusive");
	cr_expect_eq(soundsync_pick(v, 3, at("09:59:59:24", &r), day, &off), -1);
	cr_expect_eq(soundsync_pick(v, 3, at("10:10:00:00", &r), day, &off), -1);
	cr_expect_eq(soundsync_pick(v, 0, at("10:10:00:00", &r), day, &off), -1);
}

Test(soundsync, pick_ties_go_to_the_lower_id)
{
	struct timecode_rate r = rate(25, 1, false);
	int64_t day = timecode_frames_per_day(&r), off;
	struct soundsync_span v[] = { { 9, 1000, 100 }, { 4, 1000, 50 } };

	cr_expect_eq(soundsync_pick(v, 2, 1010, day, &off), 1);
	cr_expect_eq(off, 10);
}

Test(soundsync, pick_over_midnight)
{
	struct timecode_rate r = rate(24, 1, false);
	int64_t day = timecode_frames_per_day(&r), off;
	struct soundsync_span v[] = { { 1, at("23:59:00:00", &r), 24 * 120 } };

	cr_expect_eq(soundsync_pick(v, 1, at("00:00:30:00", &r), day, &off), 0);
	cr_expect_eq(off, 90 * 24);
}

Test(soundsync, drop_frame_offset)
{
	struct timecode_rate r = rate(30000, 1001, true);
	struct soundsync_sound s = take(3, "01:09:59;20", 120, &r);
	struct soundsync_span sp;
	struct err err = { 0 };
	int64_t off;

	cr_assert_eq(soundsync_span(&s, &r, &sp, &err), 0, "%s", err.msg);
	/* 01:09:59;20 to 01:10:00;02: ten frames, no label skipped at minute 10. */
	cr_expect_eq(soundsync_pick(&sp, 1, at("01:10:00;00", &r), timecode_frames_per_day(&r), &off), 0);
	cr_expect_eq(off, 10);
	s = take(3, "01:00:59;28", 120, &r);
	cr_assert_eq(soundsync_span(&s, &r, &sp, &err), 0, "%s", err.msg);
	/* ;28 ;29 then 01:01:00;02 (;00 and ;01 are dropped): two frames. */
	cr_expect_eq(soundsync_pick(&sp, 1, at("01:01:00;02", &r), timecode_frames_per_day(&r), &off), 0);
	cr_expect_eq(off, 2);
}

Test(soundsync, clip_rate_takes_drop_from_label)
{
	struct timecode_rate r;
	struct err err = { 0 };

	cr_assert_eq(soundsync_clip_rate(30000, 1001, "01:00:00;00", &r, &err), 0);
	cr_expect(r.drop);
	cr_assert_eq(soundsync_clip_rate(30000, 1001, "01:00:00:00", &r, &err), 0);
	cr_expect(!r.drop);
	cr_expect_eq(soundsync_clip_rate(0, 0, NULL, &r, &err), SP_EINVAL);
}
