/* worker: runs background jobs from the shared queue. */
#include "cli.h"
#include "lib/core/httpc.h"
#include "lib/core/log.h"
#include "lib/core/outbound.h"
#include "lib/store/worker.h"
#include "workers/kinds.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char worker_synopsis[] =
	"usage: setpost worker [options]\n\n"
	"Takes jobs from the queue in the database and runs them, --slots at a time. Any number of\n"
	"workers on any hosts may share one database (set --database-url on each). On SIGTERM or\n"
	"Ctrl-C it stops taking jobs, asks running ones to stop and puts them back in the queue.\n"
	"A job that ends while the database is down keeps its outcome (an offload its\n"
	"registration) in DATA/journal and records it as soon as the database answers again.";

/* The kinds named in list (comma-separated; NULL: all), in worker_kinds' order, copied to out
 * (room for every kind and the end mark); returns how many, or SP_EINVAL naming an unknown one. */
static int
worker_pick_kinds(const char *list, struct job_kind *out, struct err *err)
{
	int n = 0;

	for (const char *s = list; s && *s; s += strcspn(s, ",") + (s[strcspn(s, ",")] != '\0')) {
		size_t len = strcspn(s, ",");
		int k;
		for (k = 0; worker_kinds[k].spec; k++)
			if (strlen(worker_kinds[k].spec->name) == len &&
			    strncmp(worker_kinds[k].spec->name, s, len) == 0)
				break;
		if (worker_kinds[k].spec == NULL || len == 0)
			return err_set(err, SP_EINVAL, "unknown job kind '%.*s'", (int)len, s);
	}
	for (int k = 0; worker_kinds[k].spec; k++) {
		const char *name = worker_kinds[k].spec->name, *s = list;
		size_t len = strlen(name);
		bool take = list == NULL || *list == '\0';
		while (!take && (s = strstr(s, name)) != NULL) {
			take = (s == list || s[-1] == ',') && (s[len] == ',' || s[len] == '\0');
			s += len;
		}
		if (take)
			out[n++] = worker_kinds[k];
	}
	out[n] = (struct job_kind){ NULL, NULL, NULL };
	return n;
}

int
cmd_worker(int argc, char **argv)
{
	static struct outbound_policy outbound;
	struct worker_options opt = { 0 };
	char name[300], host[256] = "localhost", data[PATH_MAX], journal[PATH_MAX + 16];
	struct config cfg;
	struct pgembed pg;
	struct db *db;
	struct err err;
	struct job_kind kinds[64];
	int nkinds;
	int rc = cli_config(&cfg, CONFIG_WORKER | CONFIG_DB, argc, argv, worker_synopsis);

	if (rc >= 0)
		return rc;
	cli_signals();
	gethostname(host, sizeof(host) - 1);
	snprintf(name, sizeof(name), "%s:%d", host, (int)getpid());
	opt.name = cfg.worker_name ? cfg.worker_name : name;
	opt.slots = (int)cfg.slots;
	opt.lease_seconds = (int)cfg.lease;
	opt.poll_seconds = 2;
	opt.ctx = &cfg;
	/* The worker connects where webhooks and delivery targets say: only where the policy
	 * allows (lib/core/outbound.h). */
	if (outbound_policy_parse(&outbound, cfg.outbound_allow, &err) < 0) {
		rc = cli_fail("worker", "--outbound-allow: %s", err.msg);
		goto out;
	}
	httpc_set_outbound(&outbound);
	if ((nkinds = worker_pick_kinds(cfg.kinds, kinds, &err)) < 0) {
		rc = cli_fail("worker", "--kinds: %s", err.msg);
		goto out;
	}
	/* Outcomes the database cannot take while it is down wait in the data folder. */
	if (cli_data_path(&cfg, data, sizeof(data), &err) < 0) {
		rc = cli_fail("worker", "%s", err.msg);
		goto out;
	}
	snprintf(journal, sizeof(journal), "%s/journal", data);
	opt.journal_dir = journal;
	if (cli_db_open(&cfg, &pg, &db, 1, &err) < 0) {
		rc = cli_fail("worker", "%s", err.msg);
		goto out;
	}
	log_info("worker=%s slots=%d kinds=%d started", opt.name, opt.slots, nkinds);
	printf("setpost worker %s running %d slot(s)\n", opt.name, opt.slots);
	fflush(stdout);
	rc = worker_run(db, kinds, nkinds, &opt, &cli_stop, &err);
	cli_db_close(&pg, db);
	rc = rc < 0 ? cli_fail("worker", "%s", err.msg) : 0;
out:
	config_release(&cfg);
	return rc;
}
