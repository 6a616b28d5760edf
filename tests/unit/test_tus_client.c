/* tus_client: the pure parts (metadata, header parsing, lists, numbers, backoff, checksum).
 * The network parts are tested against a real tus server in tests/cli/send.sh. */
#include "lib/core/buf.h"
#include "lib/core/err.h"
#include "lib/delivery/tus_client.h"

#include <criterion/criterion.h>
#include <string.h>

static void
feed(struct tus_resp *r, const char *line)
{
	tus_resp_header(r, line, strlen(line));
}

Test(tus_client, checksum_matches_the_spec_vector)
{
	char out[64];

	tus_checksum_sha1((const uint8_t *)"hello world", 11, out);
	cr_expect_str_eq(out, "sha1 Kq5sNclPz7QV2+lfQIuc6R7oRu0=");
}

/* xxhsum -H3 of "hello world" is d447b1ea40e6988b: those 8 bytes, big-endian, in base64. */
Test(tus_client, xxh3_checksum_is_the_canonical_digest)
{
	char out[64];

	tus_checksum_xxh3((const uint8_t *)"hello world", 11, out);
	cr_expect_str_eq(out, "xxh3 1Eex6kDmmIs=");
}

Test(tus_client, checksum_prefers_xxh3_then_sha1)
{
	cr_expect_str_eq(tus_checksum_pick("creation,checksum", "md5,sha1,xxh3"), "xxh3");
	cr_expect_str_eq(tus_checksum_pick("checksum", "md5, sha1 ,crc32"), "sha1");
	cr_expect_null(tus_checksum_pick("checksum", "md5,crc32"));
	cr_expect_null(tus_checksum_pick("creation,termination", "sha1,xxh3"));
	cr_expect_null(tus_checksum_pick("checksum-trailer", "xxh3"));
}

Test(tus_client, metadata_is_encoded_as_in_the_spec)
{
	struct tus_meta m[] = {
		{ "filename", "world_domination_plan.pdf" },
		{ "is_confidential", NULL },
		{ "size", "0" },
		{ "empty", "" },
	};
	struct buf b = BUF_INIT(0);
	struct err e = { 0 };

	cr_assert_eq(tus_meta_encode(m, 4, &b, &e), 0, "%s", e.msg);
	cr_expect_str_eq(b.data, "filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,is_confidential,"
	    "size MA==,empty");
	buf_release(&b);
	cr_assert_eq(tus_meta_encode(m, 0, &b, &e), 0);
	cr_expect_eq(b.len, 0);
	buf_release(&b);
}

Test(tus_client, metadata_keys_are_checked)
{
	const char *bad[] = { "", "a b", "a,b", "tab\t", "caf\xc3\xa9" };
	struct buf b = BUF_INIT(0);
	struct err e = { 0 };

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct tus_meta m = { bad[i], "v" };
		cr_expect_eq(tus_meta_encode(&m, 1, &b, &e), SP_EINVAL, "key '%s'", bad[i]);
		buf_reset(&b);
	}
	struct tus_meta twice[] = { { "clip", "A" }, { "size", "1" }, { "clip", "B" } };
	cr_expect_eq(tus_meta_encode(twice, 3, &b, &e), SP_EINVAL);
	cr_expect_not_null(strstr(e.msg, "clip"));
	struct tus_meta none = { NULL, "v" };
	cr_expect_eq(tus_meta_encode(&none, 1, &b, &e), SP_EINVAL);
	buf_release(&b);
}

Test(tus_client, headers_are_parsed_case_insensitively_and_trimmed)
{
	struct tus_resp r;

	memset(&r, 0, sizeof r);
	feed(&r, "HTTP/1.1 204 No Content\r\n");
	feed(&r, "upload-offset:   1048576  \r\n");
	feed(&r, "UPLOAD-LENGTH: 20005080\r\n");
	feed(&r, "Tus-Version: 1.0.0,0.2.2\r\n");
	feed(&r, "Tus-Extension: creation,creation-with-upload,termination,checksum\r\n");
	feed(&r, "Tus-Checksum-Algorithm: md5,sha1,crc32\r\n");
	feed(&r, "Tus-Max-Size: 1073741824\r\n");
	feed(&r, "Location: /files/abc\r\n");
	feed(&r, "Upload-Expires: Wed, 25 Jun 2014 16:00:00 GMT\r\n");
	feed(&r, "X-Other: 1\r\n");
	feed(&r, "\r\n");
	cr_expect_eq(r.status, 204);
	cr_expect(r.has_offset && r.offset == 1048576);
	cr_expect(r.has_length && r.length == 20005080);
	cr_expect(r.has_max_size && r.max_size == 1073741824ull);
	cr_expect_str_eq(r.location, "/files/abc");
	cr_expect_str_eq(r.version, "1.0.0,0.2.2");
	cr_expect_str_eq(r.expires, "Wed, 25 Jun 2014 16:00:00 GMT");
	cr_expect(tus_list_has(r.extensions, "checksum"));
	cr_expect(tus_list_has(r.algorithms, "sha1"));
	cr_expect_eq(r.bad_header, 0);
}

Test(tus_client, a_new_status_line_starts_a_new_response)
{
	struct tus_resp r;

	memset(&r, 0, sizeof r);
	feed(&r, "HTTP/1.1 100 Continue\r\n");
	feed(&r, "Upload-Offset: 5\r\n");
	feed(&r, "HTTP/1.1 409 Conflict\r\n");
	cr_expect_eq(r.status, 409);
	cr_expect_eq(r.has_offset, 0);
	feed(&r, "HTTP/2 201\r\n");
	cr_expect_eq(r.status, 201);
}

Test(tus_client, bad_numbers_are_flagged_not_taken)
{
	struct tus_resp r;
	const char *bad[] = { "Upload-Offset: -1", "Upload-Offset: 12a", "Upload-Offset: ",
		"Upload-Offset: 1 2", "Upload-Offset: 18446744073709551616" };

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(&r, 0, sizeof r);
		feed(&r, bad[i]);
		cr_expect_eq(r.has_offset, 0, "%s", bad[i]);
		cr_expect_eq(r.bad_header, 1, "%s", bad[i]);
	}
}

Test(tus_client, numbers_and_lists)
{
	uint64_t v = 0;

	cr_expect_eq(tus_parse_u64("18446744073709551615", 20, &v), 0);
	cr_expect_eq(v, UINT64_MAX);
	cr_expect_eq(tus_parse_u64(" 0 ", 3, &v), 0);
	cr_expect_eq(v, 0);
	cr_expect_eq(tus_parse_u64("", 0, &v), -1);
	cr_expect_eq(tus_parse_u64("+1", 2, &v), -1);
	cr_expect(tus_list_has("creation, Checksum ,termination", "checksum"));
	cr_expect(tus_list_has("sha1", "sha1"));
	cr_expect_not(tus_list_has("checksum-trailer", "checksum"));
	cr_expect_not(tus_list_has("", "sha1"));
	cr_expect_not(tus_list_has(NULL, "sha1"));
}

Test(tus_client, backoff_doubles_up_to_its_cap)
{
	struct tus_retry r = { 10, 1000, 60000 };
	unsigned want[] = { 1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000 };

	for (unsigned k = 1; k <= 8; k++)
		cr_expect_eq(tus_backoff_ms(&r, k), want[k - 1], "k=%u", k);
	cr_expect_eq(tus_backoff_ms(&r, 1000), 60000);
}

/* Issue 14: a status line with a run of digits overflowed a long (UBSan); it is no status. */
Test(tus_client, status_line_of_many_digits_is_no_status)
{
	struct tus_resp r;

	feed(&r, "HTTP/1 8888888888888888888888881202 Gone\r\n");
	cr_expect_eq(r.status, 0);
	feed(&r, "HTTP/1.1 204 No Content\r\n");
	cr_expect_eq(r.status, 204);
	feed(&r, "HTTP/2 20\r\n");
	cr_expect_eq(r.status, 0);
}
