/* job_soundsync: matches a day's picture clips to its production sound (lib/soundsync).
 * Payload {"day_id": N}. Queued when an offload is registered (a sound roll brings new
 * sound, a camera card new pictures) and when a picture clip's probe learnt its timecode.
 * A job rather than a call inside those transactions: matching reads the whole day, so it
 * runs once for a burst of probes (queued jobs for a day are coalesced), a failure is
 * retried without failing the offload or the probe, and it takes the day's lock where
 * nobody waits for it. */
#include "kinds.h"
#include "lib/core/log.h"
#include "lib/pipeline/soundsync_db.h"

#include <stdio.h>

struct job_soundsync_arg {
	struct job *job;
	long long day;
	int matched, unmatched;
};

static int
job_soundsync_tx(struct db_conn *c, void *arg, struct err *err)
{
	struct job_soundsync_arg *a = arg;

	return soundsync_match_day(c, a->day, 0, a->job->worker, &a->matched, &a->unmatched, err);
}

int
job_soundsync_run(struct job *job, struct err *err)
{
	json_t *v = json_object_get(job->payload, "day_id");
	struct job_soundsync_arg a = { job, 0, 0, 0 };
	int rc;

	if (!json_is_integer(v) || json_integer_value(v) <= 0) {
		job->permanent = true;
		return err_set(err, SP_EINVAL, "payload.day_id: expected a day id");
	}
	a.day = (long long)json_integer_value(v);
	if ((rc = db_tx(job->db, job_soundsync_tx, &a, err)) < 0)
		return rc;
	job->result = json_pack("{s:I,s:i,s:i}", "day_id", (json_int_t)a.day, "matched", a.matched,
	    "unmatched", a.unmatched);
	log_info("job=%lld day=%lld sound matched=%d unmatched=%d", job->id, a.day, a.matched,
	    a.unmatched);
	return 0;
}
