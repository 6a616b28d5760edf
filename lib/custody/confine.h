/*
 * confine: the only folders the server and the workers touch besides their own data folder:
 * the volumes an admin declared (table volume_roots). A path is judged by its text alone
 * (absolute, no "." or ".." part, under a declared root): nothing on the disk is looked at, so
 * a refusal reveals nothing about the host's files. Where a file is then opened, its real path
 * (symlinks resolved) must still lie under the real path of a declared root and outside the
 * data folder (confine_real_ok). A root may not be "/", a system folder (/etc, /proc, /usr...),
 * nor hold or lie in the data folder.
 */
#ifndef SETPOST_CONFINE_H
#define SETPOST_CONFINE_H

#include "lib/store/db.h"
#include "lib/core/err.h"

#include <stdbool.h>

#define CONFINE_HINT "an admin declares volumes with 'setpost volume add NAME PATH'"

/* Whether path is absolute and has no empty, "." or ".." part (a trailing '/' is not allowed
 * except for "/"). */
bool confine_path_normal(const char *path);

/* Whether path is root or lies below it (both normal). */
bool confine_inside(const char *path, const char *root);

/* SP_EINVAL (naming only `what` and the path given) unless path is normal and under a
 * declared volume. */
int confine_check(struct db_conn *c, const char *what, const char *path, struct err *err);

/* Declares a volume root; data_dir is the data folder (real path, may be NULL). Declaring the
 * same path again changes nothing (*created false). */
int confine_declare(struct db *db, const char *name, const char *path, const char *data_dir,
    const char *actor, long long *id, bool *created, struct err *err);

/* Whether the real path of an opened file (or folder) lies under the real path of a declared
 * root, and outside data_dir's real path (NULL: no data folder to keep out). */
int confine_real_ok(struct db *db, const char *real, const char *data_dir, bool *ok,
    struct err *err);

#endif
