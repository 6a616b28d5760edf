/* kinds: every job kind, in one table (see kinds.h). */
#include "kinds.h"

#include <stddef.h>

const struct job_kind worker_kinds[] = {
	/* name, run, at most this many at once per worker, attempts */
	{ "offload", job_offload_run, 1, 1 },
	{ "upload", job_upload_run, 2, 8 },
	{ "probe", job_probe_run, 0, 3 },
	{ "thumbnails", job_thumbnails_run, 2, 3 },
	{ "qc", job_qc_run, 2, 3 },
	{ "webhook", job_webhook_run, 4, 12 },
	{ "soundsync", job_soundsync_run, 1, 3 },
	/* One at a time: one ffmpeg -threads 2 fills both cores (see job_transcode.c). */
	{ "transcode", job_transcode_run, 1, 3 },
	{ NULL, NULL, 0, 0 },
};

int
worker_nkinds(void)
{
	int n = 0;

	while (worker_kinds[n].name)
		n++;
	return n;
}
