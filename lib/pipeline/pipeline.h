/*
 * pipeline: what happens next to a clip. The one place that decides which job follows which
 * event, and the only caller of the job queue (lib/store/jobq) for media and delivery jobs:
 *
 *   event                                  what follows
 *   secured (its copies are verified)      probe
 *   probed                                 thumbnails, QC, and, when ffmpeg decodes it, its
 *                                          proxies (transcode); a picture clip also asks for
 *                                          its day's sound sync
 *   sound roll registered                  sound sync of its day
 *   synced (sound matched anew) or look    the proxies made again (transcode), unless one is
 *   changed, when proxies exist            already queued (it reads the new facts when it runs)
 *   a person asks for proxies              transcode (only the given profiles when some are)
 *   QC settings changed, a person asks     QC again
 *   a delivery is asked for                upload
 *
 * Each job kind is one descriptor (struct job_spec, lib/store/worker.h) in its own file,
 * lib/pipeline/kind_*.c, declared in lib/pipeline/kinds.h: name, attempts, base priority,
 * timeout, concurrency. workers/kinds.c pairs each with its run function. Priorities: the
 * kind's base, +10 for a circled take (circled proxies never wait behind other work of the
 * same kind).
 *
 * Every function works on the caller's connection, inside its transaction, so the job exists
 * exactly when the fact that called for it does. Each returns 1 when a job was queued (with
 * *job_id set when job_id is not NULL), 0 when none was needed (one already queued, or the
 * clip does not call for it), or a negative SP_E* code.
 */
#ifndef SETPOST_PIPELINE_H
#define SETPOST_PIPELINE_H

#include "lib/store/db.h"
#include "lib/core/err.h"
#include "lib/media/probe.h"

#include <jansson.h>
#include <stdbool.h>

/* The clip's copies are verified: its probe, unless it has one (or one is queued). */
int pipeline_secured(struct db_conn *c, long long clip_id, struct err *err);

/* pipeline_secured for every secured clip of a card, circled takes first. Returns how many
 * jobs were queued. */
int pipeline_card_secured(struct db_conn *c, long long card_id, struct err *err);

/* The clip was probed (p, just stored): when ffmpeg decodes it, QC, and for a picture its
 * proxies, thumbnails and its day's sound sync. */
int pipeline_probed(struct db_conn *c, long long clip_id, bool circled, const struct probe *p,
    struct err *err);

/* Proxies of the clip: profiles (a JSON array of names, borrowed) or NULL for every active
 * profile. SP_ECONFLICT (naming the job) when a transcode of the clip is queued or running. */
int pipeline_transcode(struct db_conn *c, long long clip_id, json_t *profiles,
    long long *job_id, struct err *err);

/* What makes proxies stale (a new sound match, a look changed): proxies made again when the
 * clip has some (or one is being made), and none is queued yet. */
int pipeline_stale(struct db_conn *c, long long clip_id, struct err *err);

/* QC of the clip again (its settings changed, a person asked), unless one is queued or
 * running. */
int pipeline_qc(struct db_conn *c, long long clip_id, struct err *err);

/* Sound sync for day_id (or the day of clip_id when day_id is 0), unless one is queued. */
int pipeline_sound(struct db_conn *c, long long day_id, long long clip_id, struct err *err);

/* The upload of a delivery just recorded: circled proxies first, then other proxies, then
 * camera originals (rendition false). */
int pipeline_deliver(struct db_conn *c, long long delivery_id, bool rendition, bool circled,
    long long *job_id, struct err *err);

#endif
