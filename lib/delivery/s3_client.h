/*
 * s3_client: puts a byte source into an S3-compatible bucket as a multipart upload, with
 * libcurl, signed by libcurl's own AWS SigV4 (CURLOPT_AWS_SIGV4), over links that drop.
 *
 * One upload (s3_upload):
 *  1. With opts.upload_id: ListParts (GET key?uploadId=) and keep, from part 1 on, the parts
 *     the caller recorded (opts.done) that the bucket holds with the same size and ETag; the
 *     upload goes on after the last of them. A NoSuchUpload (the bucket aborted or expired
 *     it) starts a new one. Without an upload id: CreateMultipartUpload (POST key?uploads,
 *     x-amz-meta-* from opts.meta, x-amz-checksum-algorithm SHA256), its id handed to
 *     opts.on_created BEFORE the first part is sent, so the caller can persist it.
 *  2. UploadPart (PUT key?partNumber=N&uploadId=) for each part, S3_IN_FLIGHT parts on the
 *     wire at once (one connection each, a curl multi handle; one part under a rate cap,
 *     since curl caps each transfer and max_send_rate is the upload's), each carrying
 *     x-amz-checksum-sha256 (base64) and x-amz-content-sha256 (hex, the signed payload hash)
 *     of its bytes: the bucket refuses a damaged part (400 BadDigest) instead of storing it.
 *     Parts are read (and encrypted, for an age source: the stream stays sequential) and
 *     hashed in order by a thread, one ahead of the parts on the wire, into buffers of their
 *     own (at most S3_IN_FLIGHT + 1 parts in memory). They finish in any order;
 *     opts.on_part hears of each part the bucket took (number, offset, size, ETag, SHA-256)
 *     as it is taken, so a resumed upload (step 1) keeps the parts from 1 on up to the
 *     first one missing, and sends the rest again (at most S3_IN_FLIGHT - 1 parts taken
 *     after the gap).
 *     Part size: opts.part_size, or, when 0, like tus_client's chunks: 8 MiB, then about half
 *     a second of what one connection carried, up to 32 MiB; never so small that the object
 *     would need more than S3's 10,000 parts.
 *  3. CompleteMultipartUpload with every part's number, ETag and checksum; a 200 whose body
 *     is an <Error> (S3 does that) is a failure.
 *
 * Failures: network errors, 408, 429, 5xx are tried again with tus_client's back-off
 * (struct tus_retry, counted per part, all counts cleared when any part is taken); a part refused with BadDigest is
 * read and sent again, at most S3_DIGEST_TRIES times in all, then the upload fails with
 * SP_EMISMATCH. 403 (InvalidAccessKeyId, SignatureDoesNotMatch, AccessDenied) is SP_EAUTH,
 * 404 NoSuchBucket SP_ENOTFOUND, other 4xx SP_EINVAL: not retried. A bucket's answer is told
 * by its status and its S3 error code only (letters and digits), never its body.
 *
 * Ownership: opts and the source are borrowed for the call; s3_result's upload_id is owned
 * by the caller (s3_result_release). Callbacks run on the calling thread.
 */
#ifndef SETPOST_S3_CLIENT_H
#define SETPOST_S3_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/core/err.h"
#include "lib/delivery/tus_client.h"

#define S3_MIN_PART (8u * 1024 * 1024)
#define S3_MAX_AUTO_PART (32u * 1024 * 1024)
#define S3_MAX_PARTS 10000
#define S3_DIGEST_TRIES 3
#define S3_IN_FLIGHT 4                  /* parts on the wire at once (1 under a rate cap) */

struct outbound_policy;

/* Where objects go, and the keys to put them there (borrowed strings). */
struct s3_link {
	const char *endpoint;           /* http(s)://host[:port], no path */
	const char *region;             /* signs the requests ("us-east-1") */
	const char *bucket;
	const char *access_key, *secret_key;
	bool path_style;                /* endpoint/bucket/key; else bucket.host/key */
	uint64_t max_send_rate;         /* bytes/s, 0: no cap */
	/* Every request's host resolved, checked and pinned (lib/core/outbound.h); NULL: none. */
	const struct outbound_policy *outbound;
};

/* One part the bucket holds. */
struct s3_part {
	unsigned number;                /* 1.. */
	uint64_t offset, size;
	char etag[80];                  /* without quotes */
	char sha256[48];                /* base64 */
};

typedef int (*s3_created_fn)(void *arg, const char *upload_id, struct err *err);
typedef int (*s3_part_fn)(void *arg, const struct s3_part *part, struct err *err);

struct s3_opts {
	const struct s3_link *link;
	const char *key;                /* object key, unencoded */
	const struct tus_meta *meta;    /* x-amz-meta-<key>: value (ASCII values) */
	size_t n_meta;
	size_t part_size;               /* 0: follows the link */
	struct tus_retry retry;
	unsigned stall_seconds;         /* a request this long under 1 byte/s fails; 0: 60 */
	const char *upload_id;          /* an upload to continue, or NULL */
	const struct s3_part *done;     /* its parts as the caller recorded them, by number */
	size_t n_done;
	s3_created_fn on_created;
	s3_part_fn on_part;
	void *arg;                      /* for on_created, on_part, on_progress */
	tus_progress_fn on_progress;
};

struct s3_result {
	char *upload_id;
	uint64_t length;
	uint64_t resumed_at;            /* bytes the bucket already held when resuming */
	uint64_t sent;                  /* part bytes sent by this call, retries included */
	unsigned parts, retries, created;
	unsigned object_parts;          /* parts of the completed object, resumed ones included */
	double seconds;
};

int s3_upload(const struct s3_opts *o, const struct tus_source *src, struct s3_result *res,
    struct err *err);
void s3_result_release(struct s3_result *res);

/* HEAD key: its size and its x-amz-meta-<meta> value (out, "" when absent). SP_ENOTFOUND when
 * there is no such object. */
int s3_head(const struct s3_link *l, const char *key, const char *meta, uint64_t *size,
    char *out, size_t outlen, struct err *err);

/* AbortMultipartUpload: what a failed upload leaves in the bucket is removed. */
int s3_abort(const struct s3_link *l, const char *key, const char *upload_id, struct err *err);

/* ---- pure helpers, exported for the unit tests ---- */

/* The URL of key in the bucket (key percent-encoded but for '/'), with query appended when
 * not NULL ("uploads", "partNumber=1&uploadId=x"). Returns 0 or SP_EINVAL/SP_ENOMEM. */
int s3_url(const struct s3_link *l, const char *key, const char *query, char **out,
    struct err *err);

/* The S3 error code in an XML error body ("NoSuchBucket"), letters and digits only, into
 * code; "" when there is none. */
void s3_error_code(const char *body, size_t len, char *code, size_t size);

/* The part size for a source of length bytes starting from want: at least S3_MIN_PART and
 * large enough for S3_MAX_PARTS, in whole MiB. */
size_t s3_part_floor(uint64_t length, size_t want);

#endif
