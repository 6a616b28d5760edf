/* pace: the rate, progress, retries and curl set-up of one upload (see pace.h). */
#include "lib/delivery/pace.h"
#include "lib/core/clock.h"
#include "lib/core/version.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#define PACE_REPORT_EVERY 0.25          /* seconds between progress callbacks */
#define PACE_RATE_WINDOW 1.0            /* seconds per rate sample */
#define PACE_CONNECT_TIMEOUT 30L
#define PACE_UPLOAD_BUFFER (1024 * 1024)

double
pace_start(struct pace *p, const struct tus_retry *r)
{
	p->retry.max_attempts = r && r->max_attempts ? r->max_attempts : 10;
	p->retry.base_ms = r && r->base_ms ? r->base_ms : 1000;
	p->retry.max_ms = r && r->max_ms ? r->max_ms : 60000;
	if (p->retry.max_ms < p->retry.base_ms)
		p->retry.max_ms = p->retry.base_ms;
	return p->rate_t = clock_now();
}

void
pace_report(struct pace *p, unsigned wait_ms, int force)
{
	struct tus_progress pr;
	double now = clock_now();
	uint64_t sent = (p->sent ? *p->sent : 0) + p->inflight;

	if (p->src == NULL)
		return;
	if (now - p->rate_t >= PACE_RATE_WINDOW) {
		double inst = (double)(sent - p->rate_sent) / (now - p->rate_t);
		p->rate = p->rate == 0 ? inst : 0.6 * p->rate + 0.4 * inst;
		p->rate_t = now;
		p->rate_sent = sent;
	}
	if (p->on_progress == NULL || (!force && now - p->last_report < PACE_REPORT_EVERY))
		return;
	p->last_report = now;
	memset(&pr, 0, sizeof pr);
	pr.offset = p->offset + p->inflight;
	if (pr.offset > p->src->length)
		pr.offset = p->src->length;
	pr.length = p->src->length;
	pr.sent = sent;
	pr.rate = p->rate;
	pr.eta = p->rate > 0 ? (double)(pr.length - pr.offset) / p->rate : -1;
	pr.failures = p->failures;
	pr.wait_ms = wait_ms;
	pr.note = p->note[0] ? p->note : NULL;
	if (p->on_progress(p->arg, &pr) != 0)
		p->canceled = 1;
}

int
pace_sleep(struct pace *p, unsigned ms, struct err *err)
{
	double end = clock_now() + ms / 1000.0, left;

	while (!p->canceled && (left = end - clock_now()) > 0) {
		struct timespec ts = { 0, (long)((left < 0.1 ? left : 0.1) * 1e9) };
		pace_report(p, (unsigned)(left * 1000), 0);
		nanosleep(&ts, NULL);
	}
	if (p->canceled)
		return err_set(err, SP_ECANCELED, "upload to %s: stopped", p->endpoint);
	return 0;
}

int
pace_backoff(struct pace *p, unsigned k, unsigned *wait_ms, struct err *err)
{
	unsigned d;

	if (k >= p->retry.max_attempts)
		return err_set(err, SP_EUNAVAIL, "%s (gave up after %u %s)", p->note, k,
		    k == 1 ? "try" : "tries");
	if (p->retries)
		(*p->retries)++;
	d = tus_backoff_ms(&p->retry, k);
	*wait_ms = d - d / 2 + randombytes_uniform(d / 2 + 1);
	return 0;
}

int
pace_fail(struct pace *p, struct err *err)
{
	unsigned wait;
	int rc = pace_backoff(p, ++p->failures, &wait, err);

	return rc ? rc : pace_sleep(p, wait, err);
}

static int
pace_on_xfer(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow)
{
	struct pace *p = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	if (p->sending)
		p->inflight = (uint64_t)ulnow;
	pace_report(p, 0, 0);
	return p->canceled;
}

/* curl's upload buffer: 1 MiB doubles the throughput of its 64 KiB default on fast links
 * (measured on loopback), but under a rate cap it is the size of each burst, so a slow cap
 * gets about 1/8 s worth (curl's limits: 16 KiB to 2 MiB). */
static long
pace_upload_buffer(uint64_t rate)
{
	uint64_t b = rate == 0 ? PACE_UPLOAD_BUFFER : rate / 8;

	if (b < 16 * 1024)
		b = 16 * 1024;
	return (long)(b > PACE_UPLOAD_BUFFER ? PACE_UPLOAD_BUFFER : b);
}

void
pace_curl(CURL *h, struct pace *p, const char *url, char *errbuf, unsigned stall_seconds,
    uint64_t rate)
{
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, PACE_CONNECT_TIMEOUT);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)(stall_seconds ? stall_seconds : 60));
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "setpost/" SETPOST_VERSION);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, pace_on_xfer);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, p);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, pace_upload_buffer(rate));
	errbuf[0] = '\0';
}

CURLcode
pace_perform(struct pace *p, CURL *h, int sending, long *status)
{
	curl_off_t up = 0;
	CURLcode cc;

	p->sending = sending;
	p->inflight = 0;
	*status = 0;
	cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	if (sending && p->sent && curl_easy_getinfo(h, CURLINFO_SIZE_UPLOAD_T, &up) == CURLE_OK)
		*p->sent += (uint64_t)up;
	p->sending = 0;
	p->inflight = 0;
	return cc;
}

int
pace_done(struct pace *p, CURL *h, CURLcode cc, const char *method, const char *url,
    const char *errbuf, struct curl_slist *hdrs, struct curl_slist *pin, struct err *err)
{
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h, CURLOPT_RESOLVE, NULL);
	curl_slist_free_all(hdrs);
	curl_slist_free_all(pin);
	if (cc == CURLE_ABORTED_BY_CALLBACK && p->canceled)
		return err_set(err, SP_ECANCELED, "upload to %s: stopped", url);
	if (cc != CURLE_OK) {
		snprintf(p->note, sizeof p->note, "%s %.200s: %.150s", method, url,
		    errbuf[0] ? errbuf : curl_easy_strerror(cc));
		return SP_EUNAVAIL;
	}
	return 0;
}
