/* job_offload: an offload started from the server (POST /api/v1/offload-jobs), run by a worker
 * on the host that sees the card and the destinations, and registered in the database when it
 * ends: the same engine and the same registration as `setpost offload --register`.
 * Payload: {"source", "destinations": [...], "card"?, "hash"?, "production"?, "day"?, "camera"?,
 * "requested_by"}. At the end each copy gets its offload report (lib/report/report_offload.h),
 * with the registration's verdict. */
#include "kinds.h"
#include "lib/core/hash.h"
#include "lib/core/log.h"
#include "lib/custody/offload.h"
#include "lib/custody/offload_doc.h"
#include "lib/custody/register.h"
#include "lib/custody/confine.h"
#include "lib/report/report_offload.h"

#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct job_offload {
	struct job *job;
	volatile sig_atomic_t stop;
	struct offload_parts parts;     /* clip by clip (offload_doc.h) */
	bool parts_stopped;             /* a part failed: the rest wait for the whole card */
};

static void
job_offload_progress(void *arg, const struct offload_progress *p)
{
	struct job_offload *x = arg;

	if (job_canceled(x->job))
		x->stop = 1;
	job_progress(x->job, p->work_total ? (double)p->work_done / (double)p->work_total : 0,
	    "%zu of %zu files done, %.0f MB/s", p->files_done, p->files_total, p->rate / 1e6);
}

/* A clip verified on every destination is registered at once, as one part of the card, so it
 * is probed and proxied while the rest copies (the whole card is registered at the end; only
 * then may it be safe to format). A part that fails stops the parts, never the offload. */
static void
job_offload_file(void *arg, const struct offload_result *res, size_t k)
{
	struct job_offload *x = arg;
	struct offload_doc_opts o = { .production = json_string_value(json_object_get(
		x->job->payload, "production")), .day = json_string_value(json_object_get(
		x->job->payload, "day")) };
	char host[256] = "localhost";
	json_t *doc, *verdict;
	struct err err;
	size_t clip;
	int rc;

	gethostname(host, sizeof(host) - 1);
	o.host = host;
	if (x->parts_stopped || (rc = offload_doc_part(&x->parts, res, k, &o, json_string_value(
	    json_object_get(x->job->payload, "camera")), &doc, &clip, &err)) == 0)
		return;
	if (rc > 0) {
		rc = register_offload(x->job->db, doc, x->job->worker, &verdict, &err);
		json_decref(doc);
		if (rc == 0)
			json_decref(verdict);
	}
	if (rc < 0) {
		x->parts_stopped = true;
		log_warn("offload job %lld: registering clip by clip stopped: %s", x->job->id, err.msg);
	}
}

/* The registration's answer, as the job's result. */
static int
job_offload_record(struct db *db, const char *worker, json_t *doc, const char *hint,
    json_t **result, struct err *err)
{
	json_t *verdict;
	int rc;

	if ((rc = register_offload(db, doc, worker, &verdict, err)) < 0)
		return rc;
	if (hint && hint[0])
		json_object_set_new(verdict, "hint", json_string(hint));
	*result = verdict;
	return 0;
}

static int
job_offload_register(struct job *job, const struct offload_result *res, time_t started,
    struct err *err)
{
	struct offload_doc_opts o = { .production = json_string_value(json_object_get(job->payload,
		"production")), .day = json_string_value(json_object_get(job->payload, "day")) };
	char host[256] = "localhost", hint[sizeof(((struct card_info *)0)->hint)];
	struct card_info card;
	json_t *doc;
	int rc;

	gethostname(host, sizeof(host) - 1);
	o.host = host;
	memset(&card, 0, sizeof(card));
	if ((rc = offload_doc_card(res, json_string_value(json_object_get(job->payload, "camera")),
	    &card, err)) < 0)
		return rc;
	snprintf(hint, sizeof(hint), "%s", card.hint);
	rc = offload_doc_build(res, &card, &o, &doc, err);
	if (rc < 0) {
		card_info_release(&card);
		return rc;
	}
	rc = job_offload_record(job->db, job->worker, doc, hint, &job->result, err);
	/* The copies are verified but the database is down: the worker keeps the registration in
	 * its journal and makes it when the database answers (job_offload_finish); the report then
	 * says what the copies alone show. */
	if (rc == SP_EUNAVAIL) {
		job->pending = json_pack("{s:O,s:s}", "register", doc, "hint", hint);
		rc = job->pending ? 0 : err_set(err, SP_ENOMEM, "out of memory");
	}
	json_decref(doc);
	if (rc == 0) {
		json_t *verdict = job->result;
		struct report_offload_run run = { started, time(NULL), json_string_value(
			json_object_get(job->payload, "requested_by")), host, o.production, o.day,
			json_string_value(json_object_get(job->payload, "camera")), verdict, REPORT_A4 };
		struct report_offload_written w;
		struct err rerr;
		/* A report that could not be written is said in the result; the copies stand. */
		if (report_offload_card(res, &card, &run, &w, &rerr) < 0 && verdict)
			json_object_set_new(verdict, "report_error", json_string(rerr.msg));
		if (w.ncopies > 0 && verdict)
			json_object_set_new(verdict, "report", json_pack("{s:s,s:I}", "name", w.stem,
			    "copies", (json_int_t)w.ncopies));
	}
	card_info_release(&card);
	return rc;
}

int
job_offload_finish(struct db *db, const char *worker, json_t *pending, json_t **result,
    struct err *err)
{
	json_t *doc = json_object_get(pending, "register");

	if (!json_is_object(doc))
		return err_set(err, SP_EINVAL, "offload job: the journal holds no registration");
	return job_offload_record(db, worker, doc,
	    json_string_value(json_object_get(pending, "hint")), result, err);
}

/* The last word on progress, from the result: the files whose every copy is verified. The
 * reports during the run are throttled, so the last of them may predate the last files. */
static void
job_offload_final(struct job *job, const struct offload_result *res)
{
	size_t done = 0;

	for (size_t k = 0; k < res->nfiles; k++) {
		bool all = res->ndst > 0;
		for (size_t d = 0; d < res->ndst; d++)
			all = all && (res->files[k].copies[d].state == OFFLOAD_VERIFIED ||
			    res->files[k].copies[d].state == OFFLOAD_SKIPPED);
		done += all;
	}
	job->last_progress_at = 0;     /* this one is always written */
	job_progress(job, res->nfiles ? (double)done / (double)res->nfiles : 0,
	    "%zu of %zu files done", done, res->nfiles);
}

int
job_offload_run(struct job *job, struct err *err)
{
	struct job_offload x = { .job = job };
	struct offload_opts o;
	struct offload_result res;
	json_t *dsts = json_object_get(job->payload, "destinations"), *d;
	const char *list[OFFLOAD_MAX_DESTS];
	const char *hashes = json_string_value(json_object_get(job->payload, "hash"));
	size_t i;
	time_t started;
	int rc, reg;

	memset(&o, 0, sizeof(o));
	job->permanent = true;   /* a card that failed to copy needs a person, not a retry */
	o.src = json_string_value(json_object_get(job->payload, "source"));
	o.card = json_string_value(json_object_get(job->payload, "card"));
	json_array_foreach(dsts, i, d)
		if (i < OFFLOAD_MAX_DESTS)
			list[o.ndst++] = json_string_value(d);
	if (o.src == NULL || o.ndst == 0)
		return err_set(err, SP_EINVAL, "offload job: source and destinations are required");
	if (hashes && hash_algos_parse(hashes, &o.algos, err) < 0)
		return SP_EINVAL;
	/* Checked when the job was created, on the text; here again with symlinks resolved. */
	for (i = 0; i <= o.ndst; i++) {
		const char *p = i == 0 ? o.src : list[i - 1];
		char real[PATH_MAX];
		bool ok = false;
		if (realpath(p, real) != NULL && (rc = confine_real_ok(job->db, real, NULL, &ok, err)) < 0)
			return rc;
		if (!ok)
			return err_set(err, SP_EINVAL, "offload job: %s is not under a declared volume (%s)",
			    i == 0 ? "the source" : "a destination", CONFINE_HINT);
	}
	o.dsts = list;
	o.dir_algo = -1;
	o.stop = &x.stop;
	o.on_progress = job_offload_progress;
	o.on_file = job_offload_file;
	o.arg = &x;
	started = time(NULL);
	rc = offload_run(&o, &res, err);
	job_offload_final(job, &res);
	/* Whatever verified is registered, so the card shows why it is not safe. */
	if (res.nfiles > 0) {
		struct err rerr;
		if ((reg = job_offload_register(job, &res, started, &rerr)) < 0 && rc == 0) {
			rc = reg;
			*err = rerr;
		}
	}
	offload_parts_release(&x.parts);
	offload_result_release(&res);
	if (rc == SP_ECANCELED)
		job->permanent = false;
	return rc;
}
