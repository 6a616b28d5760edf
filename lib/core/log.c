/* log: timestamped one-line diagnostics, as text or JSON lines (see log.h). */
#include "lib/core/log.h"
#include "lib/core/utf8.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_int log_level = LOG_INFO;
static atomic_int log_fd = 2;
static atomic_bool log_json = false;

static const char *const log_names[] = { "debug", "info", "warn", "error" };

int
log_set_level_name(const char *name)
{
	for (int i = 0; i < 4; i++) {
		if (strcmp(name, log_names[i]) == 0) {
			log_level = i;
			return 0;
		}
	}
	return -1;
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

int
log_set_format_name(const char *name)
{
	if (strcmp(name, "text") != 0 && strcmp(name, "json") != 0)
		return -1;
	log_json = strcmp(name, "json") == 0;
	return 0;
}

void
log_set_fd(int fd)
{
	log_fd = fd;
}

/* The line's start, its time: "2026-11-25T10:00:00.000Z". */
static void
log_time(char out[96])
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(out, 96, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
}

/* Appends s (len bytes) to line[o..cap) as the inside of a JSON string: '"', '\\' and control
 * characters escaped, a byte that is not UTF-8 as U+FFFD; never cuts an escape in half. */
static size_t
log_json_str(char *line, size_t cap, size_t o, const char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		const unsigned char c = (unsigned char)s[i];
		size_t seq = utf8_sequence((const unsigned char *)s + i, len - i);
		char esc[8];
		const char *put = esc;
		size_t n;

		if (seq == 0) {
			put = "\\ufffd";
			n = 6;
			seq = 1;
		} else if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			n = 2;
		} else if (c < 0x20 || c == 0x7f) {
			n = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", c);
		} else {
			put = s + i;
			n = seq;
		}
		if (o + n >= cap)
			break;
		memcpy(line + o, put, n);
		o += n;
		i += seq;
	}
	return o;
}

static size_t
log_json_field(char *line, size_t cap, size_t o, const char *key, const char *val, size_t len)
{
	int n = snprintf(line + o, cap - o, "%s\"%s\":\"", o > 1 ? "," : "", key);

	if (n < 0 || (size_t)n >= cap - o)
		return o;
	o = log_json_str(line, cap - 1, o + (size_t)n, val, len);   /* room for the '"' */
	line[o++] = '"';
	return o;
}

/* Closes and writes a line: for JSON, the object's tail (extra: more fields, already
 * formatted), then the newline, in one write(2). */
static void
log_emit(char *line, size_t cap, size_t o, const char *extra)
{
	if (log_json) {
		/* The callers keep room for the tail: the line stays one JSON object. */
		int n = snprintf(line + o, cap - o, "%s}", extra ? extra : "");
		o += n > 0 ? (size_t)n : 0;
	}
	if (o > cap - 1)
		o = cap - 1;
	line[o++] = '\n';
	if (write(log_fd, line, o) < 0)
		return; /* nowhere left to report a failed log write */
}

void
log_write(enum log_level level, const char *where, const char *fmt, ...)
{
	char line[2048], msg[2048], ts[96];
	va_list ap;
	size_t o;
	int m;

	if ((int)level < log_level)
		return;
	log_time(ts);
	va_start(ap, fmt);
	m = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	if ((size_t)m >= sizeof(msg))
		m = sizeof(msg) - 1;
	if (log_json) {
		line[0] = '{';
		o = log_json_field(line, sizeof(line) - 4, 1, "time", ts, strlen(ts));
		o = log_json_field(line, sizeof(line) - 4, o, "level", log_names[level],
		    strlen(log_names[level]));
		o = log_json_field(line, sizeof(line) - 4, o, "where", where, strlen(where));
		o = log_json_field(line, sizeof(line) - 4, o, "msg", msg, (size_t)m);
		log_emit(line, sizeof(line), o, NULL);
		return;
	}
	o = (size_t)snprintf(line, sizeof(line), "%s %s %s: ", ts, log_names[level], where);
	/* One event, one line: a "\n" in a name or a URL must not write a forged line. */
	o += utf8_log_escape(line + o, sizeof(line) - o - 1, msg, (size_t)m);
	log_emit(line, sizeof(line), o, NULL);
}

void
log_access(const char *addr, const char *method, const char *url, unsigned status, double ms,
    bool ended_early)
{
	char line[2048], ts[96], extra[96];
	size_t o;

	if (LOG_INFO < log_level)
		return;
	if (!log_json) {
		log_write(LOG_INFO, "access", "%s %s %s %u %.1fms%s", addr, method, url, status, ms,
		    ended_early ? " (connection ended early)" : "");
		return;
	}
	log_time(ts);
	line[0] = '{';
	o = log_json_field(line, sizeof(line) - 100, 1, "time", ts, strlen(ts));
	o = log_json_field(line, sizeof(line) - 100, o, "level", "info", 4);
	o = log_json_field(line, sizeof(line) - 100, o, "where", "access", 6);
	o = log_json_field(line, sizeof(line) - 100, o, "addr", addr, strlen(addr));
	o = log_json_field(line, sizeof(line) - 100, o, "method", method, strlen(method));
	o = log_json_field(line, sizeof(line) - 100, o, "url", url, strlen(url));
	snprintf(extra, sizeof(extra), ",\"status\":%u,\"ms\":%.1f%s", status, ms,
	    ended_early ? ",\"ended_early\":true" : "");
	log_emit(line, sizeof(line), o, extra);
}
