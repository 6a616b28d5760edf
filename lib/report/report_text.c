/* report_text: the two text renderings of a report document, HTML and CSV. */
#include "lib/report/report.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMAGE_MAX (8u << 20)

static const char *
text_cell(const json_t *v)
{
	return json_is_string(v) ? json_string_value(v) : "";
}

/* Text as HTML character data or attribute value. */
static int
html_escape(struct buf *out, const char *s)
{
	int rc = 0;

	for (; *s && rc == 0; s++) {
		switch (*s) {
		case '&': rc = buf_appends(out, "&amp;"); break;
		case '<': rc = buf_appends(out, "&lt;"); break;
		case '>': rc = buf_appends(out, "&gt;"); break;
		case '"': rc = buf_appends(out, "&quot;"); break;
		case '\'': rc = buf_appends(out, "&#39;"); break;
		default: rc = buf_append(out, s, 1);
		}
	}
	return rc;
}

static int
html_tag(struct buf *out, const char *open, const char *text, const char *close)
{
	if (buf_appends(out, open) < 0 || html_escape(out, text) < 0)
		return -1;
	return buf_appends(out, close);
}

/* A picture cell: each JPEG inlined as a data: address, so the page needs nothing else. A
 * file that cannot be read is left out. */
static int
html_images(struct buf *out, const json_t *images)
{
	const json_t *im;
	size_t i;
	int rc = 0;

	json_array_foreach(images, i, im) {
		const char *path = json_string_value(json_object_get(im, "path"));
		FILE *f = path ? fopen(path, "rb") : NULL;
		unsigned char *data = NULL;
		char *b64 = NULL;
		long n = 0;
		if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && (unsigned long)n <= IMAGE_MAX &&
		    fseek(f, 0, SEEK_SET) == 0 && (data = malloc((size_t)n)) != NULL &&
		    fread(data, 1, (size_t)n, f) == (size_t)n) {
			size_t blen = sodium_base64_ENCODED_LEN((size_t)n, sodium_base64_VARIANT_ORIGINAL);
			if ((b64 = malloc(blen)) != NULL) {
				sodium_bin2base64(b64, blen, data, (size_t)n, sodium_base64_VARIANT_ORIGINAL);
				json_int_t w = json_integer_value(json_object_get(im, "w"));
				json_int_t h = json_integer_value(json_object_get(im, "h"));
				rc |= buf_appendf(out, "<img alt=\"\" height=\"48\" width=\"%lld\" "
				    "src=\"data:image/jpeg;base64,", h > 0 ? (long long)(w * 48 / h) : 85LL);
				rc |= buf_appends(out, b64);
				rc |= buf_appends(out, "\">");
			}
		}
		free(b64);
		free(data);
		if (f)
			fclose(f);
	}
	return rc;
}

static const char html_style[] =
	"<style>\n"
	"body{font-family:'DejaVu Sans',Arial,sans-serif;font-size:12px;margin:24px;color:#111}\n"
	"h1{font-size:22px;margin:0}h2{font-size:15px;margin:22px 0 6px}\n"
	".sub{color:#444;margin:2px 0 14px}.verdict{font-weight:bold;font-size:14px;margin:4px 0}\n"
	"dl{display:grid;grid-template-columns:max-content 1fr max-content 1fr;gap:3px 12px}\n"
	"dt{font-weight:bold}dd{margin:0}\n"
	"table{border-collapse:collapse;width:100%}th,td{border:1px solid #bbb;padding:3px 5px;"
	"text-align:left;vertical-align:top}th{background:#ddd}tr:nth-child(even) td{background:#f3f3f3}\n"
	"td.pics{white-space:nowrap}td.pics img{margin-right:2px;vertical-align:top}\n"
	"thead{display:table-header-group}.empty{font-style:italic}footer{color:#555;margin-top:20px;"
	"font-size:10px}\n"
	"@media print{body{margin:0}h2{break-after:avoid}tr{break-inside:avoid}}\n"
	"</style>\n";

static int
html_section(struct buf *out, const json_t *s)
{
	const json_t *cols = json_object_get(s, "columns"), *rows = json_object_get(s, "rows");
	const json_t *row, *cell, *col;
	size_t i, j;

	if (html_tag(out, "<section><h2>", text_cell(json_object_get(s, "heading")), "</h2>\n") < 0)
		return -1;
	if (json_array_size(rows) == 0) {
		const char *e = text_cell(json_object_get(s, "empty"));
		return html_tag(out, "<p class=\"empty\">", *e ? e : "None.", "</p></section>\n");
	}
	if (buf_appends(out, "<table><thead><tr>") < 0)
		return -1;
	json_array_foreach(cols, i, col)
		if (html_tag(out, "<th>", text_cell(json_array_get(col, 0)), "</th>") < 0)
			return -1;
	if (buf_appends(out, "</tr></thead>\n<tbody>\n") < 0)
		return -1;
	json_array_foreach(rows, i, row) {
		if (buf_appends(out, "<tr>") < 0)
			return -1;
		for (j = 0; j < json_array_size(cols); j++) {
			cell = json_array_get(row, j);
			if (json_is_object(cell)) {
				if (buf_appends(out, "<td class=\"pics\">") < 0 ||
				    html_images(out, json_object_get(cell, "images")) < 0 ||
				    buf_appends(out, "</td>") < 0)
					return -1;
			} else if (html_tag(out, "<td>", text_cell(cell), "</td>") < 0)
				return -1;
		}
		if (buf_appends(out, "</tr>\n") < 0)
			return -1;
	}
	return buf_appends(out, "</tbody></table></section>\n");
}

int
report_html(const json_t *doc, struct buf *out, struct err *err)
{
	const json_t *v, *f;
	size_t i;
	int rc = 0;

	rc |= buf_appends(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n");
	rc |= html_tag(out, "<title>", text_cell(json_object_get(doc, "subtitle")), "</title>\n");
	rc |= buf_appends(out, html_style);
	rc |= buf_appends(out, "</head><body>\n");
	rc |= html_tag(out, "<h1>", text_cell(json_object_get(doc, "title")), "</h1>\n");
	rc |= html_tag(out, "<p class=\"sub\">", text_cell(json_object_get(doc, "subtitle")), "</p>\n");
	rc |= buf_appends(out, "<dl>\n");
	json_array_foreach(json_object_get(doc, "fields"), i, f) {
		rc |= html_tag(out, "<dt>", text_cell(json_array_get(f, 0)), "</dt>");
		rc |= html_tag(out, "<dd>", text_cell(json_array_get(f, 1)), "</dd>\n");
	}
	rc |= buf_appends(out, "</dl>\n");
	json_array_foreach(json_object_get(doc, "verdicts"), i, v)
		rc |= html_tag(out, "<p class=\"verdict\">", text_cell(v), "</p>\n");
	json_array_foreach(json_object_get(doc, "sections"), i, v)
		rc |= html_section(out, v);
	rc |= html_tag(out, "<footer>", text_cell(json_object_get(doc, "footer")), "</footer>\n");
	rc |= buf_appends(out, "</body></html>\n");
	return rc ? err_set(err, SP_ETOOBIG, "report: the HTML page is larger than allowed") : 0;
}

static int
csv_field(struct buf *out, const char *s)
{
	int quote = strpbrk(s, ",\"\r\n") != NULL, rc = 0;

	/* A spreadsheet runs a cell that starts with one of these as a formula. */
	if (*s && strchr("=+-@", *s) && !(*s == '-' && s[1] >= '0' && s[1] <= '9'))
		rc |= buf_appends(out, quote ? "\"'" : "'");
	else if (quote)
		rc |= buf_appends(out, "\"");
	for (; *s; s++)
		rc |= *s == '"' ? buf_appends(out, "\"\"") : buf_append(out, s, 1);
	if (quote)
		rc |= buf_appends(out, "\"");
	return rc;
}

static int
csv_row(struct buf *out, const json_t *cells, size_t n)
{
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		if (i)
			rc |= buf_appends(out, ",");
		rc |= csv_field(out, text_cell(json_array_get(cells, i)));
	}
	return rc | buf_appends(out, "\r\n");
}

int
report_csv(const json_t *doc, struct buf *out, struct err *err)
{
	const json_t *t = json_object_get(doc, "csv"), *cols = json_object_get(t, "columns"), *row;
	size_t i, n = json_array_size(cols);
	int rc = csv_row(out, cols, n);

	json_array_foreach(json_object_get(t, "rows"), i, row)
		rc |= csv_row(out, row, n);
	return rc ? err_set(err, SP_ETOOBIG, "report: the CSV is larger than allowed") : 0;
}
