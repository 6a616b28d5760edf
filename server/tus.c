/* tus: the receiving end of deliveries, tus 1.0 (core, creation, creation-with-upload,
 * termination, checksum, expiration) at /api/v1/uploads/. Bytes go straight to a file under the
 * uploads root as they arrive (never held in memory); the database holds each upload's offset,
 * which is the truth after a crash. When an upload is complete, a thread (tus_verify.c)
 * decrypts it with the receiver's age identity (if it has one), checks the plaintext size and
 * xxh64 against the upload's metadata and records the receipt the sender asks for
 * (GET …/receipt). The plaintext
 * is filed as <uploads>/<production>/<day>/<card>/<filename> from the metadata (each component
 * made safe by safe_name, lib/core/safe_name.h), and the encrypted .part is removed once it is verified: a
 * verified upload is an arrival (GET /api/v1/arrivals, server/arrivals.c).
 * Past Upload-Length a PATCH gets 413. Two PATCHes at once on one upload: the newer one takes it
 * over, the older one gets 409 and writes nothing more (see tus_busy_take). */
#include "tus.h"
#include "tus_slot.h"
#include "lib/store/event.h"
#include "lib/store/params.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
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
/* Quotas (issue 14): an unfinished upload holds its whole Upload-Length, from its creation
 * until it is verified, fails, is terminated or expires. Creations take this lock in turn, so
 * two at once cannot both fit under a limit that has room for one. */
static const struct db_stmt stmt_quota_lock = { "tus_quota_lock",
	"SELECT pg_advisory_xact_lock(1414)", 0 };
static const struct db_stmt stmt_quota_held = { "tus_quota_held",
	"SELECT COALESCE(sum(length) FILTER (WHERE token_id IS NOT DISTINCT FROM $1::bigint), 0),"
	" COALESCE(sum(length), 0) FROM uploads WHERE state IN ('receiving', 'verifying')"
	" AND NOT (state = 'receiving' AND expires_at < now())", 1 };
static const struct db_stmt stmt_expire = { "tus_expire",
	"UPDATE uploads SET state = 'terminated', reason = 'expired' WHERE state = 'receiving'"
	" AND expires_at < now() RETURNING id", 0 };
static const struct db_stmt stmt_receipt = { "tus_receipt",
	"SELECT json_build_object('id', id, 'state', state, 'reason', reason, 'length', length,"
	" 'offset', \"offset\", 'meta', meta, 'plain_size', plain_size, 'plain_xxh64', plain_xxh64,"
	" 'completed_at', completed_at, 'updated_at', updated_at)::text FROM uploads WHERE id = $1", 1 };

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

void
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

/* Records the new offset; returns the Upload-Expires date, or NULL when the upload was not
 * receiving any more (terminated meanwhile). */
static int
tus_commit(struct request *req, struct tus_stream *s, char *expires, size_t len)
{
	struct db_params p = { 0 };
	struct err err;
	PGresult *r;
	int rc;

	db_param_str(&p, s->id);
	db_param_ll(&p, s->offset);
	db_param_ll(&p, req->srv->cfg->upload_expiry);
	db_param_str(&p, s->offset == s->length ? "on" : "off");
	/* Flushing every PATCH halves the rate; the file's own size is the guard instead (a
	 * recorded offset past the end of the file after a crash is cut back to the file). Only the
	 * last byte is made durable before the upload is called complete. */
	if (s->offset == s->length && fdatasync(s->fd) < 0)
		return err_errno(&err, SP_EIO, errno, "fsync");
	/* Start writing this PATCH's bytes out now, without waiting: the final fdatasync then has
	 * little left to do (it took 0.8 s of a 1 GiB upload when all of it was left to the end). */
	if (s->offset < s->length && s->offset > s->start)
		sync_file_range(s->fd, s->start, s->offset - s->start, SYNC_FILE_RANGE_WRITE);
	if ((rc = db_exec(req->srv->db, &stmt_offset, p.v, &r, &err)) < 0)
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

struct tus_create_tx {
	const struct config *cfg;
	long long length;
	const char *const *p;  /* stmt_create's: id, length, metadata, meta, token, expiry */
	long long held_token, held_total;
	char *expires;
	size_t elen;
};

/* Inside one transaction: the quota lock, what unfinished uploads hold, the new row. Over a
 * quota: SP_ETOOBIG, nothing created. */
static int
tus_create_tx(struct db_conn *c, void *arg, struct err *err)
{
	struct tus_create_tx *t = arg;
	const char *pq[1] = { t->p[4] };
	PGresult *r;
	int rc;

	if ((rc = db_query(c, &stmt_quota_lock, NULL, NULL, err)) < 0 ||
	    (rc = db_query(c, &stmt_quota_held, pq, &r, err)) < 0)
		return rc;
	t->held_token = db_ll(r, 0, 0);
	t->held_total = db_ll(r, 0, 1);
	PQclear(r);
	if (t->held_token + t->length > t->cfg->upload_quota_token)
		return err_set(err, SP_ETOOBIG, "Upload-Length %lld: this token's unfinished uploads "
		    "already hold %lld bytes, and its quota is %ld (--upload-quota-token)", t->length,
		    t->held_token, t->cfg->upload_quota_token);
	if (t->held_total + t->length > t->cfg->upload_quota_total)
		return err_set(err, SP_ETOOBIG, "Upload-Length %lld: unfinished uploads already hold "
		    "%lld bytes, and the receiver's quota is %ld (--upload-quota-total)", t->length,
		    t->held_total, t->cfg->upload_quota_total);
	if ((rc = db_query(c, &stmt_create, t->p, &r, err)) < 0)
		return rc;
	snprintf(t->expires, t->elen, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return 0;
}

static int
tus_create_row(struct request *req, struct tus_stream *s, char *expires, size_t elen)
{
	const char *len = request_header(req, "Upload-Length");
	const char *md = request_header(req, "Upload-Metadata");
	char exp[16], *metatext;
	json_t *meta = NULL;
	struct err err;
	unsigned char raw[16];
	struct statvfs fs;
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
	if (statvfs(req->srv->uploads_root, &fs) == 0 &&
	    (unsigned long long)s->length > (unsigned long long)fs.f_bavail * fs.f_frsize) {
		json_decref(meta);
		return tus_error(req, 507, "no_space", "Upload-Length %lld: the receiver has %llu bytes "
		    "free", s->length, (unsigned long long)fs.f_bavail * fs.f_frsize), -1;
	}
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(s->id, sizeof(s->id), raw, sizeof(raw));
	metatext = json_dumps(meta, JSON_COMPACT);
	json_decref(meta);
	snprintf(exp, sizeof(exp), "%ld", req->srv->cfg->upload_expiry);
	struct db_params q = { 0 };
	db_param_str(&q, s->id);
	db_param_ll(&q, s->length);
	db_param_str(&q, md ? md : "");
	db_param_str(&q, metatext);
	db_param_ll_if(&q, req->who.token_id != 0, req->who.token_id);
	db_param_str(&q, exp);
	struct tus_create_tx tx = { req->srv->cfg, s->length, q.v, 0, 0, expires, elen };
	rc = db_tx(req->srv->db, tus_create_tx, &tx, &err);
	free(metatext);
	if (rc == SP_ETOOBIG)
		return tus_error(req, 507, "quota_exceeded", "%s", err.msg), -1;
	if (rc < 0)
		return reply_err(req, &err), -1;
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
	int n;

	if (!tus_id_ok(req->params[0]))
		return reply_error(req, 404, "not_found", "no upload %s", req->params[0]);
	if ((n = db_exec(req->srv->db, &stmt_receipt, p, &r, &err)) < 0)
		return reply_err(req, &err);
	if (n == 0) {
		PQclear(r);
		return reply_error(req, 404, "not_found", "no upload %s", req->params[0]);
	}
	return reply_first_column(req, 200, r);
}
