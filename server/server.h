/*
 * server: the HTTP daemon (libmicrohttpd, a thread pool). server_start() binds and starts
 * answering; server_stop() stops accepting, lets in-flight requests finish (up to a grace
 * period) and joins the threads.
 */
#ifndef SETPOST_SERVER_H
#define SETPOST_SERVER_H

#include "http.h"

struct server_handle;

int server_start(struct server_handle **out, struct server *srv, struct err *err);
void server_stop(struct server_handle *h, double grace_seconds);

#endif
