/*
 * harness: what end-to-end tests share. scripts/test.sh starts one throwaway PostgreSQL cluster
 * (SETPOST_TEST_PG) for the run; each test makes a fresh database in it, starts the sanitizer
 * build of `setpost serve` on a free port (SETPOST_BIN), and talks HTTP to it with libcurl.
 */
#ifndef SETPOST_HARNESS_H
#define SETPOST_HARNESS_H

#include "lib/store/db.h"

#include <stdbool.h>
#include <sys/types.h>

/* A new empty database in the test cluster; returns its conninfo (static storage). */
const char *harness_db_create(void);

/* A fresh folder under the run's temporary folder (static storage). */
const char *harness_tmpdir(const char *prefix);

struct harness_proc {
	pid_t pid;
	int port;
	bool tls;
	char log[512];     /* its stderr */
};

/* Runs `setpost ARGS...` (NULL-terminated) in the background; when it is `serve`, waits for
 * its "listening" line and reads the port. Returns 0, or -1 (the log says why). */
int harness_spawn(struct harness_proc *p, const char *const *args);
/* Starts serve on 127.0.0.1:0 against conninfo (NULL: embedded in data_dir). */
int harness_serve(struct harness_proc *p, const char *conninfo, const char *data_dir);
/* serve with extra arguments (NULL-terminated, may be NULL). */
int harness_serve_args(struct harness_proc *p, const char *conninfo, const char *data_dir,
    const char *const *extra);
/* SIGTERM, wait; returns the exit status (or 128+signal). */
int harness_stop(struct harness_proc *p);
/* Runs `setpost ARGS...` to completion, capturing stdout+stderr; returns the exit status. */
int harness_run(const char *const *args, char *out, size_t outlen);

struct harness_resp {
	long status;
	char *body;        /* NUL-terminated, owned: harness_resp_release */
	size_t len;
	char headers[4096];
};

/* Creates an API token with `setpost token create` against conninfo; returns it (static). */
const char *harness_token(const char *conninfo, const char *role);

/* When set, harness_http sends "Authorization: Bearer <it>" unless the request's own headers
 * carry Authorization or Cookie. */
extern const char *harness_bearer;

/* Whole-request time limit of harness_http in milliseconds (0: 30 s). A request cut off by it
 * still reports the status it got (an event stream's 200, say) but returns -1. */
extern long harness_timeout_ms;

/* HTTP to the server of p: method, path (with query), optional body and extra header lines. */
int harness_http(const struct harness_proc *p, const char *method, const char *path,
    const char *body, const char *const *headers, struct harness_resp *r);
/* The same with a binary body of len bytes. */
int harness_http_body(const struct harness_proc *p, const char *method, const char *path,
    const void *body, size_t len, const char *const *headers, struct harness_resp *r);
void harness_resp_release(struct harness_resp *r);
/* Declares path as a volume (POST /api/v1/volume-roots, with harness_bearer): registrations of
 * copies under it are then accepted. Returns the HTTP status. */
long harness_declare_volume(const struct harness_proc *p, const char *path);
/* Value of a response header (case-insensitive name), copied into out; false if absent. */
bool harness_header(const struct harness_resp *r, const char *name, char *out, size_t len);

/* Polls cond(arg) every 50 ms for up to seconds; true when it held. */
bool harness_wait_until(bool (*cond)(void *arg), void *arg, double seconds);
bool harness_log_contains(const struct harness_proc *p, const char *needle);

/* One-shot SQL on a conninfo (test scaffolding only); returns the first value of the first row
 * in out (or "" ), and the number of rows, or -1 on error. */
int harness_sql(const char *conninfo, const char *sql, char *out, size_t outlen);

/* harness_sql with a printf-style query that must succeed: the first value of the first row
 * (static, overwritten by the next call); a failed query ends the test with its message. */
const char *harness_sqlf(const char *conninfo, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
