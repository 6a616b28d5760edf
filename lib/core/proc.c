/* proc: child processes without a shell (see proc.h). */
#include "lib/core/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void
proc_child(const char *const *argv, const struct proc_user *user, int out)
{
	int nul = open("/dev/null", O_RDONLY);

	if (nul >= 0)
		dup2(nul, 0);
	dup2(out, 1);
	dup2(out, 2);
	if (user && user->set) {
		if (setgroups(0, NULL) < 0 || setgid(user->gid) < 0 || setuid(user->uid) < 0) {
			dprintf(2, "cannot switch to uid %d: %s\n", (int)user->uid, strerror(errno));
			_exit(126);
		}
	}
	execvp(argv[0], (char *const *)argv);
	dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Keeps the last len-1 bytes read from fd in tail. */
static void
proc_drain(int fd, char *tail, size_t len)
{
	char chunk[4096];
	size_t have = 0;
	ssize_t n;

	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (tail == NULL || len < 2)
			continue;
		for (ssize_t i = 0; i < n; i++) {
			if (have == len - 1) {
				memmove(tail, tail + 1, len - 2);
				have--;
			}
			tail[have++] = chunk[i];
		}
		tail[have] = '\0';
	}
}

int
proc_run(const char *const *argv, const struct proc_user *user, char *tail,
    size_t tail_len, struct err *err)
{
	int fds[2], status;
	pid_t pid;

	if (tail && tail_len)
		tail[0] = '\0';
	if (pipe2(fds, O_CLOEXEC) < 0)
		return err_errno(err, SP_EIO, errno, "pipe");
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return err_errno(err, SP_EIO, errno, "fork");
	}
	if (pid == 0)
		proc_child(argv, user, fds[1]);
	close(fds[1]);
	proc_drain(fds[0], tail, tail_len);
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return err_errno(err, SP_EIO, errno, "waitpid %s", argv[0]);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return err_set(err, SP_EIO, "%s killed by signal %d", argv[0], WTERMSIG(status));
}

void
proc_last_line(const char *text, char *out, size_t outlen)
{
	const char *end = text + strlen(text), *start;

	while (end > text && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	start = end;
	while (start > text && start[-1] != '\n')
		start--;
	snprintf(out, outlen, "%.*s", (int)(end - start), start);
}
