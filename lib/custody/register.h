/*
 * register: records an offload in the database: the card, its clips, its files with their
 * hashes, and each copy with its volume and verified time. The input is the JSON document
 * `setpost offload --register` sends (and POST /api/v1/offloads receives); see README.md.
 * It is checked whole before anything is written, then written in one transaction: bad
 * input changes nothing. Registering the same offload twice changes nothing (nor uses new ids).
 * A copy is only recorded verified when its hash equals the file's registered hash.
 *
 * A card may arrive in parts: a document with "complete": false is one part (the offload sends
 * each clip as soon as it is verified everywhere); its clips are secured and go on to the
 * pipeline, but a new card stays `offloading` (migration 0068), never safe to format, until a
 * document without it, the whole card, is registered. A part never reopens a card registered
 * whole.
 */
#ifndef SETPOST_REGISTER_H
#define SETPOST_REGISTER_H

#include "lib/store/db.h"
#include "lib/core/err.h"

#include <jansson.h>

/* Longest scene, take, camera or reel label, in bytes: the same at registration and in edits. */
#define CLIP_LABEL_MAX 64

/* doc is borrowed. On success *result is a new object: {card_id, day_id, files, copies,
 * changed_clips, safe_to_format, why_not, already_registered, complete, safe_to_clear,
 * why_not_clear}. */
int register_offload(struct db *db, json_t *doc, const char *actor, json_t **result,
    struct err *err);

#endif
