/*
 * pipeline: what happens next to a clip. The one place that decides which job follows which
 * event, and the only caller of the job queue (lib/store/jobq) for media and delivery jobs:
 *
 *   event                                  what follows
 *   secured (its copies are verified)      probe
 *   probed                                 thumbnails, QC, and, when ffmpeg decodes it, its
 *                                          proxies (transcode); a picture clip also asks for
 *                                          its day's sound sync
 *   probed, camera raw that needs the      thumbnails and proxies made from the camera's own
 *   maker's SDK, with a camera proxy       proxy (lib/custody/clip_input.h); no QC
 *   sound roll registered                  sound sync of its day
 *   synced (sound matched anew) or look    the proxies made again (transcode), unless one is
 *   changed, when proxies exist            already queued (it reads the new facts when it runs)
 *   look changed (a clip's CDL, a scene's  its done proxies marked stale (rendition.stale), and
 *   default, a day or show LUT, import)    made again unless settings.look_rerender is false;
 *                                          a proxy made again is a new rendition that
 *                                          supersedes the old when it is ready
 *   a person asks for proxies              transcode (only the given profiles when some are)
 *   QC settings changed, a person asks     QC again
 *   a delivery is asked for                upload
 *   a rendition is ready                   its delivery to each target whose rule (of the
 *                                          clip's production) asks for its profile's proxies
 *   secured, and a rule asks for originals each file of the clip to that target (a sound
 *   or sound                               roll's files under a "sound" rule)
 *   "send this day (or these clips) now"   what every rule asks for that is ready
 *
 * Delivery rules (table delivery_rules, migration 0026) never make a clip held by QC
 * (qc_hold) or short of its copies leave; each rule delivers one thing to its target once.
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

/* The clip was probed as camera raw that needs the maker's SDK, and its camera proxy decodes:
 * thumbnails and proxies, made from the camera proxy. */
int pipeline_camera_proxy(struct db_conn *c, long long clip_id, bool circled, struct err *err);

/* Proxies of the clip: profiles (a JSON array of names, borrowed) or NULL for every active
 * profile. SP_ECONFLICT (naming the job) when a transcode of the clip is queued or running. */
int pipeline_transcode(struct db_conn *c, long long clip_id, json_t *profiles,
    long long *job_id, struct err *err);

/* What makes proxies stale (a new sound match, a look changed): proxies made again when the
 * clip has some (or one is being made), and none is queued yet. */
int pipeline_stale(struct db_conn *c, long long clip_id, struct err *err);

/* Which clips a look change reaches: one clip (clip_id), or the clips of a day (day_id) or
 * production (production_id), narrowed to one scene's clips without a look of their own
 * (scene), or to days without a LUT of their own (show_lut: the show LUT changed). */
struct pipeline_look_scope {
	long long clip_id, day_id, production_id;
	const char *scene;
	bool show_lut;
};

/* A look changed: the done proxies of the clips in scope are marked stale (one
 * rendition.stale event a clip, actor as its actor), and made again (pipeline_stale) unless
 * their production's settings.look_rerender is false. Returns how many clips had proxies. */
int pipeline_look_changed(struct db_conn *c, const struct pipeline_look_scope *s,
    const char *actor, struct err *err);

/* QC of the clip again (its settings changed, a person asked), unless one is queued or
 * running. */
int pipeline_qc(struct db_conn *c, long long clip_id, struct err *err);

/* Sound sync for day_id (or the day of clip_id when day_id is 0), unless one is queued. */
int pipeline_sound(struct db_conn *c, long long day_id, long long clip_id, struct err *err);

/* What is delivered, in the order it goes (a job priority each): circled proxies, then other
 * proxies, then sound, then camera originals. Within a class, the order it was queued in. */
enum pipeline_class {
	PIPELINE_ORIGINAL = 0,
	PIPELINE_SOUND = 5,
	PIPELINE_PROXY = 10,
	PIPELINE_CIRCLED_PROXY = 20,
};

/* The upload of a delivery just recorded, at its class's place in the queue. */
int pipeline_deliver(struct db_conn *c, long long delivery_id, enum pipeline_class cls,
    long long *job_id, struct err *err);

/* A rendition is ready (done): the deliveries its production's rules ask for. Returns how
 * many were queued. */
int pipeline_rendition_ready(struct db_conn *c, long long rendition_id, struct err *err);

/* Rendition old_id was superseded by new_id (a proxy made again): its deliveries that have
 * not started are failed as superseded and their uploads canceled (the new one's go by the
 * rules). Returns how many. */
int pipeline_superseded(struct db_conn *c, long long old_id, long long new_id, struct err *err);

/* What the rules of the day's production ask for and is ready, for the day's clips (only
 * those in clip_ids when n > 0): circled takes first, then in shooting order. Returns how many
 * deliveries were queued; *clips counts the clips looked at (NULL: not wanted). */
int pipeline_send_day(struct db_conn *c, long long day_id, const long long *clip_ids, size_t n,
    int *clips, struct err *err);

/* A report is ready (`report.ready`: report "offload" of card id, or "day" of day id): when
 * an enabled rule of what 'reports' of its production has an enabled target, queues the
 * "report" job that renders it and sends it (workers/job_report.c). Returns 1 when queued. */
int pipeline_report_ready(struct db_conn *c, const char *report, long long id,
    struct err *err);

#endif
