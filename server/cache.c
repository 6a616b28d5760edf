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

struct cache {
	atomic_ulong page_gen, id_gen;
	atomic_bool live;
	bool pages_off;          /* SETPOST_PAGE_CACHE=off: every page from PostgreSQL */
	pthread_mutex_t page_lock, id_lock;
	struct page *pages[PAGE_SLOTS];
	struct id_entry ids[ID_SLOTS];
};

int
cache_create(struct cache **out, struct err *err)
{
	struct cache *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	/* Generation 0 means "not cacheable": start above it. */
	atomic_init(&c->page_gen, 1);
	atomic_init(&c->id_gen, 1);
	atomic_init(&c->live, false);
	c->pages_off = getenv("SETPOST_PAGE_CACHE") && strcmp(getenv("SETPOST_PAGE_CACHE"), "off") == 0;
	pthread_mutex_init(&c->page_lock, NULL);
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

	if (inm && strstr(inm, p->etag) != NULL) {
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
	MHD_add_response_header(resp, "ETag", p->etag);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	return reply_response(req, status, resp);
}

bool
cache_page_reply(struct cache *c, struct request *req, const char *key, enum MHD_Result *res)
{
	unsigned long gen = cache_page_gen(c);
	size_t i = cache_slot(key, PAGE_SLOTS);
	struct page *p;

	if (gen == 0)
		return false;
	pthread_mutex_lock(&c->page_lock);
	p = c->pages[i];
	if (p && (p->gen != gen || strcmp(p->key, key) != 0))
		p = NULL;
	if (p)
		atomic_fetch_add(&p->refs, 1);
	pthread_mutex_unlock(&c->page_lock);
	if (p == NULL)
		return false;
	*res = cache_page_send(req, p);
	return true;
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
