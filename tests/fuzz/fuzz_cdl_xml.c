/* ASC CDL documents (.cc, .ccc, .cdl: lib/media/cdl.c). What is read validates, and the .ccc
 * setpost writes of it reads back as as many corrections with the same ids. */
#include "tests/fuzz/fuzz.h"
#include "lib/media/cdl.h"

#include <libxml/parser.h>

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	xmlInitParser();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cdl_set set = CDL_SET_INIT, again = CDL_SET_INIT;
	struct err err;
	char *text = NULL;
	size_t len;
	int n;

	n = cdl_read_mem((const char *)data, size, "fuzz.cdl", &set, &err);
	if (n < 0) {
		fuzz_check(set.n == 0 && set.v == NULL, "a refused document left corrections");
		return 0;
	}
	fuzz_check((size_t)n == set.n && n >= 1, "returned %d for %zu corrections", n, set.n);
	for (size_t i = 0; i < set.n; i++)
		fuzz_check(cdl_validate(&set.v[i], &err) == 0, "correction %zu read but invalid: %s",
		    i, err.msg);
	fuzz_check(cdl_write_ccc(set.v, set.n, &text, &len, &err) == 0, "cannot write what was read: "
	    "%s", err.msg);
	fuzz_check(cdl_read_mem(text, len, "again.ccc", &again, &err) == n,
	    "setpost's own .ccc does not read back: %s\n%s", err.msg, text);
	for (size_t i = 0; i < set.n; i++)
		fuzz_check(strcmp(set.v[i].id, again.v[i].id) == 0, "id '%s' came back as '%s'",
		    set.v[i].id, again.v[i].id);
	free(text);
	cdl_set_release(&again);
	cdl_set_release(&set);
	return 0;
}
