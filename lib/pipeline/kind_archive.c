/* kind_archive: the descriptor of "archive" jobs (see kinds.h). One at a time per worker (a
 * tape drive takes one stream); one attempt: a run stopped midway is started again by a person
 * and goes on from the first file not verified on tape; no time limit (a tape takes hours, and
 * the job waits while the operator changes tapes). */
#include "lib/pipeline/kinds.h"

const struct job_spec job_archive_spec = {
	.name = "archive",
	.concurrency = 1,
	.max_attempts = 1,
	.priority = 0,
	.timeout = 0,
};
