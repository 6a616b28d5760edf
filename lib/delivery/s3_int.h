/*
 * s3_int: what s3_client.c (requests, XML, create, resume, complete) and s3_parts.c (the parts
 * sent several at once) share. Internal to lib/delivery.
 */
#ifndef SETPOST_S3_INT_H
#define SETPOST_S3_INT_H

#include "lib/delivery/s3_client.h"
#include "lib/delivery/pace.h"
#include "lib/core/buf.h"

#include <curl/curl.h>

#define S3_BODY_MAX (1024 * 1024)       /* an answer's body kept (ListParts of 1000 parts) */

/* One answer of the bucket, as the header and body callbacks keep it. */
struct s3_resp {
	long status;
	struct buf body;
	int body_over;
	char etag[80];
	uint64_t clen;
	int has_clen;
	const char *want_meta;          /* x-amz-meta-<this> is kept in meta_val */
	char meta_val[200];
};

/* A part read and hashed, ready to send. */
struct s3_chunk {
	uint8_t *buf;
	size_t cap;                     /* bytes allocated at buf */
	uint64_t off;
	size_t len;
	unsigned number;
	char hex[65], b64[48];
};

struct s3_ctx {
	const struct s3_opts *o;
	const struct s3_link *l;
	const struct tus_source *src;
	struct s3_result *res;
	struct pace p;                  /* rate, progress, failures; offset: bytes the bucket took */
	CURL *curl;                     /* single requests (create, list, complete, head, abort) */
	char errbuf[CURL_ERROR_SIZE];
	char sigv4[200];
	struct s3_resp r;
	double t0;
	size_t part_cap, buf_cap;
	int adaptive;
	uint64_t next_off;              /* where the next part to read starts */
	struct s3_part *parts;          /* the parts of this upload the bucket holds */
	size_t n_parts, cap_parts;
};

/* Sets up h for one signed request (pace_curl, SigV4, headers, callbacks into r, the body);
 * the caller performs it and hands *hdrs and *pin to pace_done. SP_EUNAVAIL (c->p.note says
 * why) when the host could not be resolved within the outbound policy. */
int s3_prepare(struct s3_ctx *c, CURL *h, struct s3_resp *r, char *errbuf, const char *method,
    const char *url, const char *const *extra, size_t n_extra, const uint8_t *body, size_t len,
    const char *sha_hex, struct curl_slist **hdrs, struct curl_slist **pin, struct err *err);

int s3_transient(long status);

/* A refusal, told by status and S3 code: never the body. */
int s3_status_error(const struct s3_resp *r, const char *what, struct err *err);

/* 1 when r is a 400 the bucket gives for a part whose bytes do not match their checksum. */
int s3_bad_digest(const struct s3_resp *r, char *code, size_t size);

int s3_keep_part(struct s3_ctx *c, const struct s3_part *p, struct err *err);

/* Reads ch->len bytes at ch->off from src into ch->buf and hashes them (SHA-256). */
int s3_fill(const struct tus_source *src, struct s3_chunk *ch, struct err *err);

/* UploadPart of everything from c->next_off on, S3_IN_FLIGHT parts at a time (one under a
 * rate cap), each recorded by s3_keep_part and opts.on_part as the bucket takes it. */
int s3_send_parts(struct s3_ctx *c, struct err *err);

#endif
