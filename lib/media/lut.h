/*
 * lut: 3D colour lookup tables in the .cube format (Iridas/Adobe and Resolve dialects,
 * SPECS 5), sampling, and baking a CDL plus a show LUT into one cube for ffmpeg.
 *
 * A struct lut is an N×N×N grid (2 <= N <= 129) of RGB output triples over an input
 * domain [dmin, dmax] per axis (default 0..1). Entry (r, g, b) is stored at
 * data[3 * (r + N*g + N*N*b)]: red changes fastest, as in the file. Outputs may lie
 * outside 0..1. The struct owns data (malloc'd floats); start from LUT_INIT, fill it
 * with lut_identity, lut_read_cube_* or lut_bake, and free it with lut_release. A
 * filled struct can be shared read-only between threads; sampling never allocates.
 *
 * Reading is strict: one wrong line refuses the whole file with its line number
 * ("look.cube: line 12: expected 3 values, found 2"). 1D LUTs and Resolve 1D shapers
 * are refused as unsupported. Writing emits LUT_3D_SIZE (plus TITLE and DOMAIN_* only
 * when they differ from the defaults) and %.6f data, which ffmpeg, Resolve and OCIO read.
 * Numbers go through strtod/printf, so LC_NUMERIC must stay "C".
 */
#ifndef SETPOST_LUT_H
#define SETPOST_LUT_H

#include <stddef.h>

#include "lib/media/cdl.h"
#include "lib/core/err.h"

#define LUT_SIZE_MIN 2
#define LUT_SIZE_MAX 129
#define LUT_BAKE_DEFAULT 33
#define LUT_BAKE_MIN 33     /* coarser grids lose too much of a CDL's curve */
#define LUT_BAKE_MAX 65
#define LUT_FILE_MAX (256u << 20) /* bytes; a 129-point cube is about 60 MB */
#define LUT_TITLE_MAX 256

struct lut {
	int size;                 /* N; 0 when empty */
	double dmin[3], dmax[3];  /* input domain per axis, dmin < dmax */
	float *data;              /* 3 * N^3 floats, red fastest */
	char title[LUT_TITLE_MAX];
};

#define LUT_INIT { 0, { 0, 0, 0 }, { 1, 1, 1 }, NULL, "" }

enum lut_interp {
	LUT_TRILINEAR,
	LUT_TETRAHEDRAL,  /* what ffmpeg's lut3d uses by default; keeps greys grey */
};

/* Frees the data and leaves l empty (LUT_INIT); safe on an empty lut. */
void lut_release(struct lut *l);

/* Fills the empty l with the identity cube of the given size over 0..1.
 * Returns 0, SP_EINVAL for a size outside 2..129, or SP_ENOMEM. */
int lut_identity(struct lut *l, int size, struct err *err);

/* Returns 0 if l is usable: size in range, data present, finite domain with
 * dmin < dmax, every value finite, title printable without '"'. Else SP_EINVAL. */
int lut_validate(const struct lut *l, struct err *err);

/* Samples l at the RGB point in. Inputs are mapped through the domain and clamped to
 * its edges (NaN becomes the lower edge). in and out may be the same array. */
void lut_sample(const struct lut *l, enum lut_interp interp, const double in[3],
    double out[3]);

/* Parses .cube text (len bytes, need not be NUL-terminated) into the empty l. name is
 * used in messages. Accepts TITLE, LUT_3D_SIZE, DOMAIN_MIN/MAX, LUT_3D_INPUT_RANGE,
 * '#' comments, blank lines, CRLF and a UTF-8 BOM; keywords are case-insensitive.
 * Returns 0; SP_EINVAL with "name: line N: ..." for a malformed file (bad or non-finite
 * number, wrong count, size out of range, too few or too many data lines, unknown or
 * repeated keyword); SP_EUNSUPPORTED for 1D data; SP_ENOMEM. l stays empty on error. */
int lut_read_cube_mem(struct lut *l, const char *buf, size_t len, const char *name,
    struct err *err);

/* Like lut_read_cube_mem for the file at path (at most LUT_FILE_MAX bytes: SP_ETOOBIG;
 * missing: SP_ENOTFOUND; other read errors: SP_EIO). */
int lut_read_cube_file(struct lut *l, const char *path, struct err *err);

/* Writes l as .cube text. On success *out is a malloc'd NUL-terminated string of *len
 * bytes owned by the caller. Returns 0, SP_EINVAL if l does not validate, SP_ENOMEM. */
int lut_write_cube(const struct lut *l, char **out, size_t *len, struct err *err);

/* Writes l to path atomically (a temporary file in the same directory, then rename),
 * so a reader such as ffmpeg never sees half a cube. Returns 0, SP_EINVAL, or the
 * SP_E* code of the file error (SP_EIO, SP_ENOSPACE, SP_ENOTFOUND...). */
int lut_save_cube(const struct lut *l, const char *path, struct err *err);

/* Fills the empty out with a size-point cube over 0..1 equal to the CDL cdl followed
 * by the show LUT show: each grid point goes through cdl_apply, then (if show is not
 * NULL) through show with tetrahedral interpolation, honouring show's domain.
 * cdl NULL means no CDL; size 0 means LUT_BAKE_DEFAULT. out must not be show.
 * Returns 0; SP_EINVAL for a size outside LUT_BAKE_MIN..LUT_BAKE_MAX or an invalid
 * cdl or show LUT; SP_ENOMEM. out stays empty on error. */
int lut_bake(struct lut *out, int size, const struct cdl *cdl, const struct lut *show,
    struct err *err);

#endif
