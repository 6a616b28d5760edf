/*
 * sealed: small secrets kept on disk only in sealed form (encrypted and authenticated) under
 * one local server key, e.g. the age file key and parameters an interrupted upload needs to
 * resume the same encrypted stream.
 *
 * The server key is 32 random bytes in a key file (by convention <data>/keys/server.key),
 * created on first use with mode 0600 in a folder created with mode 0700. Creation is atomic
 * (written under a temporary name, then link(2)ed into place), so two processes starting at
 * once end up with the same key. An existing key file must be exactly 32 bytes and must not be
 * readable or writable by group or others, or it is refused.
 *
 * A sealed blob is libsodium's crypto_secretbox_easy (XSalsa20-Poly1305) with a random
 * 24-byte nonce prepended:  nonce (24) || MAC (16) || ciphertext (len).  So it is
 * SEALED_OVERHEAD (40) bytes longer than the plaintext, never the same twice, and any change
 * to it (or a different key) makes sealed_open fail with SP_ECRYPTO.
 *
 * What this protects: a state file, backup or log that leaks without the key file reveals
 * nothing of the sealed secret. What it does not: someone who can read the key file too (it
 * sits on the same disk, readable by the same user), or a live process's memory.
 *
 * Ownership: the key is a caller-owned value; wipe it with sodium_memzero when done. Buffers
 * returned through `out` are malloc'ed and owned by the caller; sealed_free() wipes and frees
 * them (use it for opened plaintext). Needs sodium_init() to have been called (sealed_key_load
 * calls it, and it is idempotent). Thread-safe: no global state.
 */
#ifndef SETPOST_SEALED_H
#define SETPOST_SEALED_H

#include <stddef.h>
#include <stdint.h>

#include "lib/core/err.h"

#define SEALED_KEY_LEN 32
#define SEALED_NONCE_LEN 24
#define SEALED_MAC_LEN 16
#define SEALED_OVERHEAD (SEALED_NONCE_LEN + SEALED_MAC_LEN)
#define SEALED_KEY_FILE "server.key"
#define SEALED_MAX (64u * 1024 * 1024) /* larger plaintexts are refused (SP_ETOOBIG) */

/*
 * Loads the server key from dir/server.key, creating dir (mode 0700, parents included) and a
 * new random key file (mode 0600) when missing. Returns 0, SP_EIO (cannot read or create),
 * SP_EINVAL (wrong size or too-open mode: the message names the file), SP_EINTERNAL (libsodium
 * failed to initialise).
 */
int sealed_key_load(const char *dir, uint8_t key[SEALED_KEY_LEN], struct err *err);

/*
 * Seals len bytes of pt (len may be 0) into a new buffer *out of *outlen = len +
 * SEALED_OVERHEAD bytes. Returns 0, SP_ENOMEM or SP_ETOOBIG; *out is NULL on failure.
 */
int sealed_seal(const uint8_t key[SEALED_KEY_LEN], const uint8_t *pt, size_t len,
    uint8_t **out, size_t *outlen, struct err *err);

/*
 * Opens a blob made by sealed_seal under the same key into a new buffer *out of *outlen
 * bytes (free it with sealed_free). Returns 0, SP_ECRYPTO (wrong key, altered or truncated
 * blob), SP_ENOMEM or SP_ETOOBIG; *out is NULL on failure.
 */
int sealed_open(const uint8_t key[SEALED_KEY_LEN], const uint8_t *blob, size_t len,
    uint8_t **out, size_t *outlen, struct err *err);

/* Wipes len bytes of p and frees it; NULL is fine. */
void sealed_free(uint8_t *p, size_t len);

#endif
