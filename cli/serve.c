/* serve: the HTTP server (API, dashboard files, metrics). */
#include "cli.h"
#include "lib/delivery/age.h"
#include "lib/core/log.h"
#include "server/metrics.h"
#include "server/server.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char serve_synopsis[] =
	"usage: setpost serve [options]\n\n"
	"Runs the REST API, the dashboard and /metrics. Without --database-url it starts (or reuses)\n"
	"its own PostgreSQL cluster in the data folder, and stops it on exit if it started it.\n"
	"Prints \"setpost listening on http://ADDR:PORT\" once it answers.";

/* web/ beside the binary's folder (build/../web), else the installed share folder. */
static int
serve_web_root(const struct config *cfg, char *out, size_t len, struct err *err)
{
	char exe[PATH_MAX], cand[PATH_MAX + 32];
	ssize_t n;

	if (cfg->web_dir) {
		if (realpath(cfg->web_dir, out) == NULL || len < PATH_MAX)
			return err_errno(err, SP_EINVAL, errno, "web folder %s", cfg->web_dir);
		return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	*strrchr(exe, '/') = '\0';
	snprintf(cand, sizeof(cand), "%s/../web", exe);
	if (realpath(cand, out) != NULL)
		return 0;
	snprintf(cand, sizeof(cand), "%s/../share/setpost/web", exe);
	if (realpath(cand, out) != NULL)
		return 0;
	return err_set(err, SP_ENOTFOUND, "dashboard files not found beside the binary: set --web");
}

/* The tus receiver's storage, and the identity it decrypts uploads with (if any). */
static int
serve_uploads(const struct config *cfg, struct server *srv, struct err *err)
{
	char path[PATH_MAX + 16];

	if (mkdir(cfg->data_dir, 0755) < 0 && errno != EEXIST)
		return err_errno(err, SP_EIO, errno, "data folder %s", cfg->data_dir);
	if (cfg->uploads_dir)
		snprintf(path, sizeof(path), "%s", cfg->uploads_dir);
	else
		snprintf(path, sizeof(path), "%s/uploads", cfg->data_dir);
	if (mkdir(path, 0750) < 0 && errno != EEXIST)
		return err_errno(err, SP_EIO, errno, "uploads folder %s", path);
	if (realpath(path, srv->uploads_root) == NULL)
		return err_errno(err, SP_EIO, errno, "uploads folder %s", path);
	if (cfg->age_identity)
		return age_identities_load(cfg->age_identity, &srv->age_ids, &srv->nage_ids, err);
	return 0;
}

static int
serve_run(struct config *cfg)
{
	struct server srv = { .cfg = cfg };
	struct server_handle *h = NULL;
	struct pgembed pg;
	struct err err;
	int rc;

	if (serve_web_root(cfg, srv.web_root, sizeof(srv.web_root), &err) < 0)
		return cli_fail("serve", "%s", err.msg);
	if ((srv.metrics = metrics_new()) == NULL)
		return cli_fail("serve", "out of memory");
	if (serve_uploads(cfg, &srv, &err) < 0) {
		metrics_free(srv.metrics);
		return cli_fail("serve", "%s", err.msg);
	}
	if (cli_db_open(cfg, &pg, &srv.db, CLI_DB_MIGRATE | CLI_DB_CREATE, &err) < 0) {
		metrics_free(srv.metrics);
		return cli_fail("serve", "%s", err.msg);
	}
	if ((rc = server_start(&h, &srv, &err)) == 0) {
		char host[256];
		int port;
		config_split_listen(cfg->listen, host, sizeof(host), &port, NULL);
		printf("setpost listening on %s://%s%s%s:%d\n", srv.tls ? "https" : "http", strchr(host, ':') ? "[" : "", host,
		    strchr(host, ':') ? "]" : "", srv.port);
		fflush(stdout);
		log_info("listening addr=%s port=%d web=%s", host, srv.port, srv.web_root);
		while (!cli_stop)
			usleep(100000);
		log_info("shutting down: finishing requests in flight");
		server_stop(h, 10);
	}
	cli_db_close(&pg, srv.db);
	metrics_free(srv.metrics);
	age_identities_free(srv.age_ids, srv.nage_ids);
	return rc < 0 ? cli_fail("serve", "%s", err.msg) : 0;
}

int
cmd_serve(int argc, char **argv)
{
	struct config cfg;
	int rc = cli_config(&cfg, CONFIG_SERVE | CONFIG_DB, argc, argv, serve_synopsis);

	if (rc >= 0)
		return rc;
	cli_signals();
	rc = serve_run(&cfg);
	config_release(&cfg);
	return rc;
}
