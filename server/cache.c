/* cache: pages and identities served again until the data behind them changes (see cache.h). */
#include "cache.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

#define PAGE_SLOTS 1024
#define PAGE_MAX (512u << 10)   /* bytes; bigger answers are not kept (1024 x 512 KiB bound) */
#define ID_SLOTS 256
#define FILL_SLOTS 64
#define FILL_WAIT_MS 1000       /* longest wait for another request building the same page */

/* One stored body. Owned by its references: the slot holding it and every response being
 * sent from it; the last one to let go frees it. */
struct page {
	atomic_int refs;
	unsigned long gen;
	char *key;
	size_t len;
	char etag[24];
	char body[];
};

struct id_entry {
	unsigned char hash[crypto_hash_sha256_BYTES];
	unsigned long gen;
	long long until;         /* unix seconds */
	struct auth_identity who;
	bool used;
};

/* A page being built by one request while others asking for it wait (guarded by page_lock). */
struct fill {
	char *key;               /* NULL: free */
	unsigned long gen;
};

struct cache {
	atomic_ulong page_gen, id_gen;
	atomic_bool live;
	bool pages_off;          /* SETPOST_PAGE_CACHE=off: every page from PostgreSQL */
	pthread_mutex_t page_lock, id_lock;
	struct page *pages[PAGE_SLOTS];
	struct fill fills[FILL_SLOTS];
	pthread_cond_t filled;
	struct id_entry ids[ID_SLOTS];
};

int
cache_create(struct cache **out, bool pages_off, struct err *err)
{
	struct cache *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	/* Generation 0 means "not cacheable": start above it. */
	atomic_init(&c->page_gen, 1);
	atomic_init(&c->id_gen, 1);
	atomic_init(&c->live, false);
	c->pages_off = pages_off;
	pthread_mutex_init(&c->page_lock, NULL);
	pthread_cond_init(&c->filled, NULL);
	pthread_mutex_init(&c->id_lock, NULL);
	*out = c;
	return 0;
}

static void
page_unref(struct page *p)
{
	if (p && atomic_fetch_sub(&p->refs, 1) == 1) {
		free(p->key);
		free(p);
	}
}

void
cache_free(struct cache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < PAGE_SLOTS; i++)
		page_unref(c->pages[i]);
	for (size_t i = 0; i < FILL_SLOTS; i++)
		free(c->fills[i].key);
	pthread_cond_destroy(&c->filled);
	pthread_mutex_destroy(&c->page_lock);
	pthread_mutex_destroy(&c->id_lock);
	free(c);
}

void
cache_set_live(struct cache *c, bool live)
{
	if (live && !atomic_load(&c->live)) {
		/* Whatever changed while nobody listened is unknown: start over. */
		atomic_fetch_add(&c->page_gen, 1);
		atomic_fetch_add(&c->id_gen, 1);
	}
	atomic_store(&c->live, live);
}

void
cache_notified(struct cache *c, const char *channel)
{
	if (strcmp(channel, "setpost_auth") == 0)
		atomic_fetch_add(&c->id_gen, 1);
	else
		atomic_fetch_add(&c->page_gen, 1);
}

void
cache_wrote(struct cache *c)
{
	atomic_fetch_add(&c->page_gen, 1);
	atomic_fetch_add(&c->id_gen, 1);
}

unsigned long
cache_page_gen(struct cache *c)
{
	return atomic_load(&c->live) && !c->pages_off ? atomic_load(&c->page_gen) : 0;
}

unsigned long
cache_id_gen(struct cache *c)
{
	return atomic_load(&c->live) ? atomic_load(&c->id_gen) : 0;
}

static size_t
cache_slot(const char *key, size_t nslots)
{
	return (size_t)(XXH64(key, strlen(key), 0) % nslots);
}

static void
page_release_cb(void *cls)
{
	page_unref(cls);
}

static enum MHD_Result
cache_page_send(struct request *req, struct page *p)
{
	const char *inm = request_header(req, "If-None-Match");
	struct MHD_Response *resp;
	unsigned status = 200;
	char etag[sizeof(p->etag)];

	/* A 304 lets go of p at once: a page that was not kept (built at a stale generation,
	 * or with the cache off) is freed there, so its ETag is read before. */
	memcpy(etag, p->etag, sizeof(etag));
	if (inm && strstr(inm, etag) != NULL) {
		status = 304;
		resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
		page_unref(p);
	} else {
		resp = MHD_create_response_from_buffer_with_free_callback_cls(p->len, p->body,
		    page_release_cb, p);
		if (resp == NULL)
			page_unref(p);
	}
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", "application/json");
	/* Revalidate every time: the ETag makes that cheap, and nothing stale is shown. */
	MHD_add_response_header(resp, "Cache-Control", "no-cache");
	MHD_add_response_header(resp, "ETag", etag);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	return reply_response(req, status, resp);
}

/* The current page stored under key, with a reference taken, or NULL. Called locked. */
static struct page *
cache_page_find_locked(struct cache *c, const char *key, unsigned long gen)
{
	struct page *p = c->pages[cache_slot(key, PAGE_SLOTS)];

	if (p == NULL || p->gen != gen || strcmp(p->key, key) != 0)
		return NULL;
	atomic_fetch_add(&p->refs, 1);
	return p;
}

/* The fill of key at gen under way, or -1. Called locked. */
static int
cache_fill_find_locked(struct cache *c, const char *key, unsigned long gen)
{
	for (int i = 0; i < FILL_SLOTS; i++)
		if (c->fills[i].key && c->fills[i].gen == gen && strcmp(c->fills[i].key, key) == 0)
			return i;
	return -1;
}

bool
cache_page_reply(struct cache *c, struct request *req, const char *key, unsigned long *gen,
    enum MHD_Result *res)
{
	struct page *p = NULL;
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += (long)FILL_WAIT_MS * 1000000L;
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&c->page_lock);
	/* When a write has just emptied the cache, every connection asking for a popular page
	 * would build it at once: one builds it, the others wait for it (a bounded time). The
	 * generation is read again after each wait: a fill of an older one is not waited for. */
	for (;;) {
		if ((*gen = cache_page_gen(c)) == 0 ||
		    (p = cache_page_find_locked(c, key, *gen)) != NULL ||
		    cache_fill_find_locked(c, key, *gen) < 0 ||
		    pthread_cond_timedwait(&c->filled, &c->page_lock, &until) != 0)
			break;
	}
	if (p == NULL && *gen != 0 && req->cache_fill == 0 &&
	    cache_fill_find_locked(c, key, *gen) < 0)
		for (int i = 0; i < FILL_SLOTS; i++)
			if (c->fills[i].key == NULL && (c->fills[i].key = strdup(key)) != NULL) {
				c->fills[i].gen = *gen;
				req->cache_fill = i + 1;
				break;
			}
	pthread_mutex_unlock(&c->page_lock);
	if (p == NULL)
		return false;
	*res = cache_page_send(req, p);
	return true;
}

void
cache_fill_end(struct cache *c, struct request *req)
{
	if (c == NULL || req->cache_fill == 0)
		return;
	pthread_mutex_lock(&c->page_lock);
	free(c->fills[req->cache_fill - 1].key);
	c->fills[req->cache_fill - 1].key = NULL;
	pthread_cond_broadcast(&c->filled);
	pthread_mutex_unlock(&c->page_lock);
	req->cache_fill = 0;
}

enum MHD_Result
cache_page_store_reply(struct cache *c, struct request *req, const char *key, unsigned long gen,
    const char *body, size_t len)
{
	struct page *p = malloc(sizeof(*p) + len), *old;
	size_t i = cache_slot(key, PAGE_SLOTS);

	if (p == NULL || (p->key = strdup(key)) == NULL) {
		free(p);
		return reply_error(req, 500, "internal", "out of memory");
	}
	atomic_init(&p->refs, 1);
	p->gen = gen;
	p->len = len;
	memcpy(p->body, body, len);
	snprintf(p->etag, sizeof(p->etag), "\"%016llx\"", (unsigned long long)XXH64(body, len, 0));
	if (gen != 0 && len <= PAGE_MAX && gen == cache_page_gen(c)) {
		atomic_fetch_add(&p->refs, 1);
		pthread_mutex_lock(&c->page_lock);
		old = c->pages[i];
		c->pages[i] = p;
		pthread_mutex_unlock(&c->page_lock);
		page_unref(old);
	}
	cache_fill_end(c, req);
	return cache_page_send(req, p);
}

static void
cache_id_hash(const char *secret, unsigned char out[crypto_hash_sha256_BYTES])
{
	crypto_hash_sha256(out, (const unsigned char *)secret, strlen(secret));
}

bool
cache_id_get(struct cache *c, const char *secret, struct auth_identity *who)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	unsigned long gen = cache_id_gen(c);
	struct id_entry *e;
	bool hit;

	if (gen == 0)
		return false;
	cache_id_hash(secret, h);
	e = &c->ids[h[0] % ID_SLOTS];
	pthread_mutex_lock(&c->id_lock);
	hit = e->used && e->gen == gen && e->until > (long long)time(NULL) &&
	    sodium_memcmp(e->hash, h, sizeof(h)) == 0;
	if (hit)
		*who = e->who;
	pthread_mutex_unlock(&c->id_lock);
	return hit;
}

void
cache_id_put(struct cache *c, const char *secret, unsigned long gen,
    const struct auth_identity *who, long long expires_at)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	long long until = (long long)time(NULL) + CACHE_ID_SECONDS;
	struct id_entry *e;

	if (gen == 0 || gen != cache_id_gen(c))
		return;
	if (expires_at > 0 && expires_at < until)
		until = expires_at;
	cache_id_hash(secret, h);
	e = &c->ids[h[0] % ID_SLOTS];
	pthread_mutex_lock(&c->id_lock);
	memcpy(e->hash, h, sizeof(h));
	e->gen = gen;
	e->until = until;
	e->who = *who;
	e->used = true;
	pthread_mutex_unlock(&c->id_lock);
}
