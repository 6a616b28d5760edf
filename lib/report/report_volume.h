/*
 * report_volume: the report of one volume, above all of a shuttle drive on its way to the post
 * house (lib/report/report.h's document): exactly what is on it as far as setpost knows, card by
 * card and file by file, with sizes, hashes, the state of each copy and its latest check (when,
 * by whom, how), and for each card whether it is safe to format. Read in the caller's
 * transaction.
 */
#ifndef SETPOST_REPORT_VOLUME_H
#define SETPOST_REPORT_VOLUME_H

#include "lib/report/report.h"
#include "lib/store/db.h"

/* *doc gets a new document (the caller owns it); SP_ENOTFOUND when there is no such volume.
 * data_dir is unused (the report has no pictures); it keeps the loaders' one signature. */
int report_volume_load(struct db_conn *c, long long volume_id, const char *data_dir,
    json_t **doc, struct err *err);

#endif
