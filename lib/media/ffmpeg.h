/*
 * ffmpeg: runs ffmpeg or ffprobe as a child process (posix_spawnp, never a shell) and reads
 * every pipe it writes to in one poll loop, so the child never blocks on a full pipe:
 *
 *   - stderr: its last lines are kept (run->tail) for the error message of a failed job;
 *   - `-progress pipe:N`: parsed (out_time_us, speed, progress=end) into a fraction of the
 *     clip's duration, handed to on_progress;
 *   - up to FFMPEG_MAX_PIPES more outputs (stdout = child fd 1, or fds 3, 4, ...), each handed
 *     to its callback either line by line (filters' metadata=print output) or as raw bytes
 *     (rawvideo frames).
 *
 * Cancellation: canceled() is asked at least every 100 ms. When it says yes, or a callback
 * fails, our ends of the pipes are closed (so the child cannot block writing), the child gets
 * SIGTERM, then SIGKILL after two seconds, and is always reaped before ffmpeg_run returns.
 * The child runs in a process group of its own, with default signal dispositions and an empty
 * signal mask, stdin from /dev/null; every descriptor we open is close-on-exec, so concurrent
 * spawns from other threads never inherit them.
 *
 * The programs are looked up in PATH as "ffmpeg" and "ffprobe"; ffmpeg_set_programs() names
 * others (--ffmpeg/--ffprobe; tests use this to slow ffmpeg down with -re).
 *
 * Thread safety: a struct ffmpeg_run belongs to one thread; any number may run at once.
 */
#ifndef SETPOST_FFMPEG_H
#define SETPOST_FFMPEG_H

#include "lib/core/buf.h"
#include "lib/core/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define FFMPEG_MAX_PIPES 4
#define FFMPEG_TAIL 2048        /* bytes of stderr kept */
#define FFMPEG_LINE_MAX 65536   /* longer lines are cut (and the rest dropped) */

/* Called for each line (without its '\n', NUL-terminated) or each chunk of bytes.
 * Returning < 0 (with err set) stops the run with that error. */
typedef int (*ffmpeg_data_fn)(void *arg, const char *data, size_t len, struct err *err);

struct ffmpeg_pipe {
	int child_fd;           /* 1 for stdout, or 3 and up */
	bool lines;             /* line by line, else raw bytes */
	ffmpeg_data_fn on_data;
	void *arg;
};

struct ffmpeg_run {
	/* in */
	const char *const *argv;   /* argv[0] "ffmpeg" or "ffprobe"; NULL-terminated */
	struct ffmpeg_pipe pipes[FFMPEG_MAX_PIPES];
	int npipes;
	int progress_fd;           /* child fd given to -progress pipe:N, 0 for none */
	double duration;           /* seconds of media, for the progress fraction (0: unknown) */
	void (*on_progress)(void *arg, double fraction, double seconds_done);
	void *progress_arg;
	bool (*canceled)(void *arg);
	void *cancel_arg;
	/* Analysis behind the critical path: the child runs under SCHED_IDLE, so it gets only the
	 * CPU time nothing else wants (a proxy's encode first), and all of it when that is idle. */
	bool background;
	/* out */
	pid_t pid;                 /* while running; 0 after it was reaped */
	int status;                /* exit status, or 128 + signal */
	char tail[FFMPEG_TAIL];    /* last bytes of stderr, NUL-terminated */
	int error_lines;          /* lines written to stderr */
	double seconds;            /* wall time */
	bool progress_end;         /* ffmpeg said progress=end */
};

/* Runs the program and waits for it. Returns 0 when it exited with status 0; SP_ECANCELED
 * when canceled() said so; a callback's error; SP_EUNAVAIL when the program cannot be started
 * (not installed); SP_EIO when it exited non-zero or was killed, with err naming the program,
 * the status and the last line of stderr. In every case the child has been reaped. */
int ffmpeg_run(struct ffmpeg_run *run, struct err *err);

/* Names the programs run as "ffmpeg" and "ffprobe" (NULL or "": the name, from PATH). Called
 * once at start-up, before any thread runs ffmpeg; the strings are copied. */
void ffmpeg_set_programs(const char *ffmpeg, const char *ffprobe);

/* The program to run for "ffmpeg" / "ffprobe" (the one set, or the name). */
const char *ffmpeg_program(const char *name);

/* Runs ffprobe-like argv and collects its stdout into out (at most max bytes). */
int ffmpeg_capture(const char *const *argv, struct buf *out, size_t max,
    bool (*canceled)(void *), void *cancel_arg, char *tail, size_t tail_len, struct err *err);

/* The last `n` non-empty lines of text joined with " | " into out (for error messages). */
void ffmpeg_last_lines(const char *text, int n, char *out, size_t len);

/* Escapes a value for a filtergraph option inside a filter_complex string (':', '\', '\'',
 * ',', ';', '[', ']' and '=' are escaped twice: for the option parser and the graph parser).
 * Returns 0, or SP_ETOOBIG when out is too small. */
int ffmpeg_escape(const char *value, char *out, size_t len);

#endif
