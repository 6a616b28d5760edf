/*
 * report_day: the shooting-day report (lib/report/report.h's document) of one day, read in the
 * caller's transaction so every part of it is of the same instant.
 */
#ifndef SETPOST_REPORT_DAY_H
#define SETPOST_REPORT_DAY_H

#include "lib/report/report.h"
#include "lib/store/db.h"

/* *doc gets a new document (the caller owns it); SP_ENOTFOUND when there is no such day.
 * data_dir: the server's data folder, which thumbnails' paths are relative to. */
int report_day_load(struct db_conn *c, long long day_id, const char *data_dir, json_t **doc,
    struct err *err);

#endif
