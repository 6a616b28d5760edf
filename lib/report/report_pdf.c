/* report_pdf: a report document drawn with Cairo and Pango (real fonts, UTF-8, line breaking)
 * rather than hand-written PDF syntax. Two passes over the same drawing code: the first only
 * counts pages (on a PDF surface that throws its bytes away, so text measures the same), the
 * second draws them with "page N of M". */
#include "lib/report/report.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MARGIN 40.0
#define PAD 3.0
#define FOOTER_H 18.0
#define IMAGE_H 34.0            /* a thumbnail's height in a table, in points */
#define IMAGE_MAX (8u << 20)    /* a thumbnail larger than this is not a thumbnail */

struct pdf {
	cairo_surface_t *surface;
	cairo_t *cr;
	PangoLayout *layout;
	double width, height;   /* the paper, in points */
	double y;               /* where the next line goes on this page */
	int page, pages;        /* pages: the count from the first pass, 0 during it */
	const char *footer;
	struct buf *out;        /* NULL in the counting pass */
	int write_failed;
	/* Parsed fonts by name (a dozen at most); a report sets tens of thousands of cells. */
	struct { const char *name; PangoFontDescription *fd; } fonts[16];
	int nfonts;
	const char *font_set;   /* the layout's font now, so it is set only when it changes */
	/* Row heights measured in the counting pass, reused by the drawing pass (one layout per
	 * cell instead of two). */
	double *heights;
	size_t nheights, cap, next_height;
};

static cairo_status_t
pdf_write(void *closure, const unsigned char *data, unsigned int len)
{
	struct pdf *p = closure;

	if (p->out == NULL)
		return CAIRO_STATUS_SUCCESS;
	if (buf_append(p->out, data, len) < 0) {
		p->write_failed = 1;
		return CAIRO_STATUS_WRITE_ERROR;
	}
	return CAIRO_STATUS_SUCCESS;
}

static const char *
pdf_cell(const json_t *v)
{
	return json_is_string(v) ? json_string_value(v) : "";
}

/* Sets the layout to text in font, wrapped at width; returns its height. */
static void
pdf_font(struct pdf *p, const char *font)
{
	int i;

	if (p->font_set && strcmp(p->font_set, font) == 0)
		return;
	for (i = 0; i < p->nfonts && strcmp(p->fonts[i].name, font) != 0; i++)
		;
	if (i == p->nfonts) {
		if (i == (int)(sizeof(p->fonts) / sizeof(p->fonts[0])))
			i = 0;  /* never with the dozen fonts a report uses; still correct */
		else
			p->nfonts++;
		pango_font_description_free(p->fonts[i].fd);
		p->fonts[i].name = font;
		p->fonts[i].fd = pango_font_description_from_string(font);
	}
	pango_layout_set_font_description(p->layout, p->fonts[i].fd);
	p->font_set = p->fonts[i].name;
}

static double
pdf_set(struct pdf *p, const char *font, const char *text, double width)
{
	int w, h;

	pdf_font(p, font);
	pango_layout_set_width(p->layout, (int)(width * PANGO_SCALE));
	pango_layout_set_wrap(p->layout, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_text(p->layout, text, -1);
	pango_layout_get_size(p->layout, &w, &h);
	return (double)h / PANGO_SCALE;
}

static void
pdf_draw(struct pdf *p, double x, double y)
{
	cairo_move_to(p->cr, x, y);
	pango_cairo_show_layout(p->cr, p->layout);
}

/* The whole file, or NULL (a thumbnail that went missing is left out of the report). */
static unsigned char *
pdf_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *data = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && (unsigned long)n <= IMAGE_MAX &&
	    fseek(f, 0, SEEK_SET) == 0 && (data = malloc((size_t)n)) != NULL &&
	    fread(data, 1, (size_t)n, f) != (size_t)n) {
		free(data);
		data = NULL;
	}
	*len = data ? (size_t)n : 0;
	fclose(f);
	return data;
}

/* The images of a picture cell side by side, IMAGE_H high, narrowed together to fit width;
 * their JPEG bytes go into the PDF as they are (Cairo passes mime data through), so nothing
 * is decoded or re-encoded. Returns the height used. */
static double
pdf_images(struct pdf *p, const json_t *images, double x, double y, double width, int draw)
{
	double total = 0, scale, cx = x;
	const json_t *im;
	size_t i;

	json_array_foreach(images, i, im) {
		double w = (double)json_integer_value(json_object_get(im, "w"));
		double h = (double)json_integer_value(json_object_get(im, "h"));
		if (w > 0 && h > 0)
			total += IMAGE_H * w / h + 2;
	}
	if (total <= 0)
		return 0;
	scale = total > width ? width / total : 1.0;
	json_array_foreach(images, i, im) {
		int pw = (int)json_integer_value(json_object_get(im, "w"));
		int ph = (int)json_integer_value(json_object_get(im, "h"));
		double dw = IMAGE_H * pw / (ph > 0 ? ph : 1) * scale, dh = IMAGE_H * scale;
		unsigned char *data;
		size_t len;
		if (pw <= 0 || ph <= 0 || pw > 8192 || ph > 8192)
			continue;
		if (draw && (data = pdf_slurp(json_string_value(json_object_get(im, "path")), &len))) {
			cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, pw, ph);
			if (cairo_surface_set_mime_data(img, CAIRO_MIME_TYPE_JPEG, data, len, free,
			    data) != CAIRO_STATUS_SUCCESS)
				free(data);
			cairo_save(p->cr);
			cairo_translate(p->cr, cx, y);
			cairo_scale(p->cr, dw / pw, dh / ph);
			cairo_set_source_surface(p->cr, img, 0, 0);
			cairo_paint(p->cr);
			cairo_restore(p->cr);
			cairo_surface_destroy(img);
		}
		cx += dw + 2 * scale;
	}
	return IMAGE_H * scale;
}

static void
pdf_footer(struct pdf *p)
{
	char num[48];
	double w = p->width - 2 * MARGIN, y = p->height - MARGIN + 4;

	cairo_set_source_rgb(p->cr, 0.35, 0.35, 0.35);
	pdf_set(p, "DejaVu Sans 7", p->footer ? p->footer : "", w * 0.75);
	pdf_draw(p, MARGIN, y);
	if (p->pages > 0)
		snprintf(num, sizeof(num), "page %d of %d", p->page, p->pages);
	else
		snprintf(num, sizeof(num), "page %d", p->page);
	pdf_set(p, "DejaVu Sans 7", num, w * 0.25);
	pango_layout_set_alignment(p->layout, PANGO_ALIGN_RIGHT);
	pdf_draw(p, MARGIN + w * 0.75, y);
	pango_layout_set_alignment(p->layout, PANGO_ALIGN_LEFT);
	cairo_set_source_rgb(p->cr, 0, 0, 0);
}

static void
pdf_new_page(struct pdf *p)
{
	pdf_footer(p);
	cairo_show_page(p->cr);
	p->page++;
	p->y = MARGIN;
}

static double
pdf_bottom(const struct pdf *p)
{
	return p->height - MARGIN - FOOTER_H;
}

/* A block of text across the page, on a new page when it does not fit on this one. */
static void
pdf_block(struct pdf *p, const char *font, const char *text, double after)
{
	double w = p->width - 2 * MARGIN, h = pdf_set(p, font, text, w);

	if (p->y + h > pdf_bottom(p) && p->y > MARGIN)
		pdf_new_page(p);
	pdf_set(p, font, text, w);
	pdf_draw(p, MARGIN, p->y);
	p->y += h + after;
}

/* The header's label/value pairs in two columns of pairs. */
static void
pdf_fields(struct pdf *p, const json_t *fields)
{
	double w = (p->width - 2 * MARGIN) / 2, lw = w * 0.38, vw = w * 0.62 - 8;
	size_t i, n = json_array_size(fields);

	for (i = 0; i < n; i += 2) {
		double h = 0;
		for (size_t k = i; k < i + 2 && k < n; k++) {
			const json_t *f = json_array_get(fields, k);
			double x = MARGIN + (double)(k - i) * w;
			double hl = pdf_set(p, "DejaVu Sans Bold 8", pdf_cell(json_array_get(f, 0)), lw);
			double hv = pdf_set(p, "DejaVu Sans 8", pdf_cell(json_array_get(f, 1)), vw);
			double rh = hl > hv ? hl : hv;
			if (p->y + rh > pdf_bottom(p))
				pdf_new_page(p);
			pdf_set(p, "DejaVu Sans Bold 8", pdf_cell(json_array_get(f, 0)), lw);
			pdf_draw(p, x, p->y);
			pdf_set(p, "DejaVu Sans 8", pdf_cell(json_array_get(f, 1)), vw);
			pdf_draw(p, x + lw, p->y);
			if (rh > h)
				h = rh;
		}
		p->y += h + 2;
	}
	p->y += 6;
}

struct pdf_table {
	const json_t *columns;
	double x[32], w[32];
	size_t ncols;
};

static void
pdf_table_layout(struct pdf *p, struct pdf_table *t, const json_t *columns)
{
	double total = 0, x = MARGIN, width = p->width - 2 * MARGIN;
	size_t i;

	t->columns = columns;
	t->ncols = json_array_size(columns);
	if (t->ncols > 32)
		t->ncols = 32;
	for (i = 0; i < t->ncols; i++) {
		double share = json_number_value(json_array_get(json_array_get(columns, i), 1));
		t->w[i] = share > 0 ? share : 1;
		total += t->w[i];
	}
	for (i = 0; i < t->ncols; i++) {
		t->w[i] = t->w[i] / total * width;
		t->x[i] = x;
		x += t->w[i];
	}
}

/* One row: cells is an array of strings (or the column heads when head is set). */
static double
pdf_row_height(struct pdf *p, const struct pdf_table *t, const json_t *cells, int head)
{
	const char *font = head ? "DejaVu Sans Bold 7.5" : "DejaVu Sans 7.5";
	double h = 0;

	for (size_t i = 0; i < t->ncols; i++) {
		const json_t *c = head ? json_array_get(json_array_get(cells, i), 0) :
		    json_array_get(cells, i);
		double ch = json_is_object(c) ?
		    pdf_images(p, json_object_get(c, "images"), 0, 0, t->w[i] - 2 * PAD, 0) :
		    pdf_set(p, font, pdf_cell(c), t->w[i] - 2 * PAD);
		if (ch > h)
			h = ch;
	}
	return h + 2 * PAD;
}

/* A body row's height: measured in the counting pass and kept, read back in the drawing pass
 * (the same rows come in the same order). */
static double
pdf_body_height(struct pdf *p, const struct pdf_table *t, const json_t *cells)
{
	double h;

	if (p->out != NULL && p->next_height < p->nheights)
		return p->heights[p->next_height++];
	h = pdf_row_height(p, t, cells, 0);
	if (p->nheights == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 1024;
		double *n = realloc(p->heights, cap * sizeof(*n));
		if (n == NULL)
			return h;
		p->heights = n;
		p->cap = cap;
	}
	p->heights[p->nheights++] = h;
	return h;
}

static void
pdf_row(struct pdf *p, const struct pdf_table *t, const json_t *cells, int head, int shade,
    double h)
{
	const char *font = head ? "DejaVu Sans Bold 7.5" : "DejaVu Sans 7.5";

	if (head || shade) {
		double g = head ? 0.85 : 0.95;
		cairo_set_source_rgb(p->cr, g, g, g);
		cairo_rectangle(p->cr, MARGIN, p->y, p->width - 2 * MARGIN, h);
		cairo_fill(p->cr);
		cairo_set_source_rgb(p->cr, 0, 0, 0);
	}
	if (p->out == NULL) {   /* counting pages: the height is all that matters */
		p->y += h;
		return;
	}
	for (size_t i = 0; i < t->ncols; i++) {
		const json_t *c = head ? json_array_get(json_array_get(cells, i), 0) :
		    json_array_get(cells, i);
		if (json_is_object(c)) {
			pdf_images(p, json_object_get(c, "images"), t->x[i] + PAD, p->y + PAD,
			    t->w[i] - 2 * PAD, p->out != NULL);
			continue;
		}
		pdf_set(p, font, pdf_cell(c), t->w[i] - 2 * PAD);
		pdf_draw(p, t->x[i] + PAD, p->y + PAD);
	}
	p->y += h;
}

static void
pdf_section(struct pdf *p, const json_t *s)
{
	const char *heading = pdf_cell(json_object_get(s, "heading"));
	const json_t *rows = json_object_get(s, "rows");
	struct pdf_table t;
	size_t i;

	pdf_table_layout(p, &t, json_object_get(s, "columns"));
	/* A heading never stands alone at the foot of a page: it needs room for a row or two. */
	if (p->y + 60 > pdf_bottom(p))
		pdf_new_page(p);
	pdf_block(p, "DejaVu Sans Bold 11", heading, 4);
	if (json_array_size(rows) == 0) {
		const char *empty = pdf_cell(json_object_get(s, "empty"));
		pdf_block(p, "DejaVu Sans Oblique 8", *empty ? empty : "None.", 10);
		return;
	}
	double head_h = pdf_row_height(p, &t, t.columns, 1);
	pdf_row(p, &t, t.columns, 1, 0, head_h);
	for (i = 0; i < json_array_size(rows); i++) {
		const json_t *row = json_array_get(rows, i);
		double h = pdf_body_height(p, &t, row);
		if (p->y + h > pdf_bottom(p)) {
			char cont[300];
			pdf_new_page(p);
			snprintf(cont, sizeof(cont), "%s (continued)", heading);
			pdf_block(p, "DejaVu Sans Bold 9", cont, 3);
			pdf_row(p, &t, t.columns, 1, 0, head_h);
		}
		pdf_row(p, &t, row, 0, (int)(i % 2), h);
	}
	p->y += 12;
}

static void
pdf_document(struct pdf *p, const json_t *doc)
{
	const json_t *v;
	size_t i;

	p->page = 1;
	p->y = MARGIN;
	p->footer = pdf_cell(json_object_get(doc, "footer"));
	pdf_block(p, "DejaVu Sans Bold 16", pdf_cell(json_object_get(doc, "title")), 2);
	pdf_block(p, "DejaVu Sans 10", pdf_cell(json_object_get(doc, "subtitle")), 10);
	pdf_fields(p, json_object_get(doc, "fields"));
	json_array_foreach(json_object_get(doc, "verdicts"), i, v)
		pdf_block(p, "DejaVu Sans Bold 10", pdf_cell(v), 3);
	p->y += 8;
	json_array_foreach(json_object_get(doc, "sections"), i, v)
		pdf_section(p, v);
	pdf_footer(p);
	cairo_show_page(p->cr);
}

static int
pdf_pass(struct pdf *p, const json_t *doc, struct err *err)
{
	cairo_status_t st;
	int rc = 0;

	p->surface = cairo_pdf_surface_create_for_stream(pdf_write, p, p->width, p->height);
	p->cr = cairo_create(p->surface);
	p->layout = pango_cairo_create_layout(p->cr);
	p->font_set = NULL;
	p->next_height = 0;
	pdf_document(p, doc);
	g_object_unref(p->layout);
	cairo_destroy(p->cr);
	cairo_surface_finish(p->surface);
	st = cairo_surface_status(p->surface);
	cairo_surface_destroy(p->surface);
	if (p->write_failed)
		rc = err_set(err, SP_ETOOBIG, "report: the PDF is larger than allowed");
	else if (st != CAIRO_STATUS_SUCCESS)
		rc = err_set(err, SP_EINTERNAL, "report: PDF: %s", cairo_status_to_string(st));
	return rc;
}

int
report_pdf(const json_t *doc, enum report_paper paper, struct buf *out, struct err *err)
{
	struct pdf p;
	int rc;

	memset(&p, 0, sizeof(p));
	/* Landscape: a clip table has a dozen columns, and a DIT's reports are read that way. */
	p.width = paper == REPORT_LETTER ? 792 : 841.89;
	p.height = paper == REPORT_LETTER ? 612 : 595.276;
	if ((rc = pdf_pass(&p, doc, err)) < 0) {
		for (int i = 0; i < p.nfonts; i++)
			pango_font_description_free(p.fonts[i].fd);
		free(p.heights);
		return rc;
	}
	p.pages = p.page;
	p.out = out;
	rc = pdf_pass(&p, doc, err);
	for (int i = 0; i < p.nfonts; i++)
		pango_font_description_free(p.fonts[i].fd);
	free(p.heights);
	return rc;
}

int
report_paper_parse(const char *s)
{
	if (s == NULL || strcasecmp(s, "a4") == 0)
		return REPORT_A4;
	if (strcasecmp(s, "letter") == 0)
		return REPORT_LETTER;
	return -1;
}
