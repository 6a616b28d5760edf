/*
 * pgembed: setpost's private PostgreSQL cluster, used when no SETPOST_DATABASE_URL is given.
 *
 * Layout under the data folder: pgdata/ (the cluster), pgrun/ (its Unix socket; no TCP port
 * is opened) and log/postgres.log. PostgreSQL refuses to run as root, so when setpost runs as
 * root the cluster belongs to the unprivileged `postgres` system user (SETPOST_PG_USER to
 * choose another); otherwise to the invoking user. Only that user and root can reach the socket.
 *
 * Start is idempotent: a running cluster is reused (and then not stopped by us); a stale
 * postmaster.pid left by a crash is recognised and removed; a file lock serialises processes
 * starting at once (serve and worker on one data folder).
 *
 * When setpost runs as root and the cluster's user cannot enter the data folder (a clone under
 * /root, mode 0700), the cluster lives in PGEMBED_OUTSIDE/pg-<hash of the folder's path>/
 * instead (pgdata/, pgrun/, postgres.log), DATA/pgdata is a symbolic link to it, and
 * pgembed.note says so for the caller to print.
 *
 * Asked to listen (pgembed_start_listening, "ADDR:PORT"), the cluster also accepts TCP
 * connections there, for workers on other hosts, over TLS with a password (hostssl and
 * scram-sha-256 in its own setpost_hba.conf; TCP without TLS is rejected; the Unix socket
 * stays trust, guarded by its folder's mode). The TLS certificates: a CA of this cart,
 * DATA/pg-ca.crt and pg-ca.key, made once, and a server certificate it signs naming ADDR,
 * made anew at every start (pgembed_tls_make); workers connect with sslmode=verify-full and
 * sslrootcert=<a copy of pg-ca.crt>. The password
 * is DATA/pg-password (mode 0600), made on first need and set on the role at every start. A
 * cluster already running (another process started it) must already listen there, or the
 * start is refused: the listening address is fixed when the cluster starts.
 */
#ifndef SETPOST_PGEMBED_H
#define SETPOST_PGEMBED_H

#include "lib/core/err.h"

#include <limits.h>
#include <stdbool.h>

#define PGEMBED_OUTSIDE "/var/lib/setpost"

struct pgembed {
	char pgdata[PATH_MAX];
	char sockdir[PATH_MAX];
	char logfile[PATH_MAX];
	char bindir[PATH_MAX];
	char conninfo[PATH_MAX + 64];
	bool started_here;   /* we started it, so we stop it */
	char user[64];       /* as root: the system user that owns the cluster */
	char note[PATH_MAX + 256]; /* one line for the operator, or empty */
	int port;            /* the cluster's port (its socket's name and, listening, TCP) */
	char password_file[PATH_MAX + 16]; /* listening: DATA/pg-password; else empty */
	char ca_file[PATH_MAX + 16];       /* listening: DATA/pg-ca.crt, for the workers; else empty */
};

/* Creates (initdb) if needed, starts if not running, and ensures database "setpost" exists.
 * bindir may be NULL (search /usr/lib/postgresql/<newest>/bin, then PATH). user is the system
 * user that owns the cluster when we run as root (NULL or "": postgres). */
int pgembed_start(struct pgembed *pg, const char *data_dir, const char *bindir,
    const char *user, struct err *err);

/* The same; listen ("ADDR:PORT", NULL or "": Unix socket only) opens TCP with a password. */
int pgembed_start_listening(struct pgembed *pg, const char *data_dir, const char *bindir,
    const char *user, const char *listen, struct err *err);

/* Stops the cluster if this process started it. */
int pgembed_stop(struct pgembed *pg, struct err *err);

#endif
