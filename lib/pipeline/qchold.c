/* qchold: answering a QC hold's findings, releasing it, and what a hold stops (qchold.h). */
#include "lib/pipeline/qchold.h"
#include "lib/pipeline/clipstate.h"
#include "lib/store/event.h"
#include "lib/store/params.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The clip, locked, with its production's QC settings. */
static const struct db_stmt stmt_clip = { "qchold_clip",
	"SELECT c.name, c.state, coalesce(c.state_reason, ''), p.settings->'qc'"
	" FROM clips c JOIN cards k ON k.id = c.card_id JOIN days d ON d.id = k.day_id"
	" JOIN productions p ON p.id = d.production_id WHERE c.id = $1 FOR UPDATE OF c", 1 };

#define QCHOLD_LEVEL(sev) "(CASE " sev " WHEN 'error' THEN 2 WHEN 'warning' THEN 1 ELSE 0 END)"

static const struct db_stmt stmt_answer = { "qchold_answer",
	"UPDATE qc_flags SET disposition = $3, note = $4, disposed_by = $5, disposed_at = now()"
	" WHERE id = $2 AND clip_id = $1 AND disposition = 'open'"
	" RETURNING kind, coalesce(code, ''), severity, message, coalesce(start_tc, start_frame::text)", 5 };

static const struct db_stmt stmt_flag_exists = { "qchold_flag_exists",
	"SELECT disposition, coalesce(disposed_by, ''), coalesce(note, '') FROM qc_flags"
	" WHERE id = $2 AND clip_id = $1", 2 };

static const struct db_stmt stmt_open_holding = { "qchold_open_holding",
	"SELECT count(*) FROM qc_flags WHERE clip_id = $1 AND disposition = 'open'"
	" AND " QCHOLD_LEVEL("severity") " >= $2::int", 2 };

static const struct db_stmt stmt_ack_all = { "qchold_ack_all",
	"UPDATE qc_flags SET disposition = 'acknowledged', note = $2, disposed_by = $3,"
	" disposed_at = now() WHERE clip_id = $1 AND disposition = 'open' RETURNING id", 3 };

struct qchold_clip {
	char name[256];
	char state[32];
	char reason[1024];
	struct qc_settings s;
};

static int
qchold_load(struct db_conn *c, long long clip_id, struct qchold_clip *q, struct err *err)
{
	struct db_params prm = { 0 };
	json_t *qc;
	PGresult *r;
	int n, rc;

	db_param_ll(&prm, clip_id);
	if ((n = db_query(c, &stmt_clip, prm.v, &r, err)) < 0)
		return n;
	if (n == 0) {
		PQclear(r);
		return err_set(err, SP_ENOTFOUND, "clip %lld not found", clip_id);
	}
	snprintf(q->name, sizeof(q->name), "%s", PQgetvalue(r, 0, 0));
	snprintf(q->state, sizeof(q->state), "%s", PQgetvalue(r, 0, 1));
	snprintf(q->reason, sizeof(q->reason), "%s", PQgetvalue(r, 0, 2));
	qc = db_val(r, 0, 3) ? json_loads(db_val(r, 0, 3), JSON_DECODE_ANY, NULL) : NULL;
	PQclear(r);
	qc_settings_default(&q->s);
	rc = qc_settings_parse(&q->s, qc, err);
	json_decref(qc);
	return rc;
}

static int
qchold_note_ok(const char *note, struct err *err)
{
	size_t n = note ? strlen(note) : 0;

	if (n == 0 || strspn(note, " \t\r\n") == n)
		return err_set(err, SP_EINVAL, "note: say why (the note is kept with the answer)");
	if (n > QCHOLD_NOTE_MAX)
		return err_set(err, SP_EINVAL, "note: at most %d characters", QCHOLD_NOTE_MAX);
	return 0;
}

int
qchold_answer_parse(const char *word, enum qchold_answer *a, struct err *err)
{
	if (word && strcmp(word, "acknowledge") == 0)
		*a = QCHOLD_ACKNOWLEDGE;
	else if (word && strcmp(word, "override") == 0)
		*a = QCHOLD_OVERRIDE;
	else
		return err_set(err, SP_EINVAL, "action: expected \"acknowledge\" or \"override\"");
	return 0;
}

/* Releases the clip when it is held and no finding that holds is open any more. */
static int
qchold_release_if_answered(struct db_conn *c, long long clip_id, const struct qchold_clip *q,
    const char *note, const char *actor, struct err *err)
{
	char lvl[8];
	struct db_params prm = { 0 };
	PGresult *r;
	long long open;
	int n;

	if (strcmp(q->state, "qc_hold") != 0)
		return 0;
	db_param_ll(&prm, clip_id);
	db_param_str(&prm, lvl);
	snprintf(lvl, sizeof(lvl), "%d", q->s.hold_severity);
	if ((n = db_query(c, &stmt_open_holding, prm.v, &r, err)) < 0)
		return n;
	open = db_ll(r, 0, 0);
	PQclear(r);
	if (open > 0)
		return 0;
	return clipstate_qc_verdict(c, clip_id, false, note, actor, err);
}

int
qchold_answer(struct db_conn *c, long long clip_id, long long flag_id, enum qchold_answer a,
    const char *note, const char *actor, struct err *err)
{
	const char *word = a == QCHOLD_OVERRIDE ? "overridden" : "acknowledged";
	char kind[64];
	struct db_params prm = { 0 };
	struct qchold_clip q;
	json_t *data;
	PGresult *r;
	int n, rc;

	if ((rc = qchold_note_ok(note, err)) < 0 || (rc = qchold_load(c, clip_id, &q, err)) < 0)
		return rc;
	db_param_ll(&prm, clip_id);
	db_param_ll(&prm, flag_id);
	db_param_str(&prm, word);
	db_param_str(&prm, note);
	db_param_str(&prm, actor);
	if ((n = db_query(c, &stmt_answer, prm.v, &r, err)) < 0)
		return n;
	if (n == 0) {
		PQclear(r);
		if ((n = db_query(c, &stmt_flag_exists, prm.v, &r, err)) < 0)
			return n;
		rc = n == 0 ? err_set(err, SP_ENOTFOUND, "clip %lld has no QC finding %lld", clip_id,
		    flag_id) : err_set(err, SP_ECONFLICT, "QC finding %lld is %s already (by %s: %s)",
		    flag_id, PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2));
		PQclear(r);
		return rc;
	}
	data = json_pack("{s:s,s:I,s:s,s:s,s:s,s:s,s:s}", "clip", q.name, "finding",
	    (json_int_t)flag_id, "kind", PQgetvalue(r, 0, 0), "code", PQgetvalue(r, 0, 1),
	    "at", PQgetvalue(r, 0, 4), "message", PQgetvalue(r, 0, 3), "note", note);
	PQclear(r);
	snprintf(kind, sizeof(kind), "clip.qc_finding_%s", word);
	rc = event_record(c, actor, kind, "clip", clip_id, data, NULL, err);
	json_decref(data);
	if (rc < 0)
		return rc;
	rc = qchold_release_if_answered(c, clip_id, &q, note, actor, err);
	return rc < 0 ? rc : rc > 0;
}

int
qchold_release(struct db_conn *c, long long clip_id, const char *note, const char *actor,
    struct err *err)
{
	struct db_params prm = { 0 };
	struct qchold_clip q;
	int rc;

	if ((rc = qchold_note_ok(note, err)) < 0 || (rc = qchold_load(c, clip_id, &q, err)) < 0)
		return rc;
	if (strcmp(q.state, "qc_hold") != 0)
		return err_set(err, SP_ECONFLICT, "clip %s is not on QC hold (it is %s)", q.name,
		    q.state);
	db_param_ll(&prm, clip_id);
	db_param_str(&prm, note);
	db_param_str(&prm, actor);
	if ((rc = db_query(c, &stmt_ack_all, prm.v, NULL, err)) < 0)
		return rc;
	rc = clipstate_qc_verdict(c, clip_id, false, note, actor, err);
	return rc < 0 ? rc : 0;
}

int
qchold_blocks(struct db_conn *c, long long clip_id, unsigned what, bool *blocked, char *why,
    size_t whylen, struct err *err)
{
	struct qchold_clip q;
	int rc;

	*blocked = false;
	if ((rc = qchold_load(c, clip_id, &q, err)) < 0)
		return rc;
	*blocked = strcmp(q.state, "qc_hold") == 0 && (q.s.hold_blocks & what) != 0;
	if (*blocked && why)
		snprintf(why, whylen, "clip %s is on QC hold (%s): a hold stops its %s until the DIT "
		    "answers its findings or releases it", q.name, q.reason,
		    what == QC_BLOCKS_PULL ? "offer to pull" : "delivery");
	return 0;
}
