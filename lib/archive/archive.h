/*
 * archive: a production's originals and sound written to LTO tape (an LTFS volume, ltfs.h)
 * and read back, recorded as copies on a volume of kind 'lto' with their place on the tape
 * (the catalogue: tapes, tape_files).
 *
 * A run plans the files of the chosen cards: card by card (shoot date, then label), within a
 * card the largest first (or by name). Files already verified on a tape are done. Each file is
 * read once from a verified copy on this host (lib/custody/locate.h), hashed while it is
 * written as a new file on the tape, one at a time. When a card's files on this tape are
 * written, every one of them is read back in tape order (LTFS start block when exposed, else
 * the order written) and recorded: verified when the bytes read equal the registered hash,
 * failed otherwise; in the same transaction the card's offload report and ASC MHL history are
 * written into its folder on the tape (lib/archive/tape_card.h: plain new files, nothing
 * renamed on the tape). Only a read-back makes a copy on tape count.
 *
 * Spanning: a file that does not fit on the tape (its size against the tape's free space, or
 * ENOSPC while writing) is written whole to the next tape; the tape is marked full and never
 * written again; the run waits for another tape at the same mount point (progress "insert the
 * next tape") and goes on. A tape that is unmounted during the run is waited for the same way.
 *
 * Never append to a tape unless every file on it exists verified elsewhere: a tape the
 * catalogue knows is refused while one of its files has no verified copy on another volume;
 * a tape with files the catalogue does not know is refused. Two runs never write one tape
 * (a PostgreSQL advisory lock on the tape, held for the run).
 *
 * Resume: a run started again (after a crash, a cancel, an unmounted tape) starts from the
 * first file not verified on a tape; a file it finds written on the mounted tape but not yet
 * read back is read back, not written again; a partial file (the crash hit during its write)
 * stays, and the file is written again beside it under a new name.
 */
#ifndef SETPOST_ARCHIVE_H
#define SETPOST_ARCHIVE_H

#include "lib/store/db.h"
#include "lib/core/err.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

enum archive_order { ARCHIVE_LARGEST_FIRST, ARCHIVE_BY_NAME };

struct archive_progress {
	const char *state;        /* "writing", "verifying" or "waiting" */
	const char *tape;         /* the tape's label, NULL while none */
	const char *message;      /* what a person reads: the file, or what to do */
	uint64_t bytes_done, bytes_total;   /* written and read back (each byte twice) */
	int files_done, files_total;
};

struct archive_opts {
	const char *tape;         /* the mount point of the LTFS volume */
	long long production_id;
	const char *day;          /* YYYY-MM-DD, or NULL: every day */
	const char *const *cards; /* labels, NULL-terminated; NULL: every card of the day(s) */
	const char *kind;         /* "camera" or "sound": only such cards; NULL: both */
	enum archive_order order;
	const char *actor;
	const char *stage_dir;    /* a local folder for MHL staging (the data folder) */
	const char *data_dir;     /* the data folder, never written as a tape; NULL: none */
	double wait_seconds;      /* how long to wait for a tape; < 0: as long as it takes */
	/* Told of progress; a nonzero return stops the run (as canceled). */
	int (*progress)(void *arg, const struct archive_progress *p);
	void *arg;
};

/* Runs the archive. *result (new, also on failure when not NULL): {files, bytes, written,
 * verified, failed, already, tapes: [{id, label, key, barcode, files, state}], cards: [...]}.
 * SP_ENOSPACE when the tape filled and no next tape came in time; SP_EUNAVAIL when no tape
 * was mounted in time; SP_ECANCELED when stopped; SP_EMISMATCH when a read-back failed. */
int archive_run(struct db *db, const struct archive_opts *o, json_t **result, struct err *err);

#endif
