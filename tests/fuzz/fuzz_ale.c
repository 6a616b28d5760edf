/* Avid Log Exchange files (lib/editorial/ale.c). A refusal leaves the struct empty; what is
 * read has rows of exactly the column count, and if setpost's writer accepts it, the file it
 * writes reads back to the same heading, columns and cells. ASC_SOP and ASC_SAT cells go
 * through their own parsers, whose accepted values format and read back. */
#include "tests/fuzz/fuzz.h"
#include "lib/editorial/ale.h"

static void
fuzz_sop(const char *s)
{
	double sl[3], of[3], pw[3], sl2[3], of2[3], pw2[3], sat;
	char out[ALE_SOP_BUFSZ], sout[ALE_SAT_BUFSZ];
	struct err err;

	if (ale_sop_parse(s, sl, of, pw, &err) == 0 && ale_sop_format(sl, of, pw, out, &err) == 0)
		fuzz_check(ale_sop_parse(out, sl2, of2, pw2, &err) == 0, "ASC_SOP '%s' written as '%s' "
		    "does not read back: %s", s, out, err.msg);
	if (ale_sat_parse(s, &sat, &err) == 0 && ale_sat_format(sat, sout, &err) == 0)
		fuzz_check(ale_sat_parse(sout, &sat, &err) == 0, "ASC_SAT '%s' written as '%s' does "
		    "not read back: %s", s, sout, err.msg);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ale a = ALE_INIT, b = ALE_INIT;
	struct err err;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	if (ale_parse((const char *)data, size, &a, &err) < 0) {
		fuzz_check(a.nheading == 0 && a.ncolumns == 0 && a.nrows == 0 && a.cells == NULL,
		    "a refused file left data");
		return 0;
	}
	for (size_t r = 0; r < a.nrows; r++)
		for (size_t c = 0; c < a.ncolumns; c++)
			(void)strlen(ale_cell(&a, r, c));
	if (a.nrows > 0 && ale_get(&a, 0, "ASC_SOP"))
		fuzz_sop(ale_get(&a, 0, "ASC_SOP"));
	if (a.nrows > 0 && ale_get(&a, 0, "ASC_SAT"))
		fuzz_sop(ale_get(&a, 0, "ASC_SAT"));
	if ((f = open_memstream(&text, &len)) == NULL)
		abort();
	int wrote = ale_write(&a, f, ALE_EOL_LF, &err);
	fclose(f);
	if (wrote == 0) {
		fuzz_check(ale_parse(text, len, &b, &err) == 0, "setpost's own ALE does not read back: "
		    "%s", err.msg);
		fuzz_check(b.ncolumns == a.ncolumns && b.nrows == a.nrows, "%zux%zu came back as %zux%zu",
		    a.ncolumns, a.nrows, b.ncolumns, b.nrows);
		for (size_t c = 0; c < a.ncolumns; c++)
			fuzz_check(strcmp(a.columns[c], b.columns[c]) == 0, "column '%s' came back as "
			    "'%s'", a.columns[c], b.columns[c]);
		for (size_t r = 0; r < a.nrows; r++)
			for (size_t c = 0; c < a.ncolumns; c++)
				fuzz_check(strcmp(ale_cell(&a, r, c), ale_cell(&b, r, c)) == 0,
				    "cell %zu,%zu changed", r, c);
		for (size_t i = 0; i < a.nheading; i++)
			fuzz_check(strcmp(ale_heading_get(&b, a.heading[i].key) ?
			    ale_heading_get(&b, a.heading[i].key) : "(none)",
			    a.heading[i].value ? a.heading[i].value : "") == 0,
			    "heading %s changed", a.heading[i].key);
	}
	free(text);
	ale_release(&b);
	ale_release(&a);
	return 0;
}
