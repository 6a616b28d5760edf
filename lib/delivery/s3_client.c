/* s3_client: multipart uploads into an S3-compatible bucket over libcurl (see s3_client.h). */
#include "lib/delivery/s3_int.h"
#include "lib/core/clock.h"
#include "lib/core/outbound.h"
#include "lib/core/version.h"

#include <ctype.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/evp.h>
#include <sodium.h>

#define S3_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static pthread_once_t s3_once = PTHREAD_ONCE_INIT;
static CURLcode s3_global_rc;

static void
s3_global_init(void)
{
	s3_global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
	xmlInitParser();
}

/* ---- pure helpers ---- */

size_t
s3_part_floor(uint64_t length, size_t want)
{
	uint64_t min = (length + S3_MAX_PARTS - 1) / S3_MAX_PARTS;

	if (want < S3_MIN_PART)
		want = S3_MIN_PART;
	if (want < min)
		want = (size_t)min;
	return (want + (1u << 20) - 1) & ~(size_t)((1u << 20) - 1);
}

void
s3_error_code(const char *body, size_t len, char *code, size_t size)
{
	const char *p = NULL, *end = body + len;
	size_t n = 0;

	code[0] = '\0';
	for (const char *s = body; s && s + 6 <= end; s++)
		if (memcmp(s, "<Code>", 6) == 0) {
			p = s + 6;
			break;
		}
	while (p && p < end && n + 1 < size && n < 64 && isalnum((unsigned char)*p))
		code[n++] = *p++;
	code[n] = '\0';
}

/* Percent-encodes key for a URL path: everything but unreserved characters and '/'. */
static int
s3_encode_key(const char *key, struct buf *b)
{
	static const char hex[] = "0123456789ABCDEF";
	int rc = 0;

	for (const unsigned char *p = (const unsigned char *)key; *p && rc == 0; p++) {
		if (isalnum(*p) || strchr("-._~/", *p)) {
			char c[2] = { (char)*p, 0 };
			rc = buf_appends(b, c);
		} else {
			char e[4] = { '%', hex[*p >> 4], hex[*p & 15], 0 };
			rc = buf_appends(b, e);
		}
	}
	return rc;
}

int
s3_url(const struct s3_link *l, const char *key, const char *query, char **out,
    struct err *err)
{
	struct buf b = BUF_INIT(16 * 1024);
	const char *ep = l->endpoint, *host;
	size_t scheme;
	int rc = 0;

	*out = NULL;
	if (ep == NULL || (strncmp(ep, "http://", 7) && strncmp(ep, "https://", 8)))
		return err_set(err, SP_EINVAL, "S3 endpoint: expected http:// or https://");
	if (l->bucket == NULL || *l->bucket == '\0' || strpbrk(l->bucket, "/?#% "))
		return err_set(err, SP_EINVAL, "S3 bucket: expected a bucket name");
	scheme = ep[4] == 's' ? 8 : 7;
	host = ep + scheme;
	if (l->path_style) {
		rc = buf_append(&b, ep, strlen(ep));
		while (rc == 0 && b.len > scheme && b.data[b.len - 1] == '/')
			b.data[--b.len] = '\0';
		if (rc == 0)
			rc = buf_appends(&b, "/");
		if (rc == 0)
			rc = buf_appends(&b, l->bucket);
	} else {
		size_t hl = strcspn(host, "/");
		rc = buf_append(&b, ep, scheme);
		if (rc == 0)
			rc = buf_appends(&b, l->bucket);
		if (rc == 0)
			rc = buf_appends(&b, ".");
		if (rc == 0)
			rc = buf_append(&b, host, hl);
	}
	if (rc == 0)
		rc = buf_appends(&b, "/");
	if (rc == 0)
		rc = s3_encode_key(key, &b);
	if (rc == 0 && query) {
		rc = buf_appends(&b, "?");
		if (rc == 0)
			rc = buf_appends(&b, query);
	}
	if (rc != 0) {
		buf_release(&b);
		return err_set(err, SP_ENOMEM, "S3 URL: out of memory");
	}
	*out = b.data;
	return 0;
}

static void
s3_sha256(const uint8_t *data, size_t len, char hex[65], char b64[48])
{
	uint8_t d[32];
	unsigned dl = 0;

	EVP_Digest(data, len, d, &dl, EVP_sha256(), NULL);
	sodium_bin2hex(hex, 65, d, sizeof d);
	sodium_bin2base64(b64, 48, d, sizeof d, sodium_base64_VARIANT_ORIGINAL);
}

/* ---- requests ---- */

static size_t
s3_on_header(char *data, size_t size, size_t n, void *arg)
{
	struct s3_resp *c = arg;
	size_t len = size * n, nl;
	const char *colon = memchr(data, ':', len);
	char name[128];

	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		c->etag[0] = '\0';
		c->meta_val[0] = '\0';
		c->has_clen = 0;
		return len;
	}
	if (colon == NULL || (size_t)(colon - data) >= sizeof name)
		return len;
	nl = (size_t)(colon - data);
	memcpy(name, data, nl);
	name[nl] = '\0';
	const char *v = colon + 1, *end = data + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	size_t vl = (size_t)(end - v);
	if (strcasecmp(name, "ETag") == 0) {
		if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
			v++;
			vl -= 2;
		}
		if (vl < sizeof c->etag) {
			memcpy(c->etag, v, vl);
			c->etag[vl] = '\0';
		}
	} else if (strcasecmp(name, "Content-Length") == 0) {
		c->has_clen = tus_parse_u64(v, vl, &c->clen) == 0;
	} else if (c->want_meta && strncasecmp(name, "x-amz-meta-", 11) == 0 &&
	    strcasecmp(name + 11, c->want_meta) == 0 && vl < sizeof c->meta_val) {
		memcpy(c->meta_val, v, vl);
		c->meta_val[vl] = '\0';
	}
	return len;
}

static size_t
s3_on_body(char *data, size_t size, size_t n, void *arg)
{
	struct s3_resp *c = arg;
	size_t len = size * n;

	if (c->body.len + len > S3_BODY_MAX) {
		c->body_over = 1;
		return len;
	}
	if (buf_append(&c->body, data, len) != 0)
		return 0;
	return len;
}

int
s3_prepare(struct s3_ctx *c, CURL *h, struct s3_resp *r, char *errbuf, const char *method,
    const char *url, const char *const *extra, size_t n_extra, const uint8_t *body, size_t len,
    const char *sha_hex, struct curl_slist **hdrs, struct curl_slist **pin, struct err *err)
{
	struct curl_slist *t;
	char sha_h[100];

	*hdrs = *pin = NULL;
	snprintf(sha_h, sizeof sha_h, "x-amz-content-sha256: %s", sha_hex ? sha_hex : S3_EMPTY_SHA256);
	if ((*hdrs = curl_slist_append(NULL, sha_h)) == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	for (size_t i = 0; i < n_extra; i++) {
		if ((t = curl_slist_append(*hdrs, extra[i])) == NULL) {
			curl_slist_free_all(*hdrs);
			*hdrs = NULL;
			return err_set(err, SP_ENOMEM, "out of memory");
		}
		*hdrs = t;
	}
	pace_curl(h, &c->p, url, errbuf, c->o ? c->o->stall_seconds : 0, c->l->max_send_rate);
	if (c->l->outbound && outbound_curl(h, c->l->outbound, url, pin, err) < 0) {
		curl_slist_free_all(*hdrs);
		*hdrs = NULL;
		if (err->code != SP_EUNAVAIL)
			return err->code;
		snprintf(c->p.note, sizeof c->p.note, "%s %.150s: %.150s", method, url, err->msg);
		return SP_EUNAVAIL;
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, *hdrs);
	curl_easy_setopt(h, CURLOPT_AWS_SIGV4, c->sigv4);
	curl_easy_setopt(h, CURLOPT_USERNAME, c->l->access_key);
	curl_easy_setopt(h, CURLOPT_PASSWORD, c->l->secret_key);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, s3_on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, s3_on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (strcmp(method, "PUT") == 0 || strcmp(method, "POST") == 0) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? (const char *)body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		if (strcmp(method, "PUT") == 0)
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
		if (c->l->max_send_rate > 0)
			curl_easy_setopt(h, CURLOPT_MAX_SEND_SPEED_LARGE, (curl_off_t)c->l->max_send_rate);
	} else if (strcmp(method, "GET") != 0) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	}
	buf_reset(&r->body);
	r->body_over = 0;
	r->status = 0;
	return 0;
}

/*
 * One signed request on c->curl. Returns 0 when an answer came (c->r), SP_EUNAVAIL for a
 * transport failure (c->p.note says which), SP_ECANCELED, SP_ENOMEM, or a refusal of the
 * outbound policy.
 */
static int
s3_perform(struct s3_ctx *c, const char *method, const char *url, const char *const *extra,
    size_t n_extra, const uint8_t *body, size_t len, const char *sha_hex, struct err *err)
{
	struct curl_slist *hdrs, *pin;
	CURLcode cc;
	int rc;

	if ((rc = s3_prepare(c, c->curl, &c->r, c->errbuf, method, url, extra, n_extra, body, len,
	    sha_hex, &hdrs, &pin, err)) != 0)
		return rc;
	cc = pace_perform(&c->p, c->curl, strcmp(method, "PUT") == 0, &c->r.status);
	return pace_done(&c->p, c->curl, cc, method, url, c->errbuf, hdrs, pin, err);
}

int
s3_transient(long status)
{
	return status == 408 || status == 429 || status >= 500;
}

/* A refusal, told by status and S3 code: never the body (another machine's words). */
int
s3_status_error(const struct s3_resp *r, const char *what, struct err *err)
{
	char code[72];
	int rc;

	s3_error_code(r->body.data ? r->body.data : "", r->body.len, code, sizeof code);
	switch (r->status) {
	case 401: case 403: rc = SP_EAUTH; break;
	case 404: rc = SP_ENOTFOUND; break;
	default: rc = SP_EINVAL; break;
	}
	return err_set(err, rc, "%s: HTTP %ld%s%s from the bucket%s", what, r->status,
	    code[0] ? " " : "", code, strcmp(code, "SignatureDoesNotMatch") == 0 ||
	    strcmp(code, "InvalidAccessKeyId") == 0 ? " (check the target's credentials)" :
	    strcmp(code, "NoSuchBucket") == 0 ? " (check the target's bucket)" : "");
}

int
s3_bad_digest(const struct s3_resp *r, char *code, size_t size)
{
	s3_error_code(r->body.data ? r->body.data : "", r->body.len, code, size);
	return r->status == 400 && (strcmp(code, "BadDigest") == 0 ||
	    strcmp(code, "XAmzContentSHA256Mismatch") == 0 || strcmp(code, "InvalidDigest") == 0);
}

/* A request tried again while the failure is transient; 0 with an answer in c. */
static int
s3_request(struct s3_ctx *c, const char *what, const char *method, const char *url,
    const char *const *extra, size_t n_extra, const uint8_t *body, size_t len,
    const char *sha_hex, struct err *err)
{
	int rc;

	for (;;) {
		rc = s3_perform(c, method, url, extra, n_extra, body, len, sha_hex, err);
		if (rc == 0 && s3_transient(c->r.status)) {
			char code[72];
			s3_error_code(c->r.body.data ? c->r.body.data : "", c->r.body.len, code, sizeof code);
			snprintf(c->p.note, sizeof c->p.note, "%s: HTTP %ld %s", what, c->r.status, code);
		} else if (rc != SP_EUNAVAIL) {
			return rc;
		}
		if ((rc = pace_fail(&c->p, err)) != 0)
			return rc;
	}
}

/* ---- XML answers ---- */

static xmlNode *
s3_child(xmlNode *n, const char *name)
{
	for (xmlNode *k = n ? n->children : NULL; k; k = k->next)
		if (k->type == XML_ELEMENT_NODE && strcmp((const char *)k->name, name) == 0)
			return k;
	return NULL;
}

/* The text of n's child name into out; 0, or -1 when absent or too long. */
static int
s3_child_text(xmlNode *n, const char *name, char *out, size_t size)
{
	xmlNode *k = s3_child(n, name);
	xmlChar *t;
	int rc = -1;

	if (k == NULL || (t = xmlNodeGetContent(k)) == NULL)
		return -1;
	if (strlen((const char *)t) < size) {
		snprintf(out, size, "%s", (const char *)t);
		rc = 0;
	}
	xmlFree(t);
	return rc;
}

static xmlDoc *
s3_xml(struct s3_ctx *c)
{
	if (c->r.body.len == 0 || c->r.body_over)
		return NULL;
	return xmlReadMemory(c->r.body.data, (int)c->r.body.len, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
}

/* ---- protocol steps ---- */

static int
s3_create(struct s3_ctx *c, struct err *err)
{
	const char **h = calloc(c->o->n_meta + 2, sizeof *h);
	char **lines = calloc(c->o->n_meta + 1, sizeof *lines), id[1024], *url = NULL;
	xmlDoc *doc = NULL;
	int rc;

	if (h == NULL || lines == NULL) {
		rc = err_set(err, SP_ENOMEM, "out of memory");
		goto out;
	}
	h[0] = "x-amz-checksum-algorithm: SHA256";
	for (size_t i = 0; i < c->o->n_meta; i++) {
		const char *v = c->o->meta[i].value ? c->o->meta[i].value : "";
		size_t n = strlen(c->o->meta[i].key) + strlen(v) + 16;
		if ((lines[i] = malloc(n)) == NULL) {
			rc = err_set(err, SP_ENOMEM, "out of memory");
			goto out;
		}
		snprintf(lines[i], n, "x-amz-meta-%s: %s", c->o->meta[i].key, v);
		h[i + 1] = lines[i];
	}
	/* "uploads=", not "uploads": libcurl 7.88 signs a query as written, and S3 canonicalises
	 * an empty value with its '=' (so does tests/s3). */
	if ((rc = s3_url(c->l, c->o->key, "uploads=", &url, err)) < 0 ||
	    (rc = s3_request(c, "CreateMultipartUpload", "POST", url, h, c->o->n_meta + 1, NULL, 0,
	    NULL, err)) < 0)
		goto out;
	if (c->r.status != 200) {
		rc = s3_status_error(&c->r, "CreateMultipartUpload", err);
		goto out;
	}
	doc = s3_xml(c);
	if (doc == NULL || s3_child_text(xmlDocGetRootElement(doc), "UploadId", id, sizeof id) < 0 ||
	    id[0] == '\0') {
		rc = err_set(err, SP_EINVAL, "CreateMultipartUpload: no UploadId in the bucket's answer");
		goto out;
	}
	free(c->res->upload_id);
	if ((c->res->upload_id = strdup(id)) == NULL) {
		rc = err_set(err, SP_ENOMEM, "out of memory");
		goto out;
	}
	c->res->created++;
	c->n_parts = 0;
	c->p.offset = 0;
	c->p.failures = 0;
	rc = c->o->on_created ? c->o->on_created(c->o->arg, id, err) : 0;
out:
	xmlFreeDoc(doc);
	for (size_t i = 0; lines && i < c->o->n_meta; i++)
		free(lines[i]);
	free(lines);
	free(h);
	free(url);
	return rc;
}

int
s3_keep_part(struct s3_ctx *c, const struct s3_part *p, struct err *err)
{
	if (c->n_parts == c->cap_parts) {
		size_t cap = c->cap_parts ? c->cap_parts * 2 : 64;
		struct s3_part *n = realloc(c->parts, cap * sizeof *n);
		if (n == NULL)
			return err_set(err, SP_ENOMEM, "out of memory");
		c->parts = n;
		c->cap_parts = cap;
	}
	c->parts[c->n_parts++] = *p;
	return 0;
}

/* ListParts: keeps the recorded parts the bucket holds, from part 1 on. 1 when the upload is
 * gone (NoSuchUpload). */
static int
s3_resume(struct s3_ctx *c, struct err *err)
{
	char q[1200], *url = NULL, marker[24] = "0";
	size_t next = 0;            /* index into o->done of the next part to match */
	int rc, truncated;

	do {
		xmlDoc *doc;
		xmlNode *root;
		char t[16] = "";
		/* Parameters in sorted order: libcurl 7.88 signs the query as written. */
		snprintf(q, sizeof q, "part-number-marker=%s&uploadId=%s", marker, c->res->upload_id);
		free(url);
		url = NULL;
		if ((rc = s3_url(c->l, c->o->key, q, &url, err)) < 0 ||
		    (rc = s3_request(c, "ListParts", "GET", url, NULL, 0, NULL, 0, NULL, err)) < 0)
			break;
		if (c->r.status == 404) {
			char code[72];
			s3_error_code(c->r.body.data ? c->r.body.data : "", c->r.body.len, code, sizeof code);
			if (strcmp(code, "NoSuchUpload") == 0) {
				rc = 1;
				break;
			}
		}
		if (c->r.status != 200) {
			rc = s3_status_error(&c->r, "ListParts", err);
			break;
		}
		if ((doc = s3_xml(c)) == NULL) {
			rc = err_set(err, SP_EINVAL, "ListParts: the bucket's answer is not XML");
			break;
		}
		root = xmlDocGetRootElement(doc);
		for (xmlNode *k = root ? root->children : NULL; k; k = k->next) {
			char num[16], size[24], etag[80];
			uint64_t n, sz;
			if (k->type != XML_ELEMENT_NODE || strcmp((const char *)k->name, "Part") != 0)
				continue;
			if (s3_child_text(k, "PartNumber", num, sizeof num) < 0 ||
			    s3_child_text(k, "Size", size, sizeof size) < 0 ||
			    s3_child_text(k, "ETag", etag, sizeof etag) < 0 ||
			    tus_parse_u64(num, strlen(num), &n) != 0 || tus_parse_u64(size, strlen(size), &sz) != 0)
				continue;
			char *e = etag;
			size_t el = strlen(e);
			if (el >= 2 && e[0] == '"' && e[el - 1] == '"') {
				e[el - 1] = '\0';
				e++;
			}
			/* The contiguous run of recorded parts the bucket holds as recorded. */
			if (next < c->o->n_done && c->o->done[next].number == n &&
			    n == c->n_parts + 1 && c->o->done[next].size == sz &&
			    strcmp(c->o->done[next].etag, e) == 0 &&
			    c->o->done[next].offset == c->p.offset) {
				if ((rc = s3_keep_part(c, &c->o->done[next], err)) < 0)
					break;
				c->p.offset += sz;
				next++;
			}
		}
		truncated = s3_child_text(root, "IsTruncated", t, sizeof t) == 0 && strcmp(t, "true") == 0;
		if (truncated && s3_child_text(root, "NextPartNumberMarker", marker, sizeof marker) < 0)
			truncated = 0;
		xmlFreeDoc(doc);
		rc = 0;
	} while (truncated);
	free(url);
	if (rc == 0) {
		c->res->resumed_at = c->p.offset;
		c->p.failures = 0;
	}
	return rc;
}

int
s3_fill(const struct tus_source *src, struct s3_chunk *ch, struct err *err)
{
	size_t got = 0;
	int rc;

	if ((rc = src->read_at(src->arg, ch->off, ch->buf, ch->len, &got, err)) != 0)
		return rc;
	if (got != ch->len)
		return err_set(err, SP_EIO, "source: short read at %" PRIu64, ch->off);
	s3_sha256(ch->buf, ch->len, ch->hex, ch->b64);
	return 0;
}

static int
s3_part_cmp(const void *a, const void *b)
{
	unsigned x = ((const struct s3_part *)a)->number, y = ((const struct s3_part *)b)->number;

	return (x > y) - (x < y);
}

static int
s3_complete(struct s3_ctx *c, struct err *err)
{
	struct buf x = BUF_INIT(4 * 1024 * 1024);
	char line[400], hex[65], b64[48], q[1100], *url = NULL, code[72];
	const char *h[1] = { "Content-Type: application/xml" };
	int rc;

	/* Parts finish in any order when several are in flight; the list is by number. */
	qsort(c->parts, c->n_parts, sizeof *c->parts, s3_part_cmp);
	rc = buf_appends(&x, "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");

	for (size_t i = 0; rc == 0 && i < c->n_parts; i++) {
		snprintf(line, sizeof line, "<Part><PartNumber>%u</PartNumber><ETag>\"%s\"</ETag>"
		    "<ChecksumSHA256>%s</ChecksumSHA256></Part>", c->parts[i].number, c->parts[i].etag,
		    c->parts[i].sha256);
		rc = buf_appends(&x, line);
	}
	if (rc == 0)
		rc = buf_appends(&x, "</CompleteMultipartUpload>");
	if (rc != 0) {
		buf_release(&x);
		return err_set(err, SP_ENOMEM, "out of memory");
	}
	s3_sha256((const uint8_t *)x.data, x.len, hex, b64);
	snprintf(q, sizeof q, "uploadId=%s", c->res->upload_id);
	if ((rc = s3_url(c->l, c->o->key, q, &url, err)) == 0)
		rc = s3_request(c, "CompleteMultipartUpload", "POST", url, h, 1, (const uint8_t *)x.data,
		    x.len, hex, err);
	buf_release(&x);
	free(url);
	if (rc != 0)
		return rc;
	s3_error_code(c->r.body.data ? c->r.body.data : "", c->r.body.len, code, sizeof code);
	if (c->r.status != 200 || code[0])
		return s3_status_error(&c->r, "CompleteMultipartUpload", err);
	return 0;
}

static int
s3_ctx_init(struct s3_ctx *c, const struct s3_opts *o, const struct s3_link *l,
    const struct tus_source *src, struct s3_result *res, struct err *err)
{
	memset(c, 0, sizeof *c);
	c->o = o;
	c->l = l;
	c->src = src;
	c->res = res;
	c->r.body = (struct buf)BUF_INIT(S3_BODY_MAX + 1);
	c->p.on_progress = o ? o->on_progress : NULL;
	c->p.arg = o ? o->arg : NULL;
	c->p.endpoint = l->endpoint;
	c->p.src = src;
	c->p.sent = res ? &res->sent : NULL;
	c->p.retries = res ? &res->retries : NULL;
	c->t0 = pace_start(&c->p, o ? &o->retry : NULL);
	pthread_once(&s3_once, s3_global_init);
	if (s3_global_rc != CURLE_OK)
		return err_set(err, SP_EINTERNAL, "libcurl failed to initialise");
	if (l->region == NULL || *l->region == '\0' || strpbrk(l->region, ":/ ") ||
	    strlen(l->region) > 64)
		return err_set(err, SP_EINVAL, "S3 region: expected a region name (us-east-1)");
	if (l->access_key == NULL || l->secret_key == NULL || !*l->access_key || !*l->secret_key)
		return err_set(err, SP_EINVAL, "S3: no credentials");
	snprintf(c->sigv4, sizeof c->sigv4, "aws:amz:%s:s3", l->region);
	if ((c->curl = curl_easy_init()) == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	return 0;
}

static void
s3_ctx_release(struct s3_ctx *c)
{
	if (c->curl)
		curl_easy_cleanup(c->curl);
	free(c->parts);
	buf_release(&c->r.body);
}

int
s3_upload(const struct s3_opts *o, const struct tus_source *src, struct s3_result *res,
    struct err *err)
{
	struct s3_ctx c;
	int rc;

	memset(res, 0, sizeof *res);
	res->length = src->length;
	if (o->key == NULL || *o->key == '\0' || strlen(o->key) > 1024)
		return err_set(err, SP_EINVAL, "S3: an object key of 1 to 1024 bytes is needed");
	if (src->length == 0)
		return err_set(err, SP_EINVAL, "S3: an empty object is not uploaded in parts");
	for (size_t i = 0; i < o->n_meta; i++)
		for (const char *p = o->meta[i].value ? o->meta[i].value : ""; *p; p++)
			if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
				return err_set(err, SP_EINVAL, "S3 metadata %s: printable ASCII only",
				    o->meta[i].key);
	if ((rc = s3_ctx_init(&c, o, o->link, src, res, err)) != 0)
		goto out;
	c.adaptive = o->part_size == 0;
	c.part_cap = s3_part_floor(src->length, o->part_size ? o->part_size : S3_MIN_PART);
	c.buf_cap = c.adaptive ? s3_part_floor(src->length, S3_MAX_AUTO_PART) : c.part_cap;
	if (c.buf_cap > src->length)
		c.buf_cap = (size_t)src->length;
	if (c.part_cap > c.buf_cap)
		c.part_cap = c.buf_cap;
	rc = 1;
	if (o->upload_id && *o->upload_id) {
		if ((res->upload_id = strdup(o->upload_id)) == NULL) {
			rc = err_set(err, SP_ENOMEM, "out of memory");
			goto out;
		}
		rc = s3_resume(&c, err);
	}
	if (rc == 1)
		rc = s3_create(&c, err);
	if (rc == 0) {
		c.next_off = c.p.offset;
		rc = s3_send_parts(&c, err);
	}
	if (rc == 0)
		rc = s3_complete(&c, err);
	if (rc == 0)
		res->object_parts = (unsigned)c.n_parts;
	if (rc == 0)
		pace_report(&c.p, 0, 1);
out:
	res->seconds = clock_now() - c.t0;
	s3_ctx_release(&c);
	return rc;
}

void
s3_result_release(struct s3_result *res)
{
	free(res->upload_id);
	memset(res, 0, sizeof *res);
}

int
s3_head(const struct s3_link *l, const char *key, const char *meta, uint64_t *size, char *out,
    size_t outlen, struct err *err)
{
	struct s3_opts o = { .link = l, .key = key };
	struct s3_ctx c;
	char *url = NULL;
	int rc;

	*size = 0;
	if (outlen)
		out[0] = '\0';
	if ((rc = s3_ctx_init(&c, &o, l, NULL, NULL, err)) == 0 &&
	    (rc = s3_url(l, key, NULL, &url, err)) == 0) {
		c.r.want_meta = meta;
		rc = s3_request(&c, "HEAD", "HEAD", url, NULL, 0, NULL, 0, NULL, err);
	}
	if (rc == 0 && c.r.status == 404)
		rc = err_set(err, SP_ENOTFOUND, "HEAD %s: no such object in the bucket", key);
	else if (rc == 0 && c.r.status != 200)
		rc = s3_status_error(&c.r, "HEAD", err);
	else if (rc == 0 && !c.r.has_clen)
		rc = err_set(err, SP_EINVAL, "HEAD %s: no Content-Length", key);
	if (rc == 0) {
		*size = c.r.clen;
		if (outlen)
			snprintf(out, outlen, "%s", c.r.meta_val);
	}
	free(url);
	s3_ctx_release(&c);
	return rc;
}

int
s3_abort(const struct s3_link *l, const char *key, const char *upload_id, struct err *err)
{
	struct s3_opts o = { .link = l, .key = key, .retry = { .max_attempts = 2, .base_ms = 200 } };
	struct s3_ctx c;
	char q[1100], *url = NULL;
	int rc;

	snprintf(q, sizeof q, "uploadId=%s", upload_id);
	if ((rc = s3_ctx_init(&c, &o, l, NULL, NULL, err)) == 0 &&
	    (rc = s3_url(l, key, q, &url, err)) == 0)
		rc = s3_request(&c, "AbortMultipartUpload", "DELETE", url, NULL, 0, NULL, 0, NULL, err);
	if (rc == 0 && c.r.status != 204 && c.r.status != 200 && c.r.status != 404)
		rc = s3_status_error(&c.r, "AbortMultipartUpload", err);
	free(url);
	s3_ctx_release(&c);
	return rc;
}
