/* Unit tests for lib/media/timecode.c: rates, labels (NDF and DF), BWF sample positions. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "lib/media/timecode.h"

static struct timecode_rate
rate_of(const char *s)
{
	struct timecode_rate r;
	struct err err = { 0 };

	cr_assert_eq(timecode_rate_parse(s, &r, &err), 0, "%s: %s", s, err.msg);
	return r;
}

static int64_t
frames_of(const char *label, const struct timecode_rate *r)
{
	struct err err = { 0 };
	int64_t n = -1;

	cr_assert_eq(timecode_parse(label, r, &n, &err), 0, "%s: %s", label, err.msg);
	return n;
}

static void
expect_label(const struct timecode_rate *r, int64_t n, const char *want)
{
	char out[TIMECODE_BUFSZ];
	struct err err = { 0 };

	cr_assert_eq(timecode_format(r, n, out, &err), 0, "%s", err.msg);
	cr_assert_str_eq(out, want, "frame %lld", (long long)n);
}

Test(timecode, rate_parse_accepts_common_spellings)
{
	static const struct {
		const char *s;
		unsigned num, den;
		bool drop;
	} cases[] = {
		{ "24000/1001", 24000, 1001, false }, { "23.976", 24000, 1001, false },
		{ "23.98", 24000, 1001, false }, { "24", 24, 1, false }, { "24/1", 24, 1, false },
		{ "48/2", 24, 1, false }, { "25", 25, 1, false }, { " 25.00 ", 25, 1, false },
		{ "29.97", 30000, 1001, false }, { "30000/1001", 30000, 1001, false },
		{ "29.97DF", 30000, 1001, true }, { "29.97 df", 30000, 1001, true },
		{ "29.97 NDF", 30000, 1001, false }, { "30", 30, 1, false }, { "48", 48, 1, false },
		{ "50", 50, 1, false }, { "59.94", 60000, 1001, false },
		{ "60000/1001 DF", 60000, 1001, true }, { "60", 60, 1, false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct timecode_rate r = rate_of(cases[i].s);

		cr_expect_eq(r.num, cases[i].num, "%s", cases[i].s);
		cr_expect_eq(r.den, cases[i].den, "%s", cases[i].s);
		cr_expect_eq(r.drop, cases[i].drop, "%s", cases[i].s);
	}
}

Test(timecode, rate_parse_rejects_junk)
{
	static const char *bad[] = {
		"", " ", "0", "23", "23.9", "24.1", "abc", "24000/0", "0/1", "29.97/1", "25 DF",
		"24DF", "1e2", "-25", "25fps", "23,976", "DF", "/", "12/", "100",
	};
	struct timecode_rate r;
	struct err err = { 0 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&err);
		cr_expect_eq(timecode_rate_parse(bad[i], &r, &err), SP_EINVAL, "%s", bad[i]);
		cr_expect_neq(err.msg[0], '\0', "%s: empty message", bad[i]);
	}
}

Test(timecode, rate_make_and_names)
{
	struct timecode_rate r;
	struct err err = { 0 };
	char s[TIMECODE_RATE_BUFSZ];

	cr_assert_eq(timecode_rate_make(48000, 2002, false, &r, &err), 0);
	cr_expect_eq(r.num, 24000);
	cr_expect_eq(r.den, 1001);
	cr_expect_eq(timecode_rate_nominal(&r), 24);
	timecode_rate_decimal(&r, s);
	cr_expect_str_eq(s, "23.976");
	timecode_rate_fraction(&r, s);
	cr_expect_str_eq(s, "24000/1001");
	cr_expect_eq(timecode_rate_make(25, 1, true, &r, &err), SP_EINVAL);
	cr_expect(strstr(err.msg, "drop-frame") != NULL, "%s", err.msg);
	cr_expect_eq(timecode_rate_make(12, 1, false, &r, &err), SP_EINVAL);

	r = rate_of("29.97");
	timecode_rate_decimal(&r, s);
	cr_expect_str_eq(s, "29.97");
	cr_expect_eq(timecode_rate_nominal(&r), 30);
	r = rate_of("59.94");
	timecode_rate_decimal(&r, s);
	cr_expect_str_eq(s, "59.94");
	r = rate_of("50");
	timecode_rate_decimal(&r, s);
	cr_expect_str_eq(s, "50");
}

Test(timecode, ndf_parse_and_format)
{
	struct timecode_rate r24 = rate_of("23.976"), r25 = rate_of("25"), r60 = rate_of("60");

	cr_expect_eq(frames_of("00:00:00:00", &r24), 0);
	cr_expect_eq(frames_of("00:00:01:00", &r24), 24);
	cr_expect_eq(frames_of("14:05:38:00", &r24), 1217712);
	cr_expect_eq(frames_of("23:59:59:24", &r25), 86400 * 25 - 1);
	cr_expect_eq(frames_of("01:00:00:59", &r60), 3600 * 60 + 59);
	expect_label(&r24, 1217712, "14:05:38:00");
	expect_label(&r25, 86400 * 25 - 1, "23:59:59:24");
	expect_label(&r60, 3600 * 60 + 59, "01:00:00:59");
	cr_expect_eq(timecode_frames_per_day(&r24), 86400 * 24);
}

Test(timecode, format_wraps_around_midnight)
{
	struct timecode_rate r25 = rate_of("25"), df = rate_of("29.97 DF");

	expect_label(&r25, -1, "23:59:59:24");
	expect_label(&r25, 86400 * 25, "00:00:00:00");
	expect_label(&r25, 86400 * 25 + 26, "00:00:01:01");
	expect_label(&df, -1, "23:59:59;29");
	expect_label(&df, timecode_frames_per_day(&df), "00:00:00;00");
}

Test(timecode, df_known_labels)
{
	struct timecode_rate df = rate_of("29.97DF"), df60 = rate_of("59.94DF");

	cr_expect_eq(frames_of("00:00:59;29", &df), 1799);
	cr_expect_eq(frames_of("00:01:00;02", &df), 1800);
	cr_expect_eq(frames_of("00:09:59;29", &df), 17981);
	cr_expect_eq(frames_of("00:10:00;00", &df), 17982);
	cr_expect_eq(frames_of("01:00:00;00", &df), 107892);
	cr_expect_eq(frames_of("23:59:59;29", &df), 2589407);
	cr_expect_eq(frames_of("01;18;00;02", &df), frames_of("01:18:00;02", &df));
	expect_label(&df, 1800, "00:01:00;02");
	expect_label(&df, 17982, "00:10:00;00");
	expect_label(&df, 2589407, "23:59:59;29");
	cr_expect_eq(timecode_frames_per_day(&df), 2589408);

	cr_expect_eq(frames_of("00:01:00;04", &df60), 3600);
	cr_expect_eq(frames_of("00:00:59;59", &df60), 3599);
	expect_label(&df60, 3600, "00:01:00;04");
	cr_expect_eq(timecode_frames_per_day(&df60), 2 * 2589408);
}

/* Every frame of a day at 29.97 DF survives format then parse, and labels only move
 * forward; at 59.94 DF a stride covers every position in a minute. */
Test(timecode, df_round_trip_whole_day)
{
	struct timecode_rate rates[2] = { rate_of("29.97DF"), rate_of("59.94DF") };

	for (int k = 0; k < 2; k++) {
		int64_t day = timecode_frames_per_day(&rates[k]);
		int64_t step = k == 0 ? 1 : 7;

		for (int64_t n = 0; n < day; n += step) {
			char out[TIMECODE_BUFSZ];
			int64_t back = -1;

			cr_assert_eq(timecode_format(&rates[k], n, out, NULL), 0);
			cr_assert_eq(timecode_parse(out, &rates[k], &back, NULL), 0, "%s", out);
			cr_assert_eq(back, n, "%s", out);
		}
	}
}

Test(timecode, parse_rejects_bad_labels)
{
	struct timecode_rate r24 = rate_of("23.976"), r25 = rate_of("25"), df = rate_of("29.97DF"),
	    df60 = rate_of("59.94DF"), ndf30 = rate_of("29.97");
	static const struct {
		const char *label;
		int which;
		const char *why;
	} bad[] = {
		{ "00:00:00:24", 0, "frames must be below 24" },
		{ "00:00:00:25", 1, "frames must be below 25" },
		{ "24:00:00:00", 1, "hours" }, { "00:60:00:00", 1, "minutes" },
		{ "00:00:60:00", 1, "seconds" }, { "1:00:00:00", 1, "expected" },
		{ "01:00:00:00 ", 1, "expected" }, { "01-00-00-00", 1, "expected" },
		{ "", 1, "expected" }, { "0a:00:00:00", 1, "expected" },
		{ "01:00:00;00", 1, "drop-frame label" },
		{ "00:01:00;00", 2, "no such drop-frame label" },
		{ "00:01:00;01", 2, "no such drop-frame label" },
		{ "00:01:00:02", 2, "non-drop-frame label" },
		{ "00:01:00;03", 3, "no such drop-frame label" },
		{ "01:00:00;00", 4, "drop-frame label" },
	};
	const struct timecode_rate *rates[] = { &r24, &r25, &df, &df60, &ndf30 };
	struct err err = { 0 };
	int64_t n;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&err);
		cr_expect_eq(timecode_parse(bad[i].label, rates[bad[i].which], &n, &err), SP_EINVAL,
		    "%s", bad[i].label);
		cr_expect(strstr(err.msg, bad[i].why) != NULL, "%s: %s", bad[i].label, err.msg);
	}
	cr_expect_eq(frames_of("00:10:00;00", &df), 17982);
	cr_expect(timecode_label_is_drop("01:00:00;00"));
	cr_expect(!timecode_label_is_drop("01:00:00:00"));
}

Test(timecode, zeroed_rate_is_an_error_not_a_crash)
{
	struct timecode_rate z = { 0, 0, false };
	struct err err = { 0 };
	char out[TIMECODE_BUFSZ];
	int64_t n;
	uint64_t s;

	cr_expect_eq(timecode_format(&z, 0, out, &err), SP_EINVAL);
	cr_expect_eq(timecode_parse("00:00:00:00", &z, &n, &err), SP_EINVAL);
	cr_expect_eq(timecode_from_samples(0, 48000, &z, &n, &err), SP_EINVAL);
	cr_expect_eq(timecode_to_samples(0, 48000, &z, &s, &err), SP_EINVAL);
	cr_expect_eq(timecode_rate_nominal(&z), 0);
}

/* SPECS.md 7.1: TC 14:05:38:00 at 24000/1001 and 48 kHz is TimeReference 2437859424. */
Test(timecode, bwf_time_reference_example)
{
	struct timecode_rate r = rate_of("24000/1001");
	struct err err = { 0 };
	uint64_t samples = 0;
	int64_t n = -1;

	cr_assert_eq(timecode_to_samples(frames_of("14:05:38:00", &r), 48000, &r, &samples, &err),
	    0, "%s", err.msg);
	cr_expect_eq(samples, 2437859424ULL);
	cr_assert_eq(timecode_from_samples(2437859424ULL, 48000, &r, &n, &err), 0, "%s", err.msg);
	expect_label(&r, n, "14:05:38:00");
}

Test(timecode, samples_round_to_nearest_frame)
{
	struct timecode_rate r25 = rate_of("25"), df = rate_of("29.97DF");
	uint64_t samples = 0;
	int64_t n = -1;

	/* 25 fps at 48 kHz: 1920 samples a frame; the half-way sample rounds up. */
	cr_assert_eq(timecode_from_samples(959, 48000, &r25, &n, NULL), 0);
	cr_expect_eq(n, 0);
	cr_assert_eq(timecode_from_samples(960, 48000, &r25, &n, NULL), 0);
	cr_expect_eq(n, 1);
	/* 29.97: a frame is 1601.6 samples; recorders write 1601 or 1602, both mean frame 1. */
	cr_assert_eq(timecode_to_samples(1, 48000, &df, &samples, NULL), 0);
	cr_expect_eq(samples, 1602);
	cr_assert_eq(timecode_from_samples(1601, 48000, &df, &n, NULL), 0);
	cr_expect_eq(n, 1);
	cr_assert_eq(timecode_from_samples(1602, 48000, &df, &n, NULL), 0);
	cr_expect_eq(n, 1);
	/* 01:00:00;00 DF is 107892 real frames = 172799827.2 samples. */
	cr_assert_eq(timecode_to_samples(frames_of("01:00:00;00", &df), 48000, &df, &samples, NULL),
	    0);
	cr_expect_eq(samples, 172799827);
	cr_assert_eq(timecode_from_samples(samples, 48000, &df, &n, NULL), 0);
	expect_label(&df, n, "01:00:00;00");
	/* 96 kHz and 44.1 kHz work the same way. */
	cr_assert_eq(timecode_to_samples(25, 96000, &r25, &samples, NULL), 0);
	cr_expect_eq(samples, 96000);
	cr_assert_eq(timecode_from_samples(44100 * 3600ULL, 44100, &r25, &n, NULL), 0);
	expect_label(&r25, n, "01:00:00:00");
}

Test(timecode, samples_reject_overflow_and_zero_rate)
{
	struct timecode_rate r = rate_of("60");
	struct err err = { 0 };
	uint64_t samples;
	int64_t n;

	cr_expect_eq(timecode_from_samples(UINT64_MAX, 48000, &r, &n, &err), SP_EINVAL);
	cr_expect(strstr(err.msg, "too large") != NULL, "%s", err.msg);
	cr_expect_eq(timecode_from_samples(1, 0, &r, &n, &err), SP_EINVAL);
	cr_expect_eq(timecode_to_samples(-1, 48000, &r, &samples, &err), SP_EINVAL);
	cr_expect_eq(timecode_to_samples(INT64_MAX, 48000, &r, &samples, &err), SP_EINVAL);
	cr_expect_eq(timecode_to_samples(1, 0, &r, &samples, &err), SP_EINVAL);
}
