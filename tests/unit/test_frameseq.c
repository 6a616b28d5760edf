/* Unit tests for lib/media/frameseq: frame names, image2 patterns, DPX and OpenEXR headers. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/media/frameseq.h"

static void
put32(unsigned char *b, uint32_t v, bool big)
{
	for (int i = 0; i < 4; i++)
		b[i] = (unsigned char)(big ? v >> (24 - 8 * i) : v >> (8 * i));
}

static uint32_t
float_bits(float f)
{
	uint32_t v;

	memcpy(&v, &f, sizeof(v));
	return v;
}

/* Writes n bytes to a fresh file named like a frame; returns its path (static buffer). */
static const char *
write_frame(const char *name, const unsigned char *b, size_t n)
{
	static char path[256];
	char dir[] = "/tmp/test_frameseq.XXXXXX";
	FILE *f;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	cr_assert_not_null(f = fopen(path, "wb"));
	cr_assert_eq(fwrite(b, 1, n, f), n);
	fclose(f);
	return path;
}

Test(frameseq, frame_names)
{
	cr_expect(frameseq_is_frame("A001C003/A001C003.0086400.dpx"));
	cr_expect(frameseq_is_frame("plate/shot_0001.EXR"));
	cr_expect(frameseq_is_frame("0086400.dpx"));
	cr_expect_not(frameseq_is_frame("shot.001.dpx"), "three digits: not a frame number");
	cr_expect_not(frameseq_is_frame("shot.dpx"));
	cr_expect_not(frameseq_is_frame("A001C003.0086400.ari"), "ARRIRAW: ffmpeg cannot read it");
	cr_expect_not(frameseq_is_frame("A001C003.0086400.mov"));
	cr_expect_not(frameseq_is_frame("dir.0001/readme"));
}

Test(frameseq, pattern_escapes_percent)
{
	struct frameseq s;
	struct err e;
	unsigned char b[64] = { 0 };
	const char *p = write_frame("100%_take.0000042.dpx", b, sizeof(b));
	char want[300];

	cr_assert_eq(frameseq_open(p, &s, &e), 0, "%s", e.msg);
	snprintf(want, sizeof(want), "%.*s/100%%%%_take.%%07d.dpx", (int)(strrchr(p, '/') - p), p);
	cr_expect_str_eq(s.pattern, want);
	cr_expect_eq(s.start, 42);
	cr_expect_eq(s.rate_num, 0, "no header: no rate");
	cr_expect_str_empty(s.timecode);
}

Test(frameseq, dpx_big_endian_film_rate_and_timecode)
{
	unsigned char b[2048] = { 0 };
	struct frameseq s;
	struct err e;

	memcpy(b, "SDPX", 4);
	put32(b + 4, 2048, true);
	put32(b + 1724, float_bits(23.976f), true);
	put32(b + 1920, 0x10203004u, true);   /* 10:20:30:04 */
	cr_assert_eq(frameseq_open(write_frame("A001C003.0086400.dpx", b, sizeof(b)), &s, &e), 0);
	cr_expect_eq(s.rate_num, 24000);
	cr_expect_eq(s.rate_den, 1001);
	cr_expect_str_eq(s.timecode, "10:20:30:04");
	cr_expect_eq(s.start, 86400);
}

Test(frameseq, dpx_little_endian_tv_rate_undefined_timecode)
{
	unsigned char b[2048] = { 0 };
	struct frameseq s;
	struct err e;

	memcpy(b, "XPDS", 4);
	put32(b + 4, 2048, false);
	put32(b + 1724, 0xffffffffu, false);
	put32(b + 1940, float_bits(25.0f), false);
	put32(b + 1920, 0xffffffffu, false);
	cr_assert_eq(frameseq_open(write_frame("r.0001.dpx", b, sizeof(b)), &s, &e), 0);
	cr_expect_eq(s.rate_num, 25);
	cr_expect_eq(s.rate_den, 1);
	cr_expect_str_empty(s.timecode);
}

Test(frameseq, dpx_header_shorter_than_its_fields)
{
	unsigned char b[1800] = { 0 };
	struct frameseq s;
	struct err e;

	memcpy(b, "SDPX", 4);
	put32(b + 4, 1700, true);             /* image data starts before the film rate */
	put32(b + 1724, float_bits(24.0f), true);
	cr_assert_eq(frameseq_open(write_frame("r.0001.dpx", b, sizeof(b)), &s, &e), 0);
	cr_expect_eq(s.rate_num, 0);
	cr_expect_str_empty(s.timecode);
}

/* An OpenEXR header: magic, version, the attributes given, the end of the list. */
static size_t
exr_header(unsigned char *b, size_t cap, uint32_t tc, int32_t num, uint32_t den, uint32_t size)
{
	size_t o = 0;

	memcpy(b, "\x76\x2f\x31\x01\x02\x00\x00\x00", 8);
	o = 8;
	o += (size_t)sprintf((char *)b + o, "compression") + 1;
	o += (size_t)sprintf((char *)b + o, "compression") + 1;
	put32(b + o, 1, false);
	b[o + 4] = 0;
	o += 5;
	o += (size_t)sprintf((char *)b + o, "framesPerSecond") + 1;
	o += (size_t)sprintf((char *)b + o, "rational") + 1;
	put32(b + o, size, false);
	put32(b + o + 4, (uint32_t)num, false);
	put32(b + o + 8, den, false);
	o += 12;
	o += (size_t)sprintf((char *)b + o, "timeCode") + 1;
	o += (size_t)sprintf((char *)b + o, "timecode") + 1;
	put32(b + o, 8, false);
	put32(b + o + 4, tc, false);
	put32(b + o + 8, 0, false);
	o += 12;
	b[o++] = 0;
	cr_assert_lt(o, cap);
	return o;
}

Test(frameseq, exr_rate_and_drop_frame_timecode)
{
	unsigned char b[512] = { 0 };
	struct frameseq s;
	struct err e;
	/* 01:02:03;04, drop frame: OpenEXR's bit layout */
	uint32_t tc = 0x4u | 1u << 6 | 0x3u << 8 | 0x2u << 16 | 0x1u << 24;
	size_t n = exr_header(b, sizeof(b), tc, 30000, 1001, 8);

	cr_assert_eq(frameseq_open(write_frame("plate_0001001.exr", b, n), &s, &e), 0);
	cr_expect_eq(s.rate_num, 30000);
	cr_expect_eq(s.rate_den, 1001);
	cr_expect_str_eq(s.timecode, "01:02:03;04");
	cr_expect(s.drop_frame);
	cr_expect_eq(s.start, 1001);
}

Test(frameseq, exr_hostile_sizes_are_ignored)
{
	unsigned char b[512] = { 0 };
	struct frameseq s;
	struct err e;
	size_t n = exr_header(b, sizeof(b), 0x99999999u, 24, 0, 0xfffffff0u);

	cr_assert_eq(frameseq_open(write_frame("x.0001.exr", b, n), &s, &e), 0);
	cr_expect_eq(s.rate_num, 0);
	cr_expect_str_empty(s.timecode);
	n = exr_header(b, sizeof(b), 0xaaaaaaaau, 24, 0, 8);   /* den 0; BCD digits over 9 */
	cr_assert_eq(frameseq_open(write_frame("x.0001.exr", b, n), &s, &e), 0);
	cr_expect_eq(s.rate_num, 0);
	cr_expect_str_empty(s.timecode);
	cr_assert_eq(frameseq_open(write_frame("x.0001.exr", b, n - 10), &s, &e), 0, "cut short");
	cr_expect_eq(s.rate_num, 0);
	cr_expect_str_empty(s.timecode);
}

Test(frameseq, input_words)
{
	unsigned char b[2048] = { 0 };
	struct media_input mi;
	struct err e;
	const char *p;

	cr_assert_eq(media_input_of("/copies/A001C001.mov", &mi, &e), 0);
	cr_expect_eq(mi.argc, 2);
	cr_expect_str_eq(mi.argv[0], "-i");
	cr_expect_str_eq(mi.argv[1], "file:/copies/A001C001.mov");
	cr_expect_not(mi.sequence);

	memcpy(b, "SDPX", 4);
	put32(b + 4, 2048, true);
	put32(b + 1724, float_bits(25.0f), true);
	p = write_frame("A001C003.0086400.dpx", b, sizeof(b));
	cr_assert_eq(media_input_of(p, &mi, &e), 0, "%s", e.msg);
	cr_expect(mi.sequence);
	cr_expect_not(mi.rate_assumed);
	cr_assert_eq(mi.argc, 10);
	cr_expect_str_eq(mi.argv[0], "-f");
	cr_expect_str_eq(mi.argv[1], "image2");
	cr_expect_str_eq(mi.argv[3], "sequence");
	cr_expect_str_eq(mi.argv[5], "25/1");
	cr_expect_str_eq(mi.argv[7], "86400");
	cr_expect_str_eq(mi.argv[8], "-i");
	cr_expect(strstr(mi.argv[9], "file:") == mi.argv[9]);
	cr_expect(strstr(mi.argv[9], "/A001C003.%07d.dpx") != NULL);

	put32(b + 1724, 0xffffffffu, true);
	p = write_frame("B.0001.dpx", b, sizeof(b));
	cr_assert_eq(media_input_of(p, &mi, &e), 0);
	cr_expect(mi.rate_assumed);
	cr_expect_str_eq(mi.argv[5], "24");
	cr_expect_neq(media_input_of("/nonexistent/C.0001.dpx", &mi, &e), 0);
}
