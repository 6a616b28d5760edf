/* ASC MHL manifests (lib/custody/mhl_read.c), read the way setpost reads a card's history:
 * the input is one manifest, or two separated by a NUL byte, put in a folder's ascmhl/ as
 * generations 1 and 2 with a chain that lists their true c4, then mhl_history_load. Checks:
 * the latest known files are sorted, unique, each a manifest path (relative, no '.' or '..'
 * component) that mhl_history_find finds, with well-formed hashes of the algorithms it
 * claims; the generations' counts are those of the manifests. */
#include "tests/fuzz/fuzz.h"
#include "lib/custody/mhl_int.h"

#include <fcntl.h>
#include <libxml/parser.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const fuzz_names[2] = { "0001_root_2026-01-01_100000Z.mhl",
	"0002_root_2026-01-02_100000Z.mhl" };
static char fuzz_root[64], fuzz_asc[96];

static void
fuzz_path(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", fuzz_asc, name);
}

static void
fuzz_cleanup(void)
{
	char p[160];

	for (int i = 0; i < 2; i++) {
		fuzz_path(p, sizeof(p), fuzz_names[i]);
		unlink(p);
	}
	fuzz_path(p, sizeof(p), MHL_CHAIN);
	unlink(p);
	rmdir(fuzz_asc);
	rmdir(fuzz_root);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	xmlInitParser();
	fuzz_tmpdir(fuzz_root, sizeof(fuzz_root), "mhl");
	snprintf(fuzz_asc, sizeof(fuzz_asc), "%s/%s", fuzz_root, MHL_DIR);
	if (mkdir(fuzz_asc, 0700) < 0)
		abort();
	atexit(fuzz_cleanup);
	return 0;
}

static void
fuzz_put(const char *name, const void *data, size_t size)
{
	char p[160];
	int fd;

	fuzz_path(p, sizeof(p), name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
		abort();
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t len[2] = { nul ? (size_t)(nul - data) : size, nul ? size - (size_t)(nul - data) - 1 : 0 };
	const uint8_t *part[2] = { data, nul ? nul + 1 : NULL };
	int ngen = nul ? 2 : 1;
	char c4[2][HASH_STR_MAX], chain[1024], p[160];
	struct mhl_history h;
	struct hash_value v;
	struct err err;

	for (int i = 0; i < ngen; i++) {
		fuzz_put(fuzz_names[i], part[i], len[i]);
		if (mhl_c4_of((const char *)part[i], len[i], c4[i], &err) < 0)
			abort();
	}
	if (ngen == 1) {
		fuzz_path(p, sizeof(p), fuzz_names[1]);
		unlink(p);
	}
	snprintf(chain, sizeof(chain), "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<ascmhldirectory xmlns=\"" MHL_CHAIN_NS "\">\n"
	    "<hashlist sequencenr=\"1\"><path>%s</path><c4>%s</c4></hashlist>\n%s%s%s%s%s"
	    "</ascmhldirectory>\n", fuzz_names[0], c4[0],
	    ngen > 1 ? "<hashlist sequencenr=\"2\"><path>" : "", ngen > 1 ? fuzz_names[1] : "",
	    ngen > 1 ? "</path><c4>" : "", ngen > 1 ? c4[1] : "", ngen > 1 ? "</c4></hashlist>\n" : "");
	fuzz_put(MHL_CHAIN, chain, strlen(chain));

	if (mhl_history_load(&h, fuzz_root, &err) < 0) {
		fuzz_check(h.files == NULL && h.hists == NULL, "a refused history left data");
		return 0;
	}
	fuzz_check(h.nhists >= 1 && h.hists[0].ngens == (size_t)ngen, "%zu generations of %d",
	    h.nhists ? h.hists[0].ngens : 0, ngen);
	for (size_t i = 0; i < h.nfiles; i++) {
		const struct mhl_entry *e = &h.files[i];
		fuzz_check(e->path && mhl_path_ok(e->path), "path '%s'", e->path ? e->path : "(null)");
		fuzz_check(i == 0 || strcmp(h.files[i - 1].path, e->path) < 0, "'%s' then '%s'",
		    h.files[i - 1].path, e->path);
		fuzz_check(mhl_history_find(&h, e->path) == e, "'%s' not found", e->path);
		for (int a = 0; a < HASH_NALGOS; a++)
			if (e->algos & HASH_BIT(a))
				fuzz_check(hash_value_parse((enum hash_algo)a, e->h[a].value, &v, NULL) == 0,
				    "'%s': hash %d '%s'", e->path, a, e->h[a].value);
	}
	mhl_history_release(&h);
	return 0;
}
