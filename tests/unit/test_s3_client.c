/* lib/delivery/s3_client's pure parts: object URLs in both styles, S3 error codes from an
 * answer's body (letters and digits only), and the part size floor. */
#include "lib/delivery/s3_client.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

Test(s3_client, url_path_style_encodes_the_key_but_its_slashes)
{
	struct s3_link l = { .endpoint = "http://127.0.0.1:9000/", .bucket = "dailies", .path_style = true };
	struct err err = { 0 };
	char *u = NULL;

	cr_assert_eq(s3_url(&l, "in/Feature/A 001+é.mov", "uploads=", &u, &err), 0, "%s", err.msg);
	cr_expect_str_eq(u, "http://127.0.0.1:9000/dailies/in/Feature/A%20001%2B%C3%A9.mov?uploads=");
	free(u);
}

Test(s3_client, url_virtual_host_style_puts_the_bucket_in_the_host)
{
	struct s3_link l = { .endpoint = "https://s3.eu-west-1.amazonaws.com", .bucket = "feature-dailies" };
	struct err err = { 0 };
	char *u = NULL;

	cr_assert_eq(s3_url(&l, "a/b.mov", "partNumber=2&uploadId=x", &u, &err), 0, "%s", err.msg);
	cr_expect_str_eq(u, "https://feature-dailies.s3.eu-west-1.amazonaws.com/a/b.mov?partNumber=2&uploadId=x");
	free(u);
}

Test(s3_client, url_refuses_what_is_not_an_endpoint_or_a_bucket)
{
	struct s3_link l = { .endpoint = "ftp://x", .bucket = "b", .path_style = true };
	struct err err = { 0 };
	char *u = NULL;

	cr_expect_eq(s3_url(&l, "k", NULL, &u, &err), SP_EINVAL);
	l.endpoint = "http://x";
	l.bucket = "b/../c";
	cr_expect_eq(s3_url(&l, "k", NULL, &u, &err), SP_EINVAL);
	cr_expect_null(u);
}

Test(s3_client, error_code_is_letters_and_digits_only)
{
	static const char ok[] = "<?xml version=\"1.0\"?><Error><Code>NoSuchBucket</Code><Message>x</Message></Error>";
	static const char evil[] = "<Error><Code>Bad<script>alert(1)</script></Code></Error>";
	char code[72];

	s3_error_code(ok, strlen(ok), code, sizeof code);
	cr_expect_str_eq(code, "NoSuchBucket");
	s3_error_code(evil, strlen(evil), code, sizeof code);
	cr_expect_str_eq(code, "Bad");
	s3_error_code("", 0, code, sizeof code);
	cr_expect_str_eq(code, "");
	s3_error_code("<Code>", 6, code, sizeof code);
	cr_expect_str_eq(code, "");
}

Test(s3_client, parts_are_at_least_8_mib_and_at_most_10000)
{
	cr_expect_eq(s3_part_floor(1, 0), S3_MIN_PART);
	cr_expect_eq(s3_part_floor(1ull << 40, 0), 105u << 20);    /* 1 TiB / 10,000, in MiB */
	cr_expect_eq(s3_part_floor(1ull << 30, (size_t)(9.5 * (1 << 20))), 10u << 20);
	cr_expect_leq((1ull << 40) / s3_part_floor(1ull << 40, 0), S3_MAX_PARTS);
}
