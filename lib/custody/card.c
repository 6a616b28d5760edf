/* card: recognise a card and group its files into clips (see card.h and card_int.h). */
#include "lib/custody/card_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const card_kind_names[] = {
	[CARD_GENERIC] = "generic", [CARD_ARRI] = "arri", [CARD_SONY] = "sony",
	[CARD_RED] = "red", [CARD_BLACKMAGIC] = "blackmagic", [CARD_CANON] = "canon",
	[CARD_SOUND] = "sound",
};

static const char *const card_role_names[] = {
	[CARD_ROLE_MEDIA] = "media", [CARD_ROLE_SEGMENT] = "segment",
	[CARD_ROLE_SIDECAR] = "sidecar", [CARD_ROLE_INDEX] = "index",
	[CARD_ROLE_OTHER] = "other", [CARD_ROLE_SKIP] = "skip",
};

/* Most specific marker first (CARDS.md, "Recognition order"); generic always matches. */
static const struct card_vendor *const card_vendors[] = {
	&card_vendor_sony, &card_vendor_red, &card_vendor_canon, &card_vendor_arri,
	&card_vendor_blackmagic, &card_vendor_sound, &card_vendor_generic,
};

const char *
card_kind_name(enum card_kind kind)
{
	if ((unsigned)kind >= sizeof(card_kind_names) / sizeof(card_kind_names[0]))
		return "generic";
	return card_kind_names[kind];
}

const char *
card_role_name(enum card_role role)
{
	if ((unsigned)role >= sizeof(card_role_names) / sizeof(card_role_names[0]))
		return "other";
	return card_role_names[role];
}

/* ---- the files ------------------------------------------------------------------ */

/* A relative POSIX path: no leading '/', no empty, "." or ".." component. */
static bool
card_path_ok(const char *path)
{
	const char *p = path;

	if (path == NULL || *path == '\0' || strlen(path) >= CARD_PATH_MAX)
		return false;
	for (;;) {
		size_t len = strcspn(p, "/");

		if (len == 0 || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (p[len] == '\0')
			return true;
		p += len + 1;
	}
}

static int
card_file_cmp(const void *a, const void *b)
{
	return strcmp(((const struct card_file *)a)->path, ((const struct card_file *)b)->path);
}

/* Copies, checks and sorts the caller's list; marks junk and decodable files. */
static int
card_copy(struct card_build *b, const struct card_entry *entries, size_t n, struct err *err)
{
	struct card_info *info = b->info;

	if (n > CARD_MAX_FILES)
		return err_set(err, SP_ETOOBIG, "card: %zu files, more than %u", n, CARD_MAX_FILES);
	if (n == 0)
		return 0;
	info->files = calloc(n, sizeof(*info->files));
	b->assigned = calloc(n, sizeof(*b->assigned));
	b->frame = calloc(n, sizeof(*b->frame));
	b->family = calloc(n, sizeof(*b->family));
	if (!info->files || !b->assigned || !b->frame || !b->family)
		return err_set(err, SP_ENOMEM, "card: out of memory for %zu files", n);
	for (size_t i = 0; i < n; i++) {
		struct card_file *f = &info->files[i];

		if (!card_path_ok(entries[i].path))
			return err_set(err, SP_EINVAL, "card: bad relative path \"%.200s\"",
			    entries[i].path ? entries[i].path : "(null)");
		if ((f->path = strdup(entries[i].path)) == NULL)
			return err_set(err, SP_ENOMEM, "card: out of memory");
		f->size = entries[i].size;
		f->clip = -1;
		info->nfiles++;
	}
	qsort(info->files, n, sizeof(*info->files), card_file_cmp);
	for (size_t i = 0; i < n; i++) {
		struct card_file *f = &info->files[i];
		enum card_ext ext = card_ext_class(f->path);

		if (i > 0 && strcmp(f->path, info->files[i - 1].path) == 0)
			return err_set(err, SP_EINVAL, "card: file \"%.200s\" listed twice", f->path);
		f->decodable = ext == CARD_EXT_VIDEO || ext == CARD_EXT_AUDIO ||
		    (ext == CARD_EXT_FRAME && !card_ext_is(f->path, "dng"));
		info->bytes += f->size;
		if (card_path_is_skipped(f->path)) {
			f->role = CARD_ROLE_SKIP;
			b->assigned[i] = true;
		}
	}
	return 0;
}

/* ---- rules every layout shares -------------------------------------------------- */

static const char *const card_index_names[] = {
	"MEDIAPRO.XML", "DISCMETA.XML", "CUEUP.XML", "STATUS.BIN", "digital_magazine.bin",
	"digital_magdynamic.bin", "index.xml", "LASTCLIP.TXT",
};

bool
card_is_index(const struct card_build *b, size_t i)
{
	const char *path = b->info->files[i].path, *base = card_base(path);

	for (size_t k = 0; k < sizeof(card_index_names) / sizeof(card_index_names[0]); k++)
		if (card_ieq(base, card_index_names[k]))
			return true;
	if (card_ext_is(base, "ale") || card_iends(base, strlen(base), "_FCP.xml"))
		return true;
	/* a recorder's sound report belongs to the roll */
	return b->info->kind == CARD_SOUND && (card_ext_is(base, "csv") || card_ext_is(base, "pdf"));
}

/* ---- grouping ------------------------------------------------------------------- */

static int
card_take_essence(struct card_build *b, size_t i, const struct card_piece *p, struct err *err)
{
	struct card_file *f = &b->info->files[i];
	long c = card_clip_add(b, p);

	if (c < 0)
		return err_set(err, SP_ENOMEM, "card: out of memory for clip %s", p->name);
	f->clip = c;
	f->role = CARD_ROLE_MEDIA;
	f->segment = p->seg;
	b->frame[i] = p->frame;
	b->assigned[i] = true;
	return 0;
}

static int
card_pass_essence(struct card_build *b, bool late, struct err *err)
{
	struct card_piece p;
	int rc;

	for (size_t i = 0; i < b->info->nfiles; i++) {
		if (b->assigned[i] || (late && card_ext_class(b->info->files[i].path) == CARD_EXT_NONE))
			continue;
		memset(&p, 0, sizeof(p));
		if (b->vendor->essence(b, i, late, &p) && (rc = card_take_essence(b, i, &p, err)) != 0)
			return rc;
	}
	return 0;
}

static void
card_pass_sidecar(struct card_build *b)
{
	for (size_t i = 0; i < b->info->nfiles; i++) {
		struct card_file *f = &b->info->files[i];
		bool proxy = false;
		long c;

		if (b->assigned[i])
			continue;
		if (card_is_index(b, i)) {
			f->role = CARD_ROLE_INDEX;
			b->assigned[i] = true;
		} else if ((c = b->vendor->sidecar(b, i, &proxy)) >= 0) {
			f->role = CARD_ROLE_SIDECAR;
			f->clip = c;
			f->proxy = proxy;
			b->assigned[i] = true;
		}
	}
}

static int
card_group(struct card_build *b, struct err *err)
{
	int rc;

	if ((rc = card_pass_essence(b, false, err)) != 0)
		return rc;
	card_pass_sidecar(b);
	if ((rc = card_pass_essence(b, true, err)) != 0)
		return rc;
	card_pass_sidecar(b);
	for (size_t i = 0; i < b->info->nfiles; i++)
		if (!b->assigned[i])
			b->info->files[i].role = CARD_ROLE_OTHER;
	return 0;
}

/* ---- finishing the clips -------------------------------------------------------- */

/* Essence first, in segment order, then the rest; ties by path (= index). */
static int
card_member_cmp(const void *pa, const void *pb, void *arg)
{
	const struct card_file *files = arg;
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	bool ea = files[a].role == CARD_ROLE_MEDIA, eb = files[b].role == CARD_ROLE_MEDIA;

	if (ea != eb)
		return ea ? -1 : 1;
	if (files[a].segment != files[b].segment)
		return files[a].segment < files[b].segment ? -1 : 1;
	return a < b ? -1 : a > b;
}

static int
card_clip_warn(struct card_clip *c, const char *what, unsigned from, unsigned to)
{
	char msg[160];

	if (c->warning != NULL)
		return 0;
	if (from == 0)
		snprintf(msg, sizeof(msg), "first %s is %u, not 1", what, to);
	else
		snprintf(msg, sizeof(msg), "%ss jump from %u to %u", what, from, to);
	return (c->warning = strdup(msg)) ? 0 : SP_ENOMEM;
}

/* Marks spanned essence as SEGMENT and warns on a gap. */
static int
card_segments(struct card_build *b, struct card_clip *c)
{
	struct card_file *files = b->info->files;
	bool frames = b->frame[c->files[0]];
	const char *what = frames ? "frame" : "segment";

	if (!frames && (c->nessence < 2 || files[c->files[0]].segment == 0))
		return 0;
	for (size_t k = 0; k < c->nessence; k++)
		files[c->files[k]].role = CARD_ROLE_SEGMENT;
	if (!frames && files[c->files[0]].segment != 1)
		return card_clip_warn(c, what, 0, files[c->files[0]].segment);
	for (size_t k = 1; k < c->nessence; k++) {
		unsigned prev = files[c->files[k - 1]].segment, cur = files[c->files[k]].segment;

		if (cur != prev + 1)
			return card_clip_warn(c, what, prev, cur);
	}
	return 0;
}

static void
card_clip_summary(struct card_build *b, struct card_clip *c)
{
	struct card_file *files = b->info->files;

	c->decodable = c->nessence > 0;
	for (size_t k = 0; k < c->nfiles; k++) {
		struct card_file *f = &files[c->files[k]];

		c->bytes += f->size;
		if (k < c->nessence) {
			c->decodable = c->decodable && f->decodable;
			if (c->sound == NULL)
				c->sound = f->sound;
			if (f->role == CARD_ROLE_MEDIA)
				f->segment = 0;
		} else if (f->proxy && f->decodable && c->proxy < 0) {
			c->proxy = (long)c->files[k];
		}
	}
}

static int
card_finish(struct card_build *b, struct err *err)
{
	struct card_info *info = b->info;

	for (size_t i = 0; i < info->nfiles; i++)
		if (info->files[i].clip >= 0)
			info->clips[info->files[i].clip].nfiles++;
	for (size_t c = 0; c < info->nclips; c++) {
		info->clips[c].files = calloc(info->clips[c].nfiles, sizeof(size_t));
		if (info->clips[c].files == NULL)
			return err_set(err, SP_ENOMEM, "card: out of memory");
		info->clips[c].nfiles = 0;
	}
	for (size_t i = 0; i < info->nfiles; i++) {
		struct card_clip *c;

		if (info->files[i].clip < 0)
			continue;
		c = &info->clips[info->files[i].clip];
		c->files[c->nfiles++] = i;
		c->nessence += info->files[i].role == CARD_ROLE_MEDIA;
	}
	for (size_t c = 0; c < info->nclips; c++) {
		struct card_clip *clip = &info->clips[c];

		qsort_r(clip->files, clip->nfiles, sizeof(size_t), card_member_cmp, info->files);
		if (card_segments(b, clip) != 0)
			return err_set(err, SP_ENOMEM, "card: out of memory");
		card_clip_summary(b, clip);
	}
	return 0;
}

/* ---- label, camera, reel -------------------------------------------------------- */

/* A folder named like a roll ("A001", "B002_day3"): the card root, else the one
 * folder at the top of the card. */
static void
card_label_from_folders(struct card_build *b)
{
	struct card_info *info = b->info;
	regmatch_t m[3];
	const char *top = NULL;
	size_t toplen = 0;

	if (info->kind == CARD_SOUND)
		return; /* a sound roll is named by its tape, never a camera */
	if (b->root != NULL) {
		size_t len;
		const char *base = card_root_base(b->root, &len);

		if (card_re_match(CARD_RE_ROLL, base, len, m, 3))
			card_set_label(b, base + m[1].rm_so, 1, base + m[2].rm_so, 3);
	}
	for (size_t i = 0; i < info->nfiles && !info->label[0]; i++) {
		size_t len = strcspn(info->files[i].path, "/");

		if (info->files[i].role == CARD_ROLE_SKIP || info->files[i].path[len] == '\0')
			continue;
		if (top != NULL && (len != toplen || strncmp(top, info->files[i].path, len) != 0))
			return; /* several top folders: no single roll */
		top = info->files[i].path;
		toplen = len;
	}
	if (top != NULL && card_re_match(CARD_RE_ROLL, top, toplen, m, 3))
		card_set_label(b, top + m[1].rm_so, 1, top + m[2].rm_so, 3);
}

static int
card_overrides(struct card_info *info, const struct card_opts *opts, struct err *err)
{
	if (opts->label && *opts->label) {
		if (strlen(opts->label) >= sizeof(info->label))
			return err_set(err, SP_EINVAL, "card: label \"%.80s\" too long", opts->label);
		snprintf(info->label, sizeof(info->label), "%s", opts->label);
	}
	if (opts->camera && *opts->camera) {
		if (strlen(opts->camera) >= sizeof(info->camera))
			return err_set(err, SP_EINVAL, "card: camera \"%.80s\" too long", opts->camera);
		snprintf(info->camera, sizeof(info->camera), "%s", opts->camera);
	}
	return 0;
}

/* ---- the entry points ----------------------------------------------------------- */

/* Recognised from inside its structure: say so, and which folder holds the whole card (the
 * one above the folder given), so the next card is offloaded whole. */
static void
card_hint(struct card_build *b)
{
	static const char *const inside[][2] = { { "XDROOT/", "Sony" }, { "CONTENTS/", "Canon" } };
	const char *root = b->root ? b->root : "", *slash;
	char up[4096];
	size_t len = strlen(root);

	b->info->hint[0] = '\0';
	if (strncmp(b->info->why, CARD_WHY_INSIDE, strlen(CARD_WHY_INSIDE)) != 0)
		return;
	while (len > 1 && root[len - 1] == '/')
		len--;
	snprintf(up, sizeof(up), "%.*s", (int)len, root);
	slash = strrchr(up, '/');
	if (slash && slash != up)
		up[slash - up] = '\0';
	else
		snprintf(up, sizeof(up), "%s", slash ? "/" : "..");
	for (size_t k = 0; k < sizeof(inside) / sizeof(inside[0]); k++)
		if (strstr(b->info->why, inside[k][0]))
			snprintf(b->info->hint, sizeof(b->info->hint), "this looks like part of a %s card "
			    "(the contents of its %s folder): offload from %.400s, the card's root",
			    inside[k][1], inside[k][0], up);
}

static void
card_pick(struct card_build *b, const struct card_opts *opts)
{
	size_t n = sizeof(card_vendors) / sizeof(card_vendors[0]);

	for (size_t k = 0; k < n; k++) {
		const struct card_vendor *v = card_vendors[k];

		if (opts->force_kind ? v->kind == opts->kind :
		    v->detect(b, b->info->why, sizeof(b->info->why))) {
			b->vendor = v;
			break;
		}
	}
	if (b->vendor == NULL)
		b->vendor = &card_vendor_generic;
	if (opts->force_kind)
		snprintf(b->info->why, sizeof(b->info->why), "chosen by the caller");
	b->info->kind = b->vendor->kind;
	snprintf(b->info->vendor, sizeof(b->info->vendor), "%s", card_kind_name(b->vendor->kind));
	card_hint(b);
}

static void
card_build_free(struct card_build *b)
{
	for (size_t c = 0; b->keys && c < b->info->nclips; c++)
		free(b->keys[c]);
	for (size_t i = 0; b->family && i < b->info->nfiles; i++)
		free(b->family[i]);
	free(b->keys);
	free(b->table);
	free(b->assigned);
	free(b->frame);
	free(b->family);
}

int
card_identify(const char *root, const struct card_entry *entries, size_t n,
    const struct card_opts *opts, struct card_info *info, struct err *err)
{
	static const struct card_opts defaults;
	struct card_build b = { .info = info, .root = root };
	int rc;

	memset(info, 0, sizeof(*info));
	if (opts == NULL)
		opts = &defaults;
	b.flags = opts->flags;
	if (n > 0 && entries == NULL) {
		rc = err_set(err, SP_EINVAL, "card: no file list");
		goto out;
	}
	if ((rc = card_copy(&b, entries, n, err)) != 0 ||
	    (rc = card_sound_read(&b, err)) != 0)
		goto out;
	card_pick(&b, opts);
	if ((b.vendor->kind == CARD_SOUND && (rc = card_sound_prepare(&b, err)) != 0) ||
	    (rc = card_group(&b, err)) != 0 || (rc = card_finish(&b, err)) != 0)
		goto out;
	b.vendor->label(&b);
	card_label_from_folders(&b);
	rc = card_overrides(info, opts, err);
out:
	card_build_free(&b);
	if (rc != 0)
		card_info_release(info);
	return rc;
}

void
card_info_release(struct card_info *info)
{
	for (size_t c = 0; info->clips && c < info->nclips; c++) {
		free(info->clips[c].name);
		free(info->clips[c].files);
		free(info->clips[c].warning);
	}
	for (size_t i = 0; info->files && i < info->nfiles; i++) {
		free(info->files[i].path);
		free(info->files[i].warning);
		card_sound_free(info->files[i].sound);
	}
	free(info->clips);
	free(info->files);
	memset(info, 0, sizeof(*info));
}

long
card_file_find(const struct card_info *info, const char *path)
{
	size_t lo = 0, hi = info->nfiles;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(info->files[mid].path, path);

		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}
