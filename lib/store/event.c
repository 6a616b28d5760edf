/* event: append to the events table (see event.h). */
#include "lib/store/event.h"
#include "lib/store/params.h"

#include <stdio.h>
#include <stdlib.h>

static const struct db_stmt stmt_event = { "event_record",
	"INSERT INTO events (actor, kind, subject_type, subject_id, data)"
	" VALUES ($1, $2, $3, $4, coalesce($5::jsonb, '{}')) RETURNING id", 5 };

static int
event_insert(struct db_conn *c, struct db *db, const char *actor, const char *kind,
    const char *subject_type, long long subject_id, json_t *data, long long *id,
    struct err *err)
{
	char *text = data ? json_dumps(data, JSON_COMPACT) : NULL;
	struct db_params q = { 0 };
	PGresult *r;
	int rc;

	db_param_str(&q, actor ? actor : "system");
	db_param_str(&q, kind);
	db_param_str(&q, subject_type);
	db_param_ll_if(&q, subject_id != 0, subject_id);
	db_param_str(&q, text);
	rc = c ? db_query(c, &stmt_event, q.v, &r, err) : db_exec(db, &stmt_event, q.v, &r, err);
	free(text);
	if (rc < 0)
		return rc;
	if (id)
		*id = db_ll(r, 0, 0);
	PQclear(r);
	return 0;
}

int
event_record(struct db_conn *c, const char *actor, const char *kind, const char *subject_type,
    long long subject_id, json_t *data, long long *id, struct err *err)
{
	return event_insert(c, NULL, actor, kind, subject_type, subject_id, data, id, err);
}

int
event_record_db(struct db *db, const char *actor, const char *kind, const char *subject_type,
    long long subject_id, json_t *data, struct err *err)
{
	return event_insert(NULL, db, actor, kind, subject_type, subject_id, data, NULL, err);
}
