/* kind_probe: the descriptor of "probe" jobs (see kinds.h). Every slot may probe; first among a
 * clip's media jobs (the others need what it learns; short, so it goes before a transcode).
 */
#include "lib/pipeline/kinds.h"

const struct job_spec job_probe_spec = {
	.name = "probe",
	.concurrency = 0,
	.max_attempts = 3,
	.priority = 6,
	.timeout = 300,
};
