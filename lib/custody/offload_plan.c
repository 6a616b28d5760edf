/* offload_plan: the offload's side of ASC MHL — loading the card's and each
 * destination's history, deciding per file and destination what this run does
 * (skip, write, read back), judging a verified copy against the history
 * (original / verified / contradiction), and writing each destination's
 * generation. */
#include "lib/custody/offload_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/core/version.h"

/* The reference tool's preference when a history knows a file by other
 * algorithms than the ones asked for. */
static const enum hash_algo plan_pref[] = {
	HASH_MD5, HASH_SHA1, HASH_XXH128, HASH_XXH3, HASH_XXH64, HASH_C4,
};

static const struct mhl_entry *
plan_known(const struct mhl_history *h, const struct offload_file *f)
{
	if (h == NULL || f->kind != OFFLOAD_MEDIA)
		return NULL;
	return mhl_history_find(h, f->path);
}

/* Adds to r->algos, for each file a history knows only by other algorithms,
 * the one it prefers, so that every copy can be judged against it. */
static void
plan_extra_algos(struct ofl_run *r, const struct mhl_history *h)
{
	for (size_t k = 0; h != NULL && k < r->res->nfiles; k++) {
		const struct mhl_entry *e = plan_known(h, &r->res->files[k]);

		if (e == NULL || e->algos == 0 || (e->algos & r->user_algos) != 0)
			continue;
		for (size_t i = 0; i < sizeof(plan_pref) / sizeof(plan_pref[0]); i++)
			if (e->algos & HASH_BIT(plan_pref[i])) {
				r->algos |= HASH_BIT(plan_pref[i]);
				break;
			}
	}
}

static void
plan_missing_gens(struct ofl_run *r, size_t d)
{
	const struct mhl_subhistory *sh = r->src_hist.nhists ? &r->src_hist.hists[0] : NULL;
	char rel[PATH_MAX];

	for (size_t i = 0; sh != NULL && i < sh->ngens; i++) {
		snprintf(rel, sizeof(rel), "%s/%s", MHL_DIR, sh->gens[i].file);
		if (faccessat(r->dr[d].card_fd, rel, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
			ofl_warn(r, (int)d, "%s: the card's ASC MHL generation %s is not in the "
				 "destination's history, which is kept as it is (not merged)",
				 r->res->dests[d].path, sh->gens[i].file);
	}
}

static void
plan_load_dest(struct ofl_run *r, size_t d)
{
	struct ofl_drun *dr = &r->dr[d];
	char rel[64];
	struct err e;

	snprintf(rel, sizeof(rel), "%s/%s", MHL_DIR, MHL_CHAIN);
	dr->has_chain = faccessat(dr->card_fd, rel, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	if (mhl_history_load(&dr->hist, r->res->dests[d].card_dir, &e) == 0)
		dr->hist_loaded = 1;
	else
		ofl_warn(r, (int)d, "%s: its ASC MHL history cannot be read (%s): nothing there "
			 "counts as verified, every file is copied or read back", 
			 r->res->dests[d].path, e.msg);
	if (dr->has_chain)
		dr->judge = dr->hist_loaded ? &dr->hist : NULL;
	else
		dr->judge = r->src_has_hist ? &r->src_hist : NULL;
	if (dr->has_chain && r->src_has_hist)
		plan_missing_gens(r, d);
}

/* Loads the card's own history (if it has one) and each destination's, and
 * extends r->algos with what they need. Runs before the threads start. */
void
ofl_histories_load(struct ofl_run *r)
{
	char path[PATH_MAX];
	struct err e;

	snprintf(path, sizeof(path), "%s/%s", r->res->src, MHL_DIR);
	if (access(path, F_OK) == 0) {
		if (mhl_history_load(&r->src_hist, r->res->src, &e) == 0)
			r->src_has_hist = r->src_hist.nfiles > 0;
		else
			ofl_warn(r, -1, "the card's own ASC MHL history cannot be read (%s): copies "
				 "are checked against the card only", e.msg);
	}
	plan_extra_algos(r, r->src_has_hist ? &r->src_hist : NULL);
	for (size_t d = 0; d < r->ndst; d++) {
		if (r->res->dests[d].failed)
			continue;
		plan_load_dest(r, d);
		plan_extra_algos(r, r->dr[d].judge);
		if (r->dr[d].hist_loaded)
			plan_extra_algos(r, &r->dr[d].hist);
	}
}

/* A copy an earlier run verified: the file has the source's size and mtime,
 * and the destination's history lists it with them and with a hash in one of
 * the algorithms asked for. */
static int
plan_verified_before(struct ofl_run *r, size_t d, const struct offload_file *f,
		     const struct stat *st)
{
	const struct mhl_entry *e;

	if (!r->dr[d].has_chain || !r->dr[d].hist_loaded)
		return 0;
	e = plan_known(&r->dr[d].hist, f);
	(void)st;
	return e != NULL && !e->last_failed && (e->algos & r->user_algos) != 0 &&
	       e->size == f->size && e->mtime == f->mtime.tv_sec;
}

/* A copy whose latest check (by any tool) failed: its bytes are not the card's, whatever
 * its size and mtime say, so it is copied again, never skipped nor merely read back. */
static int
plan_failed_before(struct ofl_run *r, size_t d, const struct offload_file *f)
{
	const struct mhl_entry *e;

	if (!r->dr[d].has_chain || !r->dr[d].hist_loaded)
		return 0;
	e = plan_known(&r->dr[d].hist, f);
	return e != NULL && e->last_failed;
}

/* Takes the hashes a history holds for a file no copy of which is read. */
static void
plan_hash_from_history(struct ofl_run *r, struct offload_file *f)
{
	for (size_t d = 0; d < r->ndst && !f->hashed; d++) {
		const struct mhl_entry *e = r->dr[d].hist_loaded ? plan_known(&r->dr[d].hist, f)
								 : NULL;

		for (int a = 0; e != NULL && a < HASH_NALGOS; a++)
			if ((e->algos & HASH_BIT(a)) &&
			    hash_value_parse((enum hash_algo)a, e->h[a].value, &f->hash.v[a], NULL) == 0)
				f->hash.algos |= HASH_BIT(a);
		if (f->hash.algos != 0) {
			f->hashed = 2;
			f->hash.nbytes = (uint64_t)f->size;
		}
	}
}

static enum ofl_mode
plan_one(struct ofl_run *r, size_t d, size_t k)
{
	struct offload_file *f = &r->res->files[k];
	struct stat st;

	if (r->res->dests[d].failed) {
		ofl_final_locked(r, k, d, OFFLOAD_FAILED, r->res->dests[d].code, "not copied: "
				 "the destination failed");
		return OFL_NONE;
	}
	if (f->kind == OFFLOAD_HISTORY && r->dr[d].has_chain &&
	    strncmp(f->path, MHL_DIR "/", strlen(MHL_DIR) + 1) == 0) {
		ofl_final_locked(r, k, d, OFFLOAD_SKIPPED, 0, NULL);
		return OFL_SKIP; /* the destination's own history is kept */
	}
	if (fstatat(r->dr[d].card_fd, f->path, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return OFL_WRITE;
	if (!S_ISREG(st.st_mode)) {
		ofl_final_locked(r, k, d, OFFLOAD_FAILED, SP_ECONFLICT, "%s exists on the "
				 "destination and is not a file", f->path);
		return OFL_NONE;
	}
	if (st.st_size != f->size || st.st_mtim.tv_sec != f->mtime.tv_sec ||
	    plan_failed_before(r, d, f))
		return OFL_WRITE;
	if (plan_verified_before(r, d, f, &st) && !(r->o->flags & OFFLOAD_REHASH)) {
		ofl_final_locked(r, k, d, OFFLOAD_SKIPPED, 0, NULL);
		return OFL_SKIP;
	}
	return OFL_CHECK;
}

/* Decides what the first pass does with every file on every destination, and
 * lists the files it reads in r->pass. Runs before the threads start. */
void
ofl_plan(struct ofl_run *r)
{
	struct offload_result *res = r->res;

	pthread_mutex_lock(&r->mu);
	r->npass = 0;
	for (size_t k = 0; k < res->nfiles; k++) {
		int work = 0;

		for (size_t d = 0; d < r->ndst; d++) {
			enum ofl_mode m = plan_one(r, d, k);

			ofl_cell(r, k, d)->mode = (unsigned char)m;
			if (m == OFL_WRITE)
				r->dr[d].need += (uint64_t)res->files[k].size;
			if (m == OFL_WRITE || m == OFL_CHECK) {
				r->fr[k].pending++;
				work = 1;
			}
		}
		if (work) {
			r->pass[r->npass++] = k;
			r->pass_bytes += (uint64_t)res->files[k].size;
		} else {
			plan_hash_from_history(r, &res->files[k]);
			ofl_file_done_locked(r, k);
		}
	}
	for (size_t d = 0; d < r->ndst; d++)
		if (!res->dests[d].failed && r->dr[d].need > res->dests[d].bytes_free)
			ofl_warn_locked(r, (int)d, "%s: %.1f MB to write, %.1f MB free: it will "
					"fill up", res->dests[d].path, r->dr[d].need / 1e6,
					res->dests[d].bytes_free / 1e6);
	pthread_mutex_unlock(&r->mu);
}

static int
plan_same_value(enum hash_algo a, const char *x, const char *y)
{
	return a == HASH_C4 ? strcmp(x, y) == 0 : strcasecmp(x, y) == 0;
}

/* Judges a copy whose hashes equal the source's against the history of its
 * destination: `original` when the history does not know the file (or knows no
 * algorithm we computed), `verified` when every common hash matches. A
 * mismatch returns SP_EMISMATCH with why filled: the card's data contradict an
 * earlier generation, and the copy must not replace what is there. */
int
ofl_judge(struct ofl_run *r, size_t d, size_t k, enum mhl_action *action, char *why,
	  size_t whylen)
{
	const struct offload_file *f = &r->res->files[k];
	const struct mhl_entry *e = plan_known(r->dr[d].judge, f);
	unsigned common = e ? e->algos & f->hash.algos : 0;

	*action = common ? MHL_ACTION_VERIFIED : MHL_ACTION_ORIGINAL;
	for (int a = 0; a < HASH_NALGOS; a++) {
		if (!(common & HASH_BIT(a)) ||
		    plan_same_value((enum hash_algo)a, f->hash.v[a].str, e->h[a].value))
			continue;
		snprintf(why, whylen, "%s %s read from the card differs from %s in generation %d "
			 "of %s: not put in place", hash_algo_name((enum hash_algo)a),
			 f->hash.v[a].str, e->h[a].value, e->generation,
			 r->dr[d].has_chain ? "the destination's ASC MHL history"
					    : "the card's own ASC MHL history");
		*action = MHL_ACTION_FAILED;
		return SP_EMISMATCH;
	}
	return 0;
}

static void
plan_file_entry(struct mhl_entry *e, const struct offload_file *f, const struct offload_copy *c)
{
	memset(e, 0, sizeof(*e));
	e->path = f->path;
	e->size = f->size;
	e->mtime = f->mtime.tv_sec;
	e->algos = f->hash.algos;
	for (int a = 0; a < HASH_NALGOS; a++) {
		if (!(f->hash.algos & HASH_BIT(a)))
			continue;
		memcpy(e->h[a].value, f->hash.v[a].str, HASH_STR_MAX);
		e->h[a].action = c->action;
		e->h[a].hashdate = f->hashdate;
	}
}

/* The entries of d's generation: the card's folders, and the media files this
 * run verified there. *complete: every media file of the card is among them. */
static struct mhl_entry *
plan_entries(struct ofl_run *r, size_t d, size_t *n, size_t *nfiles, int *complete)
{
	struct offload_result *res = r->res;
	struct mhl_entry *v = calloc(res->nfiles + res->ndirs + 1, sizeof(*v));

	*n = *nfiles = 0;
	*complete = 1;
	if (v == NULL)
		return NULL;
	for (size_t i = 0; i < res->ndirs; i++) {
		if (res->dirs[i].kind != OFFLOAD_MEDIA)
			continue;
		v[*n].path = res->dirs[i].path;
		v[*n].is_dir = 1;
		v[*n].size = -1;
		v[(*n)++].mtime = res->dirs[i].mtime.tv_sec;
	}
	for (size_t k = 0; k < res->nfiles; k++) {
		const struct offload_file *f = &res->files[k];
		const struct offload_copy *c = &f->copies[d];

		if (f->kind != OFFLOAD_MEDIA)
			continue;
		if (c->state != OFFLOAD_VERIFIED || f->hashed != 1) {
			*complete = 0;
			continue;
		}
		plan_file_entry(&v[(*n)++], f, c);
		(*nfiles)++;
	}
	return v;
}

/* Writes d's next generation, when this run verified at least one media file
 * there; a failure to write it fails the destination. */
void
ofl_write_manifest(struct ofl_run *r, size_t d)
{
	struct offload_dest *dst = &r->res->dests[d];
	struct mhl_author author = { .name = r->o->author };
	struct mhl_generation g = { 0 };
	struct mhl_written w;
	size_t n, nfiles;
	char host[256] = "";
	int complete;
	struct mhl_entry *v;
	struct err e;

	if (r->dr[d].card_fd < 0)
		return;
	v = plan_entries(r, d, &n, &nfiles, &complete);
	if (v == NULL || nfiles == 0) {
		free(v);
		return;
	}
	if (gethostname(host, sizeof(host) - 1) < 0 || host[0] == '\0')
		snprintf(host, sizeof(host), "localhost");
	g.created = time(NULL);
	g.hostname = host;
	g.tool_version = SETPOST_VERSION;
	g.authors = r->o->author ? &author : NULL;
	g.nauthors = r->o->author ? 1 : 0;
	g.location = r->o->location;
	g.comment = r->o->comment;
	g.process = MHL_PROCESS_TRANSFER;
	g.ignore = offload_ignore;
	g.nignore = offload_nignore;
	g.entries = v;
	g.nentries = n;
	g.dir_algo = complete ? r->dir_algo : MHL_NO_DIRHASH;
	if (mhl_write_generation(dst->card_dir, &g, &w, &e) == 0) {
		dst->generation = w.generation;
		dst->manifest = strdup(w.manifest);
	} else {
		pthread_mutex_lock(&r->mu);
		ofl_dest_fail_locked(r, d, e.code, "destination %s: could not write its ASC MHL "
				     "manifest: %s%s", dst->path, e.msg, e.code == SP_ENOSPACE ||
				     strstr(e.msg, "No space") ? " (no space left)" : "");
		pthread_mutex_unlock(&r->mu);
	}
	free(v);
}
