/* ltfs: a mounted LTFS volume, written the way a tape wants it (see ltfs.h). */
#include "lib/archive/ltfs.h"
#include "lib/custody/volume.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

/* Large writes: a tape drive streams at hundreds of MB/s and stops (shoe-shines) when fed in
 * small pieces. */
#define LTFS_CHUNK (8u << 20)

static void
ltfs_xattr(const char *path, const char *name, char *out, size_t len)
{
	ssize_t n = getxattr(path, name, out, len - 1);

	out[n > 0 ? (size_t)n : 0] = '\0';
	/* A value is text for people and keys: no control characters. */
	for (char *s = out; *s; s++)
		if ((unsigned char)*s < 0x20)
			*s = '_';
}

int
ltfs_space(struct ltfs_tape *t, struct err *err)
{
	struct statvfs sv;

	if (statvfs(t->mount, &sv) < 0)
		return err_errno(err, err_from_errno(errno), errno, "tape %s", t->mount);
	t->bsize = sv.f_frsize ? sv.f_frsize : sv.f_bsize;
	t->total = (uint64_t)sv.f_blocks * t->bsize;
	t->avail = (uint64_t)sv.f_bavail * t->bsize;
	return 0;
}

int
ltfs_identify(const char *mount, const char *host, struct ltfs_tape *t, struct err *err)
{
	char parent[PATH_MAX + 4];
	struct stat st, pst;
	struct volume_id vid;
	int fd, rc;

	memset(t, 0, sizeof(*t));
	if (realpath(mount, t->mount) == NULL)
		return err_errno(err, SP_EUNAVAIL, errno, "no tape at %s", mount);
	snprintf(parent, sizeof(parent), "%s/..", t->mount);
	if (stat(t->mount, &st) < 0 || stat(parent, &pst) < 0)
		return err_errno(err, SP_EUNAVAIL, errno, "no tape at %s", mount);
	if (!S_ISDIR(st.st_mode) || (st.st_dev == pst.st_dev && strcmp(t->mount, "/") != 0))
		return err_set(err, SP_EUNAVAIL, "no tape mounted at %s (the folder is not a mount "
		    "point)", t->mount);
	t->dev = st.st_dev;
	ltfs_xattr(t->mount, "user.ltfs.volumeUUID", t->uuid, sizeof(t->uuid));
	ltfs_xattr(t->mount, "user.ltfs.volumeName", t->name, sizeof(t->name));
	ltfs_xattr(t->mount, "user.ltfs.volumeSerial", t->barcode, sizeof(t->barcode));
	if (t->uuid[0])
		snprintf(t->key, sizeof(t->key), "ltfs:%s", t->uuid);
	else {
		if ((fd = open(t->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			return err_errno(err, SP_EUNAVAIL, errno, "tape %s", t->mount);
		rc = volume_identify_fd(fd, &vid, err);
		close(fd);
		if (rc < 0)
			return rc;
		volume_key(&vid, host, t->key, sizeof(t->key));
	}
	snprintf(t->label, sizeof(t->label), "%s", t->name[0] ? t->name : t->barcode[0] ?
	    t->barcode : strrchr(t->mount, '/') + 1);
	return ltfs_space(t, err);
}

bool
ltfs_still_mounted(const struct ltfs_tape *t)
{
	struct ltfs_tape now;

	return ltfs_identify(t->mount, "", &now, NULL) == 0 && now.dev == t->dev &&
	    (t->uuid[0] == '\0' || strcmp(now.uuid, t->uuid) == 0);
}

uint64_t
ltfs_need(const struct ltfs_tape *t, uint64_t size)
{
	uint64_t b = t->bsize ? t->bsize : 4096;

	return (size + b - 1) / b * b;
}

int
ltfs_is_blank(const struct ltfs_tape *t, bool *blank, struct err *err)
{
	DIR *d = opendir(t->mount);
	struct dirent *e;

	if (d == NULL)
		return err_errno(err, SP_EIO, errno, "tape %s", t->mount);
	*blank = true;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    strcmp(e->d_name, "lost+found"))
			*blank = false;
	closedir(d);
	return 0;
}

bool
ltfs_exists(const struct ltfs_tape *t, const char *rel)
{
	char path[PATH_MAX * 2];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", t->mount, rel);
	return lstat(path, &st) == 0;
}

/* Makes the folders of rel on the tape (a folder is only ever created). */
static int
ltfs_folders(const struct ltfs_tape *t, const char *rel, char *path, size_t len, struct err *err)
{
	char *s;

	if ((size_t)snprintf(path, len, "%s/%s", t->mount, rel) >= len)
		return err_set(err, SP_EINVAL, "%s: path too long", rel);
	for (s = path + strlen(t->mount) + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST) {
			int e = errno;
			*s = '/';
			return err_errno(err, err_from_errno(e), e, "tape %s: %s", t->label, rel);
		}
		*s = '/';
	}
	return 0;
}

static int
ltfs_create(const struct ltfs_tape *t, const char *rel, char *path, size_t len, int *fd,
    struct err *err)
{
	int rc;

	if ((rc = ltfs_folders(t, rel, path, len, err)) < 0)
		return rc;
	/* O_EXCL: a file on tape is only ever created, never opened again for writing. */
	if ((*fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444)) < 0)
		return err_errno(err, errno == EEXIST ? SP_ECONFLICT : err_from_errno(errno), errno,
		    "tape %s: %s", t->label, rel);
	return 0;
}

static int
ltfs_finish(const struct ltfs_tape *t, const char *rel, int fd, int rc, struct err *err)
{
	if (rc == 0 && fsync(fd) < 0)
		rc = err_errno(err, err_from_errno(errno), errno, "tape %s: %s", t->label, rel);
	if (close(fd) < 0 && rc == 0)
		rc = err_errno(err, err_from_errno(errno), errno, "tape %s: %s", t->label, rel);
	return rc;
}

static int
ltfs_put(const struct ltfs_tape *t, const char *rel, int fd, const unsigned char *buf, size_t n,
    struct err *err)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return err_errno(err, err_from_errno(errno), errno, "tape %s: %s", t->label,
			    rel);
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

int
ltfs_write_file(const struct ltfs_tape *t, const char *rel, int src_fd, const char *src_name,
    unsigned algos, struct hash_result *src, void (*tick)(void *arg, uint64_t done), void *arg,
    struct err *err)
{
	char path[PATH_MAX * 2];
	struct hash_ctx hc;
	unsigned char *buf;
	uint64_t done = 0;
	int fd, rc;

	if ((buf = malloc(LTFS_CHUNK)) == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	if ((rc = hash_init(&hc, algos, err)) < 0) {
		free(buf);
		return rc;
	}
	if ((rc = ltfs_create(t, rel, path, sizeof(path), &fd, err)) < 0)
		goto out;
	posix_fadvise(src_fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	for (;;) {
		ssize_t n = read(src_fd, buf, LTFS_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = err_errno(err, err_from_errno(errno), errno, "%s", src_name);
			break;
		}
		if (n == 0)
			break;
		hash_update(&hc, buf, (size_t)n);
		if ((rc = ltfs_put(t, rel, fd, buf, (size_t)n, err)) < 0)
			break;
		done += (uint64_t)n;
		if (tick)
			tick(arg, done);
	}
	rc = ltfs_finish(t, rel, fd, rc, err);
	if (rc == 0)
		rc = hash_final(&hc, src, err);
out:
	hash_release(&hc);
	free(buf);
	return rc;
}

int
ltfs_write_bytes(const struct ltfs_tape *t, const char *rel, const void *buf, size_t len,
    struct err *err)
{
	char path[PATH_MAX * 2];
	int fd, rc;

	if ((rc = ltfs_create(t, rel, path, sizeof(path), &fd, err)) < 0)
		return rc;
	rc = ltfs_put(t, rel, fd, buf, len, err);
	return ltfs_finish(t, rel, fd, rc, err);
}

int
ltfs_read_back(const struct ltfs_tape *t, const char *rel, unsigned algos,
    struct hash_result *res, struct err *err)
{
	char path[PATH_MAX * 2];
	int fd, rc;

	snprintf(path, sizeof(path), "%s/%s", t->mount, rel);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return err_errno(err, err_from_errno(errno), errno, "tape %s: %s", t->label, rel);
	/* What was written is clean after fsync: dropping it makes the read-back a read of the
	 * medium, not of memory (a real LTFS mount reads the tape in any case). */
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	rc = hash_fd(fd, path, algos, res, err);
	close(fd);
	return rc;
}

long long
ltfs_startblock(const struct ltfs_tape *t, const char *rel)
{
	char path[PATH_MAX * 2], v[32], *end;
	long long n;

	snprintf(path, sizeof(path), "%s/%s", t->mount, rel);
	ltfs_xattr(path, "user.ltfs.startblock", v, sizeof(v));
	n = strtoll(v, &end, 10);
	return v[0] && *end == '\0' && n >= 0 ? n : -1;
}
