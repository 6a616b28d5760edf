/* focus: the variance of the Laplacian on grey frames (values worked by hand, sharp against
 * blurred, stride), medians, and the soft stretches of a take against its setup. */
#include "lib/media/focus.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define W 64
#define H 48

/* A checkerboard of 8-pixel squares, 40 and 200: strong edges. */
static void
checkerboard(uint8_t *pix, int w, int h, size_t stride)
{
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			pix[(size_t)y * stride + (size_t)x] = ((x / 8 + y / 8) % 2) ? 200 : 40;
}

/* A (2r+1)-wide box blur, edges clamped: what defocus does to edges. */
static void
box_blur(const uint8_t *in, uint8_t *out, int w, int h, int r)
{
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			int sum = 0, n = 0;
			for (int dy = -r; dy <= r; dy++)
				for (int dx = -r; dx <= r; dx++) {
					int yy = y + dy < 0 ? 0 : y + dy >= h ? h - 1 : y + dy;
					int xx = x + dx < 0 ? 0 : x + dx >= w ? w - 1 : x + dx;
					sum += in[yy * w + xx];
					n++;
				}
			out[y * w + x] = (uint8_t)((sum + n / 2) / n);
		}
}

Test(focus, flat_picture_scores_zero)
{
	uint8_t pix[W * H];

	memset(pix, 128, sizeof(pix));
	cr_expect_float_eq(focus_laplacian_variance(pix, W, H, W), 0.0, 1e-9);
}

Test(focus, single_point_worked_by_hand)
{
	/* 5x5, one pixel of 100 in the middle. Over the 3x3 interior the Laplacian is -400 at the
	 * centre, 100 at its four neighbours, 0 at the corners: mean 0, variance 200000 / 9. */
	uint8_t pix[25] = { 0 };

	pix[12] = 100;
	cr_expect_float_eq(focus_laplacian_variance(pix, 5, 5, 5), 200000.0 / 9, 1e-6);
}

Test(focus, too_small_scores_zero)
{
	uint8_t pix[4] = { 0, 255, 255, 0 };

	cr_expect_float_eq(focus_laplacian_variance(pix, 2, 2, 2), 0.0, 1e-9);
	cr_expect_float_eq(focus_laplacian_variance(pix, 4, 1, 4), 0.0, 1e-9);
}

Test(focus, blur_lowers_the_score_step_by_step)
{
	uint8_t sharp[W * H], b1[W * H], b3[W * H];
	double s, s1, s3;

	checkerboard(sharp, W, H, W);
	box_blur(sharp, b1, W, H, 1);
	box_blur(sharp, b3, W, H, 3);
	s = focus_laplacian_variance(sharp, W, H, W);
	s1 = focus_laplacian_variance(b1, W, H, W);
	s3 = focus_laplacian_variance(b3, W, H, W);
	cr_expect_gt(s, 2 * s1, "sharp %.1f, blur 1 %.1f", s, s1);
	cr_expect_gt(s1, 2 * s3, "blur 1 %.1f, blur 3 %.1f", s1, s3);
	cr_expect_gt(s3, 0);
}

Test(focus, stride_padding_is_ignored)
{
	uint8_t tight[W * H], *wide = calloc((size_t)(W + 13) * H, 1);

	cr_assert_not_null(wide);
	checkerboard(tight, W, H, W);
	checkerboard(wide, W, H, W + 13);
	/* Garbage in the padding must not count. */
	for (int y = 0; y < H; y++)
		memset(wide + (size_t)y * (W + 13) + W, 255, 13);
	cr_expect_float_eq(focus_laplacian_variance(wide, W, H, W + 13),
	    focus_laplacian_variance(tight, W, H, W), 1e-9);
	free(wide);
}

Test(focus, medians_skip_unscored_samples)
{
	struct focus_sample s[] = { { 0, 5 }, { 12, -1 }, { 24, 1 }, { 36, 9 }, { 48, 3 } };
	double v[] = { 4, 1, 3, 2 };

	cr_expect_float_eq(focus_median(s, 5), 4.0, 1e-9, "median of 5, 1, 9, 3");
	cr_expect_float_eq(focus_median(s, 3), 3.0, 1e-9, "median of 5, 1");
	cr_expect_float_eq(focus_median(s + 1, 1), -1.0, 1e-9, "nothing scored");
	cr_expect_float_eq(focus_median_of(v, 4), 2.5, 1e-9);
	cr_expect_float_eq(focus_median_of(v, 0), -1.0, 1e-9);
}

Test(focus, soft_runs_against_the_reference)
{
	/* Reference 100, soft below 50. */
	struct focus_sample s[] = { { 0, 90 }, { 10, 30 }, { 20, 20 }, { 30, 95 }, { 40, 10 },
		{ 50, 10 }, { 60, -1 }, { 70, 10 }, { 80, 80 }, { 90, 40 }, { 100, 99 } };
	struct focus_run runs[4];
	int n = focus_soft_runs(s, 11, 100, 0.5, 2, runs, 4);

	cr_assert_eq(n, 2, "the lone soft sample at 90 is not a finding");
	cr_expect_eq(runs[0].first, 1);
	cr_expect_eq(runs[0].last, 2);
	cr_expect_float_eq(runs[0].worst, 0.2, 1e-9);
	cr_expect_eq(runs[1].first, 4);
	cr_expect_eq(runs[1].last, 7, "an unscored (black) sample does not break a run");
	cr_expect_float_eq(runs[1].worst, 0.1, 1e-9);
	cr_expect_eq(focus_soft_runs(s, 11, 100, 0.5, 1, runs, 4), 3);
	cr_expect_eq(focus_soft_runs(s, 11, 0, 0.5, 1, runs, 4), 0, "no reference, no finding");
	cr_expect_eq(focus_soft_runs(s, 11, 100, 0.5, 1, runs, 1), 1, "never more than asked");
}

Test(focus, soft_to_the_end_of_the_take)
{
	struct focus_sample s[] = { { 0, 100 }, { 10, 20 }, { 20, 20 }, { 30, 20 } };
	struct focus_run r;

	cr_assert_eq(focus_soft_runs(s, 4, 100, 0.5, 2, &r, 1), 1);
	cr_expect_eq(r.first, 1);
	cr_expect_eq(r.last, 3);
}
