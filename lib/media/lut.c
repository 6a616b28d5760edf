/* lut: .cube 3D LUTs: read, write, sample, bake (see lut.h, SPECS 5). */
#include "lib/media/lut.h"
#include "lib/core/file.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define LUT_SPACE " \t\r\n"
#define LUT_LINE_MAX 1024

static const char *const lut_channel[3] = { "red", "green", "blue" };

/* Reading state for one .cube text. */
struct lut_parse {
	const char *name;
	struct lut *l;
	struct err *err;
	long line;          /* current line, from 1 */
	long domain_line;   /* where the domain was last set, for its error message */
	size_t rows, want;  /* data lines read so far, and N^3 */
	unsigned seen;      /* bit i: lut_keywords[i] already given */
};

struct lut_keyword;
typedef int lut_kw_fn(struct lut_parse *p, const struct lut_keyword *kw, char *args);

static lut_kw_fn lut_kw_title, lut_kw_size, lut_kw_domain, lut_kw_range, lut_kw_1d;

enum { LUT_KW_TITLE, LUT_KW_SIZE, LUT_KW_DMIN, LUT_KW_DMAX, LUT_KW_RANGE, LUT_KW_1D_SIZE,
	LUT_KW_1D_RANGE, LUT_NKEYWORDS };

/* The header keywords. A domain can be given by DOMAIN_MIN/MAX (Iridas) or by
 * LUT_3D_INPUT_RANGE (Resolve) but not both: excludes holds the bits of the other. */
static const struct lut_keyword {
	const char *name;
	lut_kw_fn *parse;
	unsigned excludes;
} lut_keywords[LUT_NKEYWORDS] = {
	[LUT_KW_TITLE] = { "TITLE", lut_kw_title, 0 },
	[LUT_KW_SIZE] = { "LUT_3D_SIZE", lut_kw_size, 0 },
	[LUT_KW_DMIN] = { "DOMAIN_MIN", lut_kw_domain, 1u << LUT_KW_RANGE },
	[LUT_KW_DMAX] = { "DOMAIN_MAX", lut_kw_domain, 1u << LUT_KW_RANGE },
	[LUT_KW_RANGE] = { "LUT_3D_INPUT_RANGE", lut_kw_range,
	    1u << LUT_KW_DMIN | 1u << LUT_KW_DMAX },
	[LUT_KW_1D_SIZE] = { "LUT_1D_SIZE", lut_kw_1d, 0 },
	[LUT_KW_1D_RANGE] = { "LUT_1D_INPUT_RANGE", lut_kw_1d, 0 },
};

static size_t
lut_index(int n, int r, int g, int b)
{
	return 3 * ((size_t)r + (size_t)n * ((size_t)g + (size_t)n * (size_t)b));
}

void
lut_release(struct lut *l)
{
	free(l->data);
	*l = (struct lut)LUT_INIT;
}

/* Gives l storage for a size-point cube; the domain and title are left as they are. */
static int
lut_alloc(struct lut *l, int size, struct err *err)
{
	size_t n = (size_t)size * (size_t)size * (size_t)size * 3;

	if ((l->data = calloc(n, sizeof(float))) == NULL)
		return err_set(err, SP_ENOMEM, "out of memory for a %d-point lut", size);
	l->size = size;
	return 0;
}

/* Stores every grid point of l passed through cdl then show (either may be NULL). */
static void
lut_fill(struct lut *l, const struct cdl *cdl, const struct lut *show)
{
	const int n = l->size;
	float *d = l->data;

	for (int b = 0; b < n; b++)
		for (int g = 0; g < n; g++)
			for (int r = 0; r < n; r++) {
				double v[3] = { (double)r / (n - 1), (double)g / (n - 1),
				    (double)b / (n - 1) };

				if (cdl != NULL)
					cdl_apply(cdl, v, v);
				if (show != NULL)
					lut_sample(show, LUT_TETRAHEDRAL, v, v);
				for (int c = 0; c < 3; c++)
					*d++ = (float)v[c];
			}
}

int
lut_identity(struct lut *l, int size, struct err *err)
{
	int rc;

	*l = (struct lut)LUT_INIT;
	if (size < LUT_SIZE_MIN || size > LUT_SIZE_MAX)
		return err_set(err, SP_EINVAL, "lut size %d is outside %d..%d", size,
		    LUT_SIZE_MIN, LUT_SIZE_MAX);
	if ((rc = lut_alloc(l, size, err)) == 0)
		lut_fill(l, NULL, NULL);
	return rc;
}

/* The title goes between quotes on one line when written. */
static int
lut_check_title(const char *title, struct err *err)
{
	const char *end = memchr(title, '\0', LUT_TITLE_MAX);

	if (end == NULL)
		return err_set(err, SP_EINVAL, "lut title is not terminated");
	for (const char *s = title; s < end; s++)
		if ((unsigned char)*s < 0x20 || *s == '"' || *s == 0x7f)
			return err_set(err, SP_EINVAL, "lut title contains '\"' or a control "
			    "character");
	return 0;
}

int
lut_validate(const struct lut *l, struct err *err)
{
	size_t n;

	if (l->size < LUT_SIZE_MIN || l->size > LUT_SIZE_MAX)
		return err_set(err, SP_EINVAL, "lut size %d is outside %d..%d", l->size,
		    LUT_SIZE_MIN, LUT_SIZE_MAX);
	if (l->data == NULL)
		return err_set(err, SP_EINVAL, "lut has no data");
	for (int a = 0; a < 3; a++)
		if (!isfinite(l->dmin[a]) || !isfinite(l->dmax[a]) || !(l->dmin[a] < l->dmax[a]))
			return err_set(err, SP_EINVAL, "lut domain %s: min %g is not below max %g",
			    lut_channel[a], l->dmin[a], l->dmax[a]);
	n = lut_index(l->size, 0, 0, l->size);
	for (size_t i = 0; i < n; i++)
		if (!isfinite(l->data[i]))
			return err_set(err, SP_EINVAL, "lut entry %zu %s is not finite", i / 3,
			    lut_channel[i % 3]);
	return lut_check_title(l->title, err);
}

/* ---- sampling --------------------------------------------------------------------- */

/* Finds the cell holding in: lower corner i0 and fractions f in [0, 1] per axis.
 * Inputs outside the domain clamp to its edge; the top edge uses the last cell with
 * f = 1 so that both corners exist. */
static void
lut_cell(const struct lut *l, const double in[3], int i0[3], double f[3])
{
	const int top = l->size - 1;

	for (int a = 0; a < 3; a++) {
		double t = (in[a] - l->dmin[a]) / (l->dmax[a] - l->dmin[a]) * top;
		int i;

		if (!(t > 0.0))  /* also catches NaN */
			t = 0.0;
		if (t > top)
			t = top;
		i = (int)t;
		if (i > top - 1)
			i = top - 1;
		i0[a] = i;
		f[a] = t - i;
	}
}

static const float *
lut_corner(const struct lut *l, const int i0[3], const int d[3])
{
	return l->data + lut_index(l->size, i0[0] + d[0], i0[1] + d[1], i0[2] + d[2]);
}

static void
lut_trilinear(const struct lut *l, const int i0[3], const double f[3], double out[3])
{
	for (int k = 0; k < 8; k++) {
		const int d[3] = { k & 1, (k >> 1) & 1, (k >> 2) & 1 };
		const float *p = lut_corner(l, i0, d);
		double w = 1.0;

		for (int a = 0; a < 3; a++)
			w *= d[a] ? f[a] : 1.0 - f[a];
		for (int c = 0; c < 3; c++)
			out[c] += w * p[c];
	}
}

/* The cube cell splits into six tetrahedra along its grey diagonal; the one holding the
 * point is found by ordering the fractions. Walking from corner 000 to 111 one axis at a
 * time, largest fraction first, visits its four corners; each corner's weight is the
 * drop in fraction at that step (1 - f1, f1 - f2, f2 - f3, f3). */
static void
lut_tetrahedral(const struct lut *l, const int i0[3], const double f[3], double out[3])
{
	int ax[3] = { 0, 1, 2 }, d[3] = { 0, 0, 0 };
	double prev = 1.0;

	for (int i = 1; i < 3; i++)  /* insertion sort of three axes, largest f first */
		for (int j = i; j > 0 && f[ax[j]] > f[ax[j - 1]]; j--) {
			int t = ax[j];

			ax[j] = ax[j - 1];
			ax[j - 1] = t;
		}
	for (int k = 0; k <= 3; k++) {
		double next = k < 3 ? f[ax[k]] : 0.0;
		const float *p = lut_corner(l, i0, d);

		for (int c = 0; c < 3; c++)
			out[c] += (prev - next) * p[c];
		if (k < 3)
			d[ax[k]] = 1;
		prev = next;
	}
}

void
lut_sample(const struct lut *l, enum lut_interp interp, const double in[3],
    double out[3])
{
	double f[3], acc[3] = { 0.0, 0.0, 0.0 };
	int i0[3];

	lut_cell(l, in, i0, f);
	if (interp == LUT_TRILINEAR)
		lut_trilinear(l, i0, f, acc);
	else
		lut_tetrahedral(l, i0, f, acc);
	memcpy(out, acc, sizeof(acc));
}

/* ---- reading ---------------------------------------------------------------------- */

static int __attribute__((format(printf, 3, 4)))
lut_fail(const struct lut_parse *p, int code, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(p->err, code, "%s: line %ld: %s", p->name, p->line, msg);
}

/* Converts the token s[0..len) in place (the byte after it is briefly a NUL).
 * Returns 0 if the whole token is a number, whatever its value. */
static int
lut_strtod(char *s, size_t len, double *v)
{
	char save = s[len], *end;

	s[len] = '\0';
	*v = strtod(s, &end);
	s[len] = save;
	return len > 0 && end == s + len ? 0 : -1;
}

/* One value: a number that is finite, also once stored as a float. */
static int
lut_value(const struct lut_parse *p, char *s, size_t len, double *v)
{
	int shown = len > 32 ? 32 : (int)len;

	if (lut_strtod(s, len, v) < 0)
		return lut_fail(p, SP_EINVAL, "bad number \"%.*s\"", shown, s);
	if (!isfinite(*v))
		return lut_fail(p, SP_EINVAL, "\"%.*s\" is not a finite number", shown, s);
	if (fabs(*v) > FLT_MAX)
		return lut_fail(p, SP_EINVAL, "\"%.*s\" is out of range", shown, s);
	return 0;
}

/* Reads exactly want whitespace-separated values from s; what (NULL for data lines)
 * names the keyword in messages. */
static int
lut_numbers(const struct lut_parse *p, char *s, double *v, size_t want, const char *what)
{
	size_t found = 0, len;
	int rc;

	for (;;) {
		s += strspn(s, LUT_SPACE);
		if (*s == '\0')
			break;
		len = strcspn(s, LUT_SPACE);
		if (found < want && (rc = lut_value(p, s, len, &v[found])) < 0)
			return rc;
		found++;
		s += len;
	}
	if (found == want)
		return 0;
	return lut_fail(p, SP_EINVAL, "%s%sexpected %zu value%s, found %zu", what ? what : "",
	    what ? ": " : "", want, want == 1 ? "" : "s", found);
}

/* TITLE "text": the quotes are optional in practice. Quotes and tabs inside become
 * harmless characters so that what we read we can always write back. */
static int
lut_kw_title(struct lut_parse *p, const struct lut_keyword *kw, char *args)
{
	char *t = p->l->title;
	size_t len;

	(void)kw;
	args += strspn(args, LUT_SPACE);
	len = strlen(args);
	while (len > 0 && strchr(LUT_SPACE, args[len - 1]) != NULL)
		len--;
	if (len > 0 && args[0] == '"') {
		args++;
		len--;
		if (len > 0 && args[len - 1] == '"')
			len--;
	}
	if (len >= LUT_TITLE_MAX)
		len = LUT_TITLE_MAX - 1;
	for (size_t i = 0; i < len; i++)
		t[i] = args[i] == '"' ? '\'' : (unsigned char)args[i] < 0x20 || args[i] == 0x7f ? ' ' :
		    args[i];
	t[len] = '\0';
	return 0;
}

static int
lut_kw_size(struct lut_parse *p, const struct lut_keyword *kw, char *args)
{
	double v;
	int rc, n;

	if ((rc = lut_numbers(p, args, &v, 1, kw->name)) < 0)
		return rc;
	if (v != floor(v))
		return lut_fail(p, SP_EINVAL, "%s %g is not a whole number", kw->name, v);
	if (v < LUT_SIZE_MIN || v > LUT_SIZE_MAX)
		return lut_fail(p, SP_EINVAL, "%s %g is outside %d..%d", kw->name, v,
		    LUT_SIZE_MIN, LUT_SIZE_MAX);
	n = (int)v;
	if ((rc = lut_alloc(p->l, n, p->err)) < 0)
		return rc;
	p->want = (size_t)n * (size_t)n * (size_t)n;
	return 0;
}

static int
lut_kw_domain(struct lut_parse *p, const struct lut_keyword *kw, char *args)
{
	double *dst = kw == &lut_keywords[LUT_KW_DMIN] ? p->l->dmin : p->l->dmax;

	p->domain_line = p->line;
	return lut_numbers(p, args, dst, 3, kw->name);
}

/* Resolve's LUT_3D_INPUT_RANGE min max: one range for all three axes. */
static int
lut_kw_range(struct lut_parse *p, const struct lut_keyword *kw, char *args)
{
	double v[2];
	int rc;

	p->domain_line = p->line;
	if ((rc = lut_numbers(p, args, v, 2, kw->name)) < 0)
		return rc;
	for (int a = 0; a < 3; a++) {
		p->l->dmin[a] = v[0];
		p->l->dmax[a] = v[1];
	}
	return 0;
}

static int
lut_kw_1d(struct lut_parse *p, const struct lut_keyword *kw, char *args)
{
	(void)args;
	return lut_fail(p, SP_EUNSUPPORTED, "%s: 1D LUTs and 1D shapers are not supported, "
	    "only 3D cubes", kw->name);
}

static const struct lut_keyword *
lut_keyword_find(const char *s, size_t len, unsigned *bit)
{
	for (size_t i = 0; i < LUT_NKEYWORDS; i++)
		if (strlen(lut_keywords[i].name) == len &&
		    strncasecmp(s, lut_keywords[i].name, len) == 0) {
			*bit = 1u << i;
			return &lut_keywords[i];
		}
	return NULL;
}

static int
lut_parse_keyword(struct lut_parse *p, const struct lut_keyword *kw, unsigned bit,
    char *args)
{
	if (p->rows > 0)
		return lut_fail(p, SP_EINVAL, "%s after the data", kw->name);
	if (p->seen & bit)
		return lut_fail(p, SP_EINVAL, "%s given twice", kw->name);
	if (p->seen & kw->excludes)
		return lut_fail(p, SP_EINVAL, "%s cannot be combined with the domain given "
		    "before it", kw->name);
	p->seen |= bit;
	return kw->parse(p, kw, args);
}

static int
lut_parse_data(struct lut_parse *p, char *s)
{
	double v[3];
	float *d;
	int rc;

	if (p->l->data == NULL)
		return lut_fail(p, SP_EINVAL, "data before LUT_3D_SIZE");
	if (p->rows == p->want)
		return lut_fail(p, SP_EINVAL, "more than %zu data lines for LUT_3D_SIZE %d",
		    p->want, p->l->size);
	if ((rc = lut_numbers(p, s, v, 3, NULL)) < 0)
		return rc;
	d = p->l->data + 3 * p->rows++;
	for (int c = 0; c < 3; c++)
		d[c] = (float)v[c];
	return 0;
}

/* A line is a comment, a keyword or data. A word that is neither a keyword nor a
 * number ("nan" is a number) is an unknown keyword rather than bad data. */
static int
lut_parse_line(struct lut_parse *p, char *s)
{
	const struct lut_keyword *kw;
	unsigned bit = 0;
	size_t len;
	double v;

	s += strspn(s, LUT_SPACE);
	if (*s == '\0' || *s == '#')
		return 0;
	len = strcspn(s, LUT_SPACE);
	if ((kw = lut_keyword_find(s, len, &bit)) != NULL)
		return lut_parse_keyword(p, kw, bit, s + len);
	if (((*s | 0x20) >= 'a' && (*s | 0x20) <= 'z') && lut_strtod(s, len, &v) < 0)
		return lut_fail(p, SP_EINVAL, "unknown keyword \"%.*s\"", len > 32 ? 32 : (int)len,
		    s);
	return lut_parse_data(p, s);
}

/* Copies one raw line into buf so that it can be cut into tokens in place. */
static int
lut_take_line(const struct lut_parse *p, const char *s, size_t len, char *buf, size_t size)
{
	if (len >= size)
		return lut_fail(p, SP_EINVAL, "longer than %zu characters", size - 1);
	if (memchr(s, '\0', len) != NULL)
		return lut_fail(p, SP_EINVAL, "contains a NUL byte (not a text file?)");
	memcpy(buf, s, len);
	buf[len] = '\0';
	return 0;
}

/* End-of-file checks. A missing line is reported at the line after the last one,
 * where it should have been. */
static int
lut_finish(struct lut_parse *p)
{
	const struct lut *l = p->l;

	p->line++;
	if (l->data == NULL)
		return lut_fail(p, SP_EINVAL, "end of file without LUT_3D_SIZE");
	if (p->rows < p->want)
		return lut_fail(p, SP_EINVAL, "unexpected end of file after %zu of %zu data "
		    "lines for LUT_3D_SIZE %d", p->rows, p->want, l->size);
	for (int a = 0; a < 3; a++)
		if (!(l->dmin[a] < l->dmax[a])) {
			p->line = p->domain_line;
			return lut_fail(p, SP_EINVAL, "domain %s: min %g is not below max %g",
			    lut_channel[a], l->dmin[a], l->dmax[a]);
		}
	return 0;
}

int
lut_read_cube_mem(struct lut *l, const char *buf, size_t len, const char *name,
    struct err *err)
{
	struct lut_parse p = { .name = name, .l = l, .err = err };
	const char *s = buf, *end = buf + len;
	char line[LUT_LINE_MAX];
	int rc = 0;

	*l = (struct lut)LUT_INIT;
	if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3;  /* a UTF-8 byte order mark, as some Windows tools write */
	while (s < end && rc == 0) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = (size_t)((nl != NULL ? nl : end) - s);

		p.line++;
		if ((rc = lut_take_line(&p, s, n, line, sizeof(line))) == 0)
			rc = lut_parse_line(&p, line);
		s += n + (nl != NULL);
	}
	if (rc == 0)
		rc = lut_finish(&p);
	if (rc < 0)
		lut_release(l);
	return rc;
}

int
lut_read_cube_file(struct lut *l, const char *path, struct err *err)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	*l = (struct lut)LUT_INIT;
	if ((rc = file_read_all(path, LUT_FILE_MAX, &buf, &len, err)) == 0)
		rc = lut_read_cube_mem(l, buf, len, path, err);
	free(buf);
	return rc;
}

/* ---- writing ---------------------------------------------------------------------- */

/* A value that rounds to zero would print as "-0.000000"; write it as plain zero. */
static double
lut_tidy(double v)
{
	return fabs(v) < 0.0000005 ? 0.0 : v;
}

static void
lut_put_triple(FILE *f, const char *key, const double *v)
{
	fprintf(f, "%s%s%.6f %.6f %.6f\n", key, key[0] ? " " : "", lut_tidy(v[0]),
	    lut_tidy(v[1]), lut_tidy(v[2]));
}

/* Only LUT_3D_SIZE is always written: OCIO's Resolve reader refuses TITLE, so TITLE and
 * DOMAIN_* appear only when they carry information. */
static void
lut_put(FILE *f, const struct lut *l)
{
	static const double zero[3] = { 0, 0, 0 }, one[3] = { 1, 1, 1 };
	const size_t n = lut_index(l->size, 0, 0, l->size);

	if (l->title[0] != '\0')
		fprintf(f, "TITLE \"%s\"\n", l->title);
	fprintf(f, "LUT_3D_SIZE %d\n", l->size);
	if (memcmp(l->dmin, zero, sizeof(zero)) != 0 || memcmp(l->dmax, one, sizeof(one)) != 0) {
		/* Exactly, not to six places: a domain of 0 to 1e-8 must not come back as 0 to 0. */
		fprintf(f, "DOMAIN_MIN %.17g %.17g %.17g\n", l->dmin[0], l->dmin[1], l->dmin[2]);
		fprintf(f, "DOMAIN_MAX %.17g %.17g %.17g\n", l->dmax[0], l->dmax[1], l->dmax[2]);
	}
	for (size_t i = 0; i < n; i += 3) {
		const double v[3] = { l->data[i], l->data[i + 1], l->data[i + 2] };

		lut_put_triple(f, "", v);
	}
}

int
lut_write_cube(const struct lut *l, char **out, size_t *len, struct err *err)
{
	FILE *f;
	char *buf = NULL;
	size_t size = 0;
	int rc;

	*out = NULL;
	*len = 0;
	if ((rc = lut_validate(l, err)) < 0)
		return rc;
	if ((f = open_memstream(&buf, &size)) == NULL)
		return err_set(err, SP_ENOMEM, "out of memory writing a lut");
	lut_put(f, l);
	/* fclose must run even after a write error: it finishes (and owns) the buffer */
	rc = ferror(f);
	if (fclose(f) != 0 || rc != 0) {
		free(buf);
		return err_set(err, SP_ENOMEM, "out of memory writing a lut");
	}
	*out = buf;
	*len = size;
	return 0;
}

static int
lut_write_all(int fd, const char *buf, size_t len, const char *path, struct err *err)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return err_errno(err, err_from_errno(errno), errno, "%s", path);
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

int
lut_save_cube(const struct lut *l, const char *path, struct err *err)
{
	char *text = NULL, *tmp = NULL;
	size_t len;
	int fd = -1, rc;

	if ((rc = lut_write_cube(l, &text, &len, err)) < 0)
		goto out;
	if (asprintf(&tmp, "%s.tmp-XXXXXX", path) < 0) {
		tmp = NULL;
		rc = err_set(err, SP_ENOMEM, "%s: out of memory", path);
		goto out;
	}
	if ((fd = mkstemp(tmp)) < 0) {
		rc = err_errno(err, err_from_errno(errno), errno, "%s", tmp);
		goto out;
	}
	/* mkstemp makes the file private; a LUT is not secret and other tools read it */
	if ((rc = lut_write_all(fd, text, len, tmp, err)) == 0 && fchmod(fd, 0644) < 0)
		rc = err_errno(err, SP_EIO, errno, "%s", tmp);
	if (close(fd) < 0 && rc == 0)
		rc = err_errno(err, err_from_errno(errno), errno, "%s", tmp);
	if (rc == 0 && rename(tmp, path) < 0)
		rc = err_errno(err, err_from_errno(errno), errno, "%s", path);
	if (rc < 0)
		unlink(tmp);
out:
	free(tmp);
	free(text);
	return rc;
}

/* ---- baking ----------------------------------------------------------------------- */

int
lut_bake(struct lut *out, int size, const struct cdl *cdl, const struct lut *show,
    struct err *err)
{
	int rc;

	*out = (struct lut)LUT_INIT;
	if (size == 0)
		size = LUT_BAKE_DEFAULT;
	if (size < LUT_BAKE_MIN || size > LUT_BAKE_MAX)
		return err_set(err, SP_EINVAL, "bake size %d is outside %d..%d", size,
		    LUT_BAKE_MIN, LUT_BAKE_MAX);
	if (cdl != NULL && (rc = cdl_validate(cdl, err)) < 0) {
		err_prefix(err, "bake: cdl: ");
		return rc;
	}
	if (show != NULL && (rc = lut_validate(show, err)) < 0) {
		err_prefix(err, "bake: show ");
		return rc;
	}
	if ((rc = lut_alloc(out, size, err)) == 0)
		lut_fill(out, cdl, show);
	return rc;
}
