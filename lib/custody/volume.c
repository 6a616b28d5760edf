/* volume: filesystem identity of a copy's disk (see volume.h). */
#include "lib/custody/volume.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>

/* A directory read, no superblock parsing; "" for tmpfs, NFS, btrfs's anonymous devices and
 * containers without udev. */
static void
volume_uuid(dev_t dev, char *out, size_t len)
{
	DIR *dir = opendir("/dev/disk/by-uuid");
	struct dirent *de;
	struct stat st;

	out[0] = '\0';
	if (dir == NULL)
		return;
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.' || fstatat(dirfd(dir), de->d_name, &st, 0) < 0)
			continue;
		if (S_ISBLK(st.st_mode) && st.st_rdev == dev && strlen(de->d_name) < len) {
			memcpy(out, de->d_name, strlen(de->d_name) + 1);
			break;
		}
	}
	closedir(dir);
}

int
volume_identify_fd(int fd, struct volume_id *v, struct err *err)
{
	struct statfs sf;
	struct stat st;
	unsigned id[2];

	memset(v, 0, sizeof(*v));
	if (fstat(fd, &st) < 0 || fstatfs(fd, &sf) < 0)
		return err_errno(err, SP_EIO, errno, "volume identity");
	v->dev = st.st_dev;
	v->fstype = (unsigned long)sf.f_type;
	memcpy(id, &sf.f_fsid, sizeof(id));
	snprintf(v->fsid, sizeof(v->fsid), "%08x%08x", id[0], id[1]);
	volume_uuid(st.st_dev, v->uuid, sizeof(v->uuid));
	return 0;
}

void
volume_key(const struct volume_id *v, const char *host, char *out, size_t len)
{
	if (v->uuid[0])
		snprintf(out, len, "uuid:%s", v->uuid);
	else
		snprintf(out, len, "fsid:%s@%s", v->fsid, host ? host : "localhost");
}
