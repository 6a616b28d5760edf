/* kind_transcode: the descriptor of "transcode" jobs (see kinds.h). One at a time per worker:
 * one ffmpeg -threads 2 fills both cores (see workers/job_transcode.c); four hours at most for
 * one clip's proxies. Proxies are the critical path: a transcode is claimed before any
 * thumbnails or QC (whose ffmpeg also runs at idle CPU priority, lib/media/ffmpeg.h), after
 * probe (which it needs) and sound sync (whose match it would otherwise make again).
 */
#include "lib/pipeline/kinds.h"

const struct job_spec job_transcode_spec = {
	.name = "transcode",
	.concurrency = 1,
	.max_attempts = 3,
	.priority = 4,
	.timeout = 14400,
};
