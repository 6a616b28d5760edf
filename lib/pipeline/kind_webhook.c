/* kind_webhook: the descriptor of "webhook" jobs (see kinds.h). Four at a time per worker;
 * twelve attempts over about a day (queued by the database itself, migration 0007).
 */
#include "lib/pipeline/kinds.h"

const struct job_spec job_webhook_spec = {
	.name = "webhook",
	.concurrency = 4,
	.max_attempts = 12,
	.priority = 0,
	.timeout = 120,
};
