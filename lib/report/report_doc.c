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

/* A clip's duration (h:mm:ss) from frames and rate, or "". */
void
report_clip_duration(const json_t *clip, char *out, size_t len)
{
	json_int_t frames = json_integer_value(json_object_get(clip, "frames"));
	json_int_t num = json_integer_value(json_object_get(clip, "fps_num"));
	json_int_t den = json_integer_value(json_object_get(clip, "fps_den"));

	*out = '\0';
	if (frames <= 0 || num <= 0 || den <= 0)
		return;
	long long s = (long long)((double)frames * (double)den / (double)num + 0.5);
	snprintf(out, len, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
}

/* Codec, resolution and rate, as far as they are known. */
void
report_clip_format(const json_t *clip, char *out, size_t len)
{
	json_int_t w = json_integer_value(json_object_get(clip, "width"));
	json_int_t h = json_integer_value(json_object_get(clip, "height"));
	json_int_t num = json_integer_value(json_object_get(clip, "fps_num"));
	json_int_t den = json_integer_value(json_object_get(clip, "fps_den"));
	int n = snprintf(out, len, "%s", report_str(clip, "codec"));

	if (w > 0 && h > 0 && n >= 0 && (size_t)n < len)
		n += snprintf(out + n, len - (size_t)n, "%s%lldx%lld", n ? " " : "", (long long)w,
		    (long long)h);
	if (num > 0 && den > 0 && n >= 0 && (size_t)n < len)
		snprintf(out + n, len - (size_t)n, "%s%.3g fps", n ? " " : "", (double)num / (double)den);
}
