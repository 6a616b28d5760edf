/* report_offload_write: the offload report written beside each copy of a card and recorded in
 * that copy's ASC MHL history (see report_offload.h). */
#include "lib/report/report_offload.h"
#include "lib/core/version.h"
#include "lib/custody/mhl.h"
#include "lib/custody/offload_doc.h"
#include "lib/core/file.h"
#include "lib/media/camera.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define OFR_MAX (256u << 20)

static const char *const ofr_exts[] = { "pdf", "html", "csv" };

/* data to folder/name: a temporary name, flushed, renamed, the folder flushed; never over an
 * existing file (a history may list it). */
static int
ofr_put(const char *folder, const char *name, const struct buf *data, struct err *err)
{
	char tmp[PATH_MAX], final[PATH_MAX];
	int fd, rc = 0;

	snprintf(final, sizeof(final), "%s/%s", folder, name);
	snprintf(tmp, sizeof(tmp), "%s/.%s%s", folder, name, OFFLOAD_PARTIAL_SUFFIX);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
		return err_errno(err, SP_EIO, errno, "report %s", final);
	for (size_t off = 0; off < data->len && rc == 0;) {
		ssize_t n = write(fd, data->data + off, data->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			rc = err_errno(err, errno == ENOSPC ? SP_ENOSPACE : SP_EIO, errno, "report %s",
			    final);
		else
			off += (size_t)n;
	}
	if (rc == 0 && fsync(fd) < 0)
		rc = err_errno(err, SP_EIO, errno, "report %s", final);
	close(fd);
	/* link() refuses an existing name, which rename() would replace. */
	if (rc == 0 && link(tmp, final) < 0)
		rc = err_errno(err, errno == EEXIST ? SP_ECONFLICT : SP_EIO, errno, "report %s", final);
	unlink(tmp);
	if (rc == 0 && (fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(fd);
		close(fd);
	}
	return rc;
}

/* The three renderings of doc. */
struct ofr_files {
	struct buf b[3];
};

static void
ofr_files_release(struct ofr_files *f)
{
	for (size_t i = 0; i < 3; i++)
		buf_release(&f->b[i]);
}

static int
ofr_render(const json_t *doc, enum report_paper paper, struct ofr_files *f, struct err *err)
{
	int rc;

	for (size_t i = 0; i < 3; i++)
		buf_init(&f->b[i], OFR_MAX);
	if ((rc = report_pdf(doc, paper, &f->b[0], err)) < 0 ||
	    (rc = report_html(doc, &f->b[1], err)) < 0 || (rc = report_csv(doc, &f->b[2], err)) < 0)
		ofr_files_release(f);
	return rc;
}

/* The rendered files into folder, then one generation of its history listing them. */
static int
ofr_place(const struct ofr_files *f, const char *folder, const char *stem, unsigned algos,
    struct err *err)
{
	struct mhl_entry e[3];
	struct mhl_generation g = { 0 };
	char host[256] = "", names[3][256];
	time_t now = time(NULL);
	int rc = 0;

	memset(e, 0, sizeof(e));
	if (algos == 0)
		algos = HASH_BIT(HASH_XXH64);
	for (size_t i = 0; i < 3 && rc == 0; i++) {
		struct hash_result h;
		snprintf(names[i], sizeof(names[i]), "%s.%s", stem, ofr_exts[i]);
		rc = hash_buf(f->b[i].data, f->b[i].len, algos, &h, err);
		if (rc == 0)
			rc = ofr_put(folder, names[i], &f->b[i], err);
		if (rc < 0)
			break;
		e[i].path = names[i];
		e[i].size = (int64_t)f->b[i].len;
		e[i].mtime = now;
		e[i].algos = h.algos;
		for (int a = 0; a < HASH_NALGOS; a++)
			if (h.algos & HASH_BIT(a)) {
				memcpy(e[i].h[a].value, h.v[a].str, HASH_STR_MAX);
				e[i].h[a].action = MHL_ACTION_ORIGINAL;
				e[i].h[a].hashdate = now;
			}
	}
	if (rc < 0)
		return rc;
	if (gethostname(host, sizeof(host) - 1) < 0 || host[0] == '\0')
		snprintf(host, sizeof(host), "localhost");
	g.created = now;
	g.hostname = host;
	g.tool_version = SETPOST_VERSION;
	g.comment = "setpost offload report";
	g.process = MHL_PROCESS_IN_PLACE;
	g.ignore = offload_ignore;
	g.nignore = offload_nignore;
	g.entries = e;
	g.nentries = 3;
	g.dir_algo = MHL_NO_DIRHASH;
	if ((rc = mhl_write_generation(folder, &g, NULL, err)) < 0)
		return err_prefix(err, "report: recording it in %s/" MHL_DIR ": ", folder);
	return 0;
}

int
report_offload_write(const json_t *doc, enum report_paper paper, const char *folder,
    const char *stem, unsigned algos, struct err *err)
{
	struct ofr_files f;
	int rc;

	if ((rc = ofr_render(doc, paper, &f, err)) < 0)
		return rc;
	rc = ofr_place(&f, folder, stem, algos, err);
	ofr_files_release(&f);
	return rc;
}

static void
ofr_time(time_t t, char *out, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Whether destination d holds a verified copy of at least one file (the registration
 * document lists its copy then; offload_doc.c's rule). */
static int
ofr_dest_listed(const struct offload_result *res, size_t d)
{
	return !(res->dests[d].failed && res->dests[d].nverified + res->dests[d].nskipped == 0);
}

/* What one sidecar on the card says of the camera: a clip XML (Sony M01.XML, Canon, RED RMD)
 * or a Blackmagic .sidecar. Unreadable ones say nothing. */
static void
ofr_sidecar(const char *path, json_t *set, json_t *dev)
{
	const char *dot = strrchr(path, '.');
	char *text = NULL, num[32];
	size_t len = 0;
	const char *key;
	json_t *j, *v;

	if (dot == NULL || file_read_all(path, 1u << 20, &text, &len, NULL) < 0)
		return;
	if (strcasecmp(dot, ".xml") == 0 || strcasecmp(dot, ".rmd") == 0) {
		camera_from_xml(text, len, set, dev, NULL);
	} else if (strcasecmp(dot, ".sidecar") == 0 && (j = json_loadb(text, len, 0, NULL))) {
		json_object_foreach(j, key, v) {
			if (json_is_number(v))
				snprintf(num, sizeof(num), "%g", json_number_value(v));
			camera_take(set, key, json_is_number(v) ? num : json_string_value(v));
		}
		json_decref(j);
	}
	free(text);
}

/* The camera metadata each clip's sidecars on the card carry, read from the source now (the
 * file's own tags wait for the probe: the API's report has them). */
static void
ofr_camera(const struct offload_result *res, const struct card_info *card, json_t *sheet)
{
	json_t *clip;
	size_t i;

	json_array_foreach(json_object_get(sheet, "clips"), i, clip) {
		const char *name = json_string_value(json_object_get(clip, "name"));
		json_t *set = json_object(), *dev = json_object();
		char path[PATH_MAX];
		for (size_t c = 0; res->src && name && c < card->nclips; c++) {
			const struct card_clip *cc = &card->clips[c];
			if (strcmp(cc->name, name) != 0)
				continue;
			for (size_t k = cc->nessence; k < cc->nfiles; k++) {
				const struct card_file *f = &card->files[cc->files[k]];
				if (f->role != CARD_ROLE_SIDECAR || f->proxy)
					continue;
				snprintf(path, sizeof(path), "%s/%s", res->src, f->path);
				ofr_sidecar(path, set, dev);
			}
		}
		const char *make = json_string_value(json_object_get(dev, "make"));
		const char *model = json_string_value(json_object_get(dev, "model"));
		char body[160];
		snprintf(body, sizeof(body), "%s%s%s", make ? make : "", make && model ? " " : "",
		    model ? model : "");
		if (*body)
			json_object_set_new(set, "camera_model", json_string(body));
		if (json_object_get(dev, "serial"))
			json_object_set(set, "camera_serial", json_object_get(dev, "serial"));
		if (json_object_get(dev, "lens"))
			json_object_set(set, "lens", json_object_get(dev, "lens"));
		if (json_object_size(set))
			json_object_set(clip, "camera_metadata", set);
		json_decref(set);
		json_decref(dev);
	}
}

static json_t *
ofr_sheet(const struct offload_result *res, const struct card_info *card,
    const struct report_offload_run *run, const char *host, struct err *err)
{
	struct offload_doc_opts o = { .production = run->production, .day = run->day, .host = host };
	json_t *sheet, *algos = json_array(), *copies;
	char started[32], ended[32];
	size_t k = 0;

	if (offload_doc_build(res, card, &o, &sheet, err) < 0) {
		json_decref(algos);
		return NULL;
	}
	ofr_camera(res, card, sheet);
	ofr_time(run->started, started, sizeof(started));
	ofr_time(run->ended, ended, sizeof(ended));
	copies = json_object_get(sheet, "copies");
	for (size_t d = 0; d < res->ndst; d++) {
		json_t *cp, *f;
		size_t i;
		if (!ofr_dest_listed(res, d) || (cp = json_array_get(copies, k++)) == NULL)
			continue;
		/* Checked in this run: by its end. */
		json_array_foreach(json_object_get(cp, "files"), i, f)
			if (json_object_get(f, "verified_at") == NULL &&
			    strcmp(json_string_value(json_object_get(f, "state")), "verified") == 0)
				json_object_set_new(f, "verified_at", json_string(ended));
		json_object_set_new(cp, "method", json_string(offload_method_name(res->dests[d].method)));
		if (res->dests[d].card_dir)
			json_object_set_new(cp, "folder", json_string(res->dests[d].card_dir));
	}
	for (int a = 0; a < HASH_NALGOS; a++)
		if (res->algos & HASH_BIT(a))
			json_array_append_new(algos, json_string(hash_algo_name((enum hash_algo)a)));
	json_object_set_new(sheet, "run", json_pack("{s:s,s:s,s:f,s:I,s:o,s:s,s:s,s:s,s:s,s:s}",
	    "started", started, "ended", ended, "seconds", res->seconds, "bytes_read",
	    (json_int_t)res->bytes_read, "algorithms", algos, "host", host, "operator",
	    run->operator ? run->operator : "", "version", SETPOST_VERSION, "source",
	    res->src ? res->src : "", "status", res->ok ? "VERIFIED, every file on every copy" :
	    res->canceled ? "STOPPED before the end: files without a verified copy" :
	    "INCOMPLETE: files without a verified copy on every destination"));
	if (run->verdict)
		json_object_set_new(sheet, "verdict", json_deep_copy(run->verdict));
	return sheet;
}

int
report_offload_card(const struct offload_result *res, const struct card_info *card,
    const struct report_offload_run *run, struct report_offload_written *out, struct err *err)
{
	char host[256] = "localhost", stamp[32], probe[PATH_MAX];
	json_t *sheet, *doc;
	struct ofr_files files;
	struct err e1;
	struct tm tm;
	time_t when = run->ended ? run->ended : time(NULL);
	int rc, first = 0;

	memset(out, 0, sizeof(*out));
	if (run->host)
		snprintf(host, sizeof(host), "%s", run->host);
	else
		gethostname(host, sizeof(host) - 1);
	if ((sheet = ofr_sheet(res, card, run, host, err)) == NULL)
		return err->code;
	rc = report_offload_document(sheet, &doc, err);
	json_decref(sheet);
	if (rc < 0)
		return rc;
	/* A name no copy has yet: two runs within a second get the next second. */
	for (int tries = 0; tries < 60; tries++, when++) {
		int taken = 0;
		gmtime_r(&when, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%d_%H%M%SZ", &tm);
		snprintf(out->stem, sizeof(out->stem), "%s" REPORT_OFFLOAD_TAG "%s", res->label, stamp);
		for (size_t d = 0; d < res->ndst && !taken; d++) {
			struct stat st;
			if (res->dests[d].card_dir == NULL)
				continue;
			snprintf(probe, sizeof(probe), "%s/%s.pdf", res->dests[d].card_dir, out->stem);
			taken = lstat(probe, &st) == 0;
		}
		if (!taken)
			break;
	}
	/* Rendered once; the same bytes go beside every copy. */
	rc = ofr_render(doc, run->paper, &files, err);
	json_decref(doc);
	if (rc < 0)
		return rc;
	for (size_t d = 0; d < res->ndst; d++) {
		const struct offload_dest *dst = &res->dests[d];
		/* A run that verified nothing there (every copy an earlier run's) leaves it as it is. */
		if (dst->card_dir == NULL || !ofr_dest_listed(res, d) || dst->nverified == 0)
			continue;
		if (ofr_place(&files, dst->card_dir, out->stem, res->algos, &e1) == 0) {
			out->ncopies++;
			continue;
		}
		out->nfailed++;
		if (!first++)
			*err = e1;
	}
	ofr_files_release(&files);
	return out->nfailed ? err->code : 0;
}
