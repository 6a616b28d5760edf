/* job_archive: an archive to LTO tape started from the server (POST /api/v1/archive-jobs), run
 * by the worker on the host with the tape drive: the same engine as `setpost archive`
 * (lib/archive/archive.h). Its progress line says what to do when a tape is full ("insert the
 * next tape"); the job waits for it (payload wait_seconds, default a day).
 * Payload: {"tape", "production_id", "day"?, "cards"?: [...], "kind"?: "camera"|"sound",
 * "order"?, "wait_seconds"?, "rule_id"?} (rule_id: queued by an archive rule at a wrap). */
#include "kinds.h"
#include "lib/archive/archive.h"
#include "lib/core/config.h"

#include <stdlib.h>
#include <string.h>

static int
job_archive_progress(void *arg, const struct archive_progress *p)
{
	struct job *job = arg;

	job_progress(job, p->bytes_total ? (double)p->bytes_done / (double)p->bytes_total : 0,
	    "%s: %s (%d of %d files)", p->state, p->message, p->files_done, p->files_total);
	return job_canceled(job);
}

int
job_archive_run(struct job *job, struct err *err)
{
	const struct config *cfg = job->ctx;
	json_t *cards = json_object_get(job->payload, "cards"), *c;
	const char *labels[65];
	struct archive_opts o = { 0 };
	json_t *res = NULL;
	size_t i, n = 0;
	int rc;

	json_array_foreach(cards, i, c)
		if (n < 64 && json_is_string(c))
			labels[n++] = json_string_value(c);
	labels[n] = NULL;
	o.tape = json_string_value(json_object_get(job->payload, "tape"));
	o.production_id = json_integer_value(json_object_get(job->payload, "production_id"));
	o.day = json_string_value(json_object_get(job->payload, "day"));
	o.cards = n ? labels : NULL;
	o.kind = json_string_value(json_object_get(job->payload, "kind"));
	o.order = json_is_string(json_object_get(job->payload, "order")) &&
	    strcmp(json_string_value(json_object_get(job->payload, "order")), "name") == 0 ?
	    ARCHIVE_BY_NAME : ARCHIVE_LARGEST_FIRST;
	o.wait_seconds = json_object_get(job->payload, "wait_seconds") ?
	    json_number_value(json_object_get(job->payload, "wait_seconds")) : 86400;
	o.actor = job->worker;
	o.data_dir = cfg ? cfg->data_dir : NULL;
	o.stage_dir = o.data_dir ? o.data_dir : "/tmp";
	o.progress = job_archive_progress;
	o.arg = job;
	if (o.tape == NULL)
		return err_set(err, SP_EINVAL, "archive job: no tape in the payload");
	job->permanent = true;
	rc = archive_run(job->db, &o, &res, err);
	job->result = res;
	return rc;
}
