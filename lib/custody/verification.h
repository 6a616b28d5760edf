/*
 * verification: the one rule of custody. A copy counts only while its LATEST check succeeded,
 * whoever made the check: setpost's offload, a registration of another tool's ASC MHL history,
 * or `setpost verify` reporting to the server. Every check is kept (table verifications: who,
 * when, which generation, what it found) and a copy's state is always the result of its
 * latest one (by checked_at, then by arrival); this module is the only writer of
 * copies.state. A check that makes a copy bad records `copy.failed`; a card that was safe to
 * format and is no longer records `card.unsafe` (both with the file, the copy, the expected
 * and found hashes); webhooks and the event stream see them in the same transaction.
 */
#ifndef SETPOST_VERIFICATION_H
#define SETPOST_VERIFICATION_H

#include "lib/store/db.h"
#include "lib/core/err.h"

#include <jansson.h>
#include <stdbool.h>

struct verification {
	long long copy_id;
	const char *checked_at;    /* when the bytes were checked (timestamptz text); NULL: now */
	const char *source;        /* "offload", "register" or "verify" */
	const char *tool;          /* NULL: not said */
	int generation;            /* of the copy's ASC MHL history; 0: none */
	const char *result;        /* "verified", "failed" or "missing" */
	const char *algorithm;     /* a hash that differs: its algorithm, expected and found */
	const char *expected, *found;
	const char *error;         /* failed or missing: what a person reads */
};

/* Records one check inside the caller's transaction and sets the copy's state to its latest
 * check's result. Returns 1 when the copy's state changed, 0 when not. */
int verification_record(struct db_conn *c, const struct verification *v, const char *actor,
    struct err *err);

/* Whether s is a check time as clients send it: YYYY-MM-DDThh:mm:ssZ. A time in the future
 * is recorded as now (a check cannot outweigh later ones by claiming a later date). */
bool verification_time_ok(const char *s);

/* A card's verdict before checks are recorded (a card with no files: not safe). */
int custody_card_before(struct db_conn *c, long long card_id, bool *was_safe,
    struct err *err);

/* After checks were recorded: re-derives the card's clip states (clipstate), gives its verdict
 * (*safe, *why_not: a new array; both may be NULL) and records `card.unsafe` when it was safe
 * and is no longer. Returns the number of clips that changed state. */
int custody_card_after(struct db_conn *c, long long card_id, bool was_safe, const char *actor,
    bool *safe, json_t **why_not, struct err *err);

/* Sets how many verified copies on distinct volumes the production requires (1 to 10) and
 * re-derives every card of it in one transaction (clip states; card.unsafe for each card that
 * was safe and is no more). *cards: cards re-checked, *safe: how many are safe now (both may be
 * NULL). SP_ENOTFOUND for an unknown production. */
int custody_required_copies_set(struct db *db, long long production_id, int n, const char *actor,
    int *cards, int *safe, struct err *err);
/* The same inside the caller's transaction, so a request that changes other settings with it
 * commits all or nothing. */
int custody_required_copies_apply(struct db_conn *c, long long production_id, int n,
    const char *actor, int *cards, int *safe, struct err *err);

/* POST /api/v1/verifications: what `setpost verify` found in a copy's folder, checked whole
 * then recorded in one transaction. doc is borrowed: {volume: {key, name, host, mount_path},
 * path (the folder, relative to the volume), checked_at, generation, tool, files: [{path,
 * result, generation, algorithm, expected, found, error}]}. Files the server knows no copy of
 * are counted, not refused. *result: {recorded, unknown, cards: [{id, label, safe_to_format,
 * why_not}]}. */
int verification_report(struct db *db, json_t *doc, const char *actor, json_t **result,
    struct err *err);

#endif
