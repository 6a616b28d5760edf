/* qc: the DIT's answers to a QC hold (lib/pipeline/qchold.h) over HTTP.
 *   POST /api/v1/clips/{id}/qc/findings/{finding}  {"action": "acknowledge"|"override", "note"}
 *   POST /api/v1/clips/{id}/qc/release             {"note"}
 * Both answer with the clip's state after the answer and its findings. */
#include "http.h"
#include "lib/core/json.h"
#include "lib/pipeline/qchold.h"
#include "lib/store/params.h"

#include <stdio.h>
#include <string.h>

static const struct db_stmt stmt_after = { "qc_route_after",
	"SELECT json_build_object('clip_id', c.id, 'name', c.name, 'state', c.state,"
	" 'state_reason', c.state_reason, 'findings', (SELECT coalesce(json_agg(json_build_object("
	"  'id', q.id, 'kind', q.kind, 'code', q.code, 'severity', q.severity, 'start_tc', q.start_tc,"
	"  'message', q.message, 'disposition', q.disposition, 'note', q.note, 'disposed_by',"
	"  q.disposed_by, 'disposed_at', q.disposed_at) ORDER BY q.start_frame, q.id), '[]')"
	"  FROM qc_flags q WHERE q.clip_id = c.id))::text FROM clips c WHERE c.id = $1", 1 };

struct qc_route {
	long long clip, finding;
	enum qchold_answer answer;
	const char *note, *actor;
	bool release;
};

static int
qc_route_tx(struct db_conn *c, void *arg, struct err *err)
{
	struct qc_route *q = arg;
	int rc;

	rc = q->release ? qchold_release(c, q->clip, q->note, q->actor, err) :
	    qchold_answer(c, q->clip, q->finding, q->answer, q->note, q->actor, err);
	return rc < 0 ? rc : 0;
}

static enum MHD_Result
qc_route_run(struct request *req, struct qc_route *q)
{
	struct db_params prm = { 0 };
	struct err err;
	PGresult *r;
	enum MHD_Result res;
	int n;

	q->actor = req->who.name;
	if (db_tx(req->srv->db, qc_route_tx, q, &err) < 0)
		return reply_err(req, &err);
	db_param_ll(&prm, q->clip);
	if ((n = db_exec(req->srv->db, &stmt_after, prm.v, &r, &err)) < 0)
		return reply_err(req, &err);
	res = n ? reply_text(req, 200, "application/json", PQgetvalue(r, 0, 0),
	    strlen(PQgetvalue(r, 0, 0))) : reply_error(req, 404, "not_found", "clip gone");
	PQclear(r);
	return res;
}

enum MHD_Result
qc_finding_answer(struct request *req)
{
	static const char *const fields[] = { "action", "note", NULL };
	struct qc_route q = { 0 };
	const char *action = NULL;
	struct err err;

	if (!request_param_id(req, 0, &q.clip) || !request_param_id(req, 1, &q.finding) ||
	    !request_json(req, fields) ||
	    !request_field_ok(req, json_get_string(req->json, "action", true, 16, &action, &err), &err) ||
	    !request_field_ok(req, qchold_answer_parse(action, &q.answer, &err), &err) ||
	    !request_field_ok(req, json_get_string(req->json, "note", true, QCHOLD_NOTE_MAX, &q.note,
	    &err), &err))
		return MHD_YES;
	return qc_route_run(req, &q);
}

enum MHD_Result
qc_release(struct request *req)
{
	static const char *const fields[] = { "note", NULL };
	struct qc_route q = { .release = true };
	struct err err;

	if (!request_param_id(req, 0, &q.clip) || !request_json(req, fields) ||
	    !request_field_ok(req, json_get_string(req->json, "note", true, QCHOLD_NOTE_MAX, &q.note,
	    &err), &err))
		return MHD_YES;
	return qc_route_run(req, &q);
}
