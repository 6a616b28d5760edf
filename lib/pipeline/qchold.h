/*
 * qchold: a QC hold's life cycle, and what a hold stops.
 *
 * The QC job holds a clip (clipstate_qc_verdict) while one of its findings (qc_flags) is open
 * at or above the production's hold severity (settings.qc.hold, default "error"). The DIT
 * (an admin) answers each finding with a note: acknowledged (real, accepted as shot) or
 * overridden (not a fault: the check was wrong for this shot); when no finding that holds is
 * left open the clip is released. Or the DIT releases the clip at once, with a note, which
 * acknowledges every finding still open. Each step is an event on the clip
 * (clip.qc_finding_acknowledged, clip.qc_finding_overridden, clip.qc_released).
 *
 * What a hold stops is a production setting, settings.qc.hold_blocks (default ["delivery",
 * "pull"]): a held clip is always proxied (editorial may need to see it), but while held no
 * delivery is created for it and its proxies are not offered to `pull` (the dailies feed).
 * qchold_blocks() and QCHOLD_OFFERED_SQL are the one place that question is answered: code
 * that delivers or lists for pull asks them.
 */
#ifndef SETPOST_QCHOLD_H
#define SETPOST_QCHOLD_H

#include "lib/core/err.h"
#include "lib/media/qc.h"
#include "lib/store/db.h"

#include <stdbool.h>
#include <stddef.h>

enum qchold_answer { QCHOLD_ACKNOWLEDGE, QCHOLD_OVERRIDE };

#define QCHOLD_NOTE_MAX 2000

/* "acknowledge" or "override"; SP_EINVAL naming the field otherwise. */
int qchold_answer_parse(const char *word, enum qchold_answer *a, struct err *err);

/* Inside the caller's transaction: answers finding flag_id of clip clip_id with a note (1 to
 * QCHOLD_NOTE_MAX characters). SP_ENOTFOUND when the clip has no such finding, SP_ECONFLICT
 * when it was answered already. Releases the clip when no finding that holds is left open.
 * Returns 1 when the clip was released by this answer, else 0. */
int qchold_answer(struct db_conn *c, long long clip_id, long long flag_id, enum qchold_answer a,
    const char *note, const char *actor, struct err *err);

/* Inside the caller's transaction: releases a held clip with a note; its open findings are
 * acknowledged with that note. SP_ENOTFOUND for no such clip, SP_ECONFLICT when it is not on
 * hold. */
int qchold_release(struct db_conn *c, long long clip_id, const char *note, const char *actor,
    struct err *err);

/* Whether clip clip_id is held and its production's hold blocks `what` (QC_BLOCKS_DELIVERY or
 * QC_BLOCKS_PULL). When blocked, why (may be NULL) gets a sentence naming the clip, its hold
 * reason and how to release it. */
int qchold_blocks(struct db_conn *c, long long clip_id, unsigned what, bool *blocked, char *why,
    size_t whylen, struct err *err);

/* An SQL condition, true when the clip (alias `clip`, of the day alias `day`) may be offered
 * for `what` ("delivery" or "pull", a literal): not held, or its production's hold does not
 * block it. The default here is the one qc_settings_default() gives. */
#define QCHOLD_OFFERED_SQL(clip, day, what) \
	"NOT (" clip ".state = 'qc_hold' AND coalesce((SELECT qp.settings->'qc'->'hold_blocks'" \
	" FROM productions qp WHERE qp.id = " day ".production_id), '[\"delivery\", \"pull\"]'" \
	"::jsonb) ? '" what "')"

#endif
