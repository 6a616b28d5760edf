/*
 * httpc: small HTTP requests with libcurl for setpost's own clients (offload --register,
 * pull, webhooks): JSON in, JSON or text out, a bearer token, a time limit, and an error that
 * says what the server said. Not for large transfers (tus_client and pull stream their own).
 */
#ifndef SETPOST_HTTPC_H
#define SETPOST_HTTPC_H

#include "lib/core/buf.h"
#include "lib/core/err.h"

#include <jansson.h>

struct httpc_resp {
	long status;
	struct buf body;       /* owned: httpc_resp_release */
};

/* Sends method url with an optional JSON body (borrowed) and bearer token. Returns 0 when the
 * exchange happened (whatever the status), SP_EUNAVAIL when the server could not be reached. */
int httpc_json(const char *method, const char *url, const char *token, json_t *body,
    long timeout_s, struct httpc_resp *resp, struct err *err);
/* The same with extra header lines ("Name: value") instead of a bearer token. */
int httpc_json_headers(const char *method, const char *url, const char *const *headers,
    size_t nheaders, json_t *body, long timeout_s, struct httpc_resp *resp, struct err *err);
void httpc_resp_release(struct httpc_resp *resp);

/* The CA certificate file (PEM) to trust for https:// requests, instead of the system's: a cart
 * serving HTTPS with its own certificate. Process-wide: call before any request (and before
 * threads start); NULL goes back to the system's. The string is borrowed. */
void httpc_set_cacert(const char *file);

/* An outbound policy (lib/core/outbound.h) every request of the process then follows: set by
 * the worker, whose requests go where someone else said. Borrowed; NULL for none. */
struct outbound_policy;
void httpc_set_outbound(const struct outbound_policy *policy);

/* "404: no such card" from a setpost JSON error body, or the status and the start of the body. */
void httpc_describe(const struct httpc_resp *resp, char *out, size_t len);

#endif
