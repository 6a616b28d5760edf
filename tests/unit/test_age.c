/*
 * Unit tests for lib/age: HKDF, keys and key files, round trips, the deterministic chunk API,
 * tampering and truncation, header stanza rules, and interop with Debian's age 1.1.1 tools
 * (run as child processes with posix_spawn).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "lib/delivery/age.h"

#define AGE_BIN "/usr/bin/age"
#define AGE_KEYGEN_BIN "/usr/bin/age-keygen"

extern char **environ;

static const char spec_sk[] =
    "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX";
static const char spec_pk[] = "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj";

/* ---- helpers ---- */

struct mem {
	uint8_t *p;
	size_t len, cap;
};

static void
mem_add(struct mem *m, const void *buf, size_t len)
{
	if (m->len + len > m->cap) {
		m->cap = (m->len + len) * 2 + 64;
		m->p = realloc(m->p, m->cap);
		cr_assert_not_null(m->p);
	}
	if (len > 0)
		memcpy(m->p + m->len, buf, len);
	m->len += len;
}

static int
mem_sink(void *arg, const uint8_t *buf, size_t len, struct err *err)
{
	(void)err;
	mem_add(arg, buf, len);
	return 0;
}

static uint8_t *
random_bytes(size_t n)
{
	uint8_t *p = malloc(n ? n : 1);

	cr_assert_not_null(p);
	randombytes_buf(p, n);
	return p;
}

static struct age_identity
new_identity(void)
{
	struct age_identity id;

	cr_assert_eq(age_identity_generate(&id, NULL), 0);
	return id;
}

static struct age_recipient
recipient_of(const struct age_identity *id)
{
	struct age_recipient r;

	age_identity_recipient(id, &r);
	return r;
}

/* Streams pt through an encryptor in pieces of `piece` bytes. */
static void
enc_feed(struct age_enc *enc, const uint8_t *pt, size_t len, size_t piece, struct mem *out)
{
	struct err e = { 0 };

	for (size_t off = 0; off < len; off += piece) {
		size_t n = len - off < piece ? len - off : piece;

		cr_assert_eq(age_enc_update(enc, pt + off, n, mem_sink, out, &e), 0, "%s", e.msg);
	}
	cr_assert_eq(age_enc_final(enc, mem_sink, out, &e), 0, "%s", e.msg);
}

static struct mem
encrypt_mem(const struct age_recipient *r, size_t n, const uint8_t *pt, size_t len,
    size_t piece)
{
	struct age_enc enc;
	struct mem out = { 0 };
	struct err e = { 0 };

	cr_assert_eq(age_enc_init(&enc, NULL, r, n, &e), 0, "%s", e.msg);
	enc_feed(&enc, pt, len, piece, &out);
	cr_assert_eq(out.len, age_ct_size(&enc.params, len));
	age_enc_release(&enc);
	return out;
}

/* Decrypts ct fed in pieces; returns the code, leaving plaintext in *out and e filled. */
static int
decrypt_mem(const struct age_identity *ids, size_t n, const uint8_t *ct, size_t len,
    size_t piece, struct mem *out, struct err *e)
{
	struct age_dec dec;
	int rc = age_dec_init(&dec, ids, n, e);

	for (size_t off = 0; rc == 0 && off < len; off += piece)
		rc = age_dec_update(&dec, ct + off, len - off < piece ? len - off : piece,
		    mem_sink, out, e);
	if (rc == 0)
		rc = age_dec_final(&dec, mem_sink, out, e);
	age_dec_release(&dec);
	return rc;
}

/* Asserts that decryption fails with code and a message containing `what`. */
static void
expect_fail(const struct age_identity *id, const struct mem *ct, int code, const char *what)
{
	struct mem out = { 0 };
	struct err e = { 0 };

	cr_assert_eq(decrypt_mem(id, 1, ct->p, ct->len, 4096, &out, &e), code,
	    "want code %d (%s), got message \"%s\"", code, what, e.msg);
	cr_assert(strstr(e.msg, what) != NULL, "got \"%s\", want \"%s\"", e.msg, what);
	free(out.p);
}

static void
roundtrip(size_t size)
{
	struct age_identity id = new_identity();
	struct age_recipient r = recipient_of(&id);
	uint8_t *pt = random_bytes(size);
	struct mem ct = encrypt_mem(&r, 1, pt, size, 10007);
	size_t pieces[] = { 1, 4099, AGE_CT_CHUNK_SIZE, ct.len };

	for (size_t i = 0; i < sizeof pieces / sizeof pieces[0]; i++) {
		struct mem out = { 0 };
		struct err e = { 0 };

		if (pieces[i] == 1 && size > 2 * AGE_CHUNK_SIZE)
			continue;       /* byte-at-a-time is slow under ASan; smaller sizes cover it */
		cr_assert_eq(decrypt_mem(&id, 1, ct.p, ct.len, pieces[i], &out, &e), 0,
		    "size %zu piece %zu: %s", size, pieces[i], e.msg);
		cr_assert_eq(out.len, size);
		cr_assert(size == 0 || memcmp(out.p, pt, size) == 0);
		free(out.p);
	}
	free(ct.p);
	free(pt);
}

/* ---- HKDF and keys ---- */

Test(age, hkdf_rfc5869_case1)
{
	static const uint8_t okm[32] = {
		0x3c, 0xb2, 0x5f, 0x25, 0xfa, 0xac, 0xd5, 0x7a, 0x90, 0x43, 0x4f, 0x64, 0xd0, 0x36,
		0x2f, 0x2a, 0x2d, 0x2d, 0x0a, 0x90, 0xcf, 0x1a, 0x5a, 0x4c, 0x5d, 0xb0, 0x2d, 0x56,
		0xec, 0xc4, 0xc5, 0xbf,
	};
	uint8_t ikm[22], salt[13], info[10], out[32];

	memset(ikm, 0x0b, sizeof ikm);
	for (size_t i = 0; i < sizeof salt; i++)
		salt[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof info; i++)
		info[i] = (uint8_t)(0xf0 + i);
	age_hkdf(out, salt, sizeof salt, ikm, sizeof ikm, info, sizeof info);
	cr_assert_arr_eq(out, okm, 32);
}

Test(age, spec_key_pair)
{
	struct age_identity id;
	struct age_recipient r, r2;
	char s[AGE_IDENTITY_STR_LEN + 1], p[AGE_RECIPIENT_STR_LEN + 1];

	cr_assert_eq(age_identity_parse(&id, spec_sk, NULL), 0);
	cr_assert_eq(age_recipient_parse(&r, spec_pk, NULL), 0);
	age_identity_recipient(&id, &r2);
	cr_assert_arr_eq(r.pub, r2.pub, 32);
	age_identity_format(&id, s);
	age_recipient_format(&r, p);
	cr_assert_str_eq(s, spec_sk);
	cr_assert_str_eq(p, spec_pk);
}

Test(age, key_parse_rejects)
{
	struct age_identity id;
	struct age_recipient r;
	struct err e = { 0 };
	char lower[sizeof spec_sk];

	for (size_t i = 0; i < sizeof spec_sk; i++)
		lower[i] = (char)((spec_sk[i] >= 'A' && spec_sk[i] <= 'Z') ? spec_sk[i] + 32 :
		    spec_sk[i]);
	/* age writes and accepts the secret key only in upper case. */
	cr_assert_eq(age_identity_parse(&id, lower, &e), SP_EINVAL);
	cr_assert_eq(age_identity_parse(&id, spec_pk, &e), SP_EINVAL);
	cr_assert(strstr(e.msg, "not an age secret key") != NULL, "%s", e.msg);
	cr_assert_eq(age_recipient_parse(&r, spec_sk, &e), SP_EINVAL);
	cr_assert_eq(age_recipient_parse(&r, "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn7"
	    "3equnujwq", &e), SP_EINVAL);
	cr_assert(strstr(e.msg, "checksum") != NULL, "%s", e.msg);
	cr_assert_eq(age_recipient_parse(&r, "age1qqqqqqqq6tmhky", &e), SP_EINVAL);
}

Test(age, identity_file_parse)
{
	static const char text[] =
	    "# created: 2024-01-01T00:00:00Z\r\n"
	    "# public key: age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj\n"
	    "\n"
	    "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX\r\n"
	    "#\n"
	    "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX";
	struct age_identity *ids = NULL;
	struct age_recipient r;
	size_t n = 0;

	cr_assert_eq(age_identities_parse(text, strlen(text), &ids, &n, NULL), 0);
	cr_assert_eq(n, 2);
	cr_assert_eq(age_recipient_parse(&r, spec_pk, NULL), 0);
	cr_assert_arr_eq(ids[1].pub, r.pub, 32);
	age_identities_free(ids, n);
}

Test(age, identity_file_errors)
{
	static const char bad[] = "# x\n\nAGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZ"
	    "GFPYYSJZGFPQ4EGAEQ\n";
	static const char none[] = "# only comments\n\n";
	static const char enc[] = "age-encryption.org/v1\n-> scrypt x 18\n";
	struct age_identity *ids = NULL;
	size_t n = 0;
	struct err e = { 0 };

	cr_assert_eq(age_identities_parse(bad, strlen(bad), &ids, &n, &e), SP_EINVAL);
	cr_assert(strstr(e.msg, "line 3: ") != NULL, "%s", e.msg);
	cr_assert(strstr(e.msg, "GFPYY") == NULL, "secret quoted in: %s", e.msg);
	cr_assert_eq(age_identities_parse(none, strlen(none), &ids, &n, &e), SP_EINVAL);
	cr_assert_eq(age_identities_parse(enc, strlen(enc), &ids, &n, &e), SP_EUNSUPPORTED);
	cr_assert_null(ids);
}

Test(age, identity_file_format)
{
	struct age_identity id = new_identity(), *ids = NULL;
	char text[AGE_IDENTITY_FILE_MAX], pub[AGE_RECIPIENT_STR_LEN + 1];
	struct age_recipient r = recipient_of(&id);
	size_t n = age_identity_file_format(&id, 1700000000, text), cnt = 0;

	age_recipient_format(&r, pub);
	cr_assert_eq(n, strlen(text));
	cr_assert_eq(strncmp(text, "# created: 2023-11-", 19), 0, "%s", text);
	cr_assert(strstr(text, "# public key: ") != NULL);
	cr_assert(strstr(text, pub) != NULL);
	cr_assert(strstr(text, "\nAGE-SECRET-KEY-1") != NULL);
	cr_assert_eq(age_identities_parse(text, n, &ids, &cnt, NULL), 0);
	cr_assert_eq(cnt, 1);
	cr_assert_arr_eq(ids[0].secret, id.secret, 32);
	age_identities_free(ids, cnt);
}

Test(age, recipients_file_parse)
{
	static const char text[] = "# team\nage1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73"
	    "equnujwj\n\nage1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj\n";
	static const char bad[] = "ssh-ed25519 AAAA\n";
	struct age_recipient *r = NULL;
	size_t n = 0;
	struct err e = { 0 };

	cr_assert_eq(age_recipients_parse(text, strlen(text), &r, &n, NULL), 0);
	cr_assert_eq(n, 2);
	free(r);
	cr_assert_eq(age_recipients_parse(bad, strlen(bad), &r, &n, &e), SP_EINVAL);
	cr_assert(strstr(e.msg, "line 1") != NULL, "%s", e.msg);
}

/* ---- round trips ---- */

Test(age, roundtrip_0) { roundtrip(0); }
Test(age, roundtrip_1) { roundtrip(1); }
Test(age, roundtrip_65535) { roundtrip(65535); }
Test(age, roundtrip_65536) { roundtrip(65536); }
Test(age, roundtrip_65537) { roundtrip(65537); }
Test(age, roundtrip_131072) { roundtrip(131072); }
Test(age, roundtrip_1mib_plus_3) { roundtrip(1024 * 1024 + 3); }

Test(age, chunk_layout)
{
	struct age_identity id = new_identity();
	struct age_recipient r = recipient_of(&id);
	uint8_t *pt = random_bytes(65536);
	struct mem one = encrypt_mem(&r, 1, pt, 65536, 65536);
	struct mem empty = encrypt_mem(&r, 1, pt, 0, 1);
	size_t hdr = 22 + 98 + 48;

	/* Exactly 64 KiB is one final chunk; empty plaintext is one tag-only chunk. */
	cr_assert_eq(one.len, hdr + 16 + 65536 + 16);
	cr_assert_eq(empty.len, hdr + 16 + 16);
	free(one.p);
	free(empty.p);
	free(pt);
}

Test(age, several_recipients_and_identities)
{
	struct age_identity ids[3] = { new_identity(), new_identity(), new_identity() };
	struct age_identity other = new_identity(), try[2];
	struct age_recipient r[3] = { recipient_of(&ids[0]), recipient_of(&ids[1]),
		recipient_of(&ids[2]) };
	uint8_t *pt = random_bytes(70000);
	struct mem ct = encrypt_mem(r, 3, pt, 70000, 3000);
	struct err e = { 0 };

	for (int i = 0; i < 3; i++) {
		struct mem out = { 0 };

		cr_assert_eq(decrypt_mem(&ids[i], 1, ct.p, ct.len, 5000, &out, &e), 0, "%s", e.msg);
		cr_assert_eq(out.len, 70000);
		cr_assert_eq(memcmp(out.p, pt, 70000), 0);
		free(out.p);
	}
	try[0] = other;
	try[1] = ids[2];
	{
		struct mem out = { 0 };

		cr_assert_eq(decrypt_mem(try, 2, ct.p, ct.len, 5000, &out, &e), 0, "%s", e.msg);
		cr_assert_eq(out.len, 70000);
		free(out.p);
	}
	expect_fail(&other, &ct, SP_ECRYPTO, "no identity matched");
	free(ct.p);
	free(pt);
}

Test(age, deterministic_and_random_file_key)
{
	static const uint8_t fk[16] = { 1, 2, 3 };
	struct age_identity id = new_identity();
	struct age_recipient r = recipient_of(&id);
	struct age_enc a, b;

	cr_assert_eq(age_enc_init(&a, fk, &r, 1, NULL), 0);
	cr_assert_eq(age_enc_init(&b, NULL, &r, 1, NULL), 0);
	cr_assert_arr_eq(a.params.file_key, fk, 16);
	cr_assert_arr_neq(b.params.file_key, fk, 16);
	cr_assert_arr_neq(a.params.nonce, b.params.nonce, 16);
	age_enc_release(&a);
	age_enc_release(&b);
	cr_assert_eq(age_enc_init(&a, NULL, &r, 0, NULL), SP_EINVAL);
	age_enc_release(&a);
}

/* ---- deterministic chunks, offsets, params ---- */

Test(age, chunk_regeneration)
{
	struct age_identity id = new_identity();
	struct age_recipient r = recipient_of(&id);
	size_t len = 3 * AGE_CHUNK_SIZE + 12345, nchunks = 4;
	uint8_t *pt = random_bytes(len), out[AGE_CT_CHUNK_SIZE];
	struct age_enc_params p;
	struct age_enc enc;
	struct mem ct = { 0 };
	struct age_ct_pos pos;

	cr_assert_eq(age_params_init(&p, NULL, &r, 1, NULL), 0);
	cr_assert_eq(age_enc_init_at(&enc, &p, 0, NULL), 0);
	enc_feed(&enc, pt, len, 777, &ct);
	age_enc_release(&enc);
	cr_assert_eq(ct.len, age_ct_size(&p, len));
	cr_assert_eq(memcmp(ct.p, p.header, p.header_len), 0);
	for (size_t k = 0; k < nchunks; k++) {
		uint64_t off = age_prefix_len(&p) + k * AGE_CT_CHUNK_SIZE;
		size_t n = k + 1 < nchunks ? AGE_CHUNK_SIZE : len - k * AGE_CHUNK_SIZE;

		cr_assert_eq(age_enc_chunk(&p, k, pt + k * AGE_CHUNK_SIZE, n, k + 1 == nchunks, out,
		    NULL), 0);
		cr_assert_eq(memcmp(ct.p + off, out, n + AGE_TAG_LEN), 0, "chunk %zu differs", k);
		age_ct_locate(&p, off + 5, &pos);
		cr_assert(!pos.in_prefix && pos.chunk == k && pos.offset == 5);
	}
	age_ct_locate(&p, 7, &pos);
	cr_assert(pos.in_prefix && pos.offset == 7);
	age_params_release(&p);
	free(ct.p);
	free(pt);
}

Test(age, resume_at_chunk_and_params_pack)
{
	struct age_identity id = new_identity();
	struct age_recipient r = recipient_of(&id);
	size_t len = 2 * AGE_CHUNK_SIZE + 99;
	uint8_t *pt = random_bytes(len), *packed = NULL;
	size_t plen = 0;
	struct age_enc_params p, q;
	struct age_enc enc;
	struct mem full = { 0 }, tail = { 0 }, out = { 0 };
	struct err e = { 0 };

	cr_assert_eq(age_params_init(&p, NULL, &r, 1, NULL), 0);
	cr_assert_eq(age_enc_init_at(&enc, &p, 0, NULL), 0);
	enc_feed(&enc, pt, len, len, &full);
	age_enc_release(&enc);
	/* A "later process": params come back from their serialised form. */
	cr_assert_eq(age_params_pack(&p, &packed, &plen, NULL), 0);
	cr_assert_eq(age_params_unpack(&q, packed, plen, &e), 0, "%s", e.msg);
	cr_assert_eq(age_enc_init_at(&enc, &q, 1, NULL), 0);
	enc_feed(&enc, pt + AGE_CHUNK_SIZE, len - AGE_CHUNK_SIZE, 1000, &tail);
	age_enc_release(&enc);
	cr_assert_eq(tail.len, full.len - age_prefix_len(&p) - AGE_CT_CHUNK_SIZE);
	cr_assert_eq(memcmp(full.p + full.len - tail.len, tail.p, tail.len), 0);
	cr_assert_eq(decrypt_mem(&id, 1, full.p, full.len, 65536, &out, &e), 0, "%s", e.msg);
	/* A packed blob with another file key must not pass for these params. */
	packed[8] ^= 1;
	age_params_release(&q);
	cr_assert_eq(age_params_unpack(&q, packed, plen, &e), SP_ECRYPTO);
	cr_assert_eq(age_params_unpack(&q, packed, 10, &e), SP_EINVAL);
	age_params_release(&p);
	free(packed);
	free(full.p);
	free(tail.p);
	free(out.p);
	free(pt);
}

Test(age, chunk_shape_rules)
{
	struct age_identity id = new_identity();
	struct age_recipient r = recipient_of(&id);
	struct age_enc_params p;
	uint8_t pt[10] = { 0 }, *out = malloc(AGE_CT_CHUNK_SIZE + 16);

	cr_assert_eq(age_params_init(&p, NULL, &r, 1, NULL), 0);
	cr_assert_eq(age_enc_chunk(&p, 0, pt, 10, 0, out, NULL), SP_EINVAL);   /* short non-last */
	cr_assert_eq(age_enc_chunk(&p, 3, pt, 0, 1, out, NULL), SP_EINVAL);    /* empty, not first */
	cr_assert_eq(age_enc_chunk(&p, 0, pt, 0, 1, out, NULL), 0);
	cr_assert_eq(age_ct_size(&p, 0), age_prefix_len(&p) + 16);
	cr_assert_eq(age_ct_size(&p, 65536), age_prefix_len(&p) + 65552);
	cr_assert_eq(age_ct_size(&p, 65537), age_prefix_len(&p) + 65552 + 17);
	age_params_release(&p);
	free(out);
}

/* ---- tampering, truncation, stanza rules ---- */

struct fixture {
	struct age_identity id;
	struct age_enc_params p;
	uint8_t *pt;
	size_t pt_len;
	struct mem ct;
};

static void
fixture_make(struct fixture *f, size_t len)
{
	struct age_recipient r;
	struct age_enc enc;

	f->id = new_identity();
	r = recipient_of(&f->id);
	f->pt = random_bytes(len);
	f->pt_len = len;
	memset(&f->ct, 0, sizeof f->ct);
	cr_assert_eq(age_params_init(&f->p, NULL, &r, 1, NULL), 0);
	cr_assert_eq(age_enc_init_at(&enc, &f->p, 0, NULL), 0);
	enc_feed(&enc, f->pt, len, len ? len : 1, &f->ct);
	age_enc_release(&enc);
}

static void
fixture_free(struct fixture *f)
{
	age_params_release(&f->p);
	free(f->pt);
	free(f->ct.p);
}

/* A copy of the file with its header rebuilt as version + pre + real stanzas + post, under
 * a correct MAC, so that only the stanza rule under test can fail. */
static struct mem
rebuild(const struct fixture *f, const char *pre, const char *post)
{
	static const char version[] = "age-encryption.org/v1\n";
	struct mem m = { 0 };
	uint8_t key[32], mac[32];
	char b64[64];
	size_t v = strlen(version), stanzas = f->p.header_len - v - 48;

	mem_add(&m, version, v);
	mem_add(&m, pre, strlen(pre));
	mem_add(&m, f->p.header + v, stanzas);
	mem_add(&m, post, strlen(post));
	mem_add(&m, "---", 3);
	age_hkdf(key, NULL, 0, f->p.file_key, 16, (const uint8_t *)"header", 6);
	crypto_auth_hmacsha256(mac, m.p, m.len, key);
	sodium_bin2base64(b64, sizeof b64, mac, 32, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	mem_add(&m, " ", 1);
	mem_add(&m, b64, strlen(b64));
	mem_add(&m, "\n", 1);
	mem_add(&m, f->ct.p + f->p.header_len, f->ct.len - f->p.header_len);
	return m;
}

static struct mem
copy_of(const struct mem *m, size_t len)
{
	struct mem c = { 0 };

	mem_add(&c, m->p, len);
	return c;
}

Test(age, flipped_byte_in_header_mac_payload)
{
	struct fixture f;
	struct mem c;
	size_t mac_at;

	fixture_make(&f, 2 * AGE_CHUNK_SIZE + 10);
	c = copy_of(&f.ct, f.ct.len);
	c.p[22 + 10 + 5] = c.p[22 + 10 + 5] == 'A' ? 'B' : 'A';     /* inside the share */
	expect_fail(&f.id, &c, SP_ECRYPTO, "no identity matched");
	free(c.p);
	c = copy_of(&f.ct, f.ct.len);
	mac_at = f.p.header_len - 48 + 4 + 10;
	c.p[mac_at] = c.p[mac_at] == 'A' ? 'B' : 'A';
	expect_fail(&f.id, &c, SP_ECRYPTO, "MAC mismatch");
	free(c.p);
	c = copy_of(&f.ct, f.ct.len);
	c.p[c.len - 5] ^= 0x01;                                     /* in the 26-byte chunk 2 */
	expect_fail(&f.id, &c, SP_ECRYPTO, "final chunk 2 failed authentication");
	free(c.p);
	fixture_free(&f);
}

Test(age, no_plaintext_from_a_bad_chunk)
{
	struct fixture f;
	struct mem c, out = { 0 };
	struct err e = { 0 };

	fixture_make(&f, 2 * AGE_CHUNK_SIZE + 10);
	c = copy_of(&f.ct, f.ct.len);
	c.p[age_prefix_len(&f.p) + AGE_CT_CHUNK_SIZE + 3] ^= 0x80;       /* chunk 1 */
	cr_assert_eq(decrypt_mem(&f.id, 1, c.p, c.len, c.len, &out, &e), SP_ECRYPTO);
	cr_assert(strstr(e.msg, "payload chunk 1 failed authentication") != NULL, "%s", e.msg);
	cr_assert_eq(out.len, AGE_CHUNK_SIZE);  /* chunk 0 only */
	free(out.p);
	free(c.p);
	fixture_free(&f);
}

Test(age, truncated_and_extended)
{
	struct fixture f, g;
	struct mem c;

	fixture_make(&f, 200000);
	c = copy_of(&f.ct, f.ct.len - 1);
	expect_fail(&f.id, &c, SP_ECRYPTO, "final chunk 3 failed authentication");
	free(c.p);
	c = copy_of(&f.ct, f.ct.len);
	mem_add(&c, "x", 1);
	expect_fail(&f.id, &c, SP_ECRYPTO, "final chunk 3 failed authentication");
	free(c.p);
	fixture_make(&g, 2 * AGE_CHUNK_SIZE);
	c = copy_of(&g.ct, g.ct.len - AGE_CT_CHUNK_SIZE);               /* a whole chunk off */
	expect_fail(&g.id, &c, SP_ECRYPTO, "chunk 0 is not marked final");
	free(c.p);
	c = copy_of(&g.ct, g.ct.len);
	mem_add(&c, "x", 1);                                            /* after a full final */
	expect_fail(&g.id, &c, SP_ECRYPTO, "trailing data after the final chunk");
	free(c.p);
	c = copy_of(&g.ct, 30);
	expect_fail(&g.id, &c, SP_ECRYPTO, "ends inside the header");
	free(c.p);
	c = copy_of(&g.ct, g.p.header_len + 5);
	expect_fail(&g.id, &c, SP_ECRYPTO, "ends inside the payload nonce");
	free(c.p);
	c = copy_of(&g.ct, age_prefix_len(&g.p));
	expect_fail(&g.id, &c, SP_ECRYPTO, "no payload");
	free(c.p);
	c = copy_of(&g.ct, age_prefix_len(&g.p) + 9);
	expect_fail(&g.id, &c, SP_ECRYPTO, "shorter than its 16-byte tag");
	free(c.p);
	fixture_free(&f);
	fixture_free(&g);
}

Test(age, empty_final_chunk_after_data)
{
	struct fixture f;
	struct mem c;
	uint8_t key[32], nonce[12] = { 0 }, tag[16], *chunk0 = malloc(AGE_CT_CHUNK_SIZE);

	fixture_make(&f, AGE_CHUNK_SIZE);
	c = copy_of(&f.ct, age_prefix_len(&f.p));
	cr_assert_eq(age_enc_chunk(&f.p, 0, f.pt, AGE_CHUNK_SIZE, 0, chunk0, NULL), 0);
	mem_add(&c, chunk0, AGE_CT_CHUNK_SIZE);
	/* age_enc_chunk refuses to make this chunk, so build it by hand. */
	age_hkdf(key, f.p.nonce, 16, f.p.file_key, 16, (const uint8_t *)"payload", 7);
	nonce[10] = 1;
	nonce[11] = 1;
	crypto_aead_chacha20poly1305_ietf_encrypt(tag, NULL, NULL, 0, NULL, 0, NULL, nonce, key);
	mem_add(&c, tag, 16);
	expect_fail(&f.id, &c, SP_ECRYPTO, "empty final chunk 1");
	free(chunk0);
	free(c.p);
	fixture_free(&f);
}

Test(age, header_cr_and_base64_rules)
{
	struct fixture f;
	struct mem c;
	size_t body_end = 22 + 98 - 1;

	fixture_make(&f, 100);
	c = copy_of(&f.ct, 22 + 53);            /* through the share, before its LF */
	mem_add(&c, "\r", 1);
	mem_add(&c, f.ct.p + 22 + 53, f.ct.len - 22 - 53);
	expect_fail(&f.id, &c, SP_EINVAL, "CR");
	free(c.p);
	c = copy_of(&f.ct, body_end);           /* the 43-char body line, padded to 44 */
	mem_add(&c, "=", 1);
	mem_add(&c, f.ct.p + body_end, f.ct.len - body_end);
	expect_fail(&f.id, &c, SP_EINVAL, "not canonical unpadded base64");
	free(c.p);
	c = rebuild(&f, "-> other\nYR\n", "");  /* "YQ" is canonical, "YR" has stray bits */
	expect_fail(&f.id, &c, SP_EINVAL, "not canonical");
	free(c.p);
	c = rebuild(&f, "-> other\nYQ==\n", "");
	expect_fail(&f.id, &c, SP_EINVAL, "not canonical");
	free(c.p);
	fixture_free(&f);
}

Test(age, unknown_stanzas_skipped)
{
	static const char pre[] =
	    "-> grease-1 a-b ~!\n"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"   /* 48 bytes */
	    "\n"
	    "-> zzz\n"
	    "\n";
	static const char post[] =
	    "-> long\n"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
	    "AAAA\n";
	struct fixture f;
	struct mem c, out = { 0 };
	struct err e = { 0 };

	fixture_make(&f, 70000);
	c = rebuild(&f, pre, post);
	cr_assert_eq(decrypt_mem(&f.id, 1, c.p, c.len, 333, &out, &e), 0, "%s", e.msg);
	cr_assert_eq(out.len, 70000);
	cr_assert_eq(memcmp(out.p, f.pt, 70000), 0);
	free(out.p);
	free(c.p);
	fixture_free(&f);
}

Test(age, stanza_syntax_errors)
{
	static const char b43[] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	char buf[256];
	struct fixture f;
	struct mem c;

	fixture_make(&f, 10);
	c = rebuild(&f, "-> a  b\n\n", "");
	expect_fail(&f.id, &c, SP_EINVAL, "empty stanza argument");
	free(c.p);
	c = rebuild(&f, "->\n\n", "");
	expect_fail(&f.id, &c, SP_EINVAL, "malformed stanza");
	free(c.p);
	c = rebuild(&f, "-> x\n"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", "");
	expect_fail(&f.id, &c, SP_EINVAL, "longer than 64");
	free(c.p);
	snprintf(buf, sizeof buf, "-> X25519 %s extra\n%s\n", b43, b43);
	c = rebuild(&f, buf, "");
	expect_fail(&f.id, &c, SP_EINVAL, "exactly one argument");
	free(c.p);
	snprintf(buf, sizeof buf, "-> X25519 %s\nAAAA\n", b43);
	c = rebuild(&f, buf, "");
	expect_fail(&f.id, &c, SP_EINVAL, "body is 3 bytes");
	free(c.p);
	snprintf(buf, sizeof buf, "-> scrypt c2FsdHNhbHRzYWx0c2FsdA 18\n%s\n", b43);
	c = rebuild(&f, buf, "");
	expect_fail(&f.id, &c, SP_EINVAL, "scrypt stanza must be the only one");
	free(c.p);
	fixture_free(&f);
}

Test(age, x25519_low_order_share)
{
	static const char zero[] = "-> X25519 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n";
	struct fixture f;
	struct mem c;

	fixture_make(&f, 10);
	c = rebuild(&f, zero, "");
	expect_fail(&f.id, &c, SP_ECRYPTO, "low-order");
	free(c.p);
	fixture_free(&f);
}

Test(age, not_age_files)
{
	struct age_identity id = new_identity();
	struct mem c = { 0 };

	mem_add(&c, "hello world\n", 12);
	expect_fail(&id, &c, SP_EINVAL, "not an age file");
	c.len = 0;
	mem_add(&c, "-----BEGIN AGE ENCRYPTED FILE-----\n", 35);
	expect_fail(&id, &c, SP_EUNSUPPORTED, "armored");
	c.len = 0;
	mem_add(&c, "age-encryption.org/v2\n", 22);
	expect_fail(&id, &c, SP_EUNSUPPORTED, "version");
	c.len = 0;
	expect_fail(&id, &c, SP_EINVAL, "empty input");
	free(c.p);
}

/* ---- fd and path helpers ---- */

static char tmpdir[64];

static void
tmp_setup(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/test_age.XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
}

static int run(const char *const argv[], const char *in, const char *out);

static void
tmp_teardown(void)
{
	const char *argv[] = { "/bin/rm", "-rf", tmpdir, NULL };

	run(argv, NULL, NULL);
}

static const char *
tpath(const char *name)
{
	static char bufs[8][128];
	static int next;
	char *p = bufs[next++ % 8];

	snprintf(p, 128, "%s/%s", tmpdir, name);
	return p;
}

static void
write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	cr_assert_not_null(f, "%s", path);
	cr_assert_eq(fwrite(buf, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

static struct mem
read_file(const char *path)
{
	struct mem m = { 0 };
	uint8_t buf[65536];
	size_t n;
	FILE *f = fopen(path, "rb");

	cr_assert_not_null(f, "%s", path);
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		mem_add(&m, buf, n);
	fclose(f);
	return m;
}

/* Runs argv[0] with stdin/stdout from/to files (NULL: /dev/null); returns its exit code. */
static int
run(const char *const argv[], const char *in, const char *out)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st = 0;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, in ? in : "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, out ? out : "/dev/null",
	    O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	cr_assert_eq(posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ), 0,
	    "spawn %s", argv[0]);
	posix_spawn_file_actions_destroy(&fa);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Files in the test directory, to prove that no temporary was left behind. */
static int
dir_entries(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *de;
	int n = 0;

	cr_assert_not_null(d);
	while ((de = readdir(d)) != NULL)
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	closedir(d);
	return n;
}

TestSuite(files, .init = tmp_setup, .fini = tmp_teardown);

Test(files, path_helpers_and_failed_decrypt_leaves_nothing)
{
	struct age_identity id = new_identity(), other = new_identity();
	struct age_recipient r = recipient_of(&id);
	uint8_t *pt = random_bytes(100000);
	struct err e = { 0 };
	struct mem got, ct;

	write_file(tpath("in"), pt, 100000);
	cr_assert_eq(age_encrypt_path(tpath("in"), tpath("in.age"), 0640, &r, 1, &e), 0, "%s",
	    e.msg);
	cr_assert_eq(age_decrypt_path(tpath("in.age"), tpath("out"), 0600, &id, 1, &e), 0, "%s",
	    e.msg);
	got = read_file(tpath("out"));
	cr_assert_eq(got.len, 100000);
	cr_assert_eq(memcmp(got.p, pt, 100000), 0);
	free(got.p);
	cr_assert_eq(dir_entries(), 3);
	cr_assert_eq(age_decrypt_path(tpath("in.age"), tpath("bad"), 0600, &other, 1, &e),
	    SP_ECRYPTO);
	cr_assert(strstr(e.msg, "in.age: ") != NULL, "%s", e.msg);
	/* Truncated: chunk 0 authenticates and is written, but the output never appears. */
	ct = read_file(tpath("in.age"));
	write_file(tpath("trunc.age"), ct.p, ct.len - 1);
	cr_assert_eq(age_decrypt_path(tpath("trunc.age"), tpath("bad"), 0600, &id, 1, &e),
	    SP_ECRYPTO);
	cr_assert_eq(access(tpath("bad"), F_OK), -1);
	cr_assert_eq(dir_entries(), 4);         /* in, in.age, out, trunc.age: no temp left */
	free(ct.p);
	free(pt);
}

Test(files, identity_write_path)
{
	struct age_identity id = new_identity(), *ids = NULL;
	struct stat st;
	size_t n = 0;
	struct err e = { 0 };

	cr_assert_eq(age_identity_write_path(tpath("k.txt"), &id, time(NULL), &e), 0, "%s", e.msg);
	cr_assert_eq(stat(tpath("k.txt"), &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	cr_assert_eq(age_identity_write_path(tpath("k.txt"), &id, time(NULL), &e), SP_ECONFLICT);
	cr_assert_eq(age_identities_load(tpath("k.txt"), &ids, &n, &e), 0, "%s", e.msg);
	cr_assert_arr_eq(ids[0].secret, id.secret, 32);
	age_identities_free(ids, n);
	cr_assert_eq(age_identities_load(tpath("missing"), &ids, &n, &e), SP_ENOTFOUND);
	cr_assert_eq(dir_entries(), 1);
}

/* ---- interop with age 1.1.1 ---- */

TestSuite(interop, .init = tmp_setup, .fini = tmp_teardown);

/* age-keygen writes a key; we read it, agree on the public key, and it opens our files. */
static void
interop_ours_to_age(size_t size)
{
	const char *kg[] = { AGE_KEYGEN_BIN, "-o", tpath("age.key"), NULL };
	const char *y[] = { AGE_KEYGEN_BIN, "-y", tpath("age.key"), NULL };
	const char *dec[] = { AGE_BIN, "-d", "-i", tpath("age.key"), tpath("c.age"), NULL };
	struct age_identity *ids = NULL;
	struct age_recipient r;
	char pub[AGE_RECIPIENT_STR_LEN + 1];
	uint8_t *pt = random_bytes(size);
	struct mem ct, out, theirs;
	size_t n = 0;

	cr_assert_eq(access(AGE_BIN, X_OK), 0, "the age tool is required (apt-get install age)");
	cr_assert_eq(run(kg, NULL, NULL), 0);
	cr_assert_eq(age_identities_load(tpath("age.key"), &ids, &n, NULL), 0);
	age_identity_recipient(&ids[0], &r);
	age_recipient_format(&r, pub);
	cr_assert_eq(run(y, NULL, tpath("pub")), 0);
	theirs = read_file(tpath("pub"));
	cr_assert_eq(theirs.len, AGE_RECIPIENT_STR_LEN + 1);
	cr_assert_eq(memcmp(theirs.p, pub, AGE_RECIPIENT_STR_LEN), 0);
	ct = encrypt_mem(&r, 1, pt, size, 4096);
	write_file(tpath("c.age"), ct.p, ct.len);
	cr_assert_eq(run(dec, NULL, tpath("out")), 0, "age -d failed on our %zu-byte file", size);
	out = read_file(tpath("out"));
	cr_assert_eq(out.len, size);
	cr_assert(size == 0 || memcmp(out.p, pt, size) == 0);
	age_identities_free(ids, n);
	free(theirs.p);
	free(out.p);
	free(ct.p);
	free(pt);
}

/* We write a key file; age reads it, encrypts to our public key, and we decrypt. */
static void
interop_age_to_ours(size_t size)
{
	struct age_identity id = new_identity();
	struct age_recipient r = recipient_of(&id);
	char pub[AGE_RECIPIENT_STR_LEN + 1];
	const char *y[] = { AGE_KEYGEN_BIN, "-y", tpath("our.key"), NULL };
	const char *enc[] = { AGE_BIN, "-r", pub, "-o", tpath("a.age"), tpath("p"), NULL };
	uint8_t *pt = random_bytes(size);
	struct mem ct, out = { 0 }, theirs;
	struct err e = { 0 };

	age_recipient_format(&r, pub);
	cr_assert_eq(age_identity_write_path(tpath("our.key"), &id, time(NULL), &e), 0);
	cr_assert_eq(run(y, NULL, tpath("pub")), 0);
	theirs = read_file(tpath("pub"));
	cr_assert_eq(memcmp(theirs.p, pub, AGE_RECIPIENT_STR_LEN), 0);
	write_file(tpath("p"), pt, size);
	cr_assert_eq(run(enc, NULL, NULL), 0);
	ct = read_file(tpath("a.age"));
	cr_assert_eq(decrypt_mem(&id, 1, ct.p, ct.len, 1000, &out, &e), 0, "%zu: %s", size, e.msg);
	cr_assert_eq(out.len, size);
	cr_assert(size == 0 || memcmp(out.p, pt, size) == 0);
	free(theirs.p);
	free(out.p);
	free(ct.p);
	free(pt);
}

Test(interop, ours_to_age_0) { interop_ours_to_age(0); }
Test(interop, ours_to_age_1) { interop_ours_to_age(1); }
Test(interop, ours_to_age_65536) { interop_ours_to_age(65536); }
Test(interop, ours_to_age_200000) { interop_ours_to_age(200000); }
Test(interop, age_to_ours_0) { interop_age_to_ours(0); }
Test(interop, age_to_ours_1) { interop_age_to_ours(1); }
Test(interop, age_to_ours_65536) { interop_age_to_ours(65536); }
Test(interop, age_to_ours_200000) { interop_age_to_ours(200000); }

Test(interop, age_rejects_our_tampered_file)
{
	const char *kg[] = { AGE_KEYGEN_BIN, "-o", tpath("age.key"), NULL };
	const char *dec[] = { AGE_BIN, "-d", "-i", tpath("age.key"), tpath("c.age"), NULL };
	struct age_identity *ids = NULL;
	struct age_recipient r;
	uint8_t *pt = random_bytes(1000);
	struct mem ct;
	size_t n = 0;

	cr_assert_eq(run(kg, NULL, NULL), 0);
	cr_assert_eq(age_identities_load(tpath("age.key"), &ids, &n, NULL), 0);
	age_identity_recipient(&ids[0], &r);
	ct = encrypt_mem(&r, 1, pt, 1000, 1000);
	ct.p[ct.len - 5] ^= 1;
	write_file(tpath("c.age"), ct.p, ct.len);
	cr_assert_neq(run(dec, NULL, NULL), 0);
	age_identities_free(ids, n);
	free(ct.p);
	free(pt);
}
