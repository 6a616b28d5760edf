/* clip_input: the file a clip's media work reads (see clip_input.h). */
#include "lib/custody/clip_input.h"

#include <stdio.h>
#include <string.h>

int
clip_input_camera_proxy(struct db_conn *c, const struct locate_clip *lc, struct probe *px,
    char *path, size_t len, struct err *err)
{
	int rc;

	if (lc->proxy_file_id == 0)
		return 0;
	if ((rc = locate_file(c, lc->proxy_file_id, path, len, err)) < 0 ||
	    (rc = probe_file(path, lc->proxy_rel_path, px, NULL, NULL, err)) < 0)
		return err_prefix(err, "%s: camera proxy: ", lc->name);
	return px->decodable && px->video_streams > 0 && px->width > 0;
}

int
clip_input_locate(struct db_conn *c, struct locate_clip *lc, struct probe *p, struct err *err)
{
	struct probe px;
	int rc;

	lc->from_camera_proxy = false;
	if (p->decodable) {
		rc = locate_file(c, lc->file_id, lc->path, sizeof(lc->path), err);
		return rc < 0 ? rc : 1;
	}
	if (strcmp(p->status, "vendor_tool") != 0 || lc->proxy_file_id == 0)
		return 0;
	probe_init(&px);
	if ((rc = clip_input_camera_proxy(c, lc, &px, lc->path, sizeof(lc->path), err)) <= 0) {
		probe_release(&px);
		lc->path[0] = '\0';
		return rc;
	}
	probe_release(p);
	*p = px;   /* the proxy's json objects now belong to p */
	lc->from_camera_proxy = true;
	return 1;
}

const char *
clip_input_source(const struct locate_clip *lc)
{
	return lc->from_camera_proxy ? "camera_proxy" : "original";
}
