/*
 * journal: what a worker could not write to the database, kept on disk until it can. A job
 * whose work is finished (an offload's copies verified) but whose result cannot be recorded
 * (the database is down) must not be lost with the process: its outcome, and what its kind
 * still has to write (an offload's registration), go here, one file per job, and the worker
 * hands them to the database when it starts and as soon as the database answers again.
 *
 * Layout: DIR/job-<id>.json, one JSON object each (the caller decides its fields; "job" holds
 * the id). A file is written under a temporary name, fsynced, renamed into place and the
 * folder fsynced, so after a crash an entry is either whole or absent. DIR is created (0700)
 * on the first write. Entries are small: at most JOURNAL_MAX bytes each.
 *
 * Nothing here touches the database or keeps state; calls on different jobs are safe from
 * any thread. Ownership: journal_write borrows entry; journal_each lends each entry to fn for
 * the call only.
 */
#ifndef SETPOST_JOURNAL_H
#define SETPOST_JOURNAL_H

#include "lib/core/err.h"

#include <jansson.h>
#include <stddef.h>

#define JOURNAL_MAX (16u << 20)

/* Writes (or replaces) job's entry durably. Returns 0, or an SP_E* code with the path. */
int journal_write(const char *dir, long long job, json_t *entry, struct err *err);

/* Removes job's entry durably (an entry already gone is not an error). */
int journal_remove(const char *dir, long long job, struct err *err);

/* Calls fn for each entry, oldest job first. fn returns 1 to remove the entry (it reached the
 * database), 0 to keep it, < 0 to stop (that code is returned). An unreadable entry is kept
 * and reported in *bad (may be NULL). Returns the number of entries left, or < 0. A missing
 * DIR holds no entries. */
typedef int (*journal_fn)(json_t *entry, void *arg, struct err *err);
int journal_each(const char *dir, journal_fn fn, void *arg, size_t *bad, struct err *err);

/* How many entries DIR holds (0 when it does not exist). */
size_t journal_count(const char *dir);

#endif
