/* offload_walk: lists a card — its folders and files in path order, then each clip's files
 * together — and the OS junk it skips; refuses what a card never holds (symlinks, devices). */
#include "lib/custody/offload_int.h"
#include "lib/custody/card.h"
#include "lib/custody/offload_doc.h"
#include "lib/core/grow.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* CARDS.md section 9: what macOS, Windows and Linux leave on removable media. */
static const char *const walk_junk_names[] = {
	".DS_Store", ".Spotlight-V100", ".Trashes", ".fseventsd", ".TemporaryItems",
	".DocumentRevisions-V100", ".apdisk", "Icon\r", "System Volume Information",
	"$RECYCLE.BIN", "Thumbs.db", "desktop.ini", "lost+found",
};

const char *const offload_ignore[] = {
	".DS_Store", "ascmhl", "ascmhl/", "._*", ".Spotlight-V100", ".Trashes", ".fseventsd",
	".TemporaryItems", ".DocumentRevisions-V100", ".apdisk", "System Volume Information",
	"$RECYCLE.BIN", "Thumbs.db", "desktop.ini", "lost+found", ".Trash-*",
	"*" OFFLOAD_PARTIAL_SUFFIX,
};
const size_t offload_nignore = sizeof(offload_ignore) / sizeof(offload_ignore[0]);

int
offload_is_junk(const char *name)
{
	size_t len = strlen(name), slen = strlen(OFFLOAD_PARTIAL_SUFFIX);

	if (strncmp(name, "._", 2) == 0 || strncmp(name, ".Trash-", 7) == 0)
		return 1;
	/* our own leftovers, when the source is itself an earlier copy */
	if (len > slen && strcmp(name + len - slen, OFFLOAD_PARTIAL_SUFFIX) == 0)
		return 1;
	for (size_t i = 0; i < sizeof(walk_junk_names) / sizeof(walk_junk_names[0]); i++)
		if (strcasecmp(name, walk_junk_names[i]) == 0)
			return 1;
	return 0;
}

/* UTF-8 (no overlong forms, no surrogates) without C0 controls: what an ASC
 * MHL manifest can hold as a path. */
static int
walk_name_ok(const char *name)
{
	const unsigned char *p = (const unsigned char *)name;

	while (*p != '\0') {
		unsigned c = *p, n, cp;

		if (c < 0x20 || c == 0x7f)
			return 0;
		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, cp = c & 0x07;
		else
			return 0;
		for (unsigned i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return 0;
		p += n + 1;
	}
	return 1;
}

struct walk {
	struct ofl_run *r;
	size_t fcap, dcap, jcap;
};

static char *
walk_join(const char *rel, const char *name, int slash)
{
	size_t a = strlen(rel), b = strlen(name);
	char *p = malloc(a + b + 3);

	if (p == NULL)
		return NULL;
	memcpy(p, rel, a);
	if (a > 0)
		p[a++] = '/';
	memcpy(p + a, name, b);
	if (slash)
		p[a + b++] = '/';
	p[a + b] = '\0';
	return p;
}

static int
walk_add_junk(struct walk *w, const char *path, int is_dir, struct err *err)
{
	struct offload_result *res = w->r->res;
	char *p = walk_join("", path, is_dir);

	if (p == NULL || array_grow(&res->junk, &w->jcap, res->njunk + 1, sizeof(char *)) < 0) {
		free(p);
		return err_set(err, SP_ENOMEM, "card walk: out of memory");
	}
	res->junk[res->njunk++] = p;
	return 0;
}

static int
walk_add_dir(struct walk *w, char *path, const struct stat *st, enum offload_kind kind,
	     struct err *err)
{
	struct offload_result *res = w->r->res;
	struct offload_dir *dir;

	if (array_grow(&res->dirs, &w->dcap, res->ndirs + 1, sizeof(*dir)) < 0) {
		free(path);
		return err_set(err, SP_ENOMEM, "card walk: out of memory");
	}
	dir = &res->dirs[res->ndirs++];
	dir->path = path;
	dir->kind = kind;
	dir->mtime = st->st_mtim;
	dir->atime = st->st_atim;
	dir->mode = st->st_mode & 07777;
	return 0;
}

static int
walk_add_file(struct walk *w, char *path, const struct stat *st, enum offload_kind kind,
	      struct err *err)
{
	struct offload_result *res = w->r->res;
	struct offload_file *f;

	if (array_grow(&res->files, &w->fcap, res->nfiles + 1, sizeof(*f)) < 0) {
		free(path);
		return err_set(err, SP_ENOMEM, "card walk: out of memory");
	}
	f = &res->files[res->nfiles++];
	f->path = path;
	f->kind = kind;
	f->size = (int64_t)st->st_size;
	f->mtime = st->st_mtim;
	f->atime = st->st_atim;
	f->mode = st->st_mode & 07777;
	res->bytes_total += (uint64_t)st->st_size;
	return 0;
}

static int walk_dir(struct walk *w, int dfd, const char *rel, enum offload_kind kind,
		    struct err *err);

/* One directory entry: refused, skipped as junk, listed, or descended into. */
static int
walk_one(struct walk *w, int dfd, const char *rel, const char *name, enum offload_kind kind,
	 struct err *err)
{
	const char *src = w->r->res->src;
	int junk = offload_is_junk(name), fd, is_dir;
	struct stat st;
	char *path;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return err_errno(err, err_from_errno(errno), errno, "%s/%s%s%s", src, rel,
				 *rel ? "/" : "", name);
	is_dir = S_ISDIR(st.st_mode);
	path = walk_join(rel, name, 0);
	if (path == NULL)
		return err_set(err, SP_ENOMEM, "card walk: out of memory");
	if (junk && !(w->r->o->flags & OFFLOAD_KEEP_JUNK)) {
		int rc = walk_add_junk(w, path, is_dir, err);

		free(path);
		return rc;
	}
	if (S_ISLNK(st.st_mode) || (!is_dir && !S_ISREG(st.st_mode))) {
		err_set(err, SP_EINVAL, "%s/%s: %s; camera cards have none, so this is not a card "
			"as it came out of the camera: refusing to offload (%s)", src, path,
			S_ISLNK(st.st_mode) ? "symbolic link" : "not a regular file or folder",
			S_ISLNK(st.st_mode) ? "remove it, or copy its target by hand" : "remove it");
		free(path);
		return SP_EINVAL;
	}
	if (junk)
		kind = OFFLOAD_JUNK;
	else if (!walk_name_ok(name)) {
		err_set(err, SP_EINVAL, "%s/%s: name is not valid UTF-8 text (or holds control "
			"characters), so no ASC MHL manifest can list it: refusing to offload",
			src, path);
		free(path);
		return SP_EINVAL;
	}
	if (strlen(path) >= PATH_MAX - 64) {
		free(path);
		return err_set(err, SP_EINVAL, "%s/%s...: path too long", src, rel);
	}
	if (!is_dir)
		return walk_add_file(w, path, &st, kind, err);
	if (kind == OFFLOAD_MEDIA && strcmp(name, MHL_DIR) == 0)
		kind = OFFLOAD_HISTORY;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int rc = err_errno(err, err_from_errno(errno), errno, "%s/%s", src, path);

		free(path);
		return rc;
	}
	if (walk_add_dir(w, path, &st, kind, err) < 0) {
		close(fd);
		return SP_ENOMEM;
	}
	return walk_dir(w, fd, path, kind, err);
}

static int
walk_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists the folder open at dfd (taken) in name order, and what is below it. */
static int
walk_dir(struct walk *w, int dfd, const char *rel, enum offload_kind kind, struct err *err)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	if (d == NULL) {
		close(dfd);
		return err_errno(err, err_from_errno(errno), errno, "%s/%s", w->r->res->src, rel);
	}
	errno = 0;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (array_grow(&names, &cap, n + 1, sizeof(char *)) < 0 ||
		    (names[n] = strdup(de->d_name)) == NULL)
			rc = err_set(err, SP_ENOMEM, "card walk: out of memory");
		else
			n++;
	}
	if (rc == 0 && errno != 0)
		rc = err_errno(err, SP_EIO, errno, "%s/%s: reading the folder", w->r->res->src, rel);
	if (n > 1)
		qsort(names, n, sizeof(char *), walk_name_cmp);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = walk_one(w, dirfd(d), rel, names[i], kind, err);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return rc;
}

/* --- copy order: a clip's files together ------------------------------------------------ */

struct walk_rank {
	size_t key;                 /* the path position of the first file of this file's clip */
	size_t pos;                 /* its own path position */
};

static int
walk_rank_cmp(const void *a, const void *b)
{
	const struct walk_rank *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Path order spreads a clip over the card on most cameras (Sony's Clip/, Sub/, Thmbnl/;
 * RED's .RDC segments beside their sidecars; a clip's XML after every movie): the last file
 * of the first clip would be copied near the end of the card, and the clip could enter the
 * pipeline (registered as soon as all its files are verified) only then. So the files of
 * each clip are copied one after the other, in the order of each clip's first file; files of
 * no clip keep their place. A card that cannot be recognised keeps path order: ordering is a
 * speed-up, never a reason to refuse an offload. root is not read (NULL): path names say
 * enough to group files into clips. */
static void
walk_order_by_clip(struct offload_result *res)
{
	struct card_entry *e = calloc(res->nfiles + 1, sizeof(*e));
	struct walk_rank *rk = calloc(res->nfiles + 1, sizeof(*rk));
	struct offload_file *sorted = calloc(res->nfiles + 1, sizeof(*sorted));
	size_t *first = NULL, n = 0;
	struct card_opts co = { .label = res->label };
	struct card_info card;
	struct err ignored = { 0 };

	memset(&card, 0, sizeof(card));
	if (e == NULL || rk == NULL || sorted == NULL || res->nfiles < 2)
		goto out;
	for (size_t i = 0; i < res->nfiles; i++)
		if (res->files[i].kind == OFFLOAD_MEDIA && !offload_doc_is_report(res->files[i].path))
			e[n++] = (struct card_entry){ res->files[i].path, (uint64_t)res->files[i].size };
	if (card_identify(NULL, e, n, &co, &card, &ignored) < 0)
		goto out;
	if ((first = malloc((card.nclips + 1) * sizeof(*first))) == NULL)
		goto release;
	for (size_t c = 0; c < card.nclips; c++)
		first[c] = SIZE_MAX;
	for (size_t i = 0; i < res->nfiles; i++) {
		long k = res->files[i].kind == OFFLOAD_MEDIA ? card_file_find(&card, res->files[i].path) : -1;
		long c = k >= 0 ? card.files[k].clip : -1;

		rk[i].pos = i;
		rk[i].key = i;
		if (c >= 0) {
			if (first[c] == SIZE_MAX)
				first[c] = i;
			rk[i].key = first[c];
		}
	}
	qsort(rk, res->nfiles, sizeof(*rk), walk_rank_cmp);
	for (size_t i = 0; i < res->nfiles; i++)
		sorted[i] = res->files[rk[i].pos];
	memcpy(res->files, sorted, res->nfiles * sizeof(*sorted));
release:
	card_info_release(&card);
out:
	free(first);
	free(sorted);
	free(rk);
	free(e);
}

/* Fills res->files, dirs and junk from the source folder res->src. Files come in path order
 * (the order the camera made them), then each clip's files together (walk_order_by_clip). */
int
ofl_walk(struct ofl_run *r, struct err *err)
{
	struct walk w = { .r = r };
	int fd = open(r->res->src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return err_errno(err, err_from_errno(errno), errno, "source %s", r->res->src);
	if ((rc = walk_dir(&w, fd, "", OFFLOAD_MEDIA, err)) == 0)
		walk_order_by_clip(r->res);
	return rc;
}
