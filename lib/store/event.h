/*
 * event: the record of what happened: who (actor), what (kind, e.g. "clip.updated"), to what
 * (subject type and id) and the details (JSON). Every write a person or a program makes through
 * the API is recorded, in the same transaction as the write. Inserting an event NOTIFYs
 * `setpost_events`, which feeds the live views.
 */
#ifndef SETPOST_EVENT_H
#define SETPOST_EVENT_H

#include "lib/store/db.h"
#include "lib/core/err.h"

#include <jansson.h>

/* data is borrowed and may be NULL. Returns 0 and the new event's id in *id (may be NULL). */
int event_record(struct db_conn *c, const char *actor, const char *kind,
    const char *subject_type, long long subject_id, json_t *data, long long *id,
    struct err *err);

/* The same on a connection of its own, outside any transaction. */
int event_record_db(struct db *db, const char *actor, const char *kind,
    const char *subject_type, long long subject_id, json_t *data, struct err *err);

#endif
