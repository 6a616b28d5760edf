/* offload_doc: an offload result as a registration document (see offload_doc.h). */
#include "lib/custody/offload_doc.h"
#include "lib/custody/volume.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int
offload_doc_mount_point(const char *path, char *out, size_t len, struct err *err)
{
	char cur[PATH_MAX], up[PATH_MAX];
	struct stat st, pst;
	char *slash;

	if (realpath(path, cur) == NULL || stat(cur, &st) < 0)
		return err_errno(err, SP_EIO, errno, "%s", path);
	while (strcmp(cur, "/") != 0) {
		memcpy(up, cur, sizeof(up));
		slash = strrchr(up, '/');
		if (slash == up)
			up[1] = '\0';
		else
			*slash = '\0';
		if (stat(up, &pst) < 0 || pst.st_dev != st.st_dev)
			break;
		memcpy(cur, up, sizeof(cur));
	}
	snprintf(out, len, "%s", cur);
	return 0;
}

static json_t *
doc_time(const struct timespec *ts)
{
	char buf[40];
	struct tm tm;

	gmtime_r(&ts->tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}

static json_t *
doc_hashes(const struct offload_result *res, const struct offload_file *f)
{
	json_t *h = json_object();

	for (int a = 0; a < HASH_NALGOS; a++)
		if ((res->algos & HASH_BIT(a)) && (f->hash.algos & HASH_BIT(a)))
			json_object_set_new(h, hash_algo_name((enum hash_algo)a), json_string(f->hash.v[a].str));
	return h;
}

static const char *const doc_roles[] = { "media", "segment", "sidecar", "index", "other", "other" };

static json_t *
doc_file(const struct offload_result *res, const struct card_info *card, const struct offload_file *f)
{
	long k = card ? card_file_find(card, f->path) : -1;
	json_t *o = json_pack("{s:s,s:I,s:o}", "path", f->path, "size", (json_int_t)f->size,
	    "mtime", doc_time(&f->mtime));

	if (f->hashed && f->hash.algos)
		json_object_set_new(o, "hashes", doc_hashes(res, f));
	if (k >= 0) {
		const struct card_file *cf = &card->files[k];
		json_object_set_new(o, "role", json_string(doc_roles[cf->role]));
		if (cf->clip >= 0)
			json_object_set_new(o, "clip", json_string(card->clips[cf->clip].name));
		/* the camera's own proxy: the dailies source when the original needs the maker's SDK */
		if (cf->clip >= 0 && card->clips[cf->clip].proxy == k)
			json_object_set_new(o, "camera_proxy", json_true());
	} else {
		json_object_set_new(o, "role", json_string(f->kind == OFFLOAD_HISTORY ? "other" : "media"));
	}
	return o;
}

/* The sample-exact span sound sync needs (lib/soundsync): metadata.sound. */
static void
doc_sound_span(json_t *clip, const struct card_sound *s)
{
	json_t *meta = json_object_get(clip, "metadata"), *o;

	if (s->bwf.sample_rate == 0 || !json_is_object(meta))
		return;
	o = json_pack("{s:I,s:I}", "sample_rate", (json_int_t)s->bwf.sample_rate, "samples",
	    (json_int_t)s->bwf.samples);
	if (s->has_start)
		json_object_set_new(o, "time_reference", json_integer((json_int_t)s->time_reference));
	json_object_set_new(meta, "sound", o);
}

/* When the recorder's clock says the take began (bext OriginationDate and OriginationTime, the
 * recorder's wall clock, no zone): the clip's recorded_at. */
static void
doc_origination(json_t *clip, const struct bwf_info *b)
{
	char at[24];
	struct tm tm = { 0 };
	const char *end;

	if (!b->has_bext || snprintf(at, sizeof(at), "%.10sT%.8s", b->bext.origination_date,
	    b->bext.origination_time) != 19)
		return;
	/* recorders write '-', ':', '_', '/' or ' ' between the numbers */
	for (int i = 0; i < 19; i++)
		if (i != 10 && (at[i] < '0' || at[i] > '9'))
			at[i] = i < 10 ? '-' : ':';
	if ((end = strptime(at, "%Y-%m-%dT%H:%M:%S", &tm)) != NULL && *end == '\0' &&
	    tm.tm_year > 70)
		json_object_set_new(clip, "recorded_at", json_string(at));
}

/* What the sound report says about a sound roll's clip. */
static void
doc_sound(json_t *clip, const struct card_sound *s)
{
	const struct bwf_ixml *x = &s->bwf.ixml;

	if (!s->bwf.has_ixml)
		return;
	if (x->scene && *x->scene)
		json_object_set_new(clip, "scene", json_stringn(x->scene, strnlen(x->scene, 32)));
	if (x->take && *x->take)
		json_object_set_new(clip, "take", json_stringn(x->take, strnlen(x->take, 16)));
	if (x->circled >= 0)
		json_object_set_new(clip, "circled", json_boolean(x->circled == 1));
	if (x->note && *x->note)
		json_object_set_new(clip, "notes", json_stringn(x->note, strnlen(x->note, 4000)));
	if (x->tape && *x->tape)
		json_object_set_new(clip, "reel", json_stringn(x->tape, strnlen(x->tape, 32)));
	if (s->start_tc[0])
		json_object_set_new(clip, "start_tc", json_string(s->start_tc));
	if (s->has_rate) {
		json_object_set_new(clip, "fps_num", json_integer(s->rate.num));
		json_object_set_new(clip, "fps_den", json_integer(s->rate.den));
	}
}

/* Whether file i goes in the document: never junk or setpost's report; in a part, only the
 * part's clip's files. */
static bool
doc_wanted(const struct offload_result *res, const struct card_info *card,
    const struct offload_doc_opts *o, size_t i)
{
	const struct offload_file *f = &res->files[i];
	long k;

	if (f->kind == OFFLOAD_JUNK || offload_doc_is_report(f->path))
		return false;
	if (!o->part)
		return true;
	k = card ? card_file_find(card, f->path) : -1;
	return k >= 0 && card->files[k].clip >= 0 && (size_t)card->files[k].clip == o->clip;
}

static json_t *
doc_clips(const struct card_info *card, const struct offload_doc_opts *opts)
{
	json_t *clips = json_array();

	for (size_t i = 0; card && i < card->nclips; i++) {
		if (opts->part && i != opts->clip)
			continue;
		const struct card_clip *c = &card->clips[i];
		json_t *o = json_pack("{s:s}", "name", c->name);
		json_t *meta = json_pack("{s:b}", "decodable", c->decodable);
		if (c->warning)
			json_object_set_new(meta, "warning", json_string(c->warning));
		json_object_set_new(o, "metadata", meta);
		if (card->camera[0])
			json_object_set_new(o, "camera", json_string(card->camera));
		if (c->sound) {
			doc_sound(o, c->sound);
			doc_origination(o, &c->sound->bwf);
			doc_sound_span(o, c->sound);
		}
		json_array_append_new(clips, o);
	}
	return clips;
}

static json_t *
doc_copy(const struct offload_result *res, const struct card_info *card, size_t d,
    const struct offload_doc_opts *o, struct err *err)
{
	const struct offload_dest *dst = &res->dests[d];
	char mount[PATH_MAX], key[128];
	const char *rel, *name;
	json_t *files = json_array(), *vol;

	if (offload_doc_mount_point(dst->card_dir, mount, sizeof(mount), err) < 0) {
		json_decref(files);
		return NULL;
	}
	rel = dst->card_dir + strlen(mount);
	while (*rel == '/')
		rel++;
	name = strcmp(mount, "/") == 0 ? "/" : strrchr(mount, '/') + 1;
	struct volume_id vid = { .dev = dst->dev };
	snprintf(vid.fsid, sizeof(vid.fsid), "%s", dst->fsid);
	snprintf(vid.uuid, sizeof(vid.uuid), "%s", dst->uuid);
	volume_key(&vid, o->host, key, sizeof(key));
	vol = json_pack("{s:s,s:s,s:s,s:s}", "key", key, "name", name, "host", o->host ? o->host :
	    "localhost", "mount_path", mount);
	for (size_t i = 0; i < res->nfiles; i++) {
		const struct offload_file *f = &res->files[i];
		const struct offload_copy *cp = &f->copies[d];
		if (!doc_wanted(res, card, o, i))
			continue;
		json_t *cf = NULL;
		if (cp->state == OFFLOAD_VERIFIED || cp->state == OFFLOAD_SKIPPED)
			cf = json_pack("{s:s,s:s,s:o}", "path", f->path, "state", "verified", "hashes",
			    doc_hashes(res, f));
		else if (cp->state == OFFLOAD_FAILED)
			cf = json_pack("{s:s,s:s,s:s}", "path", f->path, "state", "failed", "error",
			    cp->reason ? cp->reason : "failed");
		/* When the check was made: a later failure the server knows of still wins. */
		if (cf && cp->checked)
			json_object_set_new(cf, "verified_at", doc_time(&(struct timespec){ cp->checked, 0 }));
		if (cf)
			json_array_append_new(files, cf);
	}
	return json_pack("{s:o,s:s,s:o}", "volume", vol, "path", rel, "files", files);
}

int
offload_doc_is_report(const char *path)
{
	const char *tag = strstr(path, OFFLOAD_REPORT_TAG), *dot;
	unsigned y, mo, d, h, mi, s;
	char z;
	int n = 0;

	if (strchr(path, '/') != NULL)
		return 0;
	while (tag && strstr(tag + 1, OFFLOAD_REPORT_TAG))
		tag = strstr(tag + 1, OFFLOAD_REPORT_TAG);
	if (tag == NULL || tag == path || (dot = strrchr(tag, '.')) == NULL)
		return 0;
	if (strcmp(dot, ".pdf") != 0 && strcmp(dot, ".html") != 0 && strcmp(dot, ".csv") != 0)
		return 0;
	if (sscanf(tag + strlen(OFFLOAD_REPORT_TAG), "%4u%2u%2u_%2u%2u%2u%c%n", &y, &mo, &d, &h, &mi,
	    &s, &z, &n) != 7 || z != 'Z')
		return 0;
	return tag + strlen(OFFLOAD_REPORT_TAG) + n == dot;
}

int
offload_doc_build(const struct offload_result *res, const struct card_info *card,
    const struct offload_doc_opts *o, json_t **doc, struct err *err)
{
	json_t *d, *files = json_array(), *copies = json_array(), *cardj;

	if (o->part && (card == NULL || o->clip >= card->nclips)) {
		json_decref(files);
		json_decref(copies);
		return err_set(err, SP_EINVAL, "a part of the card names no clip of it");
	}
	for (size_t i = 0; i < res->nfiles; i++)
		if (doc_wanted(res, card, o, i))
			json_array_append_new(files, doc_file(res, card, &res->files[i]));
	for (size_t k = 0; k < res->ndst; k++) {
		json_t *cp;
		/* A part is made only of files verified on every destination (and its counts may be
		 * moving: the offload still runs). */
		if (!o->part && res->dests[k].failed &&
		    res->dests[k].nverified + res->dests[k].nskipped == 0)
			continue;
		if ((cp = doc_copy(res, card, k, o, err)) == NULL) {
			json_decref(files);
			json_decref(copies);
			return err->code;
		}
		json_array_append_new(copies, cp);
	}
	cardj = json_pack("{s:s}", "label", res->label);
	if (card && card->camera[0])
		json_object_set_new(cardj, "camera", json_string(card->camera));
	if (card)
		json_object_set_new(cardj, "vendor", json_string(card->vendor));
	if (card && card->reel[0])
		json_object_set_new(cardj, "reel", json_string(card->reel));
	if (card && card->kind == CARD_SOUND)
		json_object_set_new(cardj, "kind", json_string("sound"));
	d = json_pack("{s:o,s:o,s:o,s:o}", "card", cardj, "clips", doc_clips(card, o), "files", files,
	    "copies", copies);
	if (o->part)
		json_object_set_new(d, "complete", json_false());
	if (o->production)
		json_object_set_new(d, "production", json_string(o->production));
	if (o->day)
		json_object_set_new(d, "day", json_string(o->day));
	*doc = d;
	return 0;
}

int
offload_doc_card(const struct offload_result *res, const char *camera, struct card_info *card,
    struct err *err)
{
	struct card_entry *e = calloc(res->nfiles + 1, sizeof(*e));
	struct card_opts co = { .label = res->label, .camera = camera };
	size_t n = 0;
	int rc;

	if (e == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	for (size_t i = 0; i < res->nfiles; i++)
		if (res->files[i].kind == OFFLOAD_MEDIA && !offload_doc_is_report(res->files[i].path))
			e[n++] = (struct card_entry){ res->files[i].path, (uint64_t)res->files[i].size };
	rc = card_identify(res->src, e, n, &co, card, err);
	free(e);
	return rc;
}

int
offload_parts_file(struct offload_parts *p, const struct offload_result *res, size_t k,
    const char *camera, size_t *clip, struct err *err)
{
	const struct offload_file *f = &res->files[k];
	long i;
	size_t c;
	bool all = res->ndst > 0;

	if (p->identified == 0) {
		memset(&p->card, 0, sizeof(p->card));
		if (offload_doc_card(res, camera, &p->card, err) < 0) {
			p->identified = -1;
			return err->code;
		}
		p->left = calloc(p->card.nclips + 1, sizeof(*p->left));
		p->short_ = calloc(p->card.nclips + 1, 1);
		if (p->left == NULL || p->short_ == NULL) {
			p->identified = -1;
			return err_set(err, SP_ENOMEM, "out of memory");
		}
		for (c = 0; c < p->card.nclips; c++)
			p->left[c] = p->card.clips[c].nfiles;
		p->identified = 1;
	}
	if (p->identified < 0 || (i = card_file_find(&p->card, f->path)) < 0 ||
	    p->card.files[i].clip < 0)
		return 0;
	c = (size_t)p->card.files[i].clip;
	for (size_t d = 0; d < res->ndst; d++)
		all = all && (f->copies[d].state == OFFLOAD_VERIFIED ||
		    f->copies[d].state == OFFLOAD_SKIPPED);
	if (!all || !f->hashed)
		p->short_[c] = 1;
	if (p->left[c] == 0 || --p->left[c] > 0 || p->short_[c])
		return 0;
	*clip = c;
	return 1;
}

int
offload_doc_part(struct offload_parts *p, const struct offload_result *res, size_t k,
    const struct offload_doc_opts *o, const char *camera, json_t **doc, size_t *clip,
    struct err *err)
{
	struct offload_doc_opts po = *o;
	int rc;

	if ((rc = offload_parts_file(p, res, k, camera, clip, err)) <= 0)
		return rc;
	po.part = 1;
	po.clip = *clip;
	return (rc = offload_doc_build(res, &p->card, &po, doc, err)) < 0 ? rc : 1;
}

void
offload_parts_release(struct offload_parts *p)
{
	if (p->identified != 0)
		card_info_release(&p->card);
	free(p->left);
	free(p->short_);
	memset(p, 0, sizeof(*p));
}
