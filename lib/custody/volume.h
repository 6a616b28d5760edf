/*
 * volume: what a disk is, beyond the path it is mounted at. Two copies on one filesystem are
 * not two copies, so copies are counted per volume, and a volume is known by its filesystem's
 * UUID (from /dev/disk/by-uuid, the same on any host) or, without one, by the statfs
 * filesystem id on this host. The key is what the database stores (volumes.fs_uuid).
 */
#ifndef SETPOST_VOLUME_H
#define SETPOST_VOLUME_H

#include "lib/core/err.h"

#include <stddef.h>
#include <sys/types.h>

struct volume_id {
	dev_t dev;
	char fsid[24];       /* statfs f_fsid, hex */
	char uuid[64];       /* "" when udev does not list the device */
	unsigned long fstype;
};

/* Identity of the filesystem holding the open folder or file fd. */
int volume_identify_fd(int fd, struct volume_id *v, struct err *err);

/* "uuid:<UUID>", else "fsid:<fsid>@<host>". */
void volume_key(const struct volume_id *v, const char *host, char *out, size_t len);

#endif
