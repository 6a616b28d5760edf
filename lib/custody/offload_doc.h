/*
 * offload_doc: turns an offload's result, seen through the card's clip grouping, into the
 * registration document POST /api/v1/offloads takes (see lib/custody/register.h): the card, its clips
 * (with the sound report's scene, take and circled for sound rolls), every file with its
 * source hashes, and each destination as a copy on a volume known by its filesystem identity.
 * A file that could not be read is listed without hashes, so the card is never called safe.
 */
#ifndef SETPOST_OFFLOAD_DOC_H
#define SETPOST_OFFLOAD_DOC_H

#include "lib/custody/card.h"
#include "lib/core/err.h"
#include "lib/custody/offload.h"

#include <jansson.h>

struct offload_doc_opts {
	const char *production;     /* NULL: the server's default */
	const char *day;            /* YYYY-MM-DD, NULL: today on the server */
	const char *host;           /* this machine's name, for the volume mount */
	int part;                   /* 1: one part of the card, "complete": false: only the clip
				     * card->clips[clip], its files and their copies (card needed) */
	size_t clip;
};

/* Builds the document (a new reference in *doc). card may be NULL (no grouping: no clips).
 * A part reads only its clip's files, which must have reached their final state: it may be
 * built while the offload still runs (from its on_file callback). */
int offload_doc_build(const struct offload_result *res, const struct card_info *card,
    const struct offload_doc_opts *o, json_t **doc, struct err *err);

/* The card's clips from the files the offload saw (no file is read again but WAV headers).
 * camera may be NULL. Fills card (card_info_release). */
int offload_doc_card(const struct offload_result *res, const char *camera, struct card_info *card,
    struct err *err);

/* Clip by clip: which clips have every file verified (or verified earlier) on every
 * destination, told as the offload's files reach their final state (its on_file callback), each
 * clip once. The card's grouping is made at the first file (every file is listed by then). */
struct offload_parts {
	struct card_info card;
	int identified;             /* card holds the grouping; -1: it could not be made */
	size_t *left;               /* per clip: its files not yet final */
	unsigned char *short_;      /* per clip: a file of it lacks a verified copy somewhere */
};

/* File k of res reached its final state. Returns 1 with *clip set when that completes a clip
 * whose every file has a verified copy on every destination, 0 otherwise, < 0 when the card's
 * grouping cannot be made (no clip is then ever complete; the whole registration says why). */
int offload_parts_file(struct offload_parts *p, const struct offload_result *res, size_t k,
    const char *camera, size_t *clip, struct err *err);

/* offload_parts_file, then, when a clip is complete, its part's document (o's production, day
 * and host; a new reference in *doc) with *clip its index: 1. 0 when no part is due. */
int offload_doc_part(struct offload_parts *p, const struct offload_result *res, size_t k,
    const struct offload_doc_opts *o, const char *camera, json_t **doc, size_t *clip,
    struct err *err);

void offload_parts_release(struct offload_parts *p);

/* setpost's offload report beside a copy (lib/report/report_offload.h) is named
 * <card>_offload_<YYYYMMDD>_<hhmmss>Z.pdf|.html|.csv at the card folder's top. */
#define OFFLOAD_REPORT_TAG "_offload_"

/* Whether path (relative to the card folder) is such a report: no part of the card, so a card
 * offloaded or registered from a copy that holds one leaves it out of the card's files. */
int offload_doc_is_report(const char *path);

/* The mount point of the filesystem holding path (the highest folder on the same device). */
int offload_doc_mount_point(const char *path, char *out, size_t len, struct err *err);

#endif
