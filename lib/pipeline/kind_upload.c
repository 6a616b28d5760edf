/* kind_upload: the descriptor of "upload" jobs (see kinds.h). Two at a time per worker; eight
 * attempts (links drop; each resumes where the last stopped); no time limit (a slow link takes
 * hours). Priority: originals 10, proxies 20, circled proxies 30 (pipeline_deliver).
 */
#include "lib/pipeline/kinds.h"

const struct job_spec job_upload_spec = {
	.name = "upload",
	.concurrency = 2,
	.max_attempts = 8,
	.priority = 10,
	.timeout = 0,
};
