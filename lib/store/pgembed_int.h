/* pgembed's private parts: listening on TCP with a password (pgembed_listen.c). */
#ifndef SETPOST_PGEMBED_INT_H
#define SETPOST_PGEMBED_INT_H

#include "lib/store/pgembed.h"
#include "lib/core/proc.h"

#include <libpq-fe.h>
#include <stdio.h>

#define PGEMBED_PORT 5432

/* Where the cluster listens: host "" when on the Unix socket only. */
struct pgembed_listen {
	char host[256];
	int port;
	char data[PATH_MAX];            /* the data folder (its real path): pg-ca.crt, pg-ca.key */
};

/* Parses "ADDR:PORT" (NULL or "": socket only, port 5432). SP_EINVAL for a bad address or a
 * port outside 1-65535. */
int pgembed_listen_parse(struct pgembed_listen *l, const char *listen, struct err *err);

/* Appends the settings of l to setpost.conf (f), and writes PGDATA/setpost_hba.conf: trust on
 * the Unix socket, scram-sha-256 over TLS on TCP (TCP without TLS rejected); listening, the
 * certificates too (pgembed_tls_make). */
int pgembed_listen_conf(const struct pgembed *pg, const struct proc_user *u,
    const struct pgembed_listen *l, FILE *f, struct err *err);

/* Listening: DATA/pg-ca.key (0600) and pg-ca.crt (0644), a CA of this cart made when neither
 * exists (P-256, 20 years), and PGDATA/server.key and server.crt, made anew at every start,
 * owned by the cluster's user u, signed by that CA, naming l->host (IP or DNS; the host name
 * for a wildcard address) for workers that check it (sslmode=verify-full). */
int pgembed_tls_make(const struct pgembed *pg, const struct proc_user *u,
    const struct pgembed_listen *l, struct err *err);

/* The port and first listening address of the running cluster, from postmaster.pid. */
int pgembed_listen_running(const struct pgembed *pg, struct pgembed_listen *l, struct err *err);

/* Listening: makes DATA/pg-password if absent (0600) and sets the role's password to it, as a
 * scram-sha-256 verifier computed here (the password itself never reaches the server). */
int pgembed_listen_password(struct pgembed *pg, const char *data_real, PGconn *c,
    struct err *err);

#endif
