/* tus: the receiving end of deliveries, tus 1.0 (core, creation, creation-with-upload,
 * termination, checksum, expiration) at /api/v1/uploads/. Bytes go straight to a file under the
 * uploads root as they arrive (never held in memory); the database holds each upload's offset,
 * which is the truth after a crash. When an upload is complete, a thread decrypts it with the
 * receiver's age identity (if it has one), checks the plaintext size and xxh64 against the
 * upload's metadata and records the receipt the sender asks for (GET …/receipt). The plaintext
 * is filed as <uploads>/<production>/<day>/<card>/<filename> from the metadata (each component
 * made safe by arrival_name), and the encrypted .part is removed once it is verified: a
 * verified upload is an arrival (GET /api/v1/arrivals, server/arrivals.c).
 * Past Upload-Length a PATCH gets 413. Two PATCHes at once on one upload: the newer one takes it
 * over, the older one gets 409 and writes nothing more (see tus_busy_take). */
#include "tus.h"
#include "tus_slot.h"
#include "arrival_name.h"
#include "lib/core/file.h"
#include "lib/delivery/age.h"
#include "lib/store/event.h"
#include "lib/core/hash.h"
#include "lib/core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#define TUS_VERSION "1.0.0"
#define TUS_EXTENSIONS "creation,creation-with-upload,termination,checksum,expiration"

struct tus_stream {
	char id[33];
	int fd;
	long long start, offset, length;
	/* Upload-Checksum of this request's body, if asked: sha1/md5 through OpenSSL, or xxh3
	 * (XXH3 64-bit, its 8 canonical big-endian bytes), which costs a fraction of sha1 and is
	 * what setpost's own client picks when the receiver lists it. */
	EVP_MD_CTX *md;
	XXH3_state_t *xx;
	unsigned char want[EVP_MAX_MD_SIZE];
	unsigned want_len;
	bool committed;
	bool busy;                    /* we hold (or held) the upload's slot */
	struct tus_claim claim;
	/* An error met while the body arrives: libmicrohttpd takes a reply only once the body is
	 * read, so it is kept here and sent at the end; the rest of the body is thrown away. */
	unsigned fail_status;
	char fail_code[24];
	char fail_msg[300];
};

/* The stream's upload is still its own (and its slot locked: tus_own_end); see tus_slot.h. */
static bool
tus_own(struct tus_stream *s)
{
	return !s->busy || tus_slot_own(&s->claim);
}

static void
tus_own_end(struct tus_stream *s)
{
	if (s->busy)
		tus_slot_own_end(&s->claim);
}

static const struct db_stmt stmt_get = { "tus_get",
	"SELECT length, \"offset\", state, expires_at < now(), metadata,"
	" to_char(expires_at AT TIME ZONE 'UTC', 'Dy, DD Mon YYYY HH24:MI:SS \"GMT\"')"
	" FROM uploads WHERE id = $1", 1 };
static const struct db_stmt stmt_create = { "tus_create",
	"INSERT INTO uploads (id, length, metadata, meta, token_id, expires_at)"
	" VALUES ($1, $2, $3, $4::jsonb, $5, now() + make_interval(secs => $6::int))"
	" RETURNING to_char(expires_at AT TIME ZONE 'UTC', 'Dy, DD Mon YYYY HH24:MI:SS \"GMT\"')", 6 };
/* $4 is synchronous_commit for this update alone: 'off' for a PATCH that leaves the upload
 * short of its length, whose bytes are not flushed either (a crash that loses the update
 * leaves the recorded offset behind the file: the sender resumes there and that PATCH cuts
 * the file back to it), so its commit need not wait for the WAL flush, which, queued behind
 * the upload's own writeback, took 10-14 ms of every 32 MiB PATCH; 'on' for the last one,
 * which says complete. */
static const struct db_stmt stmt_offset = { "tus_offset",
	"WITH sync AS (SELECT set_config('synchronous_commit', $4, true))"
	" UPDATE uploads SET \"offset\" = $2, updated_at = now(),"
	" expires_at = now() + make_interval(secs => $3::int),"
	" state = CASE WHEN $2 = length THEN 'verifying' ELSE state END,"
	" completed_at = CASE WHEN $2 = length THEN now() END"
	" FROM sync WHERE id = $1 AND state = 'receiving'"
	" RETURNING to_char(expires_at AT TIME ZONE 'UTC', 'Dy, DD Mon YYYY HH24:MI:SS \"GMT\"')", 4 };
static const struct db_stmt stmt_terminate = { "tus_terminate",
	"UPDATE uploads SET state = 'terminated', reason = 'terminated by the sender',"
	" updated_at = now() WHERE id = $1 AND state IN ('receiving', 'verified', 'received', 'failed')", 1 };
static const struct db_stmt stmt_expire = { "tus_expire",
	"UPDATE uploads SET state = 'terminated', reason = 'expired' WHERE state = 'receiving'"
	" AND expires_at < now() RETURNING id", 0 };
static const struct db_stmt stmt_receipt = { "tus_receipt",
	"SELECT json_build_object('id', id, 'state', state, 'reason', reason, 'length', length,"
	" 'offset', \"offset\", 'meta', meta, 'plain_size', plain_size, 'plain_xxh64', plain_xxh64,"
	" 'completed_at', completed_at, 'updated_at', updated_at)::text FROM uploads WHERE id = $1", 1 };
static const struct db_stmt stmt_verdict = { "tus_verdict",
	"UPDATE uploads SET state = $2, reason = $3, plain_size = $4::bigint, plain_xxh64 = $5,"
	" stored_path = $6, updated_at = now(),"
	" verified_at = CASE WHEN $2 = 'verified' THEN now() END"
	" WHERE id = $1 RETURNING meta::text, to_json(verified_at) #>> '{}'", 6 };

/* --- replies: every answer but OPTIONS carries Tus-Resumable ------------------------------ */

static enum MHD_Result
tus_reply(struct request *req, unsigned status, struct MHD_Response *resp)
{
	MHD_add_response_header(resp, "Tus-Resumable", TUS_VERSION);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	return reply_response(req, status, resp);
}

static enum MHD_Result
tus_error(struct request *req, unsigned status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static enum MHD_Result
tus_error(struct request *req, unsigned status, const char *code, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	json_t *j;
	char *text;
	struct MHD_Response *resp;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	j = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", msg);
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(resp, "Content-Type", "application/json");
	if (status == 412)
		MHD_add_response_header(resp, "Tus-Version", TUS_VERSION);
	return tus_reply(req, status, resp);
}

static struct MHD_Response *
tus_empty(void)
{
	return MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
}

static bool
tus_version_ok(struct request *req)
{
	const char *v = request_header(req, "Tus-Resumable");

	if (v && strcmp(v, TUS_VERSION) == 0)
		return true;
	tus_error(req, 412, "unsupported_version", "Tus-Resumable: this server speaks tus %s",
	    TUS_VERSION);
	return false;
}

static void
tus_path(const struct server *srv, const char *id, const char *suffix, char *out, size_t len)
{
	if (snprintf(out, len, "%s/%.32s%s", srv->uploads_root, id, suffix) >= (int)len)
		out[0] = '\0';
}

/* Where a receiving upload really is: the recorded offset, unless its file holds fewer bytes
 * (a machine crash lost writes the database had counted): then the file's size, so the sender
 * resumes from bytes that are there rather than leave a hole. */
static long long
tus_real_offset(const struct server *srv, const char *id, long long recorded)
{
	char path[PATH_MAX + 64];
	struct stat st;

	tus_path(srv, id, ".part", path, sizeof(path));
	if (recorded > 0 && stat(path, &st) == 0 && st.st_size < recorded)
		return st.st_size;
	return recorded;
}

enum MHD_Result
tus_options(struct request *req)
{
	struct MHD_Response *resp = tus_empty();
	char max[32];

	snprintf(max, sizeof(max), "%ld", req->srv->cfg->upload_max);
	MHD_add_response_header(resp, "Tus-Version", TUS_VERSION);
	MHD_add_response_header(resp, "Tus-Extension", TUS_EXTENSIONS);
	MHD_add_response_header(resp, "Tus-Max-Size", max);
	MHD_add_response_header(resp, "Tus-Checksum-Algorithm", "xxh3,sha1,md5");
	return reply_response(req, 204, resp);
}

/* upload.* events: uploads have text ids, so the id travels in the data, not subject_id. */
static void
tus_event(struct server *srv, const char *actor, const char *kind, const char *id, long long length)
{
	json_t *data = json_pack("{s:s}", "upload", id);

	if (length >= 0)
		json_object_set_new(data, "length", json_integer(length));
	event_record_db(srv->db, actor, kind, "upload", 0, data, NULL);
	json_decref(data);
}

/* --- Upload-Metadata ------------------------------------------------------------------------ */

/* Whether s[0..len) is only standard base64 characters: libsodium 1.0.18 decodes any byte
 * >= 0x80 as '/', so its decoder alone would take a value that is not base64. */
static bool
tus_base64_chars(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '+' || s[i] == '/' || s[i] == '='))
			return false;
	return true;
}

/* "key b64,key b64": keys unique, without spaces or commas; values valid base64 and UTF-8. */
int
tus_metadata_parse(const char *header, json_t **out, struct err *err)
{
	json_t *meta = json_object();
	const char *p = header;

	while (p && *p) {
		size_t n = strcspn(p, ","), klen = strcspn(p, " ,");
		char key[128];
		unsigned char val[4096];
		size_t vlen = 0;
		const char *b64 = p + klen;

		if (klen == 0 || klen >= sizeof(key))
			goto bad;
		memcpy(key, p, klen);
		key[klen] = '\0';
		if (json_object_get(meta, key))
			goto bad;
		if (*b64 == ' ') {
			b64++;
			if (!tus_base64_chars(b64, (size_t)(p + n - b64)) ||
			    sodium_base642bin(val, sizeof(val) - 1, b64, (size_t)(p + n - b64), NULL, &vlen,
			    NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
				goto bad;
		}
		json_t *s = json_stringn((const char *)val, vlen);
		if (s == NULL)
			goto bad;
		json_object_set_new(meta, key, s);
		p += n;
		if (*p == ',')
			p++;
	}
	*out = meta;
	return 0;
bad:
	json_decref(meta);
	return err_set(err, SP_EINVAL, "Upload-Metadata: expected 'key base64,key base64' with unique "
	    "keys and UTF-8 values");
}

/* --- writing a body ------------------------------------------------------------------------- */

int
tus_checksum_parse(const char *h, const EVP_MD **md, unsigned char want[EVP_MAX_MD_SIZE],
    unsigned *want_len)
{
	size_t alen = strcspn(h, " "), len, need;

	*md = NULL;
	if (alen == 4 && strncmp(h, "sha1", 4) == 0)
		*md = EVP_sha1();
	else if (alen == 3 && strncmp(h, "md5", 3) == 0)
		*md = EVP_md5();
	else if (!(alen == 4 && strncmp(h, "xxh3", 4) == 0))
		return SP_EUNSUPPORTED;
	need = *md ? (size_t)EVP_MD_size(*md) : sizeof(XXH64_canonical_t);
	if (h[alen] != ' ' || !tus_base64_chars(h + alen + 1, strlen(h + alen + 1)) ||
	    sodium_base642bin(want, EVP_MAX_MD_SIZE, h + alen + 1,
	    strlen(h + alen + 1), NULL, &len, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    len != need)
		return SP_EINVAL;
	*want_len = (unsigned)len;
	return 0;
}

static int
tus_checksum_begin(struct request *req, struct tus_stream *s)
{
	const char *h = request_header(req, "Upload-Checksum");
	const EVP_MD *md;
	int rc;

	if (h == NULL)
		return 0;
	if ((rc = tus_checksum_parse(h, &md, s->want, &s->want_len)) == SP_EUNSUPPORTED)
		return tus_error(req, 400, "invalid", "Upload-Checksum: algorithm not supported (xxh3, "
		    "sha1, md5)"), -1;
	if (rc < 0)
		return tus_error(req, 400, "invalid", "Upload-Checksum: expected 'ALGO BASE64-DIGEST'"), -1;
	if (md) {
		s->md = EVP_MD_CTX_new();
		EVP_DigestInit_ex(s->md, md, NULL);
	} else {
		s->xx = XXH3_createState();
		XXH3_64bits_reset(s->xx);
	}
	return 0;
}

static bool
tus_checksum_ok(struct tus_stream *s)
{
	unsigned char got[EVP_MAX_MD_SIZE];
	unsigned glen = 0;

	if (s->md) {
		EVP_DigestFinal_ex(s->md, got, &glen);
	} else {
		XXH64_canonical_t c;
		XXH64_canonicalFromHash(&c, XXH3_64bits_digest(s->xx));
		memcpy(got, c.digest, sizeof(c.digest));
		glen = sizeof(c.digest);
	}
	return glen == s->want_len && memcmp(got, s->want, glen) == 0;
}

static void tus_stream_done(struct request *req, bool completed);

/* Opens the upload's file at offset, cutting off bytes a crash left past the recorded offset. */
static bool
tus_stream_open(struct request *req, struct tus_stream *s, bool create)
{
	char path[PATH_MAX + 64];

	tus_path(req->srv, s->id, ".part", path, sizeof(path));
	s->fd = open(path, O_WRONLY | O_CLOEXEC | (create ? O_CREAT | O_EXCL : 0), 0600);
	if (s->fd >= 0 && !create) {
		struct stat st;
		if (fstat(s->fd, &st) == 0 && st.st_size < s->offset)
			s->offset = st.st_size;   /* a crash lost bytes the database had counted */
	}
	if (s->fd < 0 || ftruncate(s->fd, s->offset) < 0 || lseek(s->fd, s->offset, SEEK_SET) < 0) {
		tus_error(req, 500, "io_error", "upload %s: cannot open its file: %s", s->id,
		    strerror(errno));
		return false;
	}
	s->start = s->offset;
	req->stream = s;
	req->stream_done = tus_stream_done;
	return true;
}

static void
tus_fail_later(struct tus_stream *s, unsigned status, const char *code, const char *msg)
{
	s->fail_status = status;
	snprintf(s->fail_code, sizeof(s->fail_code), "%s", code);
	snprintf(s->fail_msg, sizeof(s->fail_msg), "%s", msg);
}

static void
tus_write(struct request *req, const char *data, size_t len)
{
	struct tus_stream *s = req->stream;
	char msg[300];

	if (s == NULL || req->answered || s->fail_status)
		return;
	if ((long long)len > s->length - s->offset) {
		snprintf(msg, sizeof(msg), "the body goes past Upload-Length (%lld)", s->length);
		tus_fail_later(s, 413, "too_large", msg);
		return;
	}
	if (!tus_own(s)) {
		tus_fail_later(s, 409, "conflict", "a newer request took this upload over");
		return;
	}
	if (s->md)
		EVP_DigestUpdate(s->md, data, len);
	else if (s->xx)
		XXH3_64bits_update(s->xx, data, len);
	while (len > 0) {
		ssize_t n = write(s->fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(msg, sizeof(msg), "upload %s: %s at offset %lld", s->id, strerror(errno),
			    s->offset);
			tus_fail_later(s, errno == ENOSPC ? 507 : 500, errno == ENOSPC ? "no_space" :
			    "io_error", msg);
			break;
		}
		s->offset += n;
		data += n;
		len -= (size_t)n;
	}
	tus_own_end(s);
}

static void tus_verify_start(struct server *srv, const char *id);

/* Records the new offset; returns the Upload-Expires date, or NULL when the upload was not
 * receiving any more (terminated meanwhile). */
static int
tus_commit(struct request *req, struct tus_stream *s, char *expires, size_t len)
{
	char sid[24], off[24], exp[16];
	const char *p[4] = { s->id, off, exp, s->offset == s->length ? "on" : "off" };
	struct err err;
	PGresult *r;
	int rc;

	(void)sid;
	snprintf(off, sizeof(off), "%lld", s->offset);
	snprintf(exp, sizeof(exp), "%ld", req->srv->cfg->upload_expiry);
	/* Flushing every PATCH halves the rate; the file's own size is the guard instead (a
	 * recorded offset past the end of the file after a crash is cut back to the file). Only the
	 * last byte is made durable before the upload is called complete. */
	if (s->offset == s->length && fdatasync(s->fd) < 0)
		return err_errno(&err, SP_EIO, errno, "fsync");
	/* Start writing this PATCH's bytes out now, without waiting: the final fdatasync then has
	 * little left to do (it took 0.8 s of a 1 GiB upload when all of it was left to the end). */
	if (s->offset < s->length && s->offset > s->start)
		sync_file_range(s->fd, s->start, s->offset - s->start, SYNC_FILE_RANGE_WRITE);
	if ((rc = db_exec(req->srv->db, &stmt_offset, p, &r, &err)) < 0)
		return rc;
	if (rc == 1 && expires)
		snprintf(expires, len, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	s->committed = true;
	if (rc == 1 && s->offset == s->length)
		tus_verify_start(req->srv, s->id);
	return rc == 1 ? 0 : SP_ECONFLICT;
}

/* A request cut off mid-body keeps what arrived, unless a checksum could not be checked. */
static void
tus_stream_done(struct request *req, bool completed)
{
	struct tus_stream *s = req->stream;

	(void)completed;
	if (!s->committed && s->fd >= 0 && tus_own(s)) {
		if (s->md || s->xx) {
			if (ftruncate(s->fd, s->start) == 0)
				s->offset = s->start;
		}
		if (s->offset > s->start)
			tus_commit(req, s, NULL, 0);
		tus_own_end(s);
	}
	if (s->fd >= 0)
		close(s->fd);
	if (s->md)
		EVP_MD_CTX_free(s->md);
	if (s->xx)
		XXH3_freeState(s->xx);
	if (s->busy)
		tus_slot_give(&s->claim);
	free(s);
	req->stream = NULL;
}

/* The end of a PATCH (or of a POST with a body): checksum, then commit the offset. */
static enum MHD_Result
tus_finish(struct request *req, unsigned status, const char *location)
{
	struct tus_stream *s = req->stream;
	struct MHD_Response *resp;
	char off[24], expires[64] = "";

	if (!tus_own(s)) {
		s->committed = true;
		return tus_error(req, 409, "conflict", "upload %s: a newer request took it over", s->id);
	}
	if (s->fail_status) {
		/* Keep what was written before the failure (no checksum to honour), then answer. */
		if ((s->md || s->xx) && ftruncate(s->fd, s->start) == 0)
			s->offset = s->start;
		if (s->offset > s->start)
			tus_commit(req, s, NULL, 0);
		s->committed = true;
		tus_own_end(s);
		return tus_error(req, s->fail_status, s->fail_code, "%s", s->fail_msg);
	}
	if ((s->md || s->xx) && !tus_checksum_ok(s)) {
		long long thrown = s->offset - s->start;
		if (ftruncate(s->fd, s->start) == 0)
			s->offset = s->start;
		s->committed = true;
		tus_own_end(s);
		return tus_error(req, 460, "checksum_mismatch", "Upload-Checksum does not match the "
		    "body: its %lld bytes were thrown away; the upload stays at offset %lld", thrown,
		    s->offset);
	}
	if (tus_commit(req, s, expires, sizeof(expires)) < 0) {
		tus_own_end(s);
		return tus_error(req, 410, "gone", "upload %s is no longer receiving", s->id);
	}
	tus_own_end(s);
	resp = tus_empty();
	snprintf(off, sizeof(off), "%lld", s->offset);
	MHD_add_response_header(resp, "Upload-Offset", off);
	if (expires[0])
		MHD_add_response_header(resp, "Upload-Expires", expires);
	if (location)
		MHD_add_response_header(resp, "Location", location);
	return tus_reply(req, status, resp);
}

/* --- PATCH ----------------------------------------------------------------------------------- */

/* Checks the upload exists, is receiving and is at offset; replies itself when not. */
static bool
tus_load(struct request *req, struct tus_stream *s, long long offset, bool patch)
{
	const char *p[1] = { s->id };
	struct err err;
	PGresult *r;
	int n;

	if ((n = db_exec(req->srv->db, &stmt_get, p, &r, &err)) < 0)
		return reply_err(req, &err), false;
	if (n == 0) {
		PQclear(r);
		return tus_error(req, 404, "not_found", "no upload %s", s->id), false;
	}
	s->length = db_ll(r, 0, 0);
	s->offset = tus_real_offset(req->srv, s->id, db_ll(r, 0, 1));
	if (strcmp(PQgetvalue(r, 0, 2), "terminated") == 0 ||
	    (strcmp(PQgetvalue(r, 0, 2), "receiving") == 0 && db_bool(r, 0, 3))) {
		PQclear(r);
		return tus_error(req, 410, "gone", "upload %s expired or was terminated", s->id), false;
	}
	if (patch && strcmp(PQgetvalue(r, 0, 2), "receiving") != 0) {
		/* Complete: once verified its .part is gone, so there is no file to write to. A body
		 * goes past Upload-Length (413, as for any upload); an empty PATCH changes nothing. */
		const char *cl = request_header(req, "Content-Length");
		if (cl && strtoll(cl, NULL, 10) > 0)
			tus_error(req, 413, "too_large", "the body goes past Upload-Length (%lld): upload "
			    "%s is complete", s->length, s->id);
		else
			tus_error(req, 410, "gone", "upload %s is complete (%s): nothing more to send",
			    s->id, PQgetvalue(r, 0, 2));
		PQclear(r);
		return false;
	}
	PQclear(r);
	if (patch && offset != s->offset)
		return tus_error(req, 409, "conflict", "Upload-Offset %lld, but the upload is at %lld",
		    offset, s->offset), false;
	return true;
}

static bool
tus_id_ok(const char *id)
{
	return strlen(id) == 32 && strspn(id, "0123456789abcdef") == 32;
}

bool
tus_count_parse(const char *h, long long *count)
{
	char *end;
	long long v;

	if (h == NULL || *h < '0' || *h > '9')
		return false;
	errno = 0;
	v = strtoll(h, &end, 10);
	if (errno == ERANGE || *end != '\0')
		return false;
	*count = v;
	return true;
}

static bool
tus_offset_header(struct request *req, long long *offset)
{
	if (tus_count_parse(request_header(req, "Upload-Offset"), offset))
		return true;
	tus_error(req, 400, "invalid", "Upload-Offset: expected a whole number of bytes");
	return false;
}

static bool
tus_body_type_ok(struct request *req)
{
	const char *ct = request_header(req, "Content-Type");

	return ct && strncasecmp(ct, "application/offset+octet-stream", 31) == 0;
}

void
tus_patch_chunk(struct request *req, const char *data, size_t len)
{
	struct tus_stream *s;
	long long offset;

	if (data) {
		tus_write(req, data, len);
		return;
	}
	if (!tus_version_ok(req))
		return;
	if (!tus_body_type_ok(req)) {
		tus_error(req, 415, "unsupported_media_type", "PATCH needs Content-Type: "
		    "application/offset+octet-stream");
		return;
	}
	if (!tus_id_ok(req->params[0])) {
		tus_error(req, 404, "not_found", "no upload %s", req->params[0]);
		return;
	}
	if (!tus_offset_header(req, &offset) || (s = calloc(1, sizeof(*s))) == NULL)
		return;
	s->fd = -1;
	memcpy(s->id, req->params[0], 32);    /* tus_id_ok: exactly 32 hex digits */
	s->id[32] = '\0';
	req->stream = s;
	req->stream_done = tus_stream_done;
	/* Taken before the offset is read, so a request it takes over can no longer commit. */
	if (!(s->busy = tus_slot_take(s->id, &s->claim))) {
		tus_error(req, 409, "conflict", "upload %s: %d uploads are being written at once", s->id,
		    TUS_SLOTS);
		return;
	}
	if (!tus_load(req, s, offset, true) || tus_checksum_begin(req, s) < 0)
		return;
	tus_stream_open(req, s, false);
}

/* X-HTTP-Method-Override is resolved by the router (server_method): a POST overridden to PATCH
 * arrives here, one overridden to HEAD or DELETE at those routes. */
enum MHD_Result
tus_patch_end(struct request *req)
{
	return tus_finish(req, 204, NULL);
}

/* --- POST (creation, creation-with-upload) ------------------------------------------------ */

static int
tus_create_row(struct request *req, struct tus_stream *s, char *expires, size_t elen)
{
	const char *len = request_header(req, "Upload-Length");
	const char *md = request_header(req, "Upload-Metadata");
	char slen[24], tok[24], exp[16], *metatext;
	json_t *meta = NULL;
	struct err err;
	PGresult *r;
	unsigned char raw[16];
	int rc;

	if (request_header(req, "Upload-Defer-Length"))
		return tus_error(req, 400, "invalid", "Upload-Defer-Length is not supported: send "
		    "Upload-Length"), -1;
	if (!tus_count_parse(len, &s->length))
		return tus_error(req, 400, "invalid", "Upload-Length: expected a whole number of bytes"), -1;
	if (s->length > req->srv->cfg->upload_max)
		return tus_error(req, 413, "too_large", "Upload-Length over this server's limit of %ld",
		    req->srv->cfg->upload_max), -1;
	if (tus_metadata_parse(md ? md : "", &meta, &err) < 0)
		return tus_error(req, 400, "invalid", "%s", err.msg), -1;
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(s->id, sizeof(s->id), raw, sizeof(raw));
	metatext = json_dumps(meta, JSON_COMPACT);
	json_decref(meta);
	snprintf(slen, sizeof(slen), "%lld", s->length);
	snprintf(tok, sizeof(tok), "%lld", req->who.token_id);
	snprintf(exp, sizeof(exp), "%ld", req->srv->cfg->upload_expiry);
	const char *p[6] = { s->id, slen, md ? md : "", metatext, req->who.token_id ? tok : NULL, exp };
	rc = db_exec(req->srv->db, &stmt_create, p, &r, &err);
	free(metatext);
	if (rc < 0)
		return reply_err(req, &err), -1;
	snprintf(expires, elen, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	tus_event(req->srv, req->who.name, "upload.created", s->id, s->length);
	return 0;
}

/* Expired uploads give their space back whenever a new one is created. */
static void
tus_sweep(struct server *srv)
{
	struct err err;
	PGresult *r;
	char path[PATH_MAX + 64];
	int n = db_exec(srv->db, &stmt_expire, NULL, &r, &err);

	for (int i = 0; i < n; i++) {
		tus_path(srv, PQgetvalue(r, i, 0), ".part", path, sizeof(path));
		unlink(path);
	}
	if (n >= 0)
		PQclear(r);
}

void
tus_create_chunk(struct request *req, const char *data, size_t len)
{
	struct tus_stream *s;
	char expires[64];

	if (data) {
		tus_write(req, data, len);
		return;
	}
	if (!tus_version_ok(req) || (s = calloc(1, sizeof(*s))) == NULL)
		return;
	s->fd = -1;
	req->stream = s;
	req->stream_done = tus_stream_done;
	/* Refused before anything is created: a refused creation leaves no upload behind. */
	if (request_header(req, "Content-Length") && strtoll(request_header(req, "Content-Length"),
	    NULL, 10) > 0 && !tus_body_type_ok(req)) {
		tus_error(req, 415, "unsupported_media_type", "a body with the creation request needs "
		    "Content-Type: application/offset+octet-stream");
		return;
	}
	tus_sweep(req->srv);
	if (tus_create_row(req, s, expires, sizeof(expires)) < 0)
		return;
	s->busy = tus_slot_take(s->id, &s->claim);
	if (tus_stream_open(req, s, true) && s->length == 0 && tus_own(s)) {
		tus_commit(req, s, NULL, 0);
		tus_own_end(s);
	}
}

enum MHD_Result
tus_create_end(struct request *req)
{
	struct tus_stream *s = req->stream;
	char location[128];

	snprintf(location, sizeof(location), "/api/v1/uploads/%s", s->id);
	if (s->committed) {
		struct MHD_Response *resp = tus_empty();
		MHD_add_response_header(resp, "Location", location);
		MHD_add_response_header(resp, "Upload-Offset", "0");
		return tus_reply(req, 201, resp);
	}
	return tus_finish(req, 201, location);
}

/* --- HEAD, DELETE, receipt -------------------------------------------------------------------- */

static enum MHD_Result
tus_head(struct request *req)
{
	const char *p[1] = { req->params[0] };
	struct MHD_Response *resp;
	struct err err;
	PGresult *r;
	int n;

	if (!tus_version_ok(req))
		return MHD_YES;
	if (!tus_id_ok(req->params[0]))
		return tus_error(req, 404, "not_found", "no upload %s", req->params[0]);
	if ((n = db_exec(req->srv->db, &stmt_get, p, &r, &err)) < 0)
		return reply_err(req, &err);
	if (n == 0 || strcmp(PQgetvalue(r, 0, 2), "terminated") == 0 ||
	    (strcmp(PQgetvalue(r, 0, 2), "receiving") == 0 && db_bool(r, 0, 3))) {
		unsigned status = n == 0 ? 404 : 410;
		if (n >= 0)
			PQclear(r);
		return tus_reply(req, status, tus_empty());
	}
	resp = tus_empty();
	if (strcmp(PQgetvalue(r, 0, 2), "receiving") == 0) {
		char off[24];
		snprintf(off, sizeof(off), "%lld", tus_real_offset(req->srv, req->params[0],
		    db_ll(r, 0, 1)));
		MHD_add_response_header(resp, "Upload-Offset", off);
	} else {
		MHD_add_response_header(resp, "Upload-Offset", PQgetvalue(r, 0, 1));
	}
	MHD_add_response_header(resp, "Upload-Length", PQgetvalue(r, 0, 0));
	if (*PQgetvalue(r, 0, 4))
		MHD_add_response_header(resp, "Upload-Metadata", PQgetvalue(r, 0, 4));
	if (strcmp(PQgetvalue(r, 0, 2), "receiving") == 0)
		MHD_add_response_header(resp, "Upload-Expires", PQgetvalue(r, 0, 5));
	PQclear(r);
	return tus_reply(req, 200, resp);
}

enum MHD_Result
tus_head_route(struct request *req)
{
	return tus_head(req);
}

static enum MHD_Result
tus_delete(struct request *req)
{
	const char *p[1] = { req->params[0] };
	char path[PATH_MAX + 64];
	struct err err;
	int n;

	if (!tus_version_ok(req))
		return MHD_YES;
	if (!tus_id_ok(req->params[0]))
		return tus_error(req, 404, "not_found", "no upload %s", req->params[0]);
	if ((n = db_exec(req->srv->db, &stmt_terminate, p, NULL, &err)) < 0)
		return reply_err(req, &err);
	if (n == 0)
		return tus_error(req, 404, "not_found", "no upload %s", req->params[0]);
	tus_path(req->srv, req->params[0], ".part", path, sizeof(path));
	unlink(path);
	tus_event(req->srv, req->who.name, "upload.terminated", req->params[0], -1);
	return tus_reply(req, 204, tus_empty());
}

enum MHD_Result
tus_delete_route(struct request *req)
{
	return tus_delete(req);
}

enum MHD_Result
tus_receipt(struct request *req)
{
	const char *p[1] = { req->params[0] };
	struct err err;
	PGresult *r;
	enum MHD_Result res;
	int n;

	if (!tus_id_ok(req->params[0]))
		return reply_error(req, 404, "not_found", "no upload %s", req->params[0]);
	if ((n = db_exec(req->srv->db, &stmt_receipt, p, &r, &err)) < 0)
		return reply_err(req, &err);
	if (n == 0) {
		PQclear(r);
		return reply_error(req, 404, "not_found", "no upload %s", req->params[0]);
	}
	res = reply_text(req, 200, "application/json", PQgetvalue(r, 0, 0), strlen(PQgetvalue(r, 0, 0)));
	PQclear(r);
	return res;
}

/* --- verification of a finished upload --------------------------------------------------- */

struct tus_verify {
	struct server *srv;
	char id[33];
	int out;
	struct hash_ctx hash;
	long long size;
};

static int
tus_verify_sink(void *arg, const uint8_t *buf, size_t len, struct err *err)
{
	struct tus_verify *v = arg;

	hash_update(&v->hash, buf, len);
	v->size += (long long)len;
	while (len > 0) {
		ssize_t n = write(v->out, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_errno(err, err_from_errno(errno), errno, "write");
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* <uploads>/<production>/<day>/<card>, from the sender's metadata, each part made safe. */
static int
tus_arrival_dir(struct tus_verify *v, json_t *meta, char *dir, size_t len, struct err *err)
{
	char prod[ARRIVAL_NAME_MAX + 1], day[ARRIVAL_NAME_MAX + 1], card[ARRIVAL_NAME_MAX + 1];

	arrival_name(json_string_value(json_object_get(meta, "production")), "unfiled", prod,
	    sizeof(prod));
	arrival_name(json_string_value(json_object_get(meta, "day")), "unfiled", day, sizeof(day));
	arrival_name(json_string_value(json_object_get(meta, "card")), "unfiled", card, sizeof(card));
	if (snprintf(dir, len, "%s/%s/%s/%s", v->srv->uploads_root, prod, day, card) >= (int)len)
		return err_set(err, SP_EINVAL, "upload %s: its folder's path is too long", v->id);
	return file_mkdirs(dir, 0750, err);
}

/* Decrypts the upload into tmp (dir/.filename.ID.partial), hashing the plaintext as it comes;
 * the caller renames it to its name only once it is verified, so a failed arrival never
 * replaces a good one of the same name. */
static int
tus_decrypt(struct tus_verify *v, const char *dir, const char *filename, char *tmp,
    size_t tlen, struct hash_result *res, struct err *err)
{
	char part[PATH_MAX + 64];
	uint8_t buf[1 << 16];
	struct age_dec dec;
	ssize_t n;
	int in, rc = 0;

	tus_path(v->srv, v->id, ".part", part, sizeof(part));
	/* The upload's id keeps two arrivals of one name from writing one partial file. */
	if (snprintf(tmp, tlen, "%s/.%s.%s.partial", dir, filename, v->id) >= (int)tlen)
		return err_set(err, SP_EINVAL, "upload %s: its path is too long", v->id);
	if ((in = open(part, O_RDONLY | O_CLOEXEC)) < 0)
		return err_errno(err, SP_EIO, errno, "open %s", part);
	if ((v->out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) < 0) {
		close(in);
		return err_errno(err, SP_EIO, errno, "create %s", tmp);
	}
	hash_init(&v->hash, HASH_BIT(HASH_XXH64), err);
	if ((rc = age_dec_init(&dec, v->srv->age_ids, v->srv->nage_ids, err)) == 0) {
		while (rc == 0 && (n = read(in, buf, sizeof(buf))) > 0)
			rc = age_dec_update(&dec, buf, (size_t)n, tus_verify_sink, v, err);
		if (rc == 0)
			rc = age_dec_final(&dec, tus_verify_sink, v, err);
		age_dec_release(&dec);
	}
	close(in);
	if (rc == 0 && fsync(v->out) < 0)
		rc = err_errno(err, SP_EIO, errno, "fsync");
	close(v->out);
	if (hash_final(&v->hash, res, err) < 0 && rc == 0)
		rc = SP_EINTERNAL;
	hash_release(&v->hash);
	if (rc < 0)
		unlink(tmp);
	return rc;
}

static const struct db_stmt stmt_meta = { "tus_meta", "SELECT meta::text FROM uploads WHERE id = $1", 1 };

/* --- versions: a proxy made again at the cart arrives under the same name ----------------- */

/* The current arrival filed under this path, and its version (the sender's, 1 when none). */
static const struct db_stmt stmt_filed = { "tus_filed",
	"SELECT id, coalesce(nullif(meta->>'version', ''), '1')::int FROM uploads"
	" WHERE stored_path = $1 AND state = 'verified' AND superseded_by IS NULL AND id <> $2"
	" ORDER BY verified_at DESC LIMIT 1", 2 };
static const struct db_stmt stmt_supersede = { "tus_supersede",
	"UPDATE uploads SET superseded_by = $2, stored_path = coalesce($3, stored_path)"
	" WHERE id = $1", 3 };

struct tus_older {
	char id[33];        /* the arrival the new one supersedes (or is superseded by), "" none */
	bool newer;         /* the new arrival is at least as new as it */
	char aside[PATH_MAX + 400];
};

/* <dir>/.superseded/<upload id>.<name>: where a superseded arrival's file is kept. */
static int
tus_aside(const char *dir, const char *id, const char *name, char *out, size_t len,
    struct err *err)
{
	char sub[PATH_MAX + 20];

	if (snprintf(sub, sizeof(sub), "%s/.superseded", dir) >= (int)sizeof(sub) ||
	    snprintf(out, len, "%s/%s.%s", sub, id, name) >= (int)len)
		return err_set(err, SP_EINVAL, "upload %s: its path is too long", id);
	return file_mkdirs(sub, 0750, err);
}

/* Before the verified file takes its name: an arrival already there is kept aside (hard
 * link) when the new one is at least as new; else the new one goes aside itself (*stored
 * rewritten). */
static int
tus_version_file(struct tus_verify *v, json_t *meta, const char *dir, const char *name,
    char *stored, size_t slen, struct tus_older *o, struct err *err)
{
	const char *p[2] = { stored, v->id };
	const char *vs = json_string_value(json_object_get(meta, "version"));
	long long mine = vs ? strtoll(vs, NULL, 10) : 1;
	PGresult *r;
	int n;

	o->id[0] = '\0';
	if ((n = db_exec(v->srv->db, &stmt_filed, p, &r, err)) < 0)
		return n;
	if (n > 0) {
		snprintf(o->id, sizeof(o->id), "%s", PQgetvalue(r, 0, 0));
		o->newer = mine >= db_ll(r, 0, 1);
	}
	PQclear(r);
	if (n == 0)
		return 0;
	if (o->newer) {
		if ((n = tus_aside(dir, o->id, name, o->aside, sizeof(o->aside), err)) < 0)
			return n;
		unlink(o->aside);
		if (link(stored, o->aside) < 0)
			return err_errno(err, SP_EIO, errno, "keep %s aside", stored);
		return 0;
	}
	return tus_aside(dir, v->id, name, stored, slen, err);
}

/* After the verdict: which of the two is superseded, by which. */
static void
tus_version_record(struct server *srv, const char *id, const struct tus_older *o)
{
	const char *p[3] = { o->newer ? o->id : id, o->newer ? id : o->id,
		o->newer ? o->aside : NULL };
	struct err err;

	if (o->id[0] && db_exec(srv->db, &stmt_supersede, p, NULL, &err) < 0)
		log_error("upload=%s: superseding %s not recorded: %s", id, o->id, err.msg);
}

/* arrival.verified: what arrived and where, for the post house's own systems. */
static void
tus_arrival_event(struct server *srv, const char *id, PGresult *r, const char *size,
    const char *xxh, const char *stored)
{
	json_t *meta = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
	json_t *data = json_pack("{s:s,s:s,s:I,s:s,s:s}", "upload", id, "path", stored, "size",
	    (json_int_t)strtoll(size, NULL, 10), "xxh64", xxh, "verified_at", PQgetvalue(r, 0, 1));
	static const char *const keys[] = { "production", "day", "card", "clip", "filename", NULL };

	for (int i = 0; data && keys[i]; i++)
		json_object_set(data, keys[i], json_object_get(meta, keys[i]) ?
		    json_object_get(meta, keys[i]) : json_null());
	event_record_db(srv->db, "receiver", "arrival.verified", "upload", 0, data, NULL);
	json_decref(data);
	json_decref(meta);
}

static void
tus_verdict(struct server *srv, const char *id, const char *state, const char *reason,
    const char *size, const char *xxh, const char *stored)
{
	const char *p[6] = { id, state, reason, size, xxh, stored };
	struct err err;
	PGresult *r;
	int n = db_exec(srv->db, &stmt_verdict, p, &r, &err);
	json_t *data;

	if (n < 0) {
		log_error("upload=%s verdict not recorded: %s", id, err.msg);
		return;
	}
	data = json_pack("{s:s,s:s,s:s?}", "upload", id, "state", state, "reason", reason);
	/* upload.verified, not delivery.verified: that one is the sending cart's event, with a
	 * delivery as its subject, when the receipt makes a delivery delivered. */
	event_record_db(srv->db, "receiver", strcmp(state, "verified") == 0 ? "upload.verified" :
	    strcmp(state, "failed") == 0 ? "upload.failed" : "upload.received", "upload", 0, data, NULL);
	json_decref(data);
	if (strcmp(state, "verified") == 0) {
		char part[PATH_MAX + 64];
		/* Verified: the plaintext is the arrival; the encrypted copy has done its work. */
		tus_path(srv, id, ".part", part, sizeof(part));
		if (unlink(part) < 0 && errno != ENOENT)
			log_warn("upload=%s: cannot remove %s: %s", id, part, strerror(errno));
		tus_arrival_event(srv, id, r, size, xxh, stored);
	}
	PQclear(r);
	log_info("upload=%s %s%s%s", id, state, reason ? ": " : "", reason ? reason : "");
}

static void *
tus_verify_main(void *arg)
{
	struct tus_verify *v = arg;
	const char *p[1] = { v->id };
	char name[ARRIVAL_NAME_MAX + 1], dir[PATH_MAX], stored[PATH_MAX + 300], tmp[PATH_MAX + 300];
	char size[24], reason[700];
	struct tus_older older = { "", false, "" };
	struct hash_result res;
	struct err err;
	PGresult *r;
	json_t *meta = NULL;
	const char *want_size, *want_xxh;

	if (db_exec(v->srv->db, &stmt_meta, p, &r, &err) == 1) {
		meta = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
		PQclear(r);
	}
	want_size = json_string_value(json_object_get(meta, "size"));
	want_xxh = json_string_value(json_object_get(meta, "xxh64"));
	arrival_name(json_string_value(json_object_get(meta, "filename")), "upload.bin", name,
	    sizeof(name));
	if (v->srv->nage_ids == 0) {
		tus_verdict(v->srv, v->id, "received", "this receiver holds no age identity: stored "
		    "encrypted, not verified", NULL, NULL, NULL);
	} else if (tus_arrival_dir(v, meta, dir, sizeof(dir), &err) < 0 ||
	    tus_decrypt(v, dir, name, tmp, sizeof(tmp), &res, &err) < 0) {
		tus_verdict(v->srv, v->id, "failed", err.msg, NULL, NULL, NULL);
	} else {
		snprintf(size, sizeof(size), "%lld", v->size);
		reason[0] = '\0';
		if (want_size && strcmp(want_size, size) != 0)
			snprintf(reason, sizeof(reason), "plaintext is %s bytes, the sender said %s", size,
			    want_size);
		else if (want_xxh && strcmp(want_xxh, res.v[HASH_XXH64].str) != 0)
			snprintf(reason, sizeof(reason), "plaintext xxh64 %s, the sender said %s",
			    res.v[HASH_XXH64].str, want_xxh);
		else if (!want_size || !want_xxh)
			snprintf(reason, sizeof(reason), "the sender gave no size and xxh64 to check");
		snprintf(stored, sizeof(stored), "%s/%s", dir, name);
		if (!reason[0] && tus_version_file(v, meta, dir, name, stored, sizeof(stored), &older,
		    &err) < 0)
			snprintf(reason, sizeof(reason), "%.600s", err.msg);
		if (!reason[0] && rename(tmp, stored) < 0)
			snprintf(reason, sizeof(reason), "rename to %.500s: %s", stored, strerror(errno));
		if (reason[0])
			unlink(tmp);
		tus_verdict(v->srv, v->id, reason[0] ? "failed" : "verified", reason[0] ? reason : NULL,
		    size, res.v[HASH_XXH64].str, reason[0] ? NULL : stored);
		if (!reason[0])
			tus_version_record(v->srv, v->id, &older);
	}
	json_decref(meta);
	free(v);
	return NULL;
}

static void
tus_verify_start(struct server *srv, const char *id)
{
	struct tus_verify *v = calloc(1, sizeof(*v));
	pthread_attr_t attr;
	pthread_t t;

	if (v == NULL)
		return;
	v->srv = srv;
	snprintf(v->id, sizeof(v->id), "%s", id);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, tus_verify_main, v) != 0) {
		tus_verdict(srv, id, "failed", "could not start verification", NULL, NULL, NULL);
		free(v);
	}
	pthread_attr_destroy(&attr);
}
