/*
 * report_workflow: a production's agreed workflow sheet (lib/pipeline/workflow.h) as a document
 * to sign off (lib/report/report.h): the settings by topic (cameras and recording, picture and
 * colour, naming and media, proxies and delivery, sound and timecode), the contacts, and a
 * sign-off table of one row per contact with blank signature and date cells. Read in the
 * caller's transaction.
 */
#ifndef SETPOST_REPORT_WORKFLOW_H
#define SETPOST_REPORT_WORKFLOW_H

#include "lib/report/report.h"
#include "lib/store/db.h"

/* *doc gets a new document (the caller owns it); SP_ENOTFOUND when there is no such
 * production. data_dir is unused (no pictures); it keeps the loaders' one signature. */
int report_workflow_load(struct db_conn *c, long long production_id, const char *data_dir,
    json_t **doc, struct err *err);

#endif
