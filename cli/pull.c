/*
 * setpost pull URL DEST: the cutting room's side. Mirrors the server's ready dailies into
 * DEST/<day>/<card>/<file> with each day's ALE and looks beside them, checks every file's xxh64,
 * resumes what an interrupted run left, and with --watch keeps following new dailies. Thin over
 * lib/pull (which says how).
 */
#include "cli.h"
#include "lib/delivery/pull.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char pull_usage[] =
    "Usage: setpost pull URL DEST [options]\n"
    "\n"
    "Mirrors the ready dailies of the setpost server at URL into DEST/<day>/<card>/<file>, and\n"
    "writes each day's Avid ALE and CDL looks beside them (DEST/<day>/<day>.ale, .ccc). Every\n"
    "file is checked against the server's xxh64; one that does not match is refused (kept aside\n"
    "as <file>.bad) and the exit status is 1. Files already here are skipped; a file cut short by\n"
    "an interruption is continued, not fetched again. Shows a progress bar when standard error is\n"
    "a terminal; prints each file it brings on standard output.\n"
    "\n"
    "  --token TOKEN       API token (an editor token is enough); default $SETPOST_TOKEN\n"
    "  --cacert FILE       trust this PEM certificate (or CA) for HTTPS\n"
    "  --insecure          do not check the server's certificate (tests only)\n"
    "  --day DAY           only this day (an id or YYYY-MM-DD)\n"
    "  --profile NAME      only renditions of this profile\n"
    "  --watch             keep running: wait on the server's event stream for new dailies\n"
    "  --rescan SECONDS    with --watch, list everything again this often (default 300)\n"
    "  --limit-rate N      receive at most N bytes/s (suffixes K, M, G)\n"
    "  --no-progress       no progress bar\n";

struct pull_cli {
	bool tty;
	bool bar_shown;
};

static void
pull_clear(struct pull_cli *c)
{
	if (c->bar_shown) {
		fputs("\r\033[K", stderr);
		c->bar_shown = false;
	}
}

static void
pull_on_note(void *arg, bool problem, const char *line)
{
	struct pull_cli *c = arg;

	pull_clear(c);
	if (problem) {
		fprintf(stderr, "setpost pull: %s\n", line);
	} else {
		printf("%s\n", line);
		fflush(stdout);
	}
}

static void
pull_on_progress(void *arg, const struct pull_progress *p)
{
	struct pull_cli *c = arg;
	char bar[31];
	double frac = p->total ? (double)p->done / (double)p->total : 1;
	int fill;

	if (!c->tty)
		return;
	if (frac > 1)
		frac = 1;
	fill = (int)(frac * 30);
	for (int i = 0; i < 30; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[30] = '\0';
	fprintf(stderr, "\r\033[K%3d%% [%s] %.1f/%.1f MB %.0f MB/s %.40s", (int)(frac * 100), bar,
	    (double)p->done / 1e6, (double)p->total / 1e6, p->rate / 1e6, p->name);
	c->bar_shown = true;
}

/* Sleeps up to seconds, waking early on a signal. */
static void
pull_nap(int seconds)
{
	for (int i = 0; i < seconds * 10 && !cli_stop; i++)
		usleep(100000);
}

static void
pull_summary(const struct pull_stats *st)
{
	printf("pulled %d file%s, %" PRIu64 " bytes received; %d already here; %d refused\n",
	    st->fetched, st->fetched == 1 ? "" : "s", st->bytes, st->present, st->refused);
	fflush(stdout);
}

/* --watch: pass, wait for rendition.ready (or the rescan time), pass again... until a signal. */
static int
pull_watch(struct pull *p, struct pull_cli *c, int rescan)
{
	char since[1024] = "";
	struct pull_stats st;
	struct err err;
	long long eid = 0;
	int backoff = 1, rc;

	while (!cli_stop) {
		if (since[0] == '\0' && pull_last_event(p, &eid, &err) < 0) {
			pull_clear(c);
			fprintf(stderr, "setpost pull: %s; trying again in %d s\n", err.msg, backoff);
			pull_nap(backoff);
			backoff = backoff < 30 ? backoff * 2 : 30;
			continue;
		}
		rc = pull_pass(p, since[0] ? since : NULL, &st, &err);
		pull_clear(c);
		if (rc == SP_ECANCELED)
			break;
		if (st.fetched || st.refused || since[0] == '\0')
			pull_summary(&st);
		if (rc < 0 && rc != SP_EMISMATCH) {
			fprintf(stderr, "setpost pull: %s; trying again in %d s\n", err.msg, backoff);
			pull_nap(backoff);
			backoff = backoff < 30 ? backoff * 2 : 30;
			since[0] = '\0';
			continue;
		}
		snprintf(since, sizeof(since), "%s", pull_position(p));
		rc = pull_wait(p, &eid, rescan, &err);
		if (rc == 1) {
			backoff = 1;
			continue;       /* something is ready: what is new since the last position */
		}
		since[0] = '\0';    /* time for a full listing, or the stream broke: list everything */
		if (rc < 0 && rc != SP_ECANCELED) {
			fprintf(stderr, "setpost pull: %s; listing again in %d s\n", err.msg, backoff);
			pull_nap(backoff);
			backoff = backoff < 30 ? backoff * 2 : 30;
		}
	}
	return 0;
}

enum { O_TOKEN = 256, O_CACERT, O_INSECURE, O_DAY, O_PROFILE, O_WATCH, O_RESCAN, O_RATE,
	O_NOPROG };
static const struct option pull_longopts[] = {
	{ "token", required_argument, NULL, O_TOKEN },
	{ "cacert", required_argument, NULL, O_CACERT },
	{ "insecure", no_argument, NULL, O_INSECURE },
	{ "day", required_argument, NULL, O_DAY },
	{ "profile", required_argument, NULL, O_PROFILE },
	{ "watch", no_argument, NULL, O_WATCH },
	{ "rescan", required_argument, NULL, O_RESCAN },
	{ "limit-rate", required_argument, NULL, O_RATE },
	{ "no-progress", no_argument, NULL, O_NOPROG },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* What the options fill: the pull's own, the display's, and --watch's. */
struct pull_args {
	struct pull_opts *o;
	struct pull_cli *c;
	bool watch;
	long rescan;
};

static int
pull_option(void *arg, int ch, const char *val, struct err *err)
{
	struct pull_args *a = arg;
	char *end;

	switch (ch) {
	case O_TOKEN: a->o->token = val; break;
	case O_CACERT: a->o->cacert = val; break;
	case O_INSECURE: a->o->insecure = true; break;
	case O_DAY: a->o->day = val; break;
	case O_PROFILE: a->o->profile = val; break;
	case O_WATCH: a->watch = true; break;
	case O_NOPROG: a->c->tty = false; break;
	case O_RESCAN:
		a->rescan = strtol(val, &end, 10);
		if (*end || a->rescan < 1 || a->rescan > 86400)
			return err_set(err, SP_EINVAL, "--rescan: expected 1 to 86400 seconds");
		break;
	case O_RATE:
		if (cli_parse_size(val, &a->o->max_speed) < 0)
			return err_set(err, SP_EINVAL, "--limit-rate: expected bytes/s, like 500K or 20M");
		break;
	}
	return 0;
}

static const struct cli_options pull_options = { ":h", pull_longopts, pull_option };


int
cmd_pull(int argc, char **argv)
{
	struct pull_opts o = { .token = getenv("SETPOST_TOKEN"), .bytes_log_fd = -1,
		.stop = &cli_stop };
	struct pull_cli c = { .tty = isatty(STDERR_FILENO) };
	struct pull_stats st;
	struct pull *p;
	struct err err;
	struct pull_args args = { &o, &c, false, 300 };
	char url[2048];
	int rc, help = 0;

	if (cli_getopt(&pull_options, argc, argv, &args, &help, &err) < 0) {
		cli_fail("pull", "%s", err.msg);
		fputs(pull_usage, stderr);
		return 2;
	}
	if (help) {
		fputs(pull_usage, stdout);
		return 0;
	}
	if (argc - optind != 2)
		return cli_fail("pull", "expected URL and DEST (setpost pull --help)");
	if (o.token == NULL || o.token[0] == '\0')
		return cli_fail("pull", "no token: pass --token or set SETPOST_TOKEN");
	if (strncmp(argv[optind], "http://", 7) != 0 && strncmp(argv[optind], "https://", 8) != 0)
		return cli_fail("pull", "URL: expected http://... or https://...");
	snprintf(url, sizeof(url), "%s", argv[optind]);
	while (strlen(url) > 8 && url[strlen(url) - 1] == '/')
		url[strlen(url) - 1] = '\0';
	o.url = url;
	o.dest = argv[optind + 1];
	o.note = pull_on_note;
	o.progress = pull_on_progress;
	o.arg = &c;
#ifdef SETPOST_TEST_HOOKS   /* tests count the bytes received (what a kill cost) in this file */
	const char *log;
	if ((log = getenv("SETPOST_PULL_BYTES_LOG")) != NULL &&
	    (o.bytes_log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0)
		return cli_fail("pull", "%s: %s", log, strerror(errno));
#endif
	cli_signals();
	if (pull_open(&p, &o, &err) < 0)
		return cli_fail("pull", "%s", err.msg);
	if (args.watch) {
		rc = pull_watch(p, &c, (int)args.rescan);
	} else {
		rc = pull_pass(p, NULL, &st, &err);
		pull_clear(&c);
		if (rc == 0 || rc == SP_EMISMATCH)
			pull_summary(&st);
		if (rc == SP_ECANCELED)
			rc = cli_fail("pull", "stopped; run the same command again to finish");
		else if (rc < 0)
			rc = cli_fail("pull", "%s", err.msg);
	}
	pull_close(p);
	if (o.bytes_log_fd >= 0)
		close(o.bytes_log_fd);
	return rc;
}
