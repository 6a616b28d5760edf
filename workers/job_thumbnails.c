/* job_thumbnails: a clip's poster frame (n = 0, the middle of the clip) and a strip of frames
 * across it (n = 1..8), JPEG, under DATA/media/thumbs/<clip id>/<n>.jpg; then the contact sheet
 * of its card (every clip's poster, labelled, in a grid) under DATA/media/contact/<card>.jpg.
 * Payload {"clip_id": N}.
 *
 * ffmpeg writes into a temporary folder next to the real files; only finished files are moved
 * to their real names (rename), and the folder is removed whatever happens, so a canceled or
 * failed job never leaves a half-written picture under a real name. */
#include "lib/core/config.h"
#include "payload.h"
#include "lib/store/event.h"
#include "lib/store/params.h"
#include "lib/media/ffmpeg.h"
#include "lib/media/frameseq.h"
#include "lib/core/file.h"
#include "lib/custody/locate.h"
#include "lib/custody/clip_input.h"
#include "lib/core/log.h"
#include "lib/media/probe.h"
#include "lib/store/worker.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

int job_thumbnails_run(struct job *job, struct err *err);


#define THUMBS_STRIP 8
#define THUMBS_WIDTH 640
#define THUMBS_CELL_W 256
#define THUMBS_CELL_H 144
#define THUMBS_COLUMNS 6

struct thumbs {
	struct job *job;
	char data[PATH_MAX];          /* the data folder, absolute */
	char tmp[PATH_MAX];           /* this job's temporary folder */
	struct locate_clip lc;
	struct probe p;
	long long frame[THUMBS_STRIP + 1];    /* per n */
	long long sel[THUMBS_STRIP + 1];      /* distinct frames, in order */
	int src[THUMBS_STRIP + 1];            /* n -> index in sel */
	int nsel, n;
	int width, height;
	struct media_input input;     /* ffmpeg's input words for the clip */
};

/* A path from a format; SP_ETOOBIG rather than a cut path. */
static int thumbs_path(char *out, size_t len, struct err *err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int
thumbs_path(char *out, size_t len, struct err *err, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len)
		return err_set(err, SP_ETOOBIG, "path too long: %.200s...", out);
	return 0;
}

static bool
thumbs_canceled(void *arg)
{
	return job_canceled(arg);
}

static void
thumbs_progress(void *arg, double fraction, double seconds)
{
	(void)seconds;
	job_progress(arg, 0.05 + 0.85 * fraction, "thumbnails %.0f%%", 100 * fraction);
}

/* Removes a temporary folder and what is in it (no subfolders are made there). */
static void
thumbs_rmtmp(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
	rmdir(dir);
}

/* Removes temporary folders other thumbnails jobs of this clip left when their worker died
 * (only one such job runs at a time; the age guard spares one whose lease was merely lost). */
static void
thumbs_rmstale(const char *dir, const char *mine)
{
	char path[PATH_MAX + 300];
	DIR *d = opendir(dir);
	struct dirent *e;
	struct stat st;

	while (d && (e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, ".tmp-", 5) != 0 ||
		    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= sizeof(path) ||
		    strcmp(path, mine) == 0 || stat(path, &st) < 0 || time(NULL) - st.st_mtime < 600)
			continue;
		thumbs_rmtmp(path);
	}
	if (d)
		closedir(d);
}

/* XXH64 of a file, as 16 hex digits; its size in *bytes. */
static int
thumbs_etag(const char *path, char out[17], long long *bytes, struct err *err)
{
	XXH64_state_t *st = XXH64_createState();
	char chunk[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	*bytes = 0;
	if (fd < 0 || st == NULL) {
		if (fd >= 0)
			close(fd);
		XXH64_freeState(st);
		return err_errno(err, SP_EIO, errno, "%s", path);
	}
	XXH64_reset(st, 0);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		XXH64_update(st, chunk, (size_t)n);
		*bytes += n;
	}
	close(fd);
	snprintf(out, 17, "%016llx", (unsigned long long)XXH64_digest(st));
	XXH64_freeState(st);
	return n < 0 ? err_errno(err, SP_EIO, errno, "%s", path) : 0;
}

/* Copies src to dst + ".new" and renames it into place, so dst is always whole. */
static int
thumbs_install(const char *src, const char *dst, struct err *err)
{
	char tmp[PATH_MAX + 8], chunk[65536];
	int in, out;
	ssize_t n = 0;

	if (thumbs_path(tmp, sizeof(tmp), err, "%s.new", dst) < 0)
		return SP_ETOOBIG;
	in = open(src, O_RDONLY | O_CLOEXEC);
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	while (in >= 0 && out >= 0 && (n = read(in, chunk, sizeof(chunk))) > 0)
		if (write(out, chunk, (size_t)n) != n)
			n = -1;
	if (in >= 0)
		close(in);
	if (out < 0 || in < 0 || n < 0 || close(out) < 0 || rename(tmp, dst) < 0) {
		int e = errno;
		unlink(tmp);
		return err_errno(err, SP_EIO, e, "install %s", dst);
	}
	return 0;
}

/* Which frames: the poster in the middle, the strip at the middle of N equal parts. */
static void
thumbs_plan(struct thumbs *t)
{
	const struct probe *p = &t->p;
	long long total = p->duration_frames > 0 ? p->duration_frames :
	    p->fps_den ? llround(p->duration * p->fps_num / p->fps_den) : 0;
	double dw = (double)p->width * p->sar_num / (p->sar_den ? p->sar_den : 1);
	int strip;

	if (total <= 0)
		total = 1;
	strip = total < THUMBS_STRIP ? (int)total : THUMBS_STRIP;
	t->n = strip + 1;
	t->frame[0] = total / 2;
	for (int i = 0; i < strip; i++)
		t->frame[1 + i] = (long long)((i + 0.5) * (double)total / strip);
	t->nsel = 0;
	for (int i = 1; i < t->n; i++)
		t->sel[t->nsel++] = t->frame[i];
	/* The poster joins the strip's list in order, unless it is one of its frames. */
	for (int i = 0; i <= t->nsel; i++)
		if (i == t->nsel || t->sel[i] >= t->frame[0]) {
			if (i == t->nsel || t->sel[i] != t->frame[0]) {
				memmove(&t->sel[i + 1], &t->sel[i], sizeof(t->sel[0]) * (size_t)(t->nsel - i));
				t->sel[i] = t->frame[0];
				t->nsel++;
			}
			break;
		}
	for (int n = 0; n < t->n; n++)
		for (int i = 0; i < t->nsel; i++)
			if (t->sel[i] == t->frame[n])
				t->src[n] = i;
	t->width = (int)(dw < THUMBS_WIDTH ? dw : THUMBS_WIDTH) & ~1;
	t->height = dw > 0 ? (int)lround(t->width * p->height / dw) & ~1 : 0;
}

/* The image2 output pattern: '%' in the folder's name is doubled. */
static void
thumbs_pattern(const char *dir, char *out, size_t len)
{
	size_t o = 0;

	for (const char *s = dir; *s && o + 3 < len; s++) {
		if (*s == '%')
			out[o++] = '%';
		out[o++] = *s;
	}
	snprintf(out + o, len - o, "/%%02d.jpg");
}

static int
thumbs_extract(struct thumbs *t, struct err *err)
{
	char graph[2048], pattern[PATH_MAX * 2];
	static const char *const head[] = { "ffmpeg", "-nostdin", "-hide_banner", "-nostats",
		"-v", "error", "-progress", "pipe:3" };
	const char *const tail[] = { "-filter_complex", graph, "-map", "[t]",
		"-fps_mode", "passthrough", "-c:v", "mjpeg", "-q:v", "3", "-f", "image2",
		"-start_number", "0", pattern, "-map", "[p]", "-f", "null", "-", NULL };
	const char *argv[sizeof(head) / sizeof(head[0]) + 12 + sizeof(tail) / sizeof(tail[0])];
	struct media_input *in = &t->input;
	size_t used, n = 0;
	struct ffmpeg_run run;
	int rc;

	/* the clip: a file, or a DPX/OpenEXR frame sequence */
	if ((rc = media_input_of(t->lc.path, in, err)) < 0)
		return rc;
	for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++)
		argv[n++] = head[i];
	for (int i = 0; i < in->argc; i++)
		argv[n++] = in->argv[i];
	for (size_t i = 0; i < sizeof(tail) / sizeof(tail[0]); i++)
		argv[n++] = tail[i];
	thumbs_pattern(t->tmp, pattern, sizeof(pattern));
	used = (size_t)snprintf(graph, sizeof(graph), "[0:v:0]split=2[a][b];[a]select='");
	for (int i = 0; i < t->nsel; i++)
		used += (size_t)snprintf(graph + used, sizeof(graph) - used, "%seq(n\\,%lld)",
		    i ? "+" : "", t->sel[i]);
	snprintf(graph + used, sizeof(graph) - used, "',scale=%d:%d:flags=bicubic,setsar=1[t];"
	    "[b]null[p]", t->width, t->height);
	memset(&run, 0, sizeof(run));
	run.argv = argv;
	run.progress_fd = 3;
	run.duration = t->p.duration;
	run.on_progress = thumbs_progress;
	run.progress_arg = t->job;
	run.canceled = thumbs_canceled;
	run.cancel_arg = t->job;
	run.background = true;  /* analysis: behind the proxies (ffmpeg.h) */
	if (ffmpeg_run(&run, err) < 0) {
		char last[600];
		if (err->code == SP_ECANCELED)
			return SP_ECANCELED;
		ffmpeg_last_lines(run.tail, 3, last, sizeof(last));
		if (last[0] == '\0')
			snprintf(last, sizeof(last), "%s", err->msg);
		return err_set(err, SP_EIO, "%s: ffmpeg could not make thumbnails: %s", t->lc.rel_path,
		    last);
	}
	return 0;
}

/* --- recording ---------------------------------------------------------------------------- */

static const struct db_stmt stmt_clear = { "thumbs_clear",
	"DELETE FROM clip_thumbnails WHERE clip_id = $1", 1 };
static const struct db_stmt stmt_insert = { "thumbs_insert",
	"INSERT INTO clip_thumbnails (clip_id, n, frame, timecode, rel_path, width, height, bytes,"
	" etag) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)", 9 };

struct thumbs_row {
	int n;
	long long frame, bytes;
	char tc[TIMECODE_BUFSZ], rel[64], etag[17];
};

struct thumbs_save {
	struct thumbs *t;
	struct thumbs_row rows[THUMBS_STRIP + 1];
	int nrows;
};

static int
thumbs_save_tx(struct db_conn *c, void *arg, struct err *err)
{
	struct thumbs_save *s = arg;
	struct db_params clear = { 0 };
	json_t *data;
	int rc;

	db_param_ll(&clear, s->t->lc.clip_id);
	if ((rc = db_query(c, &stmt_clear, clear.v, NULL, err)) < 0)
		return rc;
	for (int i = 0; i < s->nrows; i++) {
		const struct thumbs_row *r = &s->rows[i];
		struct db_params p = { 0 };
		db_param_ll(&p, s->t->lc.clip_id);
		db_param_ll(&p, r->n);
		db_param_ll(&p, r->frame);
		db_param_str(&p, r->tc[0] ? r->tc : NULL);
		db_param_str(&p, r->rel);
		db_param_ll(&p, s->t->width);
		db_param_ll(&p, s->t->height);
		db_param_ll(&p, r->bytes);
		db_param_str(&p, r->etag);
		if ((rc = db_query(c, &stmt_insert, p.v, NULL, err)) < 0)
			return rc;
	}
	data = json_pack("{s:s,s:i,s:s}", "clip", s->t->lc.name, "thumbnails", s->nrows, "source",
	    clip_input_source(&s->t->lc));
	rc = event_record(c, s->t->job->worker, "clip.thumbnails", "clip", s->t->lc.clip_id, data,
	    NULL, err);
	json_decref(data);
	return rc;
}

/* Moves what ffmpeg made to the real names and records them. */
static int
thumbs_install_all(struct thumbs *t, struct err *err)
{
	struct thumbs_save s = { .t = t };
	char src[PATH_MAX + 16], dst[PATH_MAX + 16];
	struct stat st;
	int rc;

	for (int n = 0; n < t->n; n++) {
		struct thumbs_row *r = &s.rows[s.nrows];
		snprintf(src, sizeof(src), "%s/%02d.jpg", t->tmp, t->src[n]);
		if (stat(src, &st) < 0 || st.st_size == 0)
			continue;   /* the clip was shorter than its header said */
		snprintf(r->rel, sizeof(r->rel), "media/thumbs/%lld/%d.jpg", t->lc.clip_id, n);
		snprintf(dst, sizeof(dst), "%s/%s", t->data, r->rel);
		if ((rc = thumbs_install(src, dst, err)) < 0 ||
		    (rc = thumbs_etag(dst, r->etag, &r->bytes, err)) < 0)
			return rc;
		r->n = n;
		r->frame = t->frame[n];
		probe_timecode(&t->p, r->frame, r->tc);
		s.nrows++;
	}
	if (s.nrows == 0)
		return err_set(err, SP_EIO, "%s: ffmpeg made no thumbnail (no picture decoded)",
		    t->lc.rel_path);
	return db_tx(t->job->db, thumbs_save_tx, &s, err);
}

/* --- contact sheet ---------------------------------------------------------------------- */

static const struct db_stmt stmt_lock = { "thumbs_sheet_lock",
	"SELECT pg_advisory_xact_lock(hashtext('setpost.contact_sheet'), $1::int)", 1 };
static const struct db_stmt stmt_posters = { "thumbs_posters",
	"SELECT c.name, t.rel_path FROM clips c JOIN clip_thumbnails t ON t.clip_id = c.id"
	" AND t.n = 0 WHERE c.card_id = $1 ORDER BY c.name COLLATE \"C\"", 1 };
static const struct db_stmt stmt_sheet = { "thumbs_sheet",
	"INSERT INTO card_contact_sheets (card_id, rel_path, clips, bytes, etag)"
	" VALUES ($1, $2, $3, $4, $5) ON CONFLICT (card_id) DO UPDATE SET rel_path ="
	" EXCLUDED.rel_path, clips = EXCLUDED.clips, bytes = EXCLUDED.bytes, etag = EXCLUDED.etag,"
	" created_at = now()", 5 };

/* A glob pattern matching everything in dir (glob's special characters escaped). */
static void
thumbs_glob(const char *dir, char *out, size_t len)
{
	size_t o = 0;

	for (const char *s = dir; *s && o + 4 < len; s++) {
		if (strchr("\\*?[]{}", *s))
			out[o++] = '\\';
		out[o++] = *s;
	}
	snprintf(out + o, len - o, "/*");
}

/* One ffmpeg run over the posters linked into dir; labels drawn from the links' names. */
static int
thumbs_sheet_ffmpeg(struct thumbs *t, const char *dir, int count, const char *out, bool labels,
    struct err *err)
{
	char glob[PATH_MAX * 2], vf[1024];
	int cols = count < THUMBS_COLUMNS ? count : THUMBS_COLUMNS;
	struct ffmpeg_run run;
	const char *argv[] = { "ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-v", "error",
		"-f", "image2", "-c:v", "mjpeg", "-pattern_type", "glob", "-export_path_metadata", "1",
		"-framerate", "1", "-i", glob, "-vf", vf, "-frames:v", "1", "-q:v", "3", "-f", "image2",
		"-update", "1", out, NULL };

	thumbs_glob(dir, glob, sizeof(glob));
	snprintf(vf, sizeof(vf), "scale=%d:%d:force_original_aspect_ratio=decrease,"
	    "pad=%d:%d:(ow-iw)/2:(oh-ih)/2%s,tile=%dx%d:padding=4:margin=4",
	    THUMBS_CELL_W, THUMBS_CELL_H, THUMBS_CELL_W, THUMBS_CELL_H, labels ?
	    ",drawtext=text='%{metadata\\:lavf.image2dec.source_basename}':x=6:y=h-th-6:"
	    "fontsize=14:fontcolor=white:box=1:boxcolor=black@0.6" : "", cols,
	    (count + cols - 1) / cols);
	memset(&run, 0, sizeof(run));
	run.argv = argv;
	run.canceled = thumbs_canceled;
	run.cancel_arg = t->job;
	run.background = true;
	return ffmpeg_run(&run, err);
}

/* Links each poster into dir under its clip's name (a name the glob sees, without '/'). */
static int
thumbs_sheet_links(struct thumbs *t, const PGresult *r, int n, const char *dir,
    struct err *err)
{
	char link[PATH_MAX * 2], target[PATH_MAX + 80], name[256];

	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s", PQgetvalue(r, i, 0));
		for (char *s = name; *s; s++)
			if (*s == '/' || (s == name && *s == '.'))
				*s = '_';
		snprintf(target, sizeof(target), "%s/%s", t->data, PQgetvalue(r, i, 1));
		snprintf(link, sizeof(link), "%s/%s", dir, name);
		if (symlink(target, link) < 0)
			return err_errno(err, SP_EIO, errno, "link %s", link);
	}
	return 0;
}

static int
thumbs_sheet_tx(struct db_conn *c, void *arg, struct err *err)
{
	struct thumbs *t = arg;
	char dir[PATH_MAX], out[PATH_MAX + 32], final[PATH_MAX + 32], rel[64], etag[17];
	struct db_params p = { 0 }, ps = { 0 };
	long long size;
	PGresult *r = NULL;
	int n, rc;

	db_param_ll(&p, t->lc.card_id);
	snprintf(rel, sizeof(rel), "media/contact/%lld.jpg", t->lc.card_id);
	out[0] = '\0';
	if ((rc = thumbs_path(dir, sizeof(dir), err, "%s/media/contact/.tmp-%lld", t->data,
	    t->job->id)) < 0 ||
	    (rc = thumbs_path(out, sizeof(out), err, "%s/media/contact/.sheet-%lld.jpg", t->data,
	    t->job->id)) < 0 || (rc = thumbs_path(final, sizeof(final), err, "%s/%s", t->data, rel)) < 0)
		return rc;
	if ((rc = db_query(c, &stmt_lock, p.v, NULL, err)) < 0 ||
	    (n = rc = db_query(c, &stmt_posters, p.v, &r, err)) <= 0)
		goto out;
	thumbs_rmtmp(dir);
	if ((rc = file_mkdirs(dir, 0755, err)) < 0 || (rc = thumbs_sheet_links(t, r, n, dir, err)) < 0)
		goto out;
	rc = thumbs_sheet_ffmpeg(t, dir, n, out, true, err);
	if (rc < 0 && rc != SP_ECANCELED)   /* no font? a sheet without labels still helps */
		rc = thumbs_sheet_ffmpeg(t, dir, n, out, false, err);
	if (rc < 0 || (rc = thumbs_etag(out, etag, &size, err)) < 0)
		goto out;
	if (rename(out, final) < 0) {
		rc = err_errno(err, SP_EIO, errno, "rename %s", final);
		goto out;
	}
	db_param_ll(&ps, t->lc.card_id);
	db_param_str(&ps, rel);
	db_param_ll(&ps, n);
	db_param_ll(&ps, size);
	db_param_str(&ps, etag);
	rc = db_query(c, &stmt_sheet, ps.v, NULL, err);
out:
	if (r)
		PQclear(r);
	unlink(out);
	thumbs_rmtmp(dir);
	return rc < 0 ? rc : 0;
}

/* --- the job ---------------------------------------------------------------------------- */

/* Loads the clip, its probe and a readable copy; *skip is set for clips without pictures. */
static int
thumbs_load(struct thumbs *t, long long clip_id, bool *skip, struct err *err)
{
	struct db_conn *c;
	int rc;

	if ((rc = db_acquire(t->job->db, &c, err)) < 0)
		return rc;
	if ((rc = locate_clip_load(c, clip_id, &t->lc, err)) < 0 ||
	    (rc = probe_load(c, clip_id, &t->p, err)) < 0) {
		t->job->permanent = rc == SP_ENOTFOUND;
		goto out;
	}
	/* the original, or the camera's own proxy when the original needs the maker's SDK */
	*skip = !t->p.decodable || t->p.video_streams == 0 || t->p.width <= 0;
	if (!*skip || !t->p.decodable) {
		if ((rc = clip_input_locate(c, &t->lc, &t->p, err)) > 0)
			rc = 0;
		*skip = !t->p.decodable || t->p.video_streams == 0 || t->p.width <= 0;
	}
out:
	db_release(t->job->db, c);
	return rc;
}

static int
thumbs_prepare(struct thumbs *t, struct err *err)
{
	const struct config *cfg = t->job->ctx;
	char dir[PATH_MAX + 32];
	int rc;

	if (cfg == NULL || cfg->data_dir == NULL) {
		t->job->permanent = true;
		return err_set(err, SP_EINTERNAL, "thumbnails: the worker has no data folder");
	}
	if ((rc = file_mkdirs(cfg->data_dir, 0755, err)) < 0)
		return rc;
	if (realpath(cfg->data_dir, t->data) == NULL)
		return err_errno(err, SP_EIO, errno, "data folder %s", cfg->data_dir);
	if ((rc = thumbs_path(dir, sizeof(dir), err, "%s/media/thumbs/%lld", t->data,
	    t->lc.clip_id)) < 0 || (rc = thumbs_path(t->tmp, sizeof(t->tmp), err, "%s/.tmp-%lld",
	    dir, t->job->id)) < 0)
		return rc;
	if ((rc = file_mkdirs(dir, 0755, err)) < 0)
		return rc;
	snprintf(dir, sizeof(dir), "%s/media/contact", t->data);
	if ((rc = file_mkdirs(dir, 0755, err)) < 0)
		return rc;
	thumbs_rmtmp(t->tmp);
	if (thumbs_path(dir, sizeof(dir), NULL, "%s/media/thumbs/%lld", t->data, t->lc.clip_id) == 0)
		thumbs_rmstale(dir, t->tmp);
	return file_mkdirs(t->tmp, 0755, err);
}

int
job_thumbnails_run(struct job *job, struct err *err)
{
	struct thumbs *t = calloc(1, sizeof(*t));
	long long clip_id = 0;
	bool skip = false;
	int rc;

	if (t == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	t->job = job;
	probe_init(&t->p);
	if ((rc = job_payload_clip_id(job, &clip_id, err)) < 0 ||
	    (rc = thumbs_load(t, clip_id, &skip, err)) < 0)
		goto out;
	if (skip) {
		job->result = json_pack("{s:I,s:s}", "clip_id", (json_int_t)clip_id, "skipped",
		    t->p.decodable ? "no picture" : t->p.vendor_tool);
		goto out;
	}
	thumbs_plan(t);
	if ((rc = thumbs_prepare(t, err)) < 0 || (rc = thumbs_extract(t, err)) < 0 ||
	    (rc = thumbs_install_all(t, err)) < 0)
		goto out;
	job_progress(job, 0.95, "contact sheet of the card");
	if ((rc = db_tx(job->db, thumbs_sheet_tx, t, err)) < 0)
		goto out;
	job->result = json_pack("{s:I,s:i,s:i,s:i}", "clip_id", (json_int_t)clip_id, "thumbnails",
	    t->n, "width", t->width, "height", t->height);
out:
	if (t->tmp[0])
		thumbs_rmtmp(t->tmp);
	probe_release(&t->p);
	free(t);
	return rc;
}
