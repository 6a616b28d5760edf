/* focus: variance of the Laplacian and soft stretches (see focus.h). */
#include "lib/media/focus.h"

#include <stdbool.h>
#include <stdlib.h>

double
focus_laplacian_variance(const uint8_t *pix, int width, int height, size_t stride)
{
	double sum = 0, sumsq = 0, n, mean;

	if (width < 3 || height < 3)
		return 0;
	/* Integer sums per row are exact (|L| <= 1020, 1020^2 * width fits in int64), doubles
	 * across rows keep large frames from overflowing. */
	for (int y = 1; y < height - 1; y++) {
		const uint8_t *up = pix + (size_t)(y - 1) * stride, *row = up + stride,
		    *down = row + stride;
		int64_t rs = 0, rq = 0;
		for (int x = 1; x < width - 1; x++) {
			int l = up[x] + down[x] + row[x - 1] + row[x + 1] - 4 * row[x];
			rs += l;
			rq += (int64_t)l * l;
		}
		sum += (double)rs;
		sumsq += (double)rq;
	}
	n = (double)(width - 2) * (double)(height - 2);
	mean = sum / n;
	return sumsq / n - mean * mean;
}

static int
focus_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double
focus_median_of(double *v, int n)
{
	if (n <= 0)
		return -1;
	qsort(v, (size_t)n, sizeof(*v), focus_cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double
focus_median(const struct focus_sample *s, int n)
{
	double *v = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1)), m;
	int k = 0;

	if (v == NULL)
		return -1;
	for (int i = 0; i < n; i++)
		if (s[i].score >= 0)
			v[k++] = s[i].score;
	m = focus_median_of(v, k);
	free(v);
	return m;
}

int
focus_soft_runs(const struct focus_sample *s, int n, double reference, double ratio,
    int min_samples, struct focus_run *runs, int max)
{
	int nruns = 0, count = 0;
	struct focus_run cur = { -1, -1, 0 };

	if (reference <= 0)
		return 0;
	for (int i = 0; i <= n; i++) {
		bool soft = false;
		if (i < n && s[i].score < 0)
			continue;
		if (i < n)
			soft = s[i].score < ratio * reference;
		if (soft) {
			double r = s[i].score / reference;
			if (count == 0)
				cur = (struct focus_run){ i, i, r };
			cur.last = i;
			if (r < cur.worst)
				cur.worst = r;
			count++;
			continue;
		}
		if (count >= min_samples && nruns < max)
			runs[nruns++] = cur;
		count = 0;
	}
	return nruns;
}
