/*
 * report_offload: the offload report of one card or sound roll, what a DIT hands the camera
 * department, the production and the insurer: the card, its camera and reel, its clips, every
 * file with its size and hashes, every copy with its volume, how it was verified and its
 * state, when the offload started and ended, who ran it where, and whether the card is safe
 * to format. Rendered as PDF, HTML and CSV (lib/report/report.h; the CSV has one row per file
 * and copy).
 *
 * It is built from a card sheet: the registration document of lib/custody/offload_doc.h
 * ({"card", "production", "day", "clips", "files", "copies"}) with two more members:
 *   "run":     {"started", "ended" (UTC, YYYY-MM-DDThh:mm:ssZ), "seconds", "bytes_read",
 *               "algorithms": ["xxh64", ...], "host", "operator", "version", "source",
 *               "status": what the run ended with}
 *              each copy may carry "method" (how it was read back) and "folder";
 *   "verdict": {"safe_to_format": bool, "why_not": [...], "rule": "text"} (the server's, when
 *              the card was registered; else the copies counted here).
 * The API builds the same sheet from the database (GET /api/v1/cards/{id}/report).
 *
 * Writing it beside a copy: report_offload_write() puts the three files into a copy's card
 * folder (beside ascmhl/), each written to a temporary name, flushed and renamed, and records
 * them in that folder's ASC MHL history as a new generation (process in-place), so a later
 * `setpost verify` of the copy checks them too. Their names carry the time of the run
 * (<card>_offload_<YYYYMMDD>_<hhmmss>Z.pdf, .html, .csv): a later run adds its own report and
 * never rewrites one a history already lists.
 */
#ifndef SETPOST_REPORT_OFFLOAD_H
#define SETPOST_REPORT_OFFLOAD_H

#include "lib/core/err.h"
#include "lib/custody/card.h"
#include "lib/custody/offload.h"
#include "lib/report/report.h"

#include <jansson.h>
#include <time.h>

/* A report file's name carries this before its time (lib/custody/offload_doc.h's
 * OFFLOAD_REPORT_TAG: the custody district leaves such files out of a card). */
#define REPORT_OFFLOAD_TAG "_offload_"

struct report_offload_run {
	time_t started, ended;
	const char *operator;        /* who ran it (--author, the account of the job); may be NULL */
	const char *host;            /* NULL: this machine's name */
	const char *production, *day;   /* what the card is filed under; may be NULL */
	const char *camera;          /* --camera; may be NULL */
	const json_t *verdict;       /* the server's registration verdict, or NULL */
	enum report_paper paper;
};

struct report_offload_written {
	char stem[192];              /* <card>_offload_<date>_<time>Z */
	size_t ncopies;              /* card folders that got the report */
	size_t nfailed;              /* card folders where writing it failed (see err) */
};

/* The report document of a card sheet (see above); *doc is new (the caller owns it). */
int report_offload_document(const json_t *sheet, json_t **doc, struct err *err);

/* Writes doc as stem.pdf, stem.html and stem.csv into folder and records them in folder's
 * ASC MHL history with the algorithms given (HASH_BIT()s; 0: xxh64). */
int report_offload_write(const json_t *doc, enum report_paper paper, const char *folder,
    const char *stem, unsigned algos, struct err *err);

/* The one call at the end of a card's offload: builds the sheet of res (card: its clip
 * grouping, may be NULL) and writes the report into every destination's card folder where this
 * run verified at least one file (a run that only found earlier runs' copies there leaves the
 * folder as it is). Every folder is tried; err names the first failure. Returns 0 when every
 * such folder has it. */
int report_offload_card(const struct offload_result *res, const struct card_info *card,
    const struct report_offload_run *run, struct report_offload_written *out, struct err *err);

/* Whether a path relative to a card folder is one of these reports (at the folder's top). */
int report_offload_is_report(const char *name);

#endif
