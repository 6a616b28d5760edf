/* kind_report: the descriptor of "report" jobs (see kinds.h): a report a delivery rule of what
 * 'reports' sends (workers/job_report.c renders it and queues its uploads). Short; one slot. */
#include "lib/pipeline/kinds.h"

const struct job_spec job_report_spec = {
	.name = "report",
	.concurrency = 1,
	.max_attempts = 3,
	.priority = 8,
	.timeout = 600,
};
