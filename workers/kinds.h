/*
 * kinds: the table of job kinds this setpost runs (one workers/job_*.c file each).
 * The table ends with an entry whose spec is NULL.
 */
#ifndef SETPOST_KINDS_H
#define SETPOST_KINDS_H

#include "lib/store/worker.h"

extern const struct job_kind worker_kinds[];

/* The run function of each kind, one workers/job_*.c file each. */
int job_offload_run(struct job *job, struct err *err);
int job_offload_finish(struct db *db, const char *worker, json_t *pending, json_t **result,
    struct err *err);
int job_upload_run(struct job *job, struct err *err);
int job_probe_run(struct job *job, struct err *err);
int job_thumbnails_run(struct job *job, struct err *err);
int job_qc_run(struct job *job, struct err *err);
int job_webhook_run(struct job *job, struct err *err);
int job_soundsync_run(struct job *job, struct err *err);
int job_transcode_run(struct job *job, struct err *err);
int job_archive_run(struct job *job, struct err *err);
int job_report_run(struct job *job, struct err *err);
int worker_nkinds(void);

#endif
