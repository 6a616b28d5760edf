/* offload: the entry of the offload engine (see offload.h) — checks the request,
 * runs the steps in order (walk, destinations, histories, plan, copy passes,
 * folder times, manifests), delivers events on the caller's thread, and owns
 * the result. */
#include "lib/custody/offload_int.h"

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

double
ofl_elapsed(const struct ofl_run *r)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - r->t0.tv_sec) + (now.tv_nsec - r->t0.tv_nsec) / 1e9;
}

/* --- events, called by the worker threads --------------------------------- */

static void
ofl_vwarn_locked(struct ofl_run *r, int d, const char *fmt, va_list ap)
{
	struct offload_result *res = r->res;
	char *msg = NULL;

	if (vasprintf(&msg, fmt, ap) < 0)
		return;
	if (res->nwarnings == r->warn_cap) {
		size_t cap = r->warn_cap ? 2 * r->warn_cap : 8;
		char **w = realloc(res->warnings, cap * sizeof(*w));
		int *wd = w ? realloc(res->warning_dests, cap * sizeof(*wd)) : NULL;

		if (w != NULL)
			res->warnings = w;
		if (wd == NULL) {
			free(msg);
			return;
		}
		res->warning_dests = wd;
		r->warn_cap = cap;
	}
	res->warning_dests[res->nwarnings] = d;
	res->warnings[res->nwarnings++] = msg;
	pthread_cond_broadcast(&r->cond);
}

void
ofl_warn_locked(struct ofl_run *r, int d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ofl_vwarn_locked(r, d, fmt, ap);
	va_end(ap);
}

void
ofl_warn(struct ofl_run *r, int d, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&r->mu);
	va_start(ap, fmt);
	ofl_vwarn_locked(r, d, fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&r->mu);
}

void
ofl_file_done_locked(struct ofl_run *r, size_t file)
{
	if (r->ndone == r->done_cap) {
		size_t cap = r->done_cap ? 2 * r->done_cap : 64;
		size_t *p = realloc(r->done, cap * sizeof(*p));

		if (p == NULL)
			return; /* only the event is lost */
		r->done = p;
		r->done_cap = cap;
	}
	r->done[r->ndone++] = file;
	r->files_done++;
	pthread_cond_broadcast(&r->cond);
}

static void
ofl_count(struct offload_dest *dst, const struct offload_copy *c)
{
	switch (c->state) {
	case OFFLOAD_VERIFIED:
		dst->nverified++;
		dst->nrepaired += c->how == OFFLOAD_REPAIRED;
		break;
	case OFFLOAD_SKIPPED:
		dst->nskipped++;
		break;
	case OFFLOAD_FAILED:
		dst->nfailed++;
		break;
	case OFFLOAD_CANCELED:
		dst->ncanceled++;
		break;
	default:
		break;
	}
}

int
ofl_all_final(const struct ofl_run *r, size_t file)
{
	for (size_t d = 0; d < r->ndst; d++)
		if (r->res->files[file].copies[d].state == OFFLOAD_PENDING)
			return 0;
	return 1;
}

void
ofl_final_locked(struct ofl_run *r, size_t file, size_t d, enum offload_state st, int code,
		 const char *fmt, ...)
{
	struct offload_copy *c = &r->res->files[file].copies[d];
	struct ofl_cell *cell = ofl_cell(r, file, d);
	struct ofl_frun *fr = &r->fr[file];
	va_list ap;

	if (c->state != OFFLOAD_PENDING)
		return; /* already final: the first verdict stands */
	c->state = st;
	c->code = code;
	if (fmt != NULL) {
		va_start(ap, fmt);
		if (vasprintf(&c->reason, fmt, ap) < 0)
			c->reason = NULL;
		va_end(ap);
	}
	ofl_count(&r->res->dests[d], c);
	if ((cell->mode == OFL_WRITE || cell->mode == OFL_CHECK) && fr->pending > 0 &&
	    --fr->pending == 0 && ofl_all_final(r, file))
		ofl_file_done_locked(r, file);
	pthread_cond_broadcast(&r->cond);
}

void
ofl_dest_fail_locked(struct ofl_run *r, size_t d, int code, const char *fmt, ...)
{
	struct offload_dest *dst = &r->res->dests[d];
	va_list ap;

	if (r->dr != NULL)
		r->dr[d].dead = 1;
	if (dst->failed)
		return;
	dst->failed = 1;
	dst->code = code;
	va_start(ap, fmt);
	if (vasprintf(&dst->error, fmt, ap) < 0)
		dst->error = NULL;
	va_end(ap);
	pthread_cond_broadcast(&r->cond);
}

int
ofl_queue_push_locked(struct ofl_queue *q, const struct ofl_item *it)
{
	if (q->head + q->n == q->cap) {
		if (q->head > 0) {
			memmove(q->v, q->v + q->head, q->n * sizeof(*q->v));
			q->head = 0;
		} else {
			size_t cap = q->cap ? 2 * q->cap : 64;
			struct ofl_item *v = realloc(q->v, cap * sizeof(*v));

			if (v == NULL)
				return SP_ENOMEM;
			q->v = v;
			q->cap = cap;
		}
	}
	q->v[q->head + q->n++] = *it;
	return 0;
}

void
ofl_queue_release(struct ofl_queue *q)
{
	free(q->v);
	memset(q, 0, sizeof(*q));
}

int
ofl_open_read(int dirfd, const char *path)
{
	int flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY;
	int fd = openat(dirfd, path, flags | O_NOATIME);

	if (fd < 0 && errno == EPERM) /* O_NOATIME needs ownership (or root) */
		fd = openat(dirfd, path, flags);
	return fd;
}

int
ofl_temp_path(const char *path, size_t file, char *out, size_t outlen)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	int dirlen = slash ? (int)(slash - path + 1) : 0, n;

	if (strlen(base) + 1 + strlen(OFFLOAD_PARTIAL_SUFFIX) <= NAME_MAX)
		n = snprintf(out, outlen, "%.*s.%s%s", dirlen, path, base, OFFLOAD_PARTIAL_SUFFIX);
	else
		n = snprintf(out, outlen, "%.*s.%zu%s", dirlen, path, file, OFFLOAD_PARTIAL_SUFFIX);
	return n < 0 || (size_t)n >= outlen ? SP_EINVAL : 0;
}

/* --- the caller's thread: events and progress ----------------------------- */

static void
ofl_progress_locked(struct ofl_run *r)
{
	struct offload_dest_progress dp[OFFLOAD_MAX_DESTS];
	struct offload_progress p = { 0 };
	double now = ofl_elapsed(r), dt = now - r->rate_t;

	if (r->o->on_progress == NULL)
		return;
	if (dt >= 0.2) {
		double inst = (double)(r->pass_read - r->rate_bytes) / dt;

		r->rate = r->rate_t == 0 ? inst : 0.6 * r->rate + 0.4 * inst;
		r->rate_t = now;
		r->rate_bytes = r->pass_read;
	}
	p.bytes_total = r->pass_bytes;
	p.bytes_read = r->pass_read;
	p.work_total = r->work_total;
	p.work_done = r->pass_read;
	p.files_total = r->files_todo;
	p.files_done = r->files_done;
	p.elapsed = now;
	p.rate = r->rate;
	p.current = r->current;
	for (size_t d = 0; d < r->ndst; d++) {
		const struct offload_dest *dst = &r->res->dests[d];

		dp[d].path = dst->path;
		dp[d].activity = dst->failed ? "failed" : r->dr[d].writing && r->dr[d].verifying ?
				 "writing+verifying" : r->dr[d].writing ? "writing" :
				 r->dr[d].verifying ? "verifying" : r->live ? "waiting" : "done";
		dp[d].bytes_written = dst->bytes_written;
		dp[d].bytes_verified = dst->bytes_verified;
		dp[d].files_verified = dst->nverified + dst->nskipped;
		dp[d].files_failed = dst->nfailed;
		p.work_done += dst->bytes_written + dst->bytes_verified;
	}
	p.dests = dp;
	p.ndst = r->ndst;
	pthread_mutex_unlock(&r->mu);
	r->o->on_progress(r->o->arg, &p);
	pthread_mutex_lock(&r->mu);
}

/* Calls the callbacks for what happened since the last call, with run->mu
 * released around each (it is held on entry and on return). */
static void
ofl_deliver_locked(struct ofl_run *r)
{
	const struct offload_opts *o = r->o;

	while (r->warn_seen < r->res->nwarnings) {
		const char *msg = r->res->warnings[r->warn_seen];
		int d = r->res->warning_dests[r->warn_seen++];

		pthread_mutex_unlock(&r->mu);
		if (o->on_warning)
			o->on_warning(o->arg, d, msg);
		pthread_mutex_lock(&r->mu);
	}
	for (size_t d = 0; d < r->ndst; d++) {
		if (!r->res->dests[d].failed || r->dr[d].failed_reported)
			continue;
		r->dr[d].failed_reported = 1;
		pthread_mutex_unlock(&r->mu);
		if (o->on_dest_failed)
			o->on_dest_failed(o->arg, r->res, d);
		pthread_mutex_lock(&r->mu);
	}
	while (r->done_seen < r->ndone) {
		size_t k = r->done[r->done_seen++];

		pthread_mutex_unlock(&r->mu);
		if (o->on_file)
			o->on_file(o->arg, r->res, k);
		pthread_mutex_lock(&r->mu);
	}
}

void
ofl_wait(struct ofl_run *r)
{
	unsigned ms = r->o->progress_ms ? r->o->progress_ms : 250;
	double next = 0;

	pthread_mutex_lock(&r->mu);
	for (;;) {
		double now = ofl_elapsed(r), until;
		struct timespec ts;

		if (r->o->stop && *r->o->stop && !r->stopping) {
			r->stopping = 1;
			pthread_cond_broadcast(&r->cond);
		}
		ofl_deliver_locked(r);
		if (now >= next) {
			ofl_progress_locked(r);
			next = now + ms / 1000.0;
		}
		if (r->live == 0)
			break;
		until = now + 0.05 < next ? now + 0.05 : next; /* the stop flag is polled */
		clock_gettime(CLOCK_REALTIME, &ts);
		until -= now;
		ts.tv_sec += (time_t)until;
		ts.tv_nsec += (long)((until - (double)(time_t)until) * 1e9);
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&r->cond, &r->mu, &ts);
	}
	ofl_deliver_locked(r);
	pthread_mutex_unlock(&r->mu);
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
	if (*card == '\0' || strchr(card, '/') != NULL || strcmp(card, ".") == 0 ||
	    strcmp(card, "..") == 0 || strcmp(card, "/") == 0 || strlen(card) > 200)
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
	clock_gettime(CLOCK_MONOTONIC, &r->t0);
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
