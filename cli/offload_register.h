/* offload_register: `setpost offload --register URL`: the result, grouped into clips by the
 * card's layout, sent to a setpost server as POST /api/v1/offloads. */
#ifndef SETPOST_OFFLOAD_REGISTER_H
#define SETPOST_OFFLOAD_REGISTER_H

#include "lib/core/err.h"
#include "lib/custody/offload.h"

#include <jansson.h>
#include <stdio.h>

struct offload_register_opts {
	const char *url;          /* server base address; NULL: do not register */
	const char *token;
	const char *cacert;       /* CA file for an https URL; NULL: SETPOST_CACERT, else the system's */
	const char *production, *day, *camera;
};

/* Registers; prints the server's verdict on out and, when verdict is not NULL, hands it over
 * (the caller owns it). Returns 0, or < 0 with err (the server's message when it refused). */
int offload_register(const struct offload_result *res, const struct offload_register_opts *o,
    FILE *out, json_t **verdict, struct err *err);

/* The server's address for path ("/api/v1/offloads") into url, without a doubled '/'. */
void offload_register_url(const struct offload_register_opts *o, const char *path, char *url,
    size_t len);

/* POSTs doc (released here) to the server's path; on 201, *verdict is the server's answer
 * (NULL when it is not JSON; the caller releases it). A refusal is SP_EAUTH or SP_EINVAL with
 * the server's message. */
int offload_register_post(const struct offload_register_opts *o, const char *path, json_t *doc,
    json_t **verdict, struct err *err);

#endif
