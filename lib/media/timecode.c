/* timecode: SMPTE labels, rates and BWF sample positions (see timecode.h). */
#include "lib/media/timecode.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The rates cameras and recorders stamp. Anything else is a typo or a variable frame
 * rate, and a label at such a rate would mean nothing to an editor. */
static const struct {
	unsigned num, den;
	bool can_drop;
} timecode_rates[] = {
	{ 24000, 1001, false }, { 24, 1, false }, { 25, 1, false },
	{ 30000, 1001, true }, { 30, 1, false }, { 48, 1, false },
	{ 50, 1, false }, { 60000, 1001, true }, { 60, 1, false },
};

#define TIMECODE_NRATES (sizeof(timecode_rates) / sizeof(timecode_rates[0]))

static int
timecode_rate_index(unsigned num, unsigned den)
{
	for (size_t i = 0; i < TIMECODE_NRATES; i++)
		if (timecode_rates[i].num == num && timecode_rates[i].den == den)
			return (int)i;
	return -1;
}

static unsigned
timecode_gcd(unsigned a, unsigned b)
{
	while (b != 0) {
		unsigned t = a % b;

		a = b;
		b = t;
	}
	return a;
}

int
timecode_rate_make(unsigned num, unsigned den, bool drop, struct timecode_rate *rate,
    struct err *err)
{
	unsigned g;
	int i;

	if (num == 0 || den == 0)
		return err_set(err, SP_EINVAL, "timecode rate %u/%u: zero", num, den);
	g = timecode_gcd(num, den);
	i = timecode_rate_index(num / g, den / g);
	if (i < 0)
		return err_set(err, SP_EINVAL, "timecode rate %u/%u: not a timecode rate "
		    "(24000/1001, 24, 25, 30000/1001, 30, 48, 50, 60000/1001, 60)", num, den);
	if (drop && !timecode_rates[i].can_drop)
		return err_set(err, SP_EINVAL, "timecode rate %u/%u: drop-frame exists only at "
		    "30000/1001 and 60000/1001", num, den);
	rate->num = num / g;
	rate->den = den / g;
	rate->drop = drop;
	return 0;
}

/* Functions taking a caller-filled struct check it, so a zeroed struct gives an
 * error instead of a division by zero. */
static int
timecode_rate_check(const struct timecode_rate *rate, struct err *err)
{
	int i = timecode_rate_index(rate->num, rate->den);

	if (i < 0 || (rate->drop && !timecode_rates[i].can_drop))
		return err_set(err, SP_EINVAL, "timecode rate %u/%u%s: not a timecode rate",
		    rate->num, rate->den, rate->drop ? " DF" : "");
	return 0;
}

/* Reads len decimal digits (1 to 9 of them) from s. */
static int
timecode_digits(const char *s, size_t len, uint64_t *v)
{
	if (len == 0 || len > 9)
		return -1;
	*v = 0;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		*v = *v * 10 + (uint64_t)(s[i] - '0');
	}
	return 0;
}

static int
timecode_rate_from_fraction(const char *s, size_t len, const char *slash, unsigned *num,
    unsigned *den)
{
	size_t head = (size_t)(slash - s);
	uint64_t n, d;

	if (timecode_digits(s, head, &n) < 0 ||
	    timecode_digits(slash + 1, len - head - 1, &d) < 0 || n == 0 || d == 0)
		return -1;
	*num = (unsigned)n;
	*den = (unsigned)d;
	return 0;
}

/* A decimal such as "23.98" matches the table rate within 0.005 of it: close enough
 * for the 2- and 3-decimal spellings in use, far from any neighbouring rate. */
static int
timecode_rate_from_decimal(const char *s, size_t len, unsigned *num, unsigned *den)
{
	const char *dot = memchr(s, '.', len);
	size_t head = dot ? (size_t)(dot - s) : len;
	uint64_t whole, frac = 0, scale = 1;

	if (timecode_digits(s, head, &whole) < 0 || whole > 1000)
		return -1;
	if (dot != NULL) {
		size_t tail = len - head - 1;

		if (tail > 6 || (tail > 0 && timecode_digits(dot + 1, tail, &frac) < 0))
			return -1;
		while (tail-- > 0)
			scale *= 10;
	}
	/* value = (whole * scale + frac) / scale; compare cross-multiplied, in integers,
	 * so the result does not depend on the locale or on float rounding. */
	for (size_t i = 0; i < TIMECODE_NRATES; i++) {
		int64_t a = (int64_t)((whole * scale + frac) * timecode_rates[i].den);
		int64_t b = (int64_t)(timecode_rates[i].num * scale);
		int64_t diff = a > b ? a - b : b - a;

		if (diff * 200 < (int64_t)(scale * timecode_rates[i].den)) {
			*num = timecode_rates[i].num;
			*den = timecode_rates[i].den;
			return 0;
		}
	}
	return -1;
}

/* Strips a trailing "DF" or "NDF" (any case) and the blanks before it. */
static void
timecode_rate_suffix(const char *s, size_t *len, bool *drop)
{
	*drop = false;
	if (*len >= 3 && strncasecmp(s + *len - 3, "NDF", 3) == 0) {
		*len -= 3;
	} else if (*len >= 2 && strncasecmp(s + *len - 2, "DF", 2) == 0) {
		*len -= 2;
		*drop = true;
	}
	while (*len > 0 && isspace((unsigned char)s[*len - 1]))
		(*len)--;
}

int
timecode_rate_parse(const char *s, struct timecode_rate *rate, struct err *err)
{
	const char *p = s, *slash;
	unsigned num = 0, den = 0;
	size_t len;
	bool drop;
	int rc;

	while (isspace((unsigned char)*p))
		p++;
	len = strlen(p);
	while (len > 0 && isspace((unsigned char)p[len - 1]))
		len--;
	timecode_rate_suffix(p, &len, &drop);
	slash = memchr(p, '/', len);
	if (slash != NULL)
		rc = timecode_rate_from_fraction(p, len, slash, &num, &den);
	else
		rc = timecode_rate_from_decimal(p, len, &num, &den);
	if (rc < 0)
		return err_set(err, SP_EINVAL, "timecode rate \"%.40s\": not a timecode rate", s);
	rc = timecode_rate_make(num, den, drop, rate, err);
	if (rc < 0)
		err_prefix(err, "timecode rate \"%.40s\": ", s);
	return rc;
}

unsigned
timecode_rate_nominal(const struct timecode_rate *rate)
{
	if (rate->den == 0)
		return 0;
	return (unsigned)(((uint64_t)rate->num + rate->den / 2) / rate->den);
}

void
timecode_rate_decimal(const struct timecode_rate *rate, char out[TIMECODE_RATE_BUFSZ])
{
	unsigned whole, milli;
	size_t n;

	if (rate->den == 0) {
		snprintf(out, TIMECODE_RATE_BUFSZ, "0");
		return;
	}
	whole = rate->num / rate->den;
	milli = (unsigned)(((uint64_t)(rate->num % rate->den) * 1000 + rate->den / 2) / rate->den);
	if (milli == 1000) {
		whole++;
		milli = 0;
	}
	if (milli == 0) {
		snprintf(out, TIMECODE_RATE_BUFSZ, "%u", whole);
		return;
	}
	snprintf(out, TIMECODE_RATE_BUFSZ, "%u.%03u", whole, milli);
	/* "29.970" is spelled "29.97" everywhere it is written by hand. */
	n = strlen(out);
	while (out[n - 1] == '0')
		out[--n] = '\0';
}

void
timecode_rate_fraction(const struct timecode_rate *rate, char out[TIMECODE_RATE_BUFSZ])
{
	snprintf(out, TIMECODE_RATE_BUFSZ, "%u/%u", rate->num, rate->den);
}

/* Labels skipped at each minute boundary: 2 at 29.97, 4 at 59.94. */
static int64_t
timecode_drop_count(const struct timecode_rate *rate)
{
	return rate->drop ? timecode_rate_nominal(rate) / 15 : 0;
}

/* Real frames in ten minutes of labels: one full minute, then nine short ones. */
static int64_t
timecode_ten_minutes(const struct timecode_rate *rate)
{
	return (int64_t)timecode_rate_nominal(rate) * 600 - 9 * timecode_drop_count(rate);
}

int64_t
timecode_frames_per_day(const struct timecode_rate *rate)
{
	return timecode_ten_minutes(rate) * 6 * 24;
}

bool
timecode_label_is_drop(const char *s)
{
	return strchr(s, ';') != NULL;
}

/* Splits "HH:MM:SS:FF" into f[0..3]; notes whether any separator is ';'. */
static int
timecode_split(const char *s, unsigned f[4], bool *drop_label)
{
	*drop_label = false;
	if (strlen(s) != TIMECODE_BUFSZ - 1)
		return -1;
	for (int i = 0; i < 4; i++) {
		const char *p = s + 3 * i;
		uint64_t v;

		if (timecode_digits(p, 2, &v) < 0)
			return -1;
		f[i] = (unsigned)v;
		if (i == 3)
			break;
		if (p[2] == ';')
			*drop_label = true;
		else if (p[2] != ':')
			return -1;
	}
	return 0;
}

static int
timecode_check_fields(const char *s, const struct timecode_rate *rate, const unsigned f[4],
    struct err *err)
{
	if (f[0] >= 24)
		return err_set(err, SP_EINVAL, "timecode %s: hours must be below 24", s);
	if (f[1] >= 60)
		return err_set(err, SP_EINVAL, "timecode %s: minutes must be below 60", s);
	if (f[2] >= 60)
		return err_set(err, SP_EINVAL, "timecode %s: seconds must be below 60", s);
	if (f[3] >= timecode_rate_nominal(rate))
		return err_set(err, SP_EINVAL, "timecode %s: frames must be below %u", s,
		    timecode_rate_nominal(rate));
	if (rate->drop && f[2] == 0 && f[3] < timecode_drop_count(rate) && f[1] % 10 != 0)
		return err_set(err, SP_EINVAL, "timecode %s: no such drop-frame label (frames "
		    "00-%02u are skipped at each minute not divisible by 10)", s,
		    (unsigned)timecode_drop_count(rate) - 1);
	return 0;
}

int
timecode_parse(const char *s, const struct timecode_rate *rate, int64_t *frames,
    struct err *err)
{
	char rs[TIMECODE_RATE_BUFSZ];
	unsigned f[4];
	int64_t minutes;
	bool drop_label;
	int rc;

	rc = timecode_rate_check(rate, err);
	if (rc < 0)
		return rc;
	if (timecode_split(s, f, &drop_label) < 0)
		return err_set(err, SP_EINVAL, "timecode \"%.40s\": expected HH:MM:SS:FF", s);
	if (drop_label != rate->drop) {
		timecode_rate_decimal(rate, rs);
		return err_set(err, SP_EINVAL, "timecode %s: %s label at %s %s", s,
		    drop_label ? "drop-frame" : "non-drop-frame", rs,
		    rate->drop ? "drop-frame" : "non-drop-frame");
	}
	rc = timecode_check_fields(s, rate, f, err);
	if (rc < 0)
		return rc;
	minutes = (int64_t)f[0] * 60 + f[1];
	*frames = (minutes * 60 + f[2]) * timecode_rate_nominal(rate) + f[3] -
	    timecode_drop_count(rate) * (minutes - minutes / 10);
	return 0;
}

/* Labels skipped before real frame n (n within one day): none in the first minute of
 * each ten-minute block, drop_count at the start of each of the nine others. */
static int64_t
timecode_skipped(const struct timecode_rate *rate, int64_t n)
{
	int64_t drop = timecode_drop_count(rate);
	int64_t full = (int64_t)timecode_rate_nominal(rate) * 60;
	int64_t block = timecode_ten_minutes(rate);
	int64_t rest = n % block;
	int64_t skipped = n / block * 9 * drop;

	if (drop > 0 && rest >= full)
		skipped += drop * (1 + (rest - full) / (full - drop));
	return skipped;
}

int
timecode_format(const struct timecode_rate *rate, int64_t frames, char out[TIMECODE_BUFSZ],
    struct err *err)
{
	int64_t day, label, nominal;
	int rc;

	rc = timecode_rate_check(rate, err);
	if (rc < 0)
		return rc;
	day = timecode_frames_per_day(rate);
	frames %= day;
	if (frames < 0)
		frames += day;
	nominal = timecode_rate_nominal(rate);
	label = frames + timecode_skipped(rate, frames);
	snprintf(out, TIMECODE_BUFSZ, "%02u:%02u:%02u%c%02u",
	    (unsigned)(label / (nominal * 3600)), (unsigned)(label / (nominal * 60) % 60),
	    (unsigned)(label / nominal % 60), rate->drop ? ';' : ':',
	    (unsigned)(label % nominal));
	return 0;
}

int
timecode_from_samples(uint64_t samples, uint32_t sample_rate, const struct timecode_rate *rate,
    int64_t *frames, struct err *err)
{
	uint64_t scaled, per_frame, result;
	int rc;

	rc = timecode_rate_check(rate, err);
	if (rc < 0)
		return rc;
	if (sample_rate == 0)
		return err_set(err, SP_EINVAL, "sample rate is zero");
	/* frames = samples * num / (sample_rate * den), rounded half up. */
	per_frame = (uint64_t)sample_rate * rate->den;
	if (__builtin_mul_overflow(samples, (uint64_t)rate->num, &scaled) ||
	    __builtin_add_overflow(scaled, per_frame / 2, &scaled))
		return err_set(err, SP_EINVAL, "sample position %llu: too large",
		    (unsigned long long)samples);
	result = scaled / per_frame;
	if (result > INT64_MAX)
		return err_set(err, SP_EINVAL, "sample position %llu: too large",
		    (unsigned long long)samples);
	*frames = (int64_t)result;
	return 0;
}

int
timecode_to_samples(int64_t frames, uint32_t sample_rate, const struct timecode_rate *rate,
    uint64_t *samples, struct err *err)
{
	uint64_t scaled;
	int rc;

	rc = timecode_rate_check(rate, err);
	if (rc < 0)
		return rc;
	if (sample_rate == 0)
		return err_set(err, SP_EINVAL, "sample rate is zero");
	if (frames < 0)
		return err_set(err, SP_EINVAL, "frame count %lld: negative", (long long)frames);
	/* samples = frames * sample_rate * den / num, rounded half up. */
	if (__builtin_mul_overflow((uint64_t)frames, (uint64_t)sample_rate * rate->den, &scaled) ||
	    __builtin_add_overflow(scaled, (uint64_t)rate->num / 2, &scaled))
		return err_set(err, SP_EINVAL, "frame count %lld: too large", (long long)frames);
	*samples = scaled / rate->num;
	return 0;
}
