/* card_scan: walk a card folder into a file list for card_identify() (see card.h). */
#include "lib/custody/card_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct card_walk {
	char **paths;                   /* owned */
	uint64_t *sizes;
	size_t n, cap;
	unsigned flags;
	const char *root;
	char path[CARD_PATH_MAX];       /* the relative path being walked */
};

static int
card_walk_push(struct card_walk *w, uint64_t size, struct err *err)
{
	if (w->n == CARD_MAX_FILES)
		return err_set(err, SP_ETOOBIG, "card %s: more than %u files", w->root,
		    CARD_MAX_FILES);
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 256;
		char **paths = realloc(w->paths, cap * sizeof(*paths));
		uint64_t *sizes;

		if (paths == NULL)
			return err_set(err, SP_ENOMEM, "card %s: out of memory", w->root);
		w->paths = paths;
		if ((sizes = realloc(w->sizes, cap * sizeof(*sizes))) == NULL)
			return err_set(err, SP_ENOMEM, "card %s: out of memory", w->root);
		w->sizes = sizes;
		w->cap = cap;
	}
	if ((w->paths[w->n] = strdup(w->path)) == NULL)
		return err_set(err, SP_ENOMEM, "card %s: out of memory", w->root);
	w->sizes[w->n++] = size;
	return 0;
}

static int card_walk_dir(struct card_walk *w, int fd, unsigned depth, struct err *err);

/* One directory entry; w->path already names it. */
static int
card_walk_entry(struct card_walk *w, int dfd, const char *name, unsigned depth,
    struct err *err)
{
	bool keep = (w->flags & CARD_KEEP_SKIP) != 0;
	struct stat st;
	int fd;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return err_errno(err, err_from_errno(errno), errno, "card %s: %s", w->root, w->path);
	if (S_ISREG(st.st_mode)) {
		if (!keep && card_skip_name(name, strlen(name), false))
			return 0;
		return card_walk_push(w, (uint64_t)st.st_size, err);
	}
	if (!S_ISDIR(st.st_mode) || (!keep && card_skip_name(name, strlen(name), true)))
		return 0; /* links, devices, junk folders */
	if (depth + 1 > CARD_MAX_DEPTH)
		return err_set(err, SP_ETOOBIG, "card %s: %s nested deeper than %u folders",
		    w->root, w->path, CARD_MAX_DEPTH);
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_errno(err, err_from_errno(errno), errno, "card %s: %s", w->root, w->path);
	return card_walk_dir(w, fd, depth + 1, err);
}

/* Walks the open folder fd (closed here) whose relative path is w->path. */
static int
card_walk_dir(struct card_walk *w, int fd, unsigned depth, struct err *err)
{
	size_t plen = strlen(w->path);
	DIR *d = fdopendir(fd);
	struct dirent *e;
	int rc = 0;

	if (d == NULL) {
		rc = err_errno(err, err_from_errno(errno), errno, "card %s: %s", w->root, w->path);
		close(fd);
		return rc;
	}
	for (errno = 0; rc == 0 && (e = readdir(d)) != NULL; errno = 0) {
		size_t len = strlen(e->d_name);

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (plen + 1 + len >= sizeof(w->path)) {
			rc = err_set(err, SP_ETOOBIG, "card %s: path %.200s… too long", w->root, w->path);
			break;
		}
		if (plen > 0)
			w->path[plen] = '/';
		memcpy(w->path + plen + (plen > 0), e->d_name, len + 1);
		rc = card_walk_entry(w, dirfd(d), e->d_name, depth, err);
		w->path[plen] = '\0';
	}
	if (rc == 0 && errno != 0)
		rc = err_errno(err, SP_EIO, errno, "card %s: reading %s", w->root,
		    plen ? w->path : ".");
	closedir(d);
	return rc;
}

int
card_scan_dir(const char *root, const struct card_opts *opts, struct card_info *info,
    struct err *err)
{
	struct card_walk w = { .root = root, .flags = opts ? opts->flags : 0 };
	struct card_entry *v = NULL;
	int fd, rc;

	memset(info, 0, sizeof(*info));
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_errno(err, err_from_errno(errno), errno, "card %s", root);
	rc = card_walk_dir(&w, fd, 0, err);
	if (rc == 0 && w.n > 0 && (v = calloc(w.n, sizeof(*v))) == NULL)
		rc = err_set(err, SP_ENOMEM, "card %s: out of memory", root);
	for (size_t i = 0; rc == 0 && i < w.n; i++) {
		v[i].path = w.paths[i];
		v[i].size = w.sizes[i];
	}
	if (rc == 0)
		rc = card_identify(root, v, w.n, opts, info, err);
	for (size_t i = 0; i < w.n; i++)
		free(w.paths[i]);
	free(w.paths);
	free(w.sizes);
	free(v);
	return rc;
}
