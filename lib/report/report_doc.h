/*
 * report_doc: the small pieces every report document is built of (lib/report/report.h's
 * format): a header field, a table's columns, a section, sizes as people read them.
 */
#ifndef SETPOST_REPORT_DOC_H
#define SETPOST_REPORT_DOC_H

#include <jansson.h>
#include <stddef.h>

/* "1.2 GB": decimal units, as drives are sold and as the operating systems a DIT uses show. */
void report_size(long long n, char *out, size_t len);

/* o's member key as a string, "" when absent or not a string. */
const char *report_str(const json_t *o, const char *key);

/* A clip's duration (h:mm:ss) from its frames and rate, or "" when they are not known. */
void report_clip_duration(const json_t *clip, char *out, size_t len);

/* A clip's codec, resolution and rate ("ProRes 1920x1080 23.976 fps"), as far as known. */
void report_clip_format(const json_t *clip, char *out, size_t len);

/* ["label", "value"] (NULL value: ""). */
json_t *report_field(const char *label, const char *value);

/* [["name", share], ...] of n columns. */
json_t *report_columns(const char *const *names, const double *shares, size_t n);

/* {"heading", "columns", "rows", "empty"}; takes the references to columns and rows. */
json_t *report_section(const char *heading, json_t *columns, json_t *rows, const char *empty);

#endif
