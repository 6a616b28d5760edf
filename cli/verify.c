/* setpost verify: checks a folder against its ASC MHL history (ours or another
 * tool's, nested histories included) and records what it found as a new
 * generation, thin over lib/mhl. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "lib/core/hash.h"
#include "lib/custody/mhl.h"
#include "lib/core/version.h"

/* Declared here until cli/cli.h lists it. */
#include "cli.h"
#include "verify_register.h"

static const char verify_usage[] =
    "Usage: setpost verify [options] DIR\n"
    "\n"
    "Checks the folder DIR against its ASC MHL history (DIR/ascmhl/, written by setpost or\n"
    "by any other ASC MHL tool, with the histories of subfolders that have their own\n"
    "ascmhl/): every file is hashed and compared with the newest hash the history holds\n"
    "for it. The chain of manifests is checked first (c4 of every manifest): a manifest\n"
    "that was altered or replaced is an error. Then a new generation (process \"in-place\")\n"
    "records what was found: `verified`, `failed` for a changed file, `original` for a new\n"
    "one; each nested history gets its own new generation with its files, referenced from\n"
    "the parent's, as the reference tool does. OS junk (.DS_Store, ._*, ...) and the\n"
    "history's ignore patterns are skipped.\n"
    "\n"
    "  --hash LIST    algorithms to compute: xxh64, xxh3, xxh128, md5, sha1, c4,\n"
    "                 comma-separated (the first is used for directory hashes). Default:\n"
    "                 those the history already uses, or xxh64 for a new history. A file\n"
    "                 the history knows by other algorithms is also hashed with one of those.\n"
    "  --init         DIR has no history yet: write generation 1, every file `original`\n"
    "  --no-write     only check: write no generation\n"
    "  --json         the report as JSON on standard output\n"
    "  -v, --verbose  one line per file (verified ones too)\n"
    "  --register URL report what was found to a setpost server, which records every check\n"
    "                 and counts a copy only while its latest check succeeded (a changed or\n"
    "                 missing file makes its card not safe to format at once). The token\n"
    "                 (admin) comes from --token or SETPOST_TOKEN; --cacert FILE (or\n"
    "                 SETPOST_CACERT) for an https server with its own CA\n"
    "  -h, --help     show this help\n"
    "\n"
    "Output: one line per problem (changed PATH, missing PATH) and per new file, then a\n"
    "summary line with the counts of verified, new, changed and missing files.\n"
    "\n"
    "Exit status: 0 when no file is changed or missing (new files are listed but are not\n"
    "a failure: they are recorded as `original`); 1 when a file is changed or missing, or\n"
    "on an error (one line on stderr: a tampered manifest, an unreadable file, no history);\n"
    "2 for a bad command line; 130 when interrupted (nothing is written).\n";

enum { OPT_HASH = 256, OPT_INIT, OPT_NO_WRITE, OPT_JSON, OPT_REGISTER, OPT_TOKEN, OPT_CACERT };

static const struct option verify_longopts[] = {
	{ "hash", required_argument, NULL, OPT_HASH },
	{ "init", no_argument, NULL, OPT_INIT },
	{ "no-write", no_argument, NULL, OPT_NO_WRITE },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "register", required_argument, NULL, OPT_REGISTER },
	{ "token", required_argument, NULL, OPT_TOKEN },
	{ "cacert", required_argument, NULL, OPT_CACERT },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Directory hashes use the fastest algorithm computed, when --hash names none. */
static const enum hash_algo verify_dir_pref[] = {
	HASH_XXH64, HASH_XXH3, HASH_XXH128, HASH_MD5, HASH_SHA1, HASH_C4,
};

struct verify_cli {
	const char *dir;
	unsigned algos;         /* --hash, 0 when not given */
	int dir_algo;           /* first of --hash, -1 when not given */
	int init, no_write, json, verbose, help;
	struct offload_register_opts reg;   /* reg.url NULL: report to no server */
};

/* What one run found and did, for the text and JSON reports. */
struct verify_run {
	struct verify_cli *c;
	struct mhl_history h;
	struct mhl_report rep;
	unsigned algos;         /* computed for every file */
	size_t ngens;           /* generations in the history, nested ones included */
	int written;            /* a generation was written: w holds the root's */
	struct mhl_written *ws; /* per history of h (nested ones too), when wrote[i] */
	int *wrote;
	time_t now;             /* when the check ran */
	struct mhl_written w;
};

/* --- options ------------------------------------------------------------- */

static int
verify_hash_opt(struct verify_cli *c, const char *list, struct err *err)
{
	char first[16];
	size_t len = strcspn(list, ",");

	if (hash_algos_parse(list, &c->algos, err) < 0)
		return SP_EINVAL;
	snprintf(first, sizeof(first), "%.*s", (int)(len < 15 ? len : 15), list);
	c->dir_algo = hash_algo_from_name(first);
	return 0;
}

static int
verify_option(void *arg, int ch, const char *val, struct err *err)
{
	struct verify_cli *c = arg;

	switch (ch) {
	case OPT_HASH: return verify_hash_opt(c, val, err);
	case OPT_INIT: c->init = 1; return 0;
	case OPT_NO_WRITE: c->no_write = 1; return 0;
	case OPT_JSON: c->json = 1; return 0;
	case OPT_REGISTER: c->reg.url = val; return 0;
	case OPT_TOKEN: c->reg.token = val; return 0;
	case OPT_CACERT: c->reg.cacert = val; return 0;
	case 'v': c->verbose = 1; return 0;
	default: return 0;
	}
}

static const struct cli_options verify_options = { ":vh", verify_longopts, verify_option };

/* Fills c from the command line; any failure is a usage error. */
static int
verify_parse(struct verify_cli *c, int argc, char **argv, struct err *err)
{
	int rc;

	c->dir_algo = -1;
	rc = cli_getopt(&verify_options, argc, argv, c, &c->help, err);
	if (rc != 0 || c->help)
		return rc;
	if (argc - optind != 1)
		return err_set(err, SP_EINVAL, argc - optind == 0 ? "no folder given (see --help)" :
			       "one folder only (see --help)");
	if (c->init && c->no_write)
		return err_set(err, SP_EINVAL, "--init writes a generation: it cannot go with "
			       "--no-write");
	c->dir = argv[optind];
	if (c->reg.token == NULL)
		c->reg.token = getenv("SETPOST_TOKEN");
	if (c->reg.url && c->reg.token == NULL)
		return err_set(err, SP_EINVAL, "--register needs a token: --token or SETPOST_TOKEN");
	if (c->reg.url && c->init)
		return err_set(err, SP_EINVAL, "--init checks nothing: it cannot go with --register");
	return 0;
}

/* --- the history --------------------------------------------------------- */

/* DIR must be a folder with an ascmhl/ folder, unless --init makes the first one. */
static int
verify_check_dir(const struct verify_cli *c, struct err *err)
{
	struct stat st;
	char *mhl = NULL;
	int rc = 0;

	if (stat(c->dir, &st) < 0)
		return err_errno(err, err_from_errno(errno), errno, "%s", c->dir);
	if (!S_ISDIR(st.st_mode))
		return err_set(err, SP_EINVAL, "%s: not a folder", c->dir);
	if (asprintf(&mhl, "%s/%s", c->dir, MHL_DIR) < 0)
		return err_set(err, SP_ENOMEM, "out of memory");
	if (stat(mhl, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			rc = err_set(err, SP_EINVAL, "%s: not a folder", mhl);
	} else if (errno != ENOENT) {
		rc = err_errno(err, err_from_errno(errno), errno, "%s", mhl);
	} else if (!c->init) {
		rc = err_set(err, SP_ENOTFOUND, "%s has no %s/ folder: nothing to verify against "
			     "(copy it with `setpost offload`, or record its present state with "
			     "`setpost verify --init %s`)", c->dir, MHL_DIR, c->dir);
	}
	free(mhl);
	return rc;
}

static size_t
verify_count_gens(const struct mhl_history *h)
{
	size_t n = 0;

	for (size_t i = 0; i < h->nhists; i++)
		n += h->hists[i].ngens;
	return n;
}

/* Loads the history and checks it fits the mode: one to verify against, or
 * none at all for --init. */
static int
verify_load(struct verify_run *r, struct err *err)
{
	int rc = mhl_history_load(&r->h, r->c->dir, err);

	if (rc < 0)
		return rc;
	r->ngens = verify_count_gens(&r->h);
	if (r->c->init && r->ngens > 0)
		return err_set(err, SP_ECONFLICT, "%s already has an ASC MHL history (%zu "
			       "generation%s): run without --init", r->c->dir, r->ngens,
			       r->ngens == 1 ? "" : "s");
	if (!r->c->init && r->ngens == 0)
		return err_set(err, SP_ENOTFOUND, "%s/%s holds no generation: nothing to verify "
			       "against (record one with `setpost verify --init %s`)", r->c->dir,
			       MHL_DIR, r->c->dir);
	return 0;
}

/* --hash, else every algorithm the history uses, else xxh64. */
static unsigned
verify_algos(const struct verify_cli *c, const struct mhl_history *h)
{
	unsigned algos = 0;

	if (c->algos != 0)
		return c->algos;
	for (size_t i = 0; i < h->nfiles; i++)
		algos |= h->files[i].algos;
	return algos != 0 ? algos : HASH_BIT(HASH_XXH64);
}

static int
verify_dir_algo(const struct verify_cli *c, unsigned algos)
{
	if (c->dir_algo >= 0)
		return c->dir_algo;
	for (size_t i = 0; i < sizeof(verify_dir_pref) / sizeof(verify_dir_pref[0]); i++)
		if (algos & HASH_BIT(verify_dir_pref[i]))
			return (int)verify_dir_pref[i];
	return MHL_NO_DIRHASH;
}

static int
verify_progress(void *arg, const char *path, uint64_t done, uint64_t total)
{
	(void)arg, (void)path, (void)done, (void)total;
	return cli_stop != 0;
}

/* --- the new generation -------------------------------------------------- */

/* The history a path belongs to: the deepest nested one whose folder holds it, else the
 * root's (0). A nested history's own folder belongs to the one above it. */
static size_t
verify_owner(const struct mhl_history *h, const char *path)
{
	size_t best = 0, bestlen = 0;

	for (size_t i = 1; i < h->nhists; i++) {
		size_t n = strlen(h->hists[i].prefix);
		if (h->hists[i].ngens > 0 && n > bestlen && strncmp(path, h->hists[i].prefix, n) == 0 && path[n] == '/') {
			best = i;
			bestlen = n;
		}
	}
	return best;
}

/* Deepest histories first, so a parent references its children's new generations. */
static size_t
verify_order(const struct mhl_history *h, size_t *order)
{
	size_t n = 0;

	for (size_t i = 0; i < h->nhists; i++)
		order[n++] = i;
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strlen(h->hists[order[j]].prefix) >
		    strlen(h->hists[order[j - 1]].prefix); j--) {
			size_t t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	return n;
}

/* Writes the generation of history k: the entries it owns (paths made relative to its folder)
 * and a <hashlistreference> to the new (or, when none was written, newest) manifest of each
 * history directly below it. As the reference tool does, each nested history gets its own
 * generation, so a later copy of that folder alone shows the check. */
static int
verify_write_one(struct verify_run *r, size_t k, struct mhl_generation g, struct err *err)
{
	const struct mhl_subhistory *s = &r->h.hists[k];
	size_t plen = strlen(s->prefix), ne = 0, nrefs = 0;
	struct mhl_entry *ents = calloc(r->rep.nentries + 1, sizeof(*ents));
	struct mhl_ref *refs = calloc(r->h.nhists + 1, sizeof(*refs));
	char (*paths)[PATH_MAX] = calloc(r->h.nhists + 1, sizeof(*paths));
	char root[PATH_MAX * 2];
	int rc = 0;

	if (ents == NULL || refs == NULL || paths == NULL)
		rc = err_set(err, SP_ENOMEM, "out of memory");
	for (size_t i = 0; rc == 0 && i < r->rep.nentries; i++)
		if (verify_owner(&r->h, r->rep.entries[i].path) == k) {
			ents[ne] = r->rep.entries[i];
			ents[ne++].path = r->rep.entries[i].path + (plen ? plen + 1 : 0);
		}
	for (size_t i = 1; rc == 0 && i < r->h.nhists; i++) {
		const struct mhl_subhistory *c = &r->h.hists[i];
		if (verify_owner(&r->h, c->prefix) != k || i == k || (c->ngens == 0 && !r->wrote[i]))
			continue;
		snprintf(paths[nrefs], sizeof(paths[nrefs]), "%s/%s/%s", c->prefix + (plen ? plen + 1 :
		    0), MHL_DIR, r->wrote[i] ? r->ws[i].manifest : c->gens[c->ngens - 1].file);
		refs[nrefs].path = paths[nrefs];
		refs[nrefs].c4 = r->wrote[i] ? r->ws[i].c4 : c->gens[c->ngens - 1].c4;
		nrefs++;
	}
	g.entries = ents;
	g.nentries = ne;
	g.refs = refs;
	g.nrefs = nrefs;
	if (k != 0) {
		g.ignore = NULL;
		g.nignore = 0;
	}
	snprintf(root, sizeof(root), "%s%s%s", r->c->dir, plen ? "/" : "", s->prefix);
	if (rc == 0 && (rc = mhl_write_generation(root, &g, &r->ws[k], err)) == 0)
		r->wrote[k] = 1;
	else if (rc < 0 && plen)
		err_prefix(err, "%s: ", s->prefix);
	free(ents);
	free(refs);
	free(paths);
	return rc;
}

static int
verify_write(struct verify_run *r, time_t now, struct err *err)
{
	struct mhl_generation g = { 0 };
	char host[256] = "";
	size_t *order;
	int rc = 0;

	if (gethostname(host, sizeof(host) - 1) < 0 || host[0] == '\0')
		snprintf(host, sizeof(host), "localhost");
	g.created = now;
	g.hostname = host;
	g.tool_version = SETPOST_VERSION;
	g.process = MHL_PROCESS_IN_PLACE;
	g.ignore = r->h.nignore > 0 ? (const char *const *)r->h.ignore : NULL;
	g.nignore = r->h.nignore;
	g.dir_algo = verify_dir_algo(r->c, r->algos);
	r->ws = calloc(r->h.nhists + 1, sizeof(*r->ws));
	r->wrote = calloc(r->h.nhists + 1, sizeof(*r->wrote));
	order = calloc(r->h.nhists + 1, sizeof(*order));
	if (r->ws == NULL || r->wrote == NULL || order == NULL)
		rc = err_set(err, SP_ENOMEM, "out of memory");
	/* A nested history with no generation yet stays as it is: its files go to the parent. */
	for (size_t i = 0, n = rc == 0 ? verify_order(&r->h, order) : 0; rc == 0 && i < n; i++)
		if (order[i] == 0 || r->h.hists[order[i]].ngens > 0)
			rc = verify_write_one(r, order[i], g, err);
	free(order);
	if (rc == 0) {
		r->written = 1;
		r->w = r->ws[0];
	} else {
		err_prefix(err, "could not write a new generation (--no-write only checks): ");
	}
	return rc;
}

/* The generation a file's check was recorded in (its history's), 0 for none. */
static int
verify_generation_of(const void *arg, const char *path)
{
	const struct verify_run *r = arg;
	size_t k = verify_owner(&r->h, path);

	return r->wrote && r->wrote[k] ? r->ws[k].generation : 0;
}

/* --- the report ---------------------------------------------------------- */

static const char *
verify_status_name(enum mhl_status s)
{
	return s == MHL_STATUS_NEW ? "new" : s == MHL_STATUS_FAILED ? "changed" : "verified";
}

/* What differs for a changed file: "size 10, expected 12; xxh64 ab.., expected cd..". */
static void
verify_why(const struct mhl_history *h, const struct mhl_entry *e, char *out, size_t len)
{
	const struct mhl_entry *k = mhl_history_find(h, e->path);
	size_t at = 0;

	out[0] = '\0';
	if (k == NULL)
		return;
	if (k->size >= 0 && k->size != e->size)
		at += (size_t)snprintf(out, len, "size %lld, expected %lld", (long long)e->size,
				       (long long)k->size);
	for (int a = 0; a < HASH_NALGOS && at < len; a++) {
		if (!(k->algos & e->algos & HASH_BIT(a)) || strcmp(k->h[a].value, e->h[a].value) == 0)
			continue;
		at += (size_t)snprintf(out + at, len - at, "%s%s %s, expected %s (generation %d)",
				       at ? "; " : "", hash_algo_name((enum hash_algo)a),
				       e->h[a].value, k->h[a].value, k->generation);
	}
}

static int
verify_ok(const struct mhl_report *rep)
{
	return rep->nfailed == 0 && rep->nmissing == 0;
}

static void
verify_print_text(const struct verify_run *r)
{
	const struct mhl_report *rep = &r->rep;
	char why[1024];

	for (size_t i = 0; i < rep->nentries; i++) {
		const struct mhl_entry *e = &rep->entries[i];
		enum mhl_status s = rep->status[i];

		if (s == MHL_STATUS_DIR || (s == MHL_STATUS_VERIFIED && !r->c->verbose) ||
		    (s == MHL_STATUS_NEW && r->c->init && !r->c->verbose))
			continue;
		if (s == MHL_STATUS_FAILED)
			verify_why(&r->h, e, why, sizeof(why));
		printf("%-8s %s%s%s\n", verify_status_name(s), e->path,
		       s == MHL_STATUS_FAILED && why[0] ? ": " : "",
		       s == MHL_STATUS_FAILED ? why : "");
	}
	for (size_t i = 0; i < rep->nmissing; i++)
		printf("%-8s %s\n", "missing", rep->missing[i]);
	/* Each nested history checked got its own generation (the summary stays last). */
	for (size_t i = 1; r->written && i < r->h.nhists; i++)
		if (r->wrote[i])
			printf("wrote generation %d in %s (%s/%s/%s)\n", r->ws[i].generation,
			    r->h.hists[i].prefix, r->h.hists[i].prefix, MHL_DIR, r->ws[i].manifest);
	printf("%s: %zu verified, %zu new, %zu changed, %zu missing", r->c->dir, rep->nverified,
	       rep->nnew, rep->nfailed, rep->nmissing);
	if (r->written)
		printf("; wrote generation %d (%s/%s)\n", r->w.generation, MHL_DIR, r->w.manifest);
	else
		printf("; nothing written\n");
}

static json_t *
verify_hashes_json(const struct mhl_entry *e)
{
	json_t *o = json_object();

	for (int a = 0; a < HASH_NALGOS; a++)
		if (e->algos & HASH_BIT(a))
			json_object_set_new(o, hash_algo_name((enum hash_algo)a),
					    json_string(e->h[a].value));
	return o;
}

static json_t *
verify_file_json(const struct verify_run *r, size_t i)
{
	const struct mhl_entry *e = &r->rep.entries[i];
	const struct mhl_entry *k = mhl_history_find(&r->h, e->path);
	json_t *o = json_pack("{s:s,s:s,s:I,s:o}", "path", e->path, "status",
			      verify_status_name(r->rep.status[i]), "size", (json_int_t)e->size,
			      "hashes", verify_hashes_json(e));

	if (o != NULL && k != NULL) {
		json_object_set_new(o, "expected", verify_hashes_json(k));
		json_object_set_new(o, "expected_size", k->size >= 0 ?
				    json_integer(k->size) : json_null());
		json_object_set_new(o, "expected_from_generation", json_integer(k->generation));
	}
	return o;
}

static json_t *
verify_algos_json(unsigned algos)
{
	json_t *a = json_array();

	for (int i = 0; i < HASH_NALGOS; i++)
		if (algos & HASH_BIT(i))
			json_array_append_new(a, json_string(hash_algo_name((enum hash_algo)i)));
	return a;
}

static json_t *
verify_nested_json(const struct mhl_history *h)
{
	json_t *a = json_array();

	for (size_t i = 0; i < h->nhists; i++)
		if (*h->hists[i].prefix != '\0')
			json_array_append_new(a, json_pack("{s:s,s:I}", "folder", h->hists[i].prefix,
							   "generations",
							   (json_int_t)h->hists[i].ngens));
	return a;
}

static int
verify_print_json(const struct verify_run *r, struct err *err)
{
	const struct mhl_report *rep = &r->rep;
	json_t *files = json_array(), *missing = json_array(), *o;
	int rc = 0;

	for (size_t i = 0; i < rep->nentries; i++)
		if (rep->status[i] != MHL_STATUS_DIR)
			json_array_append_new(files, verify_file_json(r, i));
	for (size_t i = 0; i < rep->nmissing; i++)
		json_array_append_new(missing, json_string(rep->missing[i]));
	o = json_pack("{s:s,s:b,s:o,s:I,s:o,s:{s:I,s:I,s:I,s:I},s:I,s:o,s:o}",
		      "root", r->c->dir, "ok", verify_ok(rep), "algorithms",
		      verify_algos_json(r->algos), "generations_before", (json_int_t)r->ngens,
		      "nested", verify_nested_json(&r->h), "counts",
		      "verified", (json_int_t)rep->nverified, "new", (json_int_t)rep->nnew,
		      "changed", (json_int_t)rep->nfailed, "missing", (json_int_t)rep->nmissing,
		      "bytes", (json_int_t)rep->bytes, "files", files, "missing", missing);
	if (o == NULL)
		return err_set(err, SP_ENOMEM, "json report: out of memory");
	json_object_set_new(o, "generation", r->written ? json_integer(r->w.generation)
			    : json_null());
	json_object_set_new(o, "manifest", r->written ? json_string(r->w.manifest) : json_null());
	if (json_dumpf(o, stdout, JSON_INDENT(2)) < 0 || fputc('\n', stdout) == EOF)
		rc = err_set(err, SP_EIO, "json report: cannot write to standard output");
	json_decref(o);
	return rc;
}

/* --- the command --------------------------------------------------------- */

/* Loads, verifies, writes. Returns 0 or the error; the report is in r. */
static int
verify_run(struct verify_run *r, struct err *err)
{
	struct mhl_verify_opts opts = { 0 };
	time_t now = r->now = time(NULL);
	int rc = verify_check_dir(r->c, err);

	if (rc == 0)
		rc = verify_load(r, err);
	if (rc < 0)
		return rc;
	r->algos = verify_algos(r->c, &r->h);
	opts.algos = r->algos;
	opts.now = now;
	opts.progress = verify_progress;
	rc = mhl_verify(r->c->dir, &r->h, &opts, &r->rep, err);
	if (rc == 0 && !r->c->no_write)
		rc = verify_write(r, now, err);
	return rc;
}

int
cmd_verify(int argc, char **argv)
{
	struct verify_cli c = { 0 };
	struct verify_run r = { .c = &c };
	struct err e = { 0 };
	int rc, status;

	if (verify_parse(&c, argc, argv, &e) != 0) {
		fprintf(stderr, "setpost verify: %s\n", e.msg);
		return 2;
	}
	if (c.help) {
		fputs(verify_usage, stdout);
		return 0;
	}
	cli_stop = 0;
	cli_signals_oneshot();
	rc = verify_run(&r, &e);
	/* The check itself succeeded even when writing its generation failed: show it. */
	if ((rc == 0 || r.rep.status != NULL) && c.json && verify_print_json(&r, &e) < 0 && rc == 0)
		rc = SP_EIO;
	else if ((rc == 0 || r.rep.status != NULL) && !c.json)
		verify_print_text(&r);
	/* The server learns of every check that ran, failed ones first of all, even when
	 * writing the generation failed. */
	if ((rc == 0 || r.rep.status != NULL) && rc != SP_ECANCELED && c.reg.url) {
		struct err re;
		if (verify_register(c.dir, &r.h, &r.rep, verify_generation_of, &r, r.now,
		    &c.reg, c.json ? stderr : stdout, &re) < 0) {
			if (rc == 0)
				e = re, rc = re.code;
			else
				fprintf(stderr, "setpost verify: %s\n", re.msg);
		}
	}
	status = rc == SP_ECANCELED ? 130 : rc < 0 ? 1 : verify_ok(&r.rep) ? 0 : 1;
	if (rc < 0)
		fprintf(stderr, "setpost verify: %s\n", rc == SP_ECANCELED ? "interrupted: nothing "
			"written" : e.msg);
	fflush(stdout);
	mhl_report_release(&r.rep);
	mhl_history_release(&r.h);
	free(r.ws);
	free(r.wrote);
	return status;
}
