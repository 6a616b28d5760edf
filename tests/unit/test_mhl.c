/* Unit tests for lib/mhl: directory hash vectors (SPECS.md 3.5), writing
 * generations that the ASC XSDs accept, reading them back and reading other
 * tools' manifests, tamper evidence, nested histories, verify reports.
 * Run from the repository root (the XSDs are read from tests/fixtures/xsd). */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/core/hash.h"
#include "lib/custody/mhl.h"

extern char **environ;

#define XSD_MANIFEST "tests/fixtures/xsd/ASCMHL.xsd"
#define XSD_CHAIN "tests/fixtures/xsd/ASCMHLDirectory.xsd"
#define T0 ((time_t)1579166100) /* 2020-01-16T09:15:00Z */

static const char blorem[] = "BLOREM ipsum dolor sit amet, consetetur sadipscing elitr.\n";

/* --- helpers ------------------------------------------------------------- */

static char tmpdir[64];

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void
tmp_setup(void)
{
	strcpy(tmpdir, "/tmp/sp_test_mhl_XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
}

static void
tmp_teardown(void)
{
	nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* tmpdir + "/" + rel, in one of a few rotating static buffers. */
static const char *
at(const char *rel)
{
	static char bufs[8][1024];
	static int next;
	char *b = bufs[next++ % 8];

	snprintf(b, sizeof(bufs[0]), "%s/%s", tmpdir, rel);
	return b;
}

static void
mkdirs_for(const char *path)
{
	char buf[1024];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + strlen(tmpdir) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		cr_assert(mkdir(buf, 0755) == 0 || errno == EEXIST, "mkdir %s", buf);
		*p = '/';
	}
}

static void
put(const char *rel, const char *data, size_t len)
{
	const char *path = at(rel);
	FILE *f;

	mkdirs_for(path);
	f = fopen(path, "wb");
	cr_assert_not_null(f, "fopen %s", path);
	cr_assert_eq(fwrite(data, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

static void
puts0(const char *rel, const char *text)
{
	put(rel, text, strlen(text));
}

static char *
slurp(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long len;

	cr_assert_not_null(f, "open %s", path);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)len + 1);
	cr_assert_eq(fread(buf, 1, (size_t)len, f), (size_t)len);
	buf[len] = '\0';
	fclose(f);
	if (lenp != NULL)
		*lenp = (size_t)len;
	return buf;
}

/* Runs argv with stdout and stderr into log (a file). */
static int
run(char *const argv[], const char *log)
{
	posix_spawn_file_actions_t fa;
	int status;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	cr_assert_eq(posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ), 0, "spawn %s", argv[0]);
	posix_spawn_file_actions_destroy(&fa);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void
assert_valid(const char *xsd, const char *file)
{
	char a0[] = "xmllint", a1[] = "--noout", a2[] = "--schema", a3[512], a4[1024];
	char *argv[] = { a0, a1, a2, a3, a4, NULL };
	const char *log = at("xmllint.log");

	snprintf(a3, sizeof(a3), "%s", xsd);
	snprintf(a4, sizeof(a4), "%s", file);
	if (run(argv, log) != 0)
		cr_assert_fail("xmllint --schema %s %s: %s", xsd, file, slurp(log, NULL));
}

static struct mhl_generation
gen_for(const struct mhl_report *rep, time_t created)
{
	struct mhl_generation g = {
		.created = created,
		.hostname = "dit-cart.local",
		.tool_version = "0.1.0",
		.process = MHL_PROCESS_IN_PLACE,
		.entries = rep->entries,
		.nentries = rep->nentries,
		.dir_algo = HASH_XXH64,
	};
	return g;
}

static void
verify(const char *root, const struct mhl_history *h, unsigned algos, struct mhl_report *rep)
{
	struct mhl_verify_opts o = { .algos = algos, .now = T0 };
	struct err err = { 0 };

	cr_assert_eq(mhl_verify(root, h, &o, rep, &err), 0, "%s", err.msg);
}

static void
load(const char *root, struct mhl_history *h)
{
	struct err err = { 0 };

	cr_assert_eq(mhl_history_load(h, root, &err), 0, "%s", err.msg);
}

static void
scenario_tree(const char *top)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/Clips/A002C006_141024_R2EC.mov", top);
	puts0(p, "abcd\n");
	snprintf(p, sizeof(p), "%s/Clips/A002C007_141024_R2EC.mov", top);
	puts0(p, "def\n");
	snprintf(p, sizeof(p), "%s/Sidecar.txt", top);
	puts0(p, blorem);
}

/* Verifies root against its history and writes the next generation. */
static void
seal(const char *root, time_t created, struct mhl_written *w)
{
	struct mhl_history h;
	struct mhl_report rep;
	struct mhl_generation g;
	struct err err = { 0 };

	load(root, &h);
	verify(root, &h, HASH_BIT(HASH_XXH64), &rep);
	g = gen_for(&rep, created);
	cr_assert_eq(mhl_write_generation(root, &g, w, &err), 0, "%s", err.msg);
	mhl_report_release(&rep);
	mhl_history_release(&h);
}

static struct hash_value
xv(const char *hex)
{
	struct hash_value v;

	cr_assert_eq(hash_value_parse(HASH_XXH64, hex, &v, NULL), 0);
	return v;
}

/* --- directory hashes ------------------------------------------------------ */

Test(mhl, dirhash_spec_vectors)
{
	struct mhl_dirhash_ctx ctx;
	struct mhl_dirhash clips, root;
	struct hash_value f1 = xv("0ea03b369a463d9d"), f2 = xv("7680e5f98f4a80fd");
	struct hash_value side = xv("3ab5a4166b9bde44");

	mhl_dirhash_init(&ctx, HASH_XXH64);
	/* Order of addition must not matter: add in reverse. */
	cr_assert_eq(mhl_dirhash_add_file(&ctx, "A002C007_141024_R2EC.mov", &f2, NULL), 0);
	cr_assert_eq(mhl_dirhash_add_file(&ctx, "A002C006_141024_R2EC.mov", &f1, NULL), 0);
	cr_assert_eq(mhl_dirhash_final(&ctx, &clips, NULL), 0);
	mhl_dirhash_release(&ctx);
	cr_assert_str_eq(clips.content.str, "4c226b42e27d7af3");
	cr_assert_str_eq(clips.structure.str, "906faa843d591a9f");

	mhl_dirhash_init(&ctx, HASH_XXH64);
	cr_assert_eq(mhl_dirhash_add_file(&ctx, "Sidecar.txt", &side, NULL), 0);
	cr_assert_eq(mhl_dirhash_add_dir(&ctx, "Clips", &clips, NULL), 0);
	cr_assert_eq(mhl_dirhash_final(&ctx, &root, NULL), 0);
	mhl_dirhash_release(&ctx);
	cr_assert_str_eq(root.content.str, "8d02114c32e28cbe");
	cr_assert_str_eq(root.structure.str, "f557f8ca8e5a88ef");
}

Test(mhl, dirhash_empty_is_hash_of_nothing_and_algo_checked)
{
	struct mhl_dirhash_ctx ctx;
	struct mhl_dirhash d;
	struct hash_value md5;
	struct err err = { 0 };

	mhl_dirhash_init(&ctx, HASH_XXH64);
	cr_assert_eq(mhl_dirhash_final(&ctx, &d, NULL), 0);
	cr_assert_str_eq(d.content.str, "ef46db3751d8e999");
	cr_assert_str_eq(d.structure.str, "ef46db3751d8e999");
	cr_assert_eq(hash_value_parse(HASH_MD5, "d41d8cd98f00b204e9800998ecf8427e", &md5, NULL), 0);
	cr_assert_eq(mhl_dirhash_add_file(&ctx, "x", &md5, &err), SP_EINVAL);
	mhl_dirhash_release(&ctx);
}

/* --- writing --------------------------------------------------------------- */

Test(mhl, scenario_generation_matches_reference_hashes, .init = tmp_setup, .fini = tmp_teardown)
{
	struct mhl_written w;
	char *xml, path[512];

	scenario_tree("A002R2EC");
	seal(at("A002R2EC"), T0, &w);
	cr_assert_eq(w.generation, 1);
	cr_assert_str_eq(w.manifest, "0001_A002R2EC_2020-01-16_091500Z.mhl");
	cr_assert(w.has_roothash);
	cr_assert_str_eq(w.roothash.content.str, "8d02114c32e28cbe");
	cr_assert_str_eq(w.roothash.structure.str, "f557f8ca8e5a88ef");

	snprintf(path, sizeof(path), "%s/ascmhl/%s", at("A002R2EC"), w.manifest);
	assert_valid(XSD_MANIFEST, path);
	assert_valid(XSD_CHAIN, at("A002R2EC/ascmhl/ascmhl_chain.xml"));
	xml = slurp(path, NULL);
	cr_assert(strncmp(xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			  "<hashlist version=\"2.0\" xmlns=\"urn:ASC:MHL:v2.0\">", 88) == 0, "%s", xml);
	cr_assert(strstr(xml, "<creationdate>2020-01-16T09:15:00+00:00</creationdate>"));
	cr_assert(strstr(xml, "<tool version=\"0.1.0\">setpost</tool>"));
	cr_assert(strstr(xml, "<process>in-place</process>"));
	cr_assert(strstr(xml, "<xxh64 action=\"original\" hashdate=\"2020-01-16T09:15:00+00:00\">"
			  "0ea03b369a463d9d</xxh64>"), "%s", xml);
	cr_assert(strstr(xml, ">4c226b42e27d7af3</xxh64>"));
	cr_assert(strstr(xml, ">906faa843d591a9f</xxh64>"));
	/* The reference order: a folder's files, then its directoryhash, then the rest. */
	cr_assert(strstr(xml, "A002C007_141024_R2EC.mov") < strstr(xml, "<directoryhash>"));
	cr_assert(strstr(xml, "<directoryhash>") < strstr(xml, "Sidecar.txt"));
	free(xml);
}

static const char *const awkward[] = {
	"Clips & Co/A <b> \"q\" 'a'.mov",
	"spaces  in  name .txt",
	"Ünïcödé/日本語/クリップ.mov",
	"Ünïcödé/émpty folder",       /* made a directory below */
	"a/b/c/d/deep.bin",
	"x]]>y.txt",
};

static void
awkward_tree(void)
{
	for (size_t i = 0; i < sizeof(awkward) / sizeof(awkward[0]); i++) {
		char rel[256];

		snprintf(rel, sizeof(rel), "card/%s", awkward[i]);
		if (strstr(rel, "empty") || strstr(rel, "émpty")) {
			snprintf(rel, sizeof(rel), "card/%s/x", awkward[i]);
			mkdirs_for(at(rel));
			continue;
		}
		put(rel, awkward[i], strlen(awkward[i]) * (i + 1) % 7);
	}
	puts0("card/.DS_Store", "junk");
	puts0("card/Clips & Co/._A.mov", "junk");
	puts0("card/.Trashes/501/gone.mov", "junk");
	puts0("card/System Volume Information/IndexerVolumeGuid", "junk");
}

Test(mhl, awkward_names_two_generations, .init = tmp_setup, .fini = tmp_teardown)
{
	struct mhl_author who[] = { { "Zoë & <Co>", "dit@example.com", "+1 555", "DIT" } };
	struct mhl_history h;
	struct mhl_report rep;
	struct mhl_generation g;
	struct mhl_written w1, w2;
	struct err err = { 0 };
	char p1[512], p2[512], *before, *after, *xml;
	size_t l1, l2;

	awkward_tree();
	load(at("card"), &h);
	cr_assert_eq(h.nhists, 1);
	cr_assert_eq(h.hists[0].ngens, 0);
	verify(at("card"), &h, HASH_BIT(HASH_XXH64) | HASH_BIT(HASH_MD5), &rep);
	cr_assert_eq(rep.nnew, 5);
	cr_assert_eq(rep.nverified + rep.nfailed + rep.nmissing, 0);
	g = gen_for(&rep, T0);
	g.authors = who;
	g.nauthors = 1;
	g.location = "Stage 5 & <Lot>";
	g.comment = "day 1\nroll A & B";
	g.process = MHL_PROCESS_TRANSFER;
	cr_assert_eq(mhl_write_generation(at("card"), &g, &w1, &err), 0, "%s", err.msg);
	mhl_report_release(&rep);
	mhl_history_release(&h);

	snprintf(p1, sizeof(p1), "%s/ascmhl/%s", at("card"), w1.manifest);
	assert_valid(XSD_MANIFEST, p1);
	assert_valid(XSD_CHAIN, at("card/ascmhl/ascmhl_chain.xml"));
	before = slurp(p1, &l1);
	cr_assert(strstr(before, "Clips &amp; Co/A &lt;b&gt;"), "%s", before);
	cr_assert(strstr(before, "Ünïcödé/émpty folder"));

	/* read back */
	load(at("card"), &h);
	cr_assert_eq(h.hists[0].ngens, 1);
	cr_assert_str_eq(h.hists[0].gens[0].tool, "setpost");
	cr_assert_str_eq(h.hists[0].gens[0].hostname, "dit-cart.local");
	cr_assert_eq(h.hists[0].gens[0].created, T0);
	cr_assert_eq(h.hists[0].gens[0].process, MHL_PROCESS_TRANSFER);
	cr_assert_eq(h.nfiles, 5);
	for (size_t i = 0; i < sizeof(awkward) / sizeof(awkward[0]); i++) {
		const struct mhl_entry *k = mhl_history_find(&h, awkward[i]);

		if (strstr(awkward[i], "émpty")) {
			cr_assert_null(k);
			continue;
		}
		cr_assert_not_null(k, "%s not read back", awkward[i]);
		cr_assert_eq(k->size, (int64_t)(strlen(awkward[i]) * (i + 1) % 7));
		cr_assert_eq(k->algos, HASH_BIT(HASH_XXH64) | HASH_BIT(HASH_MD5));
		cr_assert_eq(k->generation, 1);
	}

	/* second generation: everything verified */
	verify(at("card"), &h, HASH_BIT(HASH_XXH64) | HASH_BIT(HASH_MD5), &rep);
	cr_assert_eq(rep.nverified, 5);
	cr_assert_eq(rep.nnew + rep.nfailed + rep.nmissing, 0);
	g = gen_for(&rep, T0 + 86400);
	cr_assert_eq(mhl_write_generation(at("card"), &g, &w2, &err), 0, "%s", err.msg);
	cr_assert_eq(w2.generation, 2);
	cr_assert_str_eq(w2.roothash.content.str, w1.roothash.content.str);
	mhl_report_release(&rep);
	mhl_history_release(&h);

	snprintf(p2, sizeof(p2), "%s/ascmhl/%s", at("card"), w2.manifest);
	assert_valid(XSD_MANIFEST, p2);
	assert_valid(XSD_CHAIN, at("card/ascmhl/ascmhl_chain.xml"));
	xml = slurp(p2, NULL);
	cr_assert(strstr(xml, "action=\"verified\""));
	cr_assert_null(strstr(xml, "action=\"original\""));
	free(xml);
	after = slurp(p1, &l2);
	cr_assert(l1 == l2 && memcmp(before, after, l1) == 0, "generation 1 was rewritten");
	free(before);
	free(after);

	load(at("card"), &h);
	cr_assert_eq(h.hists[0].ngens, 2);
	cr_assert_eq(h.hists[0].gens[1].seq, 2);
	cr_assert_str_eq(h.hists[0].gens[1].c4, w2.c4);
	cr_assert_eq(mhl_history_find(&h, "x]]>y.txt")->generation, 2);
	mhl_history_release(&h);
}

Test(mhl, tampered_manifest_is_an_error_naming_it, .init = tmp_setup, .fini = tmp_teardown)
{
	struct mhl_history h;
	struct mhl_written w;
	struct err err = { 0 };
	char path[512], *xml, *hit;
	size_t len;

	scenario_tree("A002R2EC");
	seal(at("A002R2EC"), T0, &w);
	snprintf(path, sizeof(path), "%s/ascmhl/%s", at("A002R2EC"), w.manifest);
	xml = slurp(path, &len);
	hit = strstr(xml, "0ea03b369a463d9d");
	cr_assert_not_null(hit);
	hit[0] = '1'; /* a forged hash, still well-formed */
	put("A002R2EC/ascmhl/0001_A002R2EC_2020-01-16_091500Z.mhl", xml, len);
	free(xml);
	cr_assert_eq(mhl_history_load(&h, at("A002R2EC"), &err), SP_EMISMATCH);
	cr_assert(strstr(err.msg, w.manifest) != NULL, "%s", err.msg);
	cr_assert_eq(h.nfiles, 0); /* released */

	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(mhl_history_load(&h, at("A002R2EC"), &err), SP_ENOTFOUND);
	cr_assert(strstr(err.msg, w.manifest) != NULL, "%s", err.msg);
}

Test(mhl, verify_reports_new_changed_missing, .init = tmp_setup, .fini = tmp_teardown)
{
	struct mhl_history h;
	struct mhl_report rep;
	struct mhl_generation g;
	struct mhl_written w;
	struct err err = { 0 };
	char path[512], *xml;

	scenario_tree("A002R2EC");
	seal(at("A002R2EC"), T0, &w);
	puts0("A002R2EC/Clips/A002C006_141024_R2EC.mov", "abce\n"); /* same size, bit rot */
	cr_assert_eq(unlink(at("A002R2EC/Sidecar.txt")), 0);
	puts0("A002R2EC/Clips/A002C008_141024_R2EC.mov", "new\n");
	puts0("A002R2EC/Clips/render.tmp", "scratch");

	load(at("A002R2EC"), &h);
	{
		const char *const extra[] = { "*.tmp" };
		struct mhl_verify_opts o = { .algos = HASH_BIT(HASH_XXH64), .ignore = extra,
					     .nignore = 1, .now = T0 + 60 };

		cr_assert_eq(mhl_verify(at("A002R2EC"), &h, &o, &rep, &err), 0, "%s", err.msg);
	}
	cr_assert_eq(rep.nnew, 1);
	cr_assert_eq(rep.nfailed, 1);
	cr_assert_eq(rep.nverified, 1);
	cr_assert_eq(rep.nmissing, 1);
	cr_assert_str_eq(rep.missing[0], "Sidecar.txt");
	cr_assert_eq(rep.nentries, 4); /* Clips/ and three clips */
	cr_assert_str_eq(rep.entries[0].path, "Clips");
	cr_assert_eq(rep.status[0], MHL_STATUS_DIR);
	cr_assert_str_eq(rep.entries[1].path, "Clips/A002C006_141024_R2EC.mov");
	cr_assert_eq(rep.status[1], MHL_STATUS_FAILED);
	cr_assert_eq(rep.entries[1].h[HASH_XXH64].action, MHL_ACTION_FAILED);
	cr_assert_eq(rep.status[2], MHL_STATUS_VERIFIED);
	cr_assert_eq(rep.status[3], MHL_STATUS_NEW);
	cr_assert_eq(rep.entries[3].h[HASH_XXH64].action, MHL_ACTION_ORIGINAL);

	g = gen_for(&rep, T0 + 60);
	cr_assert_eq(mhl_write_generation(at("A002R2EC"), &g, &w, &err), 0, "%s", err.msg);
	snprintf(path, sizeof(path), "%s/ascmhl/%s", at("A002R2EC"), w.manifest);
	assert_valid(XSD_MANIFEST, path);
	xml = slurp(path, NULL);
	cr_assert(strstr(xml, "action=\"failed\""));
	free(xml);
	mhl_report_release(&rep);
	mhl_history_release(&h);

	/* A failed value never becomes the reference: still failed next time. */
	load(at("A002R2EC"), &h);
	cr_assert_str_eq(mhl_history_find(&h, "Clips/A002C006_141024_R2EC.mov")->h[HASH_XXH64].value,
			 "0ea03b369a463d9d");
	verify(at("A002R2EC"), &h, HASH_BIT(HASH_XXH64), &rep);
	cr_assert_eq(rep.nfailed, 1);
	mhl_report_release(&rep);
	mhl_history_release(&h);
}

Test(mhl, writer_rejects_bad_entries, .init = tmp_setup, .fini = tmp_teardown)
{
	struct mhl_entry e[2] = { 0 };
	struct mhl_generation g = { .created = T0, .hostname = "h", .tool_version = "1",
				    .entries = e, .nentries = 2, .dir_algo = HASH_XXH64 };
	struct err err = { 0 };
	char bad[] = "bad\xff.mov", a[] = "a.mov", a2[] = "a.mov", ab[] = "a.mov/b.mov";
	char up[] = "../etc/passwd", b[] = "b.mov";

	puts0("r/x", "x");
	for (int i = 0; i < 2; i++) {
		e[i].algos = HASH_BIT(HASH_XXH64);
		e[i].size = 1;
		strcpy(e[i].h[HASH_XXH64].value, "0ea03b369a463d9d");
	}
	e[0].path = a;
	e[1].path = a2;
	cr_assert_eq(mhl_write_generation(at("r"), &g, NULL, &err), SP_EINVAL);
	cr_assert(strstr(err.msg, "a.mov"), "%s", err.msg);
	e[1].path = ab;
	cr_assert_eq(mhl_write_generation(at("r"), &g, NULL, &err), SP_EINVAL);
	e[1].path = up;
	cr_assert_eq(mhl_write_generation(at("r"), &g, NULL, &err), SP_EINVAL);
	e[1].path = bad;
	cr_assert_eq(mhl_write_generation(at("r"), &g, NULL, &err), SP_EINVAL);
	e[1].path = b;
	e[1].algos = HASH_BIT(HASH_MD5);
	strcpy(e[1].h[HASH_MD5].value, "d41d8cd98f00b204e9800998ecf8427e");
	cr_assert_eq(mhl_write_generation(at("r"), &g, NULL, &err), SP_EINVAL);
	cr_assert(strstr(err.msg, "b.mov") && strstr(err.msg, "xxh64"), "%s", err.msg);
	strcpy(e[1].h[HASH_MD5].value, "nothex");
	g.dir_algo = MHL_NO_DIRHASH;
	cr_assert_eq(mhl_write_generation(at("r"), &g, NULL, &err), SP_EINVAL);
	cr_assert_eq(access(at("r/ascmhl"), F_OK), -1, "nothing may be written on error");
}

Test(mhl, orphan_manifest_keeps_its_number, .init = tmp_setup, .fini = tmp_teardown)
{
	struct mhl_history h;
	struct mhl_written w;

	scenario_tree("A002R2EC");
	seal(at("A002R2EC"), T0, &w);
	/* What a crash between manifest and chain would leave behind. */
	puts0("A002R2EC/ascmhl/0002_A002R2EC_2020-01-16_091600Z.mhl", "<half");
	seal(at("A002R2EC"), T0 + 120, &w);
	cr_assert_eq(w.generation, 3);
	load(at("A002R2EC"), &h);
	cr_assert_eq(h.hists[0].ngens, 2);
	cr_assert_eq(h.hists[0].gens[1].seq, 3);
	mhl_history_release(&h);
}

static int
stop_at_second(void *arg, const char *path, uint64_t done, uint64_t total)
{
	int *calls = arg;

	(void)path, (void)done;
	cr_assert_eq(total, 5 + 4 + sizeof(blorem) - 1);
	return ++*calls == 2;
}

Test(mhl, progress_can_cancel, .init = tmp_setup, .fini = tmp_teardown)
{
	struct mhl_report rep;
	int calls = 0;
	struct mhl_verify_opts o = { .algos = HASH_BIT(HASH_XXH3), .progress = stop_at_second,
				     .arg = &calls };
	struct err err = { 0 };

	scenario_tree("A002R2EC");
	cr_assert_eq(mhl_verify(at("A002R2EC"), NULL, &o, &rep, &err), SP_ECANCELED);
	cr_assert_eq(rep.nentries, 0);
}

/* --- other tools' manifests -------------------------------------------------- */

/* Generation 0002 of scenario_02 as the reference tool (ascmitc/mhl, examples/
 * scenarios/Output, commit 0e3ed029) wrote it, and the c4 its chain file lists
 * for it. Older tool version: its structure hash of Clips predates the current
 * algorithm, which a reader must simply carry. */
static const char ref_manifest[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<hashlist version=\"2.0\" xmlns=\"urn:ASC:MHL:v2.0\">\n"
	"  <creatorinfo>\n"
	"    <creationdate>2020-01-17T14:30:00+00:00</creationdate>\n"
	"    <hostname>myHost.local</hostname>\n"
	"    <tool version=\"0.3 alpha\">ascmhl.py</tool>\n"
	"  </creatorinfo>\n"
	"  <processinfo>\n"
	"    <process>in-place</process>\n"
	"    <roothash>\n"
	"      <content>\n"
	"        <xxh64 hashdate=\"2020-01-17T14:30:00+00:00\">8d02114c32e28cbe</xxh64>\n"
	"      </content>\n"
	"      <structure>\n"
	"        <xxh64 hashdate=\"2020-01-17T14:30:00+00:00\">0c94849db4dbd1b2</xxh64>\n"
	"      </structure>\n"
	"    </roothash>\n"
	"    <ignore>\n"
	"      <pattern>.DS_Store</pattern>\n"
	"      <pattern>ascmhl</pattern>\n"
	"      <pattern>ascmhl/</pattern>\n"
	"    </ignore>\n"
	"  </processinfo>\n"
	"  <hashes>\n"
	"    <hash>\n"
	"      <path size=\"5\" lastmodificationdate=\"2020-01-15T13:00:00+00:00\">Clips/A002C006_141024_R2EC.mov</path>\n"
	"      <xxh64 action=\"verified\" hashdate=\"2020-01-17T14:30:00+00:00\">0ea03b369a463d9d</xxh64>\n"
	"    </hash>\n"
	"    <hash>\n"
	"      <path size=\"4\" lastmodificationdate=\"2020-01-15T13:00:00+00:00\">Clips/A002C007_141024_R2EC.mov</path>\n"
	"      <xxh64 action=\"verified\" hashdate=\"2020-01-17T14:30:00+00:00\">7680e5f98f4a80fd</xxh64>\n"
	"    </hash>\n"
	"    <directoryhash>\n"
	"      <path lastmodificationdate=\"2020-01-15T13:00:00+00:00\">Clips</path>\n"
	"      <content>\n"
	"        <xxh64 hashdate=\"2020-01-17T14:30:00+00:00\">4c226b42e27d7af3</xxh64>\n"
	"      </content>\n"
	"      <structure>\n"
	"        <xxh64 hashdate=\"2020-01-17T14:30:00+00:00\">ef23ac02467b1720</xxh64>\n"
	"      </structure>\n"
	"    </directoryhash>\n"
	"    <hash>\n"
	"      <path size=\"58\" lastmodificationdate=\"2020-01-15T13:00:00+00:00\">Sidecar.txt</path>\n"
	"      <xxh64 action=\"verified\" hashdate=\"2020-01-17T14:30:00+00:00\">3ab5a4166b9bde44</xxh64>\n"
	"    </hash>\n"
	"  </hashes>\n"
	"</hashlist>\n";

static const char ref_c4[] =
	"c4324Sd21A36oKs9BvNZQD5x96GVZsdU5B6BnTbfR4gSipyShYqhTNDsf8yA6nPeBcbfz2XBHyGERw2FeCpbprPpZd";

static void
put_chain1(const char *dir, int seq, const char *file, const char *c4)
{
	char rel[256], xml[1024];

	snprintf(rel, sizeof(rel), "%s/ascmhl/ascmhl_chain.xml", dir);
	snprintf(xml, sizeof(xml),
		 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		 "<ascmhldirectory xmlns=\"urn:ASC:MHL:DIRECTORY:v2.0\">\n"
		 "  <hashlist sequencenr=\"%d\">\n    <path>%s</path>\n    <c4>%s</c4>\n"
		 "  </hashlist>\n</ascmhldirectory>\n", seq, file, c4);
	puts0(rel, xml);
}

Test(mhl, reads_reference_tool_output, .init = tmp_setup, .fini = tmp_teardown)
{
	struct mhl_history h;
	struct mhl_report rep;
	struct hash_result res;

	cr_assert_eq(hash_buf(ref_manifest, sizeof(ref_manifest) - 1, HASH_BIT(HASH_C4), &res, NULL), 0);
	cr_assert_str_eq(res.v[HASH_C4].str, ref_c4);
	scenario_tree("A002R2EC");
	puts0("A002R2EC/ascmhl/0002_A002R2EC_2020-01-17_143000.mhl", ref_manifest);
	put_chain1("A002R2EC", 2, "0002_A002R2EC_2020-01-17_143000.mhl", ref_c4);
	assert_valid(XSD_MANIFEST, at("A002R2EC/ascmhl/0002_A002R2EC_2020-01-17_143000.mhl"));

	load(at("A002R2EC"), &h);
	cr_assert_eq(h.hists[0].ngens, 1);
	cr_assert_eq(h.hists[0].gens[0].seq, 2);
	cr_assert_str_eq(h.hists[0].gens[0].tool, "ascmhl.py");
	cr_assert_str_eq(h.hists[0].gens[0].tool_version, "0.3 alpha");
	cr_assert_eq(h.hists[0].gens[0].ndirs, 1);
	cr_assert_eq(h.nfiles, 3);
	cr_assert_eq(mhl_history_find(&h, "Sidecar.txt")->size, 58);
	cr_assert_eq(mhl_history_find(&h, "Sidecar.txt")->mtime, 1579093200);
	cr_assert_eq(h.nignore, 3);
	verify(at("A002R2EC"), &h, HASH_BIT(HASH_XXH64), &rep);
	cr_assert_eq(rep.nverified, 3);
	mhl_report_release(&rep);
	mhl_history_release(&h);
}

/* Another tool's style: xxh128 + md5, an author, directory hashes, unknown
 * elements and algorithms, previousPath, metadata, pretty-printed values. */
static const char foreign_manifest[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<hashlist xmlns=\"urn:ASC:MHL:v2.0\" version=\"2.0\">\n"
	"<creatorinfo><creationdate>2024-03-01T10:00:00.123+01:00</creationdate>"
	"<hostname>OffloadStation</hostname><tool version=\"4.2\">OtherTool</tool>"
	"<author email=\"a@b.co\" role=\"Loader\">Sam</author><location>Berlin</location>"
	"</creatorinfo>\n"
	"<processinfo><process>transfer</process><ignore><pattern>*.lock</pattern></ignore>"
	"</processinfo>\n"
	"<hashes>\n"
	" <hash><path size=\"5\" lastmodificationdate=\"2024-03-01T09:00:00Z\">Clips/A002C006_141024_R2EC.mov</path>\n"
	"  <xxh128 action=\"original\" hashdate=\"2024-03-01T10:00:00+01:00\">\n"
	"    AD3E38CC4333ED1B742B20A1B224A05E\n  </xxh128>\n"
	"  <md5 action=\"original\">f5ac8127b3b6b85cdc13f237c6005d80</md5>\n"
	"  <xxh32>12345678</xxh32>\n"
	"  <previousPath>Old/A002C006.mov</previousPath>\n"
	"  <metadata><foo xmlns=\"urn:x\">bar</foo></metadata>\n"
	" </hash>\n"
	" <directoryhash><path>Clips</path><content><xxh128>00000000000000000000000000000000</xxh128>"
	"</content><structure><xxh128>00000000000000000000000000000000</xxh128></structure>"
	"</directoryhash>\n"
	" <hash><path size=\"4\">Clips/A002C007_141024_R2EC.mov</path>\n"
	"  <md5>%s</md5><xxh128>%s</xxh128></hash>\n"
	" <futureElement>ignored</futureElement>\n"
	"</hashes>\n"
	"<metadata><anything/></metadata>\n"
	"</hashlist>\n";

Test(mhl, reads_another_tools_manifest, .init = tmp_setup, .fini = tmp_teardown)
{
	struct mhl_history h;
	struct mhl_report rep;
	struct mhl_generation g;
	struct mhl_written w;
	struct hash_result r7, c4;
	struct err err = { 0 };
	const struct mhl_entry *k;
	char xml[4096], path[512];

	cr_assert_eq(hash_buf("def\n", 4, HASH_BIT(HASH_MD5) | HASH_BIT(HASH_XXH128), &r7, NULL), 0);
	snprintf(xml, sizeof(xml), foreign_manifest, r7.v[HASH_MD5].str, r7.v[HASH_XXH128].str);
	scenario_tree("A002R2EC");
	/* Not schema-valid on purpose (futureElement): readers must be lenient. */
	puts0("A002R2EC/ascmhl/0001_A002R2EC_2024-03-01_090000Z.mhl", xml);
	cr_assert_eq(hash_buf(xml, strlen(xml), HASH_BIT(HASH_C4), &c4, NULL), 0);
	put_chain1("A002R2EC", 1, "0001_A002R2EC_2024-03-01_090000Z.mhl", c4.v[HASH_C4].str);

	load(at("A002R2EC"), &h);
	cr_assert_eq(h.hists[0].gens[0].created, 1709283600);
	cr_assert_eq(h.hists[0].gens[0].process, MHL_PROCESS_TRANSFER);
	cr_assert_str_eq(h.hists[0].gens[0].tool, "OtherTool");
	k = mhl_history_find(&h, "Clips/A002C006_141024_R2EC.mov");
	cr_assert_not_null(k);
	cr_assert_eq(k->algos, HASH_BIT(HASH_XXH128) | HASH_BIT(HASH_MD5));
	cr_assert_str_eq(k->h[HASH_XXH128].value, "ad3e38cc4333ed1b742b20a1b224a05e");
	cr_assert_eq(k->h[HASH_XXH128].action, MHL_ACTION_ORIGINAL);
	cr_assert_eq(k->mtime, 1709283600);
	cr_assert_eq(h.nfiles, 2);
	cr_assert_str_eq(h.ignore[0], "*.lock");

	/* We hash xxh64; the history has md5 and xxh128: md5 is compared. */
	verify(at("A002R2EC"), &h, HASH_BIT(HASH_XXH64), &rep);
	cr_assert_eq(rep.nverified, 2);
	cr_assert_eq(rep.nnew, 1);
	cr_assert_eq(rep.entries[1].algos, HASH_BIT(HASH_XXH64) | HASH_BIT(HASH_MD5));
	cr_assert_eq(rep.entries[1].h[HASH_XXH64].action, MHL_ACTION_VERIFIED);
	g = gen_for(&rep, T0);
	cr_assert_eq(mhl_write_generation(at("A002R2EC"), &g, &w, &err), 0, "%s", err.msg);
	cr_assert_eq(w.generation, 2);
	snprintf(path, sizeof(path), "%s/ascmhl/%s", at("A002R2EC"), w.manifest);
	assert_valid(XSD_MANIFEST, path);
	assert_valid(XSD_CHAIN, at("A002R2EC/ascmhl/ascmhl_chain.xml"));
	mhl_report_release(&rep);
	mhl_history_release(&h);
	load(at("A002R2EC"), &h);
	cr_assert_eq(mhl_history_find(&h, "Clips/A002C006_141024_R2EC.mov")->algos,
		     HASH_BIT(HASH_XXH128) | HASH_BIT(HASH_MD5) | HASH_BIT(HASH_XXH64));
	mhl_history_release(&h);
}

Test(mhl, refuses_garbage, .init = tmp_setup, .fini = tmp_teardown)
{
	struct mhl_history h;
	struct err err = { 0 };
	struct hash_result c4;
	const char *wrongns = "<hashlist xmlns=\"urn:other\" version=\"2.0\"/>";

	puts0("a/ascmhl/ascmhl_chain.xml", "<ascmhldirectory><hashlist");
	cr_assert_eq(mhl_history_load(&h, at("a"), &err), SP_EINVAL);
	cr_assert(strstr(err.msg, "ascmhl_chain") || strstr(err.msg, "a/ascmhl"), "%s", err.msg);

	puts0("b/ascmhl/0001_b_2020-01-01_000000Z.mhl", wrongns);
	cr_assert_eq(mhl_history_load(&h, at("b"), &err), SP_EUNSUPPORTED); /* no chain */
	cr_assert_eq(hash_buf(wrongns, strlen(wrongns), HASH_BIT(HASH_C4), &c4, NULL), 0);
	put_chain1("b", 1, "0001_b_2020-01-01_000000Z.mhl", c4.v[HASH_C4].str);
	cr_assert_eq(mhl_history_load(&h, at("b"), &err), SP_EUNSUPPORTED);
	cr_assert(strstr(err.msg, "0001_b"), "%s", err.msg);

	puts0("c/ascmhl/ascmhl_chain.xml", "<ascmhldirectory xmlns=\"urn:ASC:MHL:DIRECTORY:v2.0\">"
	      "<hashlist sequencenr=\"1\"><path>../../etc/passwd</path><c4>c4x</c4></hashlist>"
	      "</ascmhldirectory>");
	cr_assert_eq(mhl_history_load(&h, at("c"), &err), SP_EINVAL);
}

/* --- nested histories ---------------------------------------------------- */

Test(mhl, nested_history_is_loaded_with_prefix, .init = tmp_setup, .fini = tmp_teardown)
{
	struct mhl_written child, parent;
	struct mhl_history h;
	struct mhl_report rep;
	struct mhl_generation g;
	char sname[] = "Summary.txt";
	struct mhl_entry summary = { .path = sname, .size = 3, .algos = HASH_BIT(HASH_XXH64) };
	struct mhl_ref ref;
	struct err err = { 0 };
	char refpath[512], path[512], *xml;
	size_t len;

	scenario_tree("Reels/A002R2EC");
	puts0("Reels/Summary.txt", "ok\n");
	seal(at("Reels/A002R2EC"), T0, &child);
	strcpy(summary.h[HASH_XXH64].value, "0000000000000000");
	snprintf(refpath, sizeof(refpath), "A002R2EC/ascmhl/%s", child.manifest);
	ref.path = refpath;
	ref.c4 = child.c4;
	g = (struct mhl_generation){ .created = T0 + 3600, .hostname = "h", .tool_version = "1",
				     .entries = &summary, .nentries = 1, .dir_algo = MHL_NO_DIRHASH,
				     .refs = &ref, .nrefs = 1 };
	cr_assert_eq(mhl_write_generation(at("Reels"), &g, &parent, &err), 0, "%s", err.msg);
	snprintf(path, sizeof(path), "%s/ascmhl/%s", at("Reels"), parent.manifest);
	assert_valid(XSD_MANIFEST, path);
	xml = slurp(path, NULL);
	cr_assert(strstr(xml, "<hashlistreference>"));
	free(xml);

	load(at("Reels"), &h);
	cr_assert_eq(h.nhists, 2);
	cr_assert_str_eq(h.hists[1].prefix, "A002R2EC");
	cr_assert_eq(h.nfiles, 4);
	cr_assert_str_eq(mhl_history_find(&h, "A002R2EC/Clips/A002C007_141024_R2EC.mov")
			 ->h[HASH_XXH64].value, "7680e5f98f4a80fd");
	cr_assert_not_null(mhl_history_find(&h, "Summary.txt"));
	verify(at("Reels"), &h, HASH_BIT(HASH_XXH64), &rep);
	cr_assert_eq(rep.nverified, 3); /* Summary.txt's recorded hash is a placeholder */
	cr_assert_eq(rep.nfailed, 1);
	cr_assert_eq(rep.nmissing, 0);
	mhl_report_release(&rep);
	mhl_history_release(&h);

	/* Tampering with the child is caught from the parent. */
	snprintf(path, sizeof(path), "Reels/A002R2EC/ascmhl/%s", child.manifest);
	xml = slurp(at(path), &len);
	*strstr(xml, "dit-cart") = 'D';
	put(path, xml, len);
	free(xml);
	cr_assert_eq(mhl_history_load(&h, at("Reels"), &err), SP_EMISMATCH);
	cr_assert(strstr(err.msg, child.manifest), "%s", err.msg);
}

/* seal() without Criterion asserts, for forked children (an assert there
 * would not reach the runner). */
static int
seal_quietly(const char *root, time_t created)
{
	struct mhl_verify_opts o = { .algos = HASH_BIT(HASH_XXH64), .now = created };
	struct mhl_history h;
	struct mhl_report rep;
	struct mhl_generation g;
	int rc;

	rc = mhl_history_load(&h, root, NULL);
	if (rc < 0)
		return rc;
	rc = mhl_verify(root, &h, &o, &rep, NULL);
	if (rc == 0) {
		g = gen_for(&rep, created);
		rc = mhl_write_generation(root, &g, NULL, NULL);
		mhl_report_release(&rep);
	}
	mhl_history_release(&h);
	return rc;
}

Test(mhl, concurrent_writers_get_distinct_generations, .init = tmp_setup, .fini = tmp_teardown)
{
	struct mhl_history h;
	pid_t kids[4];
	int status;

	scenario_tree("A002R2EC");
	for (int i = 0; i < 4; i++) {
		kids[i] = fork();
		cr_assert_neq(kids[i], -1);
		if (kids[i] == 0)
			_exit(seal_quietly(at("A002R2EC"), T0 + i) == 0 ? 0 : 1);
	}
	for (int i = 0; i < 4; i++) {
		cr_assert_eq(waitpid(kids[i], &status, 0), kids[i]);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	load(at("A002R2EC"), &h);
	cr_assert_eq(h.hists[0].ngens, 4);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(h.hists[0].gens[i].seq, i + 1);
	mhl_history_release(&h);
	assert_valid(XSD_CHAIN, at("A002R2EC/ascmhl/ascmhl_chain.xml"));
}

/* Only the latest check of a file counts (issue 21): a generation that found it changed makes
 * it `last_failed` whatever came before, and a later successful check clears it. The reference
 * value stays the last good hash, so a corrupt copy never becomes the reference. */
Test(mhl, latest_check_of_a_file_decides, .init = tmp_setup, .fini = tmp_teardown)
{
	struct mhl_history h;
	struct mhl_written w;
	const struct mhl_entry *k;

	scenario_tree("A002R2EC");
	seal(at("A002R2EC"), T0, &w);
	load(at("A002R2EC"), &h);
	k = mhl_history_find(&h, "Sidecar.txt");
	cr_assert(k != NULL && !k->last_failed && k->checked_generation == 1);
	mhl_history_release(&h);

	puts0("A002R2EC/Sidecar.txt", "Lorem ipsum changed by one byte, same length or not....\n");
	seal(at("A002R2EC"), T0 + 60, &w);
	load(at("A002R2EC"), &h);
	k = mhl_history_find(&h, "Sidecar.txt");
	cr_assert(k->last_failed, "generation 2 found it changed: its latest check failed");
	cr_assert_eq(k->checked_generation, 2);
	cr_assert_eq(k->checked, T0 + 60);
	cr_assert_eq(k->generation, 1, "the reference stays generation 1's good hash");
	cr_assert(!mhl_history_find(&h, "Clips/A002C006_141024_R2EC.mov")->last_failed);
	mhl_history_release(&h);

	puts0("A002R2EC/Sidecar.txt", blorem);
	seal(at("A002R2EC"), T0 + 120, &w);
	load(at("A002R2EC"), &h);
	k = mhl_history_find(&h, "Sidecar.txt");
	cr_assert(!k->last_failed && k->checked_generation == 3, "restored and checked again");
	mhl_history_release(&h);
}

/* What the reference tool writes for an empty file (no size attribute), without hash dates
 * or creator details: every optional part absent still reads. */
Test(mhl, optional_attributes_absent, .init = tmp_setup, .fini = tmp_teardown)
{
	static const char xml[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<hashlist xmlns=\"urn:ASC:MHL:v2.0\" version=\"2.0\">\n"
		"<creatorinfo><creationdate>2024-03-01T10:00:00Z</creationdate></creatorinfo>\n"
		"<processinfo><process>in-place</process></processinfo>\n"
		"<hashes>\n"
		" <hash><path>empty.txt</path><xxh64 action=\"original\">ef46db3751d8e999</xxh64></hash>\n"
		" <hash><path size=\"4\">b.txt</path><sha1>%s</sha1><c4>%s</c4></hash>\n"
		"</hashes>\n</hashlist>\n";
	struct hash_result b, c4;
	struct mhl_history h;
	struct mhl_report rep;
	char doc[2048];

	puts0("E/empty.txt", "");
	puts0("E/b.txt", "def\n");
	cr_assert_eq(hash_buf("def\n", 4, HASH_BIT(HASH_SHA1) | HASH_BIT(HASH_C4), &b, NULL), 0);
	snprintf(doc, sizeof(doc), xml, b.v[HASH_SHA1].str, b.v[HASH_C4].str);
	puts0("E/ascmhl/0001_E_2024-03-01_100000Z.mhl", doc);
	cr_assert_eq(hash_buf(doc, strlen(doc), HASH_BIT(HASH_C4), &c4, NULL), 0);
	put_chain1("E", 1, "0001_E_2024-03-01_100000Z.mhl", c4.v[HASH_C4].str);
	load(at("E"), &h);
	cr_assert_eq(h.nfiles, 2);
	cr_assert_eq(mhl_history_find(&h, "empty.txt")->size, -1, "size left out: unknown");
	cr_assert_eq(mhl_history_find(&h, "b.txt")->algos, HASH_BIT(HASH_SHA1) | HASH_BIT(HASH_C4));
	cr_assert_null(h.hists[0].gens[0].tool);
	verify(at("E"), &h, HASH_BIT(HASH_XXH64), &rep);
	cr_assert_eq(rep.nverified, 2, "an empty file without a size verifies; sha1/c4 compared");
	cr_assert_eq(rep.nfailed, 0);
	mhl_report_release(&rep);
	mhl_history_release(&h);
}

/* --- histories other tools write (tests/fixtures/mhl, made by its make.py) --------------- */

#define FIXTURE(tool, card) "tests/fixtures/mhl/" tool "/" card

/* Every manifest and chain of a fixture is valid against the published schema. */
static void
fixture_valid(const char *root, const char *sub, const char *manifest)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%sascmhl/%s", root, sub, manifest);
	assert_valid(XSD_MANIFEST, path);
	snprintf(path, sizeof(path), "%s/%sascmhl/ascmhl_chain.xml", root, sub);
	assert_valid(XSD_CHAIN, path);
}

/* The fixture's copy checked against its own history: every file there and verified. */
static void
fixture_verifies(const char *root, const struct mhl_history *h, size_t nfiles)
{
	struct mhl_report rep;

	verify(root, h, HASH_BIT(HASH_XXH64), &rep);
	cr_expect_eq(rep.nverified, nfiles, "%s: %zu verified", root, rep.nverified);
	cr_expect_eq(rep.nfailed, 0, "%s: %zu failed", root, rep.nfailed);
	cr_expect_eq(rep.nmissing, 0, "%s: %zu missing", root, rep.nmissing);
	cr_expect_eq(rep.nnew, 0, "%s: %zu new", root, rep.nnew);
	mhl_report_release(&rep);
}

/* `ascmhl create -h xxh64` twice: in-place, hash dates, root and directory hashes, the default
 * ignore patterns, an empty file listed without its size, actions verified in generation 2. */
Test(mhl, reads_the_reference_tools_history, .init = tmp_setup, .fini = tmp_teardown)
{
	const char *root = FIXTURE("ascmhl", "A001R1AB");
	const struct mhl_entry *e;
	struct mhl_history h;

	fixture_valid(root, "", "0002_A001R1AB_2024-02-06_102000Z.mhl");
	load(root, &h);
	cr_assert_eq(h.nhists, 1);
	cr_assert_eq(h.hists[0].ngens, 2);
	cr_expect_str_eq(h.hists[0].gens[1].tool, "ascmhl.py");
	cr_expect_str_eq(h.hists[0].gens[1].tool_version, "1.1");
	cr_expect_eq(h.hists[0].gens[1].process, MHL_PROCESS_IN_PLACE);
	cr_expect_eq(h.hists[0].gens[1].ndirs, 1);
	cr_expect_eq(h.nignore, 3);
	cr_assert_eq(h.nfiles, 4);
	e = mhl_history_find(&h, "Clips/A001C002_240206_R1AB.xml");
	cr_assert_not_null(e);
	cr_expect_lt(e->size, 1, "an empty file without size is not given one: %lld", (long long)e->size);
	e = mhl_history_find(&h, "Clips/A001C001_240206_R1AB.mov");
	cr_assert_not_null(e);
	cr_expect_eq(e->size, 680);
	cr_expect_eq(e->mtime, 1707210720);
	cr_expect_eq(e->checked_generation, 2);
	cr_expect_eq(e->checked, 1707214800);
	cr_expect_eq(e->h[HASH_XXH64].action, MHL_ACTION_VERIFIED);
	cr_expect_not(e->last_failed);
	fixture_verifies(root, &h, 4);
	mhl_history_release(&h);
}

/* Silverstack's shape: a transfer with author (role), location and comment, and a sound roll's
 * own history nested in the card, which the card's generation references. */
Test(mhl, reads_a_silverstack_history_with_a_nested_child, .init = tmp_setup, .fini = tmp_teardown)
{
	const char *root = FIXTURE("silverstack", "B002R2CD");
	const struct mhl_entry *e;
	struct mhl_history h;

	fixture_valid(root, "", "0001_B002R2CD_2024-02-07_190500Z.mhl");
	fixture_valid(root, "AUDIO/", "0001_AUDIO_2024-02-07_170000Z.mhl");
	load(root, &h);
	cr_assert_eq(h.nhists, 2, "the card's history and the nested one");
	cr_expect_str_eq(h.hists[1].prefix, "AUDIO");
	cr_expect_str_eq(h.hists[0].gens[0].tool, "Silverstack");
	cr_expect_eq(h.hists[0].gens[0].process, MHL_PROCESS_TRANSFER);
	cr_expect_eq(h.hists[0].gens[0].created, 1707329100);
	cr_assert_eq(h.nfiles, 5, "3 of the card, 2 of the nested sound roll");
	e = mhl_history_find(&h, "AUDIO/SR001_S01T01.wav");
	cr_assert_not_null(e, "the nested history's files carry their folder");
	cr_expect_eq(e->size, 160);
	cr_expect_eq(e->algos, HASH_BIT(HASH_XXH64));
	cr_expect_eq(e->h[HASH_XXH64].action, MHL_ACTION_ORIGINAL);
	fixture_verifies(root, &h, 5);
	mhl_history_release(&h);
}

/* Hedge's shape: xxh128 and c4, no hash dates, no directory hashes, a creation date with
 * fractions of a second and an offset, tab indentation, an empty file with size 0. */
Test(mhl, reads_a_hedge_history, .init = tmp_setup, .fini = tmp_teardown)
{
	const char *root = FIXTURE("hedge", "C003R3EF");
	const struct mhl_entry *e;
	struct mhl_history h;

	fixture_valid(root, "", "0001_C003R3EF_2024-02-08_113015Z.mhl");
	load(root, &h);
	cr_expect_str_eq(h.hists[0].gens[0].tool, "Hedge");
	cr_expect_eq(h.hists[0].gens[0].created, 1707388215);
	cr_assert_eq(h.nfiles, 3);
	e = mhl_history_find(&h, "C003/C003C001_240208_R3EF.braw");
	cr_assert_not_null(e);
	cr_expect_eq(e->algos, HASH_BIT(HASH_XXH128) | HASH_BIT(HASH_C4));
	cr_expect_eq(strncmp(e->h[HASH_C4].value, "c4", 2), 0, "%s", e->h[HASH_C4].value);
	cr_expect_eq(strlen(e->h[HASH_XXH128].value), 32);
	cr_expect_eq(e->h[HASH_XXH128].hashdate, 0, "no hash date given");
	e = mhl_history_find(&h, "C003/C003C001_240208_R3EF.sidecar");
	cr_assert_not_null(e);
	cr_expect_eq(e->size, 0);
	fixture_verifies(root, &h, 3);
	mhl_history_release(&h);
}

/* ShotPut Pro's shape: md5 in upper case, no hash nor modification dates, an author with a
 * name only, per-file metadata, an empty file without size. */
Test(mhl, reads_a_shotput_history, .init = tmp_setup, .fini = tmp_teardown)
{
	const char *root = FIXTURE("shotput", "D004");
	const struct mhl_entry *e;
	struct mhl_history h;
	struct hash_result md5;
	char clip[14 * 30];

	fixture_valid(root, "", "0001_D004_2024-02-09_084500Z.mhl");
	load(root, &h);
	cr_expect_str_eq(h.hists[0].gens[0].tool, "ShotPut Pro");
	cr_expect_eq(h.hists[0].gens[0].created, 1707468300);
	cr_assert_eq(h.nfiles, 3);
	e = mhl_history_find(&h, "D004C001.MOV");
	cr_assert_not_null(e);
	cr_expect_eq(e->algos, HASH_BIT(HASH_MD5));
	cr_expect_eq(e->mtime, 0, "no modification date given");
	for (int i = 0; i < 30; i++)
		memcpy(clip + 14 * i, "D004 clip one\n", 14);
	cr_assert_eq(hash_buf(clip, sizeof(clip), HASH_BIT(HASH_MD5), &md5, NULL), 0);
	cr_expect_str_eq(e->h[HASH_MD5].value, md5.v[HASH_MD5].str, "md5 read in lower case");
	e = mhl_history_find(&h, "D004C002.THM");
	cr_assert_not_null(e);
	cr_expect_lt(e->size, 1);
	fixture_verifies(root, &h, 3);
	mhl_history_release(&h);
}
