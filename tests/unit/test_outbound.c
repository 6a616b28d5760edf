/* outbound: every spelling of a loopback, private, link-local, multicast or unspecified address
 * is refused; public ones pass; the operator's allow list lets networks and names through. */
#include "lib/core/outbound.h"

#include <criterion/criterion.h>
#include <string.h>

static int
check(const char *allow, const char *url)
{
	struct outbound_policy p;
	struct err err;

	cr_assert_eq(outbound_policy_parse(&p, allow, &err), 0, "%s", err.msg);
	return outbound_check_url(&p, url, &err);
}

Test(outbound, refuses_every_spelling_of_a_local_address)
{
	static const char *const urls[] = {
		"http://127.0.0.1/", "http://127.1/", "http://0x7f000001/", "http://2130706433/",
		"http://0177.0.0.1/", "http://0x7f.0.0.1/", "http://017700000001/", "http://[::1]/",
		"http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/", "http://[0:0:0:0:0:0:0:1]/",
		"http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://172.16.5.4/",
		"http://192.168.1.1:8080/", "http://100.64.0.1/", "http://[fe80::1]/",
		"http://[fe80::1%25eth0]/", "http://[fc00::1]/", "http://[fd12:3456::1]/",
		"http://224.0.0.1/", "http://[ff02::1]/", "http://0.0.0.0/", "http://0/",
		"http://[::]/", "http://255.255.255.255/", "http://[64:ff9b::a00:1]/",
		"http://[2002:7f00:1::]/", "http://[::127.0.0.1]/", "http://localhost:9/",
		"http://api.localhost/", "https://[::ffff:169.254.169.254]/", NULL,
	};

	for (int i = 0; urls[i]; i++)
		cr_expect_eq(check(NULL, urls[i]), SP_EINVAL, "%s must be refused", urls[i]);
}

Test(outbound, public_addresses_and_names_pass)
{
	cr_expect_eq(check(NULL, "https://93.184.216.34/hook"), 0);
	cr_expect_eq(check(NULL, "https://[2606:2800:220:1:248:1893:25c8:1946]/"), 0);
	cr_expect_eq(check(NULL, "https://post.example.com/hook"), 0, "names are judged at connect");
	cr_expect_eq(check(NULL, "ftp://93.184.216.34/"), SP_EINVAL);
	cr_expect_eq(check(NULL, "http://u:p@93.184.216.34/"), SP_EINVAL);
}

Test(outbound, the_allow_list_lets_networks_and_names_through)
{
	cr_expect_eq(check("127.0.0.1/32", "http://127.0.0.1:8080/"), 0);
	cr_expect_eq(check("127.0.0.1/32", "http://0x7f000001/"), 0, "the same address");
	cr_expect_eq(check("127.0.0.1/32", "http://[::ffff:127.0.0.1]/"), 0, "its mapped form");
	cr_expect_eq(check("127.0.0.1/32", "http://127.0.0.2/"), SP_EINVAL);
	cr_expect_eq(check("10.1.0.0/16, ::1", "http://10.1.200.3/"), 0);
	cr_expect_eq(check("10.1.0.0/16, ::1", "http://[::1]/"), 0);
	cr_expect_eq(check("10.1.0.0/16", "http://10.2.0.1/"), SP_EINVAL);
	cr_expect_eq(check("localhost", "http://localhost/"), 0);
}

Test(outbound, a_bad_allow_list_is_refused)
{
	struct outbound_policy p;
	struct err err;

	cr_expect_eq(outbound_policy_parse(&p, "10.0.0.0/33", &err), SP_EINVAL);
	cr_expect_eq(outbound_policy_parse(&p, "10.0.0.0/x", &err), SP_EINVAL);
	cr_expect_eq(outbound_policy_parse(&p, "a b/c", &err), SP_EINVAL);
	cr_expect_eq(outbound_policy_parse(&p, "", &err), 0);
}

Test(outbound, connecting_pins_the_checked_address)
{
	struct outbound_policy p;
	struct curl_slist *pin = NULL;
	struct err err;
	CURL *c = curl_easy_init();

	cr_assert_not_null(c);
	outbound_policy_parse(&p, NULL, &err);
	cr_expect_eq(outbound_curl(c, &p, "http://localhost:9/", &pin, &err), SP_EFORBIDDEN,
	    "localhost resolves to loopback: refused when resolved");
	cr_expect_null(pin);
	outbound_policy_parse(&p, "127.0.0.0/8,::1", &err);
	cr_expect_eq(outbound_curl(c, &p, "http://localhost:9/", &pin, &err), 0, "%s", err.msg);
	cr_assert_not_null(pin);
	cr_expect(strncmp(pin->data, "localhost:9:", 12) == 0, "pinned: %s", pin->data);
	curl_slist_free_all(pin);
	curl_easy_cleanup(c);
}
