/*
 * soundsync_db: matching a day's picture clips to its sound in the database (the pure part is
 * lib/media/soundsync.h). Everything runs on the caller's connection, inside its transaction.
 * A new match of a clip whose proxies exist has them made again (pipeline_stale); a match
 * lets the sound report's scene, take and circle flow to the clip (the slate).
 */
#ifndef SETPOST_SOUNDSYNC_DB_H
#define SETPOST_SOUNDSYNC_DB_H

#include "lib/store/db.h"
#include "lib/core/err.h"

/* Matches the picture clips of day_id against the day's sound (clip_id is ignored: whether one
 * clip's match is sure depends on the day's others). Two pictures of one camera whose
 * timecode spans overlap cannot both carry the time of day: when their timecode points to
 * the same sound take, both are 'ambiguous' (the sound is named, not used; a slate it gave is
 * taken back, event clip.slate_withdrawn) until the DIT picks (soundsync_set_manual). Of
 * such a group, the one clip whose own slate is the take's, else the one recorded (recorded_at,
 * migration 0071) while the take was, is matched when exactly one is ("chosen_by" "slate" or
 * "shooting_time" in its clip.sound event); nothing is guessed otherwise.
 * Counts what was matched and what was not (uncovered or ambiguous) when the pointers are
 * given.
 * Takes a per-day advisory lock so two matchers of the same day run one after the other. */
int soundsync_match_day(struct db_conn *c, long long day_id, long long clip_id,
    const char *actor, int *matched, int *unmatched, struct err *err);

/* The DIT's match: clip_id plays with sound_clip_id at *offset_frames (sound_clip_id 0:
 * the clip has no sound, a MOS take; migration 0009). offset_frames NULL computes it from
 * the two clips' timecodes (same rate needed; the nearest way round midnight). Checks the
 * sound clip is on a sound card of the same production and clip_id is a picture clip
 * (SP_EINVAL, SP_ENOTFOUND). */
int soundsync_set_manual(struct db_conn *c, long long clip_id, long long sound_clip_id,
    const long long *offset_frames, const char *actor, struct err *err);

/* Forgets clip_id's match (manual or not) and matches it again. */
int soundsync_rematch(struct db_conn *c, long long clip_id, const char *actor,
    struct err *err);

#endif
