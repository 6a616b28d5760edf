/* kind_qc: the descriptor of "qc" jobs (see kinds.h). Two at a time per worker; QC decodes the
 * whole clip; last of a clip's media jobs, its ffmpeg at idle CPU priority (analysis never delays
 * a proxy), it still runs the same day: at full speed as soon as no proxy is being made.
 */
#include "lib/pipeline/kinds.h"

const struct job_spec job_qc_spec = {
	.name = "qc",
	.concurrency = 2,
	.max_attempts = 3,
	.priority = 0,
	.timeout = 3600,
};
