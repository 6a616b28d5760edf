/* The tus receiver's header parsers (server/tus.c): Upload-Metadata, Upload-Length and
 * Upload-Offset, Upload-Checksum. Input: three lines, one header value each. Checks: metadata
 * read gives an object of strings whose keys are in the header; a count read is the number the
 * digits spell; a checksum read has its algorithm's digest size and encodes back to the
 * header's base64. */
#include "tests/fuzz/fuzz.h"
#include "server/tus.h"

#include <sodium.h>

static void
fuzz_metadata(const char *h)
{
	json_t *meta = NULL, *v;
	struct err err;
	const char *key;

	if (tus_metadata_parse(h, &meta, &err) < 0) {
		fuzz_check(meta == NULL, "a refused header gave an object");
		return;
	}
	fuzz_check(json_is_object(meta), "not an object");
	json_object_foreach(meta, key, v) {
		fuzz_check(json_is_string(v), "key %s: not a string", key);
		fuzz_check(key[0] != '\0' && strpbrk(key, " ,") == NULL && strstr(h, key) != NULL,
		    "key '%s' is not one of '%s'", key, h);
	}
	json_decref(meta);
}

static void
fuzz_count(const char *h)
{
	long long n = -7;
	char back[32];

	if (!tus_count_parse(h, &n)) {
		fuzz_check(n == -7, "a refused count was stored");
		return;
	}
	fuzz_check(n >= 0, "'%s' is %lld", h, n);
	snprintf(back, sizeof(back), "%lld", n);
	h += strspn(h, "0");
	fuzz_check(strcmp(back, *h ? h : "0") == 0, "'%s' read as %lld", h, n);
}

static void
fuzz_checksum(const char *h)
{
	const EVP_MD *md;
	unsigned char want[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	char b64[sodium_base64_ENCODED_LEN(EVP_MAX_MD_SIZE, sodium_base64_VARIANT_ORIGINAL)];

	if (tus_checksum_parse(h, &md, want, &len) < 0)
		return;
	fuzz_check(len == (md ? (unsigned)EVP_MD_size(md) : 8u), "digest of %u bytes", len);
	sodium_bin2base64(b64, sizeof(b64), want, len, sodium_base64_VARIANT_ORIGINAL);
	fuzz_check(strcmp(strchr(h, ' ') + 1, b64) == 0, "'%s' read as '%s'", h, b64);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *meta = fuzz_line(&data, &size), *count = fuzz_line(&data, &size);
	char *sum = fuzz_cstr(data, size);

	fuzz_metadata(meta);
	fuzz_count(count);
	fuzz_checksum(sum);
	free(meta);
	free(count);
	free(sum);
	return 0;
}
