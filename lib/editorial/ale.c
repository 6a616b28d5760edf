/* ale: Avid Log Exchange reader and writer (see ale.h). */
#include "lib/editorial/ale.h"
#include "lib/core/grow.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the table ---------------------------------------------------------------- */

void
ale_init(struct ale *ale)
{
	memset(ale, 0, sizeof(*ale));
}

void
ale_release(struct ale *ale)
{
	for (size_t i = 0; i < ale->nheading; i++) {
		free(ale->heading[i].key);
		free(ale->heading[i].value);
	}
	free(ale->heading);
	for (size_t i = 0; i < ale->ncolumns; i++)
		free(ale->columns[i]);
	free(ale->columns);
	for (size_t i = 0; i < ale->nrows * ale->ncolumns; i++)
		free(ale->cells[i]);
	free(ale->cells);
	ale_init(ale);
}

static int
ale_heading_append(struct ale *ale, const char *key, char *value, struct err *err)
{
	void *p = ale->heading;
	char *k;

	if (array_grow(&p, &ale->heading_cap, ale->nheading + 1, sizeof(ale->heading[0])) < 0)
		return err_set(err, SP_ENOMEM, "out of memory");
	ale->heading = p;
	k = strdup(key);
	if (k == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	ale->heading[ale->nheading].key = k;
	ale->heading[ale->nheading++].value = value;
	return 0;
}

int
ale_heading_set(struct ale *ale, const char *key, const char *value, struct err *err)
{
	char *v;
	int rc;

	if (key == NULL || key[0] == '\0')
		return err_set(err, SP_EINVAL, "ALE heading: empty key");
	v = strdup(value ? value : "");
	if (v == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	for (size_t i = 0; i < ale->nheading; i++) {
		if (strcmp(ale->heading[i].key, key) == 0) {
			free(ale->heading[i].value);
			ale->heading[i].value = v;
			return 0;
		}
	}
	rc = ale_heading_append(ale, key, v, err);
	if (rc < 0)
		free(v);
	return rc;
}

const char *
ale_heading_get(const struct ale *ale, const char *key)
{
	for (size_t i = 0; i < ale->nheading; i++)
		if (strcmp(ale->heading[i].key, key) == 0)
			return ale->heading[i].value;
	return NULL;
}

const char *
ale_video_format(unsigned width, unsigned height)
{
	switch (height) {
	case 1080:
		/* DCI 2K and wider at 1080 lines are not Avid's 1080 project type. */
		return width > 1920 ? "CUSTOM" : "1080";
	case 720:
		return "720";
	case 576:
		return "PAL";
	case 486:
		return "NTSC";
	default:
		return "CUSTOM";
	}
}

void
ale_audio_format(uint32_t sample_rate, char out[16])
{
	snprintf(out, 16, "%ukhz", (unsigned)(sample_rate / 1000));
}

int
ale_heading_standard(struct ale *ale, unsigned width, unsigned height, uint32_t audio_rate,
    const struct timecode_rate *rate, struct err *err)
{
	struct timecode_rate checked;
	char fps[TIMECODE_RATE_BUFSZ], audio[16];
	int rc;

	rc = timecode_rate_make(rate->num, rate->den, rate->drop, &checked, err);
	if (rc < 0)
		return rc;
	timecode_rate_decimal(&checked, fps);
	ale_audio_format(audio_rate, audio);
	rc = ale_heading_set(ale, "FIELD_DELIM", "TABS", err);
	if (rc == 0)
		rc = ale_heading_set(ale, "VIDEO_FORMAT", ale_video_format(width, height), err);
	if (rc == 0 && audio_rate != 0)
		rc = ale_heading_set(ale, "AUDIO_FORMAT", audio, err);
	if (rc == 0)
		rc = ale_heading_set(ale, "FPS", fps, err);
	return rc;
}

int
ale_column_find(const struct ale *ale, const char *name)
{
	for (size_t i = 0; i < ale->ncolumns; i++)
		if (strcmp(ale->columns[i], name) == 0)
			return (int)i;
	return -1;
}

int
ale_column_add(struct ale *ale, const char *name, struct err *err)
{
	void *p = ale->columns;
	char *copy;

	if (name == NULL || name[0] == '\0')
		return err_set(err, SP_EINVAL, "ALE column: empty name");
	if (ale->nrows > 0)
		return err_set(err, SP_ECONFLICT, "ALE column \"%.64s\": rows already added", name);
	if (ale_column_find(ale, name) >= 0)
		return err_set(err, SP_EINVAL, "ALE column \"%.64s\": appears twice", name);
	if (ale->ncolumns == ALE_MAX_COLUMNS)
		return err_set(err, SP_ETOOBIG, "ALE: more than %d columns", ALE_MAX_COLUMNS);
	if (array_grow(&p, &ale->columns_cap, ale->ncolumns + 1, sizeof(char *)) < 0)
		return err_set(err, SP_ENOMEM, "out of memory");
	ale->columns = p;
	copy = strdup(name);
	if (copy == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	ale->columns[ale->ncolumns] = copy;
	return (int)ale->ncolumns++;
}

int
ale_row_add(struct ale *ale, struct err *err)
{
	void *p = ale->cells;

	if (ale->ncolumns == 0)
		return err_set(err, SP_ECONFLICT, "ALE: add columns before rows");
	if (ale->nrows >= INT_MAX ||
	    array_grow(&p, &ale->rows_cap, ale->nrows + 1, ale->ncolumns * sizeof(char *)) < 0)
		return err_set(err, SP_ENOMEM, "out of memory");
	ale->cells = p;
	memset(ale->cells + ale->nrows * ale->ncolumns, 0, ale->ncolumns * sizeof(char *));
	return (int)ale->nrows++;
}

int
ale_cell_set(struct ale *ale, size_t row, const char *column, const char *value,
    struct err *err)
{
	int col = ale_column_find(ale, column);
	char *v = NULL, **slot;

	if (col < 0)
		return err_set(err, SP_ENOTFOUND, "ALE column \"%.64s\": no such column", column);
	if (row >= ale->nrows)
		return err_set(err, SP_EINVAL, "ALE row %zu: no such row", row);
	if (value != NULL && value[0] != '\0') {
		v = strdup(value);
		if (v == NULL)
			return err_set(err, SP_ENOMEM, "out of memory");
	}
	slot = &ale->cells[row * ale->ncolumns + (size_t)col];
	free(*slot);
	*slot = v;
	return 0;
}

const char *
ale_cell(const struct ale *ale, size_t row, size_t col)
{
	const char *v;

	if (row >= ale->nrows || col >= ale->ncolumns)
		return NULL;
	v = ale->cells[row * ale->ncolumns + col];
	return v ? v : "";
}

const char *
ale_get(const struct ale *ale, size_t row, const char *column)
{
	int col = ale_column_find(ale, column);

	return col < 0 ? NULL : ale_cell(ale, row, (size_t)col);
}

void
ale_sanitize(char *value)
{
	for (unsigned char *p = (unsigned char *)value; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = ' ';
}

/* ---- writing ------------------------------------------------------------------ */

static bool
ale_utf8_valid(const unsigned char *p)
{
	while (*p != '\0') {
		unsigned n;
		uint32_t cp, min;

		if (*p < 0x80) {
			p++;
			continue;
		}
		if (*p >= 0xC2 && *p <= 0xDF) {
			n = 1, cp = *p & 0x1F, min = 0x80;
		} else if (*p >= 0xE0 && *p <= 0xEF) {
			n = 2, cp = *p & 0x0F, min = 0x800;
		} else if (*p >= 0xF0 && *p <= 0xF4) {
			n = 3, cp = *p & 0x07, min = 0x10000;
		} else {
			return false;
		}
		/* A NUL fails the continuation test, so we never read past the end. */
		for (unsigned i = 1; i <= n; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return false;
			cp = cp << 6 | (p[i] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		p += n + 1;
	}
	return true;
}

/* Why s cannot go into an ALE, or NULL if it can. */
static const char *
ale_bad_text(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '\t')
			return "a tab";
		if (*p == '\r' || *p == '\n')
			return "a line break";
		if (*p < 0x20 || *p == 0x7f)
			return "a control character";
	}
	return ale_utf8_valid((const unsigned char *)s) ? NULL : "invalid UTF-8";
}

static int
ale_check_heading(const struct ale *ale, struct err *err)
{
	const char *why, *delim = ale_heading_get(ale, "FIELD_DELIM");

	for (size_t i = 0; i < ale->nheading; i++) {
		const struct ale_pair *h = &ale->heading[i];

		if ((why = ale_bad_text(h->key)) != NULL)
			return err_set(err, SP_EINVAL, "ALE heading key \"%.64s\": contains %s",
			    h->key, why);
		if ((why = ale_bad_text(h->value)) != NULL)
			return err_set(err, SP_EINVAL, "ALE heading %.64s: value contains %s",
			    h->key, why);
	}
	if (delim != NULL && strcmp(delim, "TABS") != 0)
		return err_set(err, SP_EINVAL, "ALE heading FIELD_DELIM \"%.64s\": only TABS exists",
		    delim);
	if (ale_heading_get(ale, "VIDEO_FORMAT") == NULL)
		return err_set(err, SP_EINVAL, "ALE heading: VIDEO_FORMAT is missing");
	if (ale_heading_get(ale, "FPS") == NULL)
		return err_set(err, SP_EINVAL, "ALE heading: FPS is missing");
	return 0;
}

static int
ale_check_columns(const struct ale *ale, struct err *err)
{
	static const char *const required[] = { "Name", "Start", "End" };
	const char *why;

	for (size_t i = 0; i < ale->ncolumns; i++)
		if ((why = ale_bad_text(ale->columns[i])) != NULL)
			return err_set(err, SP_EINVAL, "ALE column \"%.64s\": name contains %s",
			    ale->columns[i], why);
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (ale_column_find(ale, required[i]) < 0)
			return err_set(err, SP_EINVAL, "ALE: column %s is missing", required[i]);
	return 0;
}

static int
ale_check_cells(const struct ale *ale, struct err *err)
{
	for (size_t r = 0; r < ale->nrows; r++) {
		for (size_t c = 0; c < ale->ncolumns; c++) {
			const char *v = ale->cells[r * ale->ncolumns + c], *why;

			if (v != NULL && (why = ale_bad_text(v)) != NULL)
				return err_set(err, SP_EINVAL, "ALE data row %zu, column %.64s: value "
				    "contains %s (ale_sanitize() makes free text safe)", r + 1,
				    ale->columns[c], why);
		}
	}
	return 0;
}

static void
ale_put_fields(FILE *out, char *const *v, size_t n, const char *nl)
{
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			fputc('\t', out);
		if (v[i] != NULL)
			fputs(v[i], out);
	}
	fputs(nl, out);
}

int
ale_write(const struct ale *ale, FILE *out, enum ale_eol eol, struct err *err)
{
	const char *nl = eol == ALE_EOL_LF ? "\n" : "\r\n";
	int rc;

	if ((rc = ale_check_heading(ale, err)) < 0 || (rc = ale_check_columns(ale, err)) < 0 ||
	    (rc = ale_check_cells(ale, err)) < 0)
		return rc;
	fprintf(out, "Heading%sFIELD_DELIM\tTABS%s", nl, nl);
	for (size_t i = 0; i < ale->nheading; i++)
		if (strcmp(ale->heading[i].key, "FIELD_DELIM") != 0)
			fprintf(out, "%s\t%s%s", ale->heading[i].key, ale->heading[i].value, nl);
	fprintf(out, "%sColumn%s", nl, nl);
	ale_put_fields(out, ale->columns, ale->ncolumns, nl);
	fprintf(out, "%sData%s", nl, nl);
	for (size_t r = 0; r < ale->nrows; r++)
		ale_put_fields(out, ale->cells + r * ale->ncolumns, ale->ncolumns, nl);
	if (fflush(out) != 0 || ferror(out))
		return err_errno(err, SP_EIO, errno, "ALE: write");
	return 0;
}

/* ---- reading ------------------------------------------------------------------ */

enum ale_state { ALE_S_START, ALE_S_HEADING, ALE_S_COLUMNS, ALE_S_BEFORE_DATA, ALE_S_DATA };

struct ale_parser {
	struct ale *ale;
	enum ale_state state;
	size_t lineno;
};

struct ale_lines {
	const char *p, *end;
	size_t lineno;
};

/* The next line without its ending (CR LF, LF or a lone CR); false at the end. */
static bool
ale_next_line(struct ale_lines *ls, const char **line, size_t *len)
{
	const char *e = ls->p;

	if (ls->p >= ls->end)
		return false;
	while (e < ls->end && *e != '\n' && *e != '\r')
		e++;
	*line = ls->p;
	*len = (size_t)(e - ls->p);
	if (e < ls->end && *e == '\r')
		e++;
	if (e < ls->end && *e == '\n')
		e++;
	ls->p = e;
	ls->lineno++;
	return true;
}

static void
ale_trim(const char **s, size_t *len)
{
	while (*len > 0 && (**s == ' ' || **s == '\t'))
		(*s)++, (*len)--;
	while (*len > 0 && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
		(*len)--;
}

/* A section keyword alone on its line, blanks around it allowed; case matters, as
 * in Avid's specification. */
static bool
ale_word(const char *line, size_t len, const char *word)
{
	ale_trim(&line, &len);
	return len == strlen(word) && memcmp(line, word, len) == 0;
}

static int
ale_unexpected(const struct ale_parser *ps, const char *want, const char *line, size_t len,
    struct err *err)
{
	return err_set(err, SP_EINVAL, "line %zu: expected %s, found \"%.*s\"", ps->lineno, want,
	    (int)(len > 40 ? 40 : len), line);
}

static int
ale_on_start(struct ale_parser *ps, const char *line, size_t len, struct err *err)
{
	if (!ale_word(line, len, "Heading"))
		return ale_unexpected(ps, "\"Heading\"", line, len, err);
	ps->state = ALE_S_HEADING;
	return 0;
}

/* KEY<TAB>value; a key alone means an empty value. */
static int
ale_on_heading(struct ale_parser *ps, const char *line, size_t len, struct err *err)
{
	const char *tab, *value;
	size_t klen, vlen;
	char *key, *val;
	int rc;

	if (ale_word(line, len, "Column")) {
		ps->state = ALE_S_COLUMNS;
		return 0;
	}
	if (ale_word(line, len, "Data"))
		return err_set(err, SP_EINVAL, "line %zu: Data before Column", ps->lineno);
	tab = memchr(line, '\t', len);
	klen = tab ? (size_t)(tab - line) : len;
	value = tab ? tab + 1 : line + len;
	vlen = tab ? len - klen - 1 : 0;
	ale_trim(&line, &klen);
	ale_trim(&value, &vlen);
	if (klen == 0)
		return err_set(err, SP_EINVAL, "line %zu: heading line without a key", ps->lineno);
	key = strndup(line, klen);
	val = strndup(value, vlen);
	rc = key && val ? ale_heading_set(ps->ale, key, val, err) :
	    err_set(err, SP_ENOMEM, "out of memory");
	free(key);
	free(val);
	return rc;
}

static int
ale_add_name(struct ale_parser *ps, const char *name, size_t len, size_t index,
    struct err *err)
{
	char *copy;
	int rc;

	if (len == 0)
		return err_set(err, SP_EINVAL, "line %zu: column %zu has no name", ps->lineno, index);
	copy = strndup(name, len);
	if (copy == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	rc = ale_column_add(ps->ale, copy, err);
	free(copy);
	if (rc < 0)
		err_prefix(err, "line %zu: ", ps->lineno);
	return rc < 0 ? rc : 0;
}

static int
ale_on_columns(struct ale_parser *ps, const char *line, size_t len, struct err *err)
{
	size_t index = 1;
	int rc = 0;

	if (ale_word(line, len, "Data"))
		return err_set(err, SP_EINVAL, "line %zu: no column names before Data", ps->lineno);
	if (len > 0 && line[len - 1] == '\t')
		len--; /* the trailing tab some writers add */
	for (const char *p = line, *end = line + len; rc == 0; index++) {
		const char *tab = memchr(p, '\t', (size_t)(end - p));
		size_t n = tab ? (size_t)(tab - p) : (size_t)(end - p);

		rc = ale_add_name(ps, p, n, index, err);
		if (tab == NULL)
			break;
		p = tab + 1;
	}
	ps->state = ALE_S_BEFORE_DATA;
	return rc;
}

static int
ale_on_before_data(struct ale_parser *ps, const char *line, size_t len, struct err *err)
{
	if (!ale_word(line, len, "Data"))
		return ale_unexpected(ps, "\"Data\" after the column names", line, len, err);
	ps->state = ALE_S_DATA;
	return 0;
}

static size_t
ale_count_fields(const char *line, size_t len)
{
	size_t n = 1;

	for (size_t i = 0; i < len; i++)
		n += line[i] == '\t';
	return n;
}

static int
ale_on_data(struct ale_parser *ps, const char *line, size_t len, struct err *err)
{
	struct ale *ale = ps->ale;
	size_t n = ale_count_fields(line, len);
	const char *p = line;
	char **cells;
	int row;

	if (n == ale->ncolumns + 1 && line[len - 1] == '\t')
		n--, len--; /* the trailing tab some writers add */
	if (n != ale->ncolumns)
		return err_set(err, SP_EINVAL, "line %zu: %zu fields, expected %zu (one per column)",
		    ps->lineno, n, ale->ncolumns);
	row = ale_row_add(ale, err);
	if (row < 0)
		return row;
	cells = ale->cells + (size_t)row * ale->ncolumns;
	for (size_t i = 0; i < n; i++) {
		const char *tab = memchr(p, '\t', (size_t)(line + len - p));
		size_t flen = tab ? (size_t)(tab - p) : (size_t)(line + len - p);

		if (flen > 0 && (cells[i] = strndup(p, flen)) == NULL)
			return err_set(err, SP_ENOMEM, "out of memory");
		p += flen + 1;
	}
	return 0;
}

static int (*const ale_states[])(struct ale_parser *, const char *, size_t, struct err *) = {
	[ALE_S_START] = ale_on_start,
	[ALE_S_HEADING] = ale_on_heading,
	[ALE_S_COLUMNS] = ale_on_columns,
	[ALE_S_BEFORE_DATA] = ale_on_before_data,
	[ALE_S_DATA] = ale_on_data,
};

/* Blank lines separate sections and may appear anywhere. In Data a line of tabs is a
 * row of empty fields, so only spaces make a line blank there. */
static bool
ale_blank(const char *line, size_t len, bool data)
{
	for (size_t i = 0; i < len; i++)
		if (line[i] != ' ' && (data || line[i] != '\t'))
			return false;
	return true;
}

static int
ale_missing(enum ale_state state, struct err *err)
{
	static const char *const what[] = {
		[ALE_S_START] = "no Heading section",
		[ALE_S_HEADING] = "no Column section",
		[ALE_S_COLUMNS] = "no column names",
		[ALE_S_BEFORE_DATA] = "no Data section",
	};

	return err_set(err, SP_EINVAL, "ALE: %s", what[state]);
}

int
ale_parse(const char *text, size_t len, struct ale *ale, struct err *err)
{
	struct ale_parser ps = { ale, ALE_S_START, 0 };
	struct ale_lines ls;
	const char *line, *nul;
	size_t n;
	int rc = 0;

	if (len > ALE_FILE_MAX)
		return err_set(err, SP_ETOOBIG, "ALE: %zu bytes, more than %u", len, ALE_FILE_MAX);
	if (len == 0)
		text = "";
	ls.p = text;
	ls.end = text + len;
	ls.lineno = 0;
	nul = memchr(text, '\0', len);
	if (nul != NULL)
		return err_set(err, SP_EINVAL, "ALE: NUL byte at offset %zu", (size_t)(nul - text));
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		ls.p += 3;
	while (rc == 0 && ale_next_line(&ls, &line, &n)) {
		ps.lineno = ls.lineno;
		if (!ale_blank(line, n, ps.state == ALE_S_DATA))
			rc = ale_states[ps.state](&ps, line, n, err);
	}
	if (rc == 0 && ps.state != ALE_S_DATA)
		rc = ale_missing(ps.state, err);
	if (rc < 0)
		ale_release(ale);
	return rc;
}

static int
ale_slurp(int fd, const char *path, char **buf, size_t *len, struct err *err)
{
	struct stat st;
	size_t done = 0;

	if (fstat(fd, &st) < 0)
		return err_errno(err, SP_EIO, errno, "%s", path);
	if (!S_ISREG(st.st_mode))
		return err_set(err, SP_EINVAL, "%s: not a regular file", path);
	if ((uint64_t)st.st_size > ALE_FILE_MAX)
		return err_set(err, SP_ETOOBIG, "%s: %lld bytes, more than %u", path,
		    (long long)st.st_size, ALE_FILE_MAX);
	*len = (size_t)st.st_size;
	*buf = malloc(*len + 1);
	if (*buf == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	while (done < *len) {
		ssize_t n = read(fd, *buf + done, *len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return err_errno(err, SP_EIO, n < 0 ? errno : EIO, "%s: read", path);
		done += (size_t)n;
	}
	return 0;
}

int
ale_read_file(const char *path, struct ale *ale, struct err *err)
{
	char *buf = NULL;
	size_t len = 0;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK); /* a FIFO must not hang us */
	if (fd < 0)
		return err_errno(err, err_from_errno(errno), errno, "%s", path);
	rc = ale_slurp(fd, path, &buf, &len, err);
	close(fd);
	if (rc == 0) {
		rc = ale_parse(buf, len, ale, err);
		if (rc < 0)
			err_prefix(err, "%s: ", path);
	}
	free(buf);
	return rc;
}

/* ---- ASC_SOP and ASC_SAT ---------------------------------------------------------- */

static const char *const ale_rgb[3] = { "red", "green", "blue" };

static int
ale_sop_check(const double slope[3], const double offset[3], const double power[3],
    struct err *err)
{
	for (int i = 0; i < 3; i++) {
		if (!isfinite(slope[i]) || !isfinite(offset[i]) || !isfinite(power[i]))
			return err_set(err, SP_EINVAL, "ASC_SOP %s: not a finite number", ale_rgb[i]);
		if (slope[i] < 0)
			return err_set(err, SP_EINVAL, "ASC_SOP slope %s %g: must be >= 0", ale_rgb[i],
			    slope[i]);
		if (power[i] <= 0)
			return err_set(err, SP_EINVAL, "ASC_SOP power %s %g: must be > 0", ale_rgb[i],
			    power[i]);
	}
	return 0;
}

/* Up to 6 decimals with trailing zeros dropped, at least one kept (OTIO's ALE reader
 * only takes numbers with a decimal point), and never "-0.0". */
static int
ale_number(double v, char *out, size_t size)
{
	int n = snprintf(out, size, "%.6f", v);

	if (n < 0 || (size_t)n >= size)
		return -1;
	while (n > 2 && out[n - 1] == '0' && out[n - 2] != '.')
		out[--n] = '\0';
	if (strcmp(out, "-0.0") == 0)
		memmove(out, out + 1, 4);
	return 0;
}

int
ale_sop_format(const double slope[3], const double offset[3], const double power[3],
    char out[ALE_SOP_BUFSZ], struct err *err)
{
	const double *groups[3] = { slope, offset, power };
	char num[9][32];
	int rc;

	rc = ale_sop_check(slope, offset, power, err);
	if (rc < 0)
		return rc;
	for (int i = 0; i < 9; i++)
		if (ale_number(groups[i / 3][i % 3], num[i], sizeof(num[i])) < 0)
			return err_set(err, SP_EINVAL, "ASC_SOP: %g is too large", groups[i / 3][i % 3]);
	snprintf(out, ALE_SOP_BUFSZ, "(%s %s %s)(%s %s %s)(%s %s %s)", num[0], num[1], num[2],
	    num[3], num[4], num[5], num[6], num[7], num[8]);
	return 0;
}

static const char *
ale_skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* A plain decimal number (sign, digits, point, exponent) at *p; refuses what strtod
 * would also take: "inf", "nan", hexadecimal. */
static int
ale_decimal(const char **p, double *v)
{
	size_t span = strspn(*p, "0123456789+-.eE");
	char *end;

	if (span == 0)
		return -1;
	errno = 0;
	*v = strtod(*p, &end);
	if (end != *p + span || errno == ERANGE || !isfinite(*v))
		return -1;
	*p = end;
	return 0;
}

/* "( a b c )" at *p, blanks allowed inside and before. */
static int
ale_sop_group(const char **p, double v[3])
{
	const char *s = ale_skip_blanks(*p);

	if (*s++ != '(')
		return -1;
	for (int i = 0; i < 3; i++) {
		s = ale_skip_blanks(s);
		if (ale_decimal(&s, &v[i]) < 0)
			return -1;
		if (i < 2 && *s != ' ' && *s != '\t')
			return -1;
	}
	s = ale_skip_blanks(s);
	if (*s != ')')
		return -1;
	*p = s + 1;
	return 0;
}

int
ale_sop_parse(const char *s, double slope[3], double offset[3], double power[3],
    struct err *err)
{
	const char *p = s;

	if (ale_sop_group(&p, slope) < 0 || ale_sop_group(&p, offset) < 0 ||
	    ale_sop_group(&p, power) < 0 || *ale_skip_blanks(p) != '\0')
		return err_set(err, SP_EINVAL, "ASC_SOP \"%.80s\": expected (s s s)(o o o)(p p p)",
		    s);
	return ale_sop_check(slope, offset, power, err);
}

int
ale_sat_format(double sat, char out[ALE_SAT_BUFSZ], struct err *err)
{
	if (!isfinite(sat) || sat < 0)
		return err_set(err, SP_EINVAL, "ASC_SAT %g: must be a number >= 0", sat);
	if (ale_number(sat, out, ALE_SAT_BUFSZ) < 0)
		return err_set(err, SP_EINVAL, "ASC_SAT %g: too large", sat);
	return 0;
}

int
ale_sat_parse(const char *s, double *sat, struct err *err)
{
	const char *p = ale_skip_blanks(s);

	if (ale_decimal(&p, sat) < 0 || *ale_skip_blanks(p) != '\0')
		return err_set(err, SP_EINVAL, "ASC_SAT \"%.40s\": not a number", s);
	if (*sat < 0)
		return err_set(err, SP_EINVAL, "ASC_SAT \"%.40s\": must be >= 0", s);
	return 0;
}
