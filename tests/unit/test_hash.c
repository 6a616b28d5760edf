/* Unit tests for lib/hash: SPECS.md 3.5 vectors, string forms, and a cross-check
 * of every algorithm against the system tools (xxhsum, md5sum, sha1sum). */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/core/hash.h"

extern char **environ;

static const char *
hex_of(const char *data, size_t len, enum hash_algo algo)
{
	static struct hash_result res;
	struct err err = { 0 };

	cr_assert_eq(hash_buf(data, len, HASH_BIT(algo), &res, &err), 0, "%s", err.msg);
	return res.v[algo].str;
}

Test(hash, spec_file_vectors)
{
	const char *blorem = "BLOREM ipsum dolor sit amet, consetetur sadipscing elitr.\n";

	cr_assert_str_eq(hex_of("abcd\n", 5, HASH_XXH64), "0ea03b369a463d9d");
	cr_assert_str_eq(hex_of("def\n", 4, HASH_XXH64), "7680e5f98f4a80fd");
	cr_assert_str_eq(hex_of(blorem, strlen(blorem), HASH_XXH64), "3ab5a4166b9bde44");
}

Test(hash, c4_of_empty_string)
{
	cr_assert_str_eq(hex_of("", 0, HASH_C4),
			 "c459dsjfscH38cYeXXYogktxf4Cd9ibshE3BHUo6a58hBXmRQdZrAkZzsWcbWtDg5oQst"
			 "pDuni4Hirj75GEmTc1sFT");
}

Test(hash, c4_of_abc)
{
	/* "abc", computed independently (Python int -> base58). */
	cr_assert_str_eq(hex_of("abc", 3, HASH_C4),
			 "c45S4rnaTNWonxss1u8LzsaJdEph1AJhWUF4sh2waXKMsutyfAxg4ybUeuXVWS9HdNcEy"
			 "pmeXn8FZGonD4w1rj9DZp");
}

Test(hash, well_known_empty_digests)
{
	cr_assert_str_eq(hex_of("", 0, HASH_MD5), "d41d8cd98f00b204e9800998ecf8427e");
	cr_assert_str_eq(hex_of("", 0, HASH_SHA1), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	cr_assert_str_eq(hex_of("", 0, HASH_XXH64), "ef46db3751d8e999");
}

Test(hash, all_algorithms_in_one_pass_equal_single_runs)
{
	static char data[300000];
	struct hash_result all;
	struct hash_ctx ctx;
	struct err err = { 0 };

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 2654435761u >> 13);
	cr_assert_eq(hash_init(&ctx, HASH_ALL, &err), 0, "%s", err.msg);
	/* Odd chunk sizes so that no algorithm sees aligned blocks only. */
	for (size_t off = 0, step = 1; off < sizeof(data); off += step, step = step * 3 + 1) {
		size_t n = sizeof(data) - off < step ? sizeof(data) - off : step;

		hash_update(&ctx, data + off, n);
	}
	cr_assert_eq(hash_final(&ctx, &all, &err), 0, "%s", err.msg);
	hash_release(&ctx);
	hash_release(&ctx); /* twice is allowed */
	cr_assert_eq(all.algos, HASH_ALL);
	cr_assert_eq(all.nbytes, sizeof(data));
	for (int a = 0; a < HASH_NALGOS; a++)
		cr_assert_str_eq(all.v[a].str, hex_of(data, sizeof(data), (enum hash_algo)a),
				 "%s", hash_algo_name((enum hash_algo)a));
}

Test(hash, names_round_trip)
{
	unsigned set = 0;
	struct err err = { 0 };

	for (int a = 0; a < HASH_NALGOS; a++)
		cr_assert_eq(hash_algo_from_name(hash_algo_name((enum hash_algo)a)), a);
	cr_assert_eq(hash_algo_from_name("XXH64"), SP_EUNSUPPORTED);
	cr_assert_eq(hash_algo_from_name("xxh32"), SP_EUNSUPPORTED);
	cr_assert_eq(hash_algos_parse("xxh64,md5", &set, &err), 0);
	cr_assert_eq(set, HASH_BIT(HASH_XXH64) | HASH_BIT(HASH_MD5));
	cr_assert_eq(hash_algos_parse("xxh64,crc32", &set, &err), SP_EINVAL);
	cr_assert(strstr(err.msg, "crc32") != NULL, "%s", err.msg);
	cr_assert_eq(hash_algos_parse("", &set, &err), SP_EINVAL);
	cr_assert_eq(hash_algo_rawlen(HASH_XXH128), 16);
	cr_assert_eq(hash_algo_rawlen(HASH_C4), 64);
}

Test(hash, value_parse_normalises_and_rejects)
{
	struct hash_value v;
	struct err err = { 0 };
	char c4[HASH_STR_MAX];

	cr_assert_eq(hash_value_parse(HASH_XXH64, "0EA03B369A463D9D", &v, &err), 0);
	cr_assert_str_eq(v.str, "0ea03b369a463d9d");
	cr_assert_eq(v.rawlen, 8);
	cr_assert_eq(v.raw[0], 0x0e);
	cr_assert_eq(v.raw[7], 0x9d);
	cr_assert_eq(hash_value_parse(HASH_XXH64, "0ea03b369a463d9", &v, &err), SP_EINVAL);
	cr_assert_eq(hash_value_parse(HASH_MD5, "0ea03b369a463d9d", &v, &err), SP_EINVAL);
	cr_assert_eq(hash_value_parse(HASH_XXH64, "0ea03b369a463dxx", &v, &err), SP_EINVAL);

	strcpy(c4, hex_of("abc", 3, HASH_C4));
	cr_assert_eq(hash_value_parse(HASH_C4, c4, &v, &err), 0, "%s", err.msg);
	cr_assert_str_eq(v.str, c4);
	cr_assert_str_eq(v.str, hex_of("abc", 3, HASH_C4));
	c4[10] = '0'; /* not in the base58 alphabet */
	cr_assert_eq(hash_value_parse(HASH_C4, c4, &v, &err), SP_EINVAL);
	memset(c4 + 2, 'z', 88); /* 58^88 - 1 does not fit in 512 bits */
	cr_assert_eq(hash_value_parse(HASH_C4, c4, &v, &err), SP_EINVAL);
}

/* --- cross-check with the system tools ---------------------------------- */

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
	strcpy(tmpdir, "/tmp/sp_test_hash_XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
}

static void
tmp_teardown(void)
{
	nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Runs argv with stdout into a pipe, returns its first line (static). */
static const char *
run_capture(char *const argv[])
{
	static char out[4096];
	posix_spawn_file_actions_t fa;
	int fds[2], status;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	cr_assert_eq(pipe(fds), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	cr_assert_eq(posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ), 0, "spawn %s", argv[0]);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	while ((n = read(fds[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += (size_t)n;
	close(fds[0]);
	out[len] = '\0';
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s failed", argv[0]);
	out[strcspn(out, "\n")] = '\0';
	return out;
}

/* The digest in a tool's line: "<hex>  <file>" or BSD style "XXH3 (<file>) = <hex>". */
static const char *
tool_digest(const char *tool, const char *opt, const char *path)
{
	static char hex[256];
	char *argv[4] = { (char *)tool, (char *)opt, (char *)path, NULL };
	const char *line, *eq;
	size_t n;

	if (opt == NULL) {
		argv[1] = (char *)path;
		argv[2] = NULL;
	}
	line = run_capture(argv);
	eq = strstr(line, " = ");
	line = eq != NULL ? eq + 3 : line;
	n = strcspn(line, " ");
	cr_assert_lt(n, sizeof(hex));
	memcpy(hex, line, n);
	hex[n] = '\0';
	return hex;
}

static void
write_file(const char *path, size_t size, unsigned seed)
{
	FILE *f = fopen(path, "wb");

	cr_assert_not_null(f);
	for (size_t i = 0; i < size; i++) {
		seed = seed * 1103515245u + 12345u;
		fputc((int)(seed >> 16) & 0xff, f);
	}
	cr_assert_eq(fclose(f), 0);
}

Test(hash, matches_system_tools, .init = tmp_setup, .fini = tmp_teardown)
{
	/* Sizes around the 1 MiB read buffer and the xxh3 stripe/block sizes. */
	static const size_t sizes[] = { 0, 1, 17, 240, 1025, 1048576, 1048576 + 7, 3000001 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct hash_result res;
		struct err err = { 0 };
		char path[128];

		snprintf(path, sizeof(path), "%s/f%zu", tmpdir, i);
		write_file(path, sizes[i], (unsigned)i + 1);
		cr_assert_eq(hash_file(path, HASH_ALL, &res, &err), 0, "%s", err.msg);
		cr_assert_eq(res.nbytes, sizes[i]);
		cr_assert_str_eq(res.v[HASH_XXH64].str, tool_digest("xxhsum", "-H1", path));
		cr_assert_str_eq(res.v[HASH_XXH128].str, tool_digest("xxhsum", "-H2", path));
		cr_assert_str_eq(res.v[HASH_XXH3].str, tool_digest("xxhsum", "-H3", path));
		cr_assert_str_eq(res.v[HASH_MD5].str, tool_digest("md5sum", NULL, path));
		cr_assert_str_eq(res.v[HASH_SHA1].str, tool_digest("sha1sum", NULL, path));
	}
}

Test(hash, file_errors_name_the_file, .init = tmp_setup, .fini = tmp_teardown)
{
	struct hash_result res;
	struct err err = { 0 };
	char path[128];

	snprintf(path, sizeof(path), "%s/nope.mov", tmpdir);
	cr_assert_eq(hash_file(path, HASH_BIT(HASH_XXH64), &res, &err), SP_ENOTFOUND);
	cr_assert(strstr(err.msg, "nope.mov") != NULL, "%s", err.msg);
	cr_assert(hash_file(tmpdir, HASH_BIT(HASH_XXH64), &res, &err) < 0);
	cr_assert(strstr(err.msg, tmpdir) != NULL, "%s", err.msg);
	cr_assert_eq(hash_init(&(struct hash_ctx){ 0 }, 0, &err), SP_EINVAL);
	cr_assert_eq(hash_buf("", 0, 1u << 10, &res, &err), SP_EINVAL);
}
