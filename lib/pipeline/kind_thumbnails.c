/* kind_thumbnails: the descriptor of "thumbnails" jobs (see kinds.h). Two at a time per worker,
 * behind the proxies (a lower priority than transcode; its ffmpeg at idle CPU priority). */
#include "lib/pipeline/kinds.h"

const struct job_spec job_thumbnails_spec = {
	.name = "thumbnails",
	.concurrency = 2,
	.max_attempts = 3,
	.priority = 1,
	.timeout = 900,
};
