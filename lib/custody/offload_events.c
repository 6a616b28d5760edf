/* offload_events: the state every step of a running offload shares, called by the worker
 * threads: warnings, a copy's or a destination's final state, the read queue, temp names, and
 * the progress and events delivered on the caller's thread (offload_int.h). */
#include "lib/custody/offload_int.h"
#include "lib/core/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

double
ofl_elapsed(const struct ofl_run *r)
{
	return clock_now() - r->t0;
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
