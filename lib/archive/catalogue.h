/*
 * catalogue: what is on which tape. Each tape (a volume of kind 'lto' in table tapes) with its
 * LTFS name, barcode, UUID, where it is kept, its space, its cards and how many of its files
 * are verified; "which tape holds clip X" (a clip or file name, or part of one); and every file
 * on every tape as CSV, in tape order, for a vault's spreadsheet; one tape's files as an ASC MHL
 * manifest, for the tools that read those.
 */
#ifndef SETPOST_CATALOGUE_H
#define SETPOST_CATALOGUE_H

#include "lib/core/buf.h"
#include "lib/core/err.h"
#include "lib/store/db.h"

#include <jansson.h>

/* *items: a new array of tapes [{id, label, barcode, ltfs_uuid, state, location, bytes_total,
 * bytes_free, files, files_unverified, bytes, cards, updated_at, matches}]. With find (not
 * NULL), only the tapes holding a file whose clip or path contains it (case-insensitive), each
 * with matches: [{day, card, clip, file, tape_path, size, state, seq, start_block}]. */
int catalogue_tapes(struct db *db, const char *find, json_t **items, struct err *err);

/* Appends the CSV of every file on every tape, a header line first. */
int catalogue_csv(struct db *db, struct buf *out, struct err *err);

/* The catalogue of one tape as an ASC MHL v2 manifest (lib/custody/mhl.h's writer): every file
 * verified on it, by its path on the tape, with its size, modification time and every hash
 * registered for it; the tape's identity (label, barcode, LTFS volume UUID, where it is kept)
 * in the creator info's location and comment. tape: the tape's volume id, or 0 with label (its
 * name or barcode). Generated in a folder made under stage_dir and removed. *out gets the
 * manifest's bytes, name (when not NULL) its file name. SP_ENOTFOUND: no such tape. */
int catalogue_mhl(struct db *db, long long tape, const char *label, const char *stage_dir,
    struct buf *out, char *name, size_t nlen, struct err *err);

#endif
