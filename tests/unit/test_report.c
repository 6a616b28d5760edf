/* report: the PDF paginates long tables, the HTML escapes what it is given, the CSV quotes and
 * never hands a spreadsheet a formula. */
#include "lib/report/report.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *
doc_with_rows(int n, const char *cell)
{
	json_t *rows = json_array();

	for (int i = 0; i < n; i++)
		json_array_append_new(rows, json_pack("[s,s,s]", "A001C001", cell, "secured"));
	return json_pack("{s:s,s:s,s:[[s,s]],s:[s],s:[{s:s,s:[[s,f],[s,f],[s,f]],s:o}],"
	    "s:{s:[s,s,s],s:[[s,s,s],[s,s,s]]},s:s}",
	    "title", "Shooting day report", "subtitle", "Feature · 2026-11-25",
	    "fields", "Production", "Feature", "verdicts", "Safe to format: 1 of 1 cards",
	    "sections", "heading", "Clips", "columns", "Clip", 1.0, "Note", 2.0, "State", 1.0,
	    "rows", rows, "csv", "columns", "card", "file", "note",
	    "rows", "A001", "a,b", "=cmd|' /C calc'!A0", "A002", "say \"cut\"", "-12.5",
	    "footer", "setpost test");
}

static int
count(const char *hay, size_t len, const char *needle)
{
	int n = 0;
	size_t nl = strlen(needle);

	for (size_t i = 0; i + nl <= len; i++)
		if (memcmp(hay + i, needle, nl) == 0 && hay[i + nl] != 's')
			n++;
	return n;
}

Test(report, pdf_carries_a_long_table_over_pages)
{
	json_t *doc = doc_with_rows(400, "a note long enough to wrap in its column, twice over, "
	    "so rows are of more than one line");
	struct buf b = BUF_INIT(0);
	struct err err;

	cr_assert_eq(report_pdf(doc, REPORT_A4, &b, &err), 0, "%s", err.msg);
	cr_expect_eq(memcmp(b.data, "%PDF-", 5), 0);
	cr_expect_gt(count(b.data, b.len, "/Type /Page"), 10, "400 wrapped rows need many pages");
	buf_release(&b);
	json_decref(doc);
}

Test(report, pdf_of_an_empty_document_is_one_page)
{
	json_t *doc = json_object();
	struct buf b = BUF_INIT(0);
	struct err err;

	cr_assert_eq(report_pdf(doc, REPORT_LETTER, &b, &err), 0, "%s", err.msg);
	cr_expect_eq(count(b.data, b.len, "/Type /Page"), 1);
	buf_release(&b);
	json_decref(doc);
}

Test(report, pdf_larger_than_the_buffer_allows_is_an_error)
{
	json_t *doc = doc_with_rows(50, "x");
	struct buf b = BUF_INIT(1000);
	struct err err;

	cr_expect_eq(report_pdf(doc, REPORT_A4, &b, &err), SP_ETOOBIG);
	buf_release(&b);
	json_decref(doc);
}

Test(report, html_escapes_and_loads_nothing)
{
	json_t *doc = doc_with_rows(2, "<script>alert(1)</script> & \"q\"");
	struct buf b = BUF_INIT(0);
	struct err err;

	cr_assert_eq(report_html(doc, &b, &err), 0, "%s", err.msg);
	cr_expect_null(strstr(b.data, "<script>"));
	cr_expect_not_null(strstr(b.data, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot;"));
	cr_expect_null(strstr(b.data, "src="));
	cr_expect_null(strstr(b.data, "href="));
	cr_expect_not_null(strstr(b.data, "Safe to format: 1 of 1 cards"));
	buf_release(&b);
	json_decref(doc);
}

Test(report, csv_quotes_and_defuses_formulas)
{
	json_t *doc = doc_with_rows(0, "");
	struct buf b = BUF_INIT(0);
	struct err err;

	cr_assert_eq(report_csv(doc, &b, &err), 0, "%s", err.msg);
	cr_expect_str_eq(b.data, "card,file,note\r\n"
	    "A001,\"a,b\",'=cmd|' /C calc'!A0\r\n"
	    "A002,\"say \"\"cut\"\"\",-12.5\r\n");
	buf_release(&b);
	json_decref(doc);
}

Test(report, paper_names)
{
	cr_expect_eq(report_paper_parse(NULL), REPORT_A4);
	cr_expect_eq(report_paper_parse("A4"), REPORT_A4);
	cr_expect_eq(report_paper_parse("letter"), REPORT_LETTER);
	cr_expect_eq(report_paper_parse("a3"), -1);
}
