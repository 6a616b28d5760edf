/*
 * workflow: a production's agreed workflow sheet, the technical settings production, camera,
 * sound and post sign off on: cameras and their recording formats, resolution, frame rate,
 * codecs, colour pipeline and looks, LUT names, the naming rule (a POSIX extended regular
 * expression a clip's whole name must match), copies required, media and archive rules, proxy
 * profiles, delivery schedule and targets, sound format and timecode practice, contacts.
 *
 * A sheet is a JSON object of the keys of workflow_keys[] (workflow.c says each one's type);
 * every change is a new version (workflow_sheets, migration 0073) and an event
 * `workflow.changed`. The sheet is paperwork except for five rules a probed camera clip is
 * checked against (workflow_check): frame_rate, resolution, codecs, sound.in_camera and
 * naming_rule; a clip that breaks one gets a QC finding of kind "workflow" whose message names
 * the rule and the sheet's version (codes SP-WF-RATE, SP-WF-SIZE, SP-WF-CODEC, SP-WF-SOUND,
 * SP-WF-NAME). copies_required is shown, not applied: the production's copy rule is
 * PATCH /productions/{id} required_copies.
 */
#ifndef SETPOST_WORKFLOW_H
#define SETPOST_WORKFLOW_H

#include "lib/core/err.h"
#include "lib/media/probe.h"
#include "lib/store/db.h"

#include <jansson.h>

/* SP_EINVAL naming "workflow.KEY" when sheet is not a sheet: an unknown key, a value of the
 * wrong type or too long, a frame rate or resolution that does not parse, a naming rule that
 * does not compile. */
int workflow_validate(const json_t *sheet, struct err *err);

/* The production's current sheet as {"production_id", "production", "version", "sheet",
 * "changed_by", "changed_at"} (version 0 and an empty sheet when none was set); SP_ENOTFOUND
 * when there is no such production. */
int workflow_load(struct db_conn *c, long long production_id, json_t **out, struct err *err);

/* Stores sheet (validated) as the production's next version, with the event
 * workflow.changed, and checks every probed camera clip of the production against it
 * (workflow_recheck); a sheet equal to the current one is no change (*changed false, no new
 * version). *out as workflow_load's, after, with "findings": the workflow findings the
 * production's clips have now (only when changed). */
int workflow_save(struct db_conn *c, long long production_id, const json_t *sheet,
    const char *actor, bool *changed, json_t **out, struct err *err);

/* Checks a probed clip against its production's current sheet, replacing the clip's
 * "workflow" findings with what breaks it now; returns how many (sound cards and productions
 * without a sheet: 0). */
int workflow_check(struct db_conn *c, long long clip_id, const struct probe *p,
    struct err *err);

/* workflow_check of every probed camera clip of the production, from its stored probe;
 * returns how many findings they have now. */
int workflow_recheck(struct db_conn *c, long long production_id, struct err *err);

#endif
