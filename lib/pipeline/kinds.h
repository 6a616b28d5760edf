/*
 * kinds: the descriptor of every job kind, one lib/pipeline/kind_*.c file each (name,
 * concurrency per worker, attempts, base priority, timeout). The queue's callers (pipeline.c,
 * server/offloads.c) read attempts and priority here; workers/kinds.c pairs each descriptor
 * with its run function.
 */
#ifndef SETPOST_KINDS_SPEC_H
#define SETPOST_KINDS_SPEC_H

#include "lib/store/worker.h"

extern const struct job_spec job_offload_spec;
extern const struct job_spec job_upload_spec;
extern const struct job_spec job_probe_spec;
extern const struct job_spec job_thumbnails_spec;
extern const struct job_spec job_qc_spec;
extern const struct job_spec job_webhook_spec;
extern const struct job_spec job_soundsync_spec;
extern const struct job_spec job_transcode_spec;
extern const struct job_spec job_archive_spec;
extern const struct job_spec job_report_spec;

#endif
