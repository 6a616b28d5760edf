/*
 * report: the paperwork production and post read (a shooting day's summary, a card's offload
 * report, a volume's or shuttle drive's report), as one document rendered three ways: a PDF to print or mail, a
 * self-contained HTML page, and a CSV for spreadsheets and asset systems.
 *
 * A document is JSON, built by a loader (report_day.c) and read by the renderers:
 *
 *   { "title": "Day report", "subtitle": "Feature · 2026-11-25",
 *     "fields": [["Production", "Feature"], ...],          header, label and value
 *     "verdicts": ["Safe to format: 2 of 3 cards", ...],    the lines that matter most
 *     "sections": [ { "heading": "Cards",
 *                     "columns": [["Card", 1.0], ["Kind", 0.6], ...],   name and width share
 *                     "rows": [["A001", "camera", ...], ...],   strings, or a cell of
 *                                                    pictures {"images": [{"path", "w", "h"}]}
 *                                                    (JPEG files, drawn side by side)
 *                     "empty": "No cards." } ],
 *     "csv": { "columns": ["card", "file", ...], "rows": [[...], ...] },  the detailed table
 *     "footer": "setpost 0.1.0 on cart-1, 2026-12-07T14:30:00Z" }
 *
 * A picture that cannot be read is left out (the report still says everything else).
 * Every text is UTF-8 from the database; the renderers escape for their format (HTML entities,
 * CSV quoting, Pango markup is never used: text is set as plain text). A missing member is an
 * empty one; a row shorter than the columns leaves the rest blank.
 */
#ifndef SETPOST_REPORT_H
#define SETPOST_REPORT_H

#include "lib/core/buf.h"
#include "lib/core/err.h"

#include <jansson.h>

enum report_paper {
	REPORT_A4,
	REPORT_LETTER,
};

/* The PDF of doc into out (appended), paginated on the paper given, landscape: tables that do not fit
 * carry on over pages with their column heads repeated, every page numbered "page N of M". */
int report_pdf(const json_t *doc, enum report_paper paper, struct buf *out, struct err *err);

/* A self-contained HTML page (styles inline, no request to any other address). */
int report_html(const json_t *doc, struct buf *out, struct err *err);

/* doc's "csv" table as RFC 4180 CSV (CRLF line ends, every field quoted when it holds a comma,
 * a quote, a CR or LF; a leading =, +, - or @ is prefixed with ' so a spreadsheet never runs
 * it as a formula). */
int report_csv(const json_t *doc, struct buf *out, struct err *err);

/* "a4" or "letter" (case-insensitive; NULL: a4); -1 for anything else. */
int report_paper_parse(const char *s);

#endif
