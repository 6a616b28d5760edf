/*
 * mhl: ASC MHL v2 histories — the `ascmhl/` folder beside a copy of a card that
 * records, generation after generation, the hashes of every file in it.
 *
 * A history is a chain of manifests (`ascmhl/NNNN_<root>_<date>_<time>Z.mhl`)
 * plus `ascmhl/ascmhl_chain.xml`, which lists each manifest with the c4 of its
 * bytes. Generations are only ever added: an existing manifest is never
 * rewritten, and the chain file is replaced atomically with one more entry.
 * Directory hashes follow the reference tool (ascmitc/mhl): a directory's content
 * hash is H(sorted child content hashes), its structure hash is
 * H(sorted H(name || child hash)), with a directory child contributing its
 * structure hash to the latter.
 *
 * Three jobs:
 *   - mhl_write_generation: writes the next generation from a list of entries.
 *   - mhl_history_load: reads every generation (ours and other tools'), checks
 *     each manifest's c4 against the chain, and builds the latest known hash
 *     of every path, nested histories (child folders with their own ascmhl/)
 *     included with their folder as prefix.
 *   - mhl_verify: walks a folder, hashes it and compares with a history; its
 *     report holds entries ready for mhl_write_generation.
 *
 * Ownership: mhl_history, mhl_report and mhl_dirhash_ctx own all they point to
 * and are freed with their _release function (safe on a zeroed struct, safe
 * twice). mhl_generation only lends its pointers for the duration of the call.
 * No function keeps global state. Writers of one root are serialised with an
 * exclusive flock(2) on its ascmhl/ directory; readers hold a shared one while
 * they read, so they never see a generation half-committed by setpost.
 *
 * Limits: a generation is written into the root's history only; files below a
 * nested history are listed there too, with at most a <hashlistreference> the
 * caller passes (the reference tool would write the child's own generation).
 * Directory hashes use one algorithm. Dates are written in UTC.
 */
#ifndef SETPOST_MHL_H
#define SETPOST_MHL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/core/err.h"
#include "lib/core/hash.h"

#define MHL_DIR "ascmhl"
#define MHL_CHAIN "ascmhl_chain.xml"
#define MHL_TOOL_NAME "setpost"
#define MHL_NO_DIRHASH (-1)

enum mhl_action {
	MHL_ACTION_NONE,        /* attribute omitted */
	MHL_ACTION_ORIGINAL,    /* first time seen */
	MHL_ACTION_VERIFIED,    /* matched an earlier generation */
	MHL_ACTION_FAILED,      /* did not match */
};

enum mhl_process { MHL_PROCESS_IN_PLACE, MHL_PROCESS_TRANSFER, MHL_PROCESS_FLATTEN };

struct mhl_hashval {
	char value[HASH_STR_MAX];   /* lower-case hex, or a c4 id */
	enum mhl_action action;
	time_t hashdate;            /* 0: not given */
};

/* One file (or directory) of a manifest. */
struct mhl_entry {
	char *path;                 /* relative to the root, '/'-separated; owned by
				     * whoever owns the array */
	int is_dir;                 /* directories carry no hashes of their own:
				     * the writer computes them */
	int64_t size;               /* bytes, -1 unknown */
	time_t mtime;               /* lastmodificationdate, 0 unknown */
	unsigned algos;             /* HASH_BIT()s of the filled h[] */
	struct mhl_hashval h[HASH_NALGOS];
	int generation;             /* history: newest generation listing it */
	time_t listed;              /* history: creation date of that generation */
	/* history: the latest check of the file, whatever it found: the creation date and
	 * number of the newest generation listing it at all, and whether that listing
	 * recorded a `failed` action. A copy counts only while its latest check succeeded. */
	time_t checked;
	int checked_generation;
	int last_failed;
};

/* --- directory hashes ------------------------------------------------- */

struct mhl_dirhash {
	struct hash_value content, structure;
};

struct mhl_dirhash_ctx {
	enum hash_algo algo;
	struct hash_value *content, *structure;   /* one per child */
	size_t n, cap;
};

void mhl_dirhash_init(struct mhl_dirhash_ctx *ctx, enum hash_algo algo);
/* Adds a file child: its content hash, and H(name || content) to the structure list. */
int mhl_dirhash_add_file(struct mhl_dirhash_ctx *ctx, const char *name,
			 const struct hash_value *content, struct err *err);
/* Adds a directory child: its content hash, and H(name || its structure hash). */
int mhl_dirhash_add_dir(struct mhl_dirhash_ctx *ctx, const char *name,
			const struct mhl_dirhash *child, struct err *err);
/* Computes both hashes of the children added so far (H("") for none). */
int mhl_dirhash_final(struct mhl_dirhash_ctx *ctx, struct mhl_dirhash *out, struct err *err);
void mhl_dirhash_release(struct mhl_dirhash_ctx *ctx);

/* --- writing a generation --------------------------------------------- */

struct mhl_author {
	const char *name;
	const char *email, *phone, *role;   /* NULL: omitted */
};

/* A <hashlistreference> to a nested history's manifest. */
struct mhl_ref {
	const char *path;           /* relative to the root, e.g. "A002/ascmhl/0001_A002_...mhl" */
	const char *c4;             /* c4 of that manifest's bytes */
};

struct mhl_generation {
	time_t created;             /* creationdate, the file name's time, directory hashdates */
	const char *hostname;
	const char *tool_version;   /* the tool element is MHL_TOOL_NAME */
	const struct mhl_author *authors;
	size_t nauthors;
	const char *location, *comment;     /* NULL: omitted */
	enum mhl_process process;
	const char *const *ignore;  /* patterns recorded in the manifest; NULL: the defaults */
	size_t nignore;
	const struct mhl_entry *entries;    /* files, and directories (for their mtime and
					     * so that empty ones are listed) */
	size_t nentries;
	int dir_algo;               /* enum hash_algo of the directory hashes and the
				     * roothash, normally the first one the user asked
				     * for; every file needs it. MHL_NO_DIRHASH for none.
				     * Set it explicitly: 0 is HASH_C4. */
	const struct mhl_ref *refs;
	size_t nrefs;
};

struct mhl_written {
	int generation;             /* sequence number written */
	char manifest[256];         /* its file name inside ascmhl/ */
	char c4[HASH_STR_MAX];      /* c4 of its bytes, as put in the chain */
	int has_roothash;
	struct mhl_dirhash roothash;
};

/* Writes root/ascmhl/NNNN_<root name>_<date>_<time>Z.mhl as the next generation
 * and rewrites the chain with it appended; creates ascmhl/ if needed. Each file
 * goes to a temporary name, is fsynced, then linked (manifest: never replacing an
 * existing file, SP_ECONFLICT) or renamed (chain) into place. Fails with SP_EINVAL
 * for a bad entry (path not relative, not UTF-8, duplicated, file without the
 * dir_algo hash...). out may be NULL. */
int mhl_write_generation(const char *root, const struct mhl_generation *gen,
			 struct mhl_written *out, struct err *err);

/* The patterns written when mhl_generation.ignore is NULL (".DS_Store", "ascmhl", "ascmhl/"). */
extern const char *const mhl_default_ignore[];
extern const size_t mhl_default_nignore;

/* --- reading a history -------------------------------------------------- */

struct mhl_genrec {
	int seq;                    /* sequencenr in the chain */
	char *file;                 /* manifest name inside ascmhl/ */
	char c4[HASH_STR_MAX];
	time_t created;
	char *hostname, *tool, *tool_version;
	enum mhl_process process;
	size_t nfiles, ndirs;       /* <hash> and <directoryhash> elements */
};

struct mhl_subhistory {
	char *prefix;               /* folder relative to the root; "" for the root itself */
	struct mhl_genrec *gens;    /* in chain order */
	size_t ngens;
};

struct mhl_history {
	char *root;
	struct mhl_subhistory *hists;   /* [0] is the root's own (maybe with no generation) */
	size_t nhists;
	struct mhl_entry *files;        /* latest known hashes, sorted by path (strcmp) */
	size_t nfiles;
	char **ignore;                  /* patterns of the root's newest generation */
	size_t nignore;
};

/* Loads the history of root and of every nested history below it. A root
 * without ascmhl/ gives an empty history (no error). For each path, the latest
 * known entry holds, per algorithm, the value from the newest generation listing
 * it (by creation date) whose action is not `failed`, so a corrupted copy never
 * becomes the reference. Fails with SP_EMISMATCH naming the manifest when a c4
 * does not match the chain or a hashlistreference, SP_ENOTFOUND for a listed
 * manifest that is gone, SP_EINVAL/SP_EUNSUPPORTED for files that do not parse.
 * On failure *h is released. */
int mhl_history_load(struct mhl_history *h, const char *root, struct err *err);

/* The latest known entry for a path, or NULL. Lends a pointer into h. */
const struct mhl_entry *mhl_history_find(const struct mhl_history *h, const char *path);

void mhl_history_release(struct mhl_history *h);

/* --- verifying a folder against its history ---------------------------- */

enum mhl_status {
	MHL_STATUS_DIR,             /* a directory (no check of its own) */
	MHL_STATUS_NEW,             /* not in the history: actions `original` */
	MHL_STATUS_VERIFIED,        /* every compared hash matched */
	MHL_STATUS_FAILED,          /* a compared hash (or the size) differs */
};

struct mhl_verify_opts {
	unsigned algos;             /* computed for every file (HASH_BIT set, not 0) */
	const char *const *ignore;  /* extra patterns; defaults, OS junk and the
				     * history's patterns always apply */
	size_t nignore;
	time_t now;                 /* hashdate written in the entries; 0: time(NULL) */
	/* Called before each file is hashed with the bytes hashed so far; a non-zero
	 * return stops the walk with SP_ECANCELED. May be NULL. */
	int (*progress)(void *arg, const char *path, uint64_t done, uint64_t total);
	void *arg;
};

struct mhl_report {
	struct mhl_entry *entries;  /* on disk, sorted by path: pass to mhl_write_generation */
	enum mhl_status *status;    /* status[i] is entries[i]'s */
	size_t nentries;
	char **missing;             /* in the history, not on disk, sorted */
	size_t nmissing;
	size_t nnew, nverified, nfailed;
	uint64_t bytes;             /* hashed */
};

/* Walks root (skipping ascmhl/, OS junk such as .DS_Store, ._*, .Spotlight-V100,
 * .Trashes, .fseventsd, System Volume Information, symlinks and special files,
 * and ignored patterns) and hashes every file with opts->algos, plus, for a file
 * the history knows only by other algorithms, the one it prefers (md5, sha1,
 * xxh128, xxh3, xxh64, c4 in that order). A file that cannot be read fails the
 * whole call (the message names it). Mismatches are not errors: they are in the
 * report. On failure *rep is released. */
int mhl_verify(const char *root, const struct mhl_history *h,
	       const struct mhl_verify_opts *opts, struct mhl_report *rep, struct err *err);

void mhl_report_release(struct mhl_report *rep);

/* "original", "verified", "failed" ("" for none); "in-place", "transfer", "flatten". */
const char *mhl_action_name(enum mhl_action action);
const char *mhl_process_name(enum mhl_process process);

#endif
