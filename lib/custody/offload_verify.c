/* offload_verify: reading copies back from the device and comparing them with
 * the source — one thread per destination, so that file k is verified while
 * file k+1 is being written — and, with OFFLOAD_SOURCE_VERIFY, a second read
 * of the source. Only here does a copy get its real name. */
#include "lib/custody/offload_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct verify {
	struct ofl_run *r;
	size_t d;
	unsigned char *buf;
	char why[1024];
	int code;
};

/* Reads fd to its end, hashing; O_DIRECT when allowed and the file system
 * takes it, else the cached pages are dropped first (they are clean after
 * fsync) so that the read goes to the device. */
int
ofl_read_hash(struct ofl_run *r, int fd, const char *label, int allow_direct, int is_memory,
	      unsigned char *buf, size_t bsize, struct hash_result *res,
	      enum offload_method *method, uint64_t *counter, struct err *err)
{
	struct hash_ctx ctx;
	uint64_t off = 0;
	int fl = fcntl(fd, F_GETFL), direct = 0, rc, stop = 0;

	if (allow_direct && !is_memory && fl >= 0 && fcntl(fd, F_SETFL, fl | O_DIRECT) == 0)
		direct = 1;
	else
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	*method = is_memory ? OFFLOAD_METHOD_MEMORY : direct ? OFFLOAD_METHOD_DIRECT
			    : OFFLOAD_METHOD_DONTNEED;
	if ((rc = hash_init(&ctx, r->algos, err)) < 0)
		return rc;
	while (!stop) {
		ssize_t n = pread(fd, buf, bsize, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EINVAL && direct) {
			direct = 0;
			if (fcntl(fd, F_SETFL, fl) < 0) {
				rc = err_errno(err, SP_EIO, errno, "%s", label);
				break;
			}
			posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
			*method = is_memory ? OFFLOAD_METHOD_MEMORY : OFFLOAD_METHOD_DONTNEED;
			continue;
		}
		if (n < 0) {
			rc = err_errno(err, SP_EIO, errno, "read error at byte %llu of %s",
				       (unsigned long long)off, label);
			break;
		}
		if (n == 0)
			break;
		hash_update(&ctx, buf, (size_t)n);
		off += (uint64_t)n;
		pthread_mutex_lock(&r->mu);
		*counter += (uint64_t)n;
		stop = r->stopping;
		pthread_mutex_unlock(&r->mu);
		if (stop)
			rc = err_set(err, SP_ECANCELED, "stopped (interrupted)");
		if (direct && (size_t)n % OFL_ALIGN != 0)
			break; /* a short direct read is the end of the file */
	}
	if (rc == 0)
		rc = hash_final(&ctx, res, err);
	hash_release(&ctx);
	return rc;
}

static int
verify_fail(struct verify *v, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
verify_fail(struct verify *v, int code, const char *fmt, ...)
{
	va_list ap;

	if (v->code != 0)
		return v->code;
	v->code = code;
	va_start(ap, fmt);
	vsnprintf(v->why, sizeof(v->why), fmt, ap);
	va_end(ap);
	return code;
}

/* The first algorithm on which two results differ, or -1. */
static int
verify_differs(unsigned algos, const struct hash_result *a, const struct hash_result *b)
{
	for (int i = 0; i < HASH_NALGOS; i++)
		if ((algos & HASH_BIT(i)) && strcmp(a->v[i].str, b->v[i].str) != 0)
			return i;
	return -1;
}

/* Waits until the source of file k is hashed (and read twice, if asked). */
static int
verify_wait_source(struct verify *v, size_t k)
{
	struct ofl_run *r = v->r;
	struct ofl_frun *fr = &r->fr[k];
	int sv = (r->o->flags & OFFLOAD_SOURCE_VERIFY) != 0, code = 0;
	const char *why;

	pthread_mutex_lock(&r->mu);
	while (fr->hash_state == 0 || (sv && fr->hash_state > 0 && fr->sv_state == 0))
		pthread_cond_wait(&r->cond, &r->mu);
	why = r->res->files[k].source_error;
	if (fr->hash_state < 0 || (sv && fr->sv_state < 0))
		code = fr->source_code ? fr->source_code : SP_EIO;
	pthread_mutex_unlock(&r->mu);
	if (code != 0)
		verify_fail(v, code, "%s", why ? why : "the source could not be read");
	return code;
}

/* Reads back file k from path (relative to the card folder) into *res. */
static int
verify_read(struct verify *v, size_t k, const char *path, struct hash_result *res,
	    enum offload_method *m)
{
	struct ofl_run *r = v->r;
	struct ofl_drun *dr = &r->dr[v->d];
	int fd = ofl_open_read(dr->card_fd, path), rc;
	struct err e;

	if (fd < 0)
		return verify_fail(v, err_from_errno(errno), "cannot open the copy: %s",
				   strerror(errno));
	rc = ofl_read_hash(r, fd, "the copy", !(r->o->flags & OFFLOAD_NO_DIRECT), dr->is_memory,
			   v->buf, r->bsize, res, m, &r->res->dests[v->d].bytes_verified, &e);
	close(fd);
	if (rc < 0)
		return verify_fail(v, rc, "%s", e.msg);
	if (res->nbytes != (uint64_t)r->res->files[k].size)
		return verify_fail(v, SP_EMISMATCH, "the copy has %llu bytes, the source %lld",
				   (unsigned long long)res->nbytes,
				   (long long)r->res->files[k].size);
	return 0;
}

static int
verify_compare(struct verify *v, size_t k, const struct hash_result *copy)
{
	const struct offload_file *f = &v->r->res->files[k];
	int a = verify_differs(v->r->algos, &f->hash, copy);

	if (a < 0)
		return 0;
	return verify_fail(v, SP_EMISMATCH, "the copy read back differs from the source (%s %s, "
			   "source %s)", hash_algo_name((enum hash_algo)a), copy->v[a].str,
			   f->hash.v[a].str);
}

static void
verify_final(struct verify *v, size_t k, enum mhl_action action, enum offload_how how,
	     enum offload_method m)
{
	struct ofl_run *r = v->r;
	struct offload_copy *c = &r->res->files[k].copies[v->d];

	pthread_mutex_lock(&r->mu);
	if (v->code == 0) {
		c->action = action;
		c->how = how;
		c->method = m;
		r->dr[v->d].methods |= 1u << m;
		ofl_final_locked(r, k, v->d, OFFLOAD_VERIFIED, 0, NULL);
	} else {
		ofl_final_locked(r, k, v->d, v->code == SP_ECANCELED ? OFFLOAD_CANCELED :
				 OFFLOAD_FAILED, v->code, "%s", v->why);
	}
	pthread_mutex_unlock(&r->mu);
}

/* A copy this pass wrote: flush, read back, compare, judge, rename. */
static void
verify_written(struct verify *v, const struct ofl_item *it)
{
	struct ofl_run *r = v->r;
	const struct offload_file *f = &r->res->files[it->file];
	int card = r->dr[v->d].card_fd;
	enum offload_method m = OFFLOAD_METHOD_NONE;
	enum mhl_action action = MHL_ACTION_ORIGINAL;
	struct hash_result res;
	char tmp[PATH_MAX];

	ofl_temp_path(f->path, it->file, tmp, sizeof(tmp));
	if (fsync(it->fd) < 0) {
		int e = errno;

		verify_fail(v, err_from_errno(e), "flushing the copy: %s", e == ENOSPC ?
			    "no space left on device" : strerror(e));
		if (e == ENOSPC || e == EDQUOT || e == EROFS) {
			pthread_mutex_lock(&r->mu);
			ofl_dest_fail_locked(r, v->d, err_from_errno(e), "destination %s: %s "
					     "(while writing %s)", r->res->dests[v->d].path,
					     e == EROFS ? strerror(e) : "no space left on device",
					     f->path);
			pthread_mutex_unlock(&r->mu);
		}
	}
	close(it->fd);
	if (v->code == 0 && verify_read(v, it->file, tmp, &res, &m) == 0 &&
	    verify_wait_source(v, it->file) == 0 && verify_compare(v, it->file, &res) == 0 &&
	    ofl_judge(r, v->d, it->file, &action, v->why, sizeof(v->why)) < 0)
		v->code = SP_EMISMATCH;
	if (v->code == 0 && renameat(card, tmp, card, f->path) < 0)
		verify_fail(v, err_from_errno(errno), "renaming the verified copy: %s",
			    strerror(errno));
	if (v->code != 0)
		unlinkat(card, tmp, 0);
	verify_final(v, it->file, action, ofl_cell(r, it->file, v->d)->repair ? OFFLOAD_REPAIRED
							      : OFFLOAD_COPIED, m);
}

/* The copy in place will be written again in the repair pass. */
static void
verify_defer(struct verify *v, size_t k)
{
	struct ofl_run *r = v->r;

	pthread_mutex_lock(&r->mu);
	ofl_warn_locked(r, (int)v->d, "%s: %s: %s: it is copied again", r->res->dests[v->d].path,
			r->res->files[k].path, v->why);
	ofl_cell(r, k, v->d)->repair = 1;
	if (r->fr[k].pending > 0)
		r->fr[k].pending--;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->mu);
}

/* A copy already under its real name (verified by an earlier run, or renamed
 * just before a crash): read it back and compare; a bad one is written again. */
static void
verify_in_place(struct verify *v, const struct ofl_item *it)
{
	struct ofl_run *r = v->r;
	enum offload_method m = OFFLOAD_METHOD_NONE;
	enum mhl_action action = MHL_ACTION_ORIGINAL;
	struct hash_result res;
	int rc = verify_read(v, it->file, r->res->files[it->file].path, &res, &m);

	if (rc == SP_ECANCELED)
		return verify_final(v, it->file, action, OFFLOAD_CHECKED, m);
	if (verify_wait_source(v, it->file) < 0) {
		if (rc == 0 && v->code != SP_ECANCELED) {
			char why[sizeof(v->why)];

			snprintf(why, sizeof(why), "%s", v->why);
			snprintf(v->why, sizeof(v->why), "the copy in place could not be checked "
				 "again: %.900s", why);
		}
		return verify_final(v, it->file, action, OFFLOAD_CHECKED, m);
	}
	if (rc == 0)
		rc = verify_compare(v, it->file, &res);
	if (rc < 0) {
		v->code = 0;
		return verify_defer(v, it->file);
	}
	if (ofl_judge(r, v->d, it->file, &action, v->why, sizeof(v->why)) < 0)
		v->code = SP_EMISMATCH;
	verify_final(v, it->file, action, OFFLOAD_CHECKED, m);
}

static int
verify_pop(struct ofl_run *r, struct ofl_queue *q, struct ofl_item *it)
{
	int got = 0;

	pthread_mutex_lock(&r->mu);
	while (q->n == 0 && !q->closed)
		pthread_cond_wait(&r->cond, &r->mu);
	if (q->n > 0) {
		*it = q->v[q->head++];
		q->n--;
		got = 1;
	}
	pthread_mutex_unlock(&r->mu);
	return got;
}

static void
verify_exit(struct ofl_run *r, unsigned char *buf)
{
	free(buf);
	pthread_mutex_lock(&r->mu);
	r->live--;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->mu);
}

void *
ofl_verifier(void *arg)
{
	struct ofl_vctx *ctx = arg;
	struct ofl_run *r = ctx->r;
	struct ofl_drun *dr = &r->dr[ctx->d];
	struct verify v = { .r = r, .d = ctx->d };
	struct ofl_item it;

	if (posix_memalign((void **)&v.buf, OFL_ALIGN, r->bsize) != 0)
		v.buf = NULL;
	while (verify_pop(r, &dr->vq, &it)) {
		pthread_mutex_lock(&r->mu);
		dr->verifying = 1;
		pthread_mutex_unlock(&r->mu);
		v.code = 0;
		v.why[0] = '\0';
		if (v.buf == NULL) {
			if (it.fd >= 0)
				close(it.fd);
			verify_fail(&v, SP_ENOMEM, "out of memory");
			verify_final(&v, it.file, MHL_ACTION_NONE, OFFLOAD_COPIED, OFFLOAD_METHOD_NONE);
		} else if (it.mode == OFL_WRITE) {
			verify_written(&v, &it);
		} else {
			verify_in_place(&v, &it);
		}
		pthread_mutex_lock(&r->mu);
		dr->verifying = 0;
		pthread_mutex_unlock(&r->mu);
	}
	verify_exit(r, v.buf);
	return NULL;
}

/* --- the second read of the source ------------------------------------------- */

static void
verify_source_one(struct ofl_run *r, size_t k, unsigned char *buf)
{
	struct offload_file *f = &r->res->files[k];
	struct ofl_frun *fr = &r->fr[k];
	struct hash_result res;
	enum offload_method m;
	char path[PATH_MAX], why[512] = "";
	struct err e;
	int fd, rc, code = 0, a;

	snprintf(path, sizeof(path), "%s/%s", r->res->src, f->path);
	fd = ofl_open_read(AT_FDCWD, path);
	if (fd < 0) {
		rc = err_errno(&e, err_from_errno(errno), errno, "second read of the source");
	} else {
		rc = ofl_read_hash(r, fd, "the source", !(r->o->flags & OFFLOAD_NO_DIRECT),
				   ofl_fs_is_memory(fd), buf, r->bsize, &res, &m, &r->res->bytes_read,
				   &e);
		close(fd);
	}
	pthread_mutex_lock(&r->mu);
	while (fr->hash_state == 0)
		pthread_cond_wait(&r->cond, &r->mu);
	if (rc < 0) {
		code = rc;
		snprintf(why, sizeof(why), "%s", e.msg);
	} else if (fr->hash_state > 0 && (a = verify_differs(r->algos, &f->hash, &res)) >= 0) {
		code = SP_EMISMATCH;
		snprintf(why, sizeof(why), "the source read twice gave different data (%s %s, "
			 "then %s): the card or its reader is unreliable",
			 hash_algo_name((enum hash_algo)a), f->hash.v[a].str, res.v[a].str);
	}
	if (code != 0 && fr->hash_state > 0) {
		free(f->source_error);
		f->source_error = strdup(why);
		fr->source_code = code;
	}
	fr->sv_state = code == 0 && fr->hash_state > 0 ? 1 : -1;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->mu);
}

void *
ofl_source_verifier(void *arg)
{
	struct ofl_run *r = arg;
	unsigned char *buf = NULL;
	struct ofl_item it;

	if (posix_memalign((void **)&buf, OFL_ALIGN, r->bsize) != 0)
		buf = NULL;
	while (verify_pop(r, &r->svq, &it)) {
		if (buf != NULL) {
			verify_source_one(r, it.file, buf);
			continue;
		}
		pthread_mutex_lock(&r->mu);
		r->fr[it.file].sv_state = -1;
		r->fr[it.file].source_code = SP_ENOMEM;
		pthread_cond_broadcast(&r->cond);
		pthread_mutex_unlock(&r->mu);
	}
	verify_exit(r, buf);
	return NULL;
}
