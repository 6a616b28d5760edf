/*
 * pace: what the tus and S3 clients share about one upload in progress over libcurl: curl's
 * common options, the rate and the progress reports, the failures counted and the waits
 * between tries. Internal to lib/delivery (tus_client.c, s3_client.c).
 *
 *	struct pace p = { .on_progress = fn, .arg = arg, .endpoint = url, .retry = r,
 *		.src = src, .sent = &res->sent, .retries = &res->retries };
 *	pace_curl(h, &p, url, errbuf, stall_seconds, rate);  // after it: headers, callbacks
 *	cc = pace_perform(&p, h, sending, &status);
 *	if (transient) rc = pace_fail(&p, err);            // 0: try again
 *
 * A pace holds no resource: nothing to release.
 */
#ifndef SETPOST_PACE_H
#define SETPOST_PACE_H

#include "lib/core/err.h"
#include "lib/delivery/transfer.h"

#include <stdint.h>

#include <curl/curl.h>

struct pace {
	/* set by the client */
	tus_progress_fn on_progress;    /* NULL: none */
	void *arg;
	const char *endpoint;           /* named when stopped */
	struct tus_retry retry;         /* defaults applied */
	const struct tus_source *src;   /* NULL: no progress to report (yet) */
	uint64_t *sent;                 /* the result's count of body bytes sent; may be NULL */
	unsigned *retries;              /* the result's failures recovered from; may be NULL */
	/* kept by pace_* (offset by the client: what the receiver confirmed) */
	uint64_t offset, inflight;
	int sending;                    /* the current request's body is counted as sent */
	unsigned failures;
	char note[400];                 /* the last failure, for messages and progress */
	int canceled;
	double last_report, rate_t, rate;
	uint64_t rate_sent;
};

/* Applies r's defaults (10 tries, waits from 1 s to 60 s; r may be NULL) and starts the rate's
 * clock; returns the time it started (clock_now()). */
double pace_start(struct pace *p, const struct tus_retry *r);

/* Updates the rate (a sample a second) and calls on_progress, at most every 0.25 s unless
 * force; its non-zero answer cancels the upload. */
void pace_report(struct pace *p, unsigned wait_ms, int force);

/* Sleeps ms in slices, reporting; SP_ECANCELED when asked to stop, else 0. */
int pace_sleep(struct pace *p, unsigned ms, struct err *err);

/* Counts a failure (p->note says what) and waits the backoff with jitter: 0 to try again, or
 * SP_EUNAVAIL once retry.max_attempts failed in a row (or SP_ECANCELED). */
int pace_fail(struct pace *p, struct err *err);

/* The wait (jittered) before trying again after k failures in a row, counted in *p->retries;
 * SP_EUNAVAIL ("p->note (gave up after k tries)") once k reached retry.max_attempts. For a
 * client that waits by itself (several requests in flight). */
int pace_backoff(struct pace *p, unsigned k, unsigned *wait_ms, struct err *err);

/* curl_easy_reset, then the options every request shares: url, errbuf, timeouts (connect 30 s,
 * stalled after stall_seconds, 0: 60), keep-alive, user agent, http(s) only, the progress
 * callback on p, and an upload buffer fitted to rate (bytes/s, 0: none). */
void pace_curl(CURL *h, struct pace *p, const char *url, char *errbuf, unsigned stall_seconds,
    uint64_t rate);

/* curl_easy_perform with the body counted in *p->sent when sending; *status the answer's. */
CURLcode pace_perform(struct pace *p, CURL *h, int sending, long *status);

/* After pace_perform: detaches and frees hdrs and pin; SP_ECANCELED when stopped,
 * SP_EUNAVAIL for a transport failure (p->note: "METHOD url: why"), else 0. */
int pace_done(struct pace *p, CURL *h, CURLcode cc, const char *method, const char *url,
    const char *errbuf, struct curl_slist *hdrs, struct curl_slist *pin, struct err *err);

#endif
