/* ASC MHL chain files (lib/custody/mhl_read.c): ascmhl/ascmhl_chain.xml, read from a folder as
 * setpost reads a card's history. Checks: every generation read names a plain file (no '/',
 * not hidden, not empty) with a well-formed c4 and a distinct, non-negative number; the
 * highest number is at least every listed one. */
#include "tests/fuzz/fuzz.h"
#include "lib/custody/mhl_int.h"

#include <fcntl.h>
#include <libxml/parser.h>
#include <unistd.h>

static char fuzz_dir[64], fuzz_file[128];
static int fuzz_dfd = -1;

static void
fuzz_cleanup(void)
{
	unlink(fuzz_file);
	rmdir(fuzz_dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	xmlInitParser();
	fuzz_tmpdir(fuzz_dir, sizeof(fuzz_dir), "chain");
	snprintf(fuzz_file, sizeof(fuzz_file), "%s/%s", fuzz_dir, MHL_CHAIN);
	if ((fuzz_dfd = open(fuzz_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		abort();
	atexit(fuzz_cleanup);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mhl_chain c = { 0 };
	struct hash_value v;
	struct err err;
	int present, mhls, fd = open(fuzz_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
		abort();
	close(fd);
	if (mhl_chain_load(fuzz_dfd, "fuzz/ascmhl", &c, &present, &err) == 0) {
		int top = mhl_last_seq(fuzz_dfd, &c, &mhls);

		fuzz_check(present, "the chain is there");
		for (size_t i = 0; i < c.n; i++) {
			const struct mhl_genrec *g = &c.gens[i];
			fuzz_check(g->seq >= 0 && g->seq <= top, "generation %d, top %d", g->seq, top);
			fuzz_check(g->file && g->file[0] && g->file[0] != '.' && !strchr(g->file, '/'),
			    "generation %d names '%s'", g->seq, g->file ? g->file : "(null)");
			fuzz_check(hash_value_parse(HASH_C4, g->c4, &v, NULL) == 0, "c4 '%s'", g->c4);
			for (size_t j = 0; j < i; j++)
				fuzz_check(c.gens[j].seq != g->seq, "generation %d twice", g->seq);
		}
	}
	mhl_chain_release(&c);
	return 0;
}
