#include <string.h>

#include <jansson.h>

#include "lib/editorial/ale_probe.h"

/* The row of clip: "A001C011" matches the row "A001C011" and "A001C011.ari", not "A001C0112". */
static long
ale_probe_row(const struct ale *ale, const char *clip)
{
	size_t len = strlen(clip);

	for (size_t r = 0; r < ale->nrows; r++) {
		const char *name = ale_get(ale, r, "Name");
		if (name && strncmp(name, clip, len) == 0 && (name[len] == '\0' || name[len] == '.'))
			return (long)r;
	}
	return -1;
}

int
probe_from_ale(const struct ale *ale, const char *clip, struct probe *p)
{
	long r = ale_probe_row(ale, clip);

	if (r < 0)
		return 0;
	probe_apply_row(p, ale_heading_get(ale, "FPS"), ale_get(ale, (size_t)r, "Start"),
	    ale_get(ale, (size_t)r, "Tape"));
	for (size_t c = 0; c < ale->ncolumns; c++)
		probe_add_camera_tag(p, ale->columns[c], ale_cell(ale, (size_t)r, c));
	json_object_set_new(p->vendor, "ale", json_string("row found"));
	return 1;
}

int
probe_camera_from_ale(const struct ale *ale, const char *clip, struct probe *p)
{
	long r = ale_probe_row(ale, clip);
	int n = 0;

	for (size_t c = 0; r >= 0 && c < ale->ncolumns; c++)
		n += camera_take(p->camera, ale->columns[c], ale_cell(ale, (size_t)r, c));
	return n > 0;
}
