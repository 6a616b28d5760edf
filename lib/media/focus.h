/*
 * focus: how sharp a picture is, as the variance of its Laplacian, and which stretches of a
 * take are soft compared with the other takes of the same setup.
 *
 * The score of a grey frame is the variance of the 3x3 Laplacian (0 1 0 / 1 -4 1 / 0 1 0) over
 * its interior pixels: an in-focus picture has strong edges, so its second derivative varies
 * a lot; defocus and motion blur flatten it. The number depends on the content and on the size
 * of the frame, so it means nothing alone: QC samples frames of every take at one reduced size
 * (ffmpeg scales them, `-pix_fmt gray -f rawvideo`), and compares a take with the other takes of
 * its setup (same scene and camera), where the content is nearly the same.
 *
 * Everything here works on caller-owned values; nothing is allocated; thread-safe.
 */
#ifndef SETPOST_FOCUS_H
#define SETPOST_FOCUS_H

#include <stddef.h>
#include <stdint.h>

/* Variance of the Laplacian of a width x height 8-bit grey image whose rows are stride bytes
 * apart. 0 for an image smaller than 3x3. */
double focus_laplacian_variance(const uint8_t *pix, int width, int height, size_t stride);

struct focus_sample {
	long long frame;        /* frame number in the clip */
	double score;           /* focus_laplacian_variance; < 0: not scored (e.g. black frame) */
};

/* Median of the scored (score >= 0) samples; -1 when there is none. */
double focus_median(const struct focus_sample *s, int n);

/* Median of n values (v is reordered); -1 when n is 0. */
double focus_median_of(double *v, int n);

struct focus_run {
	int first, last;        /* sample indexes, inclusive */
	double worst;           /* lowest score / reference in the run */
};

/* Runs of at least min_samples consecutive scored samples whose score is below
 * ratio * reference (unscored samples neither break nor extend a run). Fills at most max runs;
 * returns how many. */
int focus_soft_runs(const struct focus_sample *s, int n, double reference, double ratio,
    int min_samples, struct focus_run *runs, int max);

#endif
