/* sealed: seal/open round trips, tamper and wrong-key failures, the server key file. */
#include "lib/core/err.h"
#include "lib/delivery/sealed.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[64];

static void
setup(void)
{
	cr_assert_geq(sodium_init(), 0);
	snprintf(tmpdir, sizeof tmpdir, "/tmp/test_sealed.XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
}

static void
teardown(void)
{
	char cmd[128];

	/* The key folder holds one file and maybe a nested folder: remove them by name. */
	snprintf(cmd, sizeof cmd, "%s/keys/server.key", tmpdir);
	unlink(cmd);
	snprintf(cmd, sizeof cmd, "%s/keys", tmpdir);
	rmdir(cmd);
	snprintf(cmd, sizeof cmd, "%s/a/b/server.key", tmpdir);
	unlink(cmd);
	snprintf(cmd, sizeof cmd, "%s/a/b", tmpdir);
	rmdir(cmd);
	snprintf(cmd, sizeof cmd, "%s/a", tmpdir);
	rmdir(cmd);
	rmdir(tmpdir);
}

TestSuite(sealed, .init = setup, .fini = teardown);

Test(sealed, round_trip_of_several_sizes)
{
	uint8_t key[SEALED_KEY_LEN], *blob, *back, pt[3000];
	size_t sizes[] = { 0, 1, 16, 2999 }, blen, plen;
	struct err e = { 0 };

	randombytes_buf(key, sizeof key);
	randombytes_buf(pt, sizeof pt);
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		cr_assert_eq(sealed_seal(key, pt, sizes[i], &blob, &blen, &e), 0, "%s", e.msg);
		cr_expect_eq(blen, sizes[i] + SEALED_OVERHEAD);
		cr_assert_eq(sealed_open(key, blob, blen, &back, &plen, &e), 0, "%s", e.msg);
		cr_expect_eq(plen, sizes[i]);
		cr_expect_eq(memcmp(back, pt, plen), 0);
		sealed_free(back, plen);
		free(blob);
	}
}

Test(sealed, same_plaintext_seals_differently_and_hides_it)
{
	uint8_t key[SEALED_KEY_LEN], *a, *b;
	const char *secret = "a sixteen-byte k and more besides";
	size_t alen, blen, n = strlen(secret);
	struct err e = { 0 };

	randombytes_buf(key, sizeof key);
	cr_assert_eq(sealed_seal(key, (const uint8_t *)secret, n, &a, &alen, &e), 0);
	cr_assert_eq(sealed_seal(key, (const uint8_t *)secret, n, &b, &blen, &e), 0);
	cr_expect_neq(memcmp(a, b, SEALED_NONCE_LEN), 0, "nonces must differ");
	cr_expect_neq(memcmp(a + SEALED_OVERHEAD, b + SEALED_OVERHEAD, n), 0);
	cr_expect_null(memmem(a, alen, "sixteen", 7));
	free(a);
	free(b);
}

Test(sealed, wrong_key_altered_or_short_blob_fails)
{
	uint8_t key[SEALED_KEY_LEN], other[SEALED_KEY_LEN], *blob, *back = (uint8_t *)"x";
	size_t blen, plen = 7;
	struct err e = { 0 };

	randombytes_buf(key, sizeof key);
	randombytes_buf(other, sizeof other);
	cr_assert_eq(sealed_seal(key, (const uint8_t *)"params", 6, &blob, &blen, &e), 0);
	cr_expect_eq(sealed_open(other, blob, blen, &back, &plen, &e), SP_ECRYPTO);
	cr_expect_null(back);
	cr_expect_eq(plen, 0);
	for (size_t i = 0; i < blen; i += 7) {
		blob[i] ^= 0x01;
		cr_expect_eq(sealed_open(key, blob, blen, &back, &plen, &e), SP_ECRYPTO,
		    "byte %zu flipped", i);
		blob[i] ^= 0x01;
	}
	cr_expect_eq(sealed_open(key, blob, blen - 1, &back, &plen, &e), SP_ECRYPTO);
	cr_expect_eq(sealed_open(key, blob, SEALED_OVERHEAD - 1, &back, &plen, &e), SP_ECRYPTO);
	cr_assert_eq(sealed_open(key, blob, blen, &back, &plen, &e), 0);
	sealed_free(back, plen);
	free(blob);
}

Test(sealed, key_file_is_created_0600_once_and_reused)
{
	uint8_t k1[SEALED_KEY_LEN], k2[SEALED_KEY_LEN];
	char dir[128], path[160];
	struct err e = { 0 };
	struct stat st;

	snprintf(dir, sizeof dir, "%s/a/b", tmpdir);
	cr_assert_eq(sealed_key_load(dir, k1, &e), 0, "%s", e.msg);
	snprintf(path, sizeof path, "%s/server.key", dir);
	cr_assert_eq(stat(path, &st), 0);
	cr_expect_eq(st.st_mode & 07777, 0600);
	cr_expect_eq(st.st_size, SEALED_KEY_LEN);
	cr_assert_eq(stat(dir, &st), 0);
	cr_expect_eq(st.st_mode & 07777, 0700);
	cr_assert_eq(sealed_key_load(dir, k2, &e), 0, "%s", e.msg);
	cr_expect_eq(memcmp(k1, k2, sizeof k1), 0);
}

Test(sealed, open_or_wrong_size_key_file_is_refused)
{
	uint8_t k[SEALED_KEY_LEN];
	char dir[128], path[160];
	struct err e = { 0 };
	int fd;

	snprintf(dir, sizeof dir, "%s/keys", tmpdir);
	cr_assert_eq(sealed_key_load(dir, k, &e), 0, "%s", e.msg);
	snprintf(path, sizeof path, "%s/server.key", dir);
	cr_assert_eq(chmod(path, 0644), 0);
	cr_expect_eq(sealed_key_load(dir, k, &e), SP_EINVAL);
	cr_expect_not_null(strstr(e.msg, "0644"), "%s", e.msg);
	cr_assert_eq(chmod(path, 0600), 0);
	fd = open(path, O_WRONLY | O_APPEND);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "x", 1), 1);
	close(fd);
	cr_expect_eq(sealed_key_load(dir, k, &e), SP_EINVAL);
}
