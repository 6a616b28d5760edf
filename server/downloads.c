/* downloads: renditions and camera originals as files, sent from their descriptor (sendfile
 * over HTTP; over HTTPS read in 256 KiB blocks to be encrypted, never the whole file) with
 * Range (one range: 206 + Content-Range; unsatisfiable: 416 with "bytes * /size"; several
 * ranges are answered with the whole file, 200, which RFC 9110 allows),
 * a strong ETag made of the file's hash and size, If-None-Match (304), If-Range,
 * Last-Modified, Accept-Ranges and Content-Disposition. HEAD is answered by the same code
 * (libmicrohttpd leaves out the body).
 *
 * Only files the database names are served, and only from inside their root: the renditions
 * folder for renditions, the volume's mount on this host for originals. The path is opened and
 * then the descriptor's real path (/proc/self/fd) must lie under the root's real path, so no
 * "..", absolute path or symlink can lead out of it, whatever was planted on disk. A file whose
 * size on disk differs from the database's is refused with 409: its bytes are not the ones
 * the hash promises. */
#include "editorial.h"
#include "http.h"
#include "lib/custody/locate.h"
#include "lib/custody/confine.h"
#include "lib/store/auth.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>


/* What the database says about a file to send. */
struct dl_file {
	const char *what;       /* "rendition 12", for messages */
	const char *root;       /* folder it must be inside */
	const char *rel;        /* path relative to root */
	long long size;         /* bytes the database recorded */
	const char *hash;       /* hex digest, for the ETag */
	const char *filename;   /* the name offered to the client */
};

static const struct db_stmt stmt_rendition = { "downloads_rendition",
	"SELECT r.state, r.rel_path, r.size, r.xxh64, r.profile FROM renditions r WHERE r.id = $1", 1 };

/* Verified copies of a file on this host, the xxh64 first when there are several hashes. */
static const struct db_stmt stmt_original = { "downloads_original",
	"SELECT m.mount_path, cp.rel_path, f.size, (SELECT h.algorithm || '-' || h.value FROM hashes h"
	"  WHERE h.file_id = f.id ORDER BY h.algorithm <> 'xxh64', h.algorithm LIMIT 1), f.rel_path"
	" FROM files f LEFT JOIN (copies cp JOIN volume_mounts m ON m.volume_id = cp.volume_id"
	"  AND m.host = $2) ON cp.file_id = f.id AND cp.state = 'verified'"
	" WHERE f.id = $1 ORDER BY cp.verified_at, cp.id", 2 };

/* A relative path without "." or ".." parts and without a leading slash. */
static bool
dl_rel_ok(const char *rel)
{
	const char *s = rel;

	if (rel[0] == '/' || rel[0] == '\0')
		return false;
	while (*s) {
		size_t n = strcspn(s, "/");
		if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return false;
		s += n;
		s += *s == '/';
	}
	return true;
}

/* Opens root/rel for reading and checks the descriptor really is a regular file under root.
 * Returns the descriptor, or a negative SP_E* code with err filled. */
static int
dl_open_beneath(const struct dl_file *f, struct stat *st, struct err *err)
{
	char root[PATH_MAX], path[PATH_MAX * 2], link[64], real[PATH_MAX];
	size_t rl;
	ssize_t n;
	int fd;

	if (!dl_rel_ok(f->rel))
		return err_set(err, SP_EFORBIDDEN, "%s: path '%s' leaves its folder; refused", f->what,
		    f->rel);
	if (realpath(f->root, root) == NULL)
		return err_set(err, SP_ENOTFOUND, "%s: its folder %s is not there", f->what, f->root);
	snprintf(path, sizeof(path), "%s/%s", root, f->rel);
	/* O_NONBLOCK: a FIFO planted in place of the file must not hang the thread. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
		return err_set(err, errno == ENOENT ? SP_ENOTFOUND : SP_EIO, "%s: cannot open %s: %s",
		    f->what, f->rel, strerror(errno));
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, real, sizeof(real) - 1);
	rl = strlen(root);
	if (n < 0 || (real[n] = '\0', strncmp(real, root, rl) != 0) ||
	    (real[rl] != '/' && strcmp(root, "/") != 0)) {
		close(fd);
		return err_set(err, SP_EFORBIDDEN, "%s: %s leads out of its folder; refused", f->what,
		    f->rel);
	}
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return err_set(err, SP_EFORBIDDEN, "%s: %s is not a regular file; refused", f->what,
		    f->rel);
	}
	if (st->st_size != f->size) {
		close(fd);
		return err_set(err, SP_ECONFLICT, "%s: %s is %lld bytes on disk but %lld were recorded; "
		    "not served (the file changed since it was registered)", f->what, f->rel,
		    (long long)st->st_size, f->size);
	}
	return fd;
}

/* A single byte range of a file of `size` bytes. */
enum dl_range { DL_FULL, DL_PART, DL_UNSATISFIABLE };

static enum dl_range
dl_range_parse(const char *h, uint64_t size, uint64_t *from, uint64_t *to)
{
	unsigned long long a, b;
	char *end;

	if (h == NULL || strncmp(h, "bytes=", 6) != 0 || strchr(h, ','))
		return DL_FULL;     /* not bytes, or several ranges: the whole file */
	h += 6;
	while (*h == ' ')
		h++;
	errno = 0;
	if (*h == '-') {        /* suffix: the last N bytes */
		if (h[1] < '0' || h[1] > '9')
			return DL_FULL;
		b = strtoull(h + 1, &end, 10);
		if (*end || errno)
			return DL_FULL;
		if (b == 0 || size == 0)
			return DL_UNSATISFIABLE;
		*from = b >= size ? 0 : size - b;
		*to = size - 1;
		return DL_PART;
	}
	if (*h < '0' || *h > '9')
		return DL_FULL;
	a = strtoull(h, &end, 10);
	if (errno || *end != '-')
		return DL_FULL;
	h = end + 1;
	if (*h == '\0') {
		b = UINT64_MAX;
	} else {
		if (*h < '0' || *h > '9')
			return DL_FULL;
		b = strtoull(h, &end, 10);
		if (*end || errno || b < a)
			return DL_FULL;     /* invalid: ignored, as RFC 9110 says */
	}
	if (a >= size)
		return DL_UNSATISFIABLE;
	*from = a;
	*to = b >= size ? size - 1 : b;
	return DL_PART;
}

/* True when one of the entity tags in an If-None-Match list is ours (weak comparison). */
static bool
dl_etag_in_list(const char *list, const char *etag)
{
	const char *s = list;
	size_t el = strlen(etag);

	if (strcmp(list, "*") == 0)
		return true;
	while ((s = strstr(s, etag)) != NULL) {
		if (s[el] == '\0' || s[el] == ',' || s[el] == ' ')
			return true;
		s += el;
	}
	return false;
}

/* Content-Disposition with an ASCII fallback and RFC 8187 filename* for the real name. */
static void
dl_disposition(const char *name, char *out, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	char ascii[512], enc[1600];
	size_t a = 0, e = 0;
	bool plain = true;

	for (const unsigned char *s = (const unsigned char *)name; *s && a < sizeof(ascii) - 1; s++) {
		bool ok = *s >= 0x20 && *s < 0x7f && *s != '"' && *s != '\\';
		plain &= ok;
		if ((*s & 0xc0) != 0x80)    /* one '_' per UTF-8 character, not per byte */
			ascii[a++] = ok ? (char)*s : '_';
	}
	ascii[a] = '\0';
	if (plain) {
		snprintf(out, len, "attachment; filename=\"%s\"", ascii);
		return;
	}
	for (const unsigned char *s = (const unsigned char *)name; *s && e < sizeof(enc) - 4; s++) {
		if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    strchr("!#$&+-.^_`|~", *s)) {
			enc[e++] = (char)*s;
		} else {
			enc[e++] = '%';
			enc[e++] = hex[*s >> 4];
			enc[e++] = hex[*s & 15];
		}
	}
	enc[e] = '\0';
	snprintf(out, len, "attachment; filename=\"%s\"; filename*=UTF-8''%s", ascii, enc);
}

static const char *
dl_content_type(const char *name)
{
	const char *dot = strrchr(name, '.');

	if (dot && strcasecmp(dot, ".mp4") == 0)
		return "video/mp4";
	if (dot && strcasecmp(dot, ".mov") == 0)
		return "video/quicktime";
	if (dot && strcasecmp(dot, ".mxf") == 0)
		return "application/mxf";
	if (dot && strcasecmp(dot, ".wav") == 0)
		return "audio/wav";
	return "application/octet-stream";
}

static void
dl_headers(struct MHD_Response *resp, const char *etag, const char *lastmod, const char *disp)
{
	MHD_add_response_header(resp, "ETag", etag);
	MHD_add_response_header(resp, "Last-Modified", lastmod);
	MHD_add_response_header(resp, "Accept-Ranges", "bytes");
	MHD_add_response_header(resp, "Cache-Control", "private, no-cache");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (disp)
		MHD_add_response_header(resp, "Content-Disposition", disp);
}

/* Over TLS libmicrohttpd cannot sendfile: it reads a file response 4 KiB at a time and sends
 * each piece as its own TLS record, one event-loop turn each. Reading blocks of DL_TLS_BLOCK
 * from the descriptor instead (still never the whole file) lets it send full 16 KiB records. */
#define DL_TLS_BLOCK (256 * 1024)

struct dl_reader {
	int fd;
	uint64_t from;
};

static ssize_t
dl_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct dl_reader *r = cls;
	ssize_t n;

	do
		n = pread(r->fd, buf, max, (off_t)(r->from + pos));
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	return n < 0 ? MHD_CONTENT_READER_END_WITH_ERROR : n;
}

static void
dl_reader_free(void *cls)
{
	struct dl_reader *r = cls;

	close(r->fd);
	free(r);
}

/* A response of len bytes of fd from offset; takes ownership of fd (closed on failure too). */
static struct MHD_Response *
dl_response(struct request *req, int fd, uint64_t from, uint64_t len)
{
	struct MHD_Response *resp;
	struct dl_reader *r;

	if (!req->srv->tls || len == 0) {
		if ((resp = MHD_create_response_from_fd_at_offset64(len, fd, from)) == NULL)
			close(fd);
		return resp;
	}
	if ((r = malloc(sizeof(*r))) == NULL) {
		close(fd);
		return NULL;
	}
	*r = (struct dl_reader){ fd, from };
	if ((resp = MHD_create_response_from_callback(len, DL_TLS_BLOCK, dl_read, r,
	    dl_reader_free)) == NULL)
		dl_reader_free(r);
	return resp;
}

/* Answers a conditional or ranged GET/HEAD of an opened file; takes ownership of fd. */
static enum MHD_Result
dl_reply(struct request *req, const struct dl_file *f, int fd, const struct stat *st)
{
	char etag[200], lastmod[64], disp[2200], cr[96];
	const char *inm = request_header(req, "If-None-Match");
	const char *range = request_header(req, "Range"), *ifr = request_header(req, "If-Range");
	uint64_t size = (uint64_t)st->st_size, from = 0, to = 0;
	struct MHD_Response *resp;
	enum dl_range kind = DL_FULL;
	struct tm tm;

	snprintf(etag, sizeof(etag), "\"%s-%llx\"", f->hash, f->size);
	gmtime_r(&st->st_mtime, &tm);
	strftime(lastmod, sizeof(lastmod), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (inm && dl_etag_in_list(inm, etag)) {
		close(fd);
		resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		if (resp == NULL)
			return MHD_NO;
		dl_headers(resp, etag, lastmod, NULL);
		return reply_response(req, 304, resp);
	}
	/* If-Range: the range only if the client's copy is this one (strong ETag or exact date). */
	if (range && (ifr == NULL || strcmp(ifr, etag) == 0 || strcmp(ifr, lastmod) == 0))
		kind = dl_range_parse(range, size, &from, &to);
	if (kind == DL_UNSATISFIABLE) {
		close(fd);
		snprintf(cr, sizeof(cr), "bytes */%" PRIu64, size);
		resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		if (resp == NULL)
			return MHD_NO;
		dl_headers(resp, etag, lastmod, NULL);
		MHD_add_response_header(resp, "Content-Range", cr);
		return reply_response(req, 416, resp);
	}
	if (kind == DL_FULL) {
		from = 0;
		to = size - 1;  /* wraps for an empty file: the length below is 0 */
	}
	if ((resp = dl_response(req, fd, from, size ? to - from + 1 : 0)) == NULL)
		return MHD_NO;
	dl_disposition(f->filename, disp, sizeof(disp));
	dl_headers(resp, etag, lastmod, disp);
	MHD_add_response_header(resp, "Content-Type", dl_content_type(f->filename));
	if (kind == DL_PART) {
		snprintf(cr, sizeof(cr), "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, from, to, size);
		MHD_add_response_header(resp, "Content-Range", cr);
	}
	return reply_response(req, kind == DL_PART ? 206 : 200, resp);
}

static enum MHD_Result
dl_send(struct request *req, const struct dl_file *f)
{
	struct stat st;
	struct err err;
	int fd;

	if ((fd = dl_open_beneath(f, &st, &err)) < 0)
		return reply_err(req, &err);
	return dl_reply(req, f, fd, &st);
}

enum MHD_Result
renditions_file_get(struct request *req)
{
	char root[PATH_MAX], what[48], name[512];
	const char *p[1] = { req->params[0] }, *rel, *slash;
	struct dl_file f;
	struct err err;
	enum MHD_Result res;
	PGresult *r;
	long long id;
	int n;

	if (!request_param_id(req, 0, &id))
		return MHD_YES;
	if (config_renditions_dir(req->srv->cfg, root, sizeof(root), &err) < 0)
		return reply_err(req, &err);
	if ((n = db_exec(req->srv->db, &stmt_rendition, p, &r, &err)) < 0)
		return reply_err(req, &err);
	snprintf(what, sizeof(what), "rendition %lld", id);
	if (n == 0 || strcmp(PQgetvalue(r, 0, 0), "done") != 0 || PQgetisnull(r, 0, 1) ||
	    PQgetisnull(r, 0, 2)) {
		res = n == 0 ? reply_error(req, 404, "not_found", "%s not found", what) :
		    reply_error(req, 409, "conflict", "%s is not ready (%s)", what, PQgetvalue(r, 0, 0));
		PQclear(r);
		return res;
	}
	rel = PQgetvalue(r, 0, 1);
	slash = strrchr(rel, '/');
	snprintf(name, sizeof(name), "%s", slash ? slash + 1 : rel);
	f = (struct dl_file){ what, root, rel, strtoll(PQgetvalue(r, 0, 2), NULL, 10),
		PQgetvalue(r, 0, 3), name };
	res = dl_send(req, &f);
	PQclear(r);
	return res;
}

/* Whether the caller's role is one SETPOST_ORIGINALS_ROLES names (admin by default): an
 * original is the production's master, not a proxy. */
static bool
downloads_originals_allowed(const struct request *req)
{
	const char *s = req->srv->cfg->originals_roles;
	char name[16];

	while (s && *s) {
		size_t n = strcspn(s, ", ");
		snprintf(name, sizeof(name), "%.*s", (int)(n < 15 ? n : 15), s);
		if (n > 0 && auth_role_from_name(name) == req->who.role)
			return true;
		s += n + (s[n] != '\0');
	}
	return false;
}

/* 0 when the copy, symlinks resolved, lies under a declared volume and outside
 * the data folder; SP_ENOTFOUND when it is not there; SP_EFORBIDDEN otherwise. */
static int
downloads_confined(struct request *req, const char *root, const char *rel, struct err *err)
{
	char path[PATH_MAX * 2], real[PATH_MAX];
	bool ok;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if (realpath(path, real) == NULL)
		return err_set(err, SP_ENOTFOUND, "not there");
	if ((rc = confine_real_ok(req->srv->db, real, req->srv->cfg->data_dir, &ok, err)) < 0)
		return rc;
	return ok ? 0 : err_set(err, SP_EFORBIDDEN, "its copy is not under a declared volume; not "
	    "served (%s)", CONFINE_HINT);
}

/* Originals: the first verified copy on this host that opens. */
enum MHD_Result
files_content_get(struct request *req)
{
	char host[256], what[48], name[512];
	const char *p[2] = { req->params[0], host }, *slash;
	struct err err;
	enum MHD_Result res = MHD_NO;
	PGresult *r;
	long long id;
	int n, fd = SP_ENOTFOUND, tried = 0;

	if (!request_param_id(req, 0, &id))
		return MHD_YES;
	locate_host(host, sizeof(host));
	if ((n = db_exec(req->srv->db, &stmt_original, p, &r, &err)) < 0)
		return reply_err(req, &err);
	snprintf(what, sizeof(what), "file %lld", id);
	if (n == 0) {
		PQclear(r);
		return reply_error(req, 404, "not_found", "%s not found", what);
	}
	/* The route admits admin and post; which of them get originals is the site's choice (a
	 * file's metadata is no secret: GET /files/{id} says as much as this 404). */
	if (!downloads_originals_allowed(req)) {
		PQclear(r);
		return reply_error(req, 403, "forbidden", "originals are served only to the roles "
		    "in SETPOST_ORIGINALS_ROLES (%s)", req->srv->cfg->originals_roles);
	}
	slash = strrchr(PQgetvalue(r, 0, 4), '/');
	snprintf(name, sizeof(name), "%s", slash ? slash + 1 : PQgetvalue(r, 0, 4));
	for (int i = 0; i < n && !PQgetisnull(r, i, 0); i++) {
		struct dl_file f = { what, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
			strtoll(PQgetvalue(r, i, 2), NULL, 10), PQgetisnull(r, i, 3) ? "none" :
			PQgetvalue(r, i, 3), name };
		struct stat st;
		tried++;
		/* Only under a declared volume, never in the data folder (lib/custody/confine). */
		if ((fd = downloads_confined(req, f.root, f.rel, &err)) == 0 &&
		    (fd = dl_open_beneath(&f, &st, &err)) >= 0) {
			res = dl_reply(req, &f, fd, &st);
			break;
		}
		if (fd != SP_ENOTFOUND && fd != SP_EIO)
			break;
	}
	if (fd < 0 && (fd != SP_ENOTFOUND || tried == 0))
		res = tried == 0 ? reply_error(req, 404, "not_found", "%s: no verified copy on host "
		    "%s", what, host) : reply_err(req, &err);
	else if (fd < 0)
		res = reply_error(req, 404, "not_found", "%s: none of its %d verified copies on host %s "
		    "can be read", what, tried, host);
	PQclear(r);
	return res;
}
