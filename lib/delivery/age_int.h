/*
 * age_int: what the two halves of lib/age share, private to lib/age*.c.
 *
 * age.c holds the format in memory (primitives, deterministic parameters, the streaming
 * encryptor and decryptor); age_key.c holds keys and everything that touches the file
 * system (key and identity files, outputs under a temporary name, the _fd and _path
 * helpers). The public API and its ownership rules are in age.h.
 */
#ifndef SETPOST_AGE_INT_H
#define SETPOST_AGE_INT_H

#include "lib/delivery/age.h"

#define AGE_VERSION_LINE "age-encryption.org/v1\n"
#define AGE_VERSION_LEN (sizeof(AGE_VERSION_LINE) - 1)

/* Initialises libsodium (idempotent). Returns 0 or SP_EINTERNAL (age.c). */
int age_sodium_ready(struct err *err);

/* Grows *buf (len bytes used) to cap bytes; the old copy is wiped, as it may hold secrets.
 * Returns 0 or SP_ENOMEM, *buf then unchanged (age_buf.c). */
int age_grow(char **buf, size_t len, size_t cap, struct err *err);

#endif
