/*
 * locate: where a file of a card can be read on this host. A file has copies on volumes
 * (copies.rel_path, relative to the volume); each host mounts a volume at its own place
 * (volume_mounts). A readable copy is a verified one whose mount_path + "/" + rel_path this
 * process can read (access R_OK), so a worker on another machine reaches the same files over
 * shared storage without a path in the database changing.
 *
 * This host is named by SETPOST_HOST when set (tests, or hosts whose name differs from the one
 * registered), else by gethostname().
 */
#ifndef SETPOST_LOCATE_H
#define SETPOST_LOCATE_H

#include "lib/store/db.h"
#include "lib/core/err.h"

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

/* Names this host for volume_mounts (--host; NULL or "": the system's host name). Called once
 * at start-up, before any thread locates a file; the string is copied. */
void locate_set_host(const char *host);

/* This host's name as volume_mounts knows it. */
void locate_host(char *out, size_t len);

/* Fills path (PATH_MAX) with a readable verified copy of file_id on this host. SP_ENOTFOUND
 * when there is none, naming the file, the host and how many copies were tried. */
int locate_file(struct db_conn *c, long long file_id, char *path, size_t len, struct err *err);

/* Fills path (PATH_MAX) with the finished rendition's file: its rel_path under root, the
 * renditions folder (config_renditions_dir), where the transcode job writes it and every
 * reader (download, delivery, pull) finds it. SP_ENOTFOUND for an unknown rendition or one
 * whose file cannot be read here, SP_ECONFLICT for one not made yet (state not done). */
int locate_rendition(struct db_conn *c, const char *root, long long rendition_id, char *path,
    size_t len, struct err *err);

/* The files of a clip that matter for media work. */
struct locate_clip {
	long long clip_id;
	long long card_id;
	char name[256];              /* the clip's name */
	bool circled;
	long long file_id;           /* its first picture/sound file (role media or segment) */
	char rel_path[4096];         /* that file's path on the card */
	int nmedia;                  /* how many media/segment files share its extension */
	char path[PATH_MAX];         /* readable copy of it, once located */
	long long proxy_file_id;     /* the camera's own proxy (migration 0070), 0 when none */
	char proxy_rel_path[1024];   /* its path on the card, "" when none */
	bool from_camera_proxy;      /* path is the camera proxy's (lib/custody/clip_input.h) */
};

/* Loads the clip and picks its main media file (without locating it). SP_ENOTFOUND for an
 * unknown clip or one without a media file. */
int locate_clip_load(struct db_conn *c, long long clip_id, struct locate_clip *lc,
    struct err *err);

/* Calls fn for each file of the clip's card that is a sidecar of the clip (role sidecar, or an
 * .ale/.sidecar file of the card), with a readable path when one is found on this host. */
int locate_sidecars(struct db_conn *c, const struct locate_clip *lc,
    int (*fn)(void *arg, const char *rel_path, const char *path, struct err *err), void *arg,
    struct err *err);

#endif
