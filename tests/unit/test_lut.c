/* Unit tests for lib/lut: .cube reading with line-numbered refusals, writing, sampling,
 * baking a CDL (plus a show LUT), and a check against the real ffmpeg lut3d filter. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/media/cdl.h"
#include "lib/media/lut.h"

extern char **environ;

/* cc0001 from SPECS 4.2 */
static void
spec_cdl(struct cdl *c)
{
	cdl_init(c);
	c->slope[2] = 0.9;
	c->offset[0] = -0.03;
	c->offset[1] = -0.02;
	c->power[0] = 1.25;
	c->sat = 1.7;
}

/* A fixed xorshift so that failures reproduce. */
static double
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (double)(*s >> 11) / (double)(1ull << 53);
}

static double
max_diff(const double a[3], const double b[3])
{
	double m = 0;

	for (int c = 0; c < 3; c++)
		m = fmax(m, fabs(a[c] - b[c]));
	return m;
}

/* The identity cube text made exactly as SPECS 5 describes, after a header. */
static char *
identity_text(const char *header, int n, const char *eol)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	cr_assert_not_null(f);
	fputs(header, f);
	for (int b = 0; b < n; b++)
		for (int g = 0; g < n; g++)
			for (int r = 0; r < n; r++)
				fprintf(f, "%.6f %.6f %.6f%s", (double)r / (n - 1), (double)g / (n - 1),
				    (double)b / (n - 1), eol);
	cr_assert_eq(fclose(f), 0);
	return text;
}

static void
read_ok(const char *text, struct lut *l)
{
	struct err err = { 0 };
	int rc = lut_read_cube_mem(l, text, strlen(text), "t.cube", &err);

	cr_assert_eq(rc, 0, "read failed: %s", err.msg);
}

static void
expect_refused(const char *text, int code, const char *needle)
{
	struct lut l = LUT_INIT;
	struct err err = { 0 };
	int rc = lut_read_cube_mem(&l, text, strlen(text), "t.cube", &err);

	cr_expect_eq(rc, code, "rc %d want %d (%s)", rc, code, err.msg);
	cr_expect_null(l.data);
	cr_expect_eq(l.size, 0);
	cr_expect_not_null(strstr(err.msg, needle), "no \"%s\" in \"%s\"", needle, err.msg);
}

static void
expect_identity_samples(const struct lut *l, enum lut_interp interp)
{
	uint64_t s = 42;

	for (int i = 0; i < 2000; i++) {
		double in[3] = { rnd(&s), rnd(&s), rnd(&s) }, out[3];

		lut_sample(l, interp, in, out);
		cr_assert_leq(max_diff(in, out), 1e-6, "(%f %f %f) -> (%f %f %f)", in[0], in[1],
		    in[2], out[0], out[1], out[2]);
	}
}

Test(lut, identity_samples)
{
	struct lut l = LUT_INIT;
	double out[3];

	cr_assert_eq(lut_identity(&l, 17, NULL), 0);
	cr_assert_eq(lut_validate(&l, NULL), 0);
	expect_identity_samples(&l, LUT_TRILINEAR);
	expect_identity_samples(&l, LUT_TETRAHEDRAL);
	lut_sample(&l, LUT_TETRAHEDRAL, (const double[3]){ 1.5, -0.5, NAN }, out);
	cr_expect_float_eq(out[0], 1.0, 1e-9);
	cr_expect_float_eq(out[1], 0.0, 1e-9);
	cr_expect_float_eq(out[2], 0.0, 1e-9);
	lut_release(&l);
	cr_expect_null(l.data);
	cr_expect_eq(lut_identity(&l, 1, NULL), SP_EINVAL);
	cr_expect_eq(lut_identity(&l, 130, NULL), SP_EINVAL);
}

Test(lut, parse_identity_text)
{
	char *text = identity_text("\xef\xbb\xbf# made by hand\r\n"
	    "title \"day 3 \"look\"\"\r\n\r\n  lut_3d_size 5  \r\n", 5, "\r\n");
	struct lut l = LUT_INIT;

	read_ok(text, &l);
	cr_expect_eq(l.size, 5);
	cr_expect_str_eq(l.title, "day 3 'look'");
	cr_expect_float_eq(l.dmax[2], 1.0, 0.0);
	expect_identity_samples(&l, LUT_TETRAHEDRAL);
	expect_identity_samples(&l, LUT_TRILINEAR);
	lut_release(&l);
	free(text);
}

/* SPECS 5: entry (r, g, b) is data line r + N*g + N*N*b. A cube whose output is
 * (r, 0, 0) must pass red and remove green and blue. */
Test(lut, red_fastest_order)
{
	const char *text = "LUT_3D_SIZE 2\n"
	    "0 0 0\n1 0 0\n0 0 0\n1 0 0\n0 0 0\n1 0 0\n0 0 0\n1 0 0\n";
	struct lut l = LUT_INIT;
	char *out = NULL;
	size_t len = 0;
	double v[3];

	read_ok(text, &l);
	lut_sample(&l, LUT_TETRAHEDRAL, (const double[3]){ 1, 0, 0 }, v);
	cr_expect(v[0] == 1 && v[1] == 0 && v[2] == 0);
	lut_sample(&l, LUT_TETRAHEDRAL, (const double[3]){ 0, 1, 0 }, v);
	cr_expect(v[0] == 0 && v[1] == 0 && v[2] == 0);
	lut_sample(&l, LUT_TRILINEAR, (const double[3]){ 0, 0, 1 }, v);
	cr_expect(v[0] == 0 && v[1] == 0 && v[2] == 0);
	lut_release(&l);

	cr_assert_eq(lut_identity(&l, 2, NULL), 0);
	cr_assert_eq(lut_write_cube(&l, &out, &len, NULL), 0);
	cr_expect_str_eq(out, "LUT_3D_SIZE 2\n"
	    "0.000000 0.000000 0.000000\n1.000000 0.000000 0.000000\n"
	    "0.000000 1.000000 0.000000\n1.000000 1.000000 0.000000\n"
	    "0.000000 0.000000 1.000000\n1.000000 0.000000 1.000000\n"
	    "0.000000 1.000000 1.000000\n1.000000 1.000000 1.000000\n");
	cr_expect_eq(len, strlen(out));
	free(out);
	lut_release(&l);
}

Test(lut, domain_and_input_range)
{
	char *text = identity_text("DOMAIN_MIN 0 0 0\nDOMAIN_MAX 2 4 8\nLUT_3D_SIZE 3\n", 3, "\n");
	struct lut l = LUT_INIT;
	double v[3];

	read_ok(text, &l);
	lut_sample(&l, LUT_TETRAHEDRAL, (const double[3]){ 1, 2, 4 }, v);
	cr_expect_leq(max_diff(v, (const double[3]){ 0.5, 0.5, 0.5 }), 1e-7);
	lut_release(&l);
	free(text);

	text = identity_text("LUT_3D_SIZE 3\nLUT_3D_INPUT_RANGE -0.5 1.5\n", 3, "\n");
	read_ok(text, &l);
	cr_expect_float_eq(l.dmin[1], -0.5, 0.0);
	cr_expect_float_eq(l.dmax[2], 1.5, 0.0);
	lut_sample(&l, LUT_TRILINEAR, (const double[3]){ 0, 0.5, 1 }, v);
	cr_expect_leq(max_diff(v, (const double[3]){ 0.25, 0.5, 0.75 }), 1e-7);
	lut_release(&l);
	free(text);
}

Test(lut, write_read_round_trip)
{
	struct cdl c;
	struct lut a = LUT_INIT, b = LUT_INIT;
	char path[] = "/tmp/test_lut_XXXXXX";
	int fd = mkstemp(path);
	size_t n;

	cr_assert_geq(fd, 0);
	close(fd);
	spec_cdl(&c);
	cr_assert_eq(lut_bake(&a, 33, &c, NULL, NULL), 0);
	a.data[5] = -0.25f;  /* outputs outside 0..1 are legal */
	a.data[6] = 3.5f;
	a.dmin[0] = -0.125;
	a.dmax[2] = 2.0;
	snprintf(a.title, sizeof(a.title), "A001 look");
	cr_assert_eq(lut_save_cube(&a, path, NULL), 0);
	cr_assert_eq(lut_read_cube_file(&b, path, NULL), 0);
	cr_expect_eq(b.size, 33);
	cr_expect_str_eq(b.title, "A001 look");
	for (int i = 0; i < 3; i++) {
		cr_expect_float_eq(a.dmin[i], b.dmin[i], 0.0);
		cr_expect_float_eq(a.dmax[i], b.dmax[i], 0.0);
	}
	n = 3 * 33 * 33 * 33;
	for (size_t i = 0; i < n; i++)
		cr_assert_float_eq(a.data[i], b.data[i], 6e-7, "entry %zu", i);
	lut_release(&a);
	lut_release(&b);
	unlink(path);
}

/* What is read can always be written back: a title's quotes, control characters and DEL
 * (found by tests/fuzz/fuzz_cube.c: a title with DEL was read, then refused by the writer). */
Test(lut, any_title_read_can_be_written)
{
	const char *text = "TITLE \"a\"b\tc\x7f" "d\"\nLUT_3D_SIZE 2\n"
	    "0 0 0\n1 0 0\n0 1 0\n1 1 0\n0 0 1\n1 0 1\n0 1 1\n1 1 1\n";
	struct lut l = LUT_INIT;
	char *out = NULL;
	size_t len = 0;

	read_ok(text, &l);
	cr_expect_str_eq(l.title, "a'b c d");
	cr_expect_eq(lut_write_cube(&l, &out, &len, NULL), 0);
	free(out);
	lut_release(&l);
}

Test(lut, write_refuses_invalid)
{
	struct lut l = LUT_INIT;
	struct err err = { 0 };
	char sentinel[] = "x", *out = sentinel;
	size_t len = 1;

	cr_assert_eq(lut_identity(&l, 2, NULL), 0);
	l.data[4] = NAN;
	cr_expect_eq(lut_write_cube(&l, &out, &len, &err), SP_EINVAL);
	cr_expect_null(out);
	cr_expect_not_null(strstr(err.msg, "entry 1 green is not finite"), "%s", err.msg);
	l.data[4] = 0;
	snprintf(l.title, sizeof(l.title), "say \"hi\"");
	cr_expect_eq(lut_write_cube(&l, &out, &len, &err), SP_EINVAL);
	l.title[0] = '\0';
	l.dmax[1] = 0.0;
	cr_expect_eq(lut_save_cube(&l, "/tmp/never.cube", &err), SP_EINVAL);
	cr_expect_not_null(strstr(err.msg, "domain green"), "%s", err.msg);
	cr_expect_neq(access("/tmp/never.cube", F_OK), 0);
	lut_release(&l);
}

Test(lut, read_file_errors)
{
	struct lut l = LUT_INIT;
	struct err err = { 0 };

	cr_expect_eq(lut_read_cube_file(&l, "/nonexistent/a.cube", &err), SP_ENOTFOUND);
	cr_expect_not_null(strstr(err.msg, "/nonexistent/a.cube"), "%s", err.msg);
	cr_expect_eq(lut_read_cube_file(&l, "/tmp", &err), SP_EINVAL);
}

/* A size-2 cube: the header is line 1, the data lines 2..9. */
#define CUBE2 "LUT_3D_SIZE 2\n"
#define ROW "0.5 0.5 0.5\n"
#define ROWS4 ROW ROW ROW ROW

Test(lut, malformed_line_numbers)
{
	expect_refused(CUBE2 ROW ROW ROW "0.5 0.5\n" ROW ROW ROW ROW, SP_EINVAL,
	    "t.cube: line 5: expected 3 values, found 2");
	expect_refused(CUBE2 ROW ROW "0.5 nan 0.5\n" ROW ROWS4, SP_EINVAL,
	    "t.cube: line 4: \"nan\" is not a finite number");
	expect_refused(CUBE2 ROWS4 ROW ROW "NaN 0 0\n" ROW, SP_EINVAL,
	    "line 8: \"NaN\" is not a finite number");
	expect_refused(CUBE2 ROW "0 inf 0\n" ROW ROW ROWS4, SP_EINVAL,
	    "line 3: \"inf\" is not a finite number");
	expect_refused(CUBE2 ROW "0 1e999 0\n" ROW ROW ROWS4, SP_EINVAL,
	    "line 3: \"1e999\" is not a finite number");
	expect_refused(CUBE2 ROW "0 1e300 0\n" ROW ROW ROWS4, SP_EINVAL,
	    "line 3: \"1e300\" is out of range");
	expect_refused(CUBE2 ROWS4 ROW ROW ROW, SP_EINVAL,
	    "t.cube: line 9: unexpected end of file after 7 of 8 data lines");
	expect_refused(CUBE2 ROWS4 ROWS4 ROW, SP_EINVAL,
	    "t.cube: line 10: more than 8 data lines for LUT_3D_SIZE 2");
	expect_refused(CUBE2 ROWS4 ROWS4 "\n# end\n" ROW, SP_EINVAL,
	    "line 12: more than 8 data lines");
	expect_refused("LUT_3D_SIZE 1\n" ROW, SP_EINVAL,
	    "t.cube: line 1: LUT_3D_SIZE 1 is outside 2..129");
	expect_refused("# big\nLUT_3D_SIZE 200\n" ROW, SP_EINVAL,
	    "t.cube: line 2: LUT_3D_SIZE 200 is outside 2..129");
	expect_refused("LUT_3D_SIZE 2.5\n", SP_EINVAL, "line 1: LUT_3D_SIZE 2.5 is not a whole");
	expect_refused("LUT_3D_SIZE\n", SP_EINVAL, "line 1: LUT_3D_SIZE: expected 1 value, found 0");
	expect_refused(CUBE2 ROW ROW "0.5 0.5 0.5 0.5\n", SP_EINVAL,
	    "line 4: expected 3 values, found 4");
	expect_refused(CUBE2 ROW "0.5 0,5 0.5\n", SP_EINVAL, "line 3: bad number \"0,5\"");
	expect_refused(ROW CUBE2, SP_EINVAL, "t.cube: line 1: data before LUT_3D_SIZE");
	expect_refused("TITLE \"x\"\nFOO 1\n" CUBE2, SP_EINVAL,
	    "t.cube: line 2: unknown keyword \"FOO\"");
	expect_refused(CUBE2 "LUT_3D_SIZE 2\n", SP_EINVAL, "line 2: LUT_3D_SIZE given twice");
	expect_refused(CUBE2 ROW "DOMAIN_MIN 0 0 0\n", SP_EINVAL,
	    "line 3: DOMAIN_MIN after the data");
	expect_refused("DOMAIN_MIN 1 0 0\nDOMAIN_MAX 0 1 1\n" CUBE2 ROWS4 ROWS4, SP_EINVAL,
	    "line 2: domain red: min 1 is not below max 0");
	expect_refused("DOMAIN_MIN 0 0 0\nLUT_3D_INPUT_RANGE 0 1\n", SP_EINVAL,
	    "line 2: LUT_3D_INPUT_RANGE cannot be combined");
	expect_refused("LUT_1D_SIZE 1024\n0 0 0\n", SP_EUNSUPPORTED,
	    "line 1: LUT_1D_SIZE: 1D LUTs and 1D shapers are not supported");
	expect_refused("", SP_EINVAL, "t.cube: line 1: end of file without LUT_3D_SIZE");
	expect_refused("# only a comment\n", SP_EINVAL, "line 2: end of file without LUT_3D_SIZE");
}

Test(lut, nul_byte_refused)
{
	const char text[] = "LUT_3D_SIZE 2\n0 0\0 0\n";
	struct lut l = LUT_INIT;
	struct err err = { 0 };

	cr_expect_eq(lut_read_cube_mem(&l, text, sizeof(text) - 1, "t.cube", &err), SP_EINVAL);
	cr_expect_not_null(strstr(err.msg, "line 2: contains a NUL byte"), "%s", err.msg);
}

Test(lut, bake_identity)
{
	struct lut id = LUT_INIT, b = LUT_INIT, show = LUT_INIT;
	struct cdl c;
	size_t n = 3 * 33 * 33 * 33;

	cr_assert_eq(lut_identity(&id, 33, NULL), 0);
	cr_assert_eq(lut_bake(&b, 0, NULL, NULL, NULL), 0);
	cr_assert_eq(b.size, LUT_BAKE_DEFAULT);
	cr_expect_eq(memcmp(b.data, id.data, n * sizeof(float)), 0);
	lut_release(&b);
	cdl_init(&c);
	cr_assert_eq(lut_identity(&show, 17, NULL), 0);
	cr_assert_eq(lut_bake(&b, 33, &c, &show, NULL), 0);
	for (size_t i = 0; i < n; i++)
		cr_assert_float_eq(b.data[i], id.data[i], 1e-6, "entry %zu", i);
	lut_release(&b);
	lut_release(&show);
	lut_release(&id);
}

Test(lut, bake_refusals)
{
	struct lut b = LUT_INIT, bad = LUT_INIT;
	struct err err = { 0 };
	struct cdl c;

	cr_expect_eq(lut_bake(&b, 32, NULL, NULL, &err), SP_EINVAL);
	cr_expect_eq(lut_bake(&b, 66, NULL, NULL, &err), SP_EINVAL);
	cr_expect_not_null(strstr(err.msg, "bake size 66 is outside 33..65"), "%s", err.msg);
	cr_expect_null(b.data);
	cdl_init(&c);
	c.power[1] = 0;
	cr_expect_eq(lut_bake(&b, 33, &c, NULL, &err), SP_EINVAL);
	cr_expect_not_null(strstr(err.msg, "bake: cdl: power green"), "%s", err.msg);
	cdl_init(&c);
	cr_assert_eq(lut_identity(&bad, 2, NULL), 0);
	bad.data[0] = INFINITY;
	cr_expect_eq(lut_bake(&b, 33, &c, &bad, &err), SP_EINVAL);
	cr_expect_not_null(strstr(err.msg, "bake: show lut entry 0 red is not finite"), "%s", err.msg);
	cr_expect_null(b.data);
	lut_release(&bad);
	cr_expect_eq(lut_bake(&b, 65, &c, NULL, &err), 0);
	cr_expect_eq(b.size, 65);
	lut_release(&b);
}

/* Largest and typical difference between a baked cube (tetrahedral) and the exact CDL
 * over random points. */
static void
bake_error(const struct cdl *c, int size, double *worst, double *over_1cv)
{
	struct lut b = LUT_INIT;
	uint64_t s = 7;
	const int n = 20000;
	int over = 0;

	cr_assert_eq(lut_bake(&b, size, c, NULL, NULL), 0);
	*worst = 0;
	for (int i = 0; i < n; i++) {
		double in[3] = { rnd(&s), rnd(&s), rnd(&s) }, want[3], got[3], d;

		cdl_apply(c, in, want);
		lut_sample(&b, LUT_TETRAHEDRAL, in, got);
		d = max_diff(want, got);
		*worst = fmax(*worst, d);
		over += d > 1.0 / 255;
	}
	*over_1cv = (double)over / n;
	lut_release(&b);
}

/* The CDL's clamps (sat 1.7 pushes many colours against 0 or 1) put creases in the
 * function that no grid follows exactly: the error there is about the grid step times
 * the change of slope, so it halves from 33 to 65 points. Away from creases the cube
 * is near exact, which the smooth CDL shows. */
Test(lut, bake_accuracy_cdl)
{
	struct lut b = LUT_INIT;
	struct cdl c;
	double worst, over;
	uint64_t s = 11;

	spec_cdl(&c);
	bake_error(&c, 33, &worst, &over);
	cr_expect_lt(worst, 0.016, "33 points: worst error %g", worst);
	cr_expect_lt(over, 0.08, "33 points: %.1f%% over one code value", over * 100);
	bake_error(&c, 65, &worst, &over);
	cr_expect_lt(worst, 0.008, "65 points: worst error %g", worst);
	cr_expect_lt(over, 0.01, "65 points: %.1f%% over one code value", over * 100);

	cdl_init(&c);  /* no clamp reached: smooth, so only the curvature of x^0.9 shows */
	c.slope[0] = 0.9;
	c.slope[1] = 0.95;
	c.slope[2] = 0.8;
	c.offset[0] = c.offset[1] = c.offset[2] = 0.05;
	c.power[0] = c.power[1] = 0.9;
	c.power[2] = 1.2;
	bake_error(&c, 33, &worst, &over);
	cr_expect_lt(worst, 1e-3, "smooth cdl: worst error %g", worst);

	spec_cdl(&c);  /* at the grid points themselves the cube is the CDL */
	cr_assert_eq(lut_bake(&b, 33, &c, NULL, NULL), 0);
	for (int i = 0; i < 200; i++) {
		double in[3] = { floor(rnd(&s) * 33) / 32, floor(rnd(&s) * 33) / 32,
		    floor(rnd(&s) * 33) / 32 }, want[3], got[3];

		cdl_apply(&c, in, want);
		lut_sample(&b, LUT_TETRAHEDRAL, in, got);
		cr_expect_leq(max_diff(want, got), 1e-6);
	}
	lut_release(&b);
}

/* A smooth show look with cross-talk between channels: a soft curve, then a matrix. */
static void
show_look(const double in[3], double out[3])
{
	static const double m[3][3] = {
		{ 0.80, 0.15, 0.05 }, { 0.10, 0.85, 0.05 }, { 0.05, 0.10, 0.85 } };
	double y[3];

	for (int k = 0; k < 3; k++)
		y[k] = in[k] * (1.3 - 0.3 * in[k]);
	for (int c = 0; c < 3; c++)
		out[c] = m[c][0] * y[0] + m[c][1] * y[1] + m[c][2] * y[2];
}

/* The show LUT has a domain of -0.25..1.25, so a baker that ignored it would be off by
 * far more than the bound. */
Test(lut, bake_accuracy_with_show_lut)
{
	struct lut show = LUT_INIT, b = LUT_INIT;
	struct cdl c;
	uint64_t s = 99;
	double worst = 0;
	const int n = 33;
	float *d;

	cr_assert_eq(lut_identity(&show, n, NULL), 0);
	for (int a = 0; a < 3; a++) {
		show.dmin[a] = -0.25;
		show.dmax[a] = 1.25;
	}
	d = show.data;
	for (int i = 0; i < n * n * n; i++, d += 3) {
		double x[3] = { -0.25 + 1.5 * d[0], -0.25 + 1.5 * d[1], -0.25 + 1.5 * d[2] };

		show_look(x, x);
		for (int ch = 0; ch < 3; ch++)
			d[ch] = (float)x[ch];
	}
	spec_cdl(&c);
	cr_assert_eq(lut_bake(&b, 65, &c, &show, NULL), 0);
	for (int i = 0; i < 20000; i++) {
		double in[3] = { rnd(&s), rnd(&s), rnd(&s) }, v[3], got[3];

		cdl_apply(&c, in, v);
		show_look(v, v);
		lut_sample(&b, LUT_TETRAHEDRAL, in, got);
		worst = fmax(worst, max_diff(v, got));
	}
	cr_expect_lt(worst, 0.01, "worst error %g", worst);
	lut_release(&show);
	lut_release(&b);
}

/* ---- the real ffmpeg -------------------------------------------------------------- */

/* Runs argv without a shell, its output into log. Returns the exit status, or -1 when
 * the program is not installed. */
static int
run(const char *const argv[], const char *log)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int rc, status;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	/* POSIX keeps char *const for history; the strings are not written to */
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc == ENOENT)
		return -1;
	cr_assert_eq(rc, 0, "posix_spawnp %s: %s", argv[0], strerror(rc));
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status), "%s died", argv[0]);
	return WEXITSTATUS(status);
}

static void
write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	cr_assert_eq(fwrite(data, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

static void
read_file(const char *path, void *data, size_t len)
{
	FILE *f = fopen(path, "rb");

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	cr_assert_eq(fread(data, 1, len, f), len, "%s: short", path);
	fclose(f);
}

/* The colour of pixel i: the SPECS test colour 0x806650 first, then greys, then a
 * fixed random spread. */
static void
test_pixel(int i, uint64_t *s, unsigned char px[3])
{
	static const unsigned char first[3] = { 0x80, 0x66, 0x50 };

	for (int c = 0; c < 3; c++) {
		if (i == 0)
			px[c] = first[c];
		else if (i < 18)
			px[c] = (unsigned char)((i - 1) * 255 / 16);
		else
			px[c] = (unsigned char)(rnd(s) * 256);
	}
}

Test(lut, ffmpeg_lut3d_matches_cdl_math, .timeout = 60)
{
	enum { W = 16, H = 16, NPX = W * H };
	unsigned char in[NPX * 3], out[NPX * 3];
	char dir[] = "/tmp/test_lut_ffmpeg_XXXXXX", cube[128], src[128], dst[128], log[128];
	char filter[192], logtext[2048] = "";
	struct lut b = LUT_INIT;
	struct cdl c;
	uint64_t s = 2024;
	int worst = 0, rc;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(cube, sizeof(cube), "%s/look.cube", dir);
	snprintf(src, sizeof(src), "%s/in.raw", dir);
	snprintf(dst, sizeof(dst), "%s/out.raw", dir);
	snprintf(log, sizeof(log), "%s/ffmpeg.log", dir);
	snprintf(filter, sizeof(filter), "lut3d=file=%s:interp=tetrahedral", cube);
	spec_cdl(&c);
	cr_assert_eq(lut_bake(&b, 33, &c, NULL, NULL), 0);
	cr_assert_eq(lut_save_cube(&b, cube, NULL), 0);
	for (int i = 0; i < NPX; i++)
		test_pixel(i, &s, &in[3 * i]);
	write_file(src, in, sizeof(in));

	/* raw rgb24 in and out, so no YUV matrix sits between us and lut3d */
	const char *const argv[] = { "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error",
	    "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "16x16", "-i", src,
	    "-vf", filter, "-pix_fmt", "rgb24", "-f", "rawvideo", "-frames:v", "1", dst, NULL };
	rc = run(argv, log);
	if (rc < 0)
		cr_skip_test("ffmpeg is not installed");
	if (rc != 0) {
		FILE *f = fopen(log, "r");

		if (f != NULL) {
			logtext[fread(logtext, 1, sizeof(logtext) - 1, f)] = '\0';
			fclose(f);
		}
	}
	cr_assert_eq(rc, 0, "ffmpeg exited %d: %s", rc, logtext);
	read_file(dst, out, sizeof(out));

	/* Every pixel must be what our own sampling of the cube gives (ffmpeg truncates to
	 * 8 bits, hence 1): ffmpeg then reads the file as we mean it. The SPECS colour and
	 * the greys must also be the CDL itself within 2 code values; elsewhere a 33-point
	 * grid can be further off near the clamps (see bake_accuracy_cdl). */
	for (int i = 0; i < NPX; i++) {
		const unsigned char *p = &in[3 * i], *q = &out[3 * i];
		double v[3] = { p[0] / 255.0, p[1] / 255.0, p[2] / 255.0 }, l[3];

		lut_sample(&b, LUT_TETRAHEDRAL, v, l);
		cdl_apply(&c, v, v);
		for (int ch = 0; ch < 3; ch++) {
			int cdl8 = (int)lround(v[ch] * 255.0), lut8 = (int)lround(l[ch] * 255.0);

			cr_expect_leq(abs(lut8 - q[ch]), 1, "pixel %d (%02x%02x%02x) channel %d: "
			    "ffmpeg %d, our lut %d", i, p[0], p[1], p[2], ch, q[ch], lut8);
			if (i < 18)
				cr_expect_leq(abs(cdl8 - q[ch]), 2, "pixel %d (%02x%02x%02x) channel "
				    "%d: ffmpeg %d, cdl %d", i, p[0], p[1], p[2], ch, q[ch], cdl8);
			worst = abs(cdl8 - q[ch]) > worst ? abs(cdl8 - q[ch]) : worst;
		}
	}
	cr_log_info("ffmpeg vs CDL math: worst difference %d code values over %d pixels",
	    worst, NPX);
	lut_release(&b);
	unlink(cube);
	unlink(src);
	unlink(dst);
	unlink(log);
	rmdir(dir);
}

/* Found by fuzz_cube: a domain narrower than six decimal places (0 to 1e-8) was written as
 * "0.000000" to "0.000000", which setpost's own reader then refused (min not below max). */
Test(lut, a_narrow_domain_survives_writing)
{
	static const char text[] = "LUT_3D_SIZE 2\nDOMAIN_MIN 0 0 0\nDOMAIN_MAX 1e-8 1 1\n"
	    "0 0 0\n1 0 0\n0 1 0\n1 1 0\n0 0 1\n1 0 1\n0 1 1\n1 1 1\n";
	struct lut a = LUT_INIT, b = LUT_INIT;
	struct err err;
	char *out = NULL;
	size_t len;

	cr_assert_eq(lut_read_cube_mem(&a, text, strlen(text), "t.cube", &err), 0, "%s", err.msg);
	cr_assert_eq(lut_write_cube(&a, &out, &len, &err), 0, "%s", err.msg);
	cr_assert_eq(lut_read_cube_mem(&b, out, len, "again.cube", &err), 0, "%s: %s", err.msg, out);
	cr_expect_float_eq(b.dmax[0], 1e-8, 0.0);
	free(out);
	lut_release(&a);
	lut_release(&b);
}
