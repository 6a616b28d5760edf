/*
 * proc: run a program as a child process, never through a shell, optionally as another user,
 * and collect the tail of what it printed (for error messages that say why it failed).
 */
#ifndef SETPOST_PROC_H
#define SETPOST_PROC_H

#include "lib/core/err.h"

#include <stddef.h>
#include <sys/types.h>

struct proc_user {
	uid_t uid;
	gid_t gid;
	int set;      /* 0: run as ourselves */
};

/* Runs argv[0] (looked up in PATH) with argv, stdin from /dev/null, stdout+stderr to a pipe
 * whose last `tail_len - 1` bytes are kept in tail (NUL-terminated; may be NULL).
 * Returns the exit status (0..255), or < 0 when it could not run or was killed by a signal. */
int proc_run(const char *const *argv, const struct proc_user *user, char *tail,
    size_t tail_len, struct err *err);

/* Last non-empty line of text, copied into out. */
void proc_last_line(const char *text, char *out, size_t outlen);

#endif
