/* setpost offload: copies a card to verified copies (lib/offload), with a
 * progress bar on a terminal, one line per file with --verbose, and a JSON
 * summary with --json. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "lib/custody/offload.h"
#include "lib/custody/offload_doc.h"
#include "lib/report/report_offload.h"

#include "cli.h"
#include "offload_register.h"

static const char offload_usage[] =
    "Usage: setpost offload SRC --to DST [--to DST ...] [options]\n"
    "\n"
    "Copies the card (or any folder) SRC to every DST at once, reading it once, and proves\n"
    "every copy: each file is flushed to the drive, read back from the drive (not from the\n"
    "page cache) and its checksum compared with the source's. Only then does it get its real\n"
    "name; a copy that fails is removed.\n"
    "\n"
    "Layout: the card goes to DST/LABEL/, where LABEL is --card or SRC's folder name\n"
    "(e.g. A001R1AB). Folders, names, sizes and modification times are kept. OS junk\n"
    "(.DS_Store, ._*, .Spotlight-V100, .Trashes, .fseventsd, System Volume Information,\n"
    "Thumbs.db, ...) is skipped and listed. Symbolic links are refused (cards have none).\n"
    "Each DST/LABEL/ascmhl/ gets an ASC MHL v2 generation (process \"transfer\") listing the\n"
    "files verified there. A card's own ascmhl/ folder is copied (its history continues on\n"
    "the copy) but, as ASC MHL ignores it, is not listed.\n"
    "\n"
    "  -t, --to DST         a destination folder (it must exist); repeat for each copy\n"
    "  -c, --card LABEL     the card's folder name on the destinations\n"
    "      --hash LIST      xxh64 (default), xxh3, xxh128, md5, sha1, c4; comma-separated\n"
    "                       for several (the first is used for directory hashes)\n"
    "      --source-verify  read the source a second time and compare\n"
    "      --rehash         also read back copies an earlier run verified, and replace any\n"
    "                       that changed since\n"
    "      --keep-junk      copy OS junk too (verified, never listed in manifests)\n"
    "      --no-direct      never O_DIRECT: read back after fsync + POSIX_FADV_DONTNEED\n"
    "      --author NAME, --location TEXT, --comment TEXT\n"
    "                       creator information written in the manifests\n"
    "      --paper a4|letter  the offload report's paper (default a4)\n"
    "      --no-report      no offload report (see below)\n"
    "  -v, --verbose        one line per file\n"
    "      --json           a JSON summary on standard output: per file its path, size,\n"
    "                       mtime, hashes and state on each copy; per destination its\n"
    "                       device (st_dev), file system type, UUID (from\n"
    "                       /dev/disk/by-uuid, null when udev does not list it), statfs\n"
    "                       f_fsid, counts, failures, warnings and how copies were read\n"
    "                       back: direct (O_DIRECT), dontneed (fsync + FADV_DONTNEED),\n"
    "                       memory (tmpfs: there is no device)\n"
    "      --no-progress    no progress bar (shown only when stderr is a terminal)\n"
    "  -h, --help           show this help\n"
    "\n"
    "Run again after an interruption (Ctrl-C, a crash, a power cut): copies that an earlier\n"
    "run verified (same size and time, listed in the destination's ASC MHL) are skipped,\n"
    "unfinished ones are removed and copied again. Ctrl-C stops cleanly and records what\n"
    "was verified.\n"
    "\n"
    "Offload report: at the end, every DST/LABEL/ that holds a verified copy gets\n"
    "LABEL_offload_<date>_<time>Z.pdf, .html and .csv (card, camera, reel, clips, every file\n"
    "with its size and hashes on each copy, volumes, read-back method, start and end, who\n"
    "(--author, else $USER), final status, safe to format: the server's verdict with\n"
    "--register), recorded in that copy's ASC MHL history so 'setpost verify' checks them.\n"
    "\n"
    "Registration (with a setpost server):\n"
    "      --register URL   register the card, its clips, files, hashes and copies with the\n"
    "                       server at URL (http://cart:8440): each clip as soon as its files\n"
    "                       are verified on every DST (the server starts its proxies while\n"
    "                       the rest copies), then the whole card at the end; only then can\n"
    "                       the card be safe to format\n"
    "      --token TOKEN    API token (admin role); default: SETPOST_TOKEN\n"
    "      --cacert FILE    trust this CA (the cart's own certificate) for an https URL;\n"
    "                       default: SETPOST_CACERT, else the system's CAs\n"
    "      --production P   --day YYYY-MM-DD   --camera A   what the server files it under\n"
    "\n"
    "Exit status: 0 when every file has a verified copy on every DST; 1 otherwise (one line\n"
    "per failure on stderr: file, destination, reason); 2 for a refused request; 130 when\n"
    "interrupted.\n";

enum {
	OPT_HASH = 256, OPT_SOURCE_VERIFY, OPT_REHASH, OPT_KEEP_JUNK, OPT_NO_DIRECT, OPT_AUTHOR,
	OPT_LOCATION, OPT_COMMENT, OPT_JSON, OPT_NO_PROGRESS, OPT_REGISTER, OPT_TOKEN, OPT_CACERT,
	OPT_PRODUCTION, OPT_DAY, OPT_CAMERA, OPT_PAPER, OPT_NO_REPORT,
};

static const struct option offload_longopts[] = {
	{ "to", required_argument, NULL, 't' },
	{ "card", required_argument, NULL, 'c' },
	{ "hash", required_argument, NULL, OPT_HASH },
	{ "source-verify", no_argument, NULL, OPT_SOURCE_VERIFY },
	{ "rehash", no_argument, NULL, OPT_REHASH },
	{ "keep-junk", no_argument, NULL, OPT_KEEP_JUNK },
	{ "no-direct", no_argument, NULL, OPT_NO_DIRECT },
	{ "author", required_argument, NULL, OPT_AUTHOR },
	{ "location", required_argument, NULL, OPT_LOCATION },
	{ "comment", required_argument, NULL, OPT_COMMENT },
	{ "verbose", no_argument, NULL, 'v' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "register", required_argument, NULL, OPT_REGISTER },
	{ "token", required_argument, NULL, OPT_TOKEN },
	{ "cacert", required_argument, NULL, OPT_CACERT },
	{ "production", required_argument, NULL, OPT_PRODUCTION },
	{ "day", required_argument, NULL, OPT_DAY },
	{ "camera", required_argument, NULL, OPT_CAMERA },
	{ "paper", required_argument, NULL, OPT_PAPER },
	{ "no-report", no_argument, NULL, OPT_NO_REPORT },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct offload_cli {
	struct offload_opts o;
	const char *dsts[OFFLOAD_MAX_DESTS];
	int verbose, json, bar, help, no_report, paper;
	int bar_lines;          /* lines of the progress bar on screen */
	FILE *out;              /* verbose lines and the summary */
	struct offload_register_opts reg;
	struct offload_register_parts parts;
};

/* --- options --------------------------------------------------------------- */

static int
offload_hash_opt(struct offload_cli *c, const char *list, struct err *err)
{
	char first[16];
	size_t len = strcspn(list, ",");
	int a;

	if (hash_algos_parse(list, &c->o.algos, err) < 0)
		return SP_EINVAL;
	snprintf(first, sizeof(first), "%.*s", (int)(len < 15 ? len : 15), list);
	a = hash_algo_from_name(first);
	c->o.dir_algo = a >= 0 ? a : -1;
	return 0;
}

static int
offload_option(void *arg, int ch, const char *val, struct err *err)
{
	struct offload_cli *c = arg;

	switch (ch) {
	case 't':
		if (c->o.ndst == OFFLOAD_MAX_DESTS)
			return err_set(err, SP_EINVAL, "at most %d destinations", OFFLOAD_MAX_DESTS);
		c->dsts[c->o.ndst++] = val;
		return 0;
	case 'c': c->o.card = val; return 0;
	case OPT_HASH: return offload_hash_opt(c, val, err);
	case OPT_SOURCE_VERIFY: c->o.flags |= OFFLOAD_SOURCE_VERIFY; return 0;
	case OPT_REHASH: c->o.flags |= OFFLOAD_REHASH; return 0;
	case OPT_KEEP_JUNK: c->o.flags |= OFFLOAD_KEEP_JUNK; return 0;
	case OPT_NO_DIRECT: c->o.flags |= OFFLOAD_NO_DIRECT; return 0;
	case OPT_AUTHOR: c->o.author = val; return 0;
	case OPT_LOCATION: c->o.location = val; return 0;
	case OPT_COMMENT: c->o.comment = val; return 0;
	case 'v': c->verbose = 1; return 0;
	case OPT_JSON: c->json = 1; return 0;
	case OPT_NO_PROGRESS: c->bar = -1; return 0;
	case OPT_REGISTER: c->reg.url = val; return 0;
	case OPT_TOKEN: c->reg.token = val; return 0;
	case OPT_CACERT: c->reg.cacert = val; return 0;
	case OPT_PRODUCTION: c->reg.production = val; return 0;
	case OPT_DAY: c->reg.day = val; return 0;
	case OPT_CAMERA: c->reg.camera = val; return 0;
	case OPT_PAPER:
		if ((c->paper = report_paper_parse(val)) < 0)
			return err_set(err, SP_EINVAL, "--paper %s: expected a4 or letter", val);
		return 0;
	case OPT_NO_REPORT: c->no_report = 1; return 0;
	default: return 0;
	}
}

static const struct cli_options offload_options = { ":t:c:vh", offload_longopts, offload_option };

static int
offload_parse(struct offload_cli *c, int argc, char **argv, struct err *err)
{
	int rc;

	c->o.dir_algo = -1;
	rc = cli_getopt(&offload_options, argc, argv, c, &c->help, err);
	if (rc != 0 || c->help)
		return rc;
	if (argc - optind != 1)
		return err_set(err, SP_EINVAL, argc - optind == 0 ? "no source folder (see --help)"
			       : "one source folder only; each destination needs --to");
	if (c->o.ndst == 0)
		return err_set(err, SP_EINVAL, "no destination: give --to DST (twice for two copies)");
	c->o.src = argv[optind];
	c->o.dsts = c->dsts;
#ifdef SETPOST_TEST_HOOKS   /* tests: slows the reader so faults can be injected mid-copy */
	if (getenv("SETPOST_OFFLOAD_TEST_DELAY_US") != NULL)
		c->o.test_delay_us = (unsigned)strtoul(getenv("SETPOST_OFFLOAD_TEST_DELAY_US"), NULL, 10);
	c->o.test_gate = getenv("SETPOST_OFFLOAD_TEST_GATE");
#endif
	if (c->reg.token == NULL)
		c->reg.token = getenv("SETPOST_TOKEN");
	if (c->reg.url && (c->reg.token == NULL || *c->reg.token == '\0'))
		return err_set(err, SP_EINVAL, "--register needs a token: --token or SETPOST_TOKEN");
	c->bar = c->bar == 0 && isatty(STDERR_FILENO);
	c->out = c->json ? stderr : stdout;
	return 0;
}

/* --- progress bar and lines ------------------------------------------------ */

static void
offload_bar_clear(struct offload_cli *c)
{
	if (c->bar_lines > 0)
		fprintf(stderr, "\033[%dF\033[J", c->bar_lines);
	c->bar_lines = 0;
}

static void
offload_mb(char *out, size_t len, uint64_t bytes)
{
	if (bytes >= 1000000000ull)
		snprintf(out, len, "%.2f GB", bytes / 1e9);
	else
		snprintf(out, len, "%.1f MB", bytes / 1e6);
}

static void
offload_on_progress(void *arg, const struct offload_progress *p)
{
	struct offload_cli *c = arg;
	double left = -1, wrate = p->elapsed > 0 ? p->work_done / p->elapsed : 0;
	char done[32], total[32], eta[32] = "--:--";

	if (!c->bar)
		return;
	if (wrate > 0 && p->work_total > p->work_done && p->work_done > 0)
		left = (double)(p->work_total - p->work_done) / wrate;
	if (left >= 0)
		snprintf(eta, sizeof(eta), "%d:%02d", (int)left / 60, (int)left % 60);
	offload_mb(done, sizeof(done), p->bytes_read);
	offload_mb(total, sizeof(total), p->bytes_total);
	offload_bar_clear(c);
	fprintf(stderr, "read %s / %s  files %zu/%zu  %.0f MB/s  %s left\n", done, total,
		p->files_done, p->files_total, p->rate / 1e6, eta);
	for (size_t d = 0; d < p->ndst; d++) {
		char w[32], v[32];

		offload_mb(w, sizeof(w), p->dests[d].bytes_written);
		offload_mb(v, sizeof(v), p->dests[d].bytes_verified);
		fprintf(stderr, "  %-28.28s %-17s written %s  verified %s  %zu ok %zu failed\n",
			p->dests[d].path, p->dests[d].activity, w, v, p->dests[d].files_verified,
			p->dests[d].files_failed);
	}
	c->bar_lines = 1 + (int)p->ndst;
	fflush(stderr);
}

static void
offload_on_warning(void *arg, int dest, const char *msg)
{
	struct offload_cli *c = arg;

	(void)dest;
	offload_bar_clear(c);
	fprintf(stderr, "setpost offload: warning: %s\n", msg);
}

static void
offload_on_dest_failed(void *arg, const struct offload_result *res, size_t d)
{
	struct offload_cli *c = arg;

	offload_bar_clear(c);
	fprintf(stderr, "setpost offload: %s\n", res->dests[d].error);
}

/* A copy failure gets its line here, unless its destination failed as a whole
 * (that has its own line, and a count at the end). */
static int
offload_copy_line(const struct offload_result *res, size_t k, size_t d)
{
	const struct offload_copy *cp = &res->files[k].copies[d];

	if (cp->state != OFFLOAD_FAILED && cp->state != OFFLOAD_CANCELED)
		return 0;
	if (cp->reason && strncmp(cp->reason, "not copied: ", 12) == 0)
		return 0;
	fprintf(stderr, "setpost offload: %s: %s: %s\n", res->files[k].path, res->dests[d].path,
		cp->reason ? cp->reason : offload_state_name(cp->state));
	return 1;
}

/* With --register, a clip verified on every destination is registered at once (one part of
 * the card), so the server starts on it while the rest is still copying. A failed part is
 * said once; the whole card's registration at the end still says everything. */
static void
offload_part(struct offload_cli *c, const struct offload_result *res, size_t k)
{
	struct err e = { 0 };
	const char *clip;
	int rc;

	if (c->reg.url == NULL)
		return;
	rc = offload_register_file(&c->parts, res, k, &c->reg, &clip, &e);
	if (rc < 0)
		fprintf(stderr, "setpost offload: warning: registering clip by clip stopped: %s "
		    "(the card is registered whole at the end)\n", e.msg);
	else if (rc > 0 && c->verbose)
		fprintf(c->out, "registered clip %s (verified on every destination)\n", clip);
}

static void
offload_on_file(void *arg, const struct offload_result *res, size_t k)
{
	struct offload_cli *c = arg;
	const struct offload_file *f = &res->files[k];
	size_t ok = 0, skipped = 0;
	int a = c->o.dir_algo >= 0 ? c->o.dir_algo : HASH_XXH64;
	const char *word;
	char size[32];

	offload_bar_clear(c);
	offload_part(c, res, k);
	for (size_t d = 0; d < res->ndst; d++) {
		ok += f->copies[d].state == OFFLOAD_VERIFIED;
		skipped += f->copies[d].state == OFFLOAD_SKIPPED;
		offload_copy_line(res, k, d);
	}
	if (!c->verbose)
		return;
	word = ok + skipped < res->ndst ? "FAILED" : ok == 0 ? "skipped" : "verified";
	offload_mb(size, sizeof(size), (uint64_t)f->size);
	fprintf(c->out, "%-8s %s  %s  %s %s  %zu/%zu copies", word, f->path, size,
		hash_algo_name((enum hash_algo)a), (f->hash.algos & HASH_BIT(a)) ?
		f->hash.v[a].str : "-", ok + skipped, res->ndst);
	if (skipped > 0)
		fprintf(c->out, " (%zu verified by an earlier run)", skipped);
	fputc('\n', c->out);
	fflush(c->out);
}

/* --- JSON ------------------------------------------------------------------ */

static json_t *
offload_time_json(const struct timespec *ts)
{
	char buf[64];
	struct tm tm;
	time_t t = ts->tv_sec;

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), ".%09ldZ", ts->tv_nsec);
	return json_string(buf);
}

static json_t *
offload_dev_json(dev_t dev)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%u:%u", major(dev), minor(dev));
	return json_string(buf);
}

static json_t *
offload_hashes_json(const struct hash_result *h)
{
	json_t *o = json_object();

	for (int a = 0; a < HASH_NALGOS; a++)
		if (h->algos & HASH_BIT(a))
			json_object_set_new(o, hash_algo_name((enum hash_algo)a),
					    json_string(h->v[a].str));
	return o;
}

static json_t *
offload_copy_json(const struct offload_copy *cp)
{
	json_t *o = json_pack("{s:s}", "state", offload_state_name(cp->state));

	if (cp->state == OFFLOAD_VERIFIED) {
		json_object_set_new(o, "how", json_string(offload_how_name(cp->how)));
		json_object_set_new(o, "action", json_string(mhl_action_name(cp->action)));
		json_object_set_new(o, "verify_method",
				    json_string(offload_method_name(cp->method)));
	}
	if (cp->reason)
		json_object_set_new(o, "reason", json_string(cp->reason));
	return o;
}

static json_t *
offload_file_json(const struct offload_result *res, const struct offload_file *f)
{
	json_t *copies = json_array();
	json_t *o = json_pack("{s:s,s:s,s:I,s:o,s:o,s:s}", "path", f->path, "kind",
			      offload_kind_name(f->kind), "size", (json_int_t)f->size, "mtime",
			      offload_time_json(&f->mtime), "hashes", offload_hashes_json(&f->hash),
			      "hashes_from", f->hashed == 1 ? "source" : f->hashed == 2 ?
			      "history" : "none");

	for (size_t d = 0; d < res->ndst; d++)
		json_array_append_new(copies, offload_copy_json(&f->copies[d]));
	json_object_set_new(o, "copies", copies);
	if (f->source_error)
		json_object_set_new(o, "source_error", json_string(f->source_error));
	return o;
}

static json_t *
offload_dest_json(const struct offload_result *res, size_t d)
{
	const struct offload_dest *dst = &res->dests[d];
	json_t *fails = json_array(), *warns = json_array(), *o;

	for (size_t k = 0; k < res->nfiles; k++) {
		const struct offload_copy *cp = &res->files[k].copies[d];

		if (cp->state == OFFLOAD_FAILED || cp->state == OFFLOAD_CANCELED)
			json_array_append_new(fails, json_pack("{s:s,s:s,s:s}", "path",
				res->files[k].path, "state", offload_state_name(cp->state),
				"reason", cp->reason ? cp->reason : ""));
	}
	for (size_t i = 0; i < res->nwarnings; i++)
		if (res->warning_dests[i] == (int)d)
			json_array_append_new(warns, json_string(res->warnings[i]));
	o = json_pack("{s:s,s:s?,s:o,s:I,s:s,s:s?,s:s,s:b,s:I,s:I,s:I,s:I,s:I,s:s,s:I,s:I,s:o,s:o}",
		      "path", dst->path, "card_folder", dst->card_dir, "device",
		      offload_dev_json(dst->dev), "st_dev", (json_int_t)dst->dev, "fs_type",
		      dst->fstype, "fs_uuid", dst->uuid[0] ? dst->uuid : NULL, "fsid", dst->fsid,
		      "ok", !dst->failed && dst->nfailed == 0 && dst->ncanceled == 0,
		      "verified", (json_int_t)dst->nverified, "skipped", (json_int_t)dst->nskipped,
		      "failed", (json_int_t)dst->nfailed, "canceled", (json_int_t)dst->ncanceled,
		      "repaired", (json_int_t)dst->nrepaired, "verify_method",
		      offload_method_name(dst->method), "bytes_written",
		      (json_int_t)dst->bytes_written, "bytes_verified",
		      (json_int_t)dst->bytes_verified, "failures", fails, "warnings", warns);
	if (dst->error)
		json_object_set_new(o, "error", json_string(dst->error));
	json_object_set_new(o, "generation", dst->generation ? json_integer(dst->generation)
							     : json_null());
	json_object_set_new(o, "manifest", dst->manifest ? json_string(dst->manifest) : json_null());
	return o;
}

static void
offload_json(const struct offload_result *res, const struct err *err, int rc)
{
	json_t *files = json_array(), *dests = json_array(), *junk = json_array();
	json_t *warns = json_array(), *algos = json_array(), *o;

	for (size_t k = 0; k < res->nfiles; k++)
		json_array_append_new(files, offload_file_json(res, &res->files[k]));
	for (size_t d = 0; d < res->ndst; d++)
		json_array_append_new(dests, offload_dest_json(res, d));
	for (size_t i = 0; i < res->njunk; i++)
		json_array_append_new(junk, json_string(res->junk[i]));
	for (size_t i = 0; i < res->nwarnings; i++)
		json_array_append_new(warns, json_string(res->warnings[i]));
	for (int a = 0; a < HASH_NALGOS; a++)
		if (res->algos & HASH_BIT(a))
			json_array_append_new(algos, json_string(hash_algo_name((enum hash_algo)a)));
	o = json_pack("{s:s,s:{s:s,s:o,s:I},s:b,s:b,s:o,s:I,s:I,s:f,s:o,s:o,s:o,s:o}",
		      "card", res->label, "source", "path", res->src, "device",
		      offload_dev_json(res->src_dev), "st_dev", (json_int_t)res->src_dev,
		      "ok", res->ok, "canceled", res->canceled, "algorithms", algos,
		      "bytes_total", (json_int_t)res->bytes_total, "bytes_read",
		      (json_int_t)res->bytes_read, "seconds", res->seconds, "files", files,
		      "destinations", dests, "junk_skipped", junk, "warnings", warns);
	if (rc != 0)
		json_object_set_new(o, "error", json_string(err->msg));
	json_dumpf(o, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
	json_decref(o);
}

/* --- summary ---------------------------------------------------------------- */

static void
offload_summary(struct offload_cli *c, const struct offload_result *res)
{
	char total[32];

	offload_mb(total, sizeof(total), res->bytes_total);
	fprintf(c->out, "%s: %zu files, %s, %.1f s", res->label, res->nfiles, total,
		res->seconds);
	if (res->seconds > 0 && res->bytes_read > 0)
		fprintf(c->out, " (%.0f MB/s read)", res->bytes_read / 1e6 / res->seconds);
	fprintf(c->out, "; %zu OS junk item(s) skipped\n", res->njunk);
	for (size_t d = 0; d < res->ndst; d++) {
		const struct offload_dest *dst = &res->dests[d];

		fprintf(c->out, "  %s: %zu verified, %zu already verified, %zu failed", dst->path,
			dst->nverified, dst->nskipped, dst->nfailed + dst->ncanceled);
		if (dst->nrepaired)
			fprintf(c->out, ", %zu repaired", dst->nrepaired);
		fprintf(c->out, " (read back: %s)", offload_method_name(dst->method));
		if (dst->manifest)
			fprintf(c->out, "; ascmhl/%s", dst->manifest);
		fputc('\n', c->out);
	}
}

/* One line per failed destination, with the files it lacks. */
static void
offload_dest_counts(const struct offload_result *res)
{
	for (size_t d = 0; d < res->ndst; d++) {
		size_t n = 0;

		if (!res->dests[d].failed)
			continue;
		for (size_t k = 0; k < res->nfiles; k++)
			n += res->files[k].copies[d].state != OFFLOAD_VERIFIED &&
			     res->files[k].copies[d].state != OFFLOAD_SKIPPED;
		fprintf(stderr, "setpost offload: %s: %zu of %zu files have no verified copy there\n",
			res->dests[d].path, n, res->nfiles);
	}
}

/* The offload report beside each copy (lib/report/report_offload.h). */
static int
offload_report(struct offload_cli *c, const struct offload_result *res, time_t started,
    const json_t *verdict, struct err *err)
{
	struct report_offload_run run = { started, time(NULL), c->o.author ? c->o.author :
		getenv("USER"), NULL, c->reg.production, c->reg.day, c->reg.camera, verdict,
		(enum report_paper)c->paper };
	struct report_offload_written w;
	struct card_info card;
	int rc;

	memset(&card, 0, sizeof(card));
	if ((rc = offload_doc_card(res, c->reg.camera, &card, err)) < 0)
		return rc;
	rc = report_offload_card(res, &card, &run, &w, err);
	card_info_release(&card);
	if (w.ncopies > 0)
		fprintf(c->out, "offload report: %s.pdf, .html, .csv on %zu cop%s\n", w.stem,
		    w.ncopies, w.ncopies == 1 ? "y" : "ies");
	return rc;
}

int
cmd_offload(int argc, char **argv)
{
	struct offload_cli c;
	struct offload_result res;
	struct err e = { 0 };
	json_t *verdict = NULL;
	time_t started = time(NULL);
	int rc;

	memset(&c, 0, sizeof(c));
	if (offload_parse(&c, argc, argv, &e) != 0) {
		fprintf(stderr, "setpost offload: %s\n", e.msg);
		return 2;
	}
	if (c.help) {
		fputs(offload_usage, stdout);
		return 0;
	}
	c.o.stop = &cli_stop;
	c.o.on_progress = offload_on_progress;
	c.o.on_file = offload_on_file;
	c.o.on_warning = offload_on_warning;
	c.o.on_dest_failed = offload_on_dest_failed;
	c.o.arg = &c;
	cli_signals_oneshot();
	rc = offload_run(&c.o, &res, &e);
	offload_bar_clear(&c);
	if (rc == SP_EINVAL && res.nfiles == 0 && res.ndst == 0) {
		if (c.json)
			printf("{\"ok\": false, \"refused\": true}\n");
		fprintf(stderr, "setpost offload: %s\n", e.msg);
		return 2;
	}
	if (c.json)
		offload_json(&res, &e, rc);
	else
		offload_summary(&c, &res);
	offload_dest_counts(&res);
	if (rc != 0)
		fprintf(stderr, "setpost offload: %s: %s\n", res.label ? res.label : c.o.src, e.msg);
	/* What verified is registered even when something failed: the server then says why the
	 * card is not safe to format. */
	if (c.reg.url && res.nfiles > 0 && offload_register(&res, &c.reg, &c.parts, c.out,
	    &verdict, &e) < 0) {
		fprintf(stderr, "setpost offload: %s\n", e.msg);
		rc = rc ? rc : SP_EUNAVAIL;
	}
	if (!c.no_report && res.nfiles > 0 && offload_report(&c, &res, started, verdict, &e) < 0) {
		fprintf(stderr, "setpost offload: offload report: %s\n", e.msg);
		rc = rc ? rc : SP_EIO;
	}
	json_decref(verdict);
	offload_parts_release(&c.parts.parts);
	offload_result_release(&res);
	return rc == 0 ? 0 : rc == SP_ECANCELED ? 130 : 1;
}
