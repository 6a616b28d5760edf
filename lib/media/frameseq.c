/* frameseq: image sequences for ffmpeg (see frameseq.h). */
#include "lib/media/frameseq.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define FRAMESEQ_HEAD_MAX 65536   /* an OpenEXR header with its attributes fits in this */

/* The stem's trailing digits of name's last component: offset and count (0 when none). */
static size_t
frameseq_digits(const char *name, size_t *at)
{
	const char *base = strrchr(name, '/'), *dot, *p;

	base = base ? base + 1 : name;
	dot = strrchr(base, '.');
	if (dot == NULL || dot == base)
		return 0;
	for (p = dot; p > base && p[-1] >= '0' && p[-1] <= '9'; p--)
		;
	*at = (size_t)(p - name);
	return (size_t)(dot - p);
}

static bool
frameseq_ext_is(const char *name, const char *ext)
{
	const char *dot = strrchr(name, '.'), *slash = strrchr(name, '/');

	return dot && (!slash || dot > slash) && strcasecmp(dot + 1, ext) == 0;
}

bool
frameseq_is_frame(const char *name)
{
	size_t at, n = frameseq_digits(name, &at);

	return n >= FRAMESEQ_MIN_DIGITS && n <= 18 &&
	    (frameseq_ext_is(name, "dpx") || frameseq_ext_is(name, "exr"));
}

/* The path with its frame number as %0Nd and every other '%' doubled (image2's escape). */
static int
frameseq_pattern(const char *path, size_t at, size_t ndigits, char *out, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; path[i]; i++) {
		if (i == at) {
			int w = snprintf(out + o, len - o, "%%0%zud", ndigits);

			if (w < 0 || (size_t)w >= len - o)
				return -1;
			o += (size_t)w;
			i += ndigits - 1;
			continue;
		}
		if (o + 3 >= len)
			return -1;
		if (path[i] == '%')
			out[o++] = '%';
		out[o++] = path[i];
	}
	out[o] = '\0';
	return 0;
}

/* ---- headers -------------------------------------------------------------------- */

static uint32_t
frameseq_u32(const unsigned char *b, bool big)
{
	return big ? (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]
		   : (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
}

/* A header's frames per second as a fraction: the NTSC rates as 1001 fractions. */
static void
frameseq_set_rate(struct frameseq *s, double fps)
{
	static const double ntsc[] = { 24000.0 / 1001, 30000.0 / 1001, 48000.0 / 1001,
		60000.0 / 1001 };

	if (!isfinite(fps) || fps < 1 || fps > 1000)
		return;
	for (size_t i = 0; i < sizeof(ntsc) / sizeof(ntsc[0]); i++)
		if (fabs(fps - ntsc[i]) < 0.005) {
			s->rate_num = (unsigned)lround(ntsc[i] * 1001);
			s->rate_den = 1001;
			return;
		}
	if (fabs(fps - round(fps)) < 0.001) {
		s->rate_num = (unsigned)lround(fps);
		s->rate_den = 1;
	} else {
		s->rate_num = (unsigned)lround(fps * 1000);
		s->rate_den = 1000;
	}
}

/* Two BCD digits: tens in bits [tens_at, tens_at + tens_bits), units in the 4 bits at units_at. */
static int
frameseq_bcd(uint32_t v, int units_at, int tens_at, int tens_bits)
{
	unsigned u = (v >> units_at) & 0xf, t = (v >> tens_at) & ((1u << tens_bits) - 1);

	return u > 9 || t > 9 ? -1 : (int)(t * 10 + u);
}

static void
frameseq_set_tc(struct frameseq *s, int h, int m, int sec, int f, bool drop)
{
	if (h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 59 || f < 0 || f > 59)
		return;
	snprintf(s->timecode, sizeof(s->timecode), "%02d:%02d:%02d%c%02d", h, m, sec,
	    drop ? ';' : ':', f);
	s->drop_frame = drop;
}

/* SMPTE 268M: "SDPX" big-endian or "XPDS" little-endian; the film header's frame rate at 1724,
 * the television header's timecode (packed BCD hhmmssff) at 1920 and frame rate at 1940, each
 * present only when the image data starts after it; all ones means undefined. */
static void
frameseq_dpx(const unsigned char *b, size_t n, struct frameseq *s)
{
	bool big = memcmp(b, "SDPX", 4) == 0;
	uint32_t data = frameseq_u32(b + 4, big), v;
	float f;

	if (n >= 1728 && data >= 1728) {
		v = frameseq_u32(b + 1724, big);
		memcpy(&f, &v, sizeof(f));
		if (v != 0xffffffffu)
			frameseq_set_rate(s, f);
	}
	if (s->rate_num == 0 && n >= 1944 && data >= 1944) {
		v = frameseq_u32(b + 1940, big);
		memcpy(&f, &v, sizeof(f));
		if (v != 0xffffffffu)
			frameseq_set_rate(s, f);
	}
	if (n >= 1924 && data >= 1924 && (v = frameseq_u32(b + 1920, big)) != 0xffffffffu)
		frameseq_set_tc(s, frameseq_bcd(v, 24, 28, 4), frameseq_bcd(v, 16, 20, 4),
		    frameseq_bcd(v, 8, 12, 4), frameseq_bcd(v, 0, 4, 4), false);
}

/* OpenEXR: magic, version, then attributes (name NUL, type NUL, int32 size, value) up to an
 * empty name. framesPerSecond is a rational (int32, uint32); timeCode a SMPTE time and flags
 * word (OpenEXR's TimeCode bit layout) and user bits. */
static void
frameseq_exr(const unsigned char *b, size_t n, struct frameseq *s)
{
	size_t o = 8;

	while (o < n && b[o] != 0) {
		const char *name = (const char *)b + o, *type;
		size_t nl = strnlen(name, n - o), tl;
		uint32_t size;

		if (o + nl + 1 >= n)
			return;
		type = (const char *)b + o + nl + 1;
		tl = strnlen(type, n - (o + nl + 1));
		o += nl + 1 + tl + 1;
		if (o + 4 > n)
			return;
		size = frameseq_u32(b + o, false);
		o += 4;
		if (size > n - o)
			return;
		if (strcmp(name, "framesPerSecond") == 0 && strcmp(type, "rational") == 0 &&
		    size == 8 && frameseq_u32(b + o + 4, false) != 0)
			frameseq_set_rate(s, (double)(int32_t)frameseq_u32(b + o, false) /
			    frameseq_u32(b + o + 4, false));
		else if (strcmp(name, "timeCode") == 0 && strcmp(type, "timecode") == 0 && size == 8) {
			uint32_t t = frameseq_u32(b + o, false);

			frameseq_set_tc(s, frameseq_bcd(t, 24, 28, 2), frameseq_bcd(t, 16, 20, 3),
			    frameseq_bcd(t, 8, 12, 3), frameseq_bcd(t, 0, 4, 2), (t >> 6) & 1);
		}
		o += size;
	}
}

void
frameseq_header(const unsigned char *b, size_t n, struct frameseq *s)
{
	if (n >= 8 && (memcmp(b, "SDPX", 4) == 0 || memcmp(b, "XPDS", 4) == 0))
		frameseq_dpx(b, n, s);
	else if (n >= 8 && memcmp(b, "\x76\x2f\x31\x01", 4) == 0)
		frameseq_exr(b, n, s);
}

int
frameseq_open(const char *path, struct frameseq *s, struct err *err)
{
	unsigned char *b;   /* the header: on the heap, not a worker thread's stack */
	size_t at, nd = frameseq_digits(path, &at), n = 0;
	ssize_t r;
	int fd;

	memset(s, 0, sizeof(*s));
	if (!frameseq_is_frame(path))
		return err_set(err, SP_EINVAL, "%s: not a numbered DPX or OpenEXR frame", path);
	if (frameseq_pattern(path, at, nd, s->pattern, sizeof(s->pattern)) < 0)
		return err_set(err, SP_EINVAL, "%s: path too long", path);
	s->start = strtoull(path + at, NULL, 10);
	if ((b = malloc(FRAMESEQ_HEAD_MAX)) == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		free(b);
		return err_errno(err, SP_EIO, errno, "%s", path);
	}
	while (n < FRAMESEQ_HEAD_MAX && (r = read(fd, b + n, FRAMESEQ_HEAD_MAX - n)) > 0)
		n += (size_t)r;
	close(fd);
	frameseq_header(b, n, s);
	free(b);
	return 0;
}

int
media_input_of(const char *path, struct media_input *mi, struct err *err)
{
	int rc;

	memset(mi, 0, sizeof(*mi));
	if (!frameseq_is_frame(path)) {
		snprintf(mi->in, sizeof(mi->in), "file:%s", path);
		mi->argv[mi->argc++] = "-i";
		mi->argv[mi->argc++] = mi->in;
		return 0;
	}
	if ((rc = frameseq_open(path, &mi->seq, err)) < 0)
		return rc;
	mi->sequence = true;
	mi->rate_assumed = mi->seq.rate_num == 0;
	if (mi->rate_assumed)
		snprintf(mi->rate, sizeof(mi->rate), "%d", FRAMESEQ_RATE_DEFAULT);
	else
		snprintf(mi->rate, sizeof(mi->rate), "%u/%u", mi->seq.rate_num, mi->seq.rate_den);
	snprintf(mi->start, sizeof(mi->start), "%llu", mi->seq.start);
	snprintf(mi->in, sizeof(mi->in), "file:%s", mi->seq.pattern);
	/* "sequence": a '[' or '*' in a folder name is not a glob */
	static const char *const words[] = { "-f", "image2", "-pattern_type", "sequence",
		"-framerate", NULL, "-start_number", NULL, "-i", NULL };
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		mi->argv[mi->argc++] = words[i];
	mi->argv[5] = mi->rate;
	mi->argv[7] = mi->start;
	mi->argv[9] = mi->in;
	return 0;
}
