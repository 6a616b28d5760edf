/* report_doc: the pieces report documents are built of (see report_doc.h). */
#include "lib/report/report_doc.h"

#include <stdio.h>

void
report_size(long long n, char *out, size_t len)
{
	static const char *const unit[] = { "B", "kB", "MB", "GB", "TB", "PB" };
	double v = (double)n;
	int u = 0;

	while (v >= 1000 && u < 5) {
		v /= 1000;
		u++;
	}
	snprintf(out, len, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

const char *
report_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

json_t *
report_field(const char *label, const char *value)
{
	return json_pack("[s,s]", label, value ? value : "");
}

json_t *
report_columns(const char *const *names, const double *shares, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack("[s,f]", names[i], shares[i]));
	return a;
}

json_t *
report_section(const char *heading, json_t *columns, json_t *rows, const char *empty)
{
	return json_pack("{s:s,s:o,s:o,s:s}", "heading", heading, "columns", columns, "rows", rows,
	    "empty", empty);
}
