/* mhl_stage: a generation written on disk and read back into memory (see mhl_stage.h). */
#include "lib/archive/mhl_stage.h"
#include "lib/core/safe_name.h"
#include "lib/core/file.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int
stage_read(const char *path, size_t max, struct buf *into, struct err *err)
{
	char *data = NULL;
	size_t len = 0;
	int rc;

	if ((rc = file_read_all(path, max, &data, &len, err)) < 0)
		return rc;
	if (buf_append(into, data, len) < 0)
		rc = err_set(err, SP_ENOMEM, "out of memory");
	free(data);
	return rc;
}

int
mhl_stage(const char *stage_dir, const char *root, const struct mhl_generation *g,
    struct mhl_staged *out, struct err *err)
{
	char stage[PATH_MAX], dir[PATH_MAX + SAFE_NAME_MAX + 8], f1[PATH_MAX + 600], f2[PATH_MAX + 600];
	char safe[SAFE_NAME_MAX + 1];
	struct mhl_written w;
	int rc = 0;

	memset(&w, 0, sizeof(w));
	memset(out, 0, sizeof(*out));
	buf_init(&out->manifest, 0);
	buf_init(&out->chain, 0);
	safe_name(root, "root", safe, sizeof(safe));
	snprintf(stage, sizeof(stage), "%s/mhl-stage-XXXXXX", stage_dir);
	if (mkdtemp(stage) == NULL)
		return err_errno(err, SP_EIO, errno, "%s", stage);
	snprintf(dir, sizeof(dir), "%s/%s", stage, safe);
	if (mkdir(dir, 0700) < 0)
		rc = err_errno(err, SP_EIO, errno, "%s", dir);
	if (rc == 0)
		rc = mhl_write_generation(dir, g, &w, err);
	snprintf(f1, sizeof(f1), "%s/%s/%s", dir, MHL_DIR, w.manifest);
	snprintf(f2, sizeof(f2), "%s/%s/%s", dir, MHL_DIR, MHL_CHAIN);
	if (rc == 0 && (rc = stage_read(f1, 1u << 30, &out->manifest, err)) == 0)
		rc = stage_read(f2, 1u << 24, &out->chain, err);
	snprintf(out->name, sizeof(out->name), "%s", w.manifest);
	if (w.manifest[0])
		unlink(f1);
	unlink(f2);
	snprintf(f1, sizeof(f1), "%s/%s", dir, MHL_DIR);
	rmdir(f1);
	rmdir(dir);
	rmdir(stage);
	if (rc < 0) {
		buf_release(&out->manifest);
		buf_release(&out->chain);
	}
	return rc;
}
