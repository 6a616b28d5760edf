/*
 * tus_client: uploads a byte source to a tus 1.0.0 server (core + creation, and checksum,
 * expiration and termination when offered) with libcurl, over links that drop.
 *
 * One upload, start to finish (tus_upload):
 *  1. OPTIONS on the endpoint: Tus-Version must list 1.0.0; when Tus-Extension lists
 *     "checksum" and Tus-Checksum-Algorithm lists "sha1", every PATCH carries
 *     `Upload-Checksum: sha1 <base64>`; a Tus-Max-Size below the length fails at once.
 *     An OPTIONS answered with a non-2xx status is not an error (some servers or proxies do
 *     not route OPTIONS): the upload then goes on without checksums.
 *  2. With opts.resume_url: HEAD it and continue from its Upload-Offset. Without one, or when
 *     the server says the upload is gone (404, 410, 403) or has another length: POST a new
 *     upload (Upload-Length, Upload-Metadata) and hand its URL to opts.on_created BEFORE the
 *     first byte is sent, so the caller can persist it. At most TUS_MAX_CREATE uploads are
 *     created per call.
 *  3. PATCH chunks of opts.chunk_size bytes (default 8 MiB; Content-Type
 *     application/offset+octet-stream) until the server's offset equals the length.
 *     CURLOPT_MAX_SEND_SPEED_LARGE caps the rate when opts.max_send_rate is set.
 *  4. After any failure (network error, stalled transfer, 409, 423, 429, 460, 5xx) wait, HEAD
 *     to learn the server's offset, and go on from there. So a resumed upload sends again at
 *     most the one chunk that was in flight (less when the server kept part of it).
 *     404/410 from PATCH or HEAD means the upload expired or was removed: a fresh one is
 *     created (step 2). Other statuses (400, 401, 403 on PATCH, 413, 415, 412) are fatal.
 *
 * Retry policy (struct tus_retry; zeros take the defaults): the wait before retry k
 * (k = 1, 2, ...) is d = min(max_ms, base_ms * 2^(k-1)), jittered to a random value in
 * [d/2, d] ("equal jitter"). Failures are counted per stretch without progress: any PATCH that
 * moves the server's offset resets the count, so a link that drops every few minutes never
 * exhausts it; max_attempts tries in a row that fail (default 10, so 9 waits: 1, 2, 4, 8, 16,
 * 32, 60, 60, 60 s before jitter, 2 to 4 minutes in all) give up with SP_EUNAVAIL. Requests
 * time out on connect after 30 s and when fewer than 1 byte/s moves for opts.stall_seconds
 * (default 60). Redirects are not followed (a tus server answers in place).
 *
 * Errors: SP_EINVAL (bad options), SP_EUNAVAIL (server unreachable after the retries),
 * SP_ENOTFOUND (endpoint answered 404 to creation), SP_EAUTH/SP_EFORBIDDEN (401/403 to
 * creation), SP_ETOOBIG (413, Tus-Max-Size), SP_EUNSUPPORTED (no tus 1.0.0, 412), SP_EINVAL
 * (other 4xx; the message has the status and the start of the body), SP_ECANCELED (the
 * progress callback asked to stop), and whatever the source's read_at returned (fatal, not
 * retried). Messages name the URL and never contain header values (credentials).
 *
 * Ownership and threads: opts and the source are borrowed for the call; result->url is
 * owned by the caller (tus_result_release). Callbacks run on the calling thread. Calls on
 * different threads are independent (each has its own curl handle); curl_global_init is
 * done once, thread-safely, by the first call.
 */
#ifndef SETPOST_TUS_CLIENT_H
#define SETPOST_TUS_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/core/buf.h"
#include "lib/core/err.h"
#include "lib/delivery/transfer.h"

#define TUS_VERSION "1.0.0"
#define TUS_DEFAULT_CHUNK (8u * 1024 * 1024)
#define TUS_MAX_CHUNK (1024u * 1024 * 1024)
#define TUS_MAX_CREATE 3
#define TUS_URL_MAX 4096

/* One Upload-Metadata pair. Keys: non-empty ASCII, no spaces, commas or control characters,
 * unique. Values: any text (NULL means an empty value); they travel base64-encoded. */
struct tus_meta {
	const char *key;
	const char *value;
};

/* Called right after the server created an upload, before any byte of it is sent. `why` is
 * NULL for the first upload of this call, or says why an earlier one was replaced ("upload
 * ... answered HTTP 410"). Return 0, or a negative SP_E* code (filling err) to stop. */
typedef int (*tus_created_fn)(void *arg, const char *url, const char *why, struct err *err);

struct outbound_policy;

struct tus_opts {
	const char *endpoint;           /* creation URL (http or https) */
	const char *const *headers;     /* extra "Name: value" lines (Authorization, ...) */
	size_t n_headers;
	const struct tus_meta *meta;    /* Upload-Metadata at creation */
	size_t n_meta;
	size_t chunk_size;              /* bytes per PATCH; 0: TUS_DEFAULT_CHUNK */
	uint64_t max_send_rate;         /* bytes/s per request; 0: no cap */
	/* When set, asked before each PATCH for its cap in bytes/s (0: none), instead of
	 * max_send_rate: a link shared with other uploads. Under such a cap a PATCH carries about
	 * two seconds of it (at least 256 KiB), so a new share applies within seconds. */
	uint64_t (*send_rate)(void *arg);
	void *send_rate_arg;
	struct tus_retry retry;
	unsigned stall_seconds;         /* abort a request this long under 1 byte/s; 0: 60 */
	const char *resume_url;         /* an upload to continue, or NULL */
	/* When set, every URL (the endpoint and each Location answered) is resolved once, checked
	 * and pinned (lib/core/outbound.h); NULL for a person's own command line. */
	const struct outbound_policy *outbound;
	tus_created_fn on_created;
	void *created_arg;
	tus_progress_fn on_progress;
	void *progress_arg;
};

struct tus_result {
	char *url;              /* the upload's URL (caller frees via tus_result_release) */
	uint64_t length;
	uint64_t resumed_at;    /* server offset found when resuming (0 for a new upload) */
	uint64_t sent;          /* body bytes sent by this call */
	unsigned created;       /* uploads created by this call */
	unsigned retries;       /* failures recovered from */
	const char *checksum;   /* algorithm of the PATCHes' Upload-Checksum ("xxh3", "sha1"), or
	                         * NULL (a static string) */
	double seconds;         /* wall time of the call */
};

/*
 * Uploads src to opts->endpoint (or continues opts->resume_url) until the server's offset
 * equals src->length. Fills *res (also on failure, as far as known: res->url is set once an
 * upload exists, so a caller can resume it). Returns 0 or a negative SP_E* code.
 */
int tus_upload(const struct tus_opts *opts, const struct tus_source *src,
    struct tus_result *res, struct err *err);
void tus_result_release(struct tus_result *res);

/* DELETE url (termination extension); headers as in tus_opts. Returns 0 (204), SP_ENOTFOUND
 * (404/410: already gone), SP_EUNAVAIL (unreachable), or SP_EINVAL (other statuses). */
int tus_terminate(const char *url, const char *const *headers, size_t n_headers,
    struct err *err);

/* ---- pure helpers, exported for the unit tests ---- */

/* The parts of a response tus cares about. */
struct tus_resp {
	long status;
	int has_offset, has_length, has_max_size;
	uint64_t offset, length, max_size;
	char location[TUS_URL_MAX];
	int location_too_long;
	char version[64];       /* Tus-Version */
	char extensions[256];   /* Tus-Extension */
	char algorithms[128];   /* Tus-Checksum-Algorithm */
	char expires[64];       /* Upload-Expires */
	int bad_header;         /* a tus number header that did not parse */
};

/* Feeds one raw header line (as curl's header callback gets it, CRLF included). A status
 * line ("HTTP/...") starts a new response and clears *r (so interim 1xx replies and
 * redirects leave only the last response). */
void tus_resp_header(struct tus_resp *r, const char *line, size_t len);

/* Appends the Upload-Metadata value for meta[0..n) to b ("k1 base64,k2 base64", an empty
 * value without its space). Returns 0, or SP_EINVAL naming a bad or repeated key. */
int tus_meta_encode(const struct tus_meta *meta, size_t n, struct buf *b, struct err *err);

/* 1 when the comma-separated list (header value) holds token, case-insensitively. */
int tus_list_has(const char *list, const char *token);

/* Parses a non-negative decimal integer with nothing else around it but spaces. */
int tus_parse_u64(const char *s, size_t len, uint64_t *out);


/* "sha1 <base64 of SHA-1(data)>" into out (at least 64 bytes). */
void tus_checksum_sha1(const uint8_t *data, size_t len, char out[64]);

/* "xxh3 <base64 of the 8 big-endian bytes of XXH3_64bits(data)>" into out. */
void tus_checksum_xxh3(const uint8_t *data, size_t len, char out[64]);

/* The checksum algorithm to use given a server's Tus-Extension and Tus-Checksum-Algorithm:
 * "xxh3" when listed, else "sha1", or NULL without the checksum extension. */
const char *tus_checksum_pick(const char *extensions, const char *algorithms);

#endif
