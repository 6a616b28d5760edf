/* offload_dest: the destinations of an offload — what is refused before anything
 * is written, setting each one up (card folder, lock, write test, file system
 * identity, leftovers of an interrupted run, folder tree), and giving folders
 * their source times at the end. */
#include "lib/custody/offload_int.h"
#include "lib/custody/volume.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

static const struct {
	unsigned long magic;
	const char *name;
} dest_fstypes[] = {
	{ 0xEF53, "ext4" }, { 0x58465342, "xfs" }, { 0x9123683E, "btrfs" },
	{ 0x01021994, "tmpfs" }, { 0x858458f6, "ramfs" }, { 0x4d44, "vfat" },
	{ 0x2011BAB0, "exfat" }, { 0x5346544e, "ntfs" }, { 0x7366746e, "ntfs3" },
	{ 0x6969, "nfs" }, { 0xFE534D42, "smb2" }, { 0xFF534D42, "cifs" },
	{ 0x65735546, "fuse" }, { 0x482b, "hfsplus" }, { 0x2fc12fc1, "zfs" },
	{ 0xF2F52010, "f2fs" }, { 0x794c7630, "overlay" },
};

/* Whether path is root itself or below it (both resolved). */
static int
dest_within(const char *path, const char *root)
{
	size_t n = strlen(root);

	if (strcmp(root, "/") == 0)
		return 1;
	return strncmp(path, root, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static int
dest_resolve(struct ofl_run *r, size_t d)
{
	struct offload_dest *dst = &r->res->dests[d];
	char *real = realpath(dst->path, NULL), *card = NULL;
	int e = errno;

	if (real == NULL) {
		ofl_dest_fail_locked(r, d, err_from_errno(e), "destination %s: %s%s", dst->path,
				     strerror(e), e == ENOENT ? " (is the drive mounted?)" : "");
		return 0;
	}
	if (asprintf(&card, "%s%s%s", real, strcmp(real, "/") ? "/" : "", r->res->label) < 0)
		card = NULL;
	free(real);
	if (card == NULL)
		return SP_ENOMEM;
	/* an existing card folder may itself be a link elsewhere */
	real = realpath(card, NULL);
	dst->card_dir = real ? real : card;
	if (real)
		free(card);
	return 0;
}

/* Refusals that concern the request as a whole: a destination inside the source
 * (it would copy itself), the source inside a destination's card folder, and
 * two destinations that are one folder, or one inside the other. */
int
ofl_dests_check(struct ofl_run *r, struct err *err)
{
	struct offload_result *res = r->res;

	for (size_t d = 0; d < r->ndst; d++)
		if (dest_resolve(r, d) < 0)
			return err_set(err, SP_ENOMEM, "out of memory");
	for (size_t d = 0; d < r->ndst; d++) {
		const char *c = res->dests[d].card_dir;

		if (c == NULL)
			continue;
		if (dest_within(c, res->src))
			return err_set(err, SP_EINVAL, "destination %s is inside the source %s: "
					"refusing (it would copy into itself)", res->dests[d].path,
					res->src);
		if (dest_within(res->src, c))
			return err_set(err, SP_EINVAL, "destination %s: its card folder %s is the "
					"source, or holds it: refusing", res->dests[d].path, c);
		for (size_t e = 0; e < d; e++) {
			const char *o = res->dests[e].card_dir;

			if (o != NULL && (dest_within(c, o) || dest_within(o, c)))
				return err_set(err, SP_EINVAL, "destinations %s and %s are the same "
						"folder (%s), or one is inside the other: refusing; "
						"give each copy its own drive", res->dests[e].path,
						res->dests[d].path, c);
		}
	}
	return 0;
}

static void
dest_fstype(unsigned long magic, char *out, size_t len)
{
	for (size_t i = 0; i < sizeof(dest_fstypes) / sizeof(dest_fstypes[0]); i++)
		if (dest_fstypes[i].magic == magic) {
			snprintf(out, len, "%s", dest_fstypes[i].name);
			return;
		}
	snprintf(out, len, "0x%lx", magic);
}

int
ofl_fs_is_memory(int fd)
{
	struct statfs sf;

	return fstatfs(fd, &sf) == 0 && ((unsigned long)sf.f_type == 0x01021994UL ||
					 (unsigned long)sf.f_type == 0x858458f6UL);
}

static void
dest_identity(struct ofl_run *r, size_t d)
{
	struct offload_dest *dst = &r->res->dests[d];
	struct ofl_drun *dr = &r->dr[d];
	struct volume_id v;
	struct statvfs sv;

	if (volume_identify_fd(dr->card_fd, &v, NULL) == 0) {
		dst->dev = v.dev;
		dest_fstype(v.fstype, dst->fstype, sizeof(dst->fstype));
		snprintf(dst->fsid, sizeof(dst->fsid), "%s", v.fsid);
		snprintf(dst->uuid, sizeof(dst->uuid), "%s", v.uuid);
	}
	if (fstatvfs(dr->card_fd, &sv) == 0)
		dst->bytes_free = (uint64_t)sv.f_bavail * sv.f_frsize;
	dr->is_memory = ofl_fs_is_memory(dr->card_fd);
}

/* Removes *.setpost-partial files below the folder open at fd (taken): copies
 * an interrupted run never finished. Returns how many. */
static size_t
dest_sweep(int fd)
{
	size_t slen = strlen(OFFLOAD_PARTIAL_SUFFIX), n = 0;
	DIR *dir = fdopendir(fd);
	struct dirent *de;

	if (dir == NULL) {
		close(fd);
		return 0;
	}
	while ((de = readdir(dir)) != NULL) {
		size_t len = strlen(de->d_name);
		struct stat st;
		int sub;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISREG(st.st_mode) && len > slen &&
		    strcmp(de->d_name + len - slen, OFFLOAD_PARTIAL_SUFFIX) == 0) {
			n += unlinkat(dirfd(dir), de->d_name, 0) == 0;
		} else if (S_ISDIR(st.st_mode)) {
			sub = openat(dirfd(dir), de->d_name,
				     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				n += dest_sweep(sub);
		}
	}
	closedir(dir);
	return n;
}

/* Makes the card's folders (parents come first in res->dirs). */
static int
dest_mkdirs(struct ofl_run *r, size_t d)
{
	struct ofl_drun *dr = &r->dr[d];

	for (size_t i = 0; i < r->res->ndirs; i++) {
		const struct offload_dir *dir = &r->res->dirs[i];
		struct stat st;

		if (mkdirat(dr->card_fd, dir->path, (dir->mode & 0777) | 0700) == 0)
			continue;
		if (errno == EEXIST && fstatat(dr->card_fd, dir->path, &st, AT_SYMLINK_NOFOLLOW) ==
		    0 && S_ISDIR(st.st_mode))
			continue;
		if (errno == EEXIST)
			errno = ENOTDIR;
		ofl_dest_fail_locked(r, d, err_from_errno(errno), "destination %s: cannot make "
				     "folder %s: %s", r->res->dests[d].path, dir->path,
				     errno == ENOSPC ? "no space left on device" : strerror(errno));
		return -1;
	}
	return 0;
}

/* Checks that the card folder can be written: a read-only mount fails here,
 * before any copying, with a message that says so. */
static int
dest_writable(struct ofl_run *r, size_t d, const char *parent)
{
	struct offload_dest *dst = &r->res->dests[d];
	struct statvfs sv;
	char probe[64];
	int fd;

	if (statvfs(parent, &sv) == 0 && (sv.f_flag & ST_RDONLY)) {
		ofl_dest_fail_locked(r, d, SP_EFORBIDDEN, "destination %s: read-only file system",
				     dst->path);
		return -1;
	}
	if (mkdir(dst->card_dir, 0777) < 0 && errno != EEXIST) {
		ofl_dest_fail_locked(r, d, err_from_errno(errno), "destination %s: cannot make "
				     "card folder %s: %s", dst->path, dst->card_dir, strerror(errno));
		return -1;
	}
	r->dr[d].card_fd = open(dst->card_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->dr[d].card_fd < 0) {
		ofl_dest_fail_locked(r, d, err_from_errno(errno), "destination %s: %s: %s",
				     dst->path, dst->card_dir, strerror(errno));
		return -1;
	}
	snprintf(probe, sizeof(probe), ".setpost-probe-%ld", (long)getpid());
	fd = openat(r->dr[d].card_fd, probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		ofl_dest_fail_locked(r, d, err_from_errno(errno), "destination %s: not writable: "
				     "%s", dst->path, strerror(errno));
		return -1;
	}
	close(fd);
	unlinkat(r->dr[d].card_fd, probe, 0);
	return 0;
}

static void
dest_open(struct ofl_run *r, size_t d)
{
	struct offload_dest *dst = &r->res->dests[d];
	struct ofl_drun *dr = &r->dr[d];
	char *parent = strdup(dst->card_dir), *slash;
	size_t swept;

	if (parent == NULL)
		return (void)ofl_dest_fail_locked(r, d, SP_ENOMEM, "out of memory");
	slash = strrchr(parent, '/');
	if (slash != NULL)
		slash[slash == parent] = '\0';
	if (dest_writable(r, d, parent) < 0) {
		free(parent);
		return;
	}
	free(parent);
	if (flock(dr->card_fd, LOCK_EX | LOCK_NB) < 0)
		return (void)ofl_dest_fail_locked(r, d, SP_ECONFLICT, "destination %s: another "
						  "offload is writing to %s", dst->path,
						  dst->card_dir);
	dest_identity(r, d);
	swept = dest_sweep(dup(dr->card_fd));
	dst->npartials_removed = swept;
	if (swept > 0)
		ofl_warn_locked(r, (int)d, "%s: removed %zu partial file(s) left by an "
				"interrupted offload", dst->path, swept);
	dest_mkdirs(r, d);
}

static void
dest_same_device(struct ofl_run *r)
{
	struct offload_dest *ds = r->res->dests;

	for (size_t d = 0; d < r->ndst; d++)
		for (size_t e = 0; e < d; e++)
			if (!ds[d].failed && !ds[e].failed && ds[d].dev == ds[e].dev)
				ofl_warn_locked(r, (int)d, "%s and %s are on the same device "
						"(%u:%u): not two copies; both are still written",
						ds[e].path, ds[d].path, major(ds[d].dev),
						minor(ds[d].dev));
}

/* Sets up every destination that passed ofl_dests_check; a failure fails that
 * destination only. Runs before the worker threads start. */
void
ofl_dests_open(struct ofl_run *r)
{
	pthread_mutex_lock(&r->mu);
	for (size_t d = 0; d < r->ndst; d++) {
		if (r->res->dests[d].failed)
			continue;
		dest_open(r, d);
		if (r->res->dests[d].failed && r->dr[d].card_fd >= 0) {
			close(r->dr[d].card_fd); /* never touched again */
			r->dr[d].card_fd = -1;
		}
	}
	dest_same_device(r);
	pthread_mutex_unlock(&r->mu);
}

/* Flushes the card's folders (their entries, renamed files included) and gives
 * them the source's times, deepest first, so writing into one does not change
 * its parent's time afterwards. */
void
ofl_dest_finish(struct ofl_run *r, size_t d)
{
	struct ofl_drun *dr = &r->dr[d];

	for (size_t i = r->res->ndirs; i-- > 0;) {
		const struct offload_dir *dir = &r->res->dirs[i];
		struct timespec ts[2] = { dir->atime, dir->mtime };
		int fd = openat(dr->card_fd, dir->path,
				O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		if (fd < 0)
			continue;
		if (fsync(fd) < 0 || futimens(fd, ts) < 0)
			ofl_warn(r, (int)d, "%s: folder %s: %s", r->res->dests[d].path, dir->path,
				 strerror(errno));
		close(fd);
	}
	if (fsync(dr->card_fd) < 0)
		ofl_warn(r, (int)d, "%s: %s: %s", r->res->dests[d].path,
			 r->res->dests[d].card_dir, strerror(errno));
}

/* The card folder's own times, after the manifest was written into it. */
void
ofl_dest_restore_root(struct ofl_run *r, size_t d)
{
	if (r->dr[d].card_fd >= 0)
		futimens(r->dr[d].card_fd, r->root_times);
}

void
ofl_dests_close(struct ofl_run *r)
{
	for (size_t d = 0; r->dr && d < r->ndst; d++) {
		if (r->dr[d].card_fd >= 0)
			close(r->dr[d].card_fd); /* releases the lock */
		r->dr[d].card_fd = -1;
	}
}
