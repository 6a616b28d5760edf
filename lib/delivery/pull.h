/*
 * pull: editorial's mirror of a setpost server's dailies (`setpost pull`). A pass lists the
 * dailies feed (GET /api/v1/dailies, paged) and brings each ready rendition to
 * DEST/<day>/<card>/<file>:
 *   - a file already there with the size and xxh64 the feed gives is skipped (a small state
 *     file, DEST/.setpost-pull.json, remembers what was checked; a file not in it is hashed);
 *   - otherwise it is fetched into <file>.part, hashed while it is written; a .part left by an
 *     interrupted run is hashed and continued with Range + If-Range (its ETag), so bytes already
 *     here are not fetched again. The state records the ETag a .part was begun from before its
 *     first byte: a .part of another version, or of unknown origin, starts over, and so does
 *     one whose file changed on the server meanwhile (If-Range: 200 instead of 206);
 *   - the finished file must have the feed's size and xxh64: then it is flushed to disk and
 *     renamed into place; else it is kept aside as <file>.bad and the pass reports it;
 *   - each day touched gets its ALEs and looks beside its folders, replaced atomically: one
 *     ALE per frame rate as GET /api/v1/days/{id}/ales lists them (DEST/<day>/<day>.ale, or
 *     <day>_<rate>.ale on a mixed day; ones the list no longer names are removed), the day's
 *     OpenTimelineIO timeline DEST/<day>/<day>.otio (its target_urls relative to that
 *     folder: <card>/<file>) and DEST/<day>/<day>.ccc when the day has looks.
 * Killed at any point, the next pass ends with the same tree and fetches no byte twice (but
 * the ones in flight when it was killed).
 *
 * Waiting for more (--watch): pull_wait() follows the event stream (GET /api/v1/events/stream)
 * from a known event id until a rendition.ready event, a time limit, or the stream failing.
 *
 * Nothing here prints: lines for people go to opts.note, progress to opts.progress.
 * Ownership: pull_open() makes a struct pull the caller frees with pull_close(); opts and its
 * strings are borrowed and must outlive it. Not thread-safe (one libcurl handle, reused so its
 * connection and TLS session stay open between files).
 */
#ifndef SETPOST_PULL_H
#define SETPOST_PULL_H

#include "lib/core/err.h"

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

struct pull_progress {
	uint64_t done;          /* bytes of this pass fetched or already here */
	uint64_t total;         /* bytes this pass has to bring */
	double rate;            /* bytes/s of the current transfer */
	const char *name;       /* the file being fetched, relative to DEST */
};

struct pull_opts {
	const char *url;        /* the server, "https://host:8440" */
	const char *dest;       /* the folder to mirror into (made if missing) */
	const char *token;      /* bearer token (editor role is enough) */
	const char *cacert;     /* PEM file of CAs to trust for HTTPS, or NULL for the system's */
	bool insecure;          /* do not check the server's certificate */
	const char *day;        /* only this day (id or YYYY-MM-DD), or NULL */
	const char *profile;    /* only this rendition profile, or NULL */
	uint64_t max_speed;     /* bytes/s, 0 for no limit */
	int bytes_log_fd;       /* when >= 0, "N\n" is written for every N bytes received */
	volatile sig_atomic_t *stop;    /* set (by a signal) to stop soon: SP_ECANCELED */
	/* A line for people: a file brought (problem false) or refused (true). */
	void (*note)(void *arg, bool problem, const char *line);
	void (*progress)(void *arg, const struct pull_progress *p);
	void *arg;
};

struct pull_stats {
	int fetched;            /* files brought this pass */
	int present;            /* files already here */
	int refused;            /* files whose bytes did not match: kept aside */
	uint64_t bytes;         /* bytes received */
};

struct pull;

int pull_open(struct pull **out, const struct pull_opts *opts, struct err *err);
void pull_close(struct pull *p);

/* One pass over the feed after position since (NULL: from the start). Returns 0 when every
 * file is here and matches, SP_EMISMATCH when some were refused (the rest are done), or
 * another SP_E* code when the pass could not finish (server unreachable, disk full...). */
int pull_pass(struct pull *p, const char *since, struct pull_stats *st, struct err *err);

/* The feed position after the last item a pass saw ("" before any). */
const char *pull_position(const struct pull *p);

/* The newest event id on the server (so a stream can start there). */
int pull_last_event(struct pull *p, long long *id, struct err *err);

/* Follows the event stream from event *id for at most seconds. Returns 1 when a
 * rendition.ready event came (updating *id), 0 when the time ran out, or an SP_E* code when
 * the stream failed. */
int pull_wait(struct pull *p, long long *id, int seconds, struct err *err);

#endif
