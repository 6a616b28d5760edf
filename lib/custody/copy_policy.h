/*
 * copy_policy: the production's copy policy and the second erase gate. The first gate, "card
 * safe to format", is the required verified copies on distinct volumes (productions.
 * required_copies, migration 0017, clipstate_card_safe). The second, "working drives safe to
 * clear", opens only after the first, once every file of the card also meets the policy: so
 * many verified copies (a post house's verified receipt counts as one), on so many distinct
 * media types (disk, lto, cloud, receipt), an archive copy (LTO, the receipt, either or none)
 * and one copy offsite (a volume not on set, or the receipt). Both are computed by the
 * database (migrations 0017 and 0035) so a list of cards gets them in one query; this module
 * reads and sets the policy and gives a card's second verdict.
 *
 * A policy document: {copies 1..10, media_types 1..4, archive "none"|"lto"|"receipt"|
 * "lto_or_receipt", offsite bool}. A production that never set one has the 3-2-1 rule
 * {3, 2, "lto_or_receipt", true}.
 */
#ifndef SETPOST_COPY_POLICY_H
#define SETPOST_COPY_POLICY_H

#include "lib/store/db.h"
#include "lib/core/err.h"

#include <jansson.h>
#include <stdbool.h>

/* The production's policy with the first gate's rule and the state of its cards: {production_id,
 * production, required_copies, copies, media_types, archive, offsite, default (true when never
 * set), updated_by, updated_at, cards, safe_to_format, safe_to_clear}. SP_ENOTFOUND for an
 * unknown production. */
int copy_policy_get(struct db *db, long long production_id, json_t **out, struct err *err);

/* Checks patch whole (only the policy's fields, each optional, merged over the current policy)
 * and stores it in one transaction; bad input (SP_EINVAL) changes nothing. *out as
 * copy_policy_get after the change. */
int copy_policy_set(struct db *db, long long production_id, json_t *patch, const char *actor,
    json_t **out, struct err *err);

/* "Working drives safe to clear" for one card, inside the caller's transaction: *why_not a new
 * array naming what is missing (file by file, at most 50). */
int copy_policy_card_clear(struct db_conn *c, long long card_id, bool *safe, json_t **why_not,
    struct err *err);

/* Adds card card_id's second gate to obj, beside its first: safe_to_clear and why_not_clear. */
int copy_policy_card_annotate(struct db_conn *c, long long card_id, json_t *obj,
    struct err *err);

#endif
