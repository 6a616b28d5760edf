/* Unit tests for lib/editorial/ale.c: build, write, read back; tolerant reading; strict writing;
 * ASC_SOP/ASC_SAT; the SPECS End = Start + Duration example. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/editorial/ale.h"

/* Writes *ale to a string (caller frees); returns ale_write's code. */
static int
write_str(const struct ale *ale, enum ale_eol eol, char **text, struct err *err)
{
	size_t len = 0;
	FILE *f = open_memstream(text, &len);
	int rc;

	cr_assert_not_null(f);
	rc = ale_write(ale, f, eol, err);
	fclose(f);
	return rc;
}

static void
parse_ok(const char *text, struct ale *ale)
{
	struct err err = { 0 };

	ale_init(ale);
	cr_assert_eq(ale_parse(text, strlen(text), ale, &err), 0, "%s", err.msg);
}

static void
parse_fails(const char *text, size_t len, int code, const char *why)
{
	struct ale ale = ALE_INIT;
	struct err err = { 0 };

	cr_expect_eq(ale_parse(text, len, &ale, &err), code, "%s", err.msg);
	cr_expect(strstr(err.msg, why) != NULL, "message \"%s\" lacks \"%s\"", err.msg, why);
	cr_expect_eq(ale.ncolumns, 0);
	cr_expect_null(ale.cells);
}

#define PARSE_FAILS(s, why) parse_fails(s, sizeof(s) - 1, SP_EINVAL, why)

static const char *const cols[] = {
	"Name", "Tracks", "Start", "End", "Duration", "Tape", "Source File", "Scene", "Take",
	"Circled", "Comments", "ASC_SOP", "ASC_SAT",
};
#define NCOLS (sizeof(cols) / sizeof(cols[0]))

static const char *const rows[][NCOLS] = {
	{ "A001C003_250101_R1AB", "VA1A2", "14:05:40:12", "14:05:52:00", "00:00:11:12",
	  "A001R1AB", "A001C003_250101_R1AB.mov", "14B", "3", "1", "",
	  "(0.8714 0.9334 0.9947)(-0.087 -0.0922 -0.0808)(0.9988 1.0218 1.0101)", "0.9" },
	{ "Sz\xC3\xA8ne_\xC3\x84rger", "V", "01:00:00:00", "01:00:01:00", "", "", "", "", "",
	  "", "caf\xC3\xA9 \xE6\x9D\xB1\xE4\xBA\xAC \xF0\x9F\x8E\xAC", "", "" },
	{ "\xE6\x9D\xB1\xE4\xBA\xAC_B002C001", "A1A2", "23:59:59:23", "00:00:00:23", "", "", "",
	  "", "", "", "", "", "" },
};
#define NROWS (sizeof(rows) / sizeof(rows[0]))

static void
build(struct ale *ale)
{
	struct timecode_rate r;
	struct err err = { 0 };

	ale_init(ale);
	cr_assert_eq(timecode_rate_parse("23.976", &r, &err), 0);
	cr_assert_eq(ale_heading_standard(ale, 1920, 1080, 48000, &r, &err), 0, "%s", err.msg);
	cr_assert_eq(ale_heading_set(ale, "FILM_FORMAT", "35mm,4perf", &err), 0);
	for (size_t c = 0; c < NCOLS; c++)
		cr_assert_eq(ale_column_add(ale, cols[c], &err), (int)c, "%s", err.msg);
	for (size_t i = 0; i < NROWS; i++) {
		cr_assert_eq(ale_row_add(ale, &err), (int)i);
		for (size_t c = 0; c < NCOLS; c++)
			cr_assert_eq(ale_cell_set(ale, i, cols[c], rows[i][c], &err), 0, "%s", err.msg);
	}
}

static void
expect_table(const struct ale *ale)
{
	cr_assert_eq(ale->ncolumns, NCOLS);
	cr_assert_eq(ale->nrows, NROWS);
	for (size_t c = 0; c < NCOLS; c++)
		cr_expect_str_eq(ale->columns[c], cols[c]);
	for (size_t i = 0; i < NROWS; i++)
		for (size_t c = 0; c < NCOLS; c++)
			cr_expect_str_eq(ale_cell(ale, i, c), rows[i][c], "row %zu col %s", i, cols[c]);
}

Test(ale, write_then_read_round_trip_crlf)
{
	static const char head[] = "Heading\r\nFIELD_DELIM\tTABS\r\nVIDEO_FORMAT\t1080\r\n"
		"AUDIO_FORMAT\t48khz\r\nFPS\t23.976\r\nFILM_FORMAT\t35mm,4perf\r\n\r\nColumn\r\n"
		"Name\tTracks\tStart\tEnd\tDuration\tTape\tSource File\tScene\tTake\tCircled\t"
		"Comments\tASC_SOP\tASC_SAT\r\n\r\nData\r\n";
	struct ale a, b;
	struct err err = { 0 };
	char *text = NULL;

	build(&a);
	cr_assert_eq(write_str(&a, ALE_EOL_CRLF, &text, &err), 0, "%s", err.msg);
	cr_expect_eq(strncmp(text, head, strlen(head)), 0, "got:\n%s", text);
	cr_expect(strstr(text, "\r\n\r\n\r\n") == NULL);
	cr_expect_eq(text[strlen(text) - 1], '\n');
	parse_ok(text, &b);
	cr_expect_str_eq(ale_heading_get(&b, "FIELD_DELIM"), "TABS");
	cr_expect_str_eq(ale_heading_get(&b, "VIDEO_FORMAT"), "1080");
	cr_expect_str_eq(ale_heading_get(&b, "AUDIO_FORMAT"), "48khz");
	cr_expect_str_eq(ale_heading_get(&b, "FPS"), "23.976");
	cr_expect_str_eq(ale_heading_get(&b, "FILM_FORMAT"), "35mm,4perf");
	cr_expect_eq(b.nheading, 5);
	expect_table(&b);
	cr_expect_str_eq(ale_get(&b, 1, "Name"), "Sz\xC3\xA8ne_\xC3\x84rger");
	cr_expect_str_eq(ale_get(&b, 2, "Name"), "\xE6\x9D\xB1\xE4\xBA\xAC_B002C001");
	cr_expect_null(ale_get(&b, 0, "Nope"));
	cr_expect_null(ale_get(&b, 9, "Name"));
	free(text);
	ale_release(&a);
	ale_release(&b);
	cr_expect_eq(b.nrows, 0);
	cr_expect_null(b.columns);
}

Test(ale, write_lf_exact_text)
{
	static const char want[] = "Heading\nFIELD_DELIM\tTABS\nVIDEO_FORMAT\tCUSTOM\n"
		"FPS\t29.97\n\nColumn\nName\tStart\tEnd\tTracks\n\nData\n"
		"clip 1\t01:00:00;00\t01:00:10;00\tV\n\t\t\t\n";
	struct timecode_rate r;
	struct ale a = ALE_INIT, b;
	struct err err = { 0 };
	char *text = NULL;

	cr_assert_eq(timecode_rate_parse("29.97 DF", &r, &err), 0);
	cr_assert_eq(ale_heading_standard(&a, 4096, 2160, 0, &r, &err), 0);
	ale_column_add(&a, "Name", &err);
	ale_column_add(&a, "Start", &err);
	ale_column_add(&a, "End", &err);
	ale_column_add(&a, "Tracks", &err);
	ale_row_add(&a, &err);
	ale_cell_set(&a, 0, "Name", "clip 1", &err);
	ale_cell_set(&a, 0, "Start", "01:00:00;00", &err);
	ale_cell_set(&a, 0, "End", "01:00:10;00", &err);
	ale_cell_set(&a, 0, "Tracks", "V", &err);
	ale_row_add(&a, &err);
	cr_assert_eq(write_str(&a, ALE_EOL_LF, &text, &err), 0, "%s", err.msg);
	cr_expect_str_eq(text, want);
	/* The all-empty row is a line of tabs, not a blank line, and reads back. */
	parse_ok(text, &b);
	cr_expect_eq(b.nrows, 2);
	cr_expect_str_eq(ale_get(&b, 1, "Tracks"), "");
	free(text);
	ale_release(&a);
	ale_release(&b);
}

Test(ale, write_rejects_bad_values_and_writes_nothing)
{
	struct ale a;
	struct err err = { 0 };
	char *text = NULL;
	char note[] = "line one\nline\ttwo\r\x1b";

	build(&a);
	cr_assert_eq(ale_cell_set(&a, 1, "Comments", "a\tb", &err), 0);
	cr_expect_eq(write_str(&a, ALE_EOL_CRLF, &text, &err), SP_EINVAL);
	cr_expect_str_eq(err.msg, "ALE data row 2, column Comments: value contains a tab "
	    "(ale_sanitize() makes free text safe)");
	cr_expect_str_eq(text, "");
	free(text);

	cr_assert_eq(ale_cell_set(&a, 1, "Comments", note, &err), 0);
	cr_expect_eq(write_str(&a, ALE_EOL_CRLF, &text, &err), SP_EINVAL);
	cr_expect(strstr(err.msg, "a line break") != NULL, "%s", err.msg);
	free(text);
	ale_sanitize(note);
	cr_expect_str_eq(note, "line one line two  ");
	cr_assert_eq(ale_cell_set(&a, 1, "Comments", note, &err), 0);
	cr_expect_eq(write_str(&a, ALE_EOL_CRLF, &text, &err), 0, "%s", err.msg);
	free(text);

	cr_assert_eq(ale_cell_set(&a, 0, "Scene", "\xC3\x28", &err), 0);
	cr_expect_eq(write_str(&a, ALE_EOL_CRLF, &text, &err), SP_EINVAL);
	cr_expect(strstr(err.msg, "invalid UTF-8") != NULL, "%s", err.msg);
	free(text);
	cr_assert_eq(ale_cell_set(&a, 0, "Scene", "\xED\xA0\x80", &err), 0); /* a surrogate */
	cr_expect_eq(write_str(&a, ALE_EOL_CRLF, &text, &err), SP_EINVAL);
	free(text);
	cr_assert_eq(ale_cell_set(&a, 0, "Scene", "\xE0\x80\xAF", &err), 0); /* overlong */
	cr_expect_eq(write_str(&a, ALE_EOL_CRLF, &text, &err), SP_EINVAL);
	free(text);
	cr_assert_eq(ale_cell_set(&a, 0, "Scene", "14B", &err), 0);

	cr_assert_eq(ale_heading_set(&a, "FIELD_DELIM", "COMMAS", &err), 0);
	cr_expect_eq(write_str(&a, ALE_EOL_CRLF, &text, &err), SP_EINVAL);
	cr_expect(strstr(err.msg, "only TABS") != NULL, "%s", err.msg);
	free(text);
	cr_assert_eq(ale_heading_set(&a, "FIELD_DELIM", "TABS", &err), 0);
	cr_assert_eq(ale_heading_set(&a, "TAPE", "A\tB", &err), 0);
	cr_expect_eq(write_str(&a, ALE_EOL_CRLF, &text, &err), SP_EINVAL);
	cr_expect(strstr(err.msg, "heading TAPE: value contains a tab") != NULL, "%s", err.msg);
	free(text);
	ale_release(&a);
}

Test(ale, write_requires_heading_and_columns)
{
	struct ale a = ALE_INIT;
	struct err err = { 0 };
	char *text = NULL;

	ale_column_add(&a, "Name", &err);
	ale_column_add(&a, "Start", &err);
	cr_expect_eq(write_str(&a, ALE_EOL_LF, &text, &err), SP_EINVAL);
	cr_expect_str_eq(err.msg, "ALE heading: VIDEO_FORMAT is missing");
	free(text);
	ale_heading_set(&a, "VIDEO_FORMAT", "1080", &err);
	cr_expect_eq(write_str(&a, ALE_EOL_LF, &text, &err), SP_EINVAL);
	cr_expect_str_eq(err.msg, "ALE heading: FPS is missing");
	free(text);
	ale_heading_set(&a, "FPS", "25", &err);
	cr_expect_eq(write_str(&a, ALE_EOL_LF, &text, &err), SP_EINVAL);
	cr_expect_str_eq(err.msg, "ALE: column End is missing");
	free(text);
	ale_column_add(&a, "End", &err);
	cr_expect_eq(write_str(&a, ALE_EOL_LF, &text, &err), 0, "%s", err.msg);
	free(text);
	ale_release(&a);
}

Test(ale, table_api_errors)
{
	struct ale a = ALE_INIT;
	struct err err = { 0 };
	struct timecode_rate bad = { 12, 1, false };

	cr_expect_eq(ale_row_add(&a, &err), SP_ECONFLICT);
	cr_expect_eq(ale_column_add(&a, "", &err), SP_EINVAL);
	cr_expect_eq(ale_column_add(&a, "Name", &err), 0);
	cr_expect_eq(ale_column_add(&a, "Name", &err), SP_EINVAL);
	cr_expect(strstr(err.msg, "appears twice") != NULL, "%s", err.msg);
	cr_expect_eq(ale_heading_set(&a, "", "x", &err), SP_EINVAL);
	cr_expect_eq(ale_row_add(&a, &err), 0);
	cr_expect_eq(ale_column_add(&a, "Start", &err), SP_ECONFLICT);
	cr_expect_eq(ale_cell_set(&a, 0, "Start", "x", &err), SP_ENOTFOUND);
	cr_expect_eq(ale_cell_set(&a, 5, "Name", "x", &err), SP_EINVAL);
	cr_expect_eq(ale_cell_set(&a, 0, "Name", "x", &err), 0);
	cr_expect_eq(ale_cell_set(&a, 0, "Name", NULL, &err), 0);
	cr_expect_str_eq(ale_get(&a, 0, "Name"), "");
	cr_expect_null(ale_cell(&a, 0, 1));
	cr_expect_eq(ale_heading_standard(&a, 1920, 1080, 48000, &bad, &err), SP_EINVAL);
	ale_release(&a);
}

Test(ale, video_and_audio_formats)
{
	char s[16];

	cr_expect_str_eq(ale_video_format(1920, 1080), "1080");
	cr_expect_str_eq(ale_video_format(1440, 1080), "1080");
	cr_expect_str_eq(ale_video_format(2048, 1080), "CUSTOM");
	cr_expect_str_eq(ale_video_format(1280, 720), "720");
	cr_expect_str_eq(ale_video_format(720, 576), "PAL");
	cr_expect_str_eq(ale_video_format(720, 486), "NTSC");
	cr_expect_str_eq(ale_video_format(3840, 2160), "CUSTOM");
	cr_expect_str_eq(ale_video_format(0, 0), "CUSTOM");
	ale_audio_format(48000, s);
	cr_expect_str_eq(s, "48khz");
	ale_audio_format(44100, s);
	cr_expect_str_eq(s, "44khz");
	ale_audio_format(96000, s);
	cr_expect_str_eq(s, "96khz");
}

/* Shaped like a DaVinci Resolve export (OTIO's sample_blanks.ale): blank lines
 * between every line, and a trailing tab after the column names and each row. */
Test(ale, reads_resolve_style_blanks_and_trailing_tabs)
{
	static const char text[] = "Heading\n\nFIELD_DELIM\tTABS\n\nVIDEO_FORMAT\t1080\n\n"
		"AUDIO_FORMAT\t48khz\n\nFPS\t25\n\n\n\nColumn\n\nName\tTracks\tStart\tEnd\tTake\t\n"
		"\n\n\nData\n\nA020C003_150905_E2XZ.mov\tV\t05:42:12:20\t05:42:30:12\t\t\n\n";
	struct ale a;

	parse_ok(text, &a);
	cr_assert_eq(a.ncolumns, 5);
	cr_assert_eq(a.nrows, 1);
	cr_expect_str_eq(ale_get(&a, 0, "End"), "05:42:30:12");
	cr_expect_str_eq(ale_get(&a, 0, "Take"), "");
	ale_release(&a);
}

Test(ale, reads_any_line_ending_bom_and_free_column_order)
{
	static const char *const texts[] = {
		"Heading\r\nFPS\t25\r\nTAPE\r\n\r\nColumn\r\nEnd\tName\tStart\r\n\r\nData\r\n"
		"10:00:01:00\tx\t10:00:00:00\r\n",
		"Heading\rFPS\t25\rTAPE\r\rColumn\rEnd\tName\tStart\r\rData\r"
		"10:00:01:00\tx\t10:00:00:00",
		"\xEF\xBB\xBFHeading  \n FPS \t 25 \nTAPE\n   \nColumn\t\nEnd\tName\tStart\n \t\n"
		"Data \n10:00:01:00\tx\t10:00:00:00\n   \n",
	};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct ale a;

		parse_ok(texts[i], &a);
		cr_expect_str_eq(ale_heading_get(&a, "FPS"), "25", "text %zu", i);
		cr_expect_str_eq(ale_heading_get(&a, "TAPE"), "", "text %zu", i);
		cr_assert_eq(a.nrows, 1, "text %zu", i);
		cr_expect_str_eq(ale_get(&a, 0, "Start"), "10:00:00:00", "text %zu", i);
		cr_expect_str_eq(ale_get(&a, 0, "End"), "10:00:01:00", "text %zu", i);
		cr_expect_str_eq(ale_get(&a, 0, "Name"), "x", "text %zu", i);
		ale_release(&a);
	}
}

Test(ale, read_errors_name_the_line)
{
	PARSE_FAILS("", "no Heading section");
	PARSE_FAILS("\n\n", "no Heading section");
	PARSE_FAILS("Hello\n", "line 1: expected \"Heading\", found \"Hello\"");
	PARSE_FAILS("heading\n", "line 1: expected \"Heading\"");
	PARSE_FAILS("Heading\nFPS\t25\n", "no Column section");
	PARSE_FAILS("Heading\nFPS\t25\nData\n", "line 3: Data before Column");
	PARSE_FAILS("Heading\n\tx\n", "line 2: heading line without a key");
	PARSE_FAILS("Heading\nColumn\n", "no column names");
	PARSE_FAILS("Heading\nColumn\nData\n", "line 3: no column names before Data");
	PARSE_FAILS("Heading\nColumn\nName\tStart\n", "no Data section");
	PARSE_FAILS("Heading\nColumn\nName\tStart\nName\n", "line 4: expected \"Data\"");
	PARSE_FAILS("Heading\nColumn\nName\t\tStart\nData\n", "line 3: column 2 has no name");
	PARSE_FAILS("Heading\nColumn\nName\tStart\tName\nData\n",
	    "line 3: ALE column \"Name\": appears twice");
	PARSE_FAILS("Heading\r\nColumn\r\nName\tStart\tEnd\r\nData\r\na\tb\tc\r\n\r\na\tb\r\n",
	    "line 7: 2 fields, expected 3 (one per column)");
	PARSE_FAILS("Heading\nColumn\nName\tStart\nData\na\tb\tc\td\n",
	    "line 5: 4 fields, expected 2");
	PARSE_FAILS("Heading\nColumn\nName\tStart\nData\na\tb\tc\n", "line 5: 3 fields");
	parse_fails("Heading\nCol\0umn\n", 16, SP_EINVAL, "NUL byte at offset 11");
}

Test(ale, read_limits)
{
	size_t n = (ALE_MAX_COLUMNS + 1) * 6 + 64, len;
	char *text = malloc(n);
	struct ale a = ALE_INIT;
	struct err err = { 0 };

	len = (size_t)snprintf(text, n, "Heading\nColumn\n");
	for (int i = 0; i <= ALE_MAX_COLUMNS; i++)
		len += (size_t)snprintf(text + len, n - len, "c%d\t", i);
	len += (size_t)snprintf(text + len, n - len, "\nData\n");
	cr_assert_lt(len, n);
	cr_expect_eq(ale_parse(text, len, &a, &err), SP_ETOOBIG);
	cr_expect(strstr(err.msg, "line 3: ALE: more than 1024 columns") != NULL, "%s", err.msg);
	free(text);
	cr_expect_eq(ale_parse("", (size_t)ALE_FILE_MAX + 1, &a, &err), SP_ETOOBIG);
}

Test(ale, file_round_trip_and_missing_file)
{
	char path[] = "/tmp/test_ale.XXXXXX";
	struct ale a, b = ALE_INIT;
	struct err err = { 0 };
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	build(&a);
	cr_assert_eq(ale_write(&a, f, ALE_EOL_CRLF, &err), 0, "%s", err.msg);
	fclose(f);
	cr_assert_eq(ale_read_file(path, &b, &err), 0, "%s", err.msg);
	expect_table(&b);
	ale_release(&b);
	unlink(path);
	cr_expect_eq(ale_read_file(path, &b, &err), SP_ENOTFOUND);
	cr_expect(strstr(err.msg, path) != NULL, "%s", err.msg);
	cr_expect_eq(ale_read_file("/tmp", &b, &err), SP_EINVAL);
	ale_release(&a);
}

/* SPECS 6.1, from OTIO's sample_cdl.ale: End is exclusive, Start + Duration = End. */
Test(ale, sample_cdl_end_is_start_plus_duration)
{
	static const char text[] = "Heading\nFIELD_DELIM\tTABS\nVIDEO_FORMAT\t1080\n"
		"AUDIO_FORMAT\t48khz\nFPS\t23.976\n\nColumn\n"
		"Name\tTracks\tStart\tEnd\tDuration\tASC_SOP\tASC_SAT\n\nData\n"
		"ZZ100_501.LAY3.01\tV\t17:49:33:01\t17:49:35:10\t00:00:02:09\t"
		"(0.8714 0.9334 0.9947) (-0.087 -0.0922 -0.0808) (0.9988 1.0218 1.0101)\t0.9\n";
	struct timecode_rate r;
	struct ale a;
	struct err err = { 0 };
	char end[TIMECODE_BUFSZ];
	double s[3], o[3], p[3], sat;
	int64_t start, dur;

	parse_ok(text, &a);
	cr_assert_eq(timecode_rate_parse(ale_heading_get(&a, "FPS"), &r, &err), 0, "%s", err.msg);
	cr_assert_eq(timecode_parse(ale_get(&a, 0, "Start"), &r, &start, &err), 0, "%s", err.msg);
	cr_assert_eq(timecode_parse(ale_get(&a, 0, "Duration"), &r, &dur, &err), 0, "%s", err.msg);
	cr_assert_eq(timecode_format(&r, start + dur, end, &err), 0);
	cr_expect_str_eq(end, ale_get(&a, 0, "End"));
	cr_expect_str_eq(end, "17:49:35:10");
	cr_assert_eq(ale_sop_parse(ale_get(&a, 0, "ASC_SOP"), s, o, p, &err), 0, "%s", err.msg);
	cr_expect_float_eq(s[1], 0.9334, 1e-12);
	cr_expect_float_eq(o[0], -0.087, 1e-12);
	cr_expect_float_eq(p[2], 1.0101, 1e-12);
	cr_assert_eq(ale_sat_parse(ale_get(&a, 0, "ASC_SAT"), &sat, &err), 0);
	cr_expect_float_eq(sat, 0.9, 1e-12);
	ale_release(&a);
}

Test(ale, sop_format)
{
	const double s[3] = { 0.8714, 0.9334, 0.9947 }, o[3] = { -0.087, -0.0922, -0.0808 },
	    p[3] = { 0.9988, 1.0218, 1.0101 }, one[3] = { 1, 1, 1 }, zero[3] = { -0.0, 0, 1e-9 };
	const double neg[3] = { 1, -0.1, 1 }, nop[3] = { 1, 0, 1 }, big[3] = { 1e300, 1, 1 };
	const double nan3[3] = { NAN, 1, 1 };
	char out[ALE_SOP_BUFSZ];
	struct err err = { 0 };

	cr_assert_eq(ale_sop_format(s, o, p, out, &err), 0, "%s", err.msg);
	cr_expect_str_eq(out, "(0.8714 0.9334 0.9947)(-0.087 -0.0922 -0.0808)(0.9988 1.0218 1.0101)");
	cr_assert_eq(ale_sop_format(one, zero, one, out, &err), 0, "%s", err.msg);
	cr_expect_str_eq(out, "(1.0 1.0 1.0)(0.0 0.0 0.0)(1.0 1.0 1.0)");
	cr_expect_eq(ale_sop_format(neg, o, p, out, &err), SP_EINVAL);
	cr_expect_str_eq(err.msg, "ASC_SOP slope green -0.1: must be >= 0");
	cr_expect_eq(ale_sop_format(s, o, nop, out, &err), SP_EINVAL);
	cr_expect_str_eq(err.msg, "ASC_SOP power green 0: must be > 0");
	cr_expect_eq(ale_sop_format(big, o, p, out, &err), SP_EINVAL);
	cr_expect_eq(ale_sop_format(s, nan3, p, out, &err), SP_EINVAL);
}

Test(ale, sop_parse_tolerates_blanks_and_round_trips)
{
	double s[3], o[3], p[3];
	char out[ALE_SOP_BUFSZ];
	struct err err = { 0 };

	cr_assert_eq(ale_sop_parse(" ( 1.1  1 .5 )\t(0 -0.25 +1e-2)  (1 1 2.5) ", s, o, p, &err),
	    0, "%s", err.msg);
	cr_expect_float_eq(s[0], 1.1, 1e-12);
	cr_expect_float_eq(s[2], 0.5, 1e-12);
	cr_expect_float_eq(o[1], -0.25, 1e-12);
	cr_expect_float_eq(o[2], 0.01, 1e-12);
	cr_expect_float_eq(p[2], 2.5, 1e-12);
	cr_assert_eq(ale_sop_format(s, o, p, out, &err), 0);
	cr_expect_str_eq(out, "(1.1 1.0 0.5)(0.0 -0.25 0.01)(1.0 1.0 2.5)");
	{
		double s2[3], o2[3], p2[3];

		cr_assert_eq(ale_sop_parse(out, s2, o2, p2, &err), 0, "%s", err.msg);
		for (int i = 0; i < 3; i++) {
			cr_expect_eq(s2[i], s[i]);
			cr_expect_eq(o2[i], o[i]);
			cr_expect_eq(p2[i], p[i]);
		}
	}
}

Test(ale, sop_parse_rejects)
{
	static const char *const bad[] = {
		"", "(1 1 1)(0 0 0)", "(1 1)(0 0 0)(1 1 1)", "(1 1 1)(0 0 0)(1 1 1)x",
		"(1 1 1)(0 0 0)(1 1 1)(1 1 1)", "(1,1,1)(0,0,0)(1,1,1)", "(nan 1 1)(0 0 0)(1 1 1)",
		"(inf 1 1)(0 0 0)(1 1 1)", "(0x1 1 1)(0 0 0)(1 1 1)", "(1e999 1 1)(0 0 0)(1 1 1)",
		"(1 1 1)(0 0 0)(1 1 1", "1 1 1 0 0 0 1 1 1", "(1-2 1 1)(0 0 0)(1 1 1)",
		"(1 1 1)(0 0 0)(1 1 0)", "(-1 1 1)(0 0 0)(1 1 1)", "(1 1 1)(0 0 0)(1 1 -1)",
		"(1 1 1) (0 0 0) (1 1 1) 0.9",
	};
	double s[3], o[3], p[3];
	struct err err = { 0 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&err);
		cr_expect_eq(ale_sop_parse(bad[i], s, o, p, &err), SP_EINVAL, "%s", bad[i]);
		cr_expect(strstr(err.msg, "ASC_SOP") != NULL, "%s: %s", bad[i], err.msg);
	}
}

Test(ale, sat)
{
	char out[ALE_SAT_BUFSZ];
	struct err err = { 0 };
	double v;

	cr_assert_eq(ale_sat_format(0.9, out, &err), 0);
	cr_expect_str_eq(out, "0.9");
	cr_assert_eq(ale_sat_format(1, out, &err), 0);
	cr_expect_str_eq(out, "1.0");
	cr_assert_eq(ale_sat_format(1.068, out, &err), 0);
	cr_expect_str_eq(out, "1.068");
	cr_expect_eq(ale_sat_format(-0.5, out, &err), SP_EINVAL);
	cr_expect_eq(ale_sat_format(INFINITY, out, &err), SP_EINVAL);
	cr_expect_eq(ale_sat_format(1e40, out, &err), SP_EINVAL);
	cr_assert_eq(ale_sat_parse(" 1.0680\t", &v, &err), 0);
	cr_expect_float_eq(v, 1.068, 1e-12);
	cr_expect_eq(ale_sat_parse("-1", &v, &err), SP_EINVAL);
	cr_expect_str_eq(err.msg, "ASC_SAT \"-1\": must be >= 0");
	cr_expect_eq(ale_sat_parse("abc", &v, &err), SP_EINVAL);
	cr_expect_eq(ale_sat_parse("", &v, &err), SP_EINVAL);
	cr_expect_eq(ale_sat_parse("1 2", &v, &err), SP_EINVAL);
	cr_expect_eq(ale_sat_parse("nan", &v, &err), SP_EINVAL);
}
