/*
 * sequence: is a clip's numbered file sequence whole? An ARRIRAW, DPX, OpenEXR or CinemaDNG
 * clip is one file per frame ("A001C004.0086400.ari"), a RED clip one file per segment
 * ("A001_C002_0101AB_001.R3D"): the number is the last run of digits of the file's name before
 * its extension. A number missing between the first and the last is a gap (frames lost on the
 * card or in the copy); the same number twice (two files, however padded) is a duplicate. Both
 * mean the clip cannot be played as shot.
 */
#ifndef SETPOST_SEQUENCE_H
#define SETPOST_SEQUENCE_H

#include <stddef.h>

/* Checks the n file names (paths are fine; any order). Returns the number of problems found
 * (0: whole, or fewer than two numbered files) and writes them as one sentence in why
 * ("frames missing from the sequence: 86402 (1); duplicate frame numbers: 86400
 * (A.0086400.ari, A.086400.ari)"), naming "segments" instead of "frames" when unit says so.
 * Returns -1 when out of memory. */
int sequence_check(const char *const *names, size_t n, const char *unit, char *why,
    size_t whylen);

#endif
