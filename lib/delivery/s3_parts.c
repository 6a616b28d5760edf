/* s3_parts: the parts of one multipart upload, S3_IN_FLIGHT of them on the wire at once over a
 * curl multi handle, the next one read and hashed by a thread meanwhile (see s3_client.h). */
#include "lib/delivery/s3_int.h"
#include "lib/core/clock.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S3_PART_SECONDS 0.5             /* an adaptive part: this long on its connection */
#define S3_POLL_MS 250

enum { SLOT_IDLE, SLOT_SENDING, SLOT_WAITING };
enum { PREP_NONE, PREP_RUNNING, PREP_READY };

struct s3_engine;

/* One connection and the part on it. */
struct s3_slot {
	struct s3_engine *e;
	CURL *h;
	struct s3_chunk ch;
	struct s3_resp r;
	char errbuf[CURL_ERROR_SIZE];
	char *url;
	struct curl_slist *hdrs, *pin;
	char sum_h[100], what[40];
	unsigned digest;                /* BadDigest answers for this part */
	unsigned failures;              /* transient failures in a row */
	int state;
	double retry_at, t0;
	uint64_t ulnow;
};

/* The next part, read (and encrypted, for an age source) and hashed by a thread. The source
 * takes one reader at a time: the main thread reads only after s3_prep_join. */
struct s3_prep {
	pthread_t thread;
	int state;
	atomic_int finished;
	const struct tus_source *src;
	CURLM *multi;                   /* woken when the part is ready */
	struct s3_chunk ch;
	int rc;
	struct err err;
};

struct s3_engine {
	struct s3_ctx *c;
	CURLM *multi;
	struct s3_slot slot[S3_IN_FLIGHT];
	unsigned n_slots;
	unsigned next_number;
	struct s3_prep prep;
};

static void *
s3_prep_main(void *arg)
{
	struct s3_prep *p = arg;

	p->rc = s3_fill(p->src, &p->ch, &p->err);
	atomic_store(&p->finished, 1);
	curl_multi_wakeup(p->multi);
	return NULL;
}

static void
s3_prep_join(struct s3_prep *p)
{
	if (p->state == PREP_RUNNING) {
		pthread_join(p->thread, NULL);
		p->state = PREP_READY;
	}
}

/* Starts reading the next part, if there is one and none is being read. */
static int
s3_prep_next(struct s3_engine *e, struct err *err)
{
	struct s3_ctx *c = e->c;
	struct s3_prep *p = &e->prep;
	uint64_t left = c->src->length - c->next_off;
	size_t len;

	if (p->state != PREP_NONE || c->next_off >= c->src->length)
		return 0;
	len = left < c->part_cap ? (size_t)left : c->part_cap;
	if (p->ch.cap < len) {
		free(p->ch.buf);
		p->ch.cap = 0;
		if ((p->ch.buf = malloc(len)) == NULL)
			return err_set(err, SP_ENOMEM, "upload: out of memory");
		p->ch.cap = len;
	}
	p->ch.off = c->next_off;
	p->ch.len = len;
	p->ch.number = e->next_number++;
	c->next_off += len;
	p->src = c->src;
	p->multi = e->multi;
	p->rc = 0;
	atomic_store(&p->finished, 0);
	if (pthread_create(&p->thread, NULL, s3_prep_main, p) == 0) {
		p->state = PREP_RUNNING;
	} else {
		p->rc = s3_fill(c->src, &p->ch, &p->err);
		p->state = PREP_READY;
	}
	return 0;
}

/* The bytes of the parts on the wire, for the progress reports. */
static void
s3_inflight(struct s3_engine *e)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < e->n_slots; i++)
		if (e->slot[i].state == SLOT_SENDING)
			n += e->slot[i].ulnow;
	e->c->p.inflight = n;
}

static int
s3_slot_xfer(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow)
{
	struct s3_slot *s = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	s->ulnow = (uint64_t)ulnow;
	s3_inflight(s->e);
	pace_report(&s->e->c->p, 0, 0);
	return s->e->c->p.canceled;
}

/* A transient failure of s's request (c->p.note says which): s waits its back-off. */
static int
s3_slot_retry(struct s3_slot *s, struct err *err)
{
	struct s3_ctx *c = s->e->c;
	unsigned wait, most = 0;
	int rc;

	if ((rc = pace_backoff(&c->p, ++s->failures, &wait, err)) != 0)
		return rc;
	for (unsigned i = 0; i < s->e->n_slots; i++)
		if (s->e->slot[i].failures > most)
			most = s->e->slot[i].failures;
	c->p.failures = most;
	s->state = SLOT_WAITING;
	s->retry_at = clock_now() + wait / 1000.0;
	return 0;
}

/* UploadPart of s->ch, added to the multi handle. */
static int
s3_slot_send(struct s3_slot *s, struct err *err)
{
	struct s3_ctx *c = s->e->c;
	const char *h[3] = { "Content-Type: application/octet-stream", "Expect:", s->sum_h };
	char q[1200];
	int rc;

	snprintf(s->what, sizeof s->what, "UploadPart %u", s->ch.number);
	snprintf(q, sizeof q, "partNumber=%u&uploadId=%s", s->ch.number, c->res->upload_id);
	free(s->url);
	s->url = NULL;
	if ((rc = s3_url(c->l, c->o->key, q, &s->url, err)) < 0)
		return rc;
	snprintf(s->sum_h, sizeof s->sum_h, "x-amz-checksum-sha256: %s", s->ch.b64);
	rc = s3_prepare(c, s->h, &s->r, s->errbuf, "PUT", s->url, h, 3, s->ch.buf, s->ch.len,
	    s->ch.hex, &s->hdrs, &s->pin, err);
	if (rc == SP_EUNAVAIL)
		return s3_slot_retry(s, err);
	if (rc != 0)
		return rc;
	curl_easy_setopt(s->h, CURLOPT_XFERINFOFUNCTION, s3_slot_xfer);
	curl_easy_setopt(s->h, CURLOPT_XFERINFODATA, s);
	curl_easy_setopt(s->h, CURLOPT_PRIVATE, s);
	s->ulnow = 0;
	s->t0 = clock_now();
	if (curl_multi_add_handle(s->e->multi, s->h) != CURLM_OK) {
		curl_easy_setopt(s->h, CURLOPT_HTTPHEADER, NULL);
		curl_slist_free_all(s->hdrs);
		curl_slist_free_all(s->pin);
		s->hdrs = s->pin = NULL;
		return err_set(err, SP_EINTERNAL, "%s: libcurl refused the transfer", s->what);
	}
	s->state = SLOT_SENDING;
	return 0;
}

/* Adaptive parts: about S3_PART_SECONDS of what one connection carried for the last part. */
static void
s3_adapt(struct s3_ctx *c, size_t len, double secs)
{
	double want;

	if (!c->adaptive || secs <= 0)
		return;
	want = (double)len / secs * S3_PART_SECONDS;
	if (want > (double)c->buf_cap)
		want = (double)c->buf_cap;
	c->part_cap = s3_part_floor(c->src->length, (size_t)want);
	if (c->part_cap > c->buf_cap)
		c->part_cap = c->buf_cap;
}

/* The bucket took s's part: kept, counted, handed to on_part. */
static int
s3_slot_took(struct s3_slot *s, struct err *err)
{
	struct s3_engine *e = s->e;
	struct s3_ctx *c = e->c;
	struct s3_part part;
	int rc;

	memset(&part, 0, sizeof part);
	part.number = s->ch.number;
	part.offset = s->ch.off;
	part.size = s->ch.len;
	snprintf(part.etag, sizeof part.etag, "%s", s->r.etag);
	snprintf(part.sha256, sizeof part.sha256, "%s", s->ch.b64);
	if ((rc = s3_keep_part(c, &part, err)) < 0)
		return rc;
	c->p.offset += part.size;
	c->res->parts++;
	for (unsigned i = 0; i < e->n_slots; i++)
		e->slot[i].failures = 0;       /* progress: a new stretch of failures */
	c->p.failures = 0;
	c->p.note[0] = '\0';
	s3_adapt(c, s->ch.len, clock_now() - s->t0);
	return c->o->on_part ? c->o->on_part(c->o->arg, &part, err) : 0;
}

/* s's request ended (cc): the part taken, tried again, or the upload's failure. */
static int
s3_slot_done(struct s3_slot *s, CURLcode cc, struct err *err)
{
	struct s3_engine *e = s->e;
	struct s3_ctx *c = e->c;
	curl_off_t up = 0;
	char code[72];
	int rc;

	curl_multi_remove_handle(e->multi, s->h);
	curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &s->r.status);
	if (c->p.sent && curl_easy_getinfo(s->h, CURLINFO_SIZE_UPLOAD_T, &up) == CURLE_OK)
		*c->p.sent += (uint64_t)up;
	s->state = SLOT_IDLE;
	s->ulnow = 0;
	s3_inflight(e);
	rc = pace_done(&c->p, s->h, cc, "PUT", s->url, s->errbuf, s->hdrs, s->pin, err);
	s->hdrs = s->pin = NULL;
	if (rc == 0 && s3_transient(s->r.status)) {
		s3_error_code(s->r.body.data ? s->r.body.data : "", s->r.body.len, code, sizeof code);
		snprintf(c->p.note, sizeof c->p.note, "%s: HTTP %ld %s", s->what, s->r.status, code);
		rc = SP_EUNAVAIL;
	}
	if (rc == SP_EUNAVAIL)
		return s3_slot_retry(s, err);
	if (rc != 0)
		return rc;
	if (s3_bad_digest(&s->r, code, sizeof code)) {
		/* Damaged on the way (or on our side): read it again and send it again. */
		if (++s->digest >= S3_DIGEST_TRIES)
			return err_set(err, SP_EMISMATCH, "%s: the bucket refused its checksum %u times "
			    "(HTTP 400 %s): the part's bytes arrive damaged", s->what, s->digest, code);
		c->res->retries++;
		s3_prep_join(&e->prep);
		if ((rc = s3_fill(c->src, &s->ch, err)) != 0)
			return rc;
		return s3_slot_send(s, err);
	}
	if (s->r.status != 200)
		return s3_status_error(&s->r, s->what, err);
	if (s->r.etag[0] == '\0')
		return err_set(err, SP_EINVAL, "%s: no ETag in the bucket's answer", s->what);
	return s3_slot_took(s, err);
}

/* One turn: the part read to an idle slot, waits that ended sent again. *busy: anything
 * left to do; *wake: seconds to the next retry (0: none). */
static int
s3_turn(struct s3_engine *e, int *busy, double *wake, struct err *err)
{
	struct s3_ctx *c = e->c;
	struct s3_prep *p = &e->prep;
	double now = clock_now();
	int rc;

	if (p->state == PREP_RUNNING && atomic_load(&p->finished))
		s3_prep_join(p);
	if (p->state == PREP_READY) {
		struct s3_slot *s = NULL;
		if (p->rc != 0) {
			*err = p->err;
			return p->rc;
		}
		for (unsigned i = 0; i < e->n_slots && s == NULL; i++)
			if (e->slot[i].state == SLOT_IDLE)
				s = &e->slot[i];
		if (s) {
			struct s3_chunk t = s->ch;
			s->ch = p->ch;
			p->ch = t;
			p->state = PREP_NONE;
			s->digest = 0;
			if ((rc = s3_slot_send(s, err)) != 0 || (rc = s3_prep_next(e, err)) != 0)
				return rc;
		}
	}
	*busy = p->state != PREP_NONE || c->next_off < c->src->length;
	*wake = 0;
	for (unsigned i = 0; i < e->n_slots; i++) {
		struct s3_slot *s = &e->slot[i];
		if (s->state == SLOT_WAITING && s->retry_at <= now && (rc = s3_slot_send(s, err)) != 0)
			return rc;
		if (s->state == SLOT_WAITING && (*wake == 0 || s->retry_at - now < *wake))
			*wake = s->retry_at - now;
		if (s->state != SLOT_IDLE)
			*busy = 1;
	}
	return 0;
}

static void
s3_engine_release(struct s3_engine *e)
{
	s3_prep_join(&e->prep);
	for (unsigned i = 0; i < e->n_slots; i++) {
		struct s3_slot *s = &e->slot[i];
		if (s->state == SLOT_SENDING)
			curl_multi_remove_handle(e->multi, s->h);
		if (s->h) {
			curl_easy_setopt(s->h, CURLOPT_HTTPHEADER, NULL);
			curl_easy_cleanup(s->h);
		}
		curl_slist_free_all(s->hdrs);
		curl_slist_free_all(s->pin);
		free(s->ch.buf);
		free(s->url);
		buf_release(&s->r.body);
	}
	free(e->prep.ch.buf);
	if (e->multi)
		curl_multi_cleanup(e->multi);
	e->c->p.inflight = 0;
	free(e);
}

int
s3_send_parts(struct s3_ctx *c, struct err *err)
{
	struct s3_engine *e = calloc(1, sizeof *e);
	int rc = 0, busy = 1, still, q;
	double wake;
	CURLMsg *m;

	if (e == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	e->c = c;
	/* Under a rate cap, one connection: curl caps each transfer, and the cap is the upload's. */
	e->n_slots = c->l->max_send_rate ? 1 : S3_IN_FLIGHT;
	e->next_number = (unsigned)c->n_parts + 1;
	if ((e->multi = curl_multi_init()) == NULL)
		rc = err_set(err, SP_ENOMEM, "out of memory");
	for (unsigned i = 0; rc == 0 && i < e->n_slots; i++) {
		e->slot[i].e = e;
		e->slot[i].r.body = (struct buf)BUF_INIT(S3_BODY_MAX + 1);
		if ((e->slot[i].h = curl_easy_init()) == NULL)
			rc = err_set(err, SP_ENOMEM, "out of memory");
	}
	if (rc == 0)
		rc = s3_prep_next(e, err);
	while (rc == 0) {
		if ((rc = s3_turn(e, &busy, &wake, err)) != 0 || !busy)
			break;
		if (curl_multi_perform(e->multi, &still) != CURLM_OK) {
			rc = err_set(err, SP_EINTERNAL, "libcurl's multi interface failed");
			break;
		}
		while (rc == 0 && (m = curl_multi_info_read(e->multi, &q)) != NULL) {
			struct s3_slot *s = NULL;
			CURLcode cc = m->data.result;
			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&s);
			rc = s3_slot_done(s, cc, err);
		}
		if (rc != 0)
			break;
		pace_report(&c->p, wake > 0 ? (unsigned)(wake * 1000) : 0, 0);
		if (c->p.canceled) {
			rc = err_set(err, SP_ECANCELED, "upload to %s: stopped", c->p.endpoint);
			break;
		}
		int ms = S3_POLL_MS;
		if (wake > 0 && wake * 1000 < ms)
			ms = (int)(wake * 1000) + 1;
		curl_multi_poll(e->multi, NULL, 0, ms, NULL);
	}
	s3_engine_release(e);
	return rc;
}
