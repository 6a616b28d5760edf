/*
 * ltfs: a mounted LTFS volume (a tape in an LTO drive, mounted by the LTFS software the user
 * runs) written the way a tape wants it: whole files, one at a time, each created new and
 * written from its first byte to its last; nothing rewritten, truncated, renamed or deleted on
 * it (LTFS would only append a new copy of the bytes and lose the space); the read-back reads
 * each file from its start.
 *
 * The tape is known by the LTFS virtual extended attributes of the mount's root when the LTFS
 * software exposes them (user.ltfs.volumeUUID, user.ltfs.volumeName, user.ltfs.volumeSerial for
 * the barcode), else by its filesystem's identity (lib/custody/volume.h), so a folder can stand
 * in for a tape in tests. A file's place on tape is user.ltfs.startblock when exposed.
 */
#ifndef SETPOST_LTFS_H
#define SETPOST_LTFS_H

#include "lib/core/err.h"
#include "lib/core/hash.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct ltfs_tape {
	char mount[PATH_MAX];
	char key[192];          /* volumes.fs_uuid: "ltfs:<uuid>", or the filesystem's key */
	char uuid[128], name[128], barcode[64];  /* "" when not exposed */
	char label[128];        /* what a person calls it: name, else barcode, else the folder */
	uint64_t total, avail;  /* bytes */
	uint64_t bsize;         /* allocation unit */
	dev_t dev;
};

/* Identifies the tape mounted at mount. SP_EUNAVAIL when nothing is mounted there (the folder
 * is on the same filesystem as its parent). host names this machine for a key without UUID. */
int ltfs_identify(const char *mount, const char *host, struct ltfs_tape *t, struct err *err);

/* Whether the tape identified as t is still the one mounted (same device, same key). */
bool ltfs_still_mounted(const struct ltfs_tape *t);

/* Refreshes t->avail. */
int ltfs_space(struct ltfs_tape *t, struct err *err);

/* Bytes a file of size bytes takes on the tape (whole allocation units). */
uint64_t ltfs_need(const struct ltfs_tape *t, uint64_t size);

/* Whether the tape holds anything at all (a blank LTFS volume's root is empty). */
int ltfs_is_blank(const struct ltfs_tape *t, bool *blank, struct err *err);

/* Whether rel exists on the tape. */
bool ltfs_exists(const struct ltfs_tape *t, const char *rel);

/* Writes src_fd (from its start) as the new file rel (its folders made as needed), hashing the
 * bytes read with algos into *src: one stream, large sequential writes, then fsync. SP_ECONFLICT
 * when rel exists (never overwritten); SP_ENOSPACE when the tape fills (the partial file stays:
 * it is not deleted in place). tick, when given, is told the bytes written so far. */
int ltfs_write_file(const struct ltfs_tape *t, const char *rel, int src_fd, const char *src_name,
    unsigned algos, struct hash_result *src, void (*tick)(void *arg, uint64_t done), void *arg,
    struct err *err);

/* Writes len bytes as the new file rel, as ltfs_write_file does. */
int ltfs_write_bytes(const struct ltfs_tape *t, const char *rel, const void *buf, size_t len,
    struct err *err);

/* Reads rel back from the tape (the page cache dropped first, so the bytes come from the
 * medium where the kernel allows) and hashes it with algos. */
int ltfs_read_back(const struct ltfs_tape *t, const char *rel, unsigned algos,
    struct hash_result *res, struct err *err);

/* user.ltfs.startblock of rel, -1 when not exposed. */
long long ltfs_startblock(const struct ltfs_tape *t, const char *rel);

#endif
