/* tus_proto: the pure pieces of the tus 1.0 client: answer headers parsed, Upload-Metadata
 * encoded, checksums, retry backoff (see tus_client.h). No I/O. */
#include "lib/delivery/tus_client.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <sodium.h>
#include <xxhash.h>

int
tus_parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0, digits = 0;

	while (i < len && s[i] == ' ')
		i++;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
		if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	while (i < len && s[i] == ' ')
		i++;
	if (digits == 0 || i != len)
		return -1;
	*out = v;
	return 0;
}

int
tus_list_has(const char *list, const char *token)
{
	size_t n = strlen(token);

	while (list != NULL && *list != '\0') {
		const char *end = strchr(list, ',');
		size_t len = end ? (size_t)(end - list) : strlen(list);
		const char *p = list;

		while (len > 0 && (*p == ' ' || *p == '\t'))
			p++, len--;
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len == n && strncasecmp(p, token, n) == 0)
			return 1;
		list = end ? end + 1 : NULL;
	}
	return 0;
}

static void
tus_copy_value(char *dst, size_t cap, const char *v, size_t len)
{
	if (len >= cap)
		len = cap - 1;
	memcpy(dst, v, len);
	dst[len] = '\0';
}

static int
tus_name_is(const char *name, size_t len, const char *want)
{
	return strlen(want) == len && strncasecmp(name, want, len) == 0;
}

/* Sets *num from a header value, remembering a malformed one. */
static void
tus_number(struct tus_resp *r, const char *v, size_t len, int *has, uint64_t *num)
{
	if (tus_parse_u64(v, len, num) == 0)
		*has = 1;
	else
		r->bad_header = 1;
}

static void
tus_status_line(struct tus_resp *r, const char *line, size_t len)
{
	const char *sp = memchr(line, ' ', len);
	long status = 0;

	memset(r, 0, sizeof *r);
	size_t i = sp ? (size_t)(sp - line) + 1 : len, digits = 0;

	/* A status code is three digits (RFC 9110); a longer run would overflow a long, so it
	 * counts as no status at all. */
	for (; i < len && isdigit((unsigned char)line[i]); i++, digits++)
		if (digits < 3)
			status = status * 10 + (line[i] - '0');
	r->status = digits == 3 ? status : 0;
}

void
tus_resp_header(struct tus_resp *r, const char *line, size_t len)
{
	const char *colon, *v;
	size_t nlen, vlen;

	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
		tus_status_line(r, line, len);
		return;
	}
	if ((colon = memchr(line, ':', len)) == NULL)
		return;
	nlen = (size_t)(colon - line);
	v = colon + 1;
	vlen = len - nlen - 1;
	while (vlen > 0 && (*v == ' ' || *v == '\t'))
		v++, vlen--;
	while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	if (tus_name_is(line, nlen, "Upload-Offset"))
		tus_number(r, v, vlen, &r->has_offset, &r->offset);
	else if (tus_name_is(line, nlen, "Upload-Length"))
		tus_number(r, v, vlen, &r->has_length, &r->length);
	else if (tus_name_is(line, nlen, "Tus-Max-Size"))
		tus_number(r, v, vlen, &r->has_max_size, &r->max_size);
	else if (tus_name_is(line, nlen, "Location")) {
		r->location_too_long = vlen >= sizeof r->location;
		tus_copy_value(r->location, sizeof r->location, v, vlen);
	} else if (tus_name_is(line, nlen, "Tus-Version"))
		tus_copy_value(r->version, sizeof r->version, v, vlen);
	else if (tus_name_is(line, nlen, "Tus-Extension"))
		tus_copy_value(r->extensions, sizeof r->extensions, v, vlen);
	else if (tus_name_is(line, nlen, "Tus-Checksum-Algorithm"))
		tus_copy_value(r->algorithms, sizeof r->algorithms, v, vlen);
	else if (tus_name_is(line, nlen, "Upload-Expires"))
		tus_copy_value(r->expires, sizeof r->expires, v, vlen);
}

static int
tus_meta_key_ok(const char *k)
{
	if (k == NULL || *k == '\0')
		return 0;
	for (; *k; k++)
		if ((unsigned char)*k <= 0x20 || (unsigned char)*k >= 0x7f || *k == ',')
			return 0;
	return 1;
}

static int
tus_meta_pair(const struct tus_meta *m, struct buf *b)
{
	size_t vlen = m->value ? strlen(m->value) : 0;
	size_t cap = sodium_base64_ENCODED_LEN(vlen, sodium_base64_VARIANT_ORIGINAL);
	char *enc;
	int rc;

	if (vlen == 0)
		return buf_appends(b, m->key);
	if ((enc = malloc(cap)) == NULL)
		return SP_ENOMEM;
	sodium_bin2base64(enc, cap, (const unsigned char *)m->value, vlen,
	    sodium_base64_VARIANT_ORIGINAL);
	rc = buf_appendf(b, "%s %s", m->key, enc);
	free(enc);
	return rc;
}

int
tus_meta_encode(const struct tus_meta *meta, size_t n, struct buf *b, struct err *err)
{
	for (size_t i = 0; i < n; i++) {
		if (!tus_meta_key_ok(meta[i].key))
			return err_set(err, SP_EINVAL, "metadata key '%s': empty, or has a space, "
			    "comma or control character", meta[i].key ? meta[i].key : "");
		for (size_t j = 0; j < i; j++)
			if (strcmp(meta[i].key, meta[j].key) == 0)
				return err_set(err, SP_EINVAL, "metadata key '%s' given twice",
				    meta[i].key);
		if ((i > 0 && buf_appends(b, ",") != 0) || tus_meta_pair(&meta[i], b) != 0)
			return err_set(err, SP_ENOMEM, "metadata: out of memory or too long");
	}
	return 0;
}

unsigned
tus_backoff_ms(const struct tus_retry *r, unsigned k)
{
	uint64_t d = r->base_ms;

	for (unsigned i = 1; i < k && d < r->max_ms; i++)
		d *= 2;
	return d > r->max_ms ? r->max_ms : (unsigned)d;
}

void
tus_checksum_sha1(const uint8_t *data, size_t len, char out[64])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	memcpy(out, "sha1 ", 5);
	if (EVP_Digest(data, len, md, &mdlen, EVP_sha1(), NULL) != 1)
		mdlen = 0;
	sodium_bin2base64(out + 5, 64 - 5, md, mdlen, sodium_base64_VARIANT_ORIGINAL);
}

void
tus_checksum_xxh3(const uint8_t *data, size_t len, char out[64])
{
	XXH64_canonical_t d;

	XXH64_canonicalFromHash(&d, XXH3_64bits(data, len));
	memcpy(out, "xxh3 ", 5);
	sodium_bin2base64(out + 5, 64 - 5, d.digest, sizeof(d.digest),
	    sodium_base64_VARIANT_ORIGINAL);
}

/* The Upload-Checksum algorithm to use with a server that lists `algorithms`: xxh3 when it
 * offers it (a fraction of sha1's cost, on both ends), else sha1 (every tus server with the
 * checksum extension has it), else none. */
const char *
tus_checksum_pick(const char *extensions, const char *algorithms)
{
	if (!tus_list_has(extensions, "checksum"))
		return NULL;
	if (tus_list_has(algorithms, "xxh3"))
		return "xxh3";
	return tus_list_has(algorithms, "sha1") ? "sha1" : NULL;
}
