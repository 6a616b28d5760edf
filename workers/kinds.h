/*
 * kinds: the table of job kinds this setpost runs (one workers/job_*.c file each).
 * The table ends with an entry whose name is NULL.
 */
#ifndef SETPOST_KINDS_H
#define SETPOST_KINDS_H

#include "lib/worker.h"

extern const struct job_kind worker_kinds[];
int worker_nkinds(void);

#endif
