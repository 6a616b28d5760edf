/* sse: Server-Sent Events fed by LISTEN/NOTIFY (see sse.h). */
#include "sse.h"
#include "lib/core/clock.h"
#include "cache.h"
#include "lib/core/log.h"
#include "lib/store/params.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SSE_BATCH "100"

struct sse_client {
	struct sse_hub *hub;
	struct MHD_Connection *conn;
	struct sse_client *next, *prev;
	long long last_id;
	struct buf out;           /* bytes not yet taken by libmicrohttpd */
	size_t off;
	double last_sent;
	unsigned long seen_gen;
	bool suspended;           /* guarded by hub->lock */
	bool unnamed;             /* ?named=false: no `event:` line, every event is a "message" */
	long long scope;          /* the production a token serves: its events only (0: all) */
	bool host_paths;          /* an admin: events' data as recorded, host paths and all */
};

struct sse_hub {
	struct server *srv;
	double heartbeat;         /* seconds between keepalive comments */
	pthread_mutex_t lock;
	struct sse_client *clients;
	unsigned long gen;        /* bumped by every notification */
	pthread_t thread;
	volatile int stop;
};

static const struct db_stmt stmt_since = { "sse_since",
	"SELECT id, kind, json_build_object('id', id, 'at', at, 'actor', actor, 'kind', kind,"
	" 'subject_type', subject_type, 'subject_id', subject_id, 'data', CASE WHEN $3::bool"
	" THEN data ELSE setpost_redact_paths(data) END)::text"
	" FROM events WHERE id > $1 AND ($2::bigint = 0 OR production_id = $2)"
	" ORDER BY id LIMIT " SSE_BATCH, 3 };
static const struct db_stmt stmt_last = { "sse_last",
	"SELECT coalesce(max(id), 0) FROM events", 0 };

static void
sse_resume_locked(struct sse_client *c)
{
	if (c->suspended) {
		c->suspended = false;
		MHD_resume_connection(c->conn);
	}
}

static void *
sse_hub_main(void *arg)
{
	struct sse_hub *hub = arg;
	/* setpost_data and setpost_auth only invalidate the cache (migration 0013). */
	const char *channels[] = { "setpost_events", "setpost_data", "setpost_auth" };
	struct db_listener *l = NULL;
	char ch[64], payload[64];
	struct err err;

	while (!hub->stop) {
		int rc = 0;
		if (l == NULL) {
			if (db_listener_open(&l, db_conninfo(hub->srv->db), channels, 3, &err) < 0)
				usleep(500000);
			/* Listening from here on: the cache may keep pages now, not only after the
			 * first wait (every answer was built again for a second after each start). */
			cache_set_live(hub->srv->cache, l != NULL);
		} else {
			rc = db_listener_wait(l, 1000, ch, sizeof(ch), payload, sizeof(payload), &err);
			cache_set_live(hub->srv->cache, rc >= 0);
		}
		/* Every notification may come with a change the cache must not hide from the
		 * clients this one wakes up: invalidate before waking them. */
		if (rc > 0)
			cache_notified(hub->srv->cache, ch);
		if (rc > 0 && strcmp(ch, "setpost_events") != 0)
			rc = 0;
		pthread_mutex_lock(&hub->lock);
		if (rc > 0)
			hub->gen++;
		for (struct sse_client *c = hub->clients; c; c = c->next)
			if (rc > 0 || clock_now() - c->last_sent >= hub->heartbeat)
				sse_resume_locked(c);
		pthread_mutex_unlock(&hub->lock);
	}
	cache_set_live(hub->srv->cache, false);
	db_listener_close(l);
	return NULL;
}

int
sse_hub_start(struct sse_hub **out, struct server *srv, struct err *err)
{
	struct sse_hub *hub = calloc(1, sizeof(*hub));

	if (hub == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	hub->srv = srv;
	/* 15 s suits proxies that close idle connections after 30 or 60 s; tests shorten it. */
	hub->heartbeat = srv->cfg ? (double)srv->cfg->sse_heartbeat : 15;
	if (!(hub->heartbeat >= 0.2 && hub->heartbeat <= 3600))
		hub->heartbeat = 15;
	pthread_mutex_init(&hub->lock, NULL);
	if (pthread_create(&hub->thread, NULL, sse_hub_main, hub) != 0) {
		free(hub);
		return err_set(err, SP_EINTERNAL, "cannot start the event hub");
	}
	*out = hub;
	return 0;
}

void
sse_hub_stop(struct sse_hub *hub)
{
	if (hub == NULL)
		return;
	hub->stop = 1;
	pthread_join(hub->thread, NULL);
	pthread_mutex_lock(&hub->lock);
	for (struct sse_client *c = hub->clients; c; c = c->next)
		sse_resume_locked(c);
	pthread_mutex_unlock(&hub->lock);
}

/* Called after the daemon stopped: no stream is left. */
static void
sse_hub_free(struct sse_hub *hub)
{
	pthread_mutex_destroy(&hub->lock);
	free(hub);
}

/* Appends the next events to the client's buffer; returns how many. */
static int
sse_fetch(struct sse_client *c)
{
	struct db_params q = { 0 };
	struct err err;
	PGresult *r;
	int n;

	db_param_ll(&q, c->last_id);
	db_param_ll(&q, c->scope);
	db_param_str(&q, c->host_paths ? "true" : "false");
	if ((n = db_exec(c->hub->srv->db, &stmt_since, q.v, &r, &err)) < 0) {
		log_warn("event stream: %s", err.msg);
		return 0;
	}
	for (int i = 0; i < n; i++) {
		c->last_id = db_ll(r, i, 0);
		if (c->unnamed)
			buf_appendf(&c->out, "id: %lld\ndata: %s\n\n", c->last_id, PQgetvalue(r, i, 2));
		else
			buf_appendf(&c->out, "id: %lld\nevent: %s\ndata: %s\n\n", c->last_id,
			    PQgetvalue(r, i, 1), PQgetvalue(r, i, 2));
	}
	PQclear(r);
	return n;
}

static ssize_t
sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct sse_client *c = cls;
	struct sse_hub *hub = c->hub;
	unsigned long gen;

	(void)pos;
	for (int round = 0; round < 3; round++) {
		if (c->off < c->out.len) {
			size_t n = c->out.len - c->off < max ? c->out.len - c->off : max;
			memcpy(buf, c->out.data + c->off, n);
			c->off += n;
			if (c->off == c->out.len) {
				buf_reset(&c->out);
				c->off = 0;
			}
			c->last_sent = clock_now();
			return (ssize_t)n;
		}
		if (hub->stop)
			return MHD_CONTENT_READER_END_OF_STREAM;
		pthread_mutex_lock(&hub->lock);
		gen = hub->gen;
		pthread_mutex_unlock(&hub->lock);
		if (sse_fetch(c) > 0)
			continue;
		if (clock_now() - c->last_sent >= hub->heartbeat) {
			buf_appends(&c->out, ": keepalive\n\n");
			continue;
		}
		/* Nothing to send: sleep until the hub wakes us, unless an event came meanwhile. */
		pthread_mutex_lock(&hub->lock);
		if (hub->gen == gen && !hub->stop) {
			c->suspended = true;
			MHD_suspend_connection(c->conn);
			pthread_mutex_unlock(&hub->lock);
			return 0;
		}
		pthread_mutex_unlock(&hub->lock);
	}
	return 0;
}

static void
sse_free(void *cls)
{
	struct sse_client *c = cls;
	struct sse_hub *hub = c->hub;

	pthread_mutex_lock(&hub->lock);
	if (c->prev)
		c->prev->next = c->next;
	else
		hub->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&hub->lock);
	buf_release(&c->out);
	free(c);
}

/* Where to start: Last-Event-ID (a reconnecting browser), ?since=ID, or from now on. */
static bool
sse_start_id(struct request *req, long long *id)
{
	const char *h = request_header(req, "Last-Event-ID"), *q = request_query(req, "since");
	const char *v = h ? h : q;
	struct err err;
	PGresult *r;
	char *end;

	if (v) {
		*id = strtoll(v, &end, 10);
		if (*v == '\0' || *end || *id < 0)
			return reply_error(req, 400, "invalid", "%s: expected an event id",
			    h ? "Last-Event-ID" : "since"), false;
		return true;
	}
	if (db_exec(req->srv->db, &stmt_last, NULL, &r, &err) < 0)
		return reply_err(req, &err), false;
	*id = db_ll(r, 0, 0);
	PQclear(r);
	return true;
}

enum MHD_Result
events_stream(struct request *req)
{
	struct sse_hub *hub = req->srv->sse;
	struct MHD_Response *resp;
	struct sse_client *c;
	const char *named = request_query(req, "named");
	long long start;

	if (named && strcmp(named, "true") != 0 && strcmp(named, "false") != 0)
		return reply_error(req, 400, "invalid", "named: expected true or false");
	if (!sse_start_id(req, &start))
		return MHD_YES;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return MHD_NO;
	c->unnamed = named && strcmp(named, "false") == 0;
	c->scope = request_scope(req);
	c->host_paths = req->who.role == ROLE_ADMIN;
	c->hub = hub;
	c->conn = req->conn;
	c->last_id = start;
	c->last_sent = clock_now();
	buf_init(&c->out, 4 << 20);
	/* Tell the client how long to wait before reconnecting. */
	buf_appends(&c->out, "retry: 2000\n\n");
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, sse_read, c, sse_free);
	if (resp == NULL) {
		buf_release(&c->out);
		free(c);
		return MHD_NO;
	}
	pthread_mutex_lock(&hub->lock);
	c->next = hub->clients;
	if (hub->clients)
		hub->clients->prev = c;
	hub->clients = c;
	pthread_mutex_unlock(&hub->lock);
	MHD_add_response_header(resp, "Content-Type", "text/event-stream");
	MHD_add_response_header(resp, "Cache-Control", "no-cache");
	MHD_add_response_header(resp, "X-Accel-Buffering", "no");
	return reply_response(req, 200, resp);
}

void
sse_hub_release(struct sse_hub *hub)
{
	if (hub)
		sse_hub_free(hub);
}
