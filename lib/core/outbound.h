/*
 * outbound: where setpost may connect out to on someone else's word (webhook URLs, delivery
 * targets and the Location a receiver answers with). Loopback, link-local, private, shared,
 * multicast, reserved and unspecified addresses are refused in every spelling ("0x7f000001",
 * "2130706433", "0177.1", "[::ffff:127.0.0.1]", "[::1]", "fe80::"), unless the operator allows
 * a network or a host by name (--outbound-allow "10.1.0.0/16,post.lan"): a post house on the
 * same LAN is real. A name is resolved once, its address checked, and the connection pinned to
 * that address (CURLOPT_RESOLVE), so a second answer from DNS cannot point it elsewhere.
 */
#ifndef SETPOST_OUTBOUND_H
#define SETPOST_OUTBOUND_H

#include "lib/core/err.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define OUTBOUND_MAX_ALLOW 32

struct outbound_policy {
	struct {
		int family;             /* AF_INET or AF_INET6; 0: a host name */
		unsigned char addr[16];
		int prefix;
		char host[256];
	} allow[OUTBOUND_MAX_ALLOW];
	size_t nallow;
};

/* Reads a comma-separated allow list (NULL or "": nothing allowed beyond public addresses). */
int outbound_policy_parse(struct outbound_policy *p, const char *allow, struct err *err);
/* True when the address is public, or allowed for host by the policy. */
bool outbound_address_ok(const struct outbound_policy *p, const char *host,
    const struct sockaddr *sa);
/* Without DNS: an http:// or https:// URL with a host and no user; a host written as an
 * address (any spelling) must be one the policy allows. For checking a URL when it is given. */
int outbound_check_url(const struct outbound_policy *p, const char *url, struct err *err);
/* Resolves url's host once, refuses it unless allowed, and sets CURLOPT_URL on c pinned to the
 * checked address, with no proxy and http/https only. *pin (free with curl_slist_free_all after
 * the transfer) holds the pinning. The error says only what setpost found, never the reply. */
int outbound_curl(CURL *c, const struct outbound_policy *p, const char *url,
    struct curl_slist **pin, struct err *err);

#endif
