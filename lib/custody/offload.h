/*
 * offload: copies a camera or sound card to several destinations at once and
 * proves every copy by checksum — the DIT's first duty.
 *
 * One pass reads each source file once: a reader thread fills a ring of
 * aligned blocks (reference counted), a hasher thread hashes them (the source
 * hashes), and one writer thread per destination writes them to a temporary
 * name (`.NAME.setpost-partial` beside the real one). A verify thread per
 * destination then flushes each copy (fsync) and reads it back from the device,
 * not from the page cache (O_DIRECT; else fsync + POSIX_FADV_DONTNEED; tmpfs
 * has no device, which the result says), while the next file is being copied.
 * Only a copy whose hashes equal the source's is renamed to its real name and
 * given the source's modification time; a failed copy is removed.
 *
 * Layout: the card goes to DST/<label>/ (label: opts.card, else the source
 * folder's name), tree and names unchanged. OS junk (.DS_Store, ._*, .Trashes,
 * .Spotlight-V100, .fseventsd, System Volume Information, Thumbs.db, ...) is
 * skipped and listed in the result. A source `ascmhl/` folder (the card's own
 * history) is copied and verified but, as ASC MHL ignores `ascmhl` by default,
 * never listed in a manifest; a destination that already has a history keeps it.
 * Each destination card folder gets an ASC MHL v2 generation (process
 * `transfer`) listing the files verified there in this run, with action
 * `original`, or `verified` when an earlier generation (the destination's, or
 * the card's own) has the same hash. A file whose hash contradicts that history
 * is not put in place. A generation lists the files this run verified only;
 * directory hashes are written only when it covers the whole card.
 *
 * Resuming: a copy is skipped when it has the source's size and mtime and the
 * destination's history lists it (latest generation listing it) with that
 * size and mtime and a hash in one of the algorithms asked for. OFFLOAD_REHASH
 * reads such copies back instead, and replaces one that changed. A file present
 * under its real name but not in the history (killed after the rename, before
 * the manifest) is read back and compared rather than written again. Leftover
 * temporary files are removed at start.
 *
 * Threads: offload_run() starts and joins its own threads; every callback runs
 * on the calling thread, never concurrently. Nothing here prints.
 * Ownership: struct offload_result owns everything it points to; release it with
 * offload_result_release() (safe on a zeroed struct, safe twice).
 */
#ifndef SETPOST_OFFLOAD_H
#define SETPOST_OFFLOAD_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "lib/core/err.h"
#include "lib/core/hash.h"
#include "lib/custody/mhl.h"

#define OFFLOAD_MAX_DESTS 16
#define OFFLOAD_PARTIAL_SUFFIX ".setpost-partial"

enum offload_flag {
	OFFLOAD_SOURCE_VERIFY = 1 << 0, /* read the source a second time and compare */
	OFFLOAD_REHASH = 1 << 1,        /* read back copies an earlier run verified */
	OFFLOAD_KEEP_JUNK = 1 << 2,     /* copy OS junk too (verified, never in a manifest) */
	OFFLOAD_NO_DIRECT = 1 << 3,     /* never O_DIRECT: fsync + FADV_DONTNEED instead */
};

/* What a source file is to the offload. */
enum offload_kind {
	OFFLOAD_MEDIA,      /* copied, verified, listed in the manifests */
	OFFLOAD_HISTORY,    /* inside an ascmhl/ folder: copied and verified, not listed */
	OFFLOAD_JUNK,       /* OS junk copied with OFFLOAD_KEEP_JUNK: not listed */
};

/* State of one file on one destination. */
enum offload_state {
	OFFLOAD_PENDING,    /* not reached (the run stopped before it) */
	OFFLOAD_VERIFIED,   /* copied or read back in this run: same hashes as the source */
	OFFLOAD_SKIPPED,    /* verified by an earlier run (see Resuming) */
	OFFLOAD_FAILED,     /* no verified copy: see code and reason */
	OFFLOAD_CANCELED,   /* stopped while in progress; nothing left under a real name */
};

/* How a verified copy was obtained. */
enum offload_how {
	OFFLOAD_COPIED,     /* written in this run */
	OFFLOAD_CHECKED,    /* an existing copy was read back and matched */
	OFFLOAD_REPAIRED,   /* an existing copy did not match: written again */
};

/* How copies were read back (offload_method_name). */
enum offload_method {
	OFFLOAD_METHOD_NONE,     /* nothing read back */
	OFFLOAD_METHOD_DIRECT,   /* O_DIRECT: from the device */
	OFFLOAD_METHOD_DONTNEED, /* fsync, then POSIX_FADV_DONTNEED, then a buffered read */
	OFFLOAD_METHOD_MEMORY,   /* tmpfs/ramfs: no device; the memory is the copy */
	OFFLOAD_METHOD_MIXED,    /* more than one of the above */
};

struct offload_copy {
	enum offload_state state;
	enum offload_how how;
	enum mhl_action action;     /* verified: original or verified (vs the history) */
	enum offload_method method;
	int code;                   /* SP_E* when failed or canceled */
	char *reason;               /* failed/canceled: lowercase, names the cause */
	time_t checked;             /* when this copy was checked, if not now (0): a
				     * registration from another tool's history */
};

struct offload_file {
	char *path;                 /* relative to the card root, '/'-separated */
	enum offload_kind kind;
	int64_t size;
	struct timespec mtime, atime;
	mode_t mode;
	int hashed;                 /* 1: hash holds the source's hashes read in this run;
				     * 2: every copy was skipped, hash is from a history */
	struct hash_result hash;
	time_t hashdate;
	char *source_error;         /* the source could not be read (or changed): why */
	struct offload_copy *copies;    /* [ndst] */
};

struct offload_dir {
	char *path;                 /* relative; the card root itself is not listed */
	enum offload_kind kind;     /* media: listed in manifests; else inside ascmhl/ or junk */
	struct timespec mtime, atime;
	mode_t mode;
};

struct offload_dest {
	char *path;                 /* as given */
	char *card_dir;             /* resolved DST/<label> */
	dev_t dev;                  /* st_dev of the card folder */
	char fstype[16];            /* "ext4", "tmpfs", ... or the magic in hex */
	char fsid[24];              /* statfs f_fsid, hex */
	char uuid[64];              /* from /dev/disk/by-uuid, "" when not found */
	int failed;                 /* the destination as a whole failed (see error) */
	int code;
	char *error;
	enum offload_method method;
	size_t nverified, nskipped, nfailed, nrepaired, ncanceled, npartials_removed;
	uint64_t bytes_written, bytes_verified, bytes_free;
	int generation;             /* written in this run, 0: none */
	char *manifest;             /* its file name inside ascmhl/, NULL: none */
};

struct offload_result {
	char *label;
	char *src;                  /* resolved source folder */
	dev_t src_dev;
	unsigned algos;             /* computed for every file read */
	struct offload_file *files;
	size_t nfiles;
	struct offload_dir *dirs;
	size_t ndirs;
	struct offload_dest *dests;
	size_t ndst;
	char **junk;                /* skipped OS junk, relative; folders end with '/' */
	size_t njunk;
	char **warnings;
	int *warning_dests;         /* [nwarnings]: the destination concerned, or -1 */
	size_t nwarnings;
	uint64_t bytes_total;       /* sum of file sizes */
	uint64_t bytes_read;        /* source bytes read in this run (both reads) */
	double seconds;
	int canceled;
	int ok;                     /* every file has a verified copy on every destination */
};

/* Per-destination part of a progress report. */
struct offload_dest_progress {
	const char *path;
	const char *activity;       /* "writing", "verifying", "waiting", "done", "failed" */
	uint64_t bytes_written, bytes_verified;
	size_t files_verified, files_failed;
};

struct offload_progress {
	uint64_t bytes_total;       /* source bytes this run has to read */
	uint64_t bytes_read;
	uint64_t work_total, work_done; /* bytes read + written + read back, all copies */
	size_t files_total, files_done;
	double elapsed;             /* seconds */
	double rate;                /* source bytes per second, recent */
	const char *current;        /* file being read, or NULL */
	const struct offload_dest_progress *dests;
	size_t ndst;
};

struct offload_opts {
	const char *src;
	const char *const *dsts;
	size_t ndst;                /* 1..OFFLOAD_MAX_DESTS */
	const char *card;           /* label; NULL: the source folder's name */
	unsigned algos;             /* HASH_BIT()s; 0: xxh64 */
	int dir_algo;               /* algorithm of directory hashes (the first asked
				     * for); -1: the first of algos in XSD order */
	unsigned flags;             /* enum offload_flag */
	const char *author, *location, *comment;    /* manifest creator info, may be NULL */
	size_t block_size;          /* 0: 4 MiB (multiple of 4096) */
	size_t nblocks;             /* ring size, 0: 12 */
	const volatile sig_atomic_t *stop;  /* non-zero: stop cleanly (may be NULL) */
	unsigned progress_ms;       /* 0: 250 */
	void (*on_progress)(void *arg, const struct offload_progress *p);
	/* A file reached its final state on every destination. */
	void (*on_file)(void *arg, const struct offload_result *res, size_t i);
	/* A warning, also kept in res->warnings; dest is its index or -1. */
	void (*on_warning)(void *arg, int dest, const char *msg);
	/* A destination failed as a whole (read-only, full, ...): res->dests[d].error. */
	void (*on_dest_failed)(void *arg, const struct offload_result *res, size_t d);
	void *arg;
	unsigned test_delay_us;     /* tests only: sleep before each source block */
	const char *test_gate;      /* tests only: the last file of a pass (of several) is read
				     * only once this path exists (or the run is stopped) */
};

/* Runs the offload. Returns 0 when every file has a verified copy on every
 * destination; SP_EINVAL (with nothing written) when the request is refused
 * (bad source, symlink on the card, destination inside the source or given
 * twice, ...); SP_ECANCELED when stopped; otherwise the code of the first
 * failure, with a summary in err. In every case but a refusal, *res describes
 * what happened, per file and per destination; it must be released. */
int offload_run(const struct offload_opts *opts, struct offload_result *res, struct err *err);

void offload_result_release(struct offload_result *res);

/* "pending", "verified", "skipped", "failed", "canceled". */
const char *offload_state_name(enum offload_state s);
/* "copied", "checked", "repaired". */
const char *offload_how_name(enum offload_how h);
/* "none", "direct", "dontneed", "memory", "mixed". */
const char *offload_method_name(enum offload_method m);
/* "media", "history", "junk". */
const char *offload_kind_name(enum offload_kind k);

/* Whether a file or folder name is OS junk the offload skips (case-insensitive
 * for the Windows names). */
int offload_is_junk(const char *name);

/* The ignore patterns written in every manifest: ASC MHL's defaults plus the
 * junk offload skips. */
extern const char *const offload_ignore[];
extern const size_t offload_nignore;

#endif
