/* age_source: ciphertext at any offset equals the streaming encryptor's output with the same
 * params, decrypts to the plaintext, and a shrunken file is an error. */
#include "lib/delivery/age.h"
#include "lib/delivery/age_source.h"
#include "lib/core/err.h"

#include <criterion/criterion.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sink {
	uint8_t *data;
	size_t len;
};

static int
collect(void *arg, const uint8_t *buf, size_t len, struct err *err)
{
	struct sink *s = arg;
	uint8_t *p = realloc(s->data, s->len + len + 1);

	(void)err;
	cr_assert_not_null(p);
	memcpy(p + s->len, buf, len);
	s->data = p;
	s->len += len;
	return 0;
}

/* A temporary file with n random bytes; its content is copied to *pt. */
static int
plain_file(size_t n, uint8_t **pt)
{
	char path[] = "/tmp/test_age_source.XXXXXX";
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	unlink(path);
	*pt = malloc(n + 1);
	randombytes_buf(*pt, n);
	cr_assert_eq(write(fd, *pt, n), (ssize_t)n);
	return fd;
}

/* What one streaming encryption with params p gives. */
static struct sink
reference(const struct age_enc_params *p, const uint8_t *pt, size_t n)
{
	struct age_enc enc;
	struct sink s = { 0 };
	struct err e = { 0 };

	cr_assert_eq(age_enc_init_at(&enc, p, 0, &e), 0, "%s", e.msg);
	cr_assert_eq(age_enc_update(&enc, pt, n, collect, &s, &e), 0, "%s", e.msg);
	cr_assert_eq(age_enc_final(&enc, collect, &s, &e), 0, "%s", e.msg);
	age_enc_release(&enc);
	return s;
}

static void
check_size(size_t n)
{
	struct age_identity id;
	struct age_recipient r;
	struct age_enc_params p;
	struct age_source src;
	struct tus_source ts;
	struct err e = { 0 };
	uint8_t *pt, *ct;
	size_t got;
	int fd = plain_file(n, &pt);

	cr_assert_eq(age_identity_generate(&id, &e), 0);
	age_identity_recipient(&id, &r);
	cr_assert_eq(age_params_init(&p, NULL, &r, 1, &e), 0, "%s", e.msg);
	struct sink want = reference(&p, pt, n);
	cr_assert_eq(age_source_init(&src, fd, n, &p, &e), 0, "%s", e.msg);
	age_source_tus(&src, &ts);
	cr_assert_eq(ts.length, want.len, "size %zu", n);
	ct = malloc(want.len + 1);
	/* Sequential reads in odd pieces, then random pieces, all equal to the reference. */
	for (uint64_t off = 0; off < ts.length; off += got) {
		size_t len = ts.length - off < 7777 ? ts.length - off : 7777;
		cr_assert_eq(ts.read_at(ts.arg, off, ct + off, len, &got, &e), 0, "%s", e.msg);
		cr_assert_eq(got, len);
	}
	cr_expect_eq(memcmp(ct, want.data, want.len), 0, "size %zu", n);
	for (int i = 0; i < 50; i++) {
		uint64_t off = randombytes_uniform((uint32_t)ts.length);
		size_t len = randombytes_uniform((uint32_t)(ts.length - off)) + 1;
		memset(ct, 0, len);
		cr_assert_eq(ts.read_at(ts.arg, off, ct, len, &got, &e), 0, "%s", e.msg);
		cr_expect_eq(memcmp(ct, want.data + off, len), 0, "size %zu off %llu len %zu", n,
		    (unsigned long long)off, len);
	}
	cr_expect_eq(ts.read_at(ts.arg, ts.length, ct, 1, &got, &e), SP_EINVAL);
	/* And it decrypts. */
	struct age_dec dec;
	struct sink back = { 0 };
	cr_assert_eq(age_dec_init(&dec, &id, 1, &e), 0);
	cr_assert_eq(age_dec_update(&dec, want.data, want.len, collect, &back, &e), 0, "%s",
	    e.msg);
	cr_assert_eq(age_dec_final(&dec, collect, &back, &e), 0, "%s", e.msg);
	age_dec_release(&dec);
	cr_expect_eq(back.len, n);
	cr_expect(n == 0 || memcmp(back.data, pt, n) == 0);
	free(back.data);
	free(ct);
	free(want.data);
	free(pt);
	age_source_release(&src);
	age_params_release(&p);
	close(fd);
}

Test(age_source, equals_streaming_encryption_at_any_offset)
{
	size_t sizes[] = { 0, 1, 65535, 65536, 65537, 3 * 65536, 200000 };

	cr_assert_geq(sodium_init(), 0);
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
		check_size(sizes[i]);
}

Test(age_source, a_shrunken_file_is_an_error)
{
	struct age_identity id;
	struct age_recipient r;
	struct age_enc_params p;
	struct age_source src;
	struct err e = { 0 };
	uint8_t *pt, buf[100];
	size_t got;
	int fd;

	cr_assert_geq(sodium_init(), 0);
	fd = plain_file(200000, &pt);
	cr_assert_eq(age_identity_generate(&id, &e), 0);
	age_identity_recipient(&id, &r);
	cr_assert_eq(age_params_init(&p, NULL, &r, 1, &e), 0);
	cr_assert_eq(age_source_init(&src, fd, 200000, &p, &e), 0);
	cr_assert_eq(ftruncate(fd, 100000), 0);
	cr_expect_eq(age_source_read_at(&src, age_ct_size(&p, 200000) - 100, buf, 100, &got, &e),
	    SP_EIO);
	cr_expect_not_null(strstr(e.msg, "changed"), "%s", e.msg);
	age_source_release(&src);
	age_source_release(&src);
	age_params_release(&p);
	free(pt);
	close(fd);
}
