/* tape_card: a card's offload report and ASC MHL history written to a tape (see tape_card.h). */
#include "lib/archive/tape_card.h"
#include "lib/archive/mhl_stage.h"
#include "lib/core/buf.h"
#include "lib/core/hash.h"
#include "lib/core/version.h"
#include "lib/custody/mhl.h"
#include "lib/report/report_card.h"
#include "lib/report/report_offload.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TAPE_REPORT_MAX (256u << 20)

static const char *const tc_exts[] = { "pdf", "html", "csv" };

struct tc_report {
	struct buf b[3];
	char names[3][256];
};

static void
tc_report_release(struct tc_report *r)
{
	for (size_t i = 0; i < 3; i++)
		buf_release(&r->b[i]);
}

/* The card's report, rendered three ways, named <card>_offload_<time>Z (a name the card's
 * folder on the tape does not have yet: the next second when taken). */
static int
tc_report(struct db_conn *c, const struct ltfs_tape *t, const struct tape_card *k, time_t now,
    struct tc_report *r, struct err *err)
{
	char stamp[32], stem[192], rel[PATH_MAX];
	json_t *doc;
	struct tm tm;
	int rc;

	for (size_t i = 0; i < 3; i++)
		buf_init(&r->b[i], TAPE_REPORT_MAX);
	if ((rc = report_card_load(c, k->card_id, k->data_dir ? k->data_dir : "/nonexistent", &doc,
	    err)) < 0)
		return rc;
	if ((rc = report_pdf(doc, REPORT_A4, &r->b[0], err)) == 0 &&
	    (rc = report_html(doc, &r->b[1], err)) == 0)
		rc = report_csv(doc, &r->b[2], err);
	json_decref(doc);
	if (rc < 0)
		return rc;
	for (int tries = 0; tries < 60; tries++, now++) {
		gmtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%d_%H%M%SZ", &tm);
		snprintf(stem, sizeof(stem), "%s" REPORT_OFFLOAD_TAG "%s", k->card, stamp);
		snprintf(rel, sizeof(rel), "%s/%s/%s.pdf", k->day, k->card, stem);
		if (!ltfs_exists(t, rel))
			break;
	}
	for (size_t i = 0; i < 3; i++)
		snprintf(r->names[i], sizeof(r->names[i]), "%s.%s", stem, tc_exts[i]);
	return 0;
}

/* The report's files to the tape, each entered in e (hashed with algo). */
static int
tc_report_put(const struct ltfs_tape *t, const struct tape_card *k, struct tc_report *r,
    int algo, time_t now, struct mhl_entry *e, struct err *err)
{
	char rel[PATH_MAX];
	int rc;

	for (size_t i = 0; i < 3; i++) {
		struct hash_result h;
		if ((rc = hash_buf(r->b[i].data, r->b[i].len, HASH_BIT(algo), &h, err)) < 0)
			return rc;
		snprintf(rel, sizeof(rel), "%s/%s/%s", k->day, k->card, r->names[i]);
		if ((rc = ltfs_write_bytes(t, rel, r->b[i].data, r->b[i].len, err)) < 0)
			return rc;
		e[i].path = r->names[i];
		e[i].size = (int64_t)r->b[i].len;
		e[i].mtime = now;
		e[i].algos = HASH_BIT(algo);
		memcpy(e[i].h[algo].value, h.v[algo].str, HASH_STR_MAX);
		e[i].h[algo].action = MHL_ACTION_ORIGINAL;
		e[i].h[algo].hashdate = now;
	}
	return 0;
}

/* The generation listing e[0..n), made on disk (lib/archive/mhl_stage.h), to the tape: the
 * manifest, then the chain that names it. */
static int
tc_history(const struct ltfs_tape *t, const struct tape_card *k, const struct mhl_entry *e,
    size_t n, int dir_algo, time_t now, struct err *err)
{
	char host[256] = "localhost", rel[PATH_MAX];
	struct mhl_staged st;
	int rc;

	gethostname(host, sizeof(host) - 1);
	struct mhl_author who = { k->actor, NULL, NULL, NULL };
	struct mhl_generation g = { .created = now, .hostname = host,
		.tool_version = SETPOST_VERSION, .authors = &who, .nauthors = 1,
		.comment = "written to LTO tape by setpost archive, with the card's offload report",
		.process = MHL_PROCESS_TRANSFER, .entries = e, .nentries = n, .dir_algo = dir_algo };
	if ((rc = mhl_stage(k->stage_dir, k->card, &g, &st, err)) < 0)
		return rc;
	snprintf(rel, sizeof(rel), "%s/%s/%s/%s", k->day, k->card, MHL_DIR, st.name);
	rc = ltfs_write_bytes(t, rel, st.manifest.data, st.manifest.len, err);
	snprintf(rel, sizeof(rel), "%s/%s/%s/%s", k->day, k->card, MHL_DIR, MHL_CHAIN);
	if (rc == 0)
		rc = ltfs_write_bytes(t, rel, st.chain.data, st.chain.len, err);
	buf_release(&st.manifest);
	buf_release(&st.chain);
	return rc;
}

int
tape_card_write(struct db_conn *c, const struct ltfs_tape *t, const struct tape_card *k,
    struct err *report_err, struct err *err)
{
	size_t nreport = 0;
	char rel[PATH_MAX];
	struct tc_report r;
	struct mhl_entry *e;
	time_t now = time(NULL);
	int rc, algo, dir_algo;

	report_err->code = 0;
	report_err->msg[0] = '\0';
	snprintf(rel, sizeof(rel), "%s/%s/%s", k->day, k->card, MHL_DIR);
	if (k->nfiles == 0 || ltfs_exists(t, rel))
		return 0;
	algo = dir_algo = k->files[0].algo;
	if ((e = calloc(k->nfiles + 3, sizeof(*e))) == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	for (size_t i = 0; i < k->nfiles; i++) {
		const struct tape_card_file *f = &k->files[i];
		e[i].path = (char *)f->path;
		e[i].size = (int64_t)f->size;
		e[i].algos = HASH_BIT(f->algo);
		snprintf(e[i].h[f->algo].value, sizeof(e[i].h[f->algo].value), "%s", f->hash);
		e[i].h[f->algo].action = MHL_ACTION_ORIGINAL;
		if (f->algo != algo)
			dir_algo = MHL_NO_DIRHASH;
	}
	/* A report that cannot be made or does not fit leaves the history without it: the
	 * history is what a later verify of the tape needs. */
	if (tc_report(c, t, k, now, &r, report_err) == 0 &&
	    tc_report_put(t, k, &r, algo, now, e + k->nfiles, report_err) == 0)
		nreport = 3;
	rc = tc_history(t, k, e, k->nfiles + nreport, dir_algo, now, err);
	tc_report_release(&r);
	free(e);
	return rc;
}
