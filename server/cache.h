/*
 * cache: answers the server can give again without asking PostgreSQL, for as long as the
 * tables behind them have not changed.
 *
 * Validity is a generation number per kind of data (pages, credentials). The event hub's LISTEN
 * connection bumps it on every notification (migration 0013's triggers send one at the commit
 * of any write to the tables behind cached answers, from any process), and the server bumps it
 * after each write request of its own, before the reply leaves, so a client reads its own
 * writes. An answer is stored under the generation read *before* its query ran and served only
 * while that is still the current generation: a change committed before, during or after the
 * query always invalidates it. While the LISTEN connection is down nothing is cached or served
 * from the cache (notifications could be lost); it bumps every generation when it is back.
 * What remains is the time a notification from another process takes to arrive (well under a
 * millisecond on one host): a change written elsewhere may be unseen for that long, and the
 * live event it comes with arrives after the invalidation, on the same connection.
 *
 * Two stores, both fixed-size and direct-mapped (a new entry replaces whatever shared its
 * slot), guarded by one mutex each and held only to look up or swap a pointer:
 *  - pages: a response body (JSON) by key, refcounted so a body is handed to libmicrohttpd
 *    without copying and freed by the last connection done with it; served with a strong ETag
 *    and answered 304 to a matching If-None-Match;
 *  - identities: who a bearer token or session cookie is, by the SHA-256 of the secret, for at
 *    most CACHE_ID_SECONDS (so a token's last_used_at is still written about once a minute) and
 *    never past the session's expiry.
 * SETPOST_PAGE_CACHE=off in the environment turns the page store off (for comparison, or to
 * rule the cache out when something looks stale).
 */
#ifndef SETPOST_CACHE_H
#define SETPOST_CACHE_H

#include "http.h"

#define CACHE_ID_SECONDS 60

struct cache;

int cache_create(struct cache **out, bool pages_off, struct err *err);
void cache_free(struct cache *c);

/* The hub's side: the LISTEN connection is up (live) or down; a notification arrived on a
 * channel ("setpost_auth" bumps credentials, anything else bumps pages). */
void cache_set_live(struct cache *c, bool live);
void cache_notified(struct cache *c, const char *channel);
/* A write request of this server has been handled: forget everything now. */
void cache_wrote(struct cache *c);

/* The generation to store an answer under, read before the query; 0 means "do not store". */
unsigned long cache_page_gen(struct cache *c);
unsigned long cache_id_gen(struct cache *c);

/* Replies from the cache if a current page is stored under key (with 304 when the client's
 * If-None-Match matches). Returns true when it replied (*res set); false with *gen the
 * generation to store the page under once built (0: do not store). When another request is
 * building that page, waits for it (at most a second) rather than building it again; when
 * none is, this request becomes the one building it, until cache_page_store_reply or
 * cache_fill_end (the server calls it when every request ends, whatever happened). */
bool cache_page_reply(struct cache *c, struct request *req, const char *key,
    unsigned long *gen, enum MHD_Result *res);
/* Replies 200 with body (len bytes, JSON) and an ETag, and stores it under key for gen
 * (unless gen is 0 or already stale, or the body is over the size limit). */
enum MHD_Result cache_page_store_reply(struct cache *c, struct request *req, const char *key,
    unsigned long gen, const char *body, size_t len);

/* This request no longer builds a page: wake those waiting for it. */
void cache_fill_end(struct cache *c, struct request *req);

/* Identities: secret is the bearer token or the session cookie as sent. */
bool cache_id_get(struct cache *c, const char *secret, struct auth_identity *who);
void cache_id_put(struct cache *c, const char *secret, unsigned long gen,
    const struct auth_identity *who, long long expires_at);

#endif
