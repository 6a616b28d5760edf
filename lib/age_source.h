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
 * rewritten in place with the same size cannot be detected here (the caller compares mtime
 * and the xxh64 it announced).
 *
 * Ownership: age_source_init copies the params; age_source_release wipes the copy and the
 * cached plaintext and frees them (safe on a zeroed or failed source, and twice). Not
 * thread-safe: one reader at a time.
 */
#ifndef SETPOST_AGE_SOURCE_H
#define SETPOST_AGE_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "age.h"
#include "err.h"
#include "tus_client.h"

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
};

/* Prepares a source over fd holding pt_size bytes of plaintext. Returns 0, SP_ENOMEM. */
int age_source_init(struct age_source *s, int fd, uint64_t pt_size,
    const struct age_enc_params *p, struct err *err);
void age_source_release(struct age_source *s);

/* Fills len bytes of ciphertext at off (off + len <= ct_size) into buf; *got = len.
 * Returns 0, SP_EINVAL (past the end), SP_EIO (read error or the file shrank). */
int age_source_read_at(void *s, uint64_t off, uint8_t *buf, size_t len, size_t *got,
    struct err *err);

/* Sets *t to read s (borrowed: s must outlive the upload). */
void age_source_tus(struct age_source *s, struct tus_source *t);

#endif
