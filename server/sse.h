/*
 * sse: live events for the dashboard and integrations (GET /api/v1/events/stream), as
 * Server-Sent Events. A hub thread LISTENs on PostgreSQL's `setpost_events` channel, so a change
 * made by any worker on any host reaches every open stream at once. Each stream reads the
 * events table from its last id (Last-Event-ID resumes without loss), writes only when the
 * client's socket can take more (a slow client stalls no one), and sleeps suspended in
 * libmicrohttpd between events; a comment line every 15 s keeps proxies from closing it.
 */
#ifndef SETPOST_SSE_H
#define SETPOST_SSE_H

#include "http.h"

struct sse_hub;

int sse_hub_start(struct sse_hub **out, struct server *srv, struct err *err);
/* Ends every stream (they finish at once) and stops the hub thread. */
void sse_hub_stop(struct sse_hub *hub);
/* Frees the hub once the daemon has stopped. */
void sse_hub_release(struct sse_hub *hub);

#endif
