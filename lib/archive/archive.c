/* archive: originals and sound to LTO tape, read back in tape order (see archive.h). */
#include "lib/archive/archive.h"
#include "lib/archive/ltfs.h"
#include "lib/archive/tape_card.h"
#include "lib/core/clock.h"
#include "lib/core/file.h"
#include "lib/core/hash.h"
#include "lib/custody/confine.h"
#include "lib/custody/locate.h"
#include "lib/custody/verification.h"
#include "lib/store/event.h"
#include "lib/store/params.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Room kept on a tape for the cards' reports and ASC MHL histories and the LTFS index: 16 MiB,
 * or a 32nd of a small tape. */
#define ARCHIVE_RESERVE (16u << 20)

struct afile {
	long long id, card_id;
	char *rel, *card, *day;
	uint64_t size;
	int algo;                      /* enum hash_algo of hash */
	char hash[HASH_STR_MAX];
	bool done;                     /* verified on a tape */
};

struct pending {
	size_t f;                      /* index in run.f */
	long long copy_id, seq, block;
	char *tape_rel;
};

struct run {
	struct db *db;
	const struct archive_opts *o;
	char host[256];
	struct afile *f;
	size_t nf;
	struct ltfs_tape tape;
	long long tape_id;             /* 0: no tape accepted */
	struct db_conn *lock;          /* holds the tape's advisory lock */
	struct pending *p;
	size_t np, pcap;
	uint64_t bytes_done, bytes_total;
	int files_done, files_total, written, verified, failed, already;
	json_t *tapes;                 /* {key: {id, label, ...}} */
	json_t *full;                  /* keys of tapes found full in this run */
	int reports_missing;           /* card parts whose history on tape has no report */
	char report_why[700];          /* why the first one has none */
	char msg[512];
};

/* --- the plan -------------------------------------------------------------------------- */

static const struct db_stmt stmt_plan = { "archive_plan",
	"SELECT f.id, f.rel_path, f.size, k.id, k.label, d.shoot_date::text,"
	" (SELECT h.algorithm || ' ' || h.value FROM hashes h WHERE h.file_id = f.id"
	"  ORDER BY h.algorithm = p.hash_algorithm DESC, h.algorithm LIMIT 1),"
	" EXISTS (SELECT 1 FROM copies cp JOIN tapes t ON t.volume_id = cp.volume_id"
	"  WHERE cp.file_id = f.id AND cp.state = 'verified')"
	" FROM files f JOIN cards k ON k.id = f.card_id JOIN days d ON d.id = k.day_id"
	" JOIN productions p ON p.id = d.production_id"
	" WHERE d.production_id = $1 AND ($2::date IS NULL OR d.shoot_date = $2::date)"
	" AND ($3::text[] IS NULL OR k.label = ANY ($3::text[]))"
	" AND ($5::text IS NULL OR k.kind = $5)"
	" ORDER BY d.shoot_date, k.label, CASE WHEN $4 = 'size' THEN f.size END DESC NULLS LAST,"
	" f.rel_path", 5 };

static int
plan_labels(const char *const *cards, char *out, size_t len, struct err *err)
{
	size_t at = 0;

	at += (size_t)snprintf(out, len, "{");
	for (size_t i = 0; cards[i]; i++) {
		if (strpbrk(cards[i], "\"\\{},") || at + strlen(cards[i]) + 4 >= len)
			return err_set(err, SP_EINVAL, "card label '%s': not a label", cards[i]);
		at += (size_t)snprintf(out + at, len - at, "%s\"%s\"", i ? "," : "", cards[i]);
	}
	snprintf(out + at, len - at, "}");
	return 0;
}

static int
plan_load(struct run *x, struct err *err)
{
	char labels[8192];
	struct db_params q = { 0 };
	PGresult *r;
	int n, rc;

	if (x->o->cards && (rc = plan_labels(x->o->cards, labels, sizeof(labels), err)) < 0)
		return rc;
	db_param_ll(&q, x->o->production_id);
	db_param_str(&q, x->o->day);
	db_param_str(&q, x->o->cards ? labels : NULL);
	db_param_str(&q, x->o->order == ARCHIVE_BY_NAME ? "name" : "size");
	db_param_str(&q, x->o->kind);
	if ((n = db_exec(x->db, &stmt_plan, q.v, &r, err)) < 0)
		return n;
	if ((x->f = calloc((size_t)n + 1, sizeof(*x->f))) == NULL) {
		PQclear(r);
		return err_set(err, SP_ENOMEM, "out of memory");
	}
	for (int i = 0; i < n; i++) {
		struct afile *f = &x->f[x->nf++];
		const char *h = db_val(r, i, 6), *sp;
		f->id = db_ll(r, i, 0);
		f->rel = strdup(PQgetvalue(r, i, 1));
		f->size = (uint64_t)db_ll(r, i, 2);
		f->card_id = db_ll(r, i, 3);
		f->card = strdup(PQgetvalue(r, i, 4));
		f->day = strdup(PQgetvalue(r, i, 5));
		f->done = db_bool(r, i, 7);
		f->algo = -1;
		if (h && (sp = strchr(h, ' ')) != NULL) {
			char name[16];
			snprintf(name, sizeof(name), "%.*s", (int)(sp - h), h);
			f->algo = hash_algo_from_name(name);
			snprintf(f->hash, sizeof(f->hash), "%s", sp + 1);
		}
		if (f->rel == NULL || f->card == NULL || f->day == NULL) {
			PQclear(r);
			return err_set(err, SP_ENOMEM, "out of memory");
		}
		if (f->done)
			x->already++;
		else {
			x->files_total++;
			x->bytes_total += 2 * f->size;
		}
	}
	PQclear(r);
	if (n == 0)
		return err_set(err, SP_ENOTFOUND, "nothing to archive: no registered files for %s",
		    x->o->cards ? "these cards" : x->o->day ? "this day" : "this production");
	return 0;
}

/* --- progress ---------------------------------------------------------------------------- */

static int
tell(struct run *x, const char *state, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
tell(struct run *x, const char *state, const char *fmt, ...)
{
	struct archive_progress p = { state, x->tape_id ? x->tape.label : NULL, x->msg,
		x->bytes_done, x->bytes_total, x->files_done, x->files_total };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->msg, sizeof(x->msg), fmt, ap);
	va_end(ap);
	return x->o->progress ? x->o->progress(x->o->arg, &p) : 0;
}

/* --- the tape ---------------------------------------------------------------------------- */

static const struct db_stmt stmt_lock = { "archive_tape_lock",
	"SELECT pg_try_advisory_lock(hashtext('setpost-tape:' || $1))", 1 };
static const struct db_stmt stmt_unlock = { "archive_tape_unlock",
	"SELECT pg_advisory_unlock(hashtext('setpost-tape:' || $1))", 1 };
static const struct db_stmt stmt_known = { "archive_tape_known",
	"SELECT t.state, t.volume_id FROM tapes t JOIN volumes v ON v.id = t.volume_id"
	" WHERE v.fs_uuid = $1", 1 };
/* The files on the tape that exist verified nowhere else: while there is one, the tape is
 * not written (appending risks the only copy). */
static const struct db_stmt stmt_alone = { "archive_tape_alone",
	"SELECT count(*), min(f.rel_path) FROM copies cp JOIN files f ON f.id = cp.file_id"
	" WHERE cp.volume_id = $1 AND NOT EXISTS (SELECT 1 FROM copies o WHERE o.file_id ="
	" cp.file_id AND o.volume_id <> $1 AND o.state = 'verified')", 1 };
static const struct db_stmt stmt_volume = { "archive_tape_volume",
	"INSERT INTO volumes (name, kind, fs_uuid) VALUES ($1, 'lto', $2) ON CONFLICT (fs_uuid)"
	" DO UPDATE SET kind = 'lto', name = EXCLUDED.name RETURNING id", 2 };
static const struct db_stmt stmt_mount = { "archive_tape_mount",
	"INSERT INTO volume_mounts (volume_id, host, mount_path) VALUES ($1, $2, $3)"
	" ON CONFLICT (volume_id, host) DO UPDATE SET mount_path = EXCLUDED.mount_path", 3 };
static const struct db_stmt stmt_tape = { "archive_tape_put",
	"INSERT INTO tapes (volume_id, ltfs_uuid, ltfs_name, barcode, bytes_total, bytes_free)"
	" VALUES ($1, nullif($2, ''), nullif($3, ''), nullif($4, ''), $5, $6)"
	" ON CONFLICT (volume_id) DO UPDATE SET ltfs_name = coalesce(EXCLUDED.ltfs_name,"
	" tapes.ltfs_name), barcode = coalesce(EXCLUDED.barcode, tapes.barcode),"
	" bytes_total = EXCLUDED.bytes_total, bytes_free = EXCLUDED.bytes_free, updated_at = now()", 6 };
static const struct db_stmt stmt_full = { "archive_tape_full",
	"UPDATE tapes SET state = 'full', bytes_free = $2, updated_at = now() WHERE volume_id = $1", 2 };
static const struct db_stmt stmt_free = { "archive_tape_free",
	"UPDATE tapes SET bytes_free = $2, updated_at = now() WHERE volume_id = $1", 2 };

static void
tape_release(struct run *x)
{
	if (x->lock) {
		const char *p[1] = { x->tape.key };
		PGresult *r;
		if (db_query(x->lock, &stmt_unlock, p, &r, NULL) >= 0)
			PQclear(r);
		db_release(x->db, x->lock);
		x->lock = NULL;
	}
	x->tape_id = 0;
}

/* Whether the tape t may be written; *why says why not (0: yes; 1: no, with why). */
static int
tape_accept(struct run *x, struct ltfs_tape *t, char *why, size_t wlen, struct err *err)
{
	const char *pk[1] = { t->key };
	long long id = 0;
	PGresult *r;
	bool blank, got;
	int n;

	if (json_object_get(x->full, t->key)) {
		snprintf(why, wlen, "tape %s is full", t->label);
		return 1;
	}
	if ((n = db_exec(x->db, &stmt_known, pk, &r, err)) < 0)
		return n;
	if (n > 0 && strcmp(PQgetvalue(r, 0, 0), "full") == 0) {
		PQclear(r);
		snprintf(why, wlen, "tape %s is full", t->label);
		return 1;
	}
	id = n > 0 ? db_ll(r, 0, 1) : 0;
	PQclear(r);
	if (id == 0) {
		if ((n = ltfs_is_blank(t, &blank, err)) < 0)
			return n;
		if (!blank) {
			snprintf(why, wlen, "tape %s holds files the catalogue does not know: it is "
			    "not appended to (insert a blank tape or one setpost wrote)", t->label);
			return 1;
		}
	} else {
		struct db_params qa = { 0 };
		db_param_ll(&qa, id);
		if ((n = db_exec(x->db, &stmt_alone, qa.v, &r, err)) < 0)
			return n;
		if (db_ll(r, 0, 0) > 0) {
			snprintf(why, wlen, "tape %s holds %lld files with no verified copy elsewhere "
			    "(%s): it is not appended to", t->label, db_ll(r, 0, 0), PQgetvalue(r, 0, 1));
			PQclear(r);
			return 1;
		}
		PQclear(r);
	}
	/* One stream: one run writes a tape. */
	if ((n = db_acquire(x->db, &x->lock, err)) < 0)
		return n;
	if ((n = db_query(x->lock, &stmt_lock, pk, &r, err)) < 0) {
		db_release(x->db, x->lock);
		x->lock = NULL;
		return n;
	}
	got = db_bool(r, 0, 0);
	PQclear(r);
	if (!got) {
		db_release(x->db, x->lock);
		x->lock = NULL;
		snprintf(why, wlen, "tape %s is being written by another run", t->label);
		return 1;
	}
	const char *pv[2] = { t->label, t->key };
	if ((n = db_exec(x->db, &stmt_volume, pv, &r, err)) < 0)
		goto fail;
	id = db_ll(r, 0, 0);
	PQclear(r);
	struct db_params pm = { 0 }, pt = { 0 };
	db_param_ll(&pm, id);
	db_param_str(&pm, x->host);
	db_param_str(&pm, t->mount);
	db_param_ll(&pt, id);
	db_param_str(&pt, t->uuid);
	db_param_str(&pt, t->name);
	db_param_str(&pt, t->barcode);
	db_param_ull(&pt, t->total);
	db_param_ull(&pt, t->avail);
	if ((n = db_exec(x->db, &stmt_mount, pm.v, &r, err)) < 0)
		goto fail;
	PQclear(r);
	if ((n = db_exec(x->db, &stmt_tape, pt.v, &r, err)) < 0)
		goto fail;
	PQclear(r);
	x->tape = *t;
	x->tape_id = id;
	if (!json_object_get(x->tapes, t->key))
		json_object_set_new(x->tapes, t->key, json_pack("{s:I,s:s,s:s,s:s,s:i}", "id",
		    (json_int_t)id, "label", t->label, "key", t->key, "barcode", t->barcode,
		    "files", 0));
	return 0;
fail:
	x->tape = *t;
	tape_release(x);
	return n;
}

static void
archive_nap(void)
{
	struct timespec ts = { 0, 250 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

/* Waits for a tape that may be written at the mount point: the one mounted now, or the next. */
static int
tape_wait(struct run *x, const char *reason, struct err *err)
{
	double t0 = clock_now();
	struct ltfs_tape t;
	char why[512] = "";
	struct err e;
	int rc;

	for (;;) {
		if ((rc = ltfs_identify(x->o->tape, x->host, &t, &e)) == 0) {
			if ((rc = tape_accept(x, &t, why, sizeof(why), err)) <= 0)
				return rc;
		} else
			snprintf(why, sizeof(why), "%s", e.msg);
		if (tell(x, "waiting", "%s%s at %s (%s)", reason ? reason : "no tape to write",
		    reason ? ": insert the next tape and mount it" : ": insert a tape and mount it",
		    x->o->tape, why))
			return err_set(err, SP_ECANCELED, "archive stopped while waiting for a tape");
		if (x->o->wait_seconds >= 0 && clock_now() - t0 >= x->o->wait_seconds)
			return err_set(err, reason ? SP_ENOSPACE : SP_EUNAVAIL, "%s%sno tape to write "
			    "at %s (%s): insert the next tape and run the archive again; it goes on "
			    "from the first file not verified on tape", reason ? reason : "",
			    reason ? "; " : "", x->o->tape, why);
		archive_nap();
	}
}

static int
tape_mark_full(struct run *x, struct err *err)
{
	struct db_params q = { 0 };
	PGresult *r;
	int n;

	ltfs_space(&x->tape, NULL);
	db_param_ll(&q, x->tape_id);
	db_param_ull(&q, x->tape.avail);
	if ((n = db_exec(x->db, &stmt_full, q.v, &r, err)) < 0)
		return n;
	PQclear(r);
	json_object_set_new(x->full, x->tape.key, json_true());
	json_object_set_new(json_object_get(x->tapes, x->tape.key), "state", json_string("full"));
	return 0;
}

/* --- one file to tape ---------------------------------------------------------------------- */

static const struct db_stmt stmt_copy = { "archive_copy",
	"INSERT INTO copies (file_id, volume_id, rel_path) VALUES ($1, $2, $3)"
	" ON CONFLICT (file_id, volume_id, rel_path) DO UPDATE SET rel_path = EXCLUDED.rel_path"
	" RETURNING id", 3 };
static const struct db_stmt stmt_seq = { "archive_seq",
	"INSERT INTO tape_files (copy_id, tape_id, seq) VALUES ($1, $2,"
	" (SELECT coalesce(max(seq), 0) + 1 FROM tape_files WHERE tape_id = $2))"
	" ON CONFLICT (copy_id) DO UPDATE SET copy_id = EXCLUDED.copy_id RETURNING seq", 2 };
/* A copy of the file written on this tape and not read back yet (a run that stopped). */
static const struct db_stmt stmt_unread = { "archive_unread",
	"SELECT cp.id, cp.rel_path, tf.seq FROM copies cp JOIN tape_files tf ON tf.copy_id = cp.id"
	" WHERE cp.file_id = $1 AND cp.volume_id = $2 AND cp.state = 'copying'"
	" ORDER BY tf.seq DESC LIMIT 1", 2 };

static int
pending_add(struct run *x, size_t f, long long copy_id, long long seq, const char *rel,
    struct err *err)
{
	if (x->np == x->pcap) {
		size_t cap = x->pcap ? 2 * x->pcap : 64;
		struct pending *p = realloc(x->p, cap * sizeof(*p));
		if (p == NULL)
			return err_set(err, SP_ENOMEM, "out of memory");
		x->p = p;
		x->pcap = cap;
	}
	x->p[x->np] = (struct pending){ f, copy_id, seq, -1, strdup(rel) };
	if (x->p[x->np].tape_rel == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	x->np++;
	return 0;
}

struct copy_arg {
	struct run *x;
	size_t f;
	const char *rel;
	long long copy_id, seq;
	const char *failed;            /* a partial file: recorded failed with this reason */
};

static int
copy_tx(struct db_conn *c, void *arg, struct err *err)
{
	struct copy_arg *a = arg;
	struct db_params p = { 0 }, ps = { 0 };
	PGresult *r;
	int n;

	db_param_ll(&p, a->x->f[a->f].id);
	db_param_ll(&p, a->x->tape_id);
	db_param_str(&p, a->rel);
	if ((n = db_query(c, &stmt_copy, p.v, &r, err)) < 0)
		return n;
	a->copy_id = db_ll(r, 0, 0);
	PQclear(r);
	db_param_ll(&ps, a->copy_id);
	db_param_ll(&ps, a->x->tape_id);
	if ((n = db_query(c, &stmt_seq, ps.v, &r, err)) < 0)
		return n;
	a->seq = db_ll(r, 0, 0);
	PQclear(r);
	if (a->failed) {
		struct verification v = { .copy_id = a->copy_id, .source = "archive",
			.tool = "setpost archive", .result = "failed", .error = a->failed };
		return (n = verification_record(c, &v, a->x->o->actor, err)) < 0 ? n : 0;
	}
	return 0;
}

/* A name on the tape for the file: <day>/<card>/<path>; beside a partial file left by an
 * earlier run, <path>.N (the partial is never rewritten). */
static void
tape_name(struct run *x, const struct afile *f, char *out, size_t len)
{
	snprintf(out, len, "%s/%s/%s", f->day, f->card, f->rel);
	for (int i = 1; ltfs_exists(&x->tape, out) && i < 1000; i++)
		snprintf(out, len, "%s/%s/%s.%d", f->day, f->card, f->rel, i);
}

/* Writes file i to the mounted tape. 0: written (pending its read-back); 1: it does not fit
 * (the tape is full); < 0: failed. */
static int
write_one(struct run *x, size_t i, struct err *err)
{
	struct afile *f = &x->f[i];
	char src[PATH_MAX], rel[PATH_MAX + 512];
	struct hash_result hr;
	struct db_conn *c;
	struct copy_arg a = { x, i, rel, 0, 0, NULL };
	uint64_t reserve;
	int fd, rc;

	if ((rc = ltfs_space(&x->tape, err)) < 0)
		return rc;
	reserve = x->tape.total / 32 < ARCHIVE_RESERVE ? x->tape.total / 32 : ARCHIVE_RESERVE;
	if (ltfs_need(&x->tape, f->size) + reserve > x->tape.avail)
		return 1;
	if ((rc = db_acquire(x->db, &c, err)) < 0)
		return rc;
	rc = locate_file(c, f->id, src, sizeof(src), err);
	db_release(x->db, c);
	if (rc < 0)
		return rc;
	if ((fd = open(src, O_RDONLY | O_CLOEXEC)) < 0)
		return err_errno(err, err_from_errno(errno), errno, "%s", src);
	tape_name(x, f, rel, sizeof(rel));
	if (tell(x, "writing", "%s/%s to tape %s", f->card, f->rel, x->tape.label)) {
		close(fd);
		return err_set(err, SP_ECANCELED, "archive stopped");
	}
	rc = ltfs_write_file(&x->tape, rel, fd, src, HASH_BIT(f->algo), &hr, NULL, NULL, err);
	close(fd);
	if (rc == SP_ENOSPACE) {
		/* The partial file stays on the tape, recorded as what it is. */
		a.failed = "the tape filled while this file was written: the file was written whole "
		    "to the next tape";
		if (db_tx(x->db, copy_tx, &a, NULL) < 0)
			return rc;
		return 1;
	}
	if (rc < 0)
		return rc;
	if ((rc = db_tx(x->db, copy_tx, &a, err)) < 0)
		return rc;
	x->written++;
	x->bytes_done += f->size;
	json_t *tj = json_object_get(x->tapes, x->tape.key);
	json_object_set_new(tj, "files", json_integer(json_integer_value(json_object_get(tj,
	    "files")) + 1));
	/* A source whose bytes differ from the registered hash is not caught here but by the
	 * read-back, which compares the tape's bytes with the registered hash. */
	return pending_add(x, i, a.copy_id, a.seq, rel, err);
}

/* --- the end of a card on a tape: the read-back, then its report and history --------------- */

static int
pending_by_block(const void *a, const void *b)
{
	const struct pending *p = a, *q = b;

	if (p->block >= 0 && q->block >= 0 && p->block != q->block)
		return p->block < q->block ? -1 : 1;
	return p->seq < q->seq ? -1 : p->seq > q->seq;
}

static const struct db_stmt stmt_block = { "archive_block",
	"UPDATE tape_files SET start_block = $2 WHERE copy_id = $1", 2 };

struct verify_arg {
	struct run *x;
	size_t from, to;
	const char *const *found;      /* per pending: the hash read back, or NULL (unreadable) */
	const char *const *errors;
};

/* The card's offload report and ASC MHL history into its folder on the tape (tape_card.h), the
 * card's files on this tape listed with the hashes their read-back matched. A tape that filled
 * while they were written leaves the card without them: its files are recorded all the same. */
static int
card_history(struct db_conn *c, struct verify_arg *a, struct err *err)
{
	struct run *x = a->x;
	struct afile *f0 = &x->f[x->p[a->from].f];
	struct tape_card_file *tf = calloc(a->to - a->from, sizeof(*tf));
	struct err e, re;
	int rc;

	if (tf == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	for (size_t k = a->from; k < a->to; k++) {
		struct afile *f = &x->f[x->p[k].f];
		tf[k - a->from] = (struct tape_card_file){ x->p[k].tape_rel + strlen(f->day) +
		    strlen(f->card) + 2, f->size, f->algo, f->hash };
	}
	struct tape_card k = { f0->card_id, f0->day, f0->card, tf, a->to - a->from, x->o->actor,
		x->o->stage_dir, x->o->data_dir };
	rc = tape_card_write(c, &x->tape, &k, &re, &e);
	free(tf);
	if (rc == 0 && re.code != 0 && x->reports_missing++ == 0)
		snprintf(x->report_why, sizeof(x->report_why), "%.150s: %s", f0->card, re.msg);
	if (rc == SP_ENOSPACE)
		return 0;
	if (rc < 0)
		*err = e;
	return rc;
}

static int
verify_tx(struct db_conn *c, void *arg, struct err *err)
{
	struct verify_arg *a = arg;
	struct run *x = a->x;
	long long card = x->f[x->p[a->from].f].card_id;
	bool was_safe;
	int rc;

	if ((rc = custody_card_before(c, card, &was_safe, err)) < 0)
		return rc;
	for (size_t k = a->from; k < a->to; k++) {
		struct pending *p = &x->p[k];
		struct afile *f = &x->f[p->f];
		bool ok = a->found[k - a->from] && strcmp(a->found[k - a->from], f->hash) == 0;
		struct db_params pb = { 0 };
		PGresult *r;
		struct verification v = { .copy_id = p->copy_id, .source = "archive",
			.tool = "setpost archive", .result = ok ? "verified" : a->found[k - a->from] ?
			"failed" : "missing", .algorithm = hash_algo_name((enum hash_algo)f->algo),
			.expected = f->hash, .found = a->found[k - a->from],
			.error = ok ? NULL : a->errors[k - a->from] ? a->errors[k - a->from] :
			"the bytes read back from tape differ from the registered hash" };
		if ((rc = verification_record(c, &v, x->o->actor, err)) < 0)
			return rc;
		db_param_ll(&pb, p->copy_id);
		db_param_ll_if(&pb, p->block >= 0, p->block);
		if ((rc = db_query(c, &stmt_block, pb.v, &r, err)) < 0)
			return rc;
		PQclear(r);
	}
	/* Written in this transaction: a run stopped before its commit reads the card back
	 * again and finds the history there (kept), one stopped before the history writes it. */
	if ((rc = card_history(c, a, err)) < 0)
		return rc;
	if ((rc = custody_card_after(c, card, was_safe, x->o->actor, NULL, NULL, err)) < 0)
		return rc;
	json_t *data = json_pack("{s:s,s:s,s:I,s:i}", "card", x->f[x->p[a->from].f].card, "tape",
	    x->tape.label, "tape_id", (json_int_t)x->tape_id, "files", (int)(a->to - a->from));
	rc = event_record(c, x->o->actor, "archive.verified", "card", card, data, NULL, err);
	json_decref(data);
	return rc;
}

/* Reads back pending files [from, to) of one card, in tape order, and records each. */
static int
card_read_back(struct run *x, size_t from, size_t to, struct err *err)
{
	size_t m = to - from;
	char **found = calloc(m, sizeof(char *)), **errors = calloc(m, sizeof(char *));
	struct verify_arg a = { x, from, to, (const char *const *)found,
		(const char *const *)errors };
	int rc = 0, bad = 0;

	if (found == NULL || errors == NULL) {
		free(found);
		free(errors);
		return err_set(err, SP_ENOMEM, "out of memory");
	}
	for (size_t k = from; k < to; k++)
		x->p[k].block = ltfs_startblock(&x->tape, x->p[k].tape_rel);
	qsort(x->p + from, m, sizeof(*x->p), pending_by_block);
	for (size_t k = from; k < to && rc == 0; k++) {
		struct pending *p = &x->p[k];
		struct afile *f = &x->f[p->f];
		struct hash_result hr;
		struct err e;
		if (tell(x, "verifying", "reading back %s/%s from tape %s", f->card, f->rel,
		    x->tape.label)) {
			rc = err_set(err, SP_ECANCELED, "archive stopped");
			break;
		}
		if (ltfs_read_back(&x->tape, p->tape_rel, HASH_BIT(f->algo), &hr, &e) < 0)
			errors[k - from] = strdup(e.msg);
		else
			found[k - from] = strdup(hr.v[f->algo].str);
		if (found[k - from] == NULL || strcmp(found[k - from], f->hash) != 0)
			bad++;
		else
			x->verified++;
		x->bytes_done += f->size;
		x->files_done++;
	}
	if (rc == 0)
		rc = db_tx(x->db, verify_tx, &a, err);
	x->failed += rc == 0 ? bad : 0;
	for (size_t k = 0; k < m; k++) {
		free(found[k]);
		free(errors[k]);
	}
	free(found);
	free(errors);
	return rc;
}

/* The end of a card's files on the mounted tape. */
static int
card_close(struct run *x, size_t from, struct err *err)
{
	if (from == x->np)
		return 0;
	return card_read_back(x, from, x->np, err);
}

/* --- the run --------------------------------------------------------------------------------- */

static int
resume_unread(struct run *x, size_t i, bool *queued, struct err *err)
{
	struct db_params q = { 0 };
	PGresult *r;
	int n, rc = 0;

	*queued = false;
	db_param_ll(&q, x->f[i].id);
	db_param_ll(&q, x->tape_id);
	if ((n = db_exec(x->db, &stmt_unread, q.v, &r, err)) < 0)
		return n;
	/* Written whole before the stop (its size on tape is the file's): read back, not
	 * written again. */
	if (n > 0 && ltfs_exists(&x->tape, PQgetvalue(r, 0, 1))) {
		char path[PATH_MAX * 2];
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", x->tape.mount, PQgetvalue(r, 0, 1));
		if (stat(path, &st) == 0 && (uint64_t)st.st_size == x->f[i].size) {
			rc = pending_add(x, i, db_ll(r, 0, 0), db_ll(r, 0, 2), PQgetvalue(r, 0, 1), err);
			*queued = rc == 0;
			x->bytes_done += x->f[i].size;
		}
	}
	PQclear(r);
	return rc;
}

static int
run_files(struct run *x, struct err *err)
{
	size_t card_from = 0;
	long long card = 0;
	int rc;

	for (size_t i = 0; i < x->nf; i++) {
		struct afile *f = &x->f[i];
		bool queued;
		if (f->done)
			continue;
		if (f->algo < 0)
			return err_set(err, SP_EINVAL, "%s/%s: no registered hash to verify the tape "
			    "against", f->card, f->rel);
		if (f->card_id != card) {
			if ((rc = card_close(x, card_from, err)) < 0)
				return rc;
			card_from = x->np;
			card = f->card_id;
		}
		for (;;) {
			if (!ltfs_still_mounted(&x->tape)) {
				/* The tape went away: what was written on it waits for its read-back
				 * in a later run. */
				char reason[300];
				snprintf(reason, sizeof(reason), "tape %s was unmounted", x->tape.label);
				for (size_t k = card_from; k < x->np; k++)
					free(x->p[k].tape_rel);
				x->np = card_from;
				tape_release(x);
				if ((rc = tape_wait(x, reason, err)) < 0)
					return rc;
				continue;
			}
			if ((rc = resume_unread(x, i, &queued, err)) < 0)
				return rc;
			if (queued)
				break;
			if ((rc = write_one(x, i, err)) <= 0) {
				if (rc < 0)
					return rc;
				break;
			}
			/* Full: the card's part on this tape is closed, the next tape asked for. */
			char reason[300];
			snprintf(reason, sizeof(reason), "tape %s is full (%s/%s did not fit)",
			    x->tape.label, f->card, f->rel);
			if ((rc = card_close(x, card_from, err)) < 0 ||
			    (rc = tape_mark_full(x, err)) < 0)
				return rc;
			card_from = x->np;
			tape_release(x);
			if ((rc = tape_wait(x, reason, err)) < 0)
				return rc;
		}
	}
	return card_close(x, card_from, err);
}

/* The tape's mount point is a declared volume, as every folder setpost writes to. */
static int
archive_confined(struct run *x, struct err *err)
{
	char real[PATH_MAX];
	bool ok;
	int rc;

	if (realpath(x->o->tape, real) == NULL)
		return err_errno(err, SP_EINVAL, errno, "%s", x->o->tape);
	if ((rc = confine_real_ok(x->db, real, x->o->data_dir, &ok, err)) < 0)
		return rc;
	if (!ok)
		return err_set(err, SP_EFORBIDDEN, "%s is not a declared volume: declare the tape's "
		    "mount point once with 'setpost volume add NAME %s'", real, real);
	return 0;
}

int
archive_run(struct db *db, const struct archive_opts *o, json_t **result, struct err *err)
{
	struct run x = { .db = db, .o = o };
	json_t *tapes;
	const char *k;
	json_t *v;
	int rc;

	locate_host(x.host, sizeof(x.host));
	x.tapes = json_object();
	x.full = json_object();
	if ((rc = archive_confined(&x, err)) == 0 && (rc = plan_load(&x, err)) == 0 &&
	    x.files_total > 0 &&
	    (rc = tape_wait(&x, NULL, err)) == 0)
		rc = run_files(&x, err);
	if (x.tape_id) {
		struct db_params q = { 0 };
		PGresult *r;
		ltfs_space(&x.tape, NULL);
		db_param_ll(&q, x.tape_id);
		db_param_ull(&q, x.tape.avail);
		if (db_exec(db, &stmt_free, q.v, &r, NULL) >= 0)
			PQclear(r);
	}
	tape_release(&x);
	if (rc == 0 && x.failed > 0)
		rc = err_set(err, SP_EMISMATCH, "%d files read back from tape differ from their "
		    "registered hash: they are not archived (run again to write them anew)", x.failed);
	if (result) {
		tapes = json_array();
		json_object_foreach(x.tapes, k, v)
			json_array_append(tapes, v);
		*result = json_pack("{s:i,s:I,s:i,s:i,s:i,s:i,s:o,s:i}", "files", x.files_total,
		    "bytes", (json_int_t)(x.bytes_total / 2), "written", x.written, "verified",
		    x.verified, "failed", x.failed, "already", x.already, "tapes", tapes,
		    "reports_missing", x.reports_missing);
		if (x.reports_missing)
			json_object_set_new(*result, "report_missing_why", json_string(x.report_why));
	}
	for (size_t i = 0; i < x.nf; i++) {
		free(x.f[i].rel);
		free(x.f[i].card);
		free(x.f[i].day);
	}
	free(x.f);
	for (size_t k2 = 0; k2 < x.np; k2++)
		free(x.p[k2].tape_rel);
	free(x.p);
	json_decref(x.tapes);
	json_decref(x.full);
	return rc;
}
