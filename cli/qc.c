/* qc: the DIT's answers to a QC hold from the cart's terminal (lib/pipeline/qchold.h), the
 * same steps as POST /api/v1/clips/{id}/qc/... and the dashboard's clip page. */
#include "cli.h"
#include "lib/pipeline/qchold.h"
#include "lib/store/params.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char qc_synopsis[] =
	"usage: setpost qc show CLIP_ID [options]\n"
	"       setpost qc acknowledge CLIP_ID FINDING_ID --note TEXT [--by NAME] [options]\n"
	"       setpost qc override CLIP_ID FINDING_ID --note TEXT [--by NAME] [options]\n"
	"       setpost qc release CLIP_ID --note TEXT [--by NAME] [options]\n\n"
	"A clip on QC hold is proxied but not delivered nor offered to pull (settings.qc.hold_blocks)\n"
	"until every finding that holds it is acknowledged or overridden, or it is released.";

static const struct db_stmt stmt_show = { "cli_qc_show",
	"SELECT c.name, c.state, coalesce(c.state_reason, ''), q.id, coalesce(q.code, ''),"
	" q.severity, coalesce(q.start_tc, q.start_frame::text), q.disposition, q.message,"
	" coalesce(q.note, '') FROM clips c LEFT JOIN qc_flags q ON q.clip_id = c.id"
	" WHERE c.id = $1 ORDER BY q.start_frame, q.id", 1 };

static int
qc_id(const char *text, const char *what, long long *id)
{
	char *end;

	*id = text ? strtoll(text, &end, 10) : 0;
	if (text == NULL || *end || *id <= 0)
		return cli_fail("qc", "expected a %s id (see 'setpost qc --help')", what);
	return 0;
}

static int
qc_show(struct db *db, long long clip)
{
	struct db_params q = { 0 };
	struct err err;
	PGresult *r;
	int n;

	db_param_ll(&q, clip);
	if ((n = db_exec(db, &stmt_show, q.v, &r, &err)) < 0)
		return cli_fail("qc", "%s", err.msg);
	if (n == 0) {
		PQclear(r);
		return cli_fail("qc", "clip %lld not found", clip);
	}
	printf("%s: %s%s%s\n", PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1),
	    *PQgetvalue(r, 0, 2) ? ": " : "", PQgetvalue(r, 0, 2));
	for (int i = 0; i < n && !PQgetisnull(r, i, 3); i++)
		printf("  %-6s %-15s %-8s %-12s %-13s %s%s%s\n", PQgetvalue(r, i, 3),
		    PQgetvalue(r, i, 4), PQgetvalue(r, i, 5), PQgetvalue(r, i, 6), PQgetvalue(r, i, 7),
		    PQgetvalue(r, i, 8), *PQgetvalue(r, i, 9) ? " — " : "", PQgetvalue(r, i, 9));
	PQclear(r);
	return 0;
}

struct qc_cli {
	long long clip, finding;
	bool release;
	enum qchold_answer answer;
	const char *note, *by;
	int released;
};

static int
qc_cli_tx(struct db_conn *c, void *arg, struct err *err)
{
	struct qc_cli *q = arg;

	q->released = q->release ? qchold_release(c, q->clip, q->note, q->by, err) :
	    qchold_answer(c, q->clip, q->finding, q->answer, q->note, q->by, err);
	return q->released < 0 ? q->released : 0;
}

static int
qc_act(struct db *db, struct config *cfg, const char *note, const char *by)
{
	struct qc_cli q = { .note = note, .by = by ? by : "cli" };
	struct err err;
	const char *verb = cfg->args[0];

	q.release = strcmp(verb, "release") == 0;
	if (!q.release && qchold_answer_parse(verb, &q.answer, &err) < 0)
		return cli_fail("qc", "unknown action '%s' (show, acknowledge, override, release)", verb);
	if (qc_id(cfg->nargs > 1 ? cfg->args[1] : NULL, "clip", &q.clip) ||
	    (!q.release && qc_id(cfg->nargs > 2 ? cfg->args[2] : NULL, "finding", &q.finding)))
		return 1;
	if (note == NULL)
		return cli_fail("qc", "--note: say why (the note is kept with the answer)");
	if (db_tx(db, qc_cli_tx, &q, &err) < 0)
		return cli_fail("qc", "%s", err.msg);
	if (q.release)
		printf("clip %lld released\n", q.clip);
	else
		printf("finding %lld %s%s\n", q.finding, q.answer == QCHOLD_OVERRIDE ? "overridden" :
		    "acknowledged", q.released > 0 ? "; clip released" : "");
	return 0;
}

int
cmd_qc(int argc, char **argv)
{
	int missing = 0, m2 = 0, rc;
	const char *note = cli_take_flag(&argc, argv, "--note", &missing);
	const char *by = cli_take_flag(&argc, argv, "--by", &m2);
	struct config cfg;
	struct pgembed pg;
	struct db *db;
	struct err err;
	long long clip;

	if ((rc = cli_config(&cfg, CONFIG_DB, argc, argv, qc_synopsis)) >= 0)
		return rc;
	if (missing || m2 || cfg.nargs < 1) {
		rc = cli_fail("qc", missing ? "--note needs a value" : m2 ? "--by needs a value" :
		    "expected show, acknowledge, override or release (see --help)");
		goto out;
	}
	if (cli_db_open(&cfg, &pg, &db, 1, &err) < 0) {
		rc = cli_fail("qc", "%s", err.msg);
		goto out;
	}
	if (strcmp(cfg.args[0], "show") == 0)
		rc = qc_id(cfg.nargs > 1 ? cfg.args[1] : NULL, "clip", &clip) ? 1 : qc_show(db, clip);
	else
		rc = qc_act(db, &cfg, note, by);
	cli_db_close(&pg, db);
out:
	config_release(&cfg);
	return rc;
}
