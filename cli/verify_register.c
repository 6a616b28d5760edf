/* verify_register: a verify report to the server (see verify_register.h). */
#include "verify_register.h"
#include "lib/core/version.h"
#include "lib/custody/offload_doc.h"
#include "lib/custody/volume.h"
#include "lib/report/report_offload.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The volume the folder is on, as offload --register names it, and the folder's path on it. */
static int
verify_register_where(const char *dir, json_t **vol, char *rel, size_t len, struct err *err)
{
	char real[PATH_MAX], mount[PATH_MAX], host[256] = "localhost", key[128];
	struct volume_id v;
	const char *r;
	int fd, rc;

	if (realpath(dir, real) == NULL || (fd = open(real, O_RDONLY | O_DIRECTORY)) < 0)
		return err_errno(err, SP_EIO, errno, "%s", dir);
	rc = volume_identify_fd(fd, &v, err);
	close(fd);
	if (rc < 0 || (rc = offload_doc_mount_point(real, mount, sizeof(mount), err)) < 0)
		return rc;
	gethostname(host, sizeof(host) - 1);
	volume_key(&v, host, key, sizeof(key));
	for (r = real + strlen(mount); *r == '/'; r++)
		;
	snprintf(rel, len, "%s", r);
	*vol = json_pack("{s:s,s:s,s:s,s:s}", "key", key, "name", strcmp(mount, "/") == 0 ? "/" :
	    strrchr(mount, '/') + 1, "host", host, "mount_path", mount);
	return 0;
}

/* One file's result; for a changed one, the first hash that differs (or the size). */
static json_t *
verify_register_file(const struct mhl_history *h, const struct mhl_entry *e,
    enum mhl_status s)
{
	const struct mhl_entry *k = mhl_history_find(h, e->path);
	json_t *o = json_pack("{s:s,s:s}", "path", e->path, "result",
	    s == MHL_STATUS_FAILED ? "failed" : "verified");
	char why[400];

	if (s != MHL_STATUS_FAILED || k == NULL)
		return o;
	for (int a = 0; a < HASH_NALGOS; a++)
		if ((k->algos & e->algos & HASH_BIT(a)) && strcmp(k->h[a].value, e->h[a].value)) {
			json_object_set_new(o, "algorithm", json_string(hash_algo_name(a)));
			json_object_set_new(o, "expected", json_string(k->h[a].value));
			json_object_set_new(o, "found", json_string(e->h[a].value));
			snprintf(why, sizeof(why), "%s %s, expected %s", hash_algo_name(a),
			    e->h[a].value, k->h[a].value);
			json_object_set_new(o, "error", json_string(why));
			return o;
		}
	snprintf(why, sizeof(why), "size %lld, expected %lld", (long long)e->size,
	    (long long)k->size);
	json_object_set_new(o, "error", json_string(why));
	return o;
}

static void
verify_register_verdict(json_t *v, FILE *out)
{
	json_t *card, *w;
	size_t i, j;

	fprintf(out, "reported: %lld checks recorded", (long long)json_integer_value(
	    json_object_get(v, "recorded")));
	if (json_integer_value(json_object_get(v, "unknown")) > 0)
		fprintf(out, ", %lld files the server knows no copy of here",
		    (long long)json_integer_value(json_object_get(v, "unknown")));
	fputc('\n', out);
	json_array_foreach(json_object_get(v, "cards"), i, card) {
		fprintf(out, "card %s (id %lld): safe to format: %s; working drives safe to clear: "
		    "%s\n", json_string_value(json_object_get(card, "label")),
		    (long long)json_integer_value(json_object_get(card, "id")),
		    json_is_true(json_object_get(card, "safe_to_format")) ? "YES" : "no",
		    json_is_true(json_object_get(card, "safe_to_clear")) ? "YES" : "no");
		json_array_foreach(json_object_get(card, "why_not"), j, w)
			if (j < 10)
				fprintf(out, "  not safe: %s\n", json_string_value(w));
		json_array_foreach(json_object_get(card, "why_not_clear"), j, w)
			if (j < 10)
				fprintf(out, "  not clear: %s\n", json_string_value(w));
	}
}

int
verify_register(const char *dir, const struct mhl_history *h, const struct mhl_report *rep,
    int (*generation_of)(const void *arg, const char *path), const void *arg, time_t checked,
    const struct offload_register_opts *o, FILE *out, struct err *err)
{
	char rel[PATH_MAX], when[32];
	json_t *vol = NULL, *files = json_array(), *doc, *verdict;
	struct tm tm;
	int rc;

	if ((rc = verify_register_where(dir, &vol, rel, sizeof(rel), err)) < 0) {
		json_decref(files);
		return err_prefix(err, "register: ");
	}
	/* The offload reports beside the card's files are checked (the verify above says so) but are
	 * no file of the card the server knows. */
	for (size_t i = 0; i < rep->nentries; i++)
		if ((rep->status[i] == MHL_STATUS_VERIFIED || rep->status[i] == MHL_STATUS_FAILED) &&
		    !report_offload_is_report(rep->entries[i].path)) {
			json_t *f = verify_register_file(h, &rep->entries[i], rep->status[i]);
			int g = generation_of(arg, rep->entries[i].path);
			if (g > 0)
				json_object_set_new(f, "generation", json_integer(g));
			json_array_append_new(files, f);
		}
	for (size_t i = 0; i < rep->nmissing; i++)
		if (!report_offload_is_report(rep->missing[i]))
			json_array_append_new(files, json_pack("{s:s,s:s,s:s}", "path", rep->missing[i],
		    "result", "missing", "error", "missing from the copy"));
	gmtime_r(&checked, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	doc = json_pack("{s:o,s:s,s:s,s:s,s:o}", "volume", vol, "path", rel, "checked_at", when,
	    "tool", "setpost verify " SETPOST_VERSION, "files", files);
	if ((rc = offload_register_post(o, "/api/v1/verifications", doc, &verdict, err)) < 0)
		return rc;
	verify_register_verdict(verdict, out);
	json_decref(verdict);
	return 0;
}
