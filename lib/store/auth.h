/*
 * auth: who may do what. Three roles: admin (the DIT), editor (lists and downloads dailies),
 * post (post-house integration). Programs use API tokens (random 32 bytes, shown once, only
 * their SHA-256 stored); people use a name and password (argon2id) and get a session cookie
 * (random 32 bytes, only its SHA-256 stored) with a CSRF token for writes.
 *
 * The SQL for tokens, users and sessions lives here, next to the code that uses it; the CLI
 * (token, user) and the server (authentication, login) share it.
 */
#ifndef SETPOST_AUTH_H
#define SETPOST_AUTH_H

#include "lib/store/db.h"
#include "lib/core/err.h"

#include <jansson.h>
#include <stdbool.h>

enum auth_role {
	ROLE_ADMIN = 1 << 0,
	ROLE_EDITOR = 1 << 1,
	ROLE_POST = 1 << 2,
};
#define ROLE_ANY (ROLE_ADMIN | ROLE_EDITOR | ROLE_POST)

/* "admin" -> ROLE_ADMIN; 0 for an unknown name. */
int auth_role_from_name(const char *name);
const char *auth_role_name(int role);

#define AUTH_SECRET_LEN 48   /* base64url of 32 bytes + prefix + NUL fits */

/* A new random secret with a prefix ("spt_" tokens, "sps_" sessions). */
void auth_secret_new(const char *prefix, char out[AUTH_SECRET_LEN + 8]);
/* SHA-256 of a secret as PostgreSQL bytea hex ("\\x…"). */
void auth_secret_hash(const char *secret, char out[2 + 64 + 1]);

/* Who made a request. */
struct auth_identity {
	int role;
	long long user_id;      /* 0 for tokens without a user */
	long long token_id;     /* 0 for sessions */
	long long production_id; /* the one production a token serves; 0: every production */
	char name[128];         /* user name or token name, for events ("actor") */
	char csrf[64];          /* sessions only */
	long long expires_at;   /* sessions only: unix seconds */
	bool session;
};

/* Looks up a bearer token. SP_EAUTH when unknown or revoked. */
int auth_token_check(struct db *db, const char *token, struct auth_identity *id,
    struct err *err);
/* Creates a token; the secret is written to secret_out (shown once). */
int auth_token_create(struct db *db, const char *name, int role, long long user_id,
    char secret_out[AUTH_SECRET_LEN + 8], long long *id, struct err *err);
/* Revokes a token; SP_ENOTFOUND when no active token has that id. */
int auth_token_revoke(struct db *db, long long id, struct err *err);
/* Tokens without secrets: [{id,name,role,created_at,last_used_at,revoked_at}]. */
int auth_token_list(struct db *db, json_t **out, struct err *err);

/* Users. The password is hashed with argon2id here; it is never stored or logged. */
int auth_user_add(struct db *db, const char *name, int role, const char *password,
    long long *id, struct err *err);
int auth_user_list(struct db *db, json_t **out, struct err *err);
int auth_user_set_disabled(struct db *db, long long id, bool disabled, struct err *err);

/* Sessions: a login (lib/store/login.h) makes one; these check and end it. */
int auth_session_check(struct db *db, const char *cookie_secret, struct auth_identity *id,
    struct err *err);
int auth_logout(struct db *db, const char *cookie_secret, struct err *err);

#endif
