/*
 * login: a name and password for a dashboard session, throttled so that a guesser is slowed
 * down and a third party cannot lock the account's owner out (issue 14).
 *
 *   - per client: after 3 failures of a (name, client) pair, 1, 2, 4 … s up to 5 min after its
 *     last failure. The client is the address (as the trusted proxy tells it), or the browser's
 *     device cookie when it brings one for that name.
 *   - per account: failures from clients the account does not know, whoever sent them, make
 *     everyone without the account's device cookie wait: after 5, 1, 2, 4 … s up to
 *     LOGIN_ACCOUNT_CAP s after the last one; a quiet quarter of an hour forgets them.
 *   - device cookie: every successful login hands the browser a random secret bound to the
 *     name (only its SHA-256 stored, a year from its last use). A browser that brings it skips
 *     the account's delay and the server's per-second budget: failures sent by others, from
 *     any number of addresses, never stop the owner's usual browser. A new browser waits out
 *     the account's delay (at most LOGIN_ACCOUNT_CAP s) like anyone.
 *   - server: argon2id checks run at most LOGIN_CHECKS_AT_ONCE at once (with every other
 *     argon2id of the process: a user's new hash, the dummy check; lib/store/pwhash.h) and at
 *     most LOGIN_CHECKS_PER_SECOND start in a second (device-cookie logins go first and outside the
 *     budget); an unknown name costs one check too, so rotating names is throttled the same
 *     way and its answer's timing does not tell which names exist.
 * A refused attempt checks no password and counts no failure.
 */
#ifndef SETPOST_LOGIN_H
#define SETPOST_LOGIN_H

#include "lib/store/auth.h"
#include "lib/store/pwhash.h"

#define LOGIN_CHECKS_AT_ONCE PWHASH_AT_ONCE
#define LOGIN_CHECKS_PER_SECOND PWHASH_PER_SECOND
#define LOGIN_ACCOUNT_CAP 60

struct login_result {
	struct auth_identity who;             /* on success, with csrf */
	char session[AUTH_SECRET_LEN + 8];    /* on success: the session cookie's secret */
	char device[AUTH_SECRET_LEN + 8];     /* on success: the device cookie's secret */
	int retry_after;                      /* on a refusal: seconds to wait */
};

/* Checks name and password for a session valid for `seconds`. address: the client's address;
 * device: the sp_device cookie the browser brought, or NULL. On success fills *out (and
 * remembers the device). SP_EAUTH for a wrong name or password (one message for both),
 * SP_ECONFLICT (slowed down) or SP_EUNAVAIL (server busy) with out->retry_after set. */
int login_check(struct db *db, const char *name, const char *password, const char *address,
    const char *device, int seconds, struct login_result *out, struct err *err);

#endif
