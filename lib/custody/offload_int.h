/*
 * offload_int: the run state the offload engine's files share (not a public
 * API: include offload.h instead).
 *
 * One struct ofl_run lives for one offload_run() call. Everything a worker
 * thread reads or writes after the threads start is guarded by run->mu, except
 * what only one thread ever touches (its own buffers and file descriptors) and
 * what is set before the threads start and read-only afterwards (files' paths,
 * sizes and times, histories, the plan). Functions named *_locked expect run->mu
 * held; the others take it themselves.
 *
 * Files: offload.c (entry, result), offload_events.c (shared run state, events),
 * offload_walk.c (source walk, junk),
 * offload_dest.c (destination checks and setup, directory times),
 * offload_plan.c (histories, resume plan, judging, manifests),
 * offload_pipe.c (ring, reader, hasher, writers), offload_verify.c (read-back).
 */
#ifndef SETPOST_OFFLOAD_INT_H
#define SETPOST_OFFLOAD_INT_H

#include <limits.h>
#include <pthread.h>

#include "lib/custody/offload.h"

#define OFL_ALIGN 4096                  /* O_DIRECT buffer, offset and length alignment */
#define OFL_DEF_BLOCK (4u << 20)
#define OFL_DEF_NBLOCKS 12

/* What a pass does with one file on one destination. */
enum ofl_mode {
	OFL_NONE,       /* nothing (destination failed, or not part of this pass) */
	OFL_SKIP,       /* verified by an earlier run */
	OFL_WRITE,      /* copy to a temporary name, verify, rename */
	OFL_CHECK,      /* read back the copy in place and compare */
};

/* Ring slot flags. */
#define OFL_FIRST 1u    /* first block of a file (consumers open/init) */
#define OFL_LAST 2u     /* last block: the file was read whole and unchanged */
#define OFL_ABORT 4u    /* the file failed or the run stopped: drop what was done */
#define OFL_END 8u      /* no more files in this pass */

struct ofl_slot {
	unsigned char *buf;     /* block_size bytes, OFL_ALIGN-aligned */
	uint64_t seq;           /* position in the pass's stream of slots */
	size_t file;
	uint64_t off;
	size_t len;
	unsigned flags;
	uint32_t mask;          /* consumers: bit 0 the hasher, bit 1 + d writer d */
	unsigned refs;          /* consumers that have not released it */
};

/* A unit of work for a verify thread. */
struct ofl_item {
	size_t file;
	int fd;                 /* OFL_WRITE: the written temporary file, to fsync */
	enum ofl_mode mode;
};

struct ofl_queue {
	struct ofl_item *v;
	size_t head, n, cap;
	int closed;
};

/* Per file, during the run. */
struct ofl_frun {
	int hash_state;         /* 0 pending, 1 hashed, -1 failed */
	int sv_state;           /* --source-verify: 0 pending, 1 same, -1 failed */
	unsigned pending;       /* copies of this file not final yet in this pass */
	int source_code;        /* SP_E* of the source failure (hash_state -1) */
	int has_prev;           /* repair pass: prev holds the first read's hashes */
	struct hash_result prev;
};

/* Per file and destination. */
struct ofl_cell {
	unsigned char mode;     /* enum ofl_mode of the current pass */
	unsigned char repair;   /* the copy in place did not match: write it again */
};

/* Per destination, during the run. */
struct ofl_drun {
	int card_fd;            /* the card folder, open and flock()ed */
	int dead;               /* stop sending files (full, read-only, failed) */
	int is_memory;          /* tmpfs/ramfs */
	int has_chain;          /* a history existed at start */
	int hist_loaded;
	struct mhl_history hist;
	const struct mhl_history *judge;    /* the history its copies are judged by */
	unsigned methods;       /* bit per enum offload_method used */
	int writing, verifying; /* what its threads are doing now */
	uint64_t need;          /* bytes this run writes there */
	struct ofl_queue vq;    /* to its verify thread */
	int failed_reported;
};

struct ofl_run {
	const struct offload_opts *o;
	struct offload_result *res;
	unsigned user_algos;    /* asked for (xxh64 by default) */
	unsigned algos;         /* the user's plus what histories need */
	int dir_algo;
	size_t ndst;

	pthread_mutex_t mu;
	pthread_cond_t cond;
	int stopping;           /* set once: the caller asked to stop */
	int live;               /* worker threads not finished */

	struct ofl_slot *slots;
	size_t nslots, bsize;
	uint64_t published;     /* slots published in this pass */

	struct ofl_frun *fr;    /* [nfiles] */
	struct ofl_cell *cells; /* [nfiles * ndst] */
	struct ofl_drun *dr;    /* [ndst] */
	struct mhl_history src_hist;
	int src_has_hist;

	size_t *pass;           /* files of the current pass, in order */
	size_t npass;
	int repairing;
	struct ofl_queue svq;   /* to the source-verify thread */

	/* events for the caller's thread */
	size_t *done;
	size_t ndone, done_cap, done_seen;
	size_t warn_seen;
	size_t warn_cap;
	struct timespec root_times[2];  /* the source folder's atime and mtime */
	uint64_t work_total;

	/* progress */
	double t0;
	uint64_t pass_bytes, pass_read;
	size_t files_todo, files_done;
	const char *current;
	double rate;
	uint64_t rate_bytes;
	double rate_t;
};

static inline struct ofl_cell *
ofl_cell(struct ofl_run *r, size_t file, size_t d)
{
	return &r->cells[file * r->ndst + d];
}

/* offload_events.c */
void ofl_warn(struct ofl_run *r, int d, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void ofl_warn_locked(struct ofl_run *r, int d, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Sets a copy's final state (reason may be NULL) and counts it; under run->mu. */
void ofl_final_locked(struct ofl_run *r, size_t file, size_t d, enum offload_state st,
		      int code, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Whether every copy of a file has its final state; under run->mu. */
int ofl_all_final(const struct ofl_run *r, size_t file);
/* A file whose copies are all final: queued for the on_file event; under run->mu. */
void ofl_file_done_locked(struct ofl_run *r, size_t file);
/* Marks a destination failed as a whole (first message wins); under run->mu. */
void ofl_dest_fail_locked(struct ofl_run *r, size_t d, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Waits for the pass's threads, delivering events and progress meanwhile. */
void ofl_wait(struct ofl_run *r);
/* Opens a file to read it, without updating its access time when allowed (a
 * card or a copy is read, not used). */
int ofl_open_read(int dirfd, const char *path);
/* ".NAME.setpost-partial" beside path, or a short form for long names. */
int ofl_temp_path(const char *path, size_t file, char *out, size_t outlen);
/* Queue of verify items; push/pop under run->mu. */
int ofl_queue_push_locked(struct ofl_queue *q, const struct ofl_item *it);
void ofl_queue_release(struct ofl_queue *q);
/* Milliseconds-resolution monotonic seconds since the run began. */
double ofl_elapsed(const struct ofl_run *r);

/* offload_walk.c */
int ofl_walk(struct ofl_run *r, struct err *err);

/* offload_dest.c */
int ofl_dests_check(struct ofl_run *r, struct err *err);
void ofl_dests_open(struct ofl_run *r);
void ofl_dest_finish(struct ofl_run *r, size_t d);
void ofl_dest_restore_root(struct ofl_run *r, size_t d);
void ofl_dests_close(struct ofl_run *r);
int ofl_fs_is_memory(int fd);

/* offload_plan.c */
void ofl_histories_load(struct ofl_run *r);
void ofl_plan(struct ofl_run *r);
int ofl_judge(struct ofl_run *r, size_t d, size_t file, enum mhl_action *action, char *why,
	      size_t whylen);
void ofl_write_manifest(struct ofl_run *r, size_t d);

/* offload_pipe.c */
int ofl_pass(struct ofl_run *r, struct err *err);

/* offload_verify.c */
void *ofl_verifier(void *arg);      /* arg: struct ofl_vctx */
void *ofl_source_verifier(void *arg);
/* Reads the file (open at fd) to its end and hashes it with algos, from the
 * device when it can (see offload.h); buf is bsize bytes, OFL_ALIGN-aligned.
 * *method says how. Stops with SP_ECANCELED when *stopping is set. */
int ofl_read_hash(struct ofl_run *r, int fd, const char *label, int allow_direct, int is_memory,
		  unsigned char *buf, size_t bsize, struct hash_result *res,
		  enum offload_method *method, uint64_t *counter, struct err *err);

struct ofl_vctx {
	struct ofl_run *r;
	size_t d;
};

#endif
