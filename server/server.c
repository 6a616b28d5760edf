/* server: libmicrohttpd glue: request life cycle, limits, dispatch, access log (see server.h). */
#include "server.h"
#include "lib/core/clock.h"
#include "metrics.h"
#include "cache.h"
#include "sse.h"
#include "lib/core/log.h"
#include "lib/core/outbound.h"
#include "lib/core/utf8.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct server_handle {
	struct MHD_Daemon *daemon;
	struct server *srv;
	char *tls_key;    /* PEM text; must outlive the daemon */
	char *tls_cert;
};

static char *
server_read_pem(const char *path, struct err *err)
{
	FILE *f = fopen(path, "r");
	struct buf b = BUF_INIT(1 << 20);
	char chunk[4096];
	size_t n;

	if (f == NULL) {
		err_errno(err, SP_EINVAL, errno, "TLS file %s", path);
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_append(&b, chunk, n) < 0)
			break;
	fclose(f);
	if (b.len == 0 || strstr(b.data, "-----BEGIN") == NULL) {
		buf_release(&b);
		err_set(err, SP_EINVAL, "TLS file %s: not a PEM file", path);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

static int
server_tls(struct server *srv, struct server_handle *h, unsigned flags, struct MHD_OptionItem *slot,
    struct err *err)
{
	(void)flags;
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		return err_set(err, SP_EUNSUPPORTED, "this libmicrohttpd has no TLS support");
	if ((h->tls_key = server_read_pem(srv->cfg->tls_key, err)) == NULL ||
	    (h->tls_cert = server_read_pem(srv->cfg->tls_cert, err)) == NULL)
		return SP_EINVAL;   /* server_start frees what was read */
	slot[0] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, h->tls_key };
	slot[1] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, h->tls_cert };
	return 0;
}

/* Per connection (MHD's socket context): set by the unescape callback when the request line
 * held an escape that does not decode to clean text; read and cleared by the request's first
 * call. libmicrohttpd handles one request of a connection at a time, in one thread. */
struct server_conn {
	bool bad_escape;
};

static void
server_notify_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	(void)cls;
	(void)conn;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		*socket_context = calloc(1, sizeof(struct server_conn));
	else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		free(*socket_context);
		*socket_context = NULL;
	}
}

static struct server_conn *
server_conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

static int
server_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Strict percent-decoding of the path and of each query name and value (MHD has already
 * turned '+' into ' ' in the query). A malformed escape, or a result that is not UTF-8 text
 * free of NUL and control characters ("1%00", "%c0%ae", "%ff", "%0a"), leaves the text as it
 * came and marks the request, which is then refused with 400: "1%00" must never become "1". */
static size_t
server_unescape(void *cls, struct MHD_Connection *conn, char *s)
{
	size_t len = strlen(s), o = 0;
	char *out = malloc(len + 1);
	bool bad = out == NULL;
	struct server_conn *sc;

	(void)cls;
	for (size_t i = 0; !bad && i < len; i++) {
		int c = (unsigned char)s[i];
		if (c == '%') {
			int hi = i + 2 < len ? server_hex(s[i + 1]) : -1;
			int lo = hi >= 0 ? server_hex(s[i + 2]) : -1;
			if (hi < 0 || lo < 0) {
				bad = true;
				break;
			}
			c = hi * 16 + lo;
			i += 2;
		}
		if (c < 0x20 || c == 0x7f)
			bad = true;
		out[o++] = (char)c;
	}
	if (!bad && !utf8_valid(out, o))
		bad = true;
	if (bad) {
		if ((sc = server_conn_of(conn)) != NULL)
			sc->bad_escape = true;
		free(out);
		return len;
	}
	memcpy(s, out, o);
	s[o] = '\0';
	free(out);
	return o;
}

static bool
server_is_api(const char *url)
{
	return strncmp(url, "/api/", 5) == 0 || strcmp(url, "/api") == 0 ||
	    strcmp(url, "/metrics") == 0;
}

/* A body is only ever JSON on our API (the tus receiver will add its own content type). */
static bool
server_body_type_ok(struct request *req)
{
	const char *ct = request_header(req, "Content-Type");

	return ct && strncasecmp(ct, "application/json", 16) == 0 &&
	    (ct[16] == '\0' || ct[16] == ';' || ct[16] == ' ');
}

static enum MHD_Result
server_405(struct request *req, const char *allow)
{
	json_t *body = json_pack("{s:{s:s,s:s++}}", "error", "code", "method_not_allowed",
	    "message", req->method, " is not allowed here; allowed: ", allow);
	char *text = json_dumps(body, JSON_COMPACT);
	struct MHD_Response *resp;

	json_decref(body);
	if (text == NULL)
		return reply_response(req, 405, NULL);
	resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(text);
		return reply_response(req, 405, NULL);
	}
	MHD_add_response_header(resp, "Allow", allow);
	MHD_add_response_header(resp, "Content-Type", "application/json");
	return reply_response(req, 405, resp);
}

/* Runs the route's handler. A write may have changed anything cached: forget it before the
 * reply leaves, so the client's next read sees its write. */
static enum MHD_Result
server_handle(struct request *req)
{
	enum MHD_Result r = req->route->handler(req);

	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0)
		cache_wrote(req->srv->cache);
	return r;
}

static enum MHD_Result
server_dispatch(struct request *req)
{
	const struct route *route = req->matched;

	if (req->body_too_big)
		return reply_error(req, 413, "too_large", "request body over the limit of %ld bytes",
		    req->srv->cfg->max_body);
	if (!server_is_api(req->url)) {
		if (strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0)
			return static_get(req);
		return server_405(req, "GET, HEAD");
	}
	if (route == NULL && req->allow[0] == '\0')
		return reply_error(req, 404, "not_found", "no such resource: %s %s", req->method,
		    req->url);
	if (route == NULL)
		return server_405(req, req->allow);
	if (req->body.len > 0 && !server_body_type_ok(req))
		return reply_error(req, 415, "unsupported_media_type", "request body must be "
		    "application/json");
	req->route = route;
	if (!auth_request(req) || !scope_allows(req))
		return MHD_YES;
	return server_handle(req);
}

static struct request *
server_request_new(struct server *srv, struct MHD_Connection *conn, const char *url,
    const char *method)
{
	struct request *req = calloc(1, sizeof(*req));

	if (req == NULL)
		return NULL;
	req->srv = srv;
	req->conn = conn;
	req->url = url;
	req->method = method;
	req->started = clock_now();
	buf_init(&req->body, (size_t)srv->cfg->max_body);
	atomic_fetch_add(&srv->inflight, 1);
	return req;
}

static bool
server_declared_too_big(struct request *req)
{
	const char *cl = request_header(req, "Content-Length");

	return cl && strtoull(cl, NULL, 10) > (unsigned long long)req->srv->cfg->max_body;
}

/* tus 1.0: a client whose environment cannot send PATCH or DELETE sends POST (or GET) with
 * X-HTTP-Method-Override, and the server must act on that method. Honoured for the tus
 * receiver's upload URLs only; a method they do not answer gets the router's 405. */
static const char *
server_method(struct MHD_Connection *conn, const char *url, const char *method)
{
	const char *o;

	if (strncmp(url, "/api/v1/uploads/", 16) != 0 || url[16] == '\0')
		return method;
	o = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-HTTP-Method-Override");
	return o && *o ? o : method;
}

static bool
server_is_tus(const struct request *req)
{
	return strncmp(req->url, "/api/v1/uploads/", 16) == 0;
}

/* Every request gets exactly one answer: a handler that returned without one is a bug, and
 * the client gets a 500 instead of a connection that hangs until it times out. */
static enum MHD_Result
server_answered(struct request *req, enum MHD_Result r)
{
	if (req->answered)
		return r;
	log_error("%s %s: the handler gave no answer", req->method, req->url);
	return reply_error(req, 500, "internal", "the server gave no answer to this request");
}

/* The first call for a request: its headers are in, no body yet. */
static enum MHD_Result
server_begin(struct server *srv, struct MHD_Connection *conn, const char *url,
    const char *method, void **req_cls)
{
	struct server_conn *sc = server_conn_of(conn);
	struct request *req;

	method = server_method(conn, url, method);
	if ((req = server_request_new(srv, conn, url, method)) == NULL)
		return MHD_NO;
	*req_cls = req;
	if (sc && sc->bad_escape) {
		sc->bad_escape = false;
		return reply_error(req, 400, "invalid", "the URL is not valid: every %%-escape must "
		    "decode to UTF-8 text without NUL or control characters");
	}
	if (!utf8_valid(url, strlen(url)))
		return reply_error(req, 400, "invalid", "the URL is not valid UTF-8");
	if (server_is_api(url))
		req->matched = router_match(server_routes, server_nroutes, method, url, req,
		    req->allow, sizeof(req->allow));
	/* Refuse before reading a body we would throw away (tus uploads have their own sizes). */
	if (server_declared_too_big(req) && !server_is_tus(req))
		return reply_error(req, 413, "too_large", "request body over the limit of %ld "
		    "bytes", req->srv->cfg->max_body);
	if (req->matched && req->matched->chunk) {
		/* A streamed body: who is sending is checked before a byte is taken. */
		req->route = req->matched;
		if (auth_request(req))
			req->route->chunk(req, NULL, 0);
		return MHD_YES;
	}
	return MHD_YES;
}

static enum MHD_Result
server_access(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
    const char *version, const char *upload_data, size_t *upload_data_size, void **req_cls)
{
	struct request *req = *req_cls;

	(void)version;
	if (req == NULL)
		return server_begin(cls, conn, url, method, req_cls);
	req->in_body = *upload_data_size > 0;
	if (req->in_body && !server_is_tus(req) &&
	    clock_now() - req->started > (double)req->srv->cfg->request_time_limit) {
		if (req->answered)
			return MHD_NO;  /* a refused body still trickling in: stop reading it */
		reply_error(req, 408, "timeout", "the request body took longer than %ld s",
		    req->srv->cfg->request_time_limit);
	}
	if (req->answered) {
		/* Read what follows a refusal (a client mid-send sees no reply before it is done),
		 * up to as much again as the limit; past that the connection is closed. */
		req->discarded += *upload_data_size;
		*upload_data_size = 0;
		if (req->discarded > 2ULL * (unsigned long long)req->srv->cfg->max_body &&
		    !server_is_tus(req))
			return MHD_NO;
		if (!req->in_body && req->deferred) {
			struct MHD_Response *resp = req->deferred;
			enum MHD_Result r;

			req->deferred = NULL;
			r = MHD_queue_response(conn, req->status, resp);
			MHD_destroy_response(resp);
			return r;
		}
		return MHD_YES;
	}
	if (req->route && req->route->chunk) {
		if (*upload_data_size) {
			req->route->chunk(req, upload_data, *upload_data_size);
			*upload_data_size = 0;
			return MHD_YES;
		}
		return server_answered(req, server_handle(req));
	}
	if (*upload_data_size) {
		if (!req->body_too_big && buf_append(&req->body, upload_data, *upload_data_size) < 0) {
			req->body_too_big = true;
			buf_release(&req->body);
			/* Answer now (sent when the body has arrived); the rest is thrown away. */
			reply_error(req, 413, "too_large", "request body over the limit of %ld bytes",
			    req->srv->cfg->max_body);
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	return server_answered(req, server_dispatch(req));
}

static void
server_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct server *srv = cls;
	struct request *req = *req_cls;
	char addr[64];
	double secs;

	if (req == NULL)
		return;
	(void)conn;
	secs = clock_now() - req->started;
	request_address(req, addr, sizeof(addr));
	metrics_observe(srv->metrics, req->method,
	    req->route ? req->route->pattern : server_is_api(req->url) ? "none" : "static",
	    req->status, secs);
	log_access(addr, req->method, req->url, req->status, secs * 1e3,
	    toe != MHD_REQUEST_TERMINATED_COMPLETED_OK);
	if (req->stream_done)
		req->stream_done(req, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK);
	if (req->deferred)
		MHD_destroy_response(req->deferred);
	cache_fill_end(srv->cache, req);
	buf_release(&req->body);
	json_decref(req->json);
	free(req);
	atomic_fetch_sub(&srv->inflight, 1);
	*req_cls = NULL;
}

static int
server_addr(const char *listen, struct sockaddr_storage *ss, bool *v6, struct err *err)
{
	struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICSERV,
		.ai_socktype = SOCK_STREAM }, *ai;
	char host[256], port[8];
	int p, rc;

	if ((rc = config_split_listen(listen, host, sizeof(host), &p, err)) < 0)
		return rc;
	snprintf(port, sizeof(port), "%d", p);
	if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0)
		return err_set(err, SP_EINVAL, "listen address %s: %s", listen, gai_strerror(rc));
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*v6 = ai->ai_family == AF_INET6;
	freeaddrinfo(ai);
	return 0;
}

int
server_start(struct server_handle **out, struct server *srv, struct err *err)
{
	struct sockaddr_storage ss;
	struct outbound_policy outbound;
	unsigned char proxy[16];
	struct err bad;
	struct server_handle *h;
	const union MHD_DaemonInfo *info;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL_LINUX_ONLY |
		MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
	bool v6 = false, pages_off;
	int rc;

	if ((rc = server_addr(srv->cfg->listen, &ss, &v6, err)) < 0)
		return rc;
	if ((rc = outbound_policy_parse(&outbound, srv->cfg->outbound_allow, &bad)) < 0)
		return err_set(err, rc, "--outbound-allow: %s", bad.msg);
	if (srv->cfg->trust_proxy && inet_pton(AF_INET, srv->cfg->trust_proxy, proxy) != 1 &&
	    inet_pton(AF_INET6, srv->cfg->trust_proxy, proxy) != 1)
		return err_set(err, SP_EINVAL, "--trust-proxy: '%s' is not an IP address",
		    srv->cfg->trust_proxy);
	if (v6)
		flags |= MHD_USE_IPv6;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	h->srv = srv;
	pages_off = srv->cfg->page_cache && strcmp(srv->cfg->page_cache, "off") == 0;
	if ((rc = cache_create(&srv->cache, pages_off, err)) < 0)
		goto fail;
	struct MHD_OptionItem opts[] = {
		{ MHD_OPTION_SOCK_ADDR, 0, &ss },
		{ MHD_OPTION_THREAD_POOL_SIZE, srv->cfg->threads, NULL },
		{ MHD_OPTION_CONNECTION_TIMEOUT, srv->cfg->request_timeout, NULL },
		{ MHD_OPTION_CONNECTION_LIMIT, 1000, NULL },
		{ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)server_completed, srv },
		{ MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)server_notify_connection, NULL },
		{ MHD_OPTION_UNESCAPE_CALLBACK, (intptr_t)server_unescape, NULL },
		{ MHD_OPTION_END, 0, NULL },   /* TLS key goes here */
		{ MHD_OPTION_END, 0, NULL },   /* TLS certificate goes here */
		{ MHD_OPTION_END, 0, NULL },
	};
	if (srv->cfg->tls_cert) {
		if ((rc = server_tls(srv, h, flags, opts + 7, err)) < 0)
			goto fail;
		flags |= MHD_USE_TLS;
		srv->tls = true;
	} else {
		/* Each connection's buffer is what one read takes from the socket: 32 KiB by default,
		 * 256 KiB moves uploads faster (fewer reads, writes and callbacks). Plain HTTP only:
		 * with TLS it made a request hang at shutdown (seen in test_auth). */
		opts[7] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_MEMORY_LIMIT, 256 * 1024, NULL };
	}
	h->daemon = MHD_start_daemon(flags, 0, NULL, NULL, server_access, srv,
	    MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (h->daemon == NULL) {
		rc = err_set(err, SP_EUNAVAIL, "cannot listen on %s (address in use, or not an "
		    "address of this machine)", srv->cfg->listen);
		goto fail;
	}
	if ((rc = sse_hub_start(&srv->sse, srv, err)) < 0)
		goto fail;
	info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = info ? info->port : 0;
	*out = h;
	return 0;
fail:
	if (h->daemon)
		MHD_stop_daemon(h->daemon);
	free(h->tls_key);
	free(h->tls_cert);
	cache_free(srv->cache);
	srv->cache = NULL;
	free(h);
	return rc;
}

void
server_stop(struct server_handle *h, double grace_seconds)
{
	double until = clock_now() + grace_seconds;
	MHD_socket s;

	if (h == NULL)
		return;
	/* Stop accepting; end the event streams (they never finish by themselves); connections
	 * already in flight finish before the threads are joined. */
	s = MHD_quiesce_daemon(h->daemon);
	sse_hub_stop(h->srv->sse);
	/* Idle keep-alive connections do not count: only requests being answered. */
	while (clock_now() < until && atomic_load(&h->srv->inflight) > 0)
		usleep(20000);
	MHD_stop_daemon(h->daemon);
	sse_hub_release(h->srv->sse);
	h->srv->sse = NULL;
	if (s != MHD_INVALID_SOCKET)
		close(s);
	free(h->tls_key);
	free(h->tls_cert);
	cache_free(h->srv->cache);
	h->srv->cache = NULL;
	free(h);
}
