/* ffmpeg: ffmpeg and ffprobe as child processes, their pipes read in one poll loop
 * (see ffmpeg.h). */
#include "lib/media/ffmpeg.h"
#include "lib/core/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* One pipe from the child, as the loop reads it. */
struct ffmpeg_chan {
	int fd;                 /* our read end, -1 once at EOF or closed */
	int wfd;                /* the write end, until the child has it */
	int child_fd;
	bool lines;
	ffmpeg_data_fn on_data;
	void *arg;
	char *line;             /* partial line (lines mode) */
	size_t have;
	bool cut;               /* dropping the rest of an over-long line */
};

enum { FFMPEG_CH_STDERR, FFMPEG_CH_PROGRESS, FFMPEG_CH_USER };
#define FFMPEG_NCHAN (FFMPEG_CH_USER + FFMPEG_MAX_PIPES)

struct ffmpeg_loop {
	struct ffmpeg_run *run;
	struct ffmpeg_chan ch[FFMPEG_NCHAN];
	int nch;
	double out_seconds;     /* last out_time reported */
};

static char ffmpeg_prog[PATH_MAX], ffprobe_prog[PATH_MAX];

void
ffmpeg_set_programs(const char *ffmpeg, const char *ffprobe)
{
	snprintf(ffmpeg_prog, sizeof(ffmpeg_prog), "%s", ffmpeg ? ffmpeg : "");
	snprintf(ffprobe_prog, sizeof(ffprobe_prog), "%s", ffprobe ? ffprobe : "");
}

const char *
ffmpeg_program(const char *name)
{
	const char *set = NULL;

	if (strcmp(name, "ffmpeg") == 0)
		set = ffmpeg_prog;
	else if (strcmp(name, "ffprobe") == 0)
		set = ffprobe_prog;
	return set && *set ? set : name;
}

void
ffmpeg_last_lines(const char *text, int n, char *out, size_t len)
{
	const char *end = text + strlen(text), *start = end;
	int got = 0;

	/* Walk back over n non-empty lines. */
	while (start > text && got < n) {
		const char *e = start;
		while (e > text && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' '))
			e--;
		if (e == text)
			break;
		start = e;
		while (start > text && start[-1] != '\n')
			start--;
		got++;
	}
	out[0] = '\0';
	for (size_t used = 0; start < end && used + 1 < len;) {
		size_t l = strcspn(start, "\r\n");
		if (l > 0) {
			int w = snprintf(out + used, len - used, "%s%.*s", used ? " | " : "", (int)l, start);
			used = w < 0 ? len : used + (size_t)w;
		}
		start += l;
		start += strspn(start, "\r\n");
	}
}

int
ffmpeg_escape(const char *value, char *out, size_t len)
{
	char once[4096];
	size_t o = 0;

	/* First level: the filter's option parser. */
	for (const char *p = value; *p; p++) {
		if (o + 3 >= sizeof(once))
			return SP_ETOOBIG;
		if (strchr("\\':", *p))
			once[o++] = '\\';
		once[o++] = *p;
	}
	once[o] = '\0';
	/* Second level: the filtergraph parser. */
	o = 0;
	for (const char *p = once; *p; p++) {
		if (o + 3 >= len)
			return SP_ETOOBIG;
		if (strchr("\\'[],;", *p))
			out[o++] = '\\';
		out[o++] = *p;
	}
	out[o] = '\0';
	return 0;
}

/* Keeps the last bytes of the child's error output in run->tail. */
static void
ffmpeg_tail_add(struct ffmpeg_run *run, const char *line, size_t len)
{
	size_t have = strlen(run->tail), need = len + 1;

	if (need >= sizeof(run->tail)) {
		line += need - (sizeof(run->tail) - 1);
		len = sizeof(run->tail) - 2;
		need = len + 1;
	}
	if (have + need >= sizeof(run->tail)) {
		size_t drop = have + need - (sizeof(run->tail) - 1);
		const char *nl = memchr(run->tail + drop, '\n', have - drop);
		if (nl)
			drop = (size_t)(nl + 1 - run->tail);
		memmove(run->tail, run->tail + drop, have - drop + 1);
		have -= drop;
	}
	memcpy(run->tail + have, line, len);
	run->tail[have + len] = '\n';
	run->tail[have + len + 1] = '\0';
	run->error_lines++;
}

static int
ffmpeg_on_diag(void *arg, const char *line, size_t len, struct err *err)
{
	(void)err;
	if (len > 0)
		ffmpeg_tail_add(arg, line, len);
	return 0;
}

/* One line of -progress output: key=value; a block ends with progress=continue|end. */
static int
ffmpeg_on_progress(void *arg, const char *line, size_t len, struct err *err)
{
	struct ffmpeg_loop *l = arg;
	struct ffmpeg_run *run = l->run;
	char *end;

	(void)len;
	(void)err;
	if (strncmp(line, "out_time_us=", 12) == 0) {
		double us = strtod(line + 12, &end);
		if (end != line + 12 && isfinite(us) && us >= 0)
			l->out_seconds = us / 1e6;
	} else if (strncmp(line, "progress=", 9) == 0) {
		double f = run->duration > 0 ? l->out_seconds / run->duration : 0;
		if (strcmp(line + 9, "end") == 0) {
			run->progress_end = true;
			f = 1;
		}
		if (run->on_progress)
			run->on_progress(run->progress_arg, f < 0 ? 0 : f > 1 ? 1 : f, l->out_seconds);
	}
	return 0;
}

/* Delivers complete lines from data; keeps the partial last one. */
static int
ffmpeg_feed_lines(struct ffmpeg_chan *c, const char *data, size_t n, struct err *err)
{
	for (size_t i = 0; i < n; i++) {
		int rc;
		if (data[i] != '\n') {
			if (c->have + 1 < FFMPEG_LINE_MAX)
				c->line[c->have++] = data[i];
			else
				c->cut = true;
			continue;
		}
		if (c->have > 0 && c->line[c->have - 1] == '\r')
			c->have--;
		c->line[c->have] = '\0';
		rc = c->on_data(c->arg, c->line, c->have, err);
		c->have = 0;
		c->cut = false;
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Reads what is there on one channel. Returns 0, or a callback's error. */
static int
ffmpeg_read_chan(struct ffmpeg_chan *c, struct err *err)
{
	char chunk[65536];
	ssize_t n = read(c->fd, chunk, sizeof(chunk));
	int rc = 0;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0) {
		/* End of stream: a last line without '\n' still counts. */
		if (c->lines && c->have > 0) {
			c->line[c->have] = '\0';
			rc = c->on_data(c->arg, c->line, c->have, err);
			c->have = 0;
		}
		close(c->fd);
		c->fd = -1;
		return rc;
	}
	if (c->lines)
		return ffmpeg_feed_lines(c, chunk, (size_t)n, err);
	return c->on_data(c->arg, chunk, (size_t)n, err);
}

/* Moves fd to a number >= 10, close-on-exec, so that dup2 onto the child's 1..9 never
 * clobbers another pipe's write end. */
static int
ffmpeg_high_fd(int fd)
{
	int hi;

	if (fd >= 10)
		return fd;
	hi = fcntl(fd, F_DUPFD_CLOEXEC, 10);
	close(fd);
	return hi;
}

static void
ffmpeg_chan_close(struct ffmpeg_chan *c)
{
	if (c->fd >= 0)
		close(c->fd);
	if (c->wfd >= 0)
		close(c->wfd);
	c->fd = c->wfd = -1;
	free(c->line);
	c->line = NULL;
}

static int
ffmpeg_chan_open(struct ffmpeg_chan *c, int child_fd, bool lines, ffmpeg_data_fn fn,
    void *arg, struct err *err)
{
	int fds[2];

	memset(c, 0, sizeof(*c));
	c->fd = c->wfd = -1;
	c->child_fd = child_fd;
	c->lines = lines;
	c->on_data = fn;
	c->arg = arg;
	if (lines && (c->line = malloc(FFMPEG_LINE_MAX)) == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	if (pipe2(fds, O_CLOEXEC) < 0)
		return err_errno(err, SP_EIO, errno, "pipe");
	c->fd = fds[0];
	c->wfd = ffmpeg_high_fd(fds[1]);
	if (c->wfd < 0)
		return err_errno(err, SP_EIO, errno, "fcntl");
	fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
	return 0;
}

static int
ffmpeg_open_all(struct ffmpeg_loop *l, struct err *err)
{
	struct ffmpeg_run *run = l->run;
	int rc;

	l->nch = 0;
	if ((rc = ffmpeg_chan_open(&l->ch[l->nch++], 2, true, ffmpeg_on_diag, run, err)) < 0)
		return rc;
	if (run->progress_fd > 0 && (rc = ffmpeg_chan_open(&l->ch[l->nch++], run->progress_fd, true,
	    ffmpeg_on_progress, l, err)) < 0)
		return rc;
	for (int i = 0; i < run->npipes && i < FFMPEG_MAX_PIPES; i++) {
		const struct ffmpeg_pipe *p = &run->pipes[i];
		if ((rc = ffmpeg_chan_open(&l->ch[l->nch++], p->child_fd, p->lines, p->on_data,
		    p->arg, err)) < 0)
			return rc;
	}
	return 0;
}

static int
ffmpeg_spawn(struct ffmpeg_loop *l, struct err *err)
{
	struct ffmpeg_run *run = l->run;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, defaults;
	bool has_out = false;
	const char *prog = ffmpeg_program(run->argv[0]);
	int rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	for (int i = 0; i < l->nch; i++) {
		posix_spawn_file_actions_adddup2(&fa, l->ch[i].wfd, l->ch[i].child_fd);
		has_out |= l->ch[i].child_fd == 1;
	}
	if (!has_out)
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	sigemptyset(&none);
	sigemptyset(&defaults);
	sigaddset(&defaults, SIGPIPE);
	sigaddset(&defaults, SIGTERM);
	sigaddset(&defaults, SIGINT);
	sigaddset(&defaults, SIGHUP);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &defaults);
	posix_spawnattr_setpgroup(&at, 0);
	if (run->background) {
		struct sched_param sp = { .sched_priority = 0 };
		posix_spawnattr_setschedpolicy(&at, SCHED_IDLE);
		posix_spawnattr_setschedparam(&at, &sp);
	}
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
	    POSIX_SPAWN_SETPGROUP | (run->background ? POSIX_SPAWN_SETSCHEDULER : 0));
	rc = posix_spawnp(&run->pid, prog, &fa, &at, (char *const *)run->argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	for (int i = 0; i < l->nch; i++) {
		close(l->ch[i].wfd);
		l->ch[i].wfd = -1;
	}
	if (rc != 0) {
		run->pid = 0;
		return err_errno(err, rc == ENOENT ? SP_EUNAVAIL : SP_EIO, rc, "cannot run %s%s", prog,
		    rc == ENOENT ? " (is Debian's ffmpeg package installed?)" : "");
	}
	return 0;
}

static bool ffmpeg_canceled(const struct ffmpeg_run *run);

/* Waits for the child. With kill set (or once canceled() says so while waiting): TERM, then
 * KILL after two seconds. */
static void
ffmpeg_reap(struct ffmpeg_run *run, bool kill_it)
{
	double deadline = 0;
	bool killed = false;
	int status = 0;
	pid_t r;

	if (run->pid <= 0)
		return;
	for (;;) {
		if (!kill_it && ffmpeg_canceled(run))
			kill_it = true;
		if (kill_it && deadline == 0) {
			kill(run->pid, SIGTERM);
			deadline = clock_now() + 2;
		}
		r = waitpid(run->pid, &status, WNOHANG);
		if (r == run->pid || (r < 0 && errno != EINTR))
			break;
		if (r == 0 && kill_it && !killed && clock_now() > deadline) {
			kill(run->pid, SIGKILL);
			killed = true;
		}
		usleep(5000);
	}
	run->status = r != run->pid ? -1 : WIFEXITED(status) ? WEXITSTATUS(status) :
	    128 + WTERMSIG(status);
	run->pid = 0;
}

static bool
ffmpeg_canceled(const struct ffmpeg_run *run)
{
	return run->canceled && run->canceled(run->cancel_arg);
}

/* Reads every channel until all are at EOF. Returns 0, SP_ECANCELED or a callback's error. */
static int
ffmpeg_pump(struct ffmpeg_loop *l, struct err *err)
{
	struct pollfd pfd[FFMPEG_NCHAN];
	int map[FFMPEG_NCHAN];

	for (;;) {
		int n = 0, rc;
		for (int i = 0; i < l->nch; i++)
			if (l->ch[i].fd >= 0) {
				pfd[n] = (struct pollfd){ .fd = l->ch[i].fd, .events = POLLIN };
				map[n++] = i;
			}
		if (n == 0)
			return 0;
		if (ffmpeg_canceled(l->run))
			return err_set(err, SP_ECANCELED, "%s canceled", l->run->argv[0]);
		rc = poll(pfd, (nfds_t)n, 100);
		if (rc < 0 && errno != EINTR)
			return err_errno(err, SP_EIO, errno, "poll");
		for (int k = 0; rc > 0 && k < n; k++)
			if (pfd[k].revents && (rc = ffmpeg_read_chan(&l->ch[map[k]], err)) < 0)
				return rc;
	}
}

int
ffmpeg_run(struct ffmpeg_run *run, struct err *err)
{
	struct ffmpeg_loop l;
	double start = clock_now();
	char last[600];
	int rc;

	memset(&l, 0, sizeof(l));
	l.run = run;
	run->pid = 0;
	run->status = -1;
	run->tail[0] = '\0';
	run->error_lines = 0;
	run->progress_end = false;
	for (int i = 0; i < FFMPEG_NCHAN; i++)
		l.ch[i].fd = l.ch[i].wfd = -1;
	if ((rc = ffmpeg_open_all(&l, err)) < 0 || (rc = ffmpeg_spawn(&l, err)) < 0)
		goto out;
	rc = ffmpeg_pump(&l, err);
	/* On error or cancel, close our ends first so the child cannot block on a full pipe. */
	if (rc < 0)
		for (int i = 0; i < l.nch; i++)
			ffmpeg_chan_close(&l.ch[i]);
	ffmpeg_reap(run, rc < 0);
	if (rc == 0 && run->status != 0) {
		ffmpeg_last_lines(run->tail, 1, last, sizeof(last));
		rc = err_set(err, SP_EIO, "%s exited with status %d%s%s", run->argv[0], run->status,
		    last[0] ? ": " : "", last);
	}
out:
	for (int i = 0; i < FFMPEG_NCHAN; i++)
		ffmpeg_chan_close(&l.ch[i]);
	if (run->pid > 0)
		ffmpeg_reap(run, true);
	run->seconds = clock_now() - start;
	return rc;
}

static int
ffmpeg_collect(void *arg, const char *data, size_t len, struct err *err)
{
	struct buf *b = arg;

	if (buf_append(b, data, len) < 0)
		return err_set(err, SP_ETOOBIG, "output larger than %zu bytes", b->max);
	return 0;
}

int
ffmpeg_capture(const char *const *argv, struct buf *out, size_t max,
    bool (*canceled)(void *), void *cancel_arg, char *tail, size_t tail_len, struct err *err)
{
	struct ffmpeg_run run;
	int rc;

	memset(&run, 0, sizeof(run));
	buf_init(out, max);
	run.argv = argv;
	run.pipes[0] = (struct ffmpeg_pipe){ 1, false, ffmpeg_collect, out };
	run.npipes = 1;
	run.canceled = canceled;
	run.cancel_arg = cancel_arg;
	rc = ffmpeg_run(&run, err);
	if (tail && tail_len)
		snprintf(tail, tail_len, "%s", run.tail);
	return rc;
}
