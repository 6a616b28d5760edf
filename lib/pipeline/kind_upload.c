/* kind_upload: the descriptor of "upload" jobs (see kinds.h). Two at a time per worker; eight
 * attempts (links drop; each resumes where the last stopped); no time limit (a slow link takes
 * hours). Priority: originals 10, sound 15, proxies 20, circled proxies 30 (pipeline_deliver).
 * The second slot is kept for proxies (reserve_priority 20): a proxy never waits for an
 * original or a sound file to end, and the target's bandwidth is then shared by class
 * (workers/job_upload.c).
 */
#include "lib/pipeline/kinds.h"

const struct job_spec job_upload_spec = {
	.name = "upload",
	.concurrency = 2,
	.max_attempts = 8,
	.priority = 10,
	.timeout = 0,
	.reserve_priority = 20,
};
