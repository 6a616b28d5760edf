/* offload_pipe: one pass of the copy — a reader thread fills a ring of aligned
 * blocks from the source, a hasher thread and one writer thread per destination
 * consume them (each block is released when its last consumer is done with
 * it), and verify threads (offload_verify.c) read the copies back.
 *
 * The ring is a stream of slots numbered 0, 1, 2, ...; slot n lives in
 * slots[n % nslots]. Every consumer walks the whole stream in order and
 * handles the slots whose mask names it; a slot is reused only when no named
 * consumer still holds it, so a consumer that finds a newer number in a place
 * was simply not named for the older one. */
#include "lib/custody/offload_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PIPE_HASHER 1u

struct pipe_writer {
	struct ofl_run *r;
	size_t d;
	int fd, direct, failed;
	size_t file;
	char tmp[PATH_MAX];
};

static size_t
pipe_roundup(size_t n)
{
	return (n + OFL_ALIGN - 1) / OFL_ALIGN * OFL_ALIGN;
}

static void
pipe_thread_exit(struct ofl_run *r)
{
	pthread_mutex_lock(&r->mu);
	r->live--;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->mu);
}

/* --- the reader ------------------------------------------------------------ */

/* Waits for the next slot to be free; under run->mu. */
static struct ofl_slot *
pipe_acquire_locked(struct ofl_run *r)
{
	struct ofl_slot *s = &r->slots[r->published % r->nslots];

	while (s->refs > 0)
		pthread_cond_wait(&r->cond, &r->mu);
	return s;
}

static void
pipe_publish_locked(struct ofl_run *r, struct ofl_slot *s, size_t file, uint64_t off,
		    size_t len, unsigned flags, uint32_t mask)
{
	s->seq = r->published++;
	s->file = file;
	s->off = off;
	s->len = len;
	s->flags = flags;
	s->mask = mask;
	s->refs = (unsigned)__builtin_popcount(mask);
	pthread_cond_broadcast(&r->cond);
}

/* Which consumers take file k: the hasher and the writers of its destinations;
 * read-backs of copies in place are queued to the verify threads. Returns 0
 * when no destination needs the file any more. */
static uint32_t
pipe_consumers_locked(struct ofl_run *r, size_t k)
{
	uint32_t mask = PIPE_HASHER;
	int any = 0;

	for (size_t d = 0; d < r->ndst; d++) {
		struct ofl_cell *c = ofl_cell(r, k, d);
		struct ofl_item it = { .file = k, .fd = -1, .mode = OFL_CHECK };

		if (c->mode != OFL_WRITE && c->mode != OFL_CHECK)
			continue;
		if (r->dr[d].dead) {
			ofl_final_locked(r, k, d, OFFLOAD_FAILED, r->res->dests[d].code,
					 "not copied: the destination failed");
			continue;
		}
		any = 1;
		if (c->mode == OFL_WRITE)
			mask |= 1u << (1 + d);
		else if (ofl_queue_push_locked(&r->dr[d].vq, &it) < 0)
			ofl_final_locked(r, k, d, OFFLOAD_FAILED, SP_ENOMEM, "out of memory");
	}
	return any ? mask : 0;
}

/* Reads up to len bytes at off; with O_DIRECT a short read means end of file. */
static ssize_t
pipe_pread(int fd, int *direct, unsigned char *buf, size_t len, uint64_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, buf + got, len - got, (off_t)(off + got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EINVAL && *direct) {
			/* this file system refuses our alignment: read through the cache */
			int fl = fcntl(fd, F_GETFL);

			if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_DIRECT) < 0)
				return -1;
			*direct = 0;
			continue;
		}
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
		if (*direct && got % OFL_ALIGN != 0)
			break;
	}
	return (ssize_t)got;
}

static int
pipe_open_source(struct ofl_run *r, const struct offload_file *f, int *direct, char *why,
		 size_t whylen)
{
	char path[PATH_MAX];
	struct stat st;
	int fd, fl;

	snprintf(path, sizeof(path), "%s/%s", r->res->src, f->path);
	fd = ofl_open_read(AT_FDCWD, path);
	if (fd < 0) {
		snprintf(why, whylen, "cannot open the source: %s", strerror(errno));
		return err_from_errno(errno);
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size != f->size ||
	    st.st_mtim.tv_sec != f->mtime.tv_sec || st.st_mtim.tv_nsec != f->mtime.tv_nsec) {
		snprintf(why, whylen, "the source changed since the card was listed (size %lld, "
			 "now %lld)", (long long)f->size, (long long)st.st_size);
		close(fd);
		return SP_ECONFLICT;
	}
	*direct = 0;
	fl = fcntl(fd, F_GETFL);
	if (!(r->o->flags & OFFLOAD_NO_DIRECT) && fl >= 0 && fcntl(fd, F_SETFL, fl | O_DIRECT) == 0)
		*direct = 1;
	else
		posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	return fd;
}

/* After the last block: the file must still be what was read. */
static int
pipe_unchanged(int fd, const struct offload_file *f, char *why, size_t whylen)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		snprintf(why, whylen, "source: %s", strerror(errno));
		return SP_EIO;
	}
	if (st.st_size != f->size) {
		snprintf(why, whylen, "the source %s from %lld to %lld bytes while being read",
			 st.st_size < f->size ? "shrank" : "grew", (long long)f->size,
			 (long long)st.st_size);
		return SP_ECONFLICT;
	}
	if (st.st_mtim.tv_sec != f->mtime.tv_sec || st.st_mtim.tv_nsec != f->mtime.tv_nsec) {
		snprintf(why, whylen, "the source was modified while being read");
		return SP_ECONFLICT;
	}
	return 0;
}

/* Reads one block into s (not yet published). Returns bytes, or <0 with why. */
static ssize_t
pipe_read_block(struct ofl_run *r, int fd, int *direct, struct ofl_slot *s,
		const struct offload_file *f, uint64_t off, char *why, size_t whylen, int *code)
{
	size_t want = (uint64_t)f->size - off < r->bsize ? (size_t)((uint64_t)f->size - off)
							 : r->bsize;
	ssize_t got = pipe_pread(fd, direct, s->buf, pipe_roundup(want), off);

	if (got < 0) {
		*code = SP_EIO;
		snprintf(why, whylen, "read error in the source at byte %llu: %s",
			 (unsigned long long)off, strerror(errno));
		return -1;
	}
	if ((size_t)got != want) {
		*code = SP_ECONFLICT;
		snprintf(why, whylen, "the source %s while being read (%lld bytes listed, %s %llu)",
			 (size_t)got < want ? "shrank" : "grew", (long long)f->size,
			 (size_t)got < want ? "it ends at byte" : "more than",
			 (unsigned long long)(off + (uint64_t)got));
		return -1;
	}
	memset(s->buf + got, 0, pipe_roundup((size_t)got) - (size_t)got);
	return got;
}

static void
pipe_fail_source_locked(struct ofl_run *r, size_t k, int code, const char *why)
{
	struct offload_file *f = &r->res->files[k];

	if (f->source_error == NULL)
		f->source_error = strdup(why);
	r->fr[k].source_code = code;
}

/* The source of file k was read whole: drop it from the cache (a card is read
 * once) and queue the second read if asked. */
static void
pipe_read_done(struct ofl_run *r, size_t k, int fd, int direct, int code)
{
	struct ofl_item it = { .file = k, .fd = -1, .mode = OFL_CHECK };

	if (fd >= 0) {
		if (!direct)
			posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		close(fd);
	}
	if (code != 0 || !(r->o->flags & OFFLOAD_SOURCE_VERIFY))
		return;
	pthread_mutex_lock(&r->mu);
	if (ofl_queue_push_locked(&r->svq, &it) < 0) {
		r->fr[k].sv_state = -1;
		pipe_fail_source_locked(r, k, SP_ENOMEM, "out of memory");
	}
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->mu);
}

/* Streams file k into the ring, one block per slot; a failure (or a stop) is
 * published as an ABORT slot so that every consumer drops the file. */
static void
pipe_read_file(struct ofl_run *r, size_t k)
{
	const struct offload_file *f = &r->res->files[k];
	unsigned flags = OFL_FIRST;
	uint64_t off = 0;
	uint32_t mask;
	int fd, direct = 0, code = 0;
	char why[512];

	pthread_mutex_lock(&r->mu);
	mask = pipe_consumers_locked(r, k);
	r->current = f->path;
	pthread_mutex_unlock(&r->mu);
	if (mask == 0)
		return;
	if ((fd = pipe_open_source(r, f, &direct, why, sizeof(why))) < 0)
		code = fd;
	for (;;) {
		struct ofl_slot *s;
		ssize_t got = 0;

		if (code == 0 && r->o->test_delay_us)
			usleep(r->o->test_delay_us);
		pthread_mutex_lock(&r->mu);
		if (code == 0 && r->stopping) {
			code = SP_ECANCELED;
			snprintf(why, sizeof(why), "stopped (interrupted)");
		}
		s = pipe_acquire_locked(r);
		pthread_mutex_unlock(&r->mu);
		if (code == 0)
			got = pipe_read_block(r, fd, &direct, s, f, off, why, sizeof(why), &code);
		if (code == 0 && off + (uint64_t)got == (uint64_t)f->size &&
		    (code = pipe_unchanged(fd, f, why, sizeof(why))) == 0)
			flags |= OFL_LAST;
		pthread_mutex_lock(&r->mu);
		if (code != 0)
			pipe_fail_source_locked(r, k, code, why);
		pipe_publish_locked(r, s, k, off, code ? 0 : (size_t)got,
				    code ? flags | OFL_ABORT : flags, mask);
		r->pass_read += code ? 0 : (uint64_t)got;
		r->res->bytes_read += code ? 0 : (uint64_t)got;
		pthread_mutex_unlock(&r->mu);
		if (code != 0 || (flags & OFL_LAST))
			break;
		off += (uint64_t)got;
		flags = 0;
	}
	pipe_read_done(r, k, fd, direct, code);
}

static uint32_t
pipe_all_consumers(const struct ofl_run *r)
{
	uint32_t mask = PIPE_HASHER;

	for (size_t d = 0; d < r->ndst; d++)
		if (r->dr[d].card_fd >= 0)
			mask |= 1u << (1 + d);
	return mask;
}

/* Tests only (opts.test_gate): waits for the gate file, so a test sees what happens while the
 * last file is still to come. */
static void
pipe_test_gate(struct ofl_run *r)
{
	for (;;) {
		int stop;

		pthread_mutex_lock(&r->mu);
		stop = r->stopping;
		pthread_mutex_unlock(&r->mu);
		if (stop || access(r->o->test_gate, F_OK) == 0)
			return;
		usleep(20000);
	}
}

static void *
pipe_reader(void *arg)
{
	struct ofl_run *r = arg;
	struct ofl_slot *s;

	for (size_t i = 0; i < r->npass; i++) {
		int stop;

		pthread_mutex_lock(&r->mu);
		stop = r->stopping;
		pthread_mutex_unlock(&r->mu);
		if (stop)
			break; /* the files not reached stay pending: "stopped before it" */
		if (i > 0 && i + 1 == r->npass && r->o->test_gate)
			pipe_test_gate(r);
		pipe_read_file(r, r->pass[i]);
	}
	pthread_mutex_lock(&r->mu);
	s = pipe_acquire_locked(r);
	pipe_publish_locked(r, s, 0, 0, 0, OFL_END, pipe_all_consumers(r));
	r->current = NULL;
	r->svq.closed = 1;
	pthread_mutex_unlock(&r->mu);
	pipe_thread_exit(r);
	return NULL;
}

/* --- consumers -------------------------------------------------------------- */

/* Next slot for consumer bit `me` at or after *cursor, or NULL for END.
 * On return *copy holds the slot's fields (the buffer stays in place). */
static struct ofl_slot *
pipe_next(struct ofl_run *r, uint32_t me, uint64_t *cursor, struct ofl_slot *copy)
{
	pthread_mutex_lock(&r->mu);
	for (;; (*cursor)++) {
		struct ofl_slot *s;

		while (r->published <= *cursor)
			pthread_cond_wait(&r->cond, &r->mu);
		s = &r->slots[*cursor % r->nslots];
		if (s->seq != *cursor || !(s->mask & me))
			continue;
		*copy = *s;
		(*cursor)++;
		pthread_mutex_unlock(&r->mu);
		return s;
	}
}

static void
pipe_release(struct ofl_run *r, struct ofl_slot *s, uint64_t *counter, size_t bytes)
{
	pthread_mutex_lock(&r->mu);
	if (counter != NULL)
		*counter += bytes;
	if (--s->refs == 0)
		pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->mu);
}

static int
pipe_differs(unsigned algos, const struct hash_result *a, const struct hash_result *b)
{
	for (int i = 0; i < HASH_NALGOS; i++)
		if ((algos & HASH_BIT(i)) && strcmp(a->v[i].str, b->v[i].str) != 0)
			return 1;
	return 0;
}

static void
pipe_hash_done(struct ofl_run *r, size_t k, struct hash_ctx *ctx, int ok)
{
	struct offload_file *f = &r->res->files[k];
	struct ofl_frun *fr = &r->fr[k];
	struct hash_result res;
	struct err e;
	int rc = ok ? hash_final(ctx, &res, &e) : SP_EIO;

	hash_release(ctx);
	pthread_mutex_lock(&r->mu);
	if (rc == 0 && fr->has_prev && pipe_differs(r->algos, &res, &fr->prev)) {
		pipe_fail_source_locked(r, k, SP_EMISMATCH, "the source read differently than on "
					"the first read: the card or its reader is unreliable");
		rc = SP_EMISMATCH;
	} else if (rc < 0 && ok) {
		pipe_fail_source_locked(r, k, rc, e.msg);
	}
	if (rc == 0) {
		f->hash = res;
		f->hashed = 1;
		f->hashdate = time(NULL);
	}
	fr->hash_state = rc == 0 ? 1 : -1;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->mu);
}

static void *
pipe_hasher(void *arg)
{
	struct ofl_run *r = arg;
	struct hash_ctx ctx;
	struct ofl_slot c, *s;
	uint64_t cursor = 0;
	struct err e;
	int ok = 0;

	memset(&ctx, 0, sizeof(ctx));
	while ((s = pipe_next(r, PIPE_HASHER, &cursor, &c)) != NULL && !(c.flags & OFL_END)) {
		if (c.flags & OFL_FIRST)
			ok = hash_init(&ctx, r->algos, &e) == 0;
		if (ok && c.len > 0)
			hash_update(&ctx, s->buf, c.len);
		pipe_release(r, s, NULL, 0);
		if (c.flags & (OFL_LAST | OFL_ABORT))
			pipe_hash_done(r, c.file, &ctx, ok && !(c.flags & OFL_ABORT));
	}
	if (s != NULL)
		pipe_release(r, s, NULL, 0);
	hash_release(&ctx);
	pipe_thread_exit(r);
	return NULL;
}

/* --- writers ---------------------------------------------------------------- */

static int
pipe_is_fatal(int e)
{
	return e == ENOSPC || e == EDQUOT || e == EROFS || e == ENODEV || e == ENXIO;
}

/* Fails file w->file on this destination for a write error; a full or vanished
 * destination takes no more files. */
static void
pipe_write_failed(struct pipe_writer *w, int e, const char *what)
{
	struct ofl_run *r = w->r;
	const char *name = r->res->files[w->file].path;
	const char *msg = e == ENOSPC || e == EDQUOT ? "no space left on device" : strerror(e);

	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	if (w->tmp[0] != '\0')
		unlinkat(r->dr[w->d].card_fd, w->tmp, 0);
	w->failed = 1;
	pthread_mutex_lock(&r->mu);
	ofl_final_locked(r, w->file, w->d, OFFLOAD_FAILED, err_from_errno(e), "%s%s%s", what,
			 *what ? ": " : "", msg);
	if (pipe_is_fatal(e))
		ofl_dest_fail_locked(r, w->d, err_from_errno(e), "destination %s: %s (while "
				     "writing %s)", r->res->dests[w->d].path, msg, name);
	pthread_mutex_unlock(&r->mu);
}

static void
pipe_writer_open(struct pipe_writer *w, size_t k)
{
	struct ofl_run *r = w->r;
	const struct offload_file *f = &r->res->files[k];
	int card = r->dr[w->d].card_fd, fl;

	w->file = k;
	w->failed = 0;
	w->direct = 0;
	w->tmp[0] = '\0'; /* the previous file's may still wait for its verify thread */
	pthread_mutex_lock(&r->mu);
	if (r->dr[w->d].dead) { /* failed since the reader queued the file */
		ofl_final_locked(r, k, w->d, OFFLOAD_FAILED, r->res->dests[w->d].code,
				 "not copied: the destination failed");
		w->failed = 1;
	}
	pthread_mutex_unlock(&r->mu);
	if (w->failed)
		return;
	if (ofl_temp_path(f->path, k, w->tmp, sizeof(w->tmp)) < 0) {
		w->tmp[0] = '\0';
		return pipe_write_failed(w, ENAMETOOLONG, "temporary name");
	}
	w->fd = openat(card, w->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		       (f->mode & 0777) | 0600);
	if (w->fd < 0)
		return pipe_write_failed(w, errno, "cannot create the copy");
	/* claim the space now: a full destination fails before any byte is written */
	if (f->size > 0 && fallocate(w->fd, 0, 0, (off_t)f->size) < 0 &&
	    errno != EOPNOTSUPP && errno != ENOSYS)
		return pipe_write_failed(w, errno, "");
	fl = fcntl(w->fd, F_GETFL);
	if (!(r->o->flags & OFFLOAD_NO_DIRECT) && !r->dr[w->d].is_memory && fl >= 0 &&
	    fcntl(w->fd, F_SETFL, fl | O_DIRECT) == 0)
		w->direct = 1;
	pthread_mutex_lock(&r->mu);
	r->dr[w->d].writing = 1;
	pthread_mutex_unlock(&r->mu);
}

static int
pipe_pwrite(struct pipe_writer *w, const unsigned char *buf, size_t len, uint64_t off)
{
	size_t done = 0, n = w->direct ? pipe_roundup(len) : len;

	while (done < n) {
		ssize_t k = pwrite(w->fd, buf + done, n - done, (off_t)(off + done));

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == EINVAL && w->direct) {
			int fl = fcntl(w->fd, F_GETFL);

			if (fl < 0 || fcntl(w->fd, F_SETFL, fl & ~O_DIRECT) < 0)
				return -1;
			w->direct = 0;
			n = len;
			continue;
		}
		if (k <= 0)
			return k == 0 ? (errno = EIO, -1) : -1;
		done += (size_t)k;
	}
	return 0;
}

/* The whole file is written: trim O_DIRECT's padding, set its times, and hand
 * it (with its descriptor, for fsync) to the destination's verify thread. */
static void
pipe_writer_close(struct pipe_writer *w)
{
	struct ofl_run *r = w->r;
	const struct offload_file *f = &r->res->files[w->file];
	struct timespec ts[2] = { f->atime, f->mtime };
	struct ofl_item it = { .file = w->file, .fd = w->fd, .mode = OFL_WRITE };

	if (ftruncate(w->fd, (off_t)f->size) < 0 || futimens(w->fd, ts) < 0)
		return pipe_write_failed(w, errno, "");
	pthread_mutex_lock(&r->mu);
	if (ofl_queue_push_locked(&r->dr[w->d].vq, &it) < 0) {
		pthread_mutex_unlock(&r->mu);
		return pipe_write_failed(w, ENOMEM, "");
	}
	r->dr[w->d].writing = 0;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->mu);
	w->fd = -1;
	w->tmp[0] = '\0'; /* the verify thread's now */
}

/* The source failed or the run stopped: the partial copy goes. */
static void
pipe_writer_abort(struct pipe_writer *w)
{
	struct ofl_run *r = w->r;
	const char *why;
	int code;

	if (w->fd >= 0) {
		close(w->fd);
		unlinkat(r->dr[w->d].card_fd, w->tmp, 0);
		w->fd = -1;
	}
	pthread_mutex_lock(&r->mu);
	why = r->res->files[w->file].source_error;
	code = r->fr[w->file].source_code;
	ofl_final_locked(r, w->file, w->d, code == SP_ECANCELED ? OFFLOAD_CANCELED : OFFLOAD_FAILED,
			 code ? code : SP_EIO, "%s; nothing verified, no copy left",
			 why ? why : "the source failed");
	r->dr[w->d].writing = 0;
	pthread_mutex_unlock(&r->mu);
}

/* Ctrl-C: the copy in progress goes at once. */
static void
pipe_writer_cancel(struct pipe_writer *w)
{
	struct ofl_run *r = w->r;

	if (w->fd >= 0) {
		close(w->fd);
		unlinkat(r->dr[w->d].card_fd, w->tmp, 0);
		w->fd = -1;
	}
	w->failed = 1;
	pthread_mutex_lock(&r->mu);
	ofl_final_locked(r, w->file, w->d, OFFLOAD_CANCELED, SP_ECANCELED, "stopped "
			 "(interrupted); nothing verified, no copy left");
	r->dr[w->d].writing = 0;
	pthread_mutex_unlock(&r->mu);
}

static void
pipe_writer_slot(struct pipe_writer *w, const struct ofl_slot *c, const unsigned char *buf)
{
	int stopping;

	if ((c->flags & (OFL_FIRST | OFL_ABORT)) == (OFL_FIRST | OFL_ABORT)) {
		w->file = c->file;
		w->fd = -1;
		w->failed = 0;
		w->tmp[0] = '\0';
	} else if (c->flags & OFL_FIRST) {
		pipe_writer_open(w, c->file);
	}
	if (c->flags & OFL_ABORT) {
		if (!w->failed)
			pipe_writer_abort(w);
		w->tmp[0] = '\0';
		return;
	}
	pthread_mutex_lock(&w->r->mu);
	stopping = w->r->stopping;
	pthread_mutex_unlock(&w->r->mu);
	if (stopping && !w->failed) {
		pipe_writer_cancel(w);
		return;
	}
	if (w->failed)
		return;
	if (c->len > 0 && pipe_pwrite(w, buf, c->len, c->off) < 0)
		return pipe_write_failed(w, errno, "write error");
	if (c->flags & OFL_LAST)
		pipe_writer_close(w);
}

static void *
pipe_writer(void *arg)
{
	struct pipe_writer *w = arg;
	struct ofl_run *r = w->r;
	struct offload_dest *dst = &r->res->dests[w->d];
	uint32_t me = 1u << (1 + w->d);
	struct ofl_slot c, *s;
	uint64_t cursor = 0;

	while ((s = pipe_next(r, me, &cursor, &c)) != NULL && !(c.flags & OFL_END)) {
		pipe_writer_slot(w, &c, s->buf);
		pipe_release(r, s, &dst->bytes_written, w->failed ? 0 : c.len);
	}
	if (w->fd >= 0) { /* not reached: every file ends with LAST or ABORT */
		close(w->fd);
		unlinkat(r->dr[w->d].card_fd, w->tmp, 0);
	}
	pthread_mutex_lock(&r->mu);
	if (s != NULL && --s->refs == 0)
		pthread_cond_broadcast(&r->cond);
	r->dr[w->d].vq.closed = 1;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->mu);
	pipe_thread_exit(r);
	return NULL;
}

/* --- the pass ---------------------------------------------------------------- */

static int
pipe_alloc(struct ofl_run *r, struct err *err)
{
	r->bsize = r->o->block_size ? r->o->block_size : OFL_DEF_BLOCK;
	r->nslots = r->o->nblocks ? r->o->nblocks : OFL_DEF_NBLOCKS;
	if (r->nslots < 2)
		r->nslots = 2;
	r->slots = calloc(r->nslots, sizeof(*r->slots));
	if (r->slots == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	for (size_t i = 0; i < r->nslots; i++) {
		if (posix_memalign((void **)&r->slots[i].buf, OFL_ALIGN, r->bsize) != 0)
			return err_set(err, SP_ENOMEM, "out of memory for %zu blocks of %zu bytes",
				       r->nslots, r->bsize);
		r->slots[i].seq = UINT64_MAX;
	}
	return 0;
}

static void
pipe_free(struct ofl_run *r)
{
	for (size_t i = 0; r->slots && i < r->nslots; i++)
		free(r->slots[i].buf);
	free(r->slots);
	r->slots = NULL;
}

static int
pipe_spawn(struct ofl_run *r, pthread_t *t, size_t *n, void *(*fn)(void *), void *arg)
{
	pthread_mutex_lock(&r->mu);
	r->live++;
	pthread_mutex_unlock(&r->mu);
	if (pthread_create(&t[*n], NULL, fn, arg) != 0) {
		pthread_mutex_lock(&r->mu);
		r->live--;
		pthread_mutex_unlock(&r->mu);
		return -1;
	}
	(*n)++;
	return 0;
}

/* Written copies no verify thread took (it could not start): they go. */
static void
pipe_drain(struct ofl_run *r)
{
	char tmp[PATH_MAX];

	for (size_t d = 0; d < r->ndst; d++) {
		struct ofl_queue *q = &r->dr[d].vq;

		for (; q->n > 0; q->n--, q->head++) {
			const struct ofl_item *it = &q->v[q->head];

			if (it->fd < 0)
				continue;
			close(it->fd);
			if (ofl_temp_path(r->res->files[it->file].path, it->file, tmp, sizeof(tmp)) == 0)
				unlinkat(r->dr[d].card_fd, tmp, 0);
		}
		q->head = 0;
	}
}

/* Runs one pass over r->pass and waits for it, delivering events meanwhile.
 * Consumers start before the reader; if one cannot start, the run stops. */
int
ofl_pass(struct ofl_run *r, struct err *err)
{
	struct pipe_writer w[OFFLOAD_MAX_DESTS];
	struct ofl_vctx v[OFFLOAD_MAX_DESTS];
	pthread_t t[2 * OFFLOAD_MAX_DESTS + 3];
	size_t n = 0;
	int rc = pipe_alloc(r, err), bad = 0;

	if (rc < 0) {
		pipe_free(r);
		return rc;
	}
	r->published = 0;
	r->svq.closed = 0;
	bad |= pipe_spawn(r, t, &n, pipe_hasher, r);
	for (size_t d = 0; d < r->ndst; d++) {
		if (r->dr[d].card_fd < 0)
			continue;
		r->dr[d].vq.closed = 0;
		w[d] = (struct pipe_writer){ .r = r, .d = d, .fd = -1 };
		v[d] = (struct ofl_vctx){ .r = r, .d = d };
		bad |= pipe_spawn(r, t, &n, pipe_writer, &w[d]);
		bad |= pipe_spawn(r, t, &n, ofl_verifier, &v[d]);
	}
	if (r->o->flags & OFFLOAD_SOURCE_VERIFY)
		bad |= pipe_spawn(r, t, &n, ofl_source_verifier, r);
	if (bad) {
		pthread_mutex_lock(&r->mu);
		r->stopping = 1;
		pthread_mutex_unlock(&r->mu);
		rc = err_set(err, SP_EINTERNAL, "cannot start the copy threads");
	}
	if (pipe_spawn(r, t, &n, pipe_reader, r) < 0) {
		r->live++;
		pipe_reader(r); /* on this thread, then */
	}
	ofl_wait(r);
	for (size_t i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	pipe_drain(r);
	pipe_free(r);
	return rc;
}
