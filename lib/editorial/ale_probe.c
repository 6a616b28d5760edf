#include <string.h>

#include <jansson.h>

#include "lib/editorial/ale_probe.h"

int
probe_from_ale(const struct ale *ale, const char *clip, struct probe *p)
{
	size_t len = strlen(clip);

	for (size_t r = 0; r < ale->nrows; r++) {
		const char *name = ale_get(ale, r, "Name");
		/* "A001C011" matches the row "A001C011" and "A001C011.ari", not "A001C0112". */
		if (name == NULL || strncmp(name, clip, len) != 0 || (name[len] && name[len] != '.'))
			continue;
		probe_apply_row(p, ale_heading_get(ale, "FPS"), ale_get(ale, r, "Start"),
		    ale_get(ale, r, "Tape"));
		for (size_t c = 0; c < ale->ncolumns; c++)
			probe_add_camera_tag(p, ale->columns[c], ale_cell(ale, r, c));
		json_object_set_new(p->vendor, "ale", json_string("row found"));
		return 1;
	}
	return 0;
}
