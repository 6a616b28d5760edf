/*
 * log: the one place setpost writes diagnostic lines. Lines go to one stream (stderr by
 * default, or a file set at start), one line each, with a UTC timestamp, the level, the
 * subsystem/function and key=value fields: `2026-11-25T10:00:00Z info serve: listening addr=…`.
 * With the json format (--log-format json) each line is one JSON object instead:
 * {"time":"2026-11-25T10:00:00.000Z","level":"info","where":"serve","msg":"listening addr=…"},
 * and an access line has its fields apart: {"time","level","where":"access","addr","method",
 * "url","status","ms"[,"ended_early":true]}. Either way one event is one line: control
 * characters are escaped (text: \xNN; json: \u00NN) and bytes that are not UTF-8 never pass
 * as they are (text: \xNN; json: U+FFFD).
 * Thread-safe: each line is formatted into a local buffer and written with one write(2).
 */
#ifndef SETPOST_LOG_H
#define SETPOST_LOG_H

#include <stdbool.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Sets the lowest level written; returns 0, or -1 for an unknown name. */
int log_set_level_name(const char *name);
void log_set_level(enum log_level level);
/* "text" or "json"; returns 0, or -1 for an unknown name. */
int log_set_format_name(const char *name);
/* Writes to fd from now on (not closed by log). */
void log_set_fd(int fd);

void log_write(enum log_level level, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* One answered request (the server's access log), at info level. */
void log_access(const char *addr, const char *method, const char *url, unsigned status,
    double ms, bool ended_early);

#define log_debug(...) log_write(LOG_DEBUG, __func__, __VA_ARGS__)
#define log_info(...) log_write(LOG_INFO, __func__, __VA_ARGS__)
#define log_warn(...) log_write(LOG_WARN, __func__, __VA_ARGS__)
#define log_error(...) log_write(LOG_ERROR, __func__, __VA_ARGS__)

#endif
