/*
 * err: the one error convention of setpost.
 *
 * A function that can fail returns 0 (or a non-negative count) on success and a
 * negative SP_E* code on failure, and fills the caller's struct err with that code
 * and a lowercase message that names the object ("file A001C003.mov: short read").
 * Nothing in lib/ prints or exits; the caller decides what to show.
 * The codes map to HTTP statuses and machine-readable error.code strings in one
 * table (err.c), so the server and the command line speak the same language.
 * A NULL struct err * is allowed: the message is then dropped, the code kept.
 */
#ifndef SETPOST_ERR_H
#define SETPOST_ERR_H

#include <stddef.h>

enum sp_err {
	SP_OK = 0,
	SP_EINVAL = -1,     /* bad input from a person or a client */
	SP_ENOTFOUND = -2,  /* the thing named does not exist */
	SP_ECONFLICT = -3,  /* state forbids it (already exists, wrong state) */
	SP_EIO = -4,        /* file or device error */
	SP_EDB = -5,        /* database error */
	SP_ENOMEM = -6,     /* out of memory */
	SP_ECRYPTO = -7,    /* authentication or decryption failed */
	SP_EUNAVAIL = -8,   /* a dependency (database, peer) is unreachable */
	SP_EAUTH = -9,      /* no or bad credentials */
	SP_EFORBIDDEN = -10,/* credentials fine, role insufficient */
	SP_ETOOBIG = -11,   /* over a size limit */
	SP_EMISMATCH = -12, /* a hash or checksum did not match */
	SP_ENOSPACE = -13,  /* a destination is full */
	SP_ECANCELED = -14, /* stopped on request */
	SP_EINTERNAL = -15, /* a bug or an invariant broken */
	SP_EUNSUPPORTED = -16, /* a format or version we do not handle */
};

struct err {
	int code;
	char msg[512];
};

/* Sets err (if not NULL) and returns code, so callers write
 * `return err_set(err, SP_EINVAL, "clip %s: bad take", name);`. */
int err_set(struct err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like err_set, with ": strerror(errnum)" appended. */
int err_errno(struct err *err, int code, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Prefixes the existing message with a context ("offload A001: " + msg); returns err->code. */
int err_prefix(struct err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void err_clear(struct err *err);

/* Machine code for JSON bodies ("invalid", "not_found", ...); never NULL. */
const char *err_code_name(int code);

/* HTTP status for a code (400, 404, 409, 500, 503, ...). */
int err_http_status(int code);

/* Maps an errno value to an SP_E* code (ENOSPC -> SP_ENOSPACE, ENOENT -> SP_ENOTFOUND...). */
int err_from_errno(int errnum);

#endif
