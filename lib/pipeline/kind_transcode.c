/* kind_transcode: the descriptor of "transcode" jobs (see kinds.h). One at a time per worker:
 * one ffmpeg -threads 2 fills both cores (see workers/job_transcode.c); four hours at most for
 * one clip's proxies.
 */
#include "lib/pipeline/kinds.h"

const struct job_spec job_transcode_spec = {
	.name = "transcode",
	.concurrency = 1,
	.max_attempts = 3,
	.priority = 0,
	.timeout = 14400,
};
