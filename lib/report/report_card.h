/*
 * report_card: the offload report of a registered card (lib/report/report_offload.h), built
 * from what the database knows of it, read in the caller's transaction: the card, its clips
 * with what probe, thumbnails and QC found since, every file with its hashes, every copy by
 * volume with its latest check, when it was registered and by whom, and the card's verdict.
 */
#ifndef SETPOST_REPORT_CARD_H
#define SETPOST_REPORT_CARD_H

#include "lib/report/report.h"
#include "lib/store/db.h"

/* *doc gets a new document (the caller owns it); SP_ENOTFOUND when there is no such card.
 * data_dir: the server's data folder, which thumbnails' paths are relative to. */
int report_card_load(struct db_conn *c, long long card_id, const char *data_dir, json_t **doc,
    struct err *err);

#endif
