/* Timecode rates and labels (lib/media/timecode.c). Input: a rate line, a label line, then
 * raw bytes for a frame count, a sample position and a sample rate. Checks: a rate read is
 * spelled back (decimal and fraction) to the same rate; a label read formats back to itself
 * (separators as setpost writes them); any frame count formats to a label that reads back to
 * it modulo one day; samples -> frames -> samples -> frames is stable. */
#include "tests/fuzz/fuzz.h"
#include "lib/media/timecode.h"

/* The label as timecode_format writes it: ':' everywhere, ';' last for drop-frame. */
static void
fuzz_normal_label(const char *in, bool drop, char out[TIMECODE_BUFSZ])
{
	snprintf(out, TIMECODE_BUFSZ, "%s", in);
	for (char *p = out; *p; p++)
		if (*p == ';')
			*p = ':';
	if (drop && strlen(out) == 11)
		out[8] = ';';
}

static void
fuzz_rate_spelled(const struct timecode_rate *r)
{
	char s[TIMECODE_RATE_BUFSZ + 4];
	char dec[TIMECODE_RATE_BUFSZ], frac[TIMECODE_RATE_BUFSZ];
	struct timecode_rate back;
	struct err err;

	timecode_rate_decimal(r, dec);
	timecode_rate_fraction(r, frac);
	snprintf(s, sizeof(s), "%s%s", dec, r->drop ? "DF" : "");
	fuzz_check(timecode_rate_parse(s, &back, &err) == 0 && back.num == r->num &&
	    back.den == r->den && back.drop == r->drop, "rate %u/%u written '%s' reads back "
	    "otherwise", r->num, r->den, s);
	snprintf(s, sizeof(s), "%s%s", frac, r->drop ? " DF" : "");
	fuzz_check(timecode_rate_parse(s, &back, &err) == 0 && back.num == r->num &&
	    back.den == r->den && back.drop == r->drop, "rate %u/%u written '%s' reads back "
	    "otherwise", r->num, r->den, s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *rate_s = fuzz_line(&data, &size), *label = fuzz_line(&data, &size);
	char out[TIMECODE_BUFSZ], want[TIMECODE_BUFSZ];
	struct timecode_rate r;
	struct err err;
	int64_t frames, back, day, raw = 0;
	uint64_t samples = 0, samples2;
	uint32_t sr = 48000;

	memcpy(&raw, data, size < sizeof(raw) ? size : sizeof(raw));
	if (size > 8)
		memcpy(&samples, data + 8, size - 8 < sizeof(samples) ? size - 8 : sizeof(samples));
	if (size > 16)
		memcpy(&sr, data + 16, size - 16 < sizeof(sr) ? size - 16 : sizeof(sr));
	(void)timecode_label_is_drop(label);
	if (timecode_rate_parse(rate_s, &r, &err) < 0)
		goto out;
	fuzz_rate_spelled(&r);
	day = timecode_frames_per_day(&r);
	fuzz_check(day > 0, "no frames in a day at %u/%u", r.num, r.den);
	if (timecode_parse(label, &r, &frames, &err) == 0) {
		fuzz_check(frames >= 0 && frames < day, "label '%s' is frame %lld of %lld", label,
		    (long long)frames, (long long)day);
		fuzz_check(timecode_format(&r, frames, out, &err) == 0, "%s", err.msg);
		fuzz_normal_label(label, r.drop, want);
		fuzz_check(strcmp(out, want) == 0, "label '%s' is frame %lld, written back '%s'",
		    label, (long long)frames, out);
	}
	fuzz_check(timecode_format(&r, raw, out, &err) == 0, "%s", err.msg);
	fuzz_check(timecode_parse(out, &r, &back, &err) == 0, "frame %lld written '%s' does not "
	    "read back: %s", (long long)raw, out, err.msg);
	fuzz_check(back == (raw % day + day) % day, "frame %lld written '%s' reads back as %lld",
	    (long long)raw, out, (long long)back);
	if (timecode_from_samples(samples, sr, &r, &frames, &err) == 0 &&
	    timecode_to_samples(frames, sr, &r, &samples2, &err) == 0) {
		fuzz_check(timecode_from_samples(samples2, sr, &r, &back, &err) == 0 && back == frames,
		    "sample %llu at %u Hz is frame %lld, which is sample %llu, which is frame %lld",
		    (unsigned long long)samples, sr, (long long)frames, (unsigned long long)samples2,
		    (long long)back);
	}
out:
	free(rate_s);
	free(label);
	return 0;
}
