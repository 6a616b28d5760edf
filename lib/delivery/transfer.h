/*
 * transfer: what an upload is made of for both clients of lib/delivery (tus_client, s3_client)
 * and their shared pace (pace.h): the bytes to send, the retry policy, the progress the
 * caller is shown. Types only, and the backoff of the retry policy.
 */
#ifndef SETPOST_TRANSFER_H
#define SETPOST_TRANSFER_H

#include "lib/core/err.h"

#include <stddef.h>
#include <stdint.h>

/* The bytes to upload. read_at fills exactly len bytes at off (off + len <= length) and sets
 * *got = len, or returns a negative SP_E* code filling err; an error stops the upload. */
struct tus_source {
	uint64_t length;
	int (*read_at)(void *arg, uint64_t off, uint8_t *buf, size_t len, size_t *got,
	    struct err *err);
	void *arg;
};

struct tus_retry {
	unsigned max_attempts;  /* tries in a row without progress (1: no retry); 0: 10 */
	unsigned base_ms;       /* first wait; 0: 1000 */
	unsigned max_ms;        /* longest wait; 0: 60000 */
};

/* What the progress callback sees; all byte counts are of the upload (ciphertext). */
struct tus_progress {
	uint64_t offset;        /* server's confirmed offset + bytes of the PATCH in flight */
	uint64_t length;
	uint64_t sent;          /* body bytes sent by this call, retries included */
	double rate;            /* bytes/s, smoothed over the last seconds; 0 before known */
	double eta;             /* seconds left at that rate; < 0 when unknown */
	unsigned failures;      /* failures in a row (0 while things go well) */
	unsigned wait_ms;       /* > 0 while waiting before a retry */
	const char *note;       /* the last failure ("PATCH: HTTP 503"), or NULL */
};

/* Called about 4 times a second while bytes move, and while waiting. Return non-zero to stop
 * the upload (tus_upload then fails with SP_ECANCELED); the upload can be resumed later. */
typedef int (*tus_progress_fn)(void *arg, const struct tus_progress *p);

/* The upper bound of the wait before retry k (k >= 1), in ms (before jitter). */
unsigned tus_backoff_ms(const struct tus_retry *r, unsigned k);

#endif
