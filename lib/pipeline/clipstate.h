/*
 * clipstate: the one module that writes a clip's state. DESIGN.md's life of a clip:
 * registered (its files are known) -> secured (every file has the production's required
 * number of verified copies on distinct volumes) -> proxied -> delivered; failures are states
 * too (copy_failed, qc_hold, media_error, transcode_failed, upload_failed), each with a reason a person can
 * act on. Everything else asks this module to re-derive a clip's state from the facts
 * (copies, renditions, deliveries) inside the caller's transaction; each change becomes an
 * event ("clip.secured", "clip.copy_failed"...).
 *
 * It also answers the question a DIT most needs to trust: is a card safe to format?
 */
#ifndef SETPOST_CLIPSTATE_H
#define SETPOST_CLIPSTATE_H

#include "lib/store/db.h"
#include "lib/core/err.h"

#include <jansson.h>
#include <stdbool.h>

/* Re-derives the copy-related states (registered / secured / copy_failed) of every clip of a
 * card, and records an event per change. Returns the number of clips that changed. */
int clipstate_refresh_card(struct db_conn *c, long long card_id, const char *actor,
    struct err *err);

/* A card is safe to format exactly when every one of its files (sidecars and index files
 * included) has the required number of verified copies on distinct volumes. *why_not gets a
 * new JSON array of reasons (at most 50, one per file short of copies), empty when safe. */
int clipstate_card_safe(struct db_conn *c, long long card_id, bool *safe, json_t **why_not,
    struct err *err);

/* QC's verdict on a clip, inside the QC job's transaction: hold moves a secured (or already
 * proxied, or transcode_failed) clip to qc_hold with the reason (a finding at or above the
 * production's hold severity); release (hold false) moves a held clip back to what its copies
 * and then its proxies say; on release, reason (may be NULL) is the person's note. Records
 * clip.qc_hold or clip.qc_released. Returns 1 when the state changed, 0 when not. */
int clipstate_qc_verdict(struct db_conn *c, long long clip_id, bool hold, const char *reason,
    const char *actor, struct err *err);

/* The probe's verdict that a secured clip's media cannot be read (empty, not media, cut short,
 * a container its name lies about, frames missing from its sequence): media_error with the
 * reason, recorded as clip.media_error. Its copies may still be faithful: a card of such clips
 * stays safe to format when they are verified. Returns 1 when the state changed, 0 when not. */
int clipstate_media_error(struct db_conn *c, long long clip_id, const char *reason,
    const char *actor, struct err *err);

/* After a transcode: a clip whose renditions of every profile in profiles (the production's
 * active ones, n of them) are done becomes proxied; one with a failed rendition of those
 * becomes transcode_failed with "<profile>: <error>" as the reason. Only clips that are
 * secured, proxied or transcode_failed move (a held, failed-copy or delivered clip keeps its
 * state). Records clip.proxied / clip.transcode_failed. Returns 1 when the state changed. */
int clipstate_refresh_renditions(struct db_conn *c, long long clip_id,
    const char *const *profiles, int n, const char *actor, struct err *err);

/* clipstate_refresh_renditions with the production's active profiles (its settings). */
int clipstate_refresh_active(struct db_conn *c, long long clip_id, const char *actor,
    struct err *err);

/* After a delivery of the clip changed state (the upload job's end): the clip becomes
 * `delivered` when every one of its deliveries is delivered (a verified receipt each), or
 * `upload_failed` (reason: the failure) while one of them has failed. Only clips past their
 * copies and not held or failed otherwise (secured, proxied, delivered, upload_failed) move.
 * Records clip.delivered / clip.upload_failed. Returns 1 when the clip changed, 0 when not. */
int clipstate_refresh_deliveries(struct db_conn *c, long long delivery_id, const char *actor,
    struct err *err);

#endif
