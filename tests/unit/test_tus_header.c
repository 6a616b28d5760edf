/* server/tus.c's header parsers: Upload-Length/Offset, Upload-Checksum, Upload-Metadata. The
 * overflow and the bytes outside base64 (libsodium 1.0.18 decodes a byte >= 0x80 as '/') were
 * found by tests/fuzz/fuzz_tus.c. */
#include "server/tus.h"

#include <criterion/criterion.h>
#include <string.h>

Test(tus_header, counts_are_plain_decimal_within_range)
{
	static const char *const bad[] = { "", "-1", "+1", " 1", "1 ", "1x", "0x10", "1e3",
		"9223372036854775808", "99999999999999999999" };
	long long n = -1;

	cr_expect(tus_count_parse("0", &n) && n == 0);
	cr_expect(tus_count_parse("007", &n) && n == 7);
	cr_expect(tus_count_parse("9223372036854775807", &n) && n == 9223372036854775807LL);
	cr_expect(!tus_count_parse(NULL, &n));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = -7;
		cr_expect(!tus_count_parse(bad[i], &n), "'%s' taken", bad[i]);
		cr_expect_eq(n, -7, "'%s' stored", bad[i]);
	}
}

Test(tus_header, checksum_algorithm_and_digest_size)
{
	unsigned char want[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	const EVP_MD *md;

	/* sha1 of "", md5 of "", 8 bytes for xxh3. */
	cr_expect_eq(tus_checksum_parse("sha1 2jmj7l5rSw0yVb/vlWAYkK/YBwk=", &md, want, &len), 0);
	cr_expect(md == EVP_sha1() && len == 20);
	cr_expect_eq(tus_checksum_parse("md5 1B2M2Y8AsgTpgAmY7PhCfg==", &md, want, &len), 0);
	cr_expect(md == EVP_md5() && len == 16 && want[0] == 0xd4);
	cr_expect_eq(tus_checksum_parse("xxh3 AQIDBAUGBwg=", &md, want, &len), 0);
	cr_expect(md == NULL && len == 8 && want[7] == 8);
	cr_expect_eq(tus_checksum_parse("crc32 AAAAAA==", &md, want, &len), SP_EUNSUPPORTED);
	cr_expect_eq(tus_checksum_parse("sha1 AQIDBAUGBwg=", &md, want, &len), SP_EINVAL, "size");
	cr_expect_eq(tus_checksum_parse("xxh3", &md, want, &len), SP_EINVAL);
	cr_expect_eq(tus_checksum_parse("xxh3 AQIDBAUGBwg", &md, want, &len), SP_EINVAL, "padding");
	cr_expect_eq(tus_checksum_parse("xxh3 AQI\xff" "BAUGBwg=", &md, want, &len), SP_EINVAL,
	    "a byte outside base64");
}

Test(tus_header, metadata_pairs)
{
	json_t *m = NULL;
	struct err err = { 0 };

	cr_assert_eq(tus_metadata_parse("filename QS5tb3Y=,flag", &m, &err), 0, "%s", err.msg);
	cr_expect_str_eq(json_string_value(json_object_get(m, "filename")), "A.mov");
	cr_expect_str_eq(json_string_value(json_object_get(m, "flag")), "");
	json_decref(m);
	cr_assert_eq(tus_metadata_parse("", &m, &err), 0);
	cr_expect_eq(json_object_size(m), 0);
	json_decref(m);
	m = NULL;
	cr_expect_eq(tus_metadata_parse("a QQ==,a Qg==", &m, &err), SP_EINVAL, "key twice");
	cr_expect_eq(tus_metadata_parse(" QQ==", &m, &err), SP_EINVAL, "empty key");
	cr_expect_eq(tus_metadata_parse("a /w==", &m, &err), SP_EINVAL, "not UTF-8");
	/* With '/' for the last byte, "Pz8/" would be "???". */
	cr_expect_eq(tus_metadata_parse("a Pz8\xff", &m, &err), SP_EINVAL, "a byte outside base64");
	cr_expect_null(m);
}
