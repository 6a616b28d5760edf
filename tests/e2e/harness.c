/* harness: shared scaffolding for end-to-end tests (see harness.h). */
#include "harness.h"

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int harness_counter;
long harness_timeout_ms;

int
harness_sql(const char *conninfo, const char *sql, char *out, size_t outlen)
{
	PGconn *c = PQconnectdb(conninfo);
	PGresult *r;
	int n = -1;

	if (out && outlen)
		out[0] = '\0';
	if (PQstatus(c) == CONNECTION_OK) {
		r = PQexec(c, sql);
		if (PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK) {
			n = PQresultStatus(r) == PGRES_TUPLES_OK ? PQntuples(r) : 0;
			if (n > 0 && out)
				snprintf(out, outlen, "%s", PQgetvalue(r, 0, 0));
		} else if (out) {
			snprintf(out, outlen, "%s", PQerrorMessage(c));
		}
		PQclear(r);
	}
	PQfinish(c);
	return n;
}

const char *
harness_sqlf(const char *conninfo, const char *fmt, ...)
{
	static char out[4096];
	char q[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	cr_assert_geq(harness_sql(conninfo, q, out, sizeof(out)), 0, "%s: %s", q, out);
	return out;
}

const char *
harness_db_create(void)
{
	static char conninfo[1024];
	const char *base = getenv("SETPOST_TEST_PG");
	char sql[128], name[64], err[256];

	if (base == NULL)
		return NULL;
	snprintf(name, sizeof(name), "t_%d_%d", (int)getpid(), harness_counter++);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
	if (harness_sql(base, sql, err, sizeof(err)) < 0) {
		fprintf(stderr, "harness: %s\n", err);
		return NULL;
	}
	snprintf(conninfo, sizeof(conninfo), "%s", base);
	char *db = strstr(conninfo, "dbname=");
	if (db)
		snprintf(db, sizeof(conninfo) - (size_t)(db - conninfo), "dbname=%s", name);
	return conninfo;
}

const char *
harness_tmpdir(const char *prefix)
{
	static char dir[512];
	const char *base = getenv("SETPOST_TEST_TMP");

	snprintf(dir, sizeof(dir), "%s/%s-%d-%d", base ? base : "/tmp", prefix, (int)getpid(),
	    harness_counter++);
	mkdir(dir, 0755);
	return dir;
}

/* Reads the child's stdout until the "listening" line; returns the port or -1. */
static int
harness_read_port(int fd, double seconds)
{
	char buf[1024];
	size_t have = 0;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	while (have < sizeof(buf) - 1 && poll(&pfd, 1, (int)(seconds * 1000)) > 0) {
		ssize_t n = read(fd, buf + have, sizeof(buf) - 1 - have);
		char *at, *nl;
		if (n <= 0)
			return -1;
		have += (size_t)n;
		buf[have] = '\0';
		if ((at = strstr(buf, "listening on ")) && (nl = strchr(at, '\n'))) {
			char *colon;
			*nl = '\0';
			colon = strrchr(at, ':');
			return colon ? (int)strtol(colon + 1, NULL, 10) : -1;
		}
	}
	return -1;
}

int
harness_spawn(struct harness_proc *p, const char *const *args)
{
	const char *bin = getenv("SETPOST_BIN");
	const char *argv[32];
	int fds[2], n = 0;

	memset(p, 0, sizeof(*p));
	snprintf(p->log, sizeof(p->log), "%s/proc-%d-%d.log", getenv("SETPOST_TEST_TMP") ?
	    getenv("SETPOST_TEST_TMP") : "/tmp", (int)getpid(), harness_counter++);
	argv[n++] = bin ? bin : "build/setpost-asan";
	while (*args && n < 31)
		argv[n++] = *args++;
	argv[n] = NULL;
	if (pipe(fds) < 0)
		return -1;
	p->pid = fork();
	if (p->pid == 0) {
		int logfd = open(p->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fds[1], 1);
		dup2(logfd, 2);
		close(fds[0]);
		setpgid(0, 0);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	if (strcmp(argv[1], "serve") == 0)
		p->port = harness_read_port(fds[0], 60);
	close(fds[0]);
	return strcmp(argv[1], "serve") == 0 && p->port <= 0 ? -1 : 0;
}

const char *harness_bearer;

int
harness_serve(struct harness_proc *p, const char *conninfo, const char *data_dir)
{
	return harness_serve_args(p, conninfo, data_dir, NULL);
}

int
harness_serve_args(struct harness_proc *p, const char *conninfo, const char *data_dir,
    const char *const *extra)
{
	const char *args[24];
	int n = 0, rc;

	args[n++] = "serve";
	args[n++] = "--listen";
	args[n++] = "127.0.0.1:0";
	args[n++] = "--data";
	args[n++] = data_dir ? data_dir : harness_tmpdir("data");
	if (conninfo) {
		args[n++] = "--database-url";
		args[n++] = conninfo;
	}
	for (; extra && *extra && n < 23; extra++)
		args[n++] = *extra;
	args[n] = NULL;
	rc = harness_spawn(p, args);
	for (int i = 0; i < n; i++)
		if (strcmp(args[i], "--tls-cert") == 0)
			p->tls = true;
	return rc;
}

const char *
harness_token(const char *conninfo, const char *role)
{
	static char out[4096];
	char *last;
	const char *args[] = { "token", "create", "--role", role, "--name", "test", "--database-url",
		conninfo, NULL };

	if (harness_run(args, out, sizeof(out)) != 0)
		return NULL;
	out[strcspn(out, "\0")] = '\0';
	while (strlen(out) && out[strlen(out) - 1] == '\n')
		out[strlen(out) - 1] = '\0';
	last = strrchr(out, '\n');
	return last ? last + 1 : out;
}

int
harness_stop(struct harness_proc *p)
{
	int status;

	if (p->pid <= 0)
		return -1;
	kill(p->pid, SIGTERM);
	while (waitpid(p->pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	p->pid = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int
harness_run(const char *const *args, char *out, size_t outlen)
{
	const char *bin = getenv("SETPOST_BIN");
	const char *argv[32];
	int fds[2], n = 0, status;
	size_t have = 0;
	pid_t pid;
	ssize_t r;

	argv[n++] = bin ? bin : "build/setpost-asan";
	while (*args && n < 31)
		argv[n++] = *args++;
	argv[n] = NULL;
	if (pipe(fds) < 0)
		return -1;
	if ((pid = fork()) == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	while ((r = read(fds[0], out + have, outlen - 1 - have)) > 0)
		have += (size_t)r;
	out[have] = '\0';
	close(fds[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static size_t
harness_on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct harness_resp *r = arg;
	size_t n = size * nmemb;
	char *p = realloc(r->body, r->len + n + 1);

	if (p == NULL)
		return 0;
	memcpy(p + r->len, data, n);
	r->body = p;
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

static size_t
harness_on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct harness_resp *r = arg;
	size_t n = size * nmemb, used = strlen(r->headers);

	if (used + n < sizeof(r->headers)) {
		memcpy(r->headers + used, data, n);
		r->headers[used + n] = '\0';
	}
	return n;
}

int
harness_http(const struct harness_proc *p, const char *method, const char *path,
    const char *body, const char *const *headers, struct harness_resp *r)
{
	return harness_http_body(p, method, path, body, body ? strlen(body) : 0, headers, r);
}

long
harness_declare_volume(const struct harness_proc *p, const char *path)
{
	struct harness_resp r;
	char body[4200];
	long status;

	snprintf(body, sizeof(body), "{\"name\":\"test\",\"path\":\"%s\"}", path);
	harness_http(p, "POST", "/api/v1/volume-roots", body,
	    (const char *[]){ "Content-Type: application/json", NULL }, &r);
	status = r.status;
	harness_resp_release(&r);
	return status;
}

int
harness_http_body(const struct harness_proc *p, const char *method, const char *path,
    const void *body, size_t len, const char *const *headers, struct harness_resp *r)
{
	struct curl_slist *hl = NULL;
	char url[2048];
	CURL *c = curl_easy_init();
	CURLcode rc;

	memset(r, 0, sizeof(*r));
	r->body = calloc(1, 1);
	bool own_auth = false;
	char bearer[256];

	snprintf(url, sizeof(url), "%s://127.0.0.1:%d%s", p->tls ? "https" : "http", p->port, path);
	if (p->tls) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
	}
	for (; headers && *headers; headers++) {
		own_auth |= strncasecmp(*headers, "Authorization:", 14) == 0 ||
		    strncasecmp(*headers, "Cookie:", 7) == 0;
		hl = curl_slist_append(hl, *headers);
	}
	if (harness_bearer && !own_auth) {
		snprintf(bearer, sizeof(bearer), "Authorization: Bearer %s", harness_bearer);
		hl = curl_slist_append(hl, bearer);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, harness_on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, harness_on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, harness_timeout_ms > 0 ? harness_timeout_ms : 30000L);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	return rc == CURLE_OK ? 0 : -1;
}

void
harness_resp_release(struct harness_resp *r)
{
	free(r->body);
	r->body = NULL;
}

bool
harness_header(const struct harness_resp *r, const char *name, char *out, size_t len)
{
	const char *line = r->headers;
	size_t nl = strlen(name);

	while (line && *line) {
		if (strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
			const char *v = line + nl + 1;
			while (*v == ' ')
				v++;
			snprintf(out, len, "%.*s", (int)strcspn(v, "\r\n"), v);
			return true;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return false;
}

bool
harness_wait_until(bool (*cond)(void *arg), void *arg, double seconds)
{
	for (int i = 0; i < (int)(seconds * 20); i++) {
		if (cond(arg))
			return true;
		usleep(50000);
	}
	return cond(arg);
}

bool
harness_log_contains(const struct harness_proc *p, const char *needle)
{
	FILE *f = fopen(p->log, "r");
	char line[4096];
	bool found = false;

	while (f && !found && fgets(line, sizeof(line), f))
		found = strstr(line, needle) != NULL;
	if (f)
		fclose(f);
	return found;
}
