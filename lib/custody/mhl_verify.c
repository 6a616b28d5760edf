/* mhl_verify: verifying a folder against its ASC MHL history: walk (with the
 * ignore rules), hash, compare, report (see mhl.h; shared pieces in mhl_int.h). */
#include "lib/custody/mhl_int.h"
#include "lib/core/grow.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* --- ignoring names ----------------------------------------------------- */

/* gitignore-like, as far as manifests use it: "x/" matches directories only,
 * a pattern with another '/' matches the whole relative path, others the name. */
static int
mhl_pattern_match(const char *pat, const char *path, const char *name, int is_dir)
{
	size_t len = strlen(pat);
	char one[NAME_MAX + 1];

	if (len > 1 && pat[len - 1] == '/') {
		if (!is_dir || len > NAME_MAX)
			return 0;
		memcpy(one, pat, len - 1);
		one[len - 1] = '\0';
		return mhl_pattern_match(one, path, name, is_dir);
	}
	if (*pat == '/')
		pat++;
	if (strchr(pat, '/') != NULL)
		return fnmatch(pat, path, FNM_PATHNAME) == 0;
	return fnmatch(pat, name, 0) == 0;
}

struct mhl_patterns {
	const char *const *list[3];
	size_t n[3];
};

static int
mhl_ignored(const struct mhl_patterns *pats, const char *path, const char *name, int is_dir)
{
	if (mhl_is_junk(name))
		return 1;
	for (int l = 0; l < 3; l++)
		for (size_t i = 0; i < pats->n[l]; i++)
			if (mhl_pattern_match(pats->list[l][i], path, name, is_dir))
				return 1;
	return 0;
}

/* Whether any component of path (a file) is ignored. */
static int
mhl_path_ignored(const struct mhl_patterns *pats, const char *path)
{
	char buf[PATH_MAX], name[NAME_MAX + 1];
	size_t at = 0, len;

	if (strlen(path) >= sizeof(buf))
		return 0;
	for (;;) {
		len = strcspn(path + at, "/");
		if (len > NAME_MAX)
			return 0;
		memcpy(buf, path, at + len);
		buf[at + len] = '\0';
		memcpy(name, path + at, len);
		name[len] = '\0';
		if (mhl_ignored(pats, buf, name, path[at + len] == '/'))
			return 1;
		if (path[at + len] == '\0')
			return 0;
		at += len + 1;
	}
}

/* --- walking and verifying a folder -------------------------------------- */

struct mhl_walk {
	const char *root;
	struct mhl_entry *v;
	size_t n, cap;
	struct mhl_patterns pats;
	uint64_t total;
};

static int mhl_walk_dir(struct mhl_walk *w, int dfd, const char *rel, struct err *err);

static int
mhl_walk_one(struct mhl_walk *w, int pfd, const char *rel, const char *name, struct err *err)
{
	struct mhl_entry *e;
	struct stat st;
	char *path;
	int fd;

	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return 0;
	if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return err_errno(err, err_from_errno(errno), errno, "%s/%s/%s", w->root, rel, name);
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return 0; /* symlinks, devices, sockets: not media */
	path = mhl_join(rel, name);
	if (path == NULL)
		return err_set(err, SP_ENOMEM, "%s: out of memory", w->root);
	if (mhl_ignored(&w->pats, path, name, S_ISDIR(st.st_mode))) {
		free(path);
		return 0;
	}
	if (!mhl_path_ok(path) || array_grow(&w->v, &w->cap, w->n + 1, sizeof(*w->v)) < 0) {
		int rc = err_set(err, mhl_path_ok(path) ? SP_ENOMEM : SP_EINVAL, "%s/%s: name is "
				 "not UTF-8 text (cannot be listed), or out of memory", w->root, path);

		free(path);
		return rc;
	}
	e = &w->v[w->n++];
	memset(e, 0, sizeof(*e));
	e->path = path;
	e->is_dir = S_ISDIR(st.st_mode);
	e->size = e->is_dir ? -1 : (int64_t)st.st_size;
	e->mtime = st.st_mtime;
	if (!e->is_dir) {
		w->total += (uint64_t)st.st_size;
		return 0;
	}
	fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_errno(err, err_from_errno(errno), errno, "%s/%s", w->root, path);
	return mhl_walk_dir(w, fd, path, err);
}

/* Lists the folder open at dfd (taken) and what is below it. */
static int
mhl_walk_dir(struct mhl_walk *w, int dfd, const char *rel, struct err *err)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	int rc = 0;

	if (d == NULL) {
		close(dfd);
		return err_errno(err, err_from_errno(errno), errno, "%s/%s", w->root, rel);
	}
	while (rc == 0 && (de = readdir(d)) != NULL)
		rc = mhl_walk_one(w, dirfd(d), rel, de->d_name, err);
	closedir(d);
	return rc;
}

/* The reference tool's preference when choosing what to verify with. */
static const enum hash_algo mhl_verify_pref[] = {
	HASH_MD5, HASH_SHA1, HASH_XXH128, HASH_XXH3, HASH_XXH64, HASH_C4,
};

/* Which algorithms compare a file with its history: those asked for that the
 * history has, else the history's preferred one. */
static unsigned
mhl_compare_set(const struct mhl_entry *k, unsigned algos)
{
	if (k == NULL)
		return 0;
	if ((k->algos & algos) != 0)
		return k->algos & algos;
	for (size_t i = 0; i < sizeof(mhl_verify_pref) / sizeof(mhl_verify_pref[0]); i++)
		if (k->algos & HASH_BIT(mhl_verify_pref[i]))
			return HASH_BIT(mhl_verify_pref[i]);
	return 0;
}

/* Sets the actions of e against its known entry k. Algorithms the history
 * lacks follow the file's verdict, as in the reference tool. */
static enum mhl_status
mhl_judge(const struct mhl_entry *k, struct mhl_entry *e, unsigned cmp)
{
	int failed;

	if (cmp == 0) {
		for (int a = 0; a < HASH_NALGOS; a++)
			e->h[a].action = MHL_ACTION_ORIGINAL;
		return MHL_STATUS_NEW;
	}
	failed = k->size >= 0 && k->size != e->size;
	for (int a = 0; a < HASH_NALGOS; a++) {
		int ok = strcmp(k->h[a].value, e->h[a].value) == 0;

		if (cmp & HASH_BIT(a)) {
			e->h[a].action = ok ? MHL_ACTION_VERIFIED : MHL_ACTION_FAILED;
			failed |= !ok;
		}
	}
	for (int a = 0; a < HASH_NALGOS; a++)
		if ((e->algos & HASH_BIT(a)) && !(cmp & HASH_BIT(a)))
			e->h[a].action = failed ? MHL_ACTION_FAILED : MHL_ACTION_VERIFIED;
	return failed ? MHL_STATUS_FAILED : MHL_STATUS_VERIFIED;
}

static int
mhl_check_file(struct mhl_report *rep, size_t i, const struct mhl_history *h, int rootfd,
	       const struct mhl_verify_opts *opts, time_t now, struct err *err)
{
	struct mhl_entry *e = &rep->entries[i];
	const struct mhl_entry *k = mhl_history_find(h, e->path);
	unsigned cmp = mhl_compare_set(k, opts->algos);
	struct hash_result res;
	int fd, rc;

	fd = openat(rootfd, e->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return err_errno(err, err_from_errno(errno), errno, "file %s: open", e->path);
	rc = hash_fd(fd, e->path, opts->algos | cmp, &res, err);
	close(fd);
	if (rc < 0)
		return rc;
	e->size = (int64_t)res.nbytes;
	e->algos = res.algos;
	for (int a = 0; a < HASH_NALGOS; a++) {
		if (!(res.algos & HASH_BIT(a)))
			continue;
		memcpy(e->h[a].value, res.v[a].str, HASH_STR_MAX);
		e->h[a].hashdate = now;
	}
	rep->status[i] = mhl_judge(k, e, cmp);
	rep->bytes += res.nbytes;
	return 0;
}

static int
mhl_check_all(struct mhl_report *rep, const struct mhl_history *h, int rootfd,
	      const struct mhl_verify_opts *opts, uint64_t total, struct err *err)
{
	time_t now = opts->now ? opts->now : time(NULL);
	int rc = 0;

	for (size_t i = 0; i < rep->nentries && rc == 0; i++) {
		if (rep->entries[i].is_dir) {
			rep->status[i] = MHL_STATUS_DIR;
			continue;
		}
		if (opts->progress && opts->progress(opts->arg, rep->entries[i].path, rep->bytes, total))
			return err_set(err, SP_ECANCELED, "verify: stopped before %s",
				       rep->entries[i].path);
		rc = mhl_check_file(rep, i, h, rootfd, opts, now, err);
		rep->nnew += rc == 0 && rep->status[i] == MHL_STATUS_NEW;
		rep->nverified += rc == 0 && rep->status[i] == MHL_STATUS_VERIFIED;
		rep->nfailed += rc == 0 && rep->status[i] == MHL_STATUS_FAILED;
	}
	return rc;
}

/* Known files that the walk did not find and that no pattern ignores. */
static int
mhl_find_missing(struct mhl_report *rep, const struct mhl_history *h,
		 const struct mhl_patterns *pats, struct err *err)
{
	size_t cap = 0;

	for (size_t i = 0; h != NULL && i < h->nfiles; i++) {
		const struct mhl_entry *f = bsearch(&h->files[i], rep->entries, rep->nentries,
						    sizeof(*rep->entries), mhl_entry_cmp);

		if ((f != NULL && !f->is_dir) || mhl_path_ignored(pats, h->files[i].path))
			continue;
		if (array_grow(&rep->missing, &cap, rep->nmissing + 1, sizeof(char *)) < 0 ||
		    (rep->missing[rep->nmissing] = strdup(h->files[i].path)) == NULL)
			return err_set(err, SP_ENOMEM, "verify: out of memory");
		rep->nmissing++;
	}
	return 0;
}

static int
mhl_verify_walk(const char *root, int rootfd, const struct mhl_history *h,
		const struct mhl_verify_opts *opts, struct mhl_report *rep, uint64_t *total,
		struct err *err)
{
	struct mhl_walk w = { .root = root };
	int fd = dup(rootfd), rc;

	w.pats.list[0] = mhl_default_ignore;
	w.pats.n[0] = mhl_default_nignore;
	w.pats.list[1] = h ? (const char *const *)h->ignore : NULL;
	w.pats.n[1] = h ? h->nignore : 0;
	w.pats.list[2] = opts->ignore;
	w.pats.n[2] = opts->ignore ? opts->nignore : 0;
	if (fd < 0)
		return err_errno(err, SP_EIO, errno, "%s", root);
	rc = mhl_walk_dir(&w, fd, "", err);
	if (w.n > 0)
		qsort(w.v, w.n, sizeof(*w.v), mhl_entry_cmp);
	rep->entries = w.v;
	rep->nentries = w.n;
	rep->status = calloc(w.n + 1, sizeof(*rep->status));
	if (rc == 0 && rep->status == NULL)
		rc = err_set(err, SP_ENOMEM, "%s: out of memory", root);
	if (rc == 0)
		rc = mhl_find_missing(rep, h, &w.pats, err);
	*total = w.total;
	return rc;
}

int
mhl_verify(const char *root, const struct mhl_history *h, const struct mhl_verify_opts *opts,
	   struct mhl_report *rep, struct err *err)
{
	uint64_t total = 0;
	int rootfd, rc;

	memset(rep, 0, sizeof(*rep));
	if (opts->algos == 0 || (opts->algos & ~HASH_ALL) != 0)
		return err_set(err, SP_EINVAL, "verify: bad algorithm set 0x%x", opts->algos);
	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return err_errno(err, err_from_errno(errno), errno, "%s", root);
	rc = mhl_verify_walk(root, rootfd, h, opts, rep, &total, err);
	if (rc == 0)
		rc = mhl_check_all(rep, h, rootfd, opts, total, err);
	close(rootfd);
	if (rc < 0)
		mhl_report_release(rep);
	return rc;
}

void
mhl_report_release(struct mhl_report *rep)
{
	mhl_entries_free(rep->entries, rep->nentries);
	free(rep->status);
	for (size_t i = 0; i < rep->nmissing; i++)
		free(rep->missing[i]);
	free(rep->missing);
	memset(rep, 0, sizeof(*rep));
}
