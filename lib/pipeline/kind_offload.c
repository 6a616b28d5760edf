/* kind_offload: the descriptor of "offload" jobs (see kinds.h). One at a time per worker (cards
 * share the source's and the destinations' bandwidth); one attempt: a failed offload is for a
 * person to look at; no time limit (a card takes what its size takes).
 */
#include "lib/pipeline/kinds.h"

const struct job_spec job_offload_spec = {
	.name = "offload",
	.concurrency = 1,
	.max_attempts = 1,
	.priority = 0,
	.timeout = 0,
};
