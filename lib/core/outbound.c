/* outbound: the address policy for connections made on someone else's word (see outbound.h). */
#include "lib/core/outbound.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool
outbound_in_net(const unsigned char *a, const unsigned char *net, int prefix)
{
	int full = prefix / 8, rest = prefix % 8;

	if (memcmp(a, net, (size_t)full) != 0)
		return false;
	return rest == 0 || ((a[full] ^ net[full]) & (0xff << (8 - rest))) == 0;
}

/* Networks no outside party may send setpost to (RFC 6890 special-purpose, not global). */
static bool
outbound_v4_public(const unsigned char *a)
{
	static const struct { unsigned char net[4]; int prefix; } blocked[] = {
		{ { 0, 0, 0, 0 }, 8 },          /* "this network", unspecified */
		{ { 10, 0, 0, 0 }, 8 },         /* private */
		{ { 100, 64, 0, 0 }, 10 },      /* shared (carrier-grade NAT) */
		{ { 127, 0, 0, 0 }, 8 },        /* loopback */
		{ { 169, 254, 0, 0 }, 16 },     /* link-local, cloud metadata */
		{ { 172, 16, 0, 0 }, 12 },      /* private */
		{ { 192, 0, 0, 0 }, 24 },       /* IETF protocol assignments */
		{ { 192, 0, 2, 0 }, 24 },       /* documentation */
		{ { 192, 88, 99, 0 }, 24 },     /* 6to4 relay anycast */
		{ { 192, 168, 0, 0 }, 16 },     /* private */
		{ { 198, 18, 0, 0 }, 15 },      /* benchmarking */
		{ { 198, 51, 100, 0 }, 24 },    /* documentation */
		{ { 203, 0, 113, 0 }, 24 },     /* documentation */
		{ { 224, 0, 0, 0 }, 4 },        /* multicast */
		{ { 240, 0, 0, 0 }, 4 },        /* reserved, broadcast */
	};

	for (size_t i = 0; i < sizeof(blocked) / sizeof(blocked[0]); i++)
		if (outbound_in_net(a, blocked[i].net, blocked[i].prefix))
			return false;
	return true;
}

static bool
outbound_v6_public(const unsigned char *a)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const unsigned char nat64[12] = { 0, 0x64, 0xff, 0x9b };
	static const unsigned char zero[16] = { 0 };

	/* An IPv4 address inside an IPv6 one is judged as that IPv4 address. */
	if (memcmp(a, mapped, 12) == 0 || memcmp(a, nat64, 12) == 0)
		return outbound_v4_public(a + 12);
	if (a[0] == 0x20 && a[1] == 0x02)               /* 6to4 2002::/16 */
		return outbound_v4_public(a + 2);
	if (memcmp(a, zero, 12) == 0)                   /* ::, ::1, IPv4-compatible ::/96 */
		return false;
	if ((a[0] & 0xfe) == 0xfc)                      /* unique local fc00::/7 */
		return false;
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)      /* link-local fe80::/10 */
		return false;
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0)      /* site-local fec0::/10 (deprecated) */
		return false;
	if (a[0] == 0xff)                               /* multicast */
		return false;
	if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8)  /* documentation */
		return false;
	if (a[0] == 0x01 && memcmp(a + 1, zero, 7) == 0)  /* discard-only 100::/64 */
		return false;
	return true;
}

int
outbound_policy_parse(struct outbound_policy *p, const char *allow, struct err *err)
{
	char list[4096], *save = NULL;

	memset(p, 0, sizeof(*p));
	if (allow == NULL || *allow == '\0')
		return 0;
	if (strlen(allow) >= sizeof(list))
		return err_set(err, SP_EINVAL, "outbound allow list: too long");
	snprintf(list, sizeof(list), "%s", allow);
	for (char *t = strtok_r(list, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
		char *slash = strchr(t, '/'), *end;
		long prefix = -1;

		if (p->nallow == OUTBOUND_MAX_ALLOW)
			return err_set(err, SP_EINVAL, "outbound allow list: more than %d entries",
			    OUTBOUND_MAX_ALLOW);
		if (slash) {
			*slash = '\0';
			prefix = strtol(slash + 1, &end, 10);
			if (*end || slash[1] == '\0')
				return err_set(err, SP_EINVAL, "outbound allow list: '%s/%s' is not a "
				    "network (address/prefix)", t, slash + 1);
		}
		if (inet_pton(AF_INET, t, p->allow[p->nallow].addr) == 1) {
			p->allow[p->nallow].family = AF_INET;
			p->allow[p->nallow].prefix = prefix < 0 ? 32 : (int)prefix;
			if (prefix > 32)
				return err_set(err, SP_EINVAL, "outbound allow list: /%ld is past 32", prefix);
		} else if (inet_pton(AF_INET6, t, p->allow[p->nallow].addr) == 1) {
			p->allow[p->nallow].family = AF_INET6;
			p->allow[p->nallow].prefix = prefix < 0 ? 128 : (int)prefix;
			if (prefix > 128)
				return err_set(err, SP_EINVAL, "outbound allow list: /%ld is past 128", prefix);
		} else if (slash == NULL && strlen(t) < sizeof(p->allow[0].host) &&
		    strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") ==
		    strlen(t)) {
			snprintf(p->allow[p->nallow].host, sizeof(p->allow[0].host), "%s", t);
		} else {
			return err_set(err, SP_EINVAL, "outbound allow list: '%s' is neither a network "
			    "nor a host name", t);
		}
		p->nallow++;
	}
	return 0;
}

bool
outbound_address_ok(const struct outbound_policy *p, const char *host, const struct sockaddr *sa)
{
	const unsigned char *a;
	unsigned char v4[4];
	bool v6;

	if (sa->sa_family == AF_INET)
		a = (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		a = (const unsigned char *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
	else
		return false;
	v6 = sa->sa_family == AF_INET6;
	for (size_t i = 0; p && i < p->nallow; i++) {
		if (p->allow[i].family == 0 && host && strcasecmp(p->allow[i].host, host) == 0)
			return true;
		if (p->allow[i].family == sa->sa_family &&
		    outbound_in_net(a, p->allow[i].addr, p->allow[i].prefix))
			return true;
		/* An allowed IPv4 network also covers its IPv4-mapped IPv6 spelling. */
		if (v6 && p->allow[i].family == AF_INET && a[10] == 0xff && a[11] == 0xff &&
		    memcmp(a, "\0\0\0\0\0\0\0\0\0\0", 10) == 0) {
			memcpy(v4, a + 12, 4);
			if (outbound_in_net(v4, p->allow[i].addr, p->allow[i].prefix))
				return true;
		}
	}
	return v6 ? outbound_v6_public(a) : outbound_v4_public(a);
}

/* The parts of url libcurl will use: host (brackets removed, IPv4 numbers normalised by
 * libcurl: "0x7f000001" is "127.0.0.1") and port. */
static int
outbound_parts(const char *url, char *host, size_t hlen, char *port, size_t plen,
    struct err *err)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *h = NULL, *pt = NULL, *user = NULL;
	int rc = 0;

	if (u == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	if (strpbrk(url, " \t\r\n") || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK || h[0] == '\0' ||
	    curl_url_get(u, CURLUPART_PORT, &pt, CURLU_DEFAULT_PORT) != CURLUE_OK)
		rc = err_set(err, SP_EINVAL, "url: expected an http:// or https:// address with a host");
	else if (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0)
		rc = err_set(err, SP_EINVAL, "url: expected an http:// or https:// address, not %s://",
		    scheme);
	else if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK)
		rc = err_set(err, SP_EINVAL, "url: no user or password in the address");
	else if (strlen(h) >= hlen)
		rc = err_set(err, SP_EINVAL, "url: host name too long");
	if (rc == 0) {
		size_t n = strlen(h);
		if (h[0] == '[' && n >= 2 && h[n - 1] == ']')
			snprintf(host, hlen, "%.*s", (int)(n - 2), h + 1);
		else
			snprintf(host, hlen, "%s", h);
		snprintf(port, plen, "%s", pt);
	}
	curl_free(scheme);
	curl_free(h);
	curl_free(pt);
	curl_free(user);
	curl_url_cleanup(u);
	return rc;
}

/* A name that is this machine whatever DNS says (RFC 6761): refused unless allowed by name. */
static bool
outbound_name_ok(const struct outbound_policy *p, const char *host)
{
	size_t n = strlen(host);
	struct sockaddr_in lo = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	if (strcasecmp(host, "localhost") != 0 &&
	    (n <= 10 || strcasecmp(host + n - 10, ".localhost") != 0))
		return true;
	return outbound_address_ok(p, host, (const struct sockaddr *)&lo);
}

int
outbound_check_url(const struct outbound_policy *p, const char *url, struct err *err)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST, .ai_socktype = SOCK_STREAM }, *ai;
	char host[256], port[16];
	int rc;

	if ((rc = outbound_parts(url, host, sizeof(host), port, sizeof(port), err)) < 0)
		return rc;
	/* A name is judged when it is resolved, at connect time. getaddrinfo reads every inet_aton
	 * spelling ("2130706433", "0x7f.1", "0177.0.0.1") as the address it is. */
	if (getaddrinfo(host, NULL, &hints, &ai) != 0)
		return outbound_name_ok(p, host) ? 0 : err_set(err, SP_EINVAL, "url: %s is this "
		    "machine; setpost does not send there unless the operator allows it "
		    "(--outbound-allow)", host);
	rc = outbound_address_ok(p, host, ai->ai_addr) ? 0 : err_set(err, SP_EINVAL, "url: %s "
	    "is a loopback, private, link-local, multicast or reserved address; setpost does not "
	    "send there unless the operator allows it (--outbound-allow)", host);
	freeaddrinfo(ai);
	return rc;
}

int
outbound_curl(CURL *c, const struct outbound_policy *p, const char *url,
    struct curl_slist **pin, struct err *err)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai, *use = NULL;
	char host[256], port[16], addr[INET6_ADDRSTRLEN], entry[400];
	int rc;

	*pin = NULL;
	if ((rc = outbound_parts(url, host, sizeof(host), port, sizeof(port), err)) < 0)
		return rc;
	if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0)
		return err_set(err, SP_EUNAVAIL, "%s: the name does not resolve", host);
	/* Every address the name has must be allowed: one bad answer among good ones is a sign of
	 * rebinding. The first is the one connected to. */
	for (struct addrinfo *a = ai; a; a = a->ai_next) {
		if (!outbound_address_ok(p, host, a->ai_addr)) {
			freeaddrinfo(ai);
			return err_set(err, SP_EFORBIDDEN, "%s is a loopback, private, link-local, "
			    "multicast or reserved address; setpost does not send there unless the "
			    "operator allows it (--outbound-allow)", host);
		}
		if (use == NULL)
			use = a;
	}
	if (use->ai_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)use->ai_addr)->sin_addr, addr, sizeof(addr));
	else
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)use->ai_addr)->sin6_addr, addr,
		    sizeof(addr));
	snprintf(entry, sizeof(entry), use->ai_family == AF_INET6 ? "%s:%s:[%s]" : "%s:%s:%s",
	    host, port, addr);
	freeaddrinfo(ai);
	if ((*pin = curl_slist_append(NULL, entry)) == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_RESOLVE, *pin);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	return 0;
}
