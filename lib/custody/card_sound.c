/* card_sound: sound rolls (CARDS.md 7): WAV headers through lib/bwf, split-mono
 * families, and the "sound" layout (see card.h and card_int.h). */
#include "lib/custody/card_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- reading the headers -------------------------------------------------------- */

void
card_sound_free(struct card_sound *s)
{
	if (s == NULL)
		return;
	bwf_release(&s->bwf);
	free(s);
}

static int
card_file_warn(struct card_file *f, const char *msg)
{
	if (f->warning != NULL)
		return 0;
	return (f->warning = strdup(msg)) ? 0 : SP_ENOMEM;
}

/* The start: bext TimeReference, else the iXML timestamp; then the label at the
 * iXML timecode rate. A bext/iXML disagreement is a warning (SPECS.md 7.2). */
static int
card_sound_start(struct card_file *f, struct card_sound *s)
{
	const struct bwf_info *w = &s->bwf;
	char msg[160];
	struct err e = { 0 };

	if (w->has_bext) {
		s->has_start = true;
		s->time_reference = w->bext.time_reference;
	} else if (w->has_ixml && w->ixml.has_timestamp) {
		s->has_start = true;
		s->time_reference = w->ixml.timestamp;
	}
	s->has_rate = bwf_timecode_rate(w, &s->rate, &e) == 0;
	if (s->has_rate && s->has_start &&
	    (bwf_start_frames(w, &s->rate, &s->start_frames, &e) != 0 ||
	    timecode_format(&s->rate, s->start_frames, s->start_tc, &e) != 0))
		s->start_tc[0] = '\0';
	if (w->has_bext && w->has_ixml && w->ixml.has_timestamp &&
	    (w->ixml.timestamp_sample_rate == 0 || w->ixml.timestamp_sample_rate == w->sample_rate) &&
	    w->ixml.timestamp != w->bext.time_reference) {
		snprintf(msg, sizeof(msg), "bext start %" PRIu64 " differs from iXML timestamp %"
		    PRIu64 " (samples)", w->bext.time_reference, w->ixml.timestamp);
		return card_file_warn(f, msg);
	}
	return 0;
}

static int
card_sound_one(struct card_build *b, struct card_file *f, struct err *err)
{
	char path[CARD_PATH_MAX * 2], msg[640];
	struct card_sound *s = calloc(1, sizeof(*s));
	struct err e = { 0 };
	int rc;

	if (s == NULL)
		return err_set(err, SP_ENOMEM, "card: out of memory");
	snprintf(path, sizeof(path), "%s/%s", b->root, f->path);
	rc = bwf_read(path, &s->bwf, &e);
	if (rc == SP_ENOMEM) {
		free(s);
		return err_set(err, SP_ENOMEM, "%s", e.msg);
	}
	if (rc != 0) {
		free(s);
		snprintf(msg, sizeof(msg), "not a readable WAV: %s", e.msg);
		rc = card_file_warn(f, msg);
	} else {
		f->sound = s;
		rc = card_sound_start(f, s);
	}
	return rc ? err_set(err, SP_ENOMEM, "card: out of memory") : 0;
}

int
card_sound_read(struct card_build *b, struct err *err)
{
	int rc;

	if (b->root == NULL || (b->flags & CARD_NO_READ))
		return 0;
	for (size_t i = 0; i < b->info->nfiles; i++) {
		struct card_file *f = &b->info->files[i];

		if (f->role == CARD_ROLE_SKIP || !(card_ext_is(f->path, "wav") ||
		    card_ext_is(f->path, "bwf")))
			continue;
		if ((rc = card_sound_one(b, f, err)) != 0)
			return rc;
	}
	return 0;
}

/* ---- split-mono families -------------------------------------------------------- */

/* The take a track file belongs to: Zoom "…_Tr1", "…_Tr1_2", "…_TrLR"; Sound Devices
 * "…_1" … "…_9", "…_10"?, "…_A" (tracks 10+). Returns the base length, or len. */
static size_t
card_family_base(const char *s, size_t len)
{
	char c = len ? s[len - 1] : '\0';

	for (size_t k = len; k-- > 1;)
		if (k + 3 < len && s[k] == '_' && strncasecmp(s + k + 1, "Tr", 2) == 0)
			return k;
	if (len >= 3 && s[len - 2] == '_' && ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')))
		return len - 2;
	if (len >= 4 && s[len - 3] == '_' && s[len - 2] >= '0' && s[len - 2] <= '9' &&
	    c >= '0' && c <= '9')
		return len - 3;
	return len;
}

struct card_member {
	char *key;                      /* "FOLDER/BASE" upper-cased */
	size_t file;
	size_t baselen;
};

static int
card_member_cmp(const void *a, const void *b)
{
	const struct card_member *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : (x->file < y->file ? -1 : x->file > y->file);
}

static bool
card_same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

/* Files of one family must agree on the start and on scene and take, and hold one
 * or two tracks each (mono, or a Zoom stereo pair): a poly file is its own take. */
static bool
card_family_agrees(const struct card_build *b, const struct card_member *m, size_t n)
{
	const struct card_sound *first = NULL;

	for (size_t k = 0; k < n; k++) {
		const struct card_sound *s = b->info->files[m[k].file].sound;

		if (s == NULL)
			continue;
		if (first == NULL) {
			first = s;
			continue;
		}
		if (s->bwf.channels > 2 || first->bwf.channels > 2 ||
		    s->has_start != first->has_start || s->time_reference != first->time_reference ||
		    !card_same_str(s->bwf.ixml.scene, first->bwf.ixml.scene) ||
		    !card_same_str(s->bwf.ixml.take, first->bwf.ixml.take))
			return false;
	}
	return true;
}

/* Names the family of the n members (or warns why not). SP_ENOMEM or 0. */
static int
card_family_set(struct card_build *b, const struct card_member *m, size_t n)
{
	const char *base = card_base(b->info->files[m[0].file].path);
	bool agree = card_family_agrees(b, m, n);

	for (size_t k = 0; k < n; k++) {
		struct card_file *f = &b->info->files[m[k].file];

		if (!agree) {
			if (card_file_warn(f, "looks like a split-mono track, but its family "
			    "disagrees on start, scene, take or track count: kept as its own clip") != 0)
				return SP_ENOMEM;
			continue;
		}
		if ((b->family[m[k].file] = strndup(base, m[0].baselen)) == NULL)
			return SP_ENOMEM;
	}
	return 0;
}

static int
card_family_members(struct card_build *b, struct card_member **out, size_t *n)
{
	struct card_member *m = calloc(b->info->nfiles ? b->info->nfiles : 1, sizeof(*m));

	*out = m;
	*n = 0;
	if (m == NULL)
		return SP_ENOMEM;
	for (size_t i = 0; i < b->info->nfiles; i++) {
		const char *path = b->info->files[i].path, *base = card_base(path);
		size_t stem = card_stem_len(base), len = card_family_base(base, stem);
		char key[CARD_KEY_MAX];

		if (b->info->files[i].role == CARD_ROLE_SKIP ||
		    card_ext_class(path) != CARD_EXT_AUDIO || len == stem)
			continue;
		snprintf(key, sizeof(key), "%.*s/%.*s", (int)card_dir_len(path), path, (int)len, base);
		m[*n].file = i;
		m[*n].baselen = len;
		if ((m[*n].key = strdup(key)) == NULL)
			return SP_ENOMEM;
		card_upper(m[*n].key, strlen(key) + 1, key, strlen(key));
		(*n)++;
	}
	return 0;
}

static int
card_sound_families(struct card_build *b)
{
	struct card_member *m;
	size_t n, run;
	int rc = card_family_members(b, &m, &n);

	if (rc == 0)
		qsort(m, n, sizeof(*m), card_member_cmp);
	for (size_t k = 0; rc == 0 && k < n; k += run) {
		for (run = 1; k + run < n && strcmp(m[k].key, m[k + run].key) == 0; run++)
			;
		if (run >= 2)
			rc = card_family_set(b, m + k, run);
	}
	for (size_t k = 0; m && k < n; k++)
		free(m[k].key);
	free(m);
	return rc;
}

/* Recorders' trash folders ("FALSE TAKES", "TRASH"): kept and copied, but flagged. */
static int
card_sound_false_takes(struct card_build *b)
{
	static const char *const dirs[] = { "FALSE TAKES", "FALSE TAKE", "FALSE_TAKES", "TRASH" };

	for (size_t i = 0; i < b->info->nfiles; i++) {
		struct card_file *f = &b->info->files[i];

		for (size_t k = 0; k < sizeof(dirs) / sizeof(dirs[0]); k++)
			if (f->role != CARD_ROLE_SKIP && card_in_dir(f->path, dirs[k]) &&
			    card_file_warn(f, "in the recorder's false-take folder") != 0)
				return SP_ENOMEM;
	}
	return 0;
}

int
card_sound_prepare(struct card_build *b, struct err *err)
{
	if (card_sound_families(b) != 0 || card_sound_false_takes(b) != 0)
		return err_set(err, SP_ENOMEM, "card: out of memory");
	return 0;
}

/* ---- the sound layout ----------------------------------------------------------- */

static bool
sound_detect(const struct card_build *b, char *why, size_t size)
{
	size_t audio = 0, stamped = 0;

	for (size_t i = 0; i < b->info->nfiles; i++) {
		const struct card_file *f = &b->info->files[i];
		enum card_ext ext = card_ext_class(f->path);

		if (f->role == CARD_ROLE_SKIP || ext == CARD_EXT_NONE)
			continue;
		if (ext != CARD_EXT_AUDIO)
			return false; /* video on the card: not a sound roll */
		audio++;
		stamped += f->sound && (f->sound->bwf.has_bext || f->sound->bwf.has_ixml);
	}
	if (audio == 0)
		return false;
	snprintf(why, size, "only audio files (%zu, %zu with bext/iXML)", audio, stamped);
	return true;
}

/* A poly file is a clip; a family is one clip named after the take. */
static bool
sound_essence(const struct card_build *b, size_t i, bool late, struct card_piece *p)
{
	const char *path = b->info->files[i].path;

	if (card_ext_class(path) != CARD_EXT_AUDIO || b->family[i] == NULL)
		return card_essence_generic(b, i, late, p);
	snprintf(p->name, sizeof(p->name), "%s", b->family[i]);
	snprintf(p->key, sizeof(p->key), "%.*s/%s", (int)card_dir_len(path), path, p->name);
	return true;
}

static long
sound_sidecar(const struct card_build *b, size_t i, bool *proxy)
{
	return card_sidecar_common(b, i, true, proxy);
}

/* The sound roll: the iXML TAPE of the first file that has one. */
static void
sound_label(struct card_build *b)
{
	for (size_t i = 0; i < b->info->nfiles; i++) {
		const struct card_sound *s = b->info->files[i].sound;

		if (s != NULL && s->bwf.has_ixml && s->bwf.ixml.tape != NULL) {
			snprintf(b->info->label, sizeof(b->info->label), "%s", s->bwf.ixml.tape);
			snprintf(b->info->reel, sizeof(b->info->reel), "%s", s->bwf.ixml.tape);
			return;
		}
	}
}

const struct card_vendor card_vendor_sound = {
	CARD_SOUND, sound_detect, sound_essence, sound_sidecar, sound_label,
};
