/* age_source: age ciphertext at any offset, from plaintext and fixed params (see age_source.h). */
#include "lib/delivery/age_source.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <xxhash.h>

#include "lib/core/hash.h"

int
age_source_init(struct age_source *s, int fd, uint64_t pt_size, const struct age_enc_params *p,
    struct err *err)
{
	int rc;

	memset(s, 0, sizeof *s);
	s->fd = fd;
	s->cached = UINT64_MAX;
	s->pt_size = pt_size;
	s->n_chunks = pt_size == 0 ? 1 : (pt_size + AGE_CHUNK_SIZE - 1) / AGE_CHUNK_SIZE;
	if ((rc = age_params_copy(&s->params, p, err)) != 0)
		return rc;
	s->ct_size = age_ct_size(&s->params, pt_size);
	s->pt = malloc(AGE_CHUNK_SIZE);
	s->ct = malloc(AGE_CT_CHUNK_SIZE);
	if (s->pt == NULL || s->ct == NULL) {
		age_source_release(s);
		return err_set(err, SP_ENOMEM, "age source: out of memory");
	}
	return 0;
}

void
age_source_release(struct age_source *s)
{
	if (s->pt)
		sodium_memzero(s->pt, AGE_CHUNK_SIZE);
	free(s->pt);
	free(s->ct);
	if (s->xxh)
		XXH64_freeState(s->xxh);
	if (s->params.header)
		age_params_release(&s->params);
	memset(s, 0, sizeof *s);
	s->cached = UINT64_MAX;
}

int
age_source_expect_xxh64(struct age_source *s, const char *want_hex, const char *name,
    struct err *err)
{
	struct hash_value v;
	int rc;

	if ((rc = hash_value_parse(HASH_XXH64, want_hex, &v, err)) != 0)
		return rc;
	s->xxh_want = 0;
	for (unsigned i = 0; i < v.rawlen; i++)         /* canonical form: big-endian */
		s->xxh_want = s->xxh_want << 8 | v.raw[i];
	if (s->xxh == NULL && (s->xxh = XXH64_createState()) == NULL)
		return err_set(err, SP_ENOMEM, "age source: out of memory");
	XXH64_reset(s->xxh, 0);
	s->xxh_done = 0;
	s->xxh_verdict = 0;
	s->name = name;
	return 0;
}

static int
age_source_mismatch(const struct age_source *s, struct err *err)
{
	return err_set(err, SP_EMISMATCH, "%s: plaintext xxh64 %016" PRIx64 ", not the %016" PRIx64
	    " announced for it: the file changed; upload stopped before its end", s->name,
	    (uint64_t)XXH64_digest(s->xxh), s->xxh_want);
}

/* Reads exactly len plaintext bytes at off into buf. */
static int
age_source_pread_into(struct age_source *s, uint8_t *buf, uint64_t off, size_t len,
    struct err *err)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(s->fd, buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_errno(err, SP_EIO, errno, "plaintext: read at %" PRIu64,
			    off + done);
		if (n == 0)
			return err_set(err, SP_EIO, "plaintext: ends at %" PRIu64 ", expected %"
			    PRIu64 " bytes (changed while sending?)", off + done, s->pt_size);
		done += (size_t)n;
	}
	return 0;
}

/* Hashes the plaintext [xxh_done, upto), read again from the file. */
static int
age_source_catch_up(struct age_source *s, uint64_t upto, struct err *err)
{
	size_t cap = 1u << 20;
	uint8_t *b;
	int rc = 0;

	if (upto <= s->xxh_done)
		return 0;
	if ((b = malloc(cap)) == NULL)
		return err_set(err, SP_ENOMEM, "age source: out of memory");
	while (rc == 0 && s->xxh_done < upto) {
		size_t n = upto - s->xxh_done < cap ? (size_t)(upto - s->xxh_done) : cap;
		if ((rc = age_source_pread_into(s, b, s->xxh_done, n, err)) == 0) {
			XXH64_update(s->xxh, b, n);
			s->xxh_done += n;
		}
	}
	sodium_memzero(b, cap);
	free(b);
	return rc;
}

/* The chunk [off, off + len) was just read into s->pt: hash it if it is next, and at the end
 * give the verdict. */
static int
age_source_hash(struct age_source *s, uint64_t off, size_t len, struct err *err)
{
	int rc;

	if (s->xxh == NULL)
		return 0;
	if (s->xxh_verdict == 0) {
		if ((rc = age_source_catch_up(s, off, err)) != 0)
			return rc;
		if (off == s->xxh_done) {
			XXH64_update(s->xxh, s->pt, len);
			s->xxh_done += len;
		}
		if (s->xxh_done == s->pt_size)
			s->xxh_verdict = XXH64_digest(s->xxh) == s->xxh_want ? 1 : -1;
	}
	if (s->xxh_verdict < 0 && off + len == s->pt_size)
		return age_source_mismatch(s, err);
	return 0;
}

int
age_source_verify(struct age_source *s, struct err *err)
{
	int rc;

	if (s->xxh == NULL)
		return 0;
	if (s->xxh_verdict == 0) {
		if ((rc = age_source_catch_up(s, s->pt_size, err)) != 0)
			return rc;
		s->xxh_verdict = XXH64_digest(s->xxh) == s->xxh_want ? 1 : -1;
	}
	return s->xxh_verdict > 0 ? 0 : age_source_mismatch(s, err);
}

/* Reads exactly len plaintext bytes at off (a chunk's start) into s->pt, hashing them when a
 * check was asked. */
static int
age_source_pread(struct age_source *s, uint64_t off, size_t len, struct err *err)
{
	int rc = age_source_pread_into(s, s->pt, off, len, err);

	return rc != 0 ? rc : age_source_hash(s, off, len, err);
}

/* Makes chunk idx the cached one. */
static int
age_source_load(struct age_source *s, uint64_t idx, struct err *err)
{
	uint64_t start = idx * AGE_CHUNK_SIZE;
	size_t len = s->pt_size - start < AGE_CHUNK_SIZE ? (size_t)(s->pt_size - start) :
	    AGE_CHUNK_SIZE;
	int last = idx == s->n_chunks - 1, rc;

	if (s->cached == idx)
		return 0;
	s->cached = UINT64_MAX;
	if ((rc = age_source_pread(s, start, len, err)) != 0)
		return rc;
	if ((rc = age_enc_chunk(&s->params, idx, s->pt, len, last, s->ct, err)) != 0)
		return rc;
	s->ct_len = len + AGE_TAG_LEN;
	s->cached = idx;
	return 0;
}

/* Copies up to len bytes at off (inside the file) into buf; returns the count or an error. */
static int64_t
age_source_piece(struct age_source *s, uint64_t off, uint8_t *buf, size_t len,
    struct err *err)
{
	struct age_ct_pos pos;
	const uint8_t *from;
	uint64_t avail;
	int rc;

	age_ct_locate(&s->params, off, &pos);
	if (pos.in_prefix && pos.offset < s->params.header_len) {
		from = (const uint8_t *)s->params.header + pos.offset;
		avail = s->params.header_len - pos.offset;
	} else if (pos.in_prefix) {
		from = s->params.nonce + (pos.offset - s->params.header_len);
		avail = age_prefix_len(&s->params) - pos.offset;
	} else {
		uint64_t start = pos.chunk * AGE_CHUNK_SIZE;
		size_t plen = s->pt_size - start < AGE_CHUNK_SIZE ? (size_t)(s->pt_size - start) :
		    AGE_CHUNK_SIZE;
		/* A whole chunk wanted: encrypt straight into the caller's buffer (sequential reads
		 * of large pieces, the upload's case), saving a copy of every byte. */
		if (pos.offset == 0 && s->cached != pos.chunk && len >= plen + AGE_TAG_LEN) {
			int last = pos.chunk == s->n_chunks - 1;
			if ((rc = age_source_pread(s, start, plen, err)) != 0 ||
			    (rc = age_enc_chunk(&s->params, pos.chunk, s->pt, plen, last, buf, err)) != 0)
				return rc;
			return (int64_t)(plen + AGE_TAG_LEN);   /* s->pt is scratch; s->ct still cached */
		}
		if ((rc = age_source_load(s, pos.chunk, err)) != 0)
			return rc;
		from = s->ct + pos.offset;
		avail = s->ct_len - pos.offset;
	}
	if (avail > len)
		avail = len;
	memcpy(buf, from, (size_t)avail);
	return (int64_t)avail;
}

int
age_source_read_at(void *arg, uint64_t off, uint8_t *buf, size_t len, size_t *got,
    struct err *err)
{
	struct age_source *s = arg;
	size_t done = 0;

	*got = 0;
	if (off > s->ct_size || len > s->ct_size - off)
		return err_set(err, SP_EINVAL, "age source: read of %zu at %" PRIu64 " is past "
		    "the end (%" PRIu64 ")", len, off, s->ct_size);
	while (done < len) {
		int64_t n = age_source_piece(s, off + done, buf + done, len - done, err);
		if (n < 0)
			return (int)n;
		if (n == 0)
			return err_set(err, SP_EINTERNAL, "age source: no progress at %" PRIu64,
			    off + done);
		done += (size_t)n;
	}
	*got = done;
	return 0;
}

void
age_source_tus(struct age_source *s, struct tus_source *t)
{
	t->length = s->ct_size;
	t->read_at = age_source_read_at;
	t->arg = s;
}
