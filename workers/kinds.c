/* kinds: every job kind this setpost runs: its descriptor (lib/pipeline/kind_*.c) and its run
 * function (workers/job_*.c). */
#include "kinds.h"
#include "lib/pipeline/kinds.h"

#include <stddef.h>

const struct job_kind worker_kinds[] = {
	{ &job_offload_spec, job_offload_run, job_offload_finish },
	{ &job_upload_spec, job_upload_run, NULL },
	{ &job_probe_spec, job_probe_run, NULL },
	{ &job_thumbnails_spec, job_thumbnails_run, NULL },
	{ &job_qc_spec, job_qc_run, NULL },
	{ &job_webhook_spec, job_webhook_run, NULL },
	{ &job_soundsync_spec, job_soundsync_run, NULL },
	{ &job_transcode_spec, job_transcode_run, NULL },
	{ &job_archive_spec, job_archive_run, NULL },
	{ &job_report_spec, job_report_run, NULL },
	{ NULL, NULL, NULL },
};

int
worker_nkinds(void)
{
	int n = 0;

	while (worker_kinds[n].spec)
		n++;
	return n;
}
