/* offload_register: `setpost offload --register URL`: the result, grouped into clips by the
 * card's layout, sent to a setpost server as POST /api/v1/offloads. */
#ifndef SETPOST_OFFLOAD_REGISTER_H
#define SETPOST_OFFLOAD_REGISTER_H

#include "lib/core/err.h"
#include "lib/custody/offload.h"
#include "lib/custody/offload_doc.h"

#include <jansson.h>
#include <stdio.h>

struct offload_register_opts {
	const char *url;          /* server base address; NULL: do not register */
	const char *token;
	const char *cacert;       /* CA file for an https URL; NULL: SETPOST_CACERT, else the system's */
	const char *production, *day, *camera;
};

/* Clip by clip while the offload runs: each clip whose files are all verified on every
 * destination is registered at once as a part of the card ("complete": false), so the server
 * probes and proxies it while the rest of the card is still copying. */
struct offload_register_parts {
	struct offload_parts parts;
	int declared;             /* the destinations are declared volumes */
	int stopped;              /* a part was refused or failed: the rest wait for the whole */
	size_t sent;              /* parts registered */
};

/* File k of res reached its final state (the offload's on_file): registers its clip when that
 * completed it. Returns 1 with the clip's name in *clip (borrowed from st) when a part was
 * registered, 0 when none was due, < 0 with err when it failed (later parts are not tried;
 * the whole card's registration at the end still is). */
int offload_register_file(struct offload_register_parts *st, const struct offload_result *res,
    size_t k, const struct offload_register_opts *o, const char **clip, struct err *err);

/* Registers the whole card ("complete"; after parts, it ends them: only then may the card be
 * safe to format); st may be NULL. Prints the server's verdict on out and, when verdict is not NULL, hands it over
 * (the caller owns it). Returns 0, or < 0 with err (the server's message when it refused). */
int offload_register(const struct offload_result *res, const struct offload_register_opts *o,
    struct offload_register_parts *st, FILE *out, json_t **verdict, struct err *err);

/* The server's address for path ("/api/v1/offloads") into url, without a doubled '/'. */
void offload_register_url(const struct offload_register_opts *o, const char *path, char *url,
    size_t len);

/* POSTs doc (released here) to the server's path; on 201, *verdict is the server's answer
 * (NULL when it is not JSON; the caller releases it). A refusal is SP_EAUTH or SP_EINVAL with
 * the server's message. */
int offload_register_post(const struct offload_register_opts *o, const char *path, json_t *doc,
    json_t **verdict, struct err *err);

#endif
