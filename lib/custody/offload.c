/* offload: the entry of the offload engine (see offload.h) — checks the request,
 * runs the steps in order (walk, destinations, histories, plan, copy passes,
 * folder times, manifests) and owns the result; the state the steps share while they
 * run is offload_events.c. */
#include "lib/custody/offload_int.h"
#include "lib/core/clock.h"
#include "lib/core/safe_name.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const ofl_state_names[] = { "pending", "verified", "skipped", "failed",
					       "canceled" };
static const char *const ofl_how_names[] = { "copied", "checked", "repaired" };
static const char *const ofl_method_names[] = { "none", "direct", "dontneed", "memory",
						"mixed" };
static const char *const ofl_kind_names[] = { "media", "history", "junk" };

const char *
offload_state_name(enum offload_state s)
{
	return (unsigned)s < 5 ? ofl_state_names[s] : "?";
}

const char *
offload_how_name(enum offload_how h)
{
	return (unsigned)h < 3 ? ofl_how_names[h] : "?";
}

const char *
offload_method_name(enum offload_method m)
{
	return (unsigned)m < 5 ? ofl_method_names[m] : "?";
}

const char *
offload_kind_name(enum offload_kind k)
{
	return (unsigned)k < 3 ? ofl_kind_names[k] : "?";
}

/* --- the run ---------------------------------------------------------------- */

static int
ofl_label(struct ofl_run *r, struct err *err)
{
	const char *card = r->o->card, *slash;

	if (card == NULL) {
		slash = strrchr(r->res->src, '/');
		card = slash && slash[1] ? slash + 1 : r->res->src;
	}
	if (!safe_name_ok(card))
		return err_set(err, SP_EINVAL, "card label \"%s\": must be a plain folder name "
			       "(use --card A001R1AB)", card);
	r->res->label = strdup(card);
	return r->res->label ? 0 : err_set(err, SP_ENOMEM, "out of memory");
}

static int
ofl_first_algo(unsigned algos)
{
	for (int a = 0; a < HASH_NALGOS; a++)
		if (algos & HASH_BIT(a))
			return a;
	return HASH_XXH64;
}

static int
ofl_check_opts(const struct offload_opts *o, struct err *err)
{
	if (o->src == NULL || *o->src == '\0')
		return err_set(err, SP_EINVAL, "no source folder");
	if (o->ndst == 0 || o->ndst > OFFLOAD_MAX_DESTS)
		return err_set(err, SP_EINVAL, "%zu destinations: give 1 to %d (--to DST)", o->ndst,
			       OFFLOAD_MAX_DESTS);
	if ((o->algos & ~HASH_ALL) != 0)
		return err_set(err, SP_EINVAL, "bad hash algorithm set");
	if (o->dir_algo >= 0 && (o->dir_algo >= HASH_NALGOS ||
	    (o->algos && !(o->algos & HASH_BIT(o->dir_algo)))))
		return err_set(err, SP_EINVAL, "directory hash algorithm not among those asked for");
	if (o->block_size && (o->block_size % OFL_ALIGN || o->block_size > (256u << 20)))
		return err_set(err, SP_EINVAL, "block size %zu: a multiple of %d up to 256 MiB",
			       o->block_size, OFL_ALIGN);
	if (o->nblocks > 256)
		return err_set(err, SP_EINVAL, "%zu blocks: at most 256", o->nblocks);
	return 0;
}

static int
ofl_init(struct ofl_run *r, const struct offload_opts *o, struct offload_result *res,
	 struct err *err)
{
	struct stat st;
	int rc = ofl_check_opts(o, err);

	if (rc < 0)
		return rc;
	r->o = o;
	r->res = res;
	r->ndst = o->ndst;
	r->user_algos = o->algos ? o->algos : HASH_BIT(HASH_XXH64);
	r->algos = r->user_algos;
	r->dir_algo = o->dir_algo >= 0 ? o->dir_algo : ofl_first_algo(r->algos);
	r->t0 = clock_now();
	res->src = realpath(o->src, NULL);
	if (res->src == NULL)
		return err_errno(err, SP_EINVAL, errno, "source %s", o->src);
	if (stat(res->src, &st) < 0 || !S_ISDIR(st.st_mode))
		return err_set(err, SP_EINVAL, "source %s: not a folder", o->src);
	res->src_dev = st.st_dev;
	r->root_times[0] = st.st_atim;
	r->root_times[1] = st.st_mtim;
	if ((rc = ofl_label(r, err)) < 0)
		return rc;
	res->dests = calloc(o->ndst, sizeof(*res->dests));
	r->dr = calloc(o->ndst, sizeof(*r->dr));
	if (res->dests == NULL || r->dr == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	res->ndst = o->ndst;
	for (size_t d = 0; d < o->ndst; d++) {
		r->dr[d].card_fd = -1;
		if ((res->dests[d].path = strdup(o->dsts[d])) == NULL)
			return err_set(err, SP_ENOMEM, "out of memory");
	}
	return 0;
}

/* Per-file and per-copy storage, once the walk knows the files. */
static int
ofl_alloc(struct ofl_run *r, struct err *err)
{
	struct offload_result *res = r->res;
	size_t n = res->nfiles ? res->nfiles : 1;

	r->fr = calloc(n, sizeof(*r->fr));
	r->cells = calloc(n * r->ndst, sizeof(*r->cells));
	r->pass = calloc(n, sizeof(*r->pass));
	if (r->fr == NULL || r->cells == NULL || r->pass == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	for (size_t k = 0; k < res->nfiles; k++)
		if ((res->files[k].copies = calloc(r->ndst, sizeof(struct offload_copy))) == NULL)
			return err_set(err, SP_ENOMEM, "out of memory");
	return 0;
}

/* Bytes the progress bar counts: read once, then written and read back per copy. */
static void
ofl_work_total(struct ofl_run *r)
{
	r->work_total = r->pass_bytes;
	r->files_todo = r->res->nfiles;
	for (size_t i = 0; i < r->npass; i++) {
		size_t k = r->pass[i];

		for (size_t d = 0; d < r->ndst; d++) {
			unsigned m = ofl_cell(r, k, d)->mode;

			if (m == OFL_WRITE || m == OFL_CHECK)
				r->work_total += (uint64_t)r->res->files[k].size * (m == OFL_WRITE ? 2 : 1);
		}
	}
}

/* The second pass: copies that were read back and did not match are written
 * again (the source is read again too, and must give the same hashes). */
static int
ofl_repair(struct ofl_run *r, struct err *err)
{
	r->npass = 0;
	r->pass_bytes = r->pass_read = 0;
	for (size_t k = 0; k < r->res->nfiles; k++) {
		unsigned need = 0;

		for (size_t d = 0; d < r->ndst; d++) {
			struct ofl_cell *c = ofl_cell(r, k, d);

			c->mode = c->repair && !r->dr[d].dead ? OFL_WRITE : OFL_NONE;
			need += c->mode == OFL_WRITE;
		}
		if (need == 0)
			continue;
		r->fr[k].pending = need;
		r->fr[k].prev = r->res->files[k].hash;
		r->fr[k].has_prev = 1;
		r->fr[k].hash_state = r->fr[k].sv_state = 0;
		r->pass[r->npass++] = k;
		r->pass_bytes += (uint64_t)r->res->files[k].size;
	}
	if (r->npass == 0)
		return 0;
	r->repairing = 1;
	ofl_work_total(r);
	return ofl_pass(r, err);
}

/* Copies still pending after the passes: stopped before they were reached, or
 * a repair that could not run. */
static void
ofl_settle(struct ofl_run *r)
{
	pthread_mutex_lock(&r->mu);
	for (size_t k = 0; k < r->res->nfiles; k++) {
		int was_pending = 0;

		for (size_t d = 0; d < r->ndst; d++) {
			struct offload_copy *c = &r->res->files[k].copies[d];

			if (c->state != OFFLOAD_PENDING)
				continue;
			was_pending = 1;
			ofl_cell(r, k, d)->mode = OFL_NONE;
			if (r->stopping)
				ofl_final_locked(r, k, d, OFFLOAD_CANCELED, SP_ECANCELED,
						 "not copied: stopped before it");
			else
				ofl_final_locked(r, k, d, OFFLOAD_FAILED, r->res->dests[d].failed ?
						 r->res->dests[d].code : SP_EINTERNAL,
						 "not copied: %s", r->res->dests[d].failed ?
						 "the destination failed" : "no verified copy");
		}
		if (was_pending)
			ofl_file_done_locked(r, k);
	}
	pthread_mutex_unlock(&r->mu);
}

static void
ofl_finish_dests(struct ofl_run *r)
{
	for (size_t d = 0; d < r->ndst; d++) {
		struct offload_dest *dst = &r->res->dests[d];
		unsigned m = r->dr[d].methods;

		if (r->dr[d].card_fd < 0)
			continue;
		ofl_dest_finish(r, d);
		ofl_write_manifest(r, d);
		ofl_dest_restore_root(r, d);
		dst->method = m == 0 ? OFFLOAD_METHOD_NONE : (m & (m - 1)) ? OFFLOAD_METHOD_MIXED
			    : (enum offload_method)__builtin_ctz(m);
	}
}

/* 0 when every file has a verified copy everywhere; else a summary in err. */
static int
ofl_summary(struct ofl_run *r, struct err *err)
{
	struct offload_result *res = r->res;
	size_t bad = 0, deadn = 0;
	int code = 0;

	for (size_t d = 0; d < r->ndst; d++)
		if (res->dests[d].failed) {
			deadn++;
			code = code ? code : res->dests[d].code;
		}
	for (size_t k = 0; k < res->nfiles; k++) {
		int fine = 1;

		for (size_t d = 0; d < r->ndst; d++) {
			const struct offload_copy *c = &res->files[k].copies[d];

			if (c->state != OFFLOAD_VERIFIED && c->state != OFFLOAD_SKIPPED) {
				fine = 0;
				code = code ? code : c->code ? c->code : SP_EIO;
			}
		}
		bad += !fine;
	}
	res->canceled = r->stopping;
	res->ok = bad == 0 && deadn == 0 && !r->stopping;
	if (res->ok)
		return 0;
	if (r->stopping)
		return err_set(err, SP_ECANCELED, "stopped: %zu of %zu files without a verified copy "
			       "on every destination", bad, res->nfiles);
	if (deadn == 0)
		return err_set(err, code ? code : SP_EIO, "%zu of %zu files without a verified copy "
			       "on every destination", bad, res->nfiles);
	return err_set(err, code ? code : SP_EIO, "%zu of %zu files without a verified copy on "
		       "every destination; %zu of %zu destinations failed", bad, res->nfiles,
		       deadn, r->ndst);
}

static void
ofl_run_release(struct ofl_run *r)
{
	ofl_dests_close(r);
	for (size_t d = 0; r->dr && d < r->ndst; d++) {
		mhl_history_release(&r->dr[d].hist);
		ofl_queue_release(&r->dr[d].vq);
	}
	mhl_history_release(&r->src_hist);
	ofl_queue_release(&r->svq);
	free(r->dr);
	free(r->fr);
	free(r->cells);
	free(r->pass);
	free(r->done);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cond);
}

/* Walk, refusals and setup: a failure here (but a destination's own) means
 * nothing was written. */
static int
ofl_prepare(struct ofl_run *r, const struct offload_opts *opts, struct err *err)
{
	int rc = ofl_init(r, opts, r->res, err);

	if (rc == 0)
		rc = ofl_walk(r, err);
	if (rc == 0)
		rc = ofl_alloc(r, err);
	if (rc == 0) {
		pthread_mutex_lock(&r->mu);
		rc = ofl_dests_check(r, err);
		pthread_mutex_unlock(&r->mu);
	}
	return rc;
}

int
offload_run(const struct offload_opts *opts, struct offload_result *res, struct err *err)
{
	struct ofl_run r;
	int rc;

	memset(res, 0, sizeof(*res));
	memset(&r, 0, sizeof(r));
	r.res = res;
	pthread_mutex_init(&r.mu, NULL);
	pthread_cond_init(&r.cond, NULL);
	rc = ofl_prepare(&r, opts, err);
	if (rc < 0) {
		ofl_run_release(&r);
		offload_result_release(res);
		return rc;
	}
	res->algos = r.algos;
	ofl_dests_open(&r);
	ofl_histories_load(&r);
	res->algos = r.algos;
	ofl_plan(&r);
	ofl_work_total(&r);
	rc = r.npass > 0 ? ofl_pass(&r, err) : 0;
	if (rc == 0 && !r.stopping)
		rc = ofl_repair(&r, err);
	ofl_settle(&r);
	ofl_finish_dests(&r);
	ofl_wait(&r); /* the last events */
	res->seconds = ofl_elapsed(&r);
	if (rc == 0)
		rc = ofl_summary(&r, err);
	else
		ofl_summary(&r, NULL);
	ofl_run_release(&r);
	return rc;
}

void
offload_result_release(struct offload_result *res)
{
	for (size_t k = 0; k < res->nfiles; k++) {
		struct offload_file *f = &res->files[k];

		for (size_t d = 0; f->copies && d < res->ndst; d++)
			free(f->copies[d].reason);
		free(f->copies);
		free(f->path);
		free(f->source_error);
	}
	free(res->files);
	for (size_t i = 0; i < res->ndirs; i++)
		free(res->dirs[i].path);
	free(res->dirs);
	for (size_t d = 0; d < res->ndst; d++) {
		free(res->dests[d].path);
		free(res->dests[d].card_dir);
		free(res->dests[d].error);
		free(res->dests[d].manifest);
	}
	free(res->dests);
	for (size_t i = 0; i < res->njunk; i++)
		free(res->junk[i]);
	free(res->junk);
	for (size_t i = 0; i < res->nwarnings; i++)
		free(res->warnings[i]);
	free(res->warnings);
	free(res->warning_dests);
	free(res->label);
	free(res->src);
	memset(res, 0, sizeof(*res));
}
