/*
 * age_source: the age ciphertext of a plaintext file, readable at any offset, without an
 * encrypted copy on disk: a struct tus_source for tus_client.
 *
 * With fixed struct age_enc_params (file key, payload nonce, header) age encryption is
 * deterministic, so the bytes at ciphertext offset X are always the same: the header and
 * payload nonce come from the params, and STREAM chunk i is age_enc_chunk(i) of plaintext
 * bytes [i * 64 KiB, (i + 1) * 64 KiB). An upload resumed by a later process with the same
 * params (kept sealed, see sealed.h) therefore continues the very same stream, and the
 * receiver ends with the bytes one uninterrupted upload would have given.
 *
 * One plaintext chunk and its ciphertext are cached, so sequential reads encrypt every chunk
 * once, whatever the read sizes.
 *
 * The plaintext is read with pread(2) from a borrowed fd; its size is fixed at init. A read
 * that finds the file shorter than that fails with SP_EIO ("changed while sending"); a file
 * rewritten in place with the same size is caught by the xxh64 check below, when asked.
 *
 * The xxh64 check (age_source_expect_xxh64): when the plaintext's xxh64 is already known (it was
 * registered when the file was made or offloaded), the upload need not hash the file before
 * its first byte: the source hashes each plaintext chunk as it reads it for encryption, in
 * order, and when the last chunk is read compares the result BEFORE encrypting it, so a
 * changed file fails (SP_EMISMATCH, naming the file and both hashes) before the last PATCH
 * goes out and the upload never completes. Reads that start past what is hashed (a resumed
 * upload, a retry) first hash the gap, read again from the file; reads of chunks already
 * hashed (a retry going back) add nothing. age_source_verify after the upload covers the case
 * where the last chunk was never read (an upload the server already had whole).
 *
 * Ownership: age_source_init copies the params; age_source_release wipes the copy and the
 * cached plaintext and frees them (safe on a zeroed or failed source, and twice). Not
 * thread-safe: one reader at a time.
 */
#ifndef SETPOST_AGE_SOURCE_H
#define SETPOST_AGE_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/delivery/age.h"
#include "lib/core/err.h"
#include "lib/delivery/tus_client.h"

struct age_source {
	int fd;                         /* borrowed */
	uint64_t pt_size;
	uint64_t ct_size;               /* age_ct_size(params, pt_size) */
	uint64_t n_chunks;              /* STREAM chunks (1 for an empty file) */
	struct age_enc_params params;   /* owned copy */
	uint8_t *pt;                    /* cached chunk: plaintext */
	uint8_t *ct;                    /* ... and its ciphertext */
	size_t ct_len;
	uint64_t cached;                /* index of the cached chunk; UINT64_MAX: none */
	/* the in-stream xxh64 check (NULL state: none asked) */
	struct XXH64_state_s *xxh;      /* owned */
	uint64_t xxh_want;
	uint64_t xxh_done;              /* plaintext bytes [0, xxh_done) hashed */
	int xxh_verdict;                /* 0 not yet, 1 matched, -1 mismatch */
	const char *name;               /* borrowed: the file, for messages */
};

/* Prepares a source over fd holding pt_size bytes of plaintext. Returns 0, SP_ENOMEM. */
int age_source_init(struct age_source *s, int fd, uint64_t pt_size,
    const struct age_enc_params *p, struct err *err);
void age_source_release(struct age_source *s);

/* Checks the plaintext against want_hex (the xxh64 as hash.h prints it) while it is read;
 * name (borrowed) is the file named in the error. Returns 0, SP_EINVAL (not an xxh64),
 * SP_ENOMEM. */
int age_source_expect_xxh64(struct age_source *s, const char *want_hex, const char *name,
    struct err *err);

/* After the upload: 0 when the whole plaintext hashed to the expected xxh64 (hashing what
 * was not read yet), SP_EMISMATCH when not, SP_EIO; 0 when no check was asked. */
int age_source_verify(struct age_source *s, struct err *err);

/* Fills len bytes of ciphertext at off (off + len <= ct_size) into buf; *got = len.
 * Returns 0, SP_EINVAL (past the end), SP_EIO (read error or the file shrank), SP_EMISMATCH
 * (the xxh64 check failed: the last chunk is then never returned). */
int age_source_read_at(void *s, uint64_t off, uint8_t *buf, size_t len, size_t *got,
    struct err *err);

/* Sets *t to read s (borrowed: s must outlive the upload). */
void age_source_tus(struct age_source *s, struct tus_source *t);

#endif
