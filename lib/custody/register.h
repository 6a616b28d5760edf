/*
 * register: records an offload in the database: the card, its clips, its files with their
 * hashes, and each copy with its volume and verified time. The input is the JSON document
 * `setpost offload --register` sends (and POST /api/v1/offloads receives); see README.md.
 * It is checked whole before anything is written, then written in one transaction: bad
 * input changes nothing. Registering the same offload twice changes nothing. A copy is only
 * recorded verified when its hash equals the file's registered hash.
 */
#ifndef SETPOST_REGISTER_H
#define SETPOST_REGISTER_H

#include "lib/store/db.h"
#include "lib/core/err.h"

#include <jansson.h>

/* Longest scene, take, camera or reel label, in bytes: the same at registration and in edits. */
#define CLIP_LABEL_MAX 64

/* doc is borrowed. On success *result is a new object: {card_id, day_id, files, clips,
 * copies, changed_clips, safe_to_format, why_not}. */
int register_offload(struct db *db, json_t *doc, const char *actor, json_t **result,
    struct err *err);

#endif
