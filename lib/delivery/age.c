/* age: age v1 files for X25519 recipients: the format in memory (see age.h; the format is
 * in SPECS.md section 2; keys and files are in age_key.c). */
#include "lib/delivery/age_int.h"

#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <sodium.h>

#define AGE_B64 sodium_base64_VARIANT_ORIGINAL_NO_PADDING
#define AGE_B64_32 43                   /* unpadded base64 of 32 bytes */
#define AGE_B64_LINE 64                 /* stanza body column width */
#define AGE_STANZA_LEN (10 + AGE_B64_32 + 1 + AGE_B64_32 + 1)
#define AGE_MAC_LINE_LEN (4 + AGE_B64_32 + 1)
#define AGE_PARAMS_MAGIC "SPAGEP01"
#define AGE_PARAMS_MAGIC_LEN 8

enum { AGE_DEC_HEADER, AGE_DEC_NONCE, AGE_DEC_PAYLOAD, AGE_DEC_DONE };

/* Wrapping uses a fresh key per stanza, so a fixed all-zero nonce is safe (age spec). */
static const uint8_t age_zero_nonce[12];

int
age_sodium_ready(struct err *err)
{
	if (sodium_init() < 0)
		return err_set(err, SP_EINTERNAL, "libsodium failed to initialise");
	return 0;
}

/* ---- primitives ---- */

/* libsodium 1.0.18 has no HKDF; one expand block suffices for 32 bytes. */
void
age_hkdf(uint8_t out[32], const uint8_t *salt, size_t salt_len, const uint8_t *ikm,
    size_t ikm_len, const uint8_t *info, size_t info_len)
{
	static const uint8_t none[1];
	const uint8_t one = 1;
	crypto_auth_hmacsha256_state st;
	uint8_t prk[32];

	crypto_auth_hmacsha256_init(&st, salt_len ? salt : none, salt_len);
	crypto_auth_hmacsha256_update(&st, ikm, ikm_len);
	crypto_auth_hmacsha256_final(&st, prk);
	crypto_auth_hmacsha256_init(&st, prk, sizeof prk);
	crypto_auth_hmacsha256_update(&st, info_len ? info : none, info_len);
	crypto_auth_hmacsha256_update(&st, &one, 1);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(prk, sizeof prk);
	sodium_memzero(&st, sizeof st);
}

static void
age_hkdf_str(uint8_t out[32], const uint8_t *salt, size_t salt_len, const uint8_t *ikm,
    size_t ikm_len, const char *info)
{
	age_hkdf(out, salt, salt_len, ikm, ikm_len, (const uint8_t *)info, strlen(info));
}

/*
 * Decodes unpadded standard base64 s[0..n), n <= 64. age allows exactly one encoding per
 * value, so padding, stray characters and non-zero unused bits are all rejected; re-encoding
 * and comparing catches every such case at once.
 */
static int
age_b64_decode(uint8_t *out, size_t cap, size_t *len, const char *s, size_t n)
{
	char again[AGE_B64_LINE + 2];
	const char *end = NULL;

	if (n > AGE_B64_LINE)
		return -1;
	if (sodium_base642bin(out, cap, s, n, NULL, len, &end, AGE_B64) != 0 || end != s + n)
		return -1;
	sodium_bin2base64(again, sizeof again, out, *len, AGE_B64);
	return (strlen(again) == n && memcmp(again, s, n) == 0) ? 0 : -1;
}

static void
age_wrap_key(uint8_t key[32], const uint8_t share[32], const uint8_t pub[32],
    const uint8_t shared[32])
{
	uint8_t salt[64];

	memcpy(salt, share, 32);
	memcpy(salt + 32, pub, 32);
	age_hkdf_str(key, salt, sizeof salt, shared, 32, "age-encryption.org/v1/X25519");
}

/* The MAC covers the header up to and including "---", not the space after it. */
static void
age_header_mac(uint8_t mac[32], const uint8_t file_key[16], const char *hdr, size_t len)
{
	uint8_t key[32];

	age_hkdf_str(key, NULL, 0, file_key, AGE_FILE_KEY_LEN, "header");
	crypto_auth_hmacsha256(mac, (const uint8_t *)hdr, len, key);
	sodium_memzero(key, sizeof key);
}

static void
age_payload_key(uint8_t key[32], const uint8_t file_key[16], const uint8_t nonce[16])
{
	age_hkdf_str(key, nonce, AGE_NONCE_LEN, file_key, AGE_FILE_KEY_LEN, "payload");
}

/* STREAM nonce: 11-byte big-endian chunk counter, then the last-chunk flag. */
static void
age_chunk_nonce(uint8_t n[12], uint64_t idx, int last)
{
	memset(n, 0, 12);
	for (int i = 0; i < 8; i++)
		n[10 - i] = (uint8_t)(idx >> (8 * i));
	n[11] = last ? 1 : 0;
}

/* ChaCha20-Poly1305 (IETF) with OpenSSL's EVP: the same bytes as libsodium's, about three
 * times as fast on this hardware (AVX-512 code paths; bench/upload.sh spends most of its CPU
 * here). libsodium stays the fallback should OpenSSL refuse. */
static int
age_chunk_seal_evp(const uint8_t key[32], const uint8_t n[12], const uint8_t *pt, size_t len,
    uint8_t *out)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int l = 0, l2 = 0, ok;

	ok = c != NULL && len <= INT_MAX &&
	    EVP_EncryptInit_ex(c, EVP_chacha20_poly1305(), NULL, key, n) == 1 &&
	    (len == 0 || EVP_EncryptUpdate(c, out, &l, pt, (int)len) == 1) &&
	    EVP_EncryptFinal_ex(c, out + l, &l2) == 1 && (size_t)(l + l2) == len &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, AGE_TAG_LEN, out + len) == 1;
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

static void
age_chunk_seal(const uint8_t key[32], uint64_t idx, const uint8_t *pt, size_t len, int last,
    uint8_t *out)
{
	uint8_t n[12];

	age_chunk_nonce(n, idx, last);
	if (age_chunk_seal_evp(key, n, pt, len, out) != 0)
		crypto_aead_chacha20poly1305_ietf_encrypt(out, NULL, pt, len, NULL, 0, NULL, n, key);
}

/* The same through OpenSSL (the receiver's verification decrypts whole uploads): 0 when the
 * chunk authenticates. */
static int
age_chunk_open_evp(const uint8_t key[32], const uint8_t n[12], const uint8_t *ct, size_t len,
    uint8_t *out)
{
	EVP_CIPHER_CTX *c;
	size_t plen;
	int l = 0, l2 = 0, ok;

	if (len < AGE_TAG_LEN || len - AGE_TAG_LEN > INT_MAX || (c = EVP_CIPHER_CTX_new()) == NULL)
		return -1;
	plen = len - AGE_TAG_LEN;
	ok = EVP_DecryptInit_ex(c, EVP_chacha20_poly1305(), NULL, key, n) == 1 &&
	    (plen == 0 || EVP_DecryptUpdate(c, out, &l, ct, (int)plen) == 1) &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, AGE_TAG_LEN, (void *)(ct + plen)) == 1 &&
	    EVP_DecryptFinal_ex(c, out + l, &l2) == 1 && (size_t)(l + l2) == plen;
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

/* Returns 0 when the chunk authenticates; out then holds len - 16 plaintext bytes. */
static int
age_chunk_open(const uint8_t key[32], uint64_t idx, const uint8_t *ct, size_t len, int last,
    uint8_t *out)
{
	uint8_t n[12];

	age_chunk_nonce(n, idx, last);
	if (age_chunk_open_evp(key, n, ct, len, out) == 0)
		return 0;
	/* Not authentic, or OpenSSL refused: libsodium decides; out never keeps bytes that were
	 * not authenticated. */
	if (len >= AGE_TAG_LEN)
		sodium_memzero(out, len - AGE_TAG_LEN);
	return crypto_aead_chacha20poly1305_ietf_decrypt(out, NULL, NULL, ct, len, NULL, 0, n,
	    key);
}

/* ---- deterministic parameters and independent chunks ---- */

/* Writes one 98-byte "-> X25519" stanza wrapping file_key for r, with a fresh ephemeral. */
static int
age_stanza_write(char *out, const uint8_t file_key[16], const struct age_recipient *r,
    struct err *err)
{
	uint8_t eph[32], share[32], shared[32], key[32], body[32];
	int rc = 0;

	randombytes_buf(eph, sizeof eph);
	crypto_scalarmult_base(share, eph);
	if (crypto_scalarmult(shared, eph, r->pub) != 0) {
		rc = err_set(err, SP_EINVAL, "recipient is a low-order point");
		goto out;
	}
	age_wrap_key(key, share, r->pub, shared);
	crypto_aead_chacha20poly1305_ietf_encrypt(body, NULL, file_key, AGE_FILE_KEY_LEN, NULL,
	    0, NULL, age_zero_nonce, key);
	memcpy(out, "-> X25519 ", 10);
	sodium_bin2base64(out + 10, AGE_B64_32 + 1, share, 32, AGE_B64);
	out[10 + AGE_B64_32] = '\n';
	sodium_bin2base64(out + 11 + AGE_B64_32, AGE_B64_32 + 1, body, 32, AGE_B64);
	out[AGE_STANZA_LEN - 1] = '\n';
out:
	sodium_memzero(eph, sizeof eph);
	sodium_memzero(shared, sizeof shared);
	sodium_memzero(key, sizeof key);
	return rc;
}

static int
age_header_build(struct age_enc_params *p, const struct age_recipient *r, size_t n,
    struct err *err)
{
	size_t len = AGE_VERSION_LEN;
	uint8_t mac[32];
	int rc;

	/* +1: sodium_bin2base64 writes a NUL after the last base64 run. */
	p->header = malloc(AGE_VERSION_LEN + n * AGE_STANZA_LEN + AGE_MAC_LINE_LEN + 1);
	if (p->header == NULL)
		return err_set(err, SP_ENOMEM, "age header: out of memory");
	memcpy(p->header, AGE_VERSION_LINE, AGE_VERSION_LEN);
	for (size_t i = 0; i < n; i++, len += AGE_STANZA_LEN)
		if ((rc = age_stanza_write(p->header + len, p->file_key, &r[i], err)) != 0)
			return err_prefix(err, "recipient %zu: ", i + 1);
	memcpy(p->header + len, "--- ", 4);
	age_header_mac(mac, p->file_key, p->header, len + 3);
	sodium_bin2base64(p->header + len + 4, AGE_B64_32 + 1, mac, sizeof mac, AGE_B64);
	p->header[len + AGE_MAC_LINE_LEN - 1] = '\n';
	p->header_len = len + AGE_MAC_LINE_LEN;
	return 0;
}

int
age_params_init(struct age_enc_params *p, const uint8_t *file_key,
    const struct age_recipient *r, size_t n, struct err *err)
{
	int rc;

	memset(p, 0, sizeof *p);
	if ((rc = age_sodium_ready(err)) != 0)
		return rc;
	if (n == 0)
		return err_set(err, SP_EINVAL, "no recipients");
	if (n > (AGE_HEADER_MAX - AGE_VERSION_LEN - AGE_MAC_LINE_LEN) / AGE_STANZA_LEN)
		return err_set(err, SP_ETOOBIG, "too many recipients (%zu)", n);
	if (file_key != NULL)
		memcpy(p->file_key, file_key, AGE_FILE_KEY_LEN);
	else
		randombytes_buf(p->file_key, AGE_FILE_KEY_LEN);
	randombytes_buf(p->nonce, AGE_NONCE_LEN);
	if ((rc = age_header_build(p, r, n, err)) != 0)
		age_params_release(p);
	return rc;
}

int
age_params_copy(struct age_enc_params *dst, const struct age_enc_params *src,
    struct err *err)
{
	*dst = *src;
	if ((dst->header = malloc(src->header_len ? src->header_len : 1)) == NULL) {
		sodium_memzero(dst, sizeof *dst);
		return err_set(err, SP_ENOMEM, "age params: out of memory");
	}
	memcpy(dst->header, src->header, src->header_len);
	return 0;
}

void
age_params_release(struct age_enc_params *p)
{
	free(p->header);
	sodium_memzero(p, sizeof *p);
}

int
age_params_pack(const struct age_enc_params *p, uint8_t **out, size_t *len, struct err *err)
{
	size_t n = AGE_PARAMS_MAGIC_LEN + AGE_FILE_KEY_LEN + AGE_NONCE_LEN + p->header_len;
	uint8_t *b = malloc(n);

	if (b == NULL)
		return err_set(err, SP_ENOMEM, "age params: out of memory");
	memcpy(b, AGE_PARAMS_MAGIC, AGE_PARAMS_MAGIC_LEN);
	memcpy(b + AGE_PARAMS_MAGIC_LEN, p->file_key, AGE_FILE_KEY_LEN);
	memcpy(b + AGE_PARAMS_MAGIC_LEN + AGE_FILE_KEY_LEN, p->nonce, AGE_NONCE_LEN);
	memcpy(b + n - p->header_len, p->header, p->header_len);
	*out = b;
	*len = n;
	return 0;
}

/* A header belongs to a file key when its MAC line verifies under that key. */
static int
age_params_check(const struct age_enc_params *p, struct err *err)
{
	const char *h = p->header;
	size_t n = p->header_len, m = n - AGE_MAC_LINE_LEN, got = 0;
	uint8_t want[32], mac[32];

	if (n < AGE_VERSION_LEN + AGE_MAC_LINE_LEN || memcmp(h, AGE_VERSION_LINE,
	    AGE_VERSION_LEN) != 0 || h[m - 1] != '\n' || memcmp(h + m, "--- ", 4) != 0 ||
	    h[n - 1] != '\n' || age_b64_decode(mac, sizeof mac, &got, h + m + 4, AGE_B64_32) != 0)
		return err_set(err, SP_EINVAL, "age params: malformed header");
	age_header_mac(want, p->file_key, h, m + 3);
	if (got != 32 || sodium_memcmp(want, mac, sizeof mac) != 0)
		return err_set(err, SP_ECRYPTO, "age params: header MAC does not match the file key");
	return 0;
}

int
age_params_unpack(struct age_enc_params *p, const uint8_t *buf, size_t len, struct err *err)
{
	size_t fixed = AGE_PARAMS_MAGIC_LEN + AGE_FILE_KEY_LEN + AGE_NONCE_LEN;
	int rc;

	memset(p, 0, sizeof *p);
	if (len < fixed || memcmp(buf, AGE_PARAMS_MAGIC, AGE_PARAMS_MAGIC_LEN) != 0)
		return err_set(err, SP_EINVAL, "age params: bad magic or length");
	if ((rc = age_sodium_ready(err)) != 0)
		return rc;
	if ((p->header = malloc(len - fixed + 1)) == NULL)
		return err_set(err, SP_ENOMEM, "age params: out of memory");
	memcpy(p->file_key, buf + AGE_PARAMS_MAGIC_LEN, AGE_FILE_KEY_LEN);
	memcpy(p->nonce, buf + AGE_PARAMS_MAGIC_LEN + AGE_FILE_KEY_LEN, AGE_NONCE_LEN);
	memcpy(p->header, buf + fixed, len - fixed);
	p->header_len = len - fixed;
	if ((rc = age_params_check(p, err)) != 0)
		age_params_release(p);
	return rc;
}

uint64_t
age_prefix_len(const struct age_enc_params *p)
{
	return (uint64_t)p->header_len + AGE_NONCE_LEN;
}

uint64_t
age_ct_size(const struct age_enc_params *p, uint64_t pt_size)
{
	uint64_t chunks = pt_size == 0 ? 1 : (pt_size + AGE_CHUNK_SIZE - 1) / AGE_CHUNK_SIZE;

	return age_prefix_len(p) + pt_size + chunks * AGE_TAG_LEN;
}

void
age_ct_locate(const struct age_enc_params *p, uint64_t ct_off, struct age_ct_pos *pos)
{
	uint64_t pre = age_prefix_len(p);

	pos->in_prefix = ct_off < pre;
	pos->chunk = pos->in_prefix ? 0 : (ct_off - pre) / AGE_CT_CHUNK_SIZE;
	pos->offset = pos->in_prefix ? ct_off : (ct_off - pre) % AGE_CT_CHUNK_SIZE;
}

/* Enforces STREAM's shape, so no caller can produce a file age would refuse. */
static int
age_chunk_check(uint64_t idx, size_t len, int last, struct err *err)
{
	if (len > AGE_CHUNK_SIZE || (!last && len != AGE_CHUNK_SIZE))
		return err_set(err, SP_EINVAL, "chunk %" PRIu64 ": %zu bytes (a non-final chunk "
		    "holds exactly %d, a final one at most that)", idx, len, AGE_CHUNK_SIZE);
	if (last && len == 0 && idx != 0)
		return err_set(err, SP_EINVAL, "chunk %" PRIu64 ": only the first chunk may be "
		    "empty", idx);
	return 0;
}

int
age_enc_chunk(const struct age_enc_params *p, uint64_t idx, const uint8_t *pt, size_t len,
    int is_last, uint8_t *out, struct err *err)
{
	uint8_t key[32];
	int rc = age_chunk_check(idx, len, is_last, err);

	if (rc != 0)
		return rc;
	age_payload_key(key, p->file_key, p->nonce);
	age_chunk_seal(key, idx, pt, len, is_last, out);
	sodium_memzero(key, sizeof key);
	return 0;
}

/* ---- streaming encryptor ---- */

static int
age_enc_setup(struct age_enc *enc, uint64_t chunk, struct err *err)
{
	enc->pbuf = malloc(AGE_CHUNK_SIZE);
	enc->cbuf = malloc(AGE_CT_CHUNK_SIZE);
	if (enc->pbuf == NULL || enc->cbuf == NULL)
		return err_set(err, SP_ENOMEM, "age encryptor: out of memory");
	age_payload_key(enc->payload_key, enc->params.file_key, enc->params.nonce);
	enc->chunk = chunk;
	enc->prefix_pending = chunk == 0;
	return 0;
}

int
age_enc_init(struct age_enc *enc, const uint8_t *file_key, const struct age_recipient *r,
    size_t n, struct err *err)
{
	int rc;

	memset(enc, 0, sizeof *enc);
	rc = age_params_init(&enc->params, file_key, r, n, err);
	if (rc == 0)
		rc = age_enc_setup(enc, 0, err);
	if (rc != 0)
		age_enc_release(enc);
	return rc;
}

int
age_enc_init_at(struct age_enc *enc, const struct age_enc_params *p, uint64_t chunk,
    struct err *err)
{
	int rc;

	memset(enc, 0, sizeof *enc);
	rc = age_sodium_ready(err);
	if (rc == 0)
		rc = age_params_copy(&enc->params, p, err);
	if (rc == 0)
		rc = age_enc_setup(enc, chunk, err);
	if (rc != 0)
		age_enc_release(enc);
	return rc;
}

static int
age_enc_usable(const struct age_enc *enc, struct err *err)
{
	if (enc->failed)
		return err_set(err, enc->failed, "age encryptor: used after an error");
	if (enc->pbuf == NULL || enc->done)
		return err_set(err, SP_EINTERNAL, "age encryptor: not initialised or finished");
	return 0;
}

static int
age_enc_prefix(struct age_enc *enc, age_sink_fn sink, void *arg, struct err *err)
{
	int rc;

	if (!enc->prefix_pending)
		return 0;
	rc = sink(arg, (const uint8_t *)enc->params.header, enc->params.header_len, err);
	if (rc == 0)
		rc = sink(arg, enc->params.nonce, AGE_NONCE_LEN, err);
	enc->prefix_pending = 0;
	return rc;
}

static int
age_enc_flush(struct age_enc *enc, int last, age_sink_fn sink, void *arg, struct err *err)
{
	int rc = age_chunk_check(enc->chunk, enc->pbuf_len, last, err);

	if (rc != 0)
		return rc;
	age_chunk_seal(enc->payload_key, enc->chunk, enc->pbuf, enc->pbuf_len, last, enc->cbuf);
	rc = sink(arg, enc->cbuf, enc->pbuf_len + AGE_TAG_LEN, err);
	enc->chunk++;
	enc->pbuf_len = 0;
	return rc;
}

int
age_enc_update(struct age_enc *enc, const uint8_t *in, size_t len, age_sink_fn sink,
    void *arg, struct err *err)
{
	int rc = age_enc_usable(enc, err);

	if (rc == 0)
		rc = age_enc_prefix(enc, sink, arg, err);
	while (rc == 0 && len > 0) {
		size_t take;

		/* A full chunk with more data behind it is not the last one: emit it now. */
		if (enc->pbuf_len == AGE_CHUNK_SIZE &&
		    (rc = age_enc_flush(enc, 0, sink, arg, err)) != 0)
			break;
		take = AGE_CHUNK_SIZE - enc->pbuf_len;
		take = take < len ? take : len;
		memcpy(enc->pbuf + enc->pbuf_len, in, take);
		enc->pbuf_len += take;
		in += take;
		len -= take;
	}
	if (rc != 0)
		enc->failed = rc;
	return rc;
}

int
age_enc_final(struct age_enc *enc, age_sink_fn sink, void *arg, struct err *err)
{
	int rc = age_enc_usable(enc, err);

	if (rc == 0)
		rc = age_enc_prefix(enc, sink, arg, err);
	if (rc == 0)
		rc = age_enc_flush(enc, 1, sink, arg, err);
	if (rc != 0)
		enc->failed = rc;
	else
		enc->done = 1;
	return rc;
}

void
age_enc_release(struct age_enc *enc)
{
	age_params_release(&enc->params);
	if (enc->pbuf != NULL)
		sodium_memzero(enc->pbuf, AGE_CHUNK_SIZE);
	free(enc->pbuf);
	free(enc->cbuf);
	sodium_memzero(enc, sizeof *enc);
}

/* ---- header parsing ---- */

struct age_lines {
	const char *p;
	size_t len, pos;
};

static int
age_line_next(struct age_lines *l, const char **line, size_t *n)
{
	const char *s = l->p + l->pos, *lf;

	if (l->pos >= l->len || (lf = memchr(s, '\n', l->len - l->pos)) == NULL)
		return 0;
	*line = s;
	*n = (size_t)(lf - s);
	l->pos += *n + 1;
	return 1;
}

struct age_stanza {
	const char *args;       /* after "-> ": "TYPE ARG...", not NUL-terminated */
	size_t args_len, type_len, argc;
	uint8_t *body;
	size_t body_len;
};

/* Parses "-> " and space-separated arguments of one or more visible ASCII characters. */
static int
age_stanza_args(struct age_stanza *st, const char *line, size_t n, struct err *err)
{
	size_t i = 0, start;

	if (n < 3 || memcmp(line, "-> ", 3) != 0)
		return err_set(err, SP_EINVAL, "age header: malformed stanza opening line");
	st->args = line + 3;
	st->args_len = n - 3;
	st->argc = 0;
	for (;; i++) {
		for (start = i; i < st->args_len && st->args[i] != ' '; i++)
			if ((unsigned char)st->args[i] < 33 || (unsigned char)st->args[i] > 126)
				return err_set(err, SP_EINVAL, "age header: stanza argument has a "
				    "character outside visible ASCII");
		if (i == start)
			return err_set(err, SP_EINVAL, "age header: empty stanza argument");
		if (st->argc++ == 0)
			st->type_len = i;
		if (i == st->args_len)
			return 0;
	}
}

/* Decodes the body: full 64-column lines, then one shorter (maybe empty) line ends it. */
static int
age_stanza_body(struct age_stanza *st, struct age_lines *l, uint8_t *scratch, size_t cap,
    struct err *err)
{
	const char *line;
	size_t n, got;

	st->body = scratch;
	st->body_len = 0;
	for (;;) {
		if (!age_line_next(l, &line, &n))
			return err_set(err, SP_EINVAL, "age header: stanza body missing");
		if (n > AGE_B64_LINE)
			return err_set(err, SP_EINVAL, "age header: stanza body line longer than "
			    "64 columns");
		if (age_b64_decode(scratch + st->body_len, cap - st->body_len, &got, line, n) != 0)
			return err_set(err, SP_EINVAL, "age header: stanza body is not canonical "
			    "unpadded base64");
		st->body_len += got;
		if (n < AGE_B64_LINE)
			return 0;
	}
}

static int
age_stanza_is(const struct age_stanza *st, const char *type)
{
	return st->type_len == strlen(type) && memcmp(st->args, type, st->type_len) == 0;
}

/* Returns 1 when id unwraps the stanza (file_key filled), 0 when not, or an error. */
static int
age_x25519_unwrap(uint8_t file_key[16], const uint8_t share[32], const uint8_t body[32],
    const struct age_identity *id, struct err *err)
{
	uint8_t shared[32], key[32];
	int rc = 0;

	/* libsodium returns -1 for an all-zero result: a low-order share, which age refuses. */
	if (crypto_scalarmult(shared, id->secret, share) != 0) {
		rc = err_set(err, SP_ECRYPTO, "age header: X25519 share is a low-order point "
		    "(all-zero shared secret)");
		goto out;
	}
	age_wrap_key(key, share, id->pub, shared);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(file_key, NULL, NULL, body, 32, NULL, 0,
	    age_zero_nonce, key) == 0)
		rc = 1;
out:
	sodium_memzero(shared, sizeof shared);
	sodium_memzero(key, sizeof key);
	return rc;
}

/* Validates an X25519 stanza and tries the n identities on it (n = 0: validate only). */
static int
age_stanza_x25519(const struct age_stanza *st, const struct age_identity *ids, size_t n,
    uint8_t file_key[16], struct err *err)
{
	const char *arg = st->args + st->type_len + 1;
	uint8_t share[32];
	size_t len = 0;
	int rc = 0;

	if (st->argc != 2)
		return err_set(err, SP_EINVAL, "age header: X25519 stanza needs exactly one "
		    "argument, has %zu", st->argc - 1);
	if (age_b64_decode(share, sizeof share, &len, arg, st->args_len - st->type_len - 1) != 0
	    || len != 32)
		return err_set(err, SP_EINVAL, "age header: X25519 share is not 32 bytes of "
		    "canonical unpadded base64");
	if (st->body_len != 32)
		return err_set(err, SP_EINVAL, "age header: X25519 stanza body is %zu bytes, "
		    "not 32", st->body_len);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = age_x25519_unwrap(file_key, share, st->body, &ids[i], err);
	return rc;
}

struct age_hdr_scan {
	size_t stanzas, scrypt;
	int found;
	size_t mac_at;          /* offset of the "---" line */
	uint8_t mac[32];
};

static int
age_mac_line(struct age_hdr_scan *s, const char *line, size_t n, struct err *err)
{
	size_t got = 0;

	if (n < 4 || memcmp(line, "--- ", 4) != 0 ||
	    age_b64_decode(s->mac, sizeof s->mac, &got, line + 4, n - 4) != 0 || got != 32)
		return err_set(err, SP_EINVAL, "age header: malformed MAC line");
	return 0;
}

/* Walks the stanzas up to the MAC line, validating each and looking for the file key. */
static int
age_header_scan(const char *h, size_t len, const struct age_identity *ids, size_t n,
    uint8_t file_key[16], uint8_t *scratch, struct age_hdr_scan *s, struct err *err)
{
	struct age_lines l = { h, len, AGE_VERSION_LEN };
	struct age_stanza st = { 0 };
	const char *line;
	size_t ln;
	int rc;

	while (age_line_next(&l, &line, &ln)) {
		if (ln >= 3 && memcmp(line, "---", 3) == 0) {
			s->mac_at = (size_t)(line - h);
			return age_mac_line(s, line, ln, err);
		}
		if ((rc = age_stanza_args(&st, line, ln, err)) != 0 ||
		    (rc = age_stanza_body(&st, &l, scratch, len, err)) != 0)
			return rc;
		s->stanzas++;
		s->scrypt += age_stanza_is(&st, "scrypt");
		if (!age_stanza_is(&st, "X25519"))
			continue;       /* unknown stanza types are skipped */
		if ((rc = age_stanza_x25519(&st, ids, s->found ? 0 : n, file_key, err)) < 0)
			return rc;
		s->found |= rc;
	}
	return err_set(err, SP_EINVAL, "age header: missing MAC line");
}

static int
age_header_verdict(const struct age_hdr_scan *s, const char *h, const uint8_t file_key[16],
    struct err *err)
{
	uint8_t mac[32];

	if (s->stanzas == 0)
		return err_set(err, SP_EINVAL, "age header: no recipient stanzas");
	if (s->scrypt > 0 && s->stanzas > 1)
		return err_set(err, SP_EINVAL, "age header: an scrypt stanza must be the only one");
	if (s->scrypt > 0)
		return err_set(err, SP_EUNSUPPORTED, "passphrase-encrypted (scrypt) age files are "
		    "not supported");
	if (!s->found)
		return err_set(err, SP_ECRYPTO, "no identity matched any of the file's recipients");
	age_header_mac(mac, file_key, h, s->mac_at + 3);
	if (sodium_memcmp(mac, s->mac, sizeof mac) != 0)
		return err_set(err, SP_ECRYPTO, "age header: MAC mismatch (header altered)");
	return 0;
}

/* Parses a complete header (through the MAC line's LF) and recovers the file key. */
static int
age_header_open(const char *h, size_t len, const struct age_identity *ids, size_t n,
    uint8_t file_key[16], struct err *err)
{
	struct age_hdr_scan s = { 0 };
	uint8_t *scratch;
	int rc;

	if (memchr(h, '\r', len) != NULL)
		return err_set(err, SP_EINVAL, "age header: line ends with CR (carriage return)");
	if (len < AGE_VERSION_LEN || memcmp(h, AGE_VERSION_LINE, AGE_VERSION_LEN) != 0)
		return err_set(err, SP_EINVAL, "not an age file (bad version line)");
	if ((scratch = malloc(len)) == NULL)
		return err_set(err, SP_ENOMEM, "age header: out of memory");
	rc = age_header_scan(h, len, ids, n, file_key, scratch, &s, err);
	if (rc == 0)
		rc = age_header_verdict(&s, h, file_key, err);
	free(scratch);
	return rc;
}

/* ---- streaming decryptor ---- */

int
age_dec_init(struct age_dec *dec, const struct age_identity *ids, size_t n, struct err *err)
{
	int rc;

	memset(dec, 0, sizeof *dec);
	if ((rc = age_sodium_ready(err)) != 0)
		return rc;
	if (n == 0)
		return err_set(err, SP_EINVAL, "no identities");
	dec->ids = ids;
	dec->n_ids = n;
	dec->state = AGE_DEC_HEADER;
	dec->cbuf = malloc(AGE_CT_CHUNK_SIZE);
	dec->pbuf = malloc(AGE_CHUNK_SIZE);
	if (dec->cbuf == NULL || dec->pbuf == NULL) {
		age_dec_release(dec);
		return err_set(err, SP_ENOMEM, "age decryptor: out of memory");
	}
	return 0;
}

void
age_dec_release(struct age_dec *dec)
{
	free(dec->hdr);
	if (dec->pbuf != NULL)
		sodium_memzero(dec->pbuf, AGE_CHUNK_SIZE);
	free(dec->pbuf);
	free(dec->cbuf);
	sodium_memzero(dec, sizeof *dec);
}

/* Fails on the first bytes that cannot begin an age v1 file, before buffering a header. */
static int
age_dec_check_version(const struct age_dec *d, struct err *err)
{
	size_t n = d->hdr_len < AGE_VERSION_LEN ? d->hdr_len : AGE_VERSION_LEN;

	if (memcmp(d->hdr, AGE_VERSION_LINE, n) == 0)
		return 0;
	if (memchr(d->hdr, '\r', n) != NULL)
		return err_set(err, SP_EINVAL, "age header: line ends with CR (carriage return)");
	if (d->hdr[0] == '-')
		return err_set(err, SP_EUNSUPPORTED, "armored (PEM) age files are not supported");
	if (n >= 19 && memcmp(d->hdr, "age-encryption.org/", 19) == 0)
		return err_set(err, SP_EUNSUPPORTED, "unsupported age format version");
	return err_set(err, SP_EINVAL, "not an age file (bad version line)");
}

static int
age_dec_hdr_append(struct age_dec *d, const uint8_t *in, size_t take, struct err *err)
{
	size_t cap = d->hdr_cap ? d->hdr_cap : 1024;
	int rc;

	if (take > AGE_HEADER_MAX - d->hdr_len)
		return err_set(err, SP_ETOOBIG, "age header: larger than %d bytes", AGE_HEADER_MAX);
	while (cap < d->hdr_len + take)
		cap *= 2;
	if (cap > d->hdr_cap && (rc = age_grow(&d->hdr, d->hdr_len, cap, err)) != 0)
		return rc;
	d->hdr_cap = cap;
	memcpy(d->hdr + d->hdr_len, in, take);
	d->hdr_len += take;
	return 0;
}

static int
age_dec_header_done(struct age_dec *d, struct err *err)
{
	int rc = age_header_open(d->hdr, d->hdr_len, d->ids, d->n_ids, d->file_key, err);

	free(d->hdr);
	d->hdr = NULL;
	d->hdr_len = d->hdr_cap = 0;
	d->state = AGE_DEC_NONCE;
	return rc;
}

/* Collects header bytes a line at a time; the "---" line ends the header. */
static int
age_dec_header_feed(struct age_dec *d, const uint8_t *in, size_t len, size_t *used,
    struct err *err)
{
	const uint8_t *lf = memchr(in, '\n', len);
	size_t take = lf ? (size_t)(lf - in) + 1 : len;
	int rc;

	*used = take;
	if ((rc = age_dec_hdr_append(d, in, take, err)) != 0)
		return rc;
	if (d->line_start == 0 && (rc = age_dec_check_version(d, err)) != 0)
		return rc;
	if (lf == NULL)
		return 0;
	if (d->hdr_len - d->line_start >= 3 && memcmp(d->hdr + d->line_start, "---", 3) == 0)
		return age_dec_header_done(d, err);
	d->line_start = d->hdr_len;
	return 0;
}

static void
age_dec_nonce_feed(struct age_dec *d, const uint8_t *in, size_t len, size_t *used)
{
	size_t take = AGE_NONCE_LEN - d->nonce_len;

	take = take < len ? take : len;
	memcpy(d->nonce + d->nonce_len, in, take);
	d->nonce_len += take;
	*used = take;
	if (d->nonce_len < AGE_NONCE_LEN)
		return;
	age_payload_key(d->payload_key, d->file_key, d->nonce);
	d->state = AGE_DEC_PAYLOAD;
}

static int
age_dec_emit(struct age_dec *d, size_t n, age_sink_fn sink, void *arg, struct err *err)
{
	int rc = n > 0 ? sink(arg, d->pbuf, n, err) : 0;

	d->chunk++;
	d->cbuf_len = 0;
	return rc;
}

/* A full chunk with bytes after it: it must open as a non-final chunk. */
static int
age_dec_open_full(struct age_dec *d, age_sink_fn sink, void *arg, struct err *err)
{
	if (age_chunk_open(d->payload_key, d->chunk, d->cbuf, AGE_CT_CHUNK_SIZE, 0, d->pbuf) == 0)
		return age_dec_emit(d, AGE_CHUNK_SIZE, sink, arg, err);
	/* Diagnosis only: a good final chunk followed by more bytes means trailing data. */
	if (age_chunk_open(d->payload_key, d->chunk, d->cbuf, AGE_CT_CHUNK_SIZE, 1, d->pbuf) == 0) {
		sodium_memzero(d->pbuf, AGE_CHUNK_SIZE);
		return err_set(err, SP_ECRYPTO, "trailing data after the final chunk (chunk %"
		    PRIu64 ")", d->chunk);
	}
	return err_set(err, SP_ECRYPTO, "payload chunk %" PRIu64 " failed authentication "
	    "(corrupted or altered)", d->chunk);
}

/* At EOF: what is buffered is the last chunk, which must carry the final flag. */
static int
age_dec_open_last(struct age_dec *d, age_sink_fn sink, void *arg, struct err *err)
{
	size_t n = d->cbuf_len;

	if (n == 0)
		return err_set(err, SP_ECRYPTO, "truncated file: no payload after the nonce");
	if (n < AGE_TAG_LEN)
		return err_set(err, SP_ECRYPTO, "truncated file: final chunk is %zu bytes, shorter "
		    "than its 16-byte tag", n);
	if (n == AGE_TAG_LEN && d->chunk > 0)
		return err_set(err, SP_ECRYPTO, "empty final chunk %" PRIu64 ": only a file's first "
		    "chunk may be empty", d->chunk);
	if (age_chunk_open(d->payload_key, d->chunk, d->cbuf, n, 1, d->pbuf) == 0)
		return age_dec_emit(d, n - AGE_TAG_LEN, sink, arg, err);
	if (n == AGE_CT_CHUNK_SIZE &&
	    age_chunk_open(d->payload_key, d->chunk, d->cbuf, n, 0, d->pbuf) == 0) {
		sodium_memzero(d->pbuf, AGE_CHUNK_SIZE);
		return err_set(err, SP_ECRYPTO, "truncated file: chunk %" PRIu64 " is not marked "
		    "final and nothing follows it", d->chunk);
	}
	return err_set(err, SP_ECRYPTO, "final chunk %" PRIu64 " failed authentication "
	    "(truncated, extended or corrupted)", d->chunk);
}

static int
age_dec_payload_feed(struct age_dec *d, const uint8_t *in, size_t len, size_t *used,
    age_sink_fn sink, void *arg, struct err *err)
{
	size_t take = AGE_CT_CHUNK_SIZE - d->cbuf_len;

	*used = 0;
	if (d->cbuf_len == AGE_CT_CHUNK_SIZE)   /* len > 0, so this chunk is not the last */
		return age_dec_open_full(d, sink, arg, err);
	take = take < len ? take : len;
	memcpy(d->cbuf + d->cbuf_len, in, take);
	d->cbuf_len += take;
	*used = take;
	return 0;
}

static int
age_dec_usable(const struct age_dec *d, struct err *err)
{
	if (d->failed)
		return err_set(err, d->failed, "age decryptor: used after an error");
	if (d->cbuf == NULL || d->state == AGE_DEC_DONE)
		return err_set(err, SP_EINTERNAL, "age decryptor: not initialised or finished");
	return 0;
}

int
age_dec_update(struct age_dec *dec, const uint8_t *in, size_t len, age_sink_fn sink,
    void *arg, struct err *err)
{
	int rc = age_dec_usable(dec, err);

	while (rc == 0 && len > 0) {
		size_t used = 0;

		if (dec->state == AGE_DEC_HEADER)
			rc = age_dec_header_feed(dec, in, len, &used, err);
		else if (dec->state == AGE_DEC_NONCE)
			age_dec_nonce_feed(dec, in, len, &used);
		else
			rc = age_dec_payload_feed(dec, in, len, &used, sink, arg, err);
		in += used;
		len -= used;
	}
	if (rc != 0)
		dec->failed = rc;
	return rc;
}

int
age_dec_final(struct age_dec *dec, age_sink_fn sink, void *arg, struct err *err)
{
	int rc = age_dec_usable(dec, err);

	if (rc == 0 && dec->state == AGE_DEC_HEADER)
		rc = dec->hdr_len == 0 ?
		    err_set(err, SP_EINVAL, "empty input: not an age file") :
		    err_set(err, SP_ECRYPTO, "truncated file: ends inside the header");
	else if (rc == 0 && dec->state == AGE_DEC_NONCE)
		rc = err_set(err, SP_ECRYPTO, "truncated file: ends inside the payload nonce");
	else if (rc == 0)
		rc = age_dec_open_last(dec, sink, arg, err);
	if (rc != 0)
		dec->failed = rc;
	else
		dec->state = AGE_DEC_DONE;
	return rc;
}
