/*
 * tape_card: what is written at the end of a card's files on a tape, after their read-back is
 * recorded: the card's offload report (lib/report/report_offload.h: PDF, HTML and CSV, built
 * from the database in the caller's transaction, so it lists the tape copies just read back)
 * and one generation of ASC MHL history listing the card's files on this tape and the report,
 * so `setpost verify` of the card's folder on the tape checks both.
 *
 * Everything is written as new files, one at a time, in the card's folder on the tape (report
 * first, then the manifest, then the chain): the history is generated in a staging folder on
 * disk (the MHL writer links and renames there) and copied; nothing is renamed on the tape. A
 * card folder on the tape that has its history already is left as it is (a run that started
 * again after it was written).
 */
#ifndef SETPOST_TAPE_CARD_H
#define SETPOST_TAPE_CARD_H

#include "lib/archive/ltfs.h"
#include "lib/core/err.h"
#include "lib/store/db.h"

#include <stddef.h>
#include <stdint.h>

struct tape_card_file {
	const char *path;       /* relative to the card's folder on the tape */
	uint64_t size;
	int algo;               /* enum hash_algo of hash */
	const char *hash;       /* the registered hash the read-back matched */
};

struct tape_card {
	long long card_id;
	const char *day, *card; /* the card's folder on the tape: <day>/<card> */
	const struct tape_card_file *files;
	size_t nfiles;
	const char *actor;
	const char *stage_dir;  /* a local folder for staging the history */
	const char *data_dir;   /* where thumbnails' paths are relative to; NULL: none */
};

/* Writes the report and the history of k onto tape t (see above). A report that cannot be made
 * or written (a full tape) is left out of the history, which is written all the same:
 * report_err then says why (report_err->code 0: the report is there, or the folder had its
 * history already). SP_ENOSPACE when the tape filled while writing the history (what was
 * written stays). */
int tape_card_write(struct db_conn *c, const struct ltfs_tape *t, const struct tape_card *k,
    struct err *report_err, struct err *err);

#endif
