/* pull: mirror a server's dailies into a folder (see pull.h). */
#include "lib/delivery/pull.h"
#include "lib/core/clock.h"
#include "lib/core/buf.h"
#include "lib/core/hash.h"
#include "lib/core/safe_name.h"

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PULL_STATE ".setpost-pull.json"
#define PULL_PAGE "500"
#define PULL_JSON_MAX (64u << 20)
#define PULL_READ (1u << 20)
/* Written data is handed to the disk every PULL_FLUSH bytes while the rest still comes, so the
 * flush before the rename has little left to wait for. */
#define PULL_FLUSH (32u << 20)

struct pull {
	struct pull_opts o;
	CURL *curl;
	struct curl_slist *auth;
	/* {"files": {rel: {"size": n, "xxh64": "..."}}, "parts": {rel: etag of a .part}} */
	json_t *state;
	char state_path[PATH_MAX];
	char position[1024];
	uint64_t done, total;           /* progress of the pass */
	const char *name;
	double last_note;
};

/* One file being received. */
struct pull_xfer {
	struct pull *p;
	int fd;
	struct hash_ctx h;
	uint64_t offset;                /* bytes of the .part before this request */
	uint64_t written;               /* bytes in the .part now */
	uint64_t flushed;               /* bytes handed to the disk (sync_file_range) */
	long long range_start;          /* from Content-Range, -1 when none */
	bool started;
	bool bad_range;
	int werrno;
	struct buf errbody;
	uint64_t received;
};

static void
pull_note(struct pull *p, bool problem, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
pull_note(struct pull *p, bool problem, const char *fmt, ...)
{
	char line[1200];
	va_list ap;

	if (p->o.note == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	p->o.note(p->o.arg, problem, line);
}

/* --- state ------------------------------------------------------------------------------- */

static void
pull_state_load(struct pull *p)
{
	json_t *j = json_load_file(p->state_path, 0, NULL);

	if (!json_is_object(j) || !json_is_object(json_object_get(j, "files"))) {
		json_decref(j);
		j = json_pack("{s:i,s:{}}", "version", 1, "files");
	}
	if (!json_is_object(json_object_get(j, "parts")))
		json_object_set_new(j, "parts", json_object());
	p->state = j;
}

/* Written to a temporary file and renamed: a kill leaves the old or the new state. */
static int
pull_state_save(struct pull *p, struct err *err)
{
	char tmp[PATH_MAX + 8];

	snprintf(tmp, sizeof(tmp), "%s.tmp", p->state_path);
	if (json_dump_file(p->state, tmp, JSON_COMPACT) != 0 || rename(tmp, p->state_path) < 0)
		return err_set(err, SP_EIO, "%s: cannot write: %s", p->state_path, strerror(errno));
	return 0;
}

static bool
pull_state_has(struct pull *p, const char *rel, long long size, const char *xxh)
{
	json_t *f = json_object_get(json_object_get(p->state, "files"), rel);

	return f && json_integer_value(json_object_get(f, "size")) == size &&
	    json_is_string(json_object_get(f, "xxh64")) &&
	    strcmp(json_string_value(json_object_get(f, "xxh64")), xxh) == 0;
}

/* Records what rel holds: its bytes, and the rendition (of which clip and profile) it is, so
 * a later version of the same proxy can take the name over. */
static void
pull_state_set(struct pull *p, const char *rel, long long size, const char *xxh, json_t *it)
{
	json_t *f = json_pack("{s:I,s:s,s:I}", "size", (json_int_t)size, "xxh64", xxh, "rendition",
	    json_integer_value(json_object_get(it, "id")));
	json_t *clip = json_object_get(json_object_get(it, "clip"), "id");
	json_t *prof = json_object_get(it, "profile");

	if (json_is_integer(clip) && json_is_string(prof)) {
		json_object_set(f, "clip", clip);
		json_object_set(f, "profile", prof);
	}
	json_object_set_new(json_object_get(p->state, "files"), rel, f);
}

/* True when item it is a later version (a higher rendition id) of the same clip and profile
 * as the rendition recorded at rel: a proxy made again after a look change. */
static bool
pull_state_newer(struct pull *p, const char *rel, json_int_t owner, json_t *it)
{
	json_t *f = json_object_get(json_object_get(p->state, "files"), rel);
	json_t *clip = json_object_get(json_object_get(it, "clip"), "id");
	json_t *prof = json_object_get(it, "profile");

	return f && json_is_integer(clip) && json_is_string(prof) &&
	    json_integer_value(json_object_get(it, "id")) > owner &&
	    json_integer_value(json_object_get(f, "clip")) == json_integer_value(clip) &&
	    json_is_string(json_object_get(f, "profile")) &&
	    strcmp(json_string_value(json_object_get(f, "profile")), json_string_value(prof)) == 0;
}

/* The rendition that owns the name rel here, or 0. */
static json_int_t
pull_state_owner(struct pull *p, const char *rel)
{
	return json_integer_value(json_object_get(json_object_get(json_object_get(p->state,
	    "files"), rel), "rendition"));
}

/* A .part records the ETag of the file it was begun from, before its first byte is fetched. */
static bool
pull_part_is(struct pull *p, const char *rel, const char *etag)
{
	json_t *e = json_object_get(json_object_get(p->state, "parts"), rel);

	return json_is_string(e) && strcmp(json_string_value(e), etag) == 0;
}

static int
pull_part_begin(struct pull *p, const char *rel, const char *etag, struct err *err)
{
	if (pull_part_is(p, rel, etag))
		return 0;
	json_object_set_new(json_object_get(p->state, "parts"), rel, json_string(etag));
	return pull_state_save(p, err);
}

/* --- HTTP -------------------------------------------------------------------------------- */

static int
pull_xferinfo(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow)
{
	struct pull *p = arg;
	double now;

	(void)dltotal, (void)ultotal, (void)ulnow, (void)dlnow;
	if (p->o.stop && *p->o.stop)
		return 1;
	now = clock_now();
	if (p->o.progress && p->name && now - p->last_note >= 0.2) {
		curl_off_t speed = 0;
		struct pull_progress pr;
		curl_easy_getinfo(p->curl, CURLINFO_SPEED_DOWNLOAD_T, &speed);
		pr = (struct pull_progress){ p->done, p->total, (double)speed, p->name };
		p->last_note = now;
		p->o.progress(p->o.arg, &pr);
	}
	return 0;
}

/* Resets the handle (keeping its connections) and sets what every request shares. */
static void
pull_common(struct pull *p, const char *url)
{
	CURL *c = p->curl;

	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, p->auth);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "setpost-pull");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 20L);
	/* A stalled server: under 1 byte/s for a minute ends the request. */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, pull_xferinfo);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, p);
	if (p->o.cacert)
		curl_easy_setopt(c, CURLOPT_CAINFO, p->o.cacert);
	if (p->o.insecure) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
}

static int
pull_curl_err(struct pull *p, CURLcode rc, const char *what, struct err *err)
{
	if (rc == CURLE_ABORTED_BY_CALLBACK && p->o.stop && *p->o.stop)
		return err_set(err, SP_ECANCELED, "stopped");
	return err_set(err, SP_EUNAVAIL, "%s: %s", what, curl_easy_strerror(rc));
}

static size_t
pull_on_buf(char *data, size_t size, size_t n, void *arg)
{
	return buf_append(arg, data, size * n) < 0 ? 0 : size * n;
}

/* "404: message" from a setpost error body, or the status alone. */
static void
pull_describe(long status, const struct buf *b, char *out, size_t len)
{
	json_t *j = b->len ? json_loadb(b->data, b->len, 0, NULL) : NULL;
	const char *msg = json_string_value(json_object_get(json_object_get(j, "error"), "message"));

	snprintf(out, len, "HTTP %ld%s%s", status, msg ? ": " : "", msg ? msg : "");
	json_decref(j);
}

/* GET path (with query) into out; SP_E* for a failure or a status other than 200. */
static int
pull_get(struct pull *p, const char *path, struct buf *out, struct err *err)
{
	char url[4096], why[700];
	long status = 0;
	CURLcode rc;

	snprintf(url, sizeof(url), "%s%s", p->o.url, path);
	pull_common(p, url);
	curl_easy_setopt(p->curl, CURLOPT_WRITEFUNCTION, pull_on_buf);
	curl_easy_setopt(p->curl, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(p->curl, CURLOPT_TIMEOUT, 120L);
	if ((rc = curl_easy_perform(p->curl)) != CURLE_OK)
		return pull_curl_err(p, rc, url, err);
	curl_easy_getinfo(p->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		pull_describe(status, out, why, sizeof(why));
		return err_set(err, status == 401 || status == 403 ? SP_EAUTH : status == 404 ?
		    SP_ENOTFOUND : SP_EUNAVAIL, "GET %s: %s", path, why);
	}
	return 0;
}

static int
pull_get_json(struct pull *p, const char *path, json_t **out, struct err *err)
{
	struct buf b = BUF_INIT(PULL_JSON_MAX);
	int rc = pull_get(p, path, &b, err);

	*out = NULL;
	if (rc == 0 && (*out = json_loadb(b.data, b.len, 0, NULL)) == NULL)
		rc = err_set(err, SP_EUNAVAIL, "GET %s: not JSON", path);
	buf_release(&b);
	return rc;
}

/* --- files ------------------------------------------------------------------------------- */

/* A path component from the server, made safe by the one sanitiser for names that become
 * paths (lib/core/safe_name.h). */
static void
pull_component(const char *s, char *out, size_t len)
{
	safe_name(s, "_", out, len);
}

static int
pull_mkdirs(const char *dest, const char *a, const char *b, struct err *err)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dest, a);
	if (mkdir(path, 0777) < 0 && errno != EEXIST)
		return err_set(err, err_from_errno(errno), "%s: %s", path, strerror(errno));
	if (b == NULL)
		return 0;
	snprintf(path, sizeof(path), "%s/%s/%s", dest, a, b);
	if (mkdir(path, 0777) < 0 && errno != EEXIST)
		return err_set(err, err_from_errno(errno), "%s: %s", path, strerror(errno));
	return 0;
}

/* Feeds the first len bytes of fd to h. */
static int
pull_hash_prefix(int fd, uint64_t len, struct hash_ctx *h, const char *name, struct err *err)
{
	char *b = malloc(PULL_READ);
	uint64_t off = 0;

	if (b == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	while (off < len) {
		size_t want = len - off < PULL_READ ? (size_t)(len - off) : PULL_READ;
		ssize_t n = pread(fd, b, want, (off_t)off);
		if (n <= 0) {
			free(b);
			return err_set(err, SP_EIO, "%s: cannot read: %s", name, n < 0 ? strerror(errno) :
			    "shorter than expected");
		}
		hash_update(h, b, (size_t)n);
		off += (uint64_t)n;
	}
	free(b);
	return 0;
}

static size_t
pull_on_header(char *data, size_t size, size_t n, void *arg)
{
	struct pull_xfer *x = arg;
	size_t len = size * n;

	if (len > 20 && strncasecmp(data, "Content-Range:", 14) == 0) {
		const char *s = data + 14;
		while (*s == ' ')
			s++;
		if (strncmp(s, "bytes ", 6) == 0 && s[6] >= '0' && s[6] <= '9')
			x->range_start = strtoll(s + 6, NULL, 10);
	}
	return len;
}

static size_t
pull_on_body(char *data, size_t size, size_t n, void *arg)
{
	struct pull_xfer *x = arg;
	size_t len = size * n, off = 0;
	long status = 0;

	curl_easy_getinfo(x->p->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200 && status != 206) {
		buf_append(&x->errbody, data, len);     /* an error body, kept up to its cap */
		return len;
	}
	if (!x->started) {
		x->started = true;
		if (status == 200 && x->offset > 0) {
			/* The server's file is not the one the .part began: start over. */
			if (ftruncate(x->fd, 0) < 0) {
				x->werrno = errno;
				return 0;
			}
			hash_release(&x->h);
			if (hash_init(&x->h, HASH_BIT(HASH_XXH64), NULL) < 0)
				return 0;
			x->p->done -= x->offset;
			x->offset = x->written = x->flushed = 0;
		} else if (status == 206 && x->range_start != (long long)x->offset) {
			x->bad_range = true;
			return 0;
		}
	}
	if (x->p->o.bytes_log_fd >= 0) {
		char line[32];
		int l = snprintf(line, sizeof(line), "%zu\n", len);
		if (write(x->p->o.bytes_log_fd, line, (size_t)l) < 0)
			x->werrno = errno;
	}
	x->received += len;
	hash_update(&x->h, data, len);
	while (off < len) {
		ssize_t w = pwrite(x->fd, data + off, len - off, (off_t)(x->written + off));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			x->werrno = w < 0 ? errno : EIO;
			return 0;
		}
		off += (size_t)w;
	}
	x->written += len;
	x->p->done += len;
	if (x->written - x->flushed >= PULL_FLUSH) {
		/* Starts the write-back without waiting for it. */
		sync_file_range(x->fd, (off_t)x->flushed, (off_t)(x->written - x->flushed),
		    SYNC_FILE_RANGE_WRITE);
		x->flushed = x->written;
	}
	return len;
}

/* Fetches the rest of the .part (from x->written) with Range and If-Range. */
static int
pull_fetch(struct pull *p, struct pull_xfer *x, const char *url, const char *etag,
    long long size, const char *rel, struct err *err)
{
	struct curl_slist *h = NULL;
	char range[64], ifr[256], why[700];
	long status = 0;
	CURLcode rc;
	int ret = 0;

	pull_common(p, url);
	for (struct curl_slist *a = p->auth; a; a = a->next)
		h = curl_slist_append(h, a->data);
	if (x->written > 0) {
		snprintf(range, sizeof(range), "Range: bytes=%llu-", (unsigned long long)x->written);
		snprintf(ifr, sizeof(ifr), "If-Range: %s", etag);
		h = curl_slist_append(h, range);
		h = curl_slist_append(h, ifr);
	}
	curl_easy_setopt(p->curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(p->curl, CURLOPT_WRITEFUNCTION, pull_on_body);
	curl_easy_setopt(p->curl, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(p->curl, CURLOPT_HEADERFUNCTION, pull_on_header);
	curl_easy_setopt(p->curl, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(p->curl, CURLOPT_BUFFERSIZE, (long)CURL_MAX_READ_SIZE);
	if (p->o.max_speed) {
		/* libcurl (7.88) paces between bursts, and over plain HTTP a burst is up to 100
		 * reads of the buffer while the socket has data: with a 10 MB buffer a whole proxy
		 * arrives before the first pause, and each file is a new transfer with its own pace
		 * (HTTPS stops a burst when no TLS record is pending, which is why it held there). A
		 * buffer of a thousandth of a second's worth makes a burst a tenth of one. */
		uint64_t b = p->o.max_speed / 1000;
		curl_easy_setopt(p->curl, CURLOPT_BUFFERSIZE, (long)(b < 1024 ? 1024 : b >
		    CURL_MAX_READ_SIZE ? CURL_MAX_READ_SIZE : b));
		curl_easy_setopt(p->curl, CURLOPT_MAX_RECV_SPEED_LARGE, (curl_off_t)p->o.max_speed);
	}
	x->offset = x->written;
	rc = curl_easy_perform(p->curl);
	curl_easy_getinfo(p->curl, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	if (x->werrno)
		ret = err_set(err, err_from_errno(x->werrno), "%s.part: cannot write: %s", rel,
		    strerror(x->werrno));
	else if (x->bad_range)
		ret = err_set(err, SP_EUNAVAIL, "%s: the server sent another range than asked", rel);
	else if (rc != CURLE_OK)
		ret = pull_curl_err(p, rc, rel, err);
	else if (status != 200 && status != 206) {
		pull_describe(status, &x->errbody, why, sizeof(why));
		ret = err_set(err, status == 409 ? SP_EMISMATCH : status == 404 ? SP_ENOTFOUND :
		    SP_EUNAVAIL, "%s: %s", rel, why);
	} else if (x->written != (uint64_t)size)
		ret = err_set(err, SP_EMISMATCH, "%s: %llu bytes came, the feed says %lld", rel,
		    (unsigned long long)x->written, size);
	return ret;
}

/* Brings one item of the feed to dest/rel, checking it. SP_EMISMATCH when its bytes are not
 * the feed's (kept aside as .bad). */
static int
pull_file(struct pull *p, const char *rel, const char *path, json_t *it, struct pull_stats *st,
    struct err *err)
{
	const char *xxh = json_string_value(json_object_get(it, "xxh64"));
	const char *etag = json_string_value(json_object_get(it, "etag"));
	const char *upath = json_string_value(json_object_get(it, "url"));
	long long size = json_integer_value(json_object_get(it, "size"));
	char part[PATH_MAX * 2 + 8], bad[PATH_MAX * 2 + 8], url[4096];
	struct pull_xfer x = { .p = p, .fd = -1, .range_start = -1 };
	struct hash_result res;
	struct stat sb;
	int rc;

	snprintf(part, sizeof(part), "%s.part", path);
	snprintf(bad, sizeof(bad), "%s.bad", path);
	snprintf(url, sizeof(url), "%s%s", p->o.url, upath);
	buf_init(&x.errbody, 8192);
	if ((rc = hash_init(&x.h, HASH_BIT(HASH_XXH64), err)) < 0)
		return rc;
	if ((x.fd = open(part, O_RDWR | O_CREAT | O_CLOEXEC, 0666)) < 0 || fstat(x.fd, &sb) < 0) {
		rc = err_set(err, err_from_errno(errno), "%s: %s", part, strerror(errno));
		goto out;
	}
	/* What an interrupted run left: hashed again, then continued, but only when it was begun
	 * from this very file (its ETag was recorded first); a .part of another version or of
	 * unknown origin starts over. */
	x.written = (uint64_t)sb.st_size;
	if (x.written > (uint64_t)size || !pull_part_is(p, rel, etag)) {
		if (ftruncate(x.fd, 0) < 0) {
			rc = err_set(err, SP_EIO, "%s: %s", part, strerror(errno));
			goto out;
		}
		x.written = 0;
	}
	if (x.written && (rc = pull_hash_prefix(x.fd, x.written, &x.h, part, err)) < 0)
		goto out;
	if (x.written == 0 && (rc = pull_part_begin(p, rel, etag, err)) < 0)
		goto out;
	p->done += x.written;
	p->name = rel;
	if (x.written < (uint64_t)size && (rc = pull_fetch(p, &x, url, etag, size, rel, err)) < 0)
		goto out;
	if ((rc = hash_final(&x.h, &res, err)) < 0)
		goto out;
	if (strcmp(res.v[HASH_XXH64].str, xxh) != 0) {
		rename(part, bad);
		json_object_del(json_object_get(p->state, "parts"), rel);
		pull_state_save(p, NULL);
		rc = err_set(err, SP_EMISMATCH, "%s: xxh64 is %s but the server says %s; refused, kept "
		    "aside as %s.bad", rel, res.v[HASH_XXH64].str, xxh, rel);
		goto out;
	}
	if (fdatasync(x.fd) < 0 || rename(part, path) < 0) {
		rc = err_set(err, SP_EIO, "%s: %s", path, strerror(errno));
		goto out;
	}
	pull_state_set(p, rel, size, xxh, it);
	json_object_del(json_object_get(p->state, "parts"), rel);
	rc = pull_state_save(p, err);
	st->fetched++;
out:
	st->bytes += x.received;
	if (x.fd >= 0)
		close(x.fd);
	hash_release(&x.h);
	buf_release(&x.errbody);
	return rc;
}

/* True when dest/rel is already the feed's file (state, else hashed once and recorded). */
static bool
pull_present(struct pull *p, const char *rel, const char *path, json_t *it)
{
	const char *xxh = json_string_value(json_object_get(it, "xxh64"));
	long long size = json_integer_value(json_object_get(it, "size"));
	struct hash_result res;
	struct stat sb;

	if (stat(path, &sb) < 0 || sb.st_size != size)
		return false;
	if (pull_state_has(p, rel, size, xxh))
		return true;
	if (hash_file(path, HASH_BIT(HASH_XXH64), &res, NULL) < 0 ||
	    strcmp(res.v[HASH_XXH64].str, xxh) != 0)
		return false;
	pull_state_set(p, rel, size, xxh, it);
	return pull_state_save(p, NULL) == 0;
}

/* GET path into DEST/<day>/<name>, replaced atomically. */
static int
pull_doc(struct pull *p, const char *path, const char *day, const char *name, struct err *err)
{
	struct buf b = BUF_INIT(PULL_JSON_MAX);
	char file[PATH_MAX], tmp[PATH_MAX + 8], safe[256];
	FILE *f;
	int rc;

	pull_component(name, safe, sizeof(safe));
	snprintf(file, sizeof(file), "%s/%s/%s", p->o.dest, day, safe);
	snprintf(tmp, sizeof(tmp), "%s.tmp", file);
	if ((rc = pull_get(p, path, &b, err)) == 0) {
		bool ok = (f = fopen(tmp, "wb")) != NULL && fwrite(b.data, 1, b.len, f) == b.len;
		if (f && fclose(f) != 0)
			ok = false;
		if (!ok || rename(tmp, file) < 0)
			rc = err_set(err, SP_EIO, "%s: %s", file, strerror(errno));
	}
	buf_release(&b);
	return rc;
}

/* Removes the files of an earlier pass that the index no longer lists, so an assistant never
 * imports a stale one. Only names pull writes there: ALEs (<day>.ale and <day>_*.ale; a day
 * at one rate, now at several: <day>.ale gives way to <day>_<rate>.ale) or, when ext is
 * ".cube", every cube in the day's folder (the looks changed). */
static void
pull_day_prune(struct pull *p, const char *day, json_t *files, const char *ext)
{
	char dir[PATH_MAX], path[PATH_MAX * 2];
	size_t dlen = strlen(day), elen = strlen(ext), i;
	bool ale = strcmp(ext, ".ale") == 0;
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/%s", p->o.dest, day);
	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		bool listed = false;
		json_t *f;
		if (n <= elen || strcmp(e->d_name + n - elen, ext) != 0)
			continue;
		if (ale && (strncmp(e->d_name, day, dlen) != 0 || (e->d_name[dlen] != '.' &&
		    e->d_name[dlen] != '_')))
			continue;
		json_array_foreach(files, i, f)
			listed |= json_is_string(json_object_get(f, "name")) &&
			    strcmp(json_string_value(json_object_get(f, "name")), e->d_name) == 0;
		if (!listed) {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
		}
	}
	closedir(d);
}

/* Fetches every file an index (GET q: {"files":[{"name","url"}]}) lists into the day's
 * folder, then removes those of ext it no longer lists. */
static int
pull_day_index(struct pull *p, const char *q, const char *day, const char *ext, struct err *err)
{
	json_t *idx = NULL, *files, *f;
	int rc = pull_get_json(p, q, &idx, err);
	size_t i;

	files = json_object_get(idx, "files");
	if (rc == 0 && !json_is_array(files))
		rc = err_set(err, SP_EUNAVAIL, "GET %s: no files in the answer", q);
	for (i = 0; rc == 0 && i < json_array_size(files); i++) {
		f = json_array_get(files, i);
		if (!json_is_string(json_object_get(f, "url")) ||
		    !json_is_string(json_object_get(f, "name"))) {
			rc = err_set(err, SP_EUNAVAIL, "GET %s: a file without url or name", q);
			break;
		}
		rc = pull_doc(p, json_string_value(json_object_get(f, "url")), day,
		    json_string_value(json_object_get(f, "name")), err);
	}
	if (rc == 0)
		pull_day_prune(p, day, files, ext);
	json_decref(idx);
	return rc;
}

/* Beside a day's folders: its ALEs (one per frame rate, as the server's index lists them,
 * naming the chosen profile's proxies), its timeline (<day>.otio, media relative to it), its
 * looks (<day>.ccc) and each look baked for post (<show>_<day>_<scene>_<look>.cube, the names
 * the ALE's LUT column and the .ccc's Descriptions give). */
static int
pull_day_docs(struct pull *p, long long day_id, const char *day, struct err *err)
{
	char q[256], name[300];
	char *prof = p->o.profile ? curl_easy_escape(p->curl, p->o.profile, 0) : NULL;
	int rc;

	snprintf(q, sizeof(q), "/api/v1/days/%lld/ales%s%s", day_id, prof ? "?profile=" : "",
	    prof ? prof : "");
	rc = pull_day_index(p, q, day, ".ale", err);
	if (rc == 0) {   /* the timeline, its media addressed relative to this folder */
		snprintf(q, sizeof(q), "/api/v1/days/%lld/otio%s%s", day_id, prof ? "?profile=" : "",
		    prof ? prof : "");
		snprintf(name, sizeof(name), "%s.otio", day);
		rc = pull_doc(p, q, day, name, err);
	}
	if (rc == 0) {
		snprintf(q, sizeof(q), "/api/v1/days/%lld/looks.ccc", day_id);
		snprintf(name, sizeof(name), "%s.ccc", day);
		rc = pull_doc(p, q, day, name, err);
		if (rc == SP_ENOTFOUND) {   /* a day without looks has no .ccc, not an empty one */
			char path[PATH_MAX];
			snprintf(path, sizeof(path), "%s/%s/%s", p->o.dest, day, name);
			unlink(path);
			rc = 0;
		}
	}
	if (rc == 0) {
		snprintf(q, sizeof(q), "/api/v1/days/%lld/cubes", day_id);
		rc = pull_day_index(p, q, day, ".cube", err);
	}
	curl_free(prof);
	return rc;
}

/* --- the pass ---------------------------------------------------------------------------- */

/* Appends the feed's items after since to items; leaves the position in p->position. */
static int
pull_list(struct pull *p, const char *since, json_t *items, struct err *err)
{
	char q[4096], *day = NULL, *prof = NULL, cursor[1024] = "";
	int rc = 0;

	if (p->o.day)
		day = curl_easy_escape(p->curl, p->o.day, 0);
	if (p->o.profile)
		prof = curl_easy_escape(p->curl, p->o.profile, 0);
	for (;;) {
		json_t *page, *next, *pos;
		/* Positions and cursors are base64url: nothing to escape. */
		snprintf(q, sizeof(q), "/api/v1/dailies?limit=" PULL_PAGE "%s%s%s%s%s%s",
		    day ? "&day=" : "", day ? day : "", prof ? "&profile=" : "", prof ? prof : "",
		    cursor[0] ? "&cursor=" : since ? "&since=" : "", cursor[0] ? cursor : since ?
		    since : "");
		if ((rc = pull_get_json(p, q, &page, err)) < 0)
			break;
		json_array_extend(items, json_object_get(page, "items"));
		pos = json_object_get(page, "position");
		if (json_is_string(pos))
			snprintf(p->position, sizeof(p->position), "%s", json_string_value(pos));
		next = json_object_get(page, "next_cursor");
		if (json_is_string(next))
			snprintf(cursor, sizeof(cursor), "%s", json_string_value(next));
		json_decref(page);
		if (!json_is_string(next))
			break;
	}
	curl_free(day);
	curl_free(prof);
	return rc;
}

/* The relative and full paths of an item: <day>/<card>/<file>. */
static void
pull_paths(struct pull *p, json_t *it, char *day, char *card, char *rel, size_t rlen, char *path,
    size_t plen)
{
	char file[512];

	pull_component(json_string_value(json_object_get(json_object_get(it, "day"), "date")), day,
	    64);
	pull_component(json_string_value(json_object_get(json_object_get(it, "card"), "label")), card,
	    160);
	pull_component(json_string_value(json_object_get(it, "filename")), file, sizeof(file));
	snprintf(rel, rlen, "%s/%s/%s", day, card, file);
	snprintf(path, plen, "%s/%s", p->o.dest, rel);
}

static bool
pull_item_ok(json_t *it)
{
	return json_is_string(json_object_get(it, "xxh64")) &&
	    json_is_string(json_object_get(it, "etag")) && json_is_string(json_object_get(it, "url")) &&
	    json_is_integer(json_object_get(it, "size")) &&
	    json_is_string(json_object_get(it, "filename"));
}

/* Two renditions (two profiles of a clip) whose files have the same name would overwrite each
 * other on every pass: the name stays with the one that has it, the other is skipped with a
 * note. A full listing (since NULL) that no longer has the owner releases the name, and so
 * does a later version of the owner's clip and profile (it supersedes the owner). */
static bool
pull_name_taken(struct pull *p, const char *since, json_t *listed, json_t *claimed,
    const char *rel, json_t *it)
{
	json_int_t id = json_integer_value(json_object_get(it, "id")), owner;
	char url[64];

	owner = json_integer_value(json_object_get(claimed, rel));
	if (owner == 0) {
		owner = pull_state_owner(p, rel);
		snprintf(url, sizeof(url), "/api/v1/renditions/%lld/file", (long long)owner);
		if (owner && since == NULL && json_object_get(listed, url) == NULL)
			owner = 0;
		if (owner && owner != id && pull_state_newer(p, rel, owner, it)) {
			pull_note(p, false, "%s: rendition %lld replaces rendition %lld (made again)", rel,
			    (long long)id, (long long)owner);
			owner = 0;
		}
	}
	if (owner && owner != id) {
		pull_note(p, true, "%s: rendition %lld (%s) has the same name as rendition %lld; "
		    "skipped (choose one with --profile)", rel, (long long)id,
		    json_string_value(json_object_get(it, "profile")), (long long)owner);
		return true;
	}
	json_object_set_new(claimed, rel, json_integer(id));
	return false;
}

int
pull_pass(struct pull *p, const char *since, struct pull_stats *st, struct err *err)
{
	json_t *items = json_array(), *days = json_object(), *todo = json_array(), *it;
	json_t *listed = json_object(), *claimed = json_object();
	char day[64], card[160], rel[PATH_MAX], path[PATH_MAX * 2];
	struct err ferr;
	int rc, bad = 0;
	size_t i;

	memset(st, 0, sizeof(*st));
	p->done = p->total = 0;
	if ((rc = pull_list(p, since, items, err)) < 0)
		goto out;
	json_array_foreach(items, i, it)
		if (pull_item_ok(it))
			json_object_set_new(listed, json_string_value(json_object_get(it, "url")),
			    json_true());
	json_array_foreach(items, i, it) {
		if (!pull_item_ok(it))
			continue;
		pull_paths(p, it, day, card, rel, sizeof(rel), path, sizeof(path));
		if (pull_name_taken(p, since, listed, claimed, rel, it))
			continue;
		json_object_set(days, day, json_object_get(json_object_get(it, "day"), "id"));
		if ((rc = pull_mkdirs(p->o.dest, day, card, err)) < 0)
			goto out;
		if (pull_present(p, rel, path, it)) {
			st->present++;
			continue;
		}
		json_array_append(todo, it);
		p->total += (uint64_t)json_integer_value(json_object_get(it, "size"));
	}
	json_array_foreach(todo, i, it) {
		pull_paths(p, it, day, card, rel, sizeof(rel), path, sizeof(path));
		if ((rc = pull_file(p, rel, path, it, st, &ferr)) == SP_EMISMATCH) {
			/* This file is refused; the others still come. */
			pull_note(p, true, "%s", ferr.msg);
			st->refused++;
			bad++;
			continue;
		}
		if (rc == SP_ENOTFOUND) {
			/* Gone from the server since the listing: the next pass will not list it. */
			pull_note(p, true, "%s (skipped)", ferr.msg);
			continue;
		}
		if (rc < 0) {
			*err = ferr;
			goto out;
		}
		pull_note(p, false, "%s", rel);
	}
	p->name = NULL;
	{
		const char *d;
		json_t *id;
		json_object_foreach(days, d, id)
			if ((rc = pull_day_docs(p, json_integer_value(id), d, err)) < 0)
				goto out;
	}
	rc = bad ? SP_EMISMATCH : 0;
	if (bad)
		err_set(err, SP_EMISMATCH, "%d file%s refused (their bytes did not match the server's "
		    "xxh64)", bad, bad == 1 ? "" : "s");
out:
	p->name = NULL;
	json_decref(items);
	json_decref(days);
	json_decref(todo);
	json_decref(listed);
	json_decref(claimed);
	return rc;
}

const char *
pull_position(const struct pull *p)
{
	return p->position;
}

/* --- events ------------------------------------------------------------------------------ */

int
pull_last_event(struct pull *p, long long *id, struct err *err)
{
	json_t *j;
	int rc;

	if ((rc = pull_get_json(p, "/api/v1/events?limit=1", &j, err)) < 0)
		return rc;
	*id = json_integer_value(json_object_get(json_array_get(json_object_get(j, "items"), 0), "id"));
	json_decref(j);
	return 0;
}

struct pull_sse {
	struct buf line;
	long long pending_id, *id;
	bool ready, in_ready;
};

static size_t
pull_on_sse(char *data, size_t size, size_t n, void *arg)
{
	struct pull_sse *s = arg;
	size_t len = size * n;

	for (size_t i = 0; i < len; i++) {
		if (data[i] != '\n') {
			if (buf_append(&s->line, data + i, 1) < 0)
				buf_reset(&s->line);
			continue;
		}
		buf_append(&s->line, "", 1);
		if (strncmp(s->line.data, "id: ", 4) == 0)
			s->pending_id = strtoll(s->line.data + 4, NULL, 10);
		else if (strcmp(s->line.data, "event: rendition.ready") == 0)
			s->in_ready = true;
		else if (s->line.data[0] == '\0') {
			if (s->pending_id > *s->id)
				*s->id = s->pending_id;
			s->ready |= s->in_ready;
			s->in_ready = false;
		}
		buf_reset(&s->line);
		if (s->ready)
			return 0;   /* enough: end the stream */
	}
	return len;
}

int
pull_wait(struct pull *p, long long *id, int seconds, struct err *err)
{
	struct pull_sse s = { .id = id };
	struct curl_slist *h = NULL;
	char url[4096];
	long status = 0;
	CURLcode rc;
	int ret;

	snprintf(url, sizeof(url), "%s/api/v1/events/stream?since=%lld", p->o.url, *id);
	pull_common(p, url);
	for (struct curl_slist *a = p->auth; a; a = a->next)
		h = curl_slist_append(h, a->data);
	h = curl_slist_append(h, "Accept: text/event-stream");
	buf_init(&s.line, 1 << 20);
	curl_easy_setopt(p->curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(p->curl, CURLOPT_WRITEFUNCTION, pull_on_sse);
	curl_easy_setopt(p->curl, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(p->curl, CURLOPT_TIMEOUT, (long)seconds);
	rc = curl_easy_perform(p->curl);
	curl_easy_getinfo(p->curl, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	buf_release(&s.line);
	if (s.ready)
		ret = 1;
	else if (rc == CURLE_OPERATION_TIMEDOUT)
		ret = 0;
	else if (rc != CURLE_OK)
		ret = pull_curl_err(p, rc, "event stream", err);
	else
		ret = err_set(err, SP_EUNAVAIL, "event stream ended (HTTP %ld)", status);
	return ret;
}

/* --- life -------------------------------------------------------------------------------- */

int
pull_open(struct pull **out, const struct pull_opts *opts, struct err *err)
{
	struct pull *p = calloc(1, sizeof(*p));
	char hdr[600];

	if (p == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	p->o = *opts;
	if (mkdir(opts->dest, 0777) < 0 && errno != EEXIST) {
		free(p);
		return err_set(err, err_from_errno(errno), "%s: %s", opts->dest, strerror(errno));
	}
	if ((p->curl = curl_easy_init()) == NULL) {
		free(p);
		return err_set(err, SP_ENOMEM, "cannot start libcurl");
	}
	snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", opts->token ? opts->token : "");
	p->auth = curl_slist_append(NULL, hdr);
	snprintf(p->state_path, sizeof(p->state_path), "%s/" PULL_STATE, opts->dest);
	pull_state_load(p);
	*out = p;
	return 0;
}

void
pull_close(struct pull *p)
{
	if (p == NULL)
		return;
	curl_easy_cleanup(p->curl);
	curl_slist_free_all(p->auth);
	json_decref(p->state);
	free(p);
}
