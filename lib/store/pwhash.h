/*
 * pwhash: every argon2id computation of the process (making a user's password hash, checking a
 * login, the dummy check for unknown names) goes through one gate, so that no more than
 * PWHASH_AT_ONCE run at once (each takes a core and tens of MiB) and no more than
 * PWHASH_PER_SECOND start in a second (issue 14). scripts/lint.sh keeps libsodium's
 * crypto_pwhash_* calls in this file.
 */
#ifndef SETPOST_PWHASH_H
#define SETPOST_PWHASH_H

#include "lib/core/err.h"

#include <sodium.h>
#include <stdbool.h>

#define PWHASH_AT_ONCE 2
#define PWHASH_PER_SECOND 10
#define PWHASH_LEN crypto_pwhash_STRBYTES

/* Takes a slot. first: wait (up to 30 s) for one, ahead of everyone else and outside the
 * per-second budget (a known device's login, an admin making a user); otherwise false at once
 * when every slot is taken or the second's budget is spent. */
bool pwhash_enter(bool first);
void pwhash_leave(void);

/* argon2id of password into out (a slot must be held). SP_ENOMEM when libsodium fails. */
int pwhash_make_held(const char *password, char out[PWHASH_LEN], struct err *err);
/* The same, taking and leaving a slot itself (waiting as `first`): SP_EUNAVAIL when none came. */
int pwhash_make(const char *password, char out[PWHASH_LEN], struct err *err);
/* True when password matches hash (a slot must be held). */
bool pwhash_verify_held(const char *hash, const char *password);

/* The most argon2id computations this process ever ran at the same moment (counted around the
 * libsodium calls themselves, not the slots): the tests' proof of the gate. */
int pwhash_peak(void);

#endif
