/* pgembed: the private PostgreSQL cluster in the data folder (see pgembed.h). */
#include "lib/store/pgembed.h"
#include "lib/store/pgembed_int.h"
#include "lib/core/proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* The newest /usr/lib/postgresql/N/bin holding initdb. */
static int
pgembed_find_bindir(char *out, size_t len, struct err *err)
{
	DIR *d = opendir("/usr/lib/postgresql");
	struct dirent *e;
	long best = -1;

	while (d && (e = readdir(d)) != NULL) {
		char path[PATH_MAX];
		long v = strtol(e->d_name, NULL, 10);
		snprintf(path, sizeof(path), "/usr/lib/postgresql/%s/bin/initdb", e->d_name);
		if (v > best && access(path, X_OK) == 0) {
			best = v;
			snprintf(out, len, "/usr/lib/postgresql/%s/bin", e->d_name);
		}
	}
	if (d)
		closedir(d);
	if (best < 0)
		return err_set(err, SP_ENOTFOUND, "PostgreSQL server programs not found in "
		    "/usr/lib/postgresql/*/bin: install the postgresql package or set SETPOST_PG_BINDIR");
	return 0;
}

static int
pgembed_user(const struct pgembed *pg, struct proc_user *u, struct err *err)
{
	const char *name = pg->user;
	struct passwd *pw;

	u->set = 0;
	if (geteuid() != 0)
		return 0;
	if (name == NULL || *name == '\0')
		name = "postgres";
	if ((pw = getpwnam(name)) == NULL)
		return err_set(err, SP_ENOTFOUND, "running as root, the embedded database needs an "
		    "unprivileged user '%s' to own it (PostgreSQL refuses root): create it or set "
		    "SETPOST_PG_USER", name);
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	u->set = 1;
	return 0;
}

static int
pgembed_mkdir(const char *path, mode_t mode, const struct proc_user *u, struct err *err)
{
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return err_errno(err, err_from_errno(errno), errno, "create %s", path);
	if (u->set && chown(path, u->uid, u->gid) < 0)
		return err_errno(err, SP_EIO, errno, "chown %s", path);
	return 0;
}

/* Runs a server program from bindir as the cluster's user; the message names the program
 * and quotes its last line of output. */
static int
pgembed_run(const struct pgembed *pg, const struct proc_user *u, const char *prog,
    const char **args, struct err *err)
{
	const char *argv[16];
	char path[PATH_MAX + 16], tail[2048], line[512];
	int n = 0, rc;

	snprintf(path, sizeof(path), "%s/%s", pg->bindir, prog);
	argv[n++] = path;
	while (*args && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	rc = proc_run(argv, u, tail, sizeof(tail), err);
	if (rc == 0 || rc < 0)
		return rc;
	proc_last_line(tail, line, sizeof(line));
	return err_set(err, SP_EUNAVAIL, "embedded database: %s failed (exit %d): %s", prog, rc,
	    line);
}

static int
pgembed_initdb(struct pgembed *pg, const struct proc_user *u, struct err *err)
{
	const char *args[] = { "-D", pg->pgdata, "-U", "setpost", "--auth=trust", "-E", "UTF8",
		"--locale=C", "--no-sync", NULL };
	char conf[PATH_MAX + 32];
	FILE *f;
	int rc;

	if ((rc = pgembed_mkdir(pg->pgdata, 0700, u, err)) < 0)
		return rc;
	if ((rc = pgembed_run(pg, u, "initdb", args, err)) < 0)
		return rc;
	snprintf(conf, sizeof(conf), "%s/postgresql.conf", pg->pgdata);
	if ((f = fopen(conf, "a")) == NULL)
		return err_errno(err, SP_EIO, errno, "open %s", conf);
	fputs("\n# setpost: paths are rewritten on every start\ninclude_if_exists = 'setpost.conf'\n", f);
	return fclose(f) == 0 ? 0 : err_errno(err, SP_EIO, errno, "write %s", conf);
}

/* Written on every start, because the data folder may have moved. */
static int
pgembed_write_conf(const struct pgembed *pg, const struct proc_user *u,
    const struct pgembed_listen *l, struct err *err)
{
	char path[PATH_MAX + 32];
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "%s/setpost.conf", pg->pgdata);
	if ((f = fopen(path, "w")) == NULL)
		return err_errno(err, SP_EIO, errno, "write %s", path);
	fprintf(f, "unix_socket_directories = '%s'\n"
	    "unix_socket_permissions = 0700\nmax_connections = 200\nshared_buffers = 128MB\n"
	    "fsync = on\nsynchronous_commit = on\n", pg->sockdir);
	if ((rc = pgembed_listen_conf(pg, u, l, f, err)) < 0) {
		fclose(f);
		return rc;
	}
	if (fclose(f) != 0)
		return err_errno(err, SP_EIO, errno, "write %s", path);
	if (u->set && chown(path, u->uid, u->gid) < 0)
		return err_errno(err, SP_EIO, errno, "chown %s", path);
	return 0;
}

/* A postmaster.pid whose process is gone (or is not a postgres) is left from a crash. */
static void
pgembed_clear_stale_pid(const struct pgembed *pg)
{
	char path[PATH_MAX + 32], comm[64] = "";
	long pid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/postmaster.pid", pg->pgdata);
	if ((f = fopen(path, "r")) == NULL)
		return;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	if (pid > 0) {
		char cpath[64];
		snprintf(cpath, sizeof(cpath), "/proc/%ld/comm", pid);
		if ((f = fopen(cpath, "r")) != NULL) {
			if (fgets(comm, sizeof(comm), f) == NULL)
				comm[0] = '\0';
			fclose(f);
		}
	}
	if (strncmp(comm, "postgres", 8) != 0)
		unlink(path);
}

static bool
pgembed_running(const struct pgembed *pg, const struct proc_user *u)
{
	const char *args[] = { "status", "-D", pg->pgdata, NULL };

	return pgembed_run(pg, u, "pg_ctl", args, NULL) == 0;
}

static int
pgembed_create_db(struct pgembed *pg, const struct pgembed_listen *l, const char *data_real,
    struct err *err)
{
	char ci[PATH_MAX + 64];
	PGconn *c;
	PGresult *r;
	int rc = 0;

	snprintf(ci, sizeof(ci), "host=%s port=%d dbname=postgres user=setpost", pg->sockdir,
	    pg->port);
	c = PQconnectdb(ci);
	if (PQstatus(c) != CONNECTION_OK) {
		rc = err_set(err, SP_EUNAVAIL, "embedded database: %.*s",
		    (int)strcspn(PQerrorMessage(c), "\n"), PQerrorMessage(c));
		goto out;
	}
	r = PQexec(c, "SELECT 1 FROM pg_database WHERE datname = 'setpost'");
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 0) {
		PQclear(r);
		r = PQexec(c, "CREATE DATABASE setpost");
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			rc = err_set(err, SP_EDB, "embedded database: create: %.*s",
			    (int)strcspn(PQerrorMessage(c), "\n"), PQerrorMessage(c));
	}
	PQclear(r);
	if (rc == 0 && l->host[0])
		rc = pgembed_listen_password(pg, data_real, c, err);
out:
	PQfinish(c);
	snprintf(pg->conninfo, sizeof(pg->conninfo), "host=%s port=%d dbname=setpost user=setpost",
	    pg->sockdir, pg->port);
	return rc;
}

static int
pgembed_paths(struct pgembed *pg, const char *data_dir, const char *bindir, struct err *err)
{
	char real[PATH_MAX];

	if (mkdir(data_dir, 0755) < 0 && errno != EEXIST)
		return err_errno(err, err_from_errno(errno), errno, "create data folder %s", data_dir);
	if (realpath(data_dir, real) == NULL)
		return err_errno(err, SP_EIO, errno, "data folder %s", data_dir);
	if (snprintf(pg->pgdata, sizeof(pg->pgdata), "%s/pgdata", real) >= (int)sizeof(pg->pgdata) ||
	    snprintf(pg->sockdir, sizeof(pg->sockdir), "%s/pgrun", real) >= (int)sizeof(pg->sockdir) ||
	    snprintf(pg->logfile, sizeof(pg->logfile), "%s/log/postgres.log", real) >=
	    (int)sizeof(pg->logfile))
		return err_set(err, SP_EINVAL, "data folder %s: path too long", real);
	/* A Unix socket path is limited to 107 bytes. */
	if (strlen(pg->sockdir) + sizeof("/.s.PGSQL.5432") > 107)
		return err_set(err, SP_EINVAL, "data folder %s: path too long for the database's "
		    "socket (at most about 85 characters)", real);
	if (bindir && *bindir)
		snprintf(pg->bindir, sizeof(pg->bindir), "%s", bindir);
	else
		return pgembed_find_bindir(pg->bindir, sizeof(pg->bindir), err);
	return 0;
}

/* Whether the cluster's user can pass through every folder above and including dir (owner,
 * group or other execute bit; ACLs aside). Root's clones live under /root (0700). */
static bool
pgembed_user_can_enter(const char *dir, const struct proc_user *u, char *blocker, size_t len)
{
	char path[PATH_MAX];
	size_t n = strlen(dir);
	struct stat st;

	if (n >= sizeof(path))
		return true;
	for (size_t i = 1; i <= n; i++) {
		if (dir[i] != '/' && dir[i] != '\0')
			continue;
		memcpy(path, dir, i);
		path[i] = '\0';
		if (stat(path, &st) < 0)
			continue;
		mode_t need = st.st_uid == u->uid ? S_IXUSR : st.st_gid == u->gid ? S_IXGRP : S_IXOTH;
		if (!(st.st_mode & need)) {
			snprintf(blocker, len, "%s (mode %04o)", path, (unsigned)(st.st_mode & 07777));
			return false;
		}
	}
	return true;
}

/* When the cluster's user cannot reach the data folder, the cluster lives where it can:
 * PGEMBED_OUTSIDE/pg-<hash of the data folder's path>/, and DATA/pgdata is a symbolic link to
 * it so a person looking in the data folder finds it. pg->note says so in one line. */
static int
pgembed_relocate(struct pgembed *pg, const char *real, const char *blocker,
    const struct proc_user *u, struct err *err)
{
	char base[128], link[PATH_MAX + 16];
	uint64_t h = 1469598103934665603ULL;
	int rc;

	for (const unsigned char *p = (const unsigned char *)real; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	if (mkdir(PGEMBED_OUTSIDE, 0755) < 0 && errno != EEXIST)
		return err_errno(err, err_from_errno(errno), errno, "create %s", PGEMBED_OUTSIDE);
	snprintf(base, sizeof(base), "%s/pg-%016llx", PGEMBED_OUTSIDE, (unsigned long long)h);
	if ((rc = pgembed_mkdir(base, 0700, u, err)) < 0)
		return rc;
	snprintf(pg->pgdata, sizeof(pg->pgdata), "%s/pgdata", base);
	snprintf(pg->sockdir, sizeof(pg->sockdir), "%s/pgrun", base);
	snprintf(pg->logfile, sizeof(pg->logfile), "%s/postgres.log", base);
	snprintf(link, sizeof(link), "%s/pgdata", real);
	if (symlink(pg->pgdata, link) < 0 && errno != EEXIST)
		return err_errno(err, err_from_errno(errno), errno, "link %s", link);
	snprintf(pg->note, sizeof(pg->note), "the database cluster is in %s, not in the data "
	    "folder: its user cannot enter %.*s", base, PATH_MAX, blocker);
	return 0;
}

/* A running cluster that another process started must already listen where asked. */
static int
pgembed_check_running(struct pgembed *pg, const struct pgembed_listen *want, struct err *err)
{
	struct pgembed_listen got;
	int rc;

	if ((rc = pgembed_listen_running(pg, &got, err)) < 0)
		return rc;
	pg->port = got.port;
	if (want->host[0] && (strcmp(want->host, got.host) != 0 || want->port != got.port))
		return err_set(err, SP_ECONFLICT, "the embedded database is already running (started "
		    "by another setpost on this data folder) and listens on %s%s%d, not on %s:%d: "
		    "stop the other processes, then start this one first",
		    got.host[0] ? got.host : "its Unix socket only", got.host[0] ? ":" : ", port ",
		    got.port, want->host, want->port);
	return 0;
}

static int
pgembed_start_locked(struct pgembed *pg, const struct proc_user *u,
    const struct pgembed_listen *l, struct err *err)
{
	const char *args[] = { "start", "-w", "-t", "60", "-D", pg->pgdata, "-l", pg->logfile,
		NULL };
	char ver[PATH_MAX + 16];
	int rc;

	snprintf(ver, sizeof(ver), "%s/PG_VERSION", pg->pgdata);
	if (access(ver, F_OK) != 0 && (rc = pgembed_initdb(pg, u, err)) < 0)
		return rc;
	if ((rc = pgembed_mkdir(pg->sockdir, 0700, u, err)) < 0)
		return rc;
	pgembed_clear_stale_pid(pg);
	if (pgembed_running(pg, u))
		return pgembed_check_running(pg, l, err);
	if ((rc = pgembed_write_conf(pg, u, l, err)) < 0)
		return rc;
	if ((rc = pgembed_run(pg, u, "pg_ctl", args, err)) < 0)
		return err_prefix(err, "(log: %s) ", pg->logfile);
	pg->started_here = true;
	pg->port = l->port;
	return 0;
}

int
pgembed_start(struct pgembed *pg, const char *data_dir, const char *bindir, const char *user,
    struct err *err)
{
	return pgembed_start_listening(pg, data_dir, bindir, user, NULL, err);
}

int
pgembed_start_listening(struct pgembed *pg, const char *data_dir, const char *bindir,
    const char *user, const char *listen, struct err *err)
{
	struct pgembed_listen l;
	char data_real[PATH_MAX];
	struct proc_user u;
	char lockpath[PATH_MAX + 16], logdir[PATH_MAX];
	int rc, lock = -1;

	memset(pg, 0, sizeof(*pg));
	snprintf(pg->user, sizeof(pg->user), "%s", user ? user : "");
	if ((rc = pgembed_listen_parse(&l, listen, err)) < 0 ||
	    (rc = pgembed_paths(pg, data_dir, bindir, err)) < 0 ||
	    (rc = pgembed_user(pg, &u, err)) < 0)
		return rc;
	snprintf(data_real, sizeof(data_real), "%.*s", (int)(strlen(pg->pgdata) - strlen("/pgdata")),
	    pg->pgdata);
	snprintf(l.data, sizeof(l.data), "%s", data_real);
	if (l.host[0])
		snprintf(pg->ca_file, sizeof(pg->ca_file), "%s/pg-ca.crt", data_real);
	if (u.set) {
		char real[PATH_MAX], blocker[PATH_MAX + 32];
		snprintf(real, sizeof(real), "%.*s", (int)(strlen(pg->pgdata) - strlen("/pgdata")),
		    pg->pgdata);
		if (!pgembed_user_can_enter(real, &u, blocker, sizeof(blocker)) &&
		    (rc = pgembed_relocate(pg, real, blocker, &u, err)) < 0)
			return rc;
	}
	snprintf(logdir, sizeof(logdir), "%.*s", (int)(strrchr(pg->logfile, '/') - pg->logfile),
	    pg->logfile);
	if ((rc = pgembed_mkdir(logdir, 0755, &u, err)) < 0)
		return rc;
	snprintf(lockpath, sizeof(lockpath), "%s.lock", pg->pgdata);
	if ((lock = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return err_errno(err, SP_EIO, errno, "open %s", lockpath);
	if (flock(lock, LOCK_EX) < 0) {
		rc = err_errno(err, SP_EIO, errno, "lock %s", lockpath);
		goto out;
	}
	if ((rc = pgembed_start_locked(pg, &u, &l, err)) < 0)
		goto out;
	rc = pgembed_create_db(pg, &l, data_real, err);
out:
	close(lock);
	return rc;
}

int
pgembed_stop(struct pgembed *pg, struct err *err)
{
	const char *args[] = { "stop", "-w", "-m", "fast", "-D", pg->pgdata, NULL };
	struct proc_user u;
	int rc;

	if (!pg->started_here)
		return 0;
	if ((rc = pgembed_user(pg, &u, err)) < 0)
		return rc;
	rc = pgembed_run(pg, &u, "pg_ctl", args, err);
	pg->started_here = false;
	return rc;
}
