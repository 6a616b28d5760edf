/*
 * bech32: the BIP173 string encoding used for age keys ("age1...", "AGE-SECRET-KEY-1...").
 *
 * A string is HRP "1" data checksum, where data and the 6-character checksum use the
 * 32-character alphabet and the checksum is the BIP173 BCH code (constant 1, not the
 * Bech32m constant). Unlike BIP173 there is no 90-character limit (age keys exceed it).
 * A string must be all upper-case or all lower-case; the checksum is always computed over
 * the lower-case form. Decoders report the HRP in the case it was written, so a caller can
 * insist on "AGE-SECRET-KEY-" versus "age".
 *
 * Ownership: nothing is allocated; callers pass output buffers with their capacity.
 * Error messages never quote the input, which may be a secret key.
 */
#ifndef SETPOST_BECH32_H
#define SETPOST_BECH32_H

#include <stddef.h>
#include <stdint.h>

#include "lib/core/err.h"

/* Length (without NUL) of the encoding of data_len bytes under an HRP of hrp_len chars. */
size_t bech32_encoded_len(size_t hrp_len, size_t data_len);

/*
 * Encodes data under hrp into out (NUL-terminated). The output is upper-case if hrp is
 * upper-case, lower-case otherwise; a mixed-case or empty hrp is rejected.
 * Returns 0, SP_EINVAL (bad hrp) or SP_ETOOBIG (cap too small).
 */
int bech32_encode(char *out, size_t cap, const char *hrp, const uint8_t *data, size_t len,
    struct err *err);

/*
 * Decodes s: copies its HRP, as written, into hrp (NUL-terminated, hrp_cap bytes) and its
 * payload, converted from 5-bit groups to bytes, into data. Padding bits must be zero and
 * fewer than 5. Returns 0, SP_EINVAL (malformed, bad checksum) or SP_ETOOBIG (a buffer
 * too small).
 */
int bech32_decode(const char *s, char *hrp, size_t hrp_cap, uint8_t *data, size_t data_cap,
    size_t *data_len, struct err *err);

#endif
