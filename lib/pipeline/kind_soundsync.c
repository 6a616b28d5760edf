/* kind_soundsync: the descriptor of "soundsync" jobs (see kinds.h). One at a time per worker (a
 * day's matches take a lock anyway); before the proxies, which carry the matched sound (a match found after a proxy makes it again).
 */
#include "lib/pipeline/kinds.h"

const struct job_spec job_soundsync_spec = {
	.name = "soundsync",
	.concurrency = 1,
	.max_attempts = 3,
	.priority = 5,
	.timeout = 600,
};
