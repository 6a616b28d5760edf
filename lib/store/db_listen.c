/* db_listen: a dedicated connection for LISTEN/NOTIFY (see db.h). It reconnects by itself
 * after the server went away, and re-issues its LISTENs, so live views recover on their own. */
#include "lib/store/db.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct db_listener {
	char *conninfo;
	char **channels;
	int nchannels;
	PGconn *pg;
};

static int
db_listener_connect(struct db_listener *l, struct err *err)
{
	char sql[256];

	l->pg = PQconnectdb(l->conninfo);
	if (PQstatus(l->pg) != CONNECTION_OK) {
		err_set(err, SP_EUNAVAIL, "listen: database unreachable: %.*s",
		    (int)strcspn(PQerrorMessage(l->pg), "\n"), PQerrorMessage(l->pg));
		goto fail;
	}
	for (int i = 0; i < l->nchannels; i++) {
		/* Channel names are ours (constants), quoted as identifiers anyway. */
		char *ident = PQescapeIdentifier(l->pg, l->channels[i], strlen(l->channels[i]));
		PGresult *r;
		int ok;

		if (ident == NULL)
			goto fail_unavail;
		snprintf(sql, sizeof(sql), "LISTEN %s", ident);
		PQfreemem(ident);
		r = PQexec(l->pg, sql);
		ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		PQclear(r);
		if (!ok)
			goto fail_unavail;
	}
	return 0;
fail_unavail:
	err_set(err, SP_EUNAVAIL, "listen: %.*s", (int)strcspn(PQerrorMessage(l->pg), "\n"),
	    PQerrorMessage(l->pg));
fail:
	PQfinish(l->pg);
	l->pg = NULL;
	return SP_EUNAVAIL;
}

int
db_listener_open(struct db_listener **out, const char *conninfo,
    const char *const *channels, int nchannels, struct err *err)
{
	struct db_listener *l = calloc(1, sizeof(*l));
	int rc;

	if (l == NULL || (l->conninfo = strdup(conninfo)) == NULL ||
	    (l->channels = calloc((size_t)nchannels, sizeof(char *))) == NULL) {
		rc = err_set(err, SP_ENOMEM, "out of memory");
		goto fail;
	}
	for (l->nchannels = 0; l->nchannels < nchannels; l->nchannels++)
		if ((l->channels[l->nchannels] = strdup(channels[l->nchannels])) == NULL) {
			rc = err_set(err, SP_ENOMEM, "out of memory");
			goto fail;
		}
	if ((rc = db_listener_connect(l, err)) < 0)
		goto fail;
	*out = l;
	return 0;
fail:
	db_listener_close(l);
	return rc;
}

static int
db_listener_take(struct db_listener *l, char *channel, size_t chlen, char *payload,
    size_t plen)
{
	PGnotify *n = PQnotifies(l->pg);

	if (n == NULL)
		return 0;
	snprintf(channel, chlen, "%s", n->relname);
	snprintf(payload, plen, "%s", n->extra);
	PQfreemem(n);
	return 1;
}

int
db_listener_wait(struct db_listener *l, int timeout_ms, char *channel, size_t chlen,
    char *payload, size_t plen, struct err *err)
{
	struct pollfd pfd;
	int rc;

	/* Back from a reconnection at once: the caller learns it listens again (and that
	 * notifications may have been missed meanwhile) without waiting out the timeout. */
	if (l->pg == NULL)
		return db_listener_connect(l, err);
	if ((rc = db_listener_take(l, channel, chlen, payload, plen)) != 0)
		return rc;
	pfd.fd = PQsocket(l->pg);
	pfd.events = POLLIN;
	if (poll(&pfd, 1, timeout_ms) <= 0)
		return 0;
	if (!PQconsumeInput(l->pg) || PQstatus(l->pg) != CONNECTION_OK) {
		err_set(err, SP_EUNAVAIL, "listen: connection lost");
		PQfinish(l->pg);
		l->pg = NULL;
		return SP_EUNAVAIL;
	}
	return db_listener_take(l, channel, chlen, payload, plen);
}

void
db_listener_close(struct db_listener *l)
{
	if (l == NULL)
		return;
	if (l->pg)
		PQfinish(l->pg);
	for (int i = 0; i < l->nchannels; i++)
		free(l->channels[i]);
	free(l->channels);
	free(l->conninfo);
	free(l);
}
