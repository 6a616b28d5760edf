/* tus_client: resumable uploads to a tus 1.0.0 server over libcurl (see tus_client.h). */
#include "lib/delivery/tus_client.h"
#include "lib/delivery/pace.h"
#include "lib/core/clock.h"
#include "lib/core/version.h"
#include "lib/core/outbound.h"

#include <ctype.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <xxhash.h>

#define TUS_BODY_KEEP 160       /* bytes of an answer's body kept for error messages */
#define TUS_MAX_AUTO_CHUNK (32u * 1024 * 1024)
#define TUS_AUTO_CHUNK_SECONDS 0.5

/* The next chunk, read (encrypted, for an age source) and checksummed by a thread while the
 * current one is on the wire: on loopback this overlap is most of the speed. The source is
 * only ever read by one thread at a time (the main thread joins before it reads). */
struct tus_prep {
	pthread_t thread;
	int running;
	const struct tus_source *src;
	const char *algo;
	uint8_t *buf;
	uint64_t off;
	size_t len;
	int rc;
	struct err err;
	char checksum[64];
};

/* One upload in progress. */
struct tus_ctx {
	const struct tus_opts *o;
	const struct tus_source *src;
	struct tus_result *res;
	struct pace p;                  /* rate, progress, failures, the confirmed offset */
	CURL *curl;
	char errbuf[CURL_ERROR_SIZE];
	struct tus_resp resp;
	char body[TUS_BODY_KEEP + 1];
	size_t body_len;
	uint8_t *chunk;                 /* the chunk being sent, kept for retries */
	size_t chunk_cap, chunk_len;    /* bytes per PATCH now; of the chunk in c->chunk */
	size_t buf_cap;                 /* size of both chunk buffers */
	int adaptive;                   /* no chunk size given: chunk_cap follows the rate */
	uint64_t rate_now;              /* this request's cap, bytes/s; 0: none */
	double patch_t0;                /* when the current PATCH started */
	uint64_t chunk_off;
	int chunk_valid;
	int careful;                    /* the last PATCH failed: the next one asks 100-continue */
	char checksum[64];
	struct tus_prep prep;           /* prep.buf: the second chunk buffer */
	char why[400];                  /* why the upload must be created again */
	double t0;
};

static pthread_once_t tus_once = PTHREAD_ONCE_INIT;
static CURLcode tus_global_rc;

static void
tus_global_init(void)
{
	tus_global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---- requests ---- */

static size_t
tus_on_header(char *data, size_t size, size_t n, void *arg)
{
	tus_resp_header(arg, data, size * n);
	return size * n;
}

static size_t
tus_on_body(char *data, size_t size, size_t n, void *arg)
{
	struct tus_ctx *c = arg;
	size_t len = size * n, room = TUS_BODY_KEEP - c->body_len;

	if (room > len)
		room = len;
	memcpy(c->body + c->body_len, data, room);
	c->body_len += room;
	c->body[c->body_len] = '\0';
	return len;
}

/* The answer's body, printable and short, for error messages. */
static const char *
tus_body_text(struct tus_ctx *c)
{
	for (size_t i = 0; i < c->body_len; i++)
		if (!isprint((unsigned char)c->body[i]))
			c->body[i] = ' ';
	while (c->body_len > 0 && c->body[c->body_len - 1] == ' ')
		c->body[--c->body_len] = '\0';
	return c->body_len ? c->body : "(no body)";
}

/* The request's headers; OPTIONS goes without Tus-Resumable (spec 1.1). Returns 0 or -1. */
static int
tus_headers(const struct tus_ctx *c, const char *method, const char *const *extra,
    size_t n_extra, struct curl_slist **out)
{
	struct curl_slist *l = NULL, *t;
	const struct tus_opts *o = c->o;

	*out = NULL;
	if (strcmp(method, "OPTIONS") != 0 && (l = curl_slist_append(l, "Tus-Resumable: "
	    TUS_VERSION)) == NULL)
		return -1;
	for (size_t i = 0; i < o->n_headers + n_extra; i++) {
		const char *h = i < o->n_headers ? o->headers[i] : extra[i - o->n_headers];
		if ((t = curl_slist_append(l, h)) == NULL) {
			curl_slist_free_all(l);
			return -1;
		}
		l = t;
	}
	*out = l;
	return 0;
}

static void
tus_method_opts(struct tus_ctx *c, const char *method, const uint8_t *body, size_t len)
{
	CURL *h = c->curl;

	if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (strcmp(method, "POST") == 0 || strcmp(method, "PATCH") == 0) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? (const char *)body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		if (strcmp(method, "PATCH") == 0)
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PATCH");
		if (c->rate_now > 0)
			curl_easy_setopt(h, CURLOPT_MAX_SEND_SPEED_LARGE, (curl_off_t)c->rate_now);
	} else {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	}
}

static void
tus_common_opts(struct tus_ctx *c, const char *url, struct curl_slist *hdrs)
{
	CURL *h = c->curl;

	pace_curl(h, &c->p, url, c->errbuf, c->o->stall_seconds, c->rate_now);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, tus_on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &c->resp);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, tus_on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
}

/*
 * One request. Returns 0 when an answer came (c->resp holds it, any status), SP_EUNAVAIL for
 * a transport failure (c->p.note says which), SP_ECANCELED, or SP_ENOMEM.
 */
static int
tus_perform(struct tus_ctx *c, const char *method, const char *url, const char *const *extra,
    size_t n_extra, const uint8_t *body, size_t len, struct err *err)
{
	struct curl_slist *hdrs, *pin = NULL;
	CURLcode cc;

	if (tus_headers(c, method, extra, n_extra, &hdrs) != 0)
		return err_set(err, SP_ENOMEM, "%s %s: out of memory", method, url);
	tus_common_opts(c, url, hdrs);
	if (c->o->outbound && outbound_curl(c->curl, c->o->outbound, url, &pin, err) < 0) {
		curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
		curl_slist_free_all(hdrs);
		if (err->code != SP_EUNAVAIL)
			return err->code;       /* refused by the policy: no retry will change it */
		snprintf(c->p.note, sizeof c->p.note, "%s %.150s: %.150s", method, url, err->msg);
		return SP_EUNAVAIL;
	}
	tus_method_opts(c, method, body, len);
	memset(&c->resp, 0, sizeof c->resp);
	c->body_len = 0;
	c->body[0] = '\0';
	cc = pace_perform(&c->p, c->curl, strcmp(method, "PATCH") == 0, &c->resp.status);
	return pace_done(&c->p, c->curl, cc, method, url, c->errbuf, hdrs, pin, err);
}

/* Answers worth retrying: timeouts, locks, rate limits and server errors. */
static int
tus_status_transient(long status)
{
	return status == 408 || status == 423 || status == 429 || status >= 500;
}

static int
tus_status_code(long status)
{
	switch (status) {
	case 401: return SP_EAUTH;
	case 403: return SP_EFORBIDDEN;
	case 404: case 410: return SP_ENOTFOUND;
	case 412: return SP_EUNSUPPORTED;
	case 413: return SP_ETOOBIG;
	default: return SP_EINVAL;
	}
}

static int
tus_status_error(struct tus_ctx *c, const char *method, const char *url, struct err *err)
{
	/* A receiver someone else named (a delivery target) gets its status told, never its
	 * body: the delivery log must not read another machine for whoever can see it. */
	if (c->o->outbound)
		return err_set(err, tus_status_code(c->resp.status), "%s %s: HTTP %ld from the "
		    "receiver", method, url, c->resp.status);
	return err_set(err, tus_status_code(c->resp.status), "%s %s: HTTP %ld: %s", method, url,
	    c->resp.status, tus_body_text(c));
}

/* ---- protocol steps ---- */

/* OPTIONS: version, checksum support, maximum size. */
static int
tus_options(struct tus_ctx *c, struct err *err)
{
	const char *url = c->o->endpoint;
	int rc;

	for (;;) {
		rc = tus_perform(c, "OPTIONS", url, NULL, 0, NULL, 0, err);
		if (rc == 0 && tus_status_transient(c->resp.status))
			snprintf(c->p.note, sizeof c->p.note, "OPTIONS %s: HTTP %ld", url,
			    c->resp.status);
		else if (rc != SP_EUNAVAIL)
			break;
		if ((rc = pace_fail(&c->p, err)) != 0)
			return rc;
	}
	if (rc != 0 || c->resp.status < 200 || c->resp.status > 299)
		return rc;
	c->p.failures = 0;
	if (c->resp.version[0] && !tus_list_has(c->resp.version, TUS_VERSION))
		return err_set(err, SP_EUNSUPPORTED, "%s speaks tus %s, not %s", url,
		    c->resp.version, TUS_VERSION);
	if (c->resp.has_max_size && c->resp.max_size < c->src->length)
		return err_set(err, SP_ETOOBIG, "%s takes at most %" PRIu64 " bytes; this upload "
		    "is %" PRIu64, url, c->resp.max_size, c->src->length);
	c->res->checksum = tus_checksum_pick(c->resp.extensions, c->resp.algorithms);
	return 0;
}

static int
tus_created(struct tus_ctx *c, const char *why, struct err *err)
{
	CURLU *u = curl_url();
	char *s = NULL;
	int rc = 0;

	if (c->resp.location[0] == '\0' || c->resp.location_too_long)
		rc = err_set(err, SP_EINVAL, "POST %s: HTTP 201 without a usable Location",
		    c->o->endpoint);
	else if (u == NULL || curl_url_set(u, CURLUPART_URL, c->o->endpoint, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_URL, c->resp.location, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &s, 0) != CURLUE_OK)
		rc = err_set(err, SP_EINVAL, "POST %s: bad Location '%.200s'", c->o->endpoint,
		    c->resp.location);
	if (rc == 0) {
		free(c->res->url);
		if ((c->res->url = strdup(s)) == NULL)
			rc = err_set(err, SP_ENOMEM, "out of memory");
	}
	curl_free(s);
	curl_url_cleanup(u);
	if (rc != 0)
		return rc;
	c->res->created++;
	c->p.offset = 0;
	c->p.failures = 0;
	c->res->resumed_at = 0;
	if (c->o->on_created)
		rc = c->o->on_created(c->o->created_arg, c->res->url, why, err);
	return rc;
}

/* POST: a new upload of the source's length with the metadata. */
static int
tus_create(struct tus_ctx *c, const char *why, struct err *err)
{
	struct buf meta = BUF_INIT(64 * 1024);
	char len_h[64];
	const char *h[3] = { len_h, "Content-Type:", NULL };
	int rc;

	if (c->res->created >= TUS_MAX_CREATE)
		return err_set(err, SP_ECONFLICT, "upload to %s: %s, after %d new uploads",
		    c->o->endpoint, why ? why : "no usable upload", TUS_MAX_CREATE);
	snprintf(len_h, sizeof len_h, "Upload-Length: %" PRIu64, c->src->length);
	if ((rc = buf_appends(&meta, "Upload-Metadata: ")) != 0 ||
	    (rc = tus_meta_encode(c->o->meta, c->o->n_meta, &meta, err)) != 0)
		goto out;
	h[2] = meta.data;
	for (;;) {
		rc = tus_perform(c, "POST", c->o->endpoint, h, c->o->n_meta ? 3 : 2, NULL, 0, err);
		if (rc == 0 && tus_status_transient(c->resp.status))
			snprintf(c->p.note, sizeof c->p.note, "POST %s: HTTP %ld", c->o->endpoint,
			    c->resp.status);
		else if (rc != SP_EUNAVAIL)
			break;
		if ((rc = pace_fail(&c->p, err)) != 0)
			goto out;
	}
	if (rc == 0)
		rc = c->resp.status == 201 ? tus_created(c, why, err) :
		    tus_status_error(c, "POST", c->o->endpoint, err);
out:
	buf_release(&meta);
	return rc;
}

/* Checks a 2xx HEAD answer; 1 when the upload is another one (its length differs). */
static int
tus_head_ok(struct tus_ctx *c, struct err *err)
{
	const struct tus_resp *r = &c->resp;

	if (!r->has_offset || r->bad_header)
		return err_set(err, SP_EINVAL, "HEAD %s: no valid Upload-Offset", c->res->url);
	if (r->has_length && r->length != c->src->length) {
		snprintf(c->why, sizeof c->why, "upload %s has length %" PRIu64 ", not %" PRIu64,
		    c->res->url, r->length, c->src->length);
		return 1;
	}
	if (r->offset > c->src->length)
		return err_set(err, SP_EINVAL, "HEAD %s: offset %" PRIu64 " is past the length",
		    c->res->url, r->offset);
	c->p.offset = r->offset;
	return 0;
}

/* HEAD: learns the server's offset. Returns 0, 1 when the upload is gone (c->why says why),
 * or an error. */
static int
tus_head(struct tus_ctx *c, struct err *err)
{
	const char *url = c->res->url;
	int rc;

	for (;;) {
		rc = tus_perform(c, "HEAD", url, NULL, 0, NULL, 0, err);
		if (rc == 0 && tus_status_transient(c->resp.status))
			snprintf(c->p.note, sizeof c->p.note, "HEAD %s: HTTP %ld", url, c->resp.status);
		else if (rc != SP_EUNAVAIL)
			break;
		if ((rc = pace_fail(&c->p, err)) != 0)
			return rc;
	}
	if (rc != 0)
		return rc;
	if (c->resp.status == 404 || c->resp.status == 410 || c->resp.status == 403) {
		snprintf(c->why, sizeof c->why, "upload %s answered HTTP %ld", url,
		    c->resp.status);
		return 1;
	}
	if (c->resp.status < 200 || c->resp.status > 299)
		return tus_status_error(c, "HEAD", url, err);
	return tus_head_ok(c, err);
}

/* After a failed PATCH: wait, then ask the server where it stands. */
static int
tus_recover(struct tus_ctx *c, struct err *err)
{
	int rc = pace_fail(&c->p, err);

	c->careful = 1;
	return rc != 0 ? rc : tus_head(c, err);
}

/* Reads len bytes at off into buf and checksums them. */
static int
tus_fill(const struct tus_source *src, const char *algo, uint64_t off, uint8_t *buf, size_t len,
    char checksum[64], struct err *err)
{
	size_t got = 0;
	int rc;

	if ((rc = src->read_at(src->arg, off, buf, len, &got, err)) != 0)
		return rc;
	if (got != len)
		return err_set(err, SP_EIO, "source: short read at %" PRIu64, off);
	if (algo && strcmp(algo, "xxh3") == 0)
		tus_checksum_xxh3(buf, len, checksum);
	else if (algo)
		tus_checksum_sha1(buf, len, checksum);
	return 0;
}

static void *
tus_prep_main(void *arg)
{
	struct tus_prep *p = arg;

	p->rc = tus_fill(p->src, p->algo, p->off, p->buf, p->len, p->checksum, &p->err);
	return NULL;
}

/* Waits for the prepared chunk; 1 when it is the one at off (now in c->chunk, *len its size),
 * 0 when there was none or another one, or its read error. */
static int
tus_prep_take(struct tus_ctx *c, uint64_t off, size_t *len, struct err *err)
{
	struct tus_prep *p = &c->prep;
	uint8_t *t;

	if (!p->running)
		return 0;
	pthread_join(p->thread, NULL);
	p->running = 0;
	if (p->off != off)
		return 0;
	if (p->rc != 0) {
		*err = p->err;
		return p->rc;
	}
	*len = p->len;
	t = c->chunk;
	c->chunk = p->buf;
	p->buf = t;
	memcpy(c->checksum, p->checksum, sizeof c->checksum);
	return 1;
}

/* Starts preparing the chunk that follows the current one, if any. */
static void
tus_prep_next(struct tus_ctx *c)
{
	struct tus_prep *p = &c->prep;
	uint64_t off = c->chunk_off + c->chunk_len, left = c->src->length - off;

	if (p->buf == NULL || off >= c->src->length)
		return;
	p->src = c->src;
	p->algo = c->res->checksum;
	p->off = off;
	p->len = left < c->chunk_cap ? (size_t)left : c->chunk_cap;
	p->running = pthread_create(&p->thread, NULL, tus_prep_main, p) == 0;
}

/* Loads the chunk at c->p.offset into c->chunk, unless it is already there. */
static int
tus_load_chunk(struct tus_ctx *c, struct err *err)
{
	uint64_t left = c->src->length - c->p.offset;
	size_t n = left < c->chunk_cap ? (size_t)left : c->chunk_cap;
	int rc;

	/* The chunk kept for a retry, or the one prepared meanwhile (whatever its size). */
	if (c->chunk_valid && c->chunk_off == c->p.offset)
		return 0;
	c->chunk_valid = 0;
	if ((rc = tus_prep_take(c, c->p.offset, &n, err)) < 0)
		return rc;
	if (rc == 0 && (rc = tus_fill(c->src, c->res->checksum, c->p.offset, c->chunk, n,
	    c->checksum, err)) != 0)
		return rc;
	c->chunk_off = c->p.offset;
	c->chunk_len = n;
	c->chunk_valid = 1;
	tus_prep_next(c);
	return 0;
}

/* Without a chunk size from the caller: about TUS_AUTO_CHUNK_SECONDS of the measured rate per
 * PATCH, between TUS_DEFAULT_CHUNK and TUS_MAX_AUTO_CHUNK, in whole MiB. Each PATCH ends in a
 * round trip the link stands idle for, so a fast link wants few of them; a slow one keeps 8 MiB,
 * the most a failure makes it send again. */
static void
tus_adapt_chunk(struct tus_ctx *c)
{
	double secs = clock_now() - c->patch_t0, want;

	/* This PATCH's own rate: known at once, where the smoothed one takes a second. */
	if (!c->adaptive || secs <= 0)
		return;
	want = (double)c->chunk_len / secs * TUS_AUTO_CHUNK_SECONDS;
	if (want < TUS_DEFAULT_CHUNK)
		want = TUS_DEFAULT_CHUNK;
	if (want > (double)c->buf_cap)
		want = (double)c->buf_cap;
	c->chunk_cap = want >= (double)c->buf_cap ? c->buf_cap : ((size_t)want >> 20) << 20;
}

/* What a 2xx PATCH answer means: progress, or a failure to recover from. */
static int
tus_patched(struct tus_ctx *c, struct err *err)
{
	const struct tus_resp *r = &c->resp;
	const char *url = c->res->url;

	if (!r->has_offset || r->bad_header || r->offset > c->src->length ||
	    r->offset < c->chunk_off)
		return err_set(err, SP_EINVAL, "PATCH %s: bad Upload-Offset in the answer", url);
	if (r->offset == c->chunk_off) {
		snprintf(c->p.note, sizeof c->p.note, "PATCH %s: the offset did not move", url);
		return tus_recover(c, err);
	}
	c->p.offset = r->offset;
	c->p.failures = 0;
	c->careful = 0;
	tus_adapt_chunk(c);
	c->p.note[0] = '\0';
	return 0;
}

/* PATCH: sends the chunk at the current offset. Returns 0 (progress made, or a failure
 * recovered from), 1 when the upload is gone, or an error. */
static int
tus_patch(struct tus_ctx *c, struct err *err)
{
	const char *url = c->res->url;
	char off_h[64], sum_h[96];
	/* After a failure the server may refuse this PATCH (409, 410, 5xx): asking for 100-continue
	 * first means a refusal costs a round trip, not the chunk. Otherwise no wait. */
	const char *h[4] = { "Content-Type: application/offset+octet-stream",
		c->careful ? "Expect: 100-continue" : "Expect:", off_h, sum_h };
	int rc;

	if ((rc = tus_load_chunk(c, err)) != 0)
		return rc;
	snprintf(off_h, sizeof off_h, "Upload-Offset: %" PRIu64, c->p.offset);
	c->patch_t0 = clock_now();
	snprintf(sum_h, sizeof sum_h, "Upload-Checksum: %s", c->checksum);
	rc = tus_perform(c, "PATCH", url, h, c->res->checksum ? 4 : 3, c->chunk, c->chunk_len,
	    err);
	if (rc == SP_EUNAVAIL)
		return tus_recover(c, err);
	if (rc != 0)
		return rc;
	if (c->resp.status >= 200 && c->resp.status <= 299)
		return tus_patched(c, err);
	if (c->resp.status == 404 || c->resp.status == 410) {
		snprintf(c->why, sizeof c->why, "upload %s answered HTTP %ld", url,
		    c->resp.status);
		return 1;
	}
	if (c->resp.status == 409 || c->resp.status == 460 ||
	    tus_status_transient(c->resp.status)) {
		/* The server's words matter when this ends the upload ("No space left on device"). */
		snprintf(c->p.note, sizeof c->p.note, "PATCH %.200s: HTTP %ld: %.160s", url,
		    c->resp.status, tus_body_text(c));
		return tus_recover(c, err);
	}
	return tus_status_error(c, "PATCH", url, err);
}

/* ---- the upload ---- */

static int
tus_check_opts(const struct tus_opts *o, struct err *err)
{
	struct buf b = BUF_INIT(64 * 1024);
	int rc;

	if (o->endpoint == NULL || *o->endpoint == '\0')
		return err_set(err, SP_EINVAL, "no tus endpoint given");
	if (o->chunk_size > TUS_MAX_CHUNK)
		return err_set(err, SP_EINVAL, "chunk size %zu is over %u", o->chunk_size,
		    TUS_MAX_CHUNK);
	for (size_t i = 0; i < o->n_headers; i++) {
		const char *h = o->headers[i], *colon = strchr(h, ':');
		if (colon == NULL || colon == h || strpbrk(h, "\r\n") != NULL)
			return err_set(err, SP_EINVAL, "header %zu: expected 'Name: value' on one "
			    "line", i + 1);
	}
	rc = tus_meta_encode(o->meta, o->n_meta, &b, err);
	buf_release(&b);
	return rc;
}

static int
tus_ctx_init(struct tus_ctx *c, const struct tus_opts *o, const struct tus_source *src,
    struct tus_result *res, struct err *err)
{
	size_t chunk = o->chunk_size ? o->chunk_size : TUS_DEFAULT_CHUNK;

	memset(c, 0, sizeof *c);
	c->o = o;
	c->src = src;
	c->res = res;
	c->p.on_progress = o->on_progress;
	c->p.arg = o->progress_arg;
	c->p.endpoint = o->endpoint;
	c->p.src = src;
	c->p.sent = &res->sent;
	c->p.retries = &res->retries;
	c->t0 = pace_start(&c->p, &o->retry);
	pthread_once(&tus_once, tus_global_init);
	if (tus_global_rc != CURLE_OK)
		return err_set(err, SP_EINTERNAL, "libcurl failed to initialise");
	if (src->length < chunk)
		chunk = src->length ? (size_t)src->length : 1;
	c->chunk_cap = c->buf_cap = chunk;
	c->rate_now = o->max_send_rate;
	/* Buffers for the largest chunk; untouched pages cost nothing until a fast link uses them. */
	c->adaptive = o->chunk_size == 0 && src->length > chunk;
	if (c->adaptive)
		c->buf_cap = src->length < TUS_MAX_AUTO_CHUNK ? (size_t)src->length : TUS_MAX_AUTO_CHUNK;
	if ((c->curl = curl_easy_init()) == NULL || (c->chunk = malloc(c->buf_cap)) == NULL)
		return err_set(err, SP_ENOMEM, "upload: out of memory");
	/* Without a second buffer chunks are simply prepared in turn. */
	if (src->length > chunk)
		c->prep.buf = malloc(c->buf_cap);
	return 0;
}

/* Resumes res->url when given; 1 when it must be created anew. */
static int
tus_start(struct tus_ctx *c, struct err *err)
{
	int rc;

	if (c->o->resume_url == NULL)
		return 1;
	if ((c->res->url = strdup(c->o->resume_url)) == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	if ((rc = tus_head(c, err)) == 0)
		c->res->resumed_at = c->p.offset;
	return rc;
}

/* A shared link: this PATCH's cap from the caller, and a chunk of about two seconds of it. */
static void
tus_share(struct tus_ctx *c)
{
	uint64_t want;

	if (c->o->send_rate == NULL)
		return;
	c->rate_now = c->o->send_rate(c->o->send_rate_arg);
	if (c->rate_now == 0)
		return;
	want = c->rate_now * 2 < 256 * 1024 ? 256 * 1024 : c->rate_now * 2;
	if (want < c->chunk_cap)
		c->chunk_cap = (size_t)want;
}

int
tus_upload(const struct tus_opts *o, const struct tus_source *src, struct tus_result *res,
    struct err *err)
{
	struct tus_ctx c;
	int rc;

	memset(res, 0, sizeof *res);
	res->length = src->length;
	if ((rc = tus_check_opts(o, err)) != 0)
		return rc;
	if ((rc = tus_ctx_init(&c, o, src, res, err)) != 0)
		goto out;
	if ((rc = tus_options(&c, err)) != 0)
		goto out;
	rc = tus_start(&c, err);
	if (rc == 1)
		rc = tus_create(&c, c.res->url ? c.why : NULL, err);
	while (rc == 0 && c.p.offset < src->length) {
		tus_share(&c);
		rc = tus_patch(&c, err);
		if (rc == 1)
			rc = tus_create(&c, c.why, err);
	}
	if (rc == 0)
		pace_report(&c.p, 0, 1);
out:
	if (c.prep.running)
		pthread_join(c.prep.thread, NULL);
	free(c.prep.buf);
	res->seconds = clock_now() - c.t0;
	if (c.curl)
		curl_easy_cleanup(c.curl);
	free(c.chunk);
	return rc;
}

void
tus_result_release(struct tus_result *res)
{
	free(res->url);
	memset(res, 0, sizeof *res);
}

int
tus_terminate(const char *url, const char *const *headers, size_t n_headers, struct err *err)
{
	struct tus_opts o = { .endpoint = url, .headers = headers, .n_headers = n_headers };
	struct tus_source none = { 0 };
	struct tus_result res = { 0 };
	struct tus_ctx c;
	int rc;

	if ((rc = tus_check_opts(&o, err)) != 0)
		return rc;
	if ((rc = tus_ctx_init(&c, &o, &none, &res, err)) == 0 &&
	    (rc = tus_perform(&c, "DELETE", url, NULL, 0, NULL, 0, err)) == SP_EUNAVAIL)
		rc = err_set(err, SP_EUNAVAIL, "%s", c.p.note);
	if (rc == 0 && (c.resp.status == 404 || c.resp.status == 410))
		rc = err_set(err, SP_ENOTFOUND, "DELETE %s: HTTP %ld: already gone", url,
		    c.resp.status);
	else if (rc == 0 && c.resp.status != 204 && c.resp.status != 200)
		rc = tus_status_error(&c, "DELETE", url, err);
	if (c.curl)
		curl_easy_cleanup(c.curl);
	free(c.chunk);
	return rc;
}
