/*
 * payload: what a media job's payload names. A payload that cannot name its clip will not
 * mend by running again, so its failure is permanent (job->permanent).
 */
#ifndef SETPOST_PAYLOAD_H
#define SETPOST_PAYLOAD_H

#include "lib/store/worker.h"

/* The positive clip id in the payload's "clip_id"; else SP_EINVAL, permanent. */
int job_payload_clip_id(struct job *job, long long *id, struct err *err);

#endif
