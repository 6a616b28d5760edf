/* .cube 3D LUTs (lib/media/lut.c). What is read validates and samples to finite numbers, and
 * the .cube setpost writes of it reads back with the same size. */
#include "tests/fuzz/fuzz.h"
#include "lib/media/lut.h"

#include <math.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lut l = LUT_INIT, again = LUT_INIT;
	struct err err;
	char *text = NULL;
	size_t len;
	double in[3] = { 0.25, 0.5, 0.75 }, out[3];

	if (lut_read_cube_mem(&l, (const char *)data, size, "fuzz.cube", &err) < 0) {
		fuzz_check(l.data == NULL && l.size == 0, "a refused file left a table");
		return 0;
	}
	fuzz_check(lut_validate(&l, &err) == 0, "read but invalid: %s", err.msg);
	lut_sample(&l, LUT_TETRAHEDRAL, in, out);
	lut_sample(&l, LUT_TRILINEAR, in, out);
	fuzz_check(isfinite(out[0]) && isfinite(out[1]) && isfinite(out[2]), "sampled a non-finite value");
	fuzz_check(lut_write_cube(&l, &text, &len, &err) == 0, "cannot write what was read: %s",
	    err.msg);
	fuzz_check(lut_read_cube_mem(&again, text, len, "again.cube", &err) == 0,
	    "setpost's own .cube does not read back: %s", err.msg);
	fuzz_check(again.size == l.size, "size %d came back as %d", l.size, again.size);
	free(text);
	lut_release(&again);
	lut_release(&l);
	return 0;
}
