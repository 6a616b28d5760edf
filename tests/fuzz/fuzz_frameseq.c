/* DPX and OpenEXR frame headers (lib/media/frameseq.c): any bytes a card holds. Checks: the
 * rate is a fraction with both parts set or neither, between 1 and 1000 frames a second; a
 * timecode is a label "HH:MM:SS:FF" (';' before the frames when drop-frame) in range. */
#include "tests/fuzz/fuzz.h"
#include "lib/media/frameseq.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct frameseq s;
	const char *t = s.timecode;

	memset(&s, 0, sizeof(s));
	frameseq_header(data, size, &s);
	fuzz_check((s.rate_num == 0) == (s.rate_den == 0), "rate %u/%u", s.rate_num, s.rate_den);
	if (s.rate_den != 0)
		fuzz_check((double)s.rate_num / s.rate_den >= 0.999 &&
		    (double)s.rate_num / s.rate_den <= 1000.001, "rate %u/%u", s.rate_num, s.rate_den);
	if (t[0] == '\0') {
		fuzz_check(!s.drop_frame, "drop-frame without a timecode");
		return 0;
	}
	fuzz_check(strlen(t) == 11 && t[2] == ':' && t[5] == ':' && t[8] == (s.drop_frame ? ';' : ':'),
	    "timecode '%s'", t);
	fuzz_check(atoi(t) <= 23 && atoi(t + 3) <= 59 && atoi(t + 6) <= 59 && atoi(t + 9) <= 59,
	    "timecode '%s' out of range", t);
	return 0;
}
