/*
 * cdl: ASC Color Decision List (v1.2 math, XML namespace urn:ASC:CDL:v1.01).
 *
 * A struct cdl is one colour correction: slope, offset and power per channel (R, G, B)
 * and one saturation, plus the id the colourist gave it. It is a plain value: copy it
 * freely, nothing inside is owned. cdl_init() gives the identity correction (slope 1,
 * offset 0, power 1, sat 1, empty id). A valid cdl has finite numbers, slope >= 0,
 * power > 0, sat >= 0 and an id of valid UTF-8 without control characters.
 *
 * Files come in three shapes, told apart by their root element, not their name:
 * .cc (one ColorCorrection), .ccc (ColorCorrectionCollection) and .cdl
 * (ColorDecisionList of ColorDecision, each with an optional MediaRef and one
 * ColorCorrection). Reading fills a struct cdl_set that the caller owns and frees with
 * cdl_set_release(). Writing produces .cc or .ccc text in a malloc'd buffer that the
 * caller frees with free().
 *
 * Numbers are read and written with the C library's strtod/printf, so the process must
 * keep LC_NUMERIC as "C" (setpost never calls setlocale). The reader uses libxml2 with
 * network access and entity substitution off; in a threaded program call xmlInitParser()
 * once from the main thread before the first read. Otherwise everything here is
 * reentrant.
 */
#ifndef SETPOST_CDL_H
#define SETPOST_CDL_H

#include <stddef.h>

#include "lib/core/err.h"

#define CDL_ID_MAX 128
#define CDL_DESC_MAX 320
#define CDL_FILE_MAX (16u << 20) /* bytes; larger CDL files are refused as too big */

struct cdl {
	double slope[3], offset[3], power[3], sat;
	char id[CDL_ID_MAX]; /* NUL-terminated, may be empty */
	char desc[CDL_DESC_MAX]; /* written as the correction's Description when not empty */
};

/* What a file held: n corrections in file order. media[i] is the MediaRef ref of the
 * ColorDecision that held v[i] (only .cdl files have them), or NULL. */
struct cdl_set {
	struct cdl *v;
	char **media;
	size_t n;
};

#define CDL_SET_INIT { NULL, NULL, 0 }

/* Sets c to the identity correction. */
void cdl_init(struct cdl *c);

/* Returns 0 if c is usable, else SP_EINVAL with a message naming the field
 * ("power green is 0; must be > 0"). */
int cdl_validate(const struct cdl *c, struct err *err);

/* Applies c to one RGB triple with the clamped "v1.2_Fwd" formula (SPECS 4.2):
 * v = clamp01(in * slope + offset) ^ power; out = clamp01(luma + sat * (v - luma)),
 * luma with Rec.709 weights. in and out may be the same array. NaN inputs become 0.
 * c should be valid; an invalid c gives meaningless but defined numbers. */
void cdl_apply(const struct cdl *c, const double in[3], double out[3]);

/* Parses the .cc, .ccc or .cdl document in buf (len bytes) into *set, which must be
 * empty (CDL_SET_INIT). name is used in messages ("a.cdl: line 7: Slope: expected 3
 * numbers, found 2"). Missing elements take their defaults; unknown elements are
 * ignored; both SatNode and SATNode are accepted. Every correction is validated.
 * Returns the number of corrections (>= 1), or SP_EINVAL for malformed or invalid
 * input, SP_EUNSUPPORTED for a ColorDecision that only references a correction,
 * SP_ENOMEM. On error *set is left empty. */
int cdl_read_mem(const char *buf, size_t len, const char *name, struct cdl_set *set,
    struct err *err);

/* Like cdl_read_mem for the file at path (at most CDL_FILE_MAX bytes: SP_ETOOBIG).
 * A missing file is SP_ENOTFOUND, other read failures SP_EIO. */
int cdl_read_file(const char *path, struct cdl_set *set, struct err *err);

/* Frees what set holds and leaves it empty; safe on an empty set. */
void cdl_set_release(struct cdl_set *set);

/* Writes c as a .cc document (root ColorCorrection with the namespace). On success
 * *out is a malloc'd NUL-terminated string of *len bytes, owned by the caller.
 * Returns 0, SP_EINVAL if c does not validate, or SP_ENOMEM; *out is NULL on error. */
int cdl_write_cc(const struct cdl *c, char **out, size_t *len, struct err *err);

/* Writes v[0..n-1] as a .ccc document (ColorCorrectionCollection); n may be 0.
 * Same ownership and returns as cdl_write_cc; the first invalid entry is named. */
int cdl_write_ccc(const struct cdl *v, size_t n, char **out, size_t *len,
    struct err *err);

#endif
