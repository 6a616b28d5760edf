/* The embedded PostgreSQL cluster: created on first start, reused, stopped by the process that
 * started it, recovered after a crash; and the server answering 503 while the database is gone,
 * then recovering without a restart. */
#include "harness.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

TestSuite(embedded, .timeout = 240);

/* Runs pg_ctl ACTION on the cluster as its owner; returns its exit status. */
static int
pg_ctl(const char *data, const char *action)
{
	char pgdata[600], logf[600], bin[256];
	FILE *p = popen("ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1", "r");
	pid_t pid;
	int status;

	cr_assert(p && fgets(bin, sizeof(bin), p));
	pclose(p);
	bin[strcspn(bin, "\n")] = '\0';
	strcat(bin, "/pg_ctl");
	snprintf(pgdata, sizeof(pgdata), "%s/pgdata", data);
	snprintf(logf, sizeof(logf), "%s/log/postgres.log", data);
	if ((pid = fork()) == 0) {
		int nul = open("/dev/null", O_WRONLY);
		dup2(nul, 1);
		dup2(nul, 2);
		if (geteuid() == 0) {
			struct passwd *pw = getpwnam("postgres");
			if (setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0)
				_exit(126);
		}
		if (strcmp(action, "start") == 0)
			execl(bin, bin, "start", "-w", "-D", pgdata, "-l", logf, (char *)NULL);
		else if (strcmp(action, "stop") == 0)
			execl(bin, bin, "stop", "-w", "-m", "fast", "-D", pgdata, (char *)NULL);
		else
			execl(bin, bin, "status", "-D", pgdata, (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static long
health(struct harness_proc *p, char *body, size_t len)
{
	struct harness_resp r;
	long s;

	if (harness_http(p, "GET", "/api/v1/health", NULL, NULL, &r) < 0)
		return -1;
	s = r.status;
	if (body)
		snprintf(body, len, "%s", r.body);
	harness_resp_release(&r);
	return s;
}

struct health_arg {
	struct harness_proc *p;
	long want;
};

static bool
health_is(void *arg)
{
	struct health_arg *a = arg;
	return health(a->p, NULL, 0) == a->want;
}

Test(embedded, created_reused_and_stopped)
{
	const char *d = harness_tmpdir("embed");
	char data[600], path[700], body[2048];
	struct harness_proc p;
	struct stat st;

	snprintf(data, sizeof(data), "%s", d);
	cr_assert_eq(harness_serve(&p, NULL, data), 0, "serve with its own database (log %s)", p.log);
	cr_expect_eq(health(&p, body, sizeof(body)), 200, "%s", body);
	snprintf(path, sizeof(path), "%s/pgdata/PG_VERSION", data);
	cr_expect_eq(stat(path, &st), 0, "cluster created in the data folder");
	if (geteuid() == 0)
		cr_expect_eq(st.st_uid, getpwnam("postgres")->pw_uid, "owned by the postgres user");
	snprintf(path, sizeof(path), "%s/pgrun/.s.PGSQL.5432", data);
	cr_expect_eq(stat(path, &st), 0, "listening on a Unix socket in the data folder");
	cr_expect_eq(harness_stop(&p), 0);
	cr_expect_neq(pg_ctl(data, "status"), 0, "stopped with the server that started it");

	/* Second start reuses the cluster (the schema is already there). */
	cr_assert_eq(harness_serve(&p, NULL, data), 0);
	cr_expect_eq(health(&p, body, sizeof(body)), 200);
	cr_expect(!harness_log_contains(&p, "applied"), "no migration applied the second time");
	cr_expect_eq(harness_stop(&p), 0);
}

Test(embedded, recovers_from_crashes)
{
	const char *d = harness_tmpdir("crash");
	char data[600], path[700], pidline[32];
	struct harness_proc p;
	FILE *f;

	snprintf(data, sizeof(data), "%s", d);
	cr_assert_eq(harness_serve(&p, NULL, data), 0, "log %s", p.log);
	/* setpost dies hard: the cluster it started keeps running and is reused. */
	kill(p.pid, SIGKILL);
	waitpid(p.pid, NULL, 0);
	cr_assert_eq(harness_serve(&p, NULL, data), 0, "restart after kill -9 (log %s)", p.log);
	cr_expect_eq(health(&p, NULL, 0), 200);
	kill(p.pid, SIGKILL);
	waitpid(p.pid, NULL, 0);
	/* Now the database dies hard too (power cut): a stale postmaster.pid stays behind. */
	snprintf(path, sizeof(path), "%s/pgdata/postmaster.pid", data);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	cr_assert(fgets(pidline, sizeof(pidline), f));
	fclose(f);
	kill((pid_t)strtol(pidline, NULL, 10), SIGKILL);
	for (int i = 0; i < 100 && pg_ctl(data, "status") == 0; i++)
		usleep(100000);
	cr_assert_eq(harness_serve(&p, NULL, data), 0, "start after a database crash (log %s)", p.log);
	cr_expect_eq(health(&p, NULL, 0), 200);
	cr_expect_eq(harness_stop(&p), 0);
}

Test(embedded, database_gone_then_back)
{
	const char *d = harness_tmpdir("gone");
	char data[600], body[2048];
	struct harness_proc p;
	struct health_arg up = { &p, 200 };

	snprintf(data, sizeof(data), "%s", d);
	cr_assert_eq(harness_serve(&p, NULL, data), 0, "log %s", p.log);
	cr_expect_eq(health(&p, NULL, 0), 200);
	cr_assert_eq(pg_ctl(data, "stop"), 0);
	cr_expect_eq(health(&p, body, sizeof(body)), 503);
	cr_expect(strstr(body, "\"code\":\"unavailable\""), "%s", body);
	cr_expect(strstr(body, "\"ok\":false"), "%s", body);
	cr_assert_eq(pg_ctl(data, "start"), 0);
	cr_expect(harness_wait_until(health_is, &up, 10), "healthy again without a restart");
	cr_expect_eq(harness_stop(&p), 0);
}
