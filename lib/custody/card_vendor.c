/* card_vendor: the camera layouts of CARDS.md 1-5 and the generic fallback, one
 * struct card_vendor each (see card_int.h). Sound cards are in card_sound.c. */
#include "lib/custody/card_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- shared by the camera layouts ----------------------------------------------- */

static const char *
card_path(const struct card_build *b, size_t i)
{
	return b->info->files[i].path;
}

static bool
card_skipped(const struct card_build *b, size_t i)
{
	return b->info->files[i].role == CARD_ROLE_SKIP;
}

/* True for folders that hold proxies, thumbnails or card housekeeping, not essence. */
static bool
card_in_aux_dir(const char *path)
{
	static const char *const dirs[] = {
		"Sub", "Proxy", "Proxies", "Thmbnl", "General", "Edit", "AVF_INFO",
	};

	for (size_t k = 0; k < sizeof(dirs) / sizeof(dirs[0]); k++)
		if (card_in_dir(path, dirs[k]))
			return true;
	return false;
}

/* Writes name (len bytes) as the clip name and key of p; false if too long. */
static bool
card_piece_named(struct card_piece *p, const char *name, size_t len, unsigned seg)
{
	if (len == 0 || len >= sizeof(p->name))
		return false;
	snprintf(p->name, sizeof(p->name), "%.*s", (int)len, name);
	snprintf(p->key, sizeof(p->key), "%s", p->name);
	p->seg = seg;
	return true;
}

/* Any media file as a clip named by its stem (camera layouts key by name). */
static bool
card_piece_stem(const struct card_build *b, size_t i, struct card_piece *p)
{
	const char *base = card_base(card_path(b, i));

	return card_ext_class(base) != CARD_EXT_NONE &&
	    card_piece_named(p, base, card_stem_len(base), 0);
}

/* "_001" at the end of len bytes of s: returns the number (1-999), or 0. */
static unsigned
card_counter(const char *s, size_t len)
{
	unsigned v = 0;

	if (len < 5 || s[len - 4] != '_')
		return 0;
	for (size_t k = len - 3; k < len; k++) {
		if (s[k] < '0' || s[k] > '9')
			return 0;
		v = v * 10 + (unsigned)(s[k] - '0');
	}
	return v;
}

/* Calls the layout's name reader on every clip name until it sets the label. */
static void
card_label_clips(struct card_build *b, void (*fn)(struct card_build *, const char *, size_t))
{
	for (size_t c = 0; c < b->info->nclips && !b->info->label[0]; c++)
		fn(b, b->info->clips[c].name, strlen(b->info->clips[c].name));
}

/* Sets label (and camera) from groups 1 (camera) and 2 (roll) of a match. */
static void
card_label_match(struct card_build *b, const char *s, const regmatch_t *m)
{
	card_set_label(b, s + m[1].rm_so, (size_t)(m[1].rm_eo - m[1].rm_so), s + m[2].rm_so,
	    (size_t)(m[2].rm_eo - m[2].rm_so));
}

/* ---- ARRI ----------------------------------------------------------------------- */

static bool
arri_clip_name(const char *s, size_t len)
{
	return card_re_match(CARD_RE_ARRI_CLIP, s, len, NULL, 0) ||
	    card_re_match(CARD_RE_ARRI35_CLIP, s, len, NULL, 0);
}

static bool
arri_detect(const struct card_build *b, char *why, size_t size)
{
	char parent[CARD_NAME_MAX];

	for (size_t i = 0; i < b->info->nfiles; i++) {
		const char *path = card_path(b, i), *base = card_base(path);
		enum card_ext ext = card_ext_class(path);

		if (card_skipped(b, i) || (ext != CARD_EXT_VIDEO && ext != CARD_EXT_RAW))
			continue;
		card_parent(path, parent, sizeof(parent));
		if (card_ext_is(base, "ari"))
			snprintf(why, size, "ARRIRAW frame files (%.100s)", base);
		else if (card_re_match(CARD_RE_ARRI_REEL, parent, strlen(parent), NULL, 0))
			snprintf(why, size, "ARRI reel folder %.100s", parent);
		else if (arri_clip_name(base, card_stem_len(base)))
			snprintf(why, size, "clip named like ARRI (%.100s)", base);
		else
			continue;
		return true;
	}
	return false;
}

/* An ARRIRAW frame "<clip>.0049275.ari": the clip is the folder when it is named
 * like a clip, else the name before the frame number. */
static bool
arri_frame(const char *path, struct card_piece *p)
{
	const char *base = card_base(path);
	size_t stem = card_stem_len(base), dot = stem;
	char parent[CARD_NAME_MAX];
	char *end;
	unsigned long frame = 0;
	bool numbered = false;

	while (dot > 0 && base[dot - 1] != '.')
		dot--;
	if (dot > 1 && dot < stem && base[dot] >= '0' && base[dot] <= '9') {
		frame = strtoul(base + dot, &end, 10);
		numbered = end == base + stem && frame <= 0xffffffffUL;
	}
	if (!numbered) {
		dot = stem + 1; /* no frame number: the whole stem is the name */
		frame = 0;
	}
	p->frame = true;
	card_parent(path, parent, sizeof(parent));
	if (arri_clip_name(parent, strlen(parent)))
		return card_piece_named(p, parent, strlen(parent), (unsigned)frame);
	return card_piece_named(p, base, dot - 1, (unsigned)frame);
}

static bool
arri_essence(const struct card_build *b, size_t i, bool late, struct card_piece *p)
{
	const char *path = card_path(b, i);
	enum card_ext ext = card_ext_class(path);

	if (late)
		return card_piece_stem(b, i, p);
	if (card_ext_is(path, "ari"))
		return arri_frame(path, p);
	if ((ext == CARD_EXT_VIDEO || ext == CARD_EXT_RAW) && !card_in_aux_dir(path))
		return card_piece_stem(b, i, p);
	return false;
}

static long
camera_sidecar(const struct card_build *b, size_t i, bool *proxy)
{
	return card_sidecar_common(b, i, false, proxy);
}

/* The reel folder (or the card root) names label and tape; else the clip names do. */
static void
arri_label_name(struct card_build *b, const char *s, size_t len)
{
	regmatch_t m[5];

	if (card_re_match(CARD_RE_ARRI_REEL, s, len, m, 4)) {
		card_label_match(b, s, m);
		card_set_reel(b, s, len);
	} else if (card_re_match(CARD_RE_ARRI_CLIP, s, len, m, 5)) {
		char reel[16];

		card_label_match(b, s, m);
		snprintf(reel, sizeof(reel), "%.4s%.4s", s, s + m[4].rm_so);
		card_set_reel(b, reel, strlen(reel));
	} else if (card_re_match(CARD_RE_ARRI35_CLIP, s, len, m, 3)) {
		card_label_match(b, s, m);
	}
}

/* The first folder of path named like a reel (A001R1AB) names label and tape. */
static bool
arri_reel_in_path(struct card_build *b, const char *path)
{
	const char *p = path, *end = path + card_dir_len(path);

	while (p < end) {
		size_t len = strcspn(p, "/");

		if (card_re_match(CARD_RE_ARRI_REEL, p, len, NULL, 0)) {
			arri_label_name(b, p, len);
			return true;
		}
		p += len + 1;
	}
	return false;
}

static void
arri_label(struct card_build *b)
{
	if (b->root != NULL) {
		size_t len;
		const char *base = card_root_base(b->root, &len);

		arri_label_name(b, base, len);
	}
	for (size_t i = 0; i < b->info->nfiles && !b->info->reel[0]; i++)
		if (b->info->files[i].clip >= 0 && arri_reel_in_path(b, card_path(b, i)))
			break;
	card_label_clips(b, arri_label_name);
}

const struct card_vendor card_vendor_arri = {
	CARD_ARRI, arri_detect, arri_essence, camera_sidecar, arri_label,
};

/* ---- Sony ----------------------------------------------------------------------- */

static bool
sony_detect(const struct card_build *b, char *why, size_t size)
{
	for (size_t i = 0; i < b->info->nfiles; i++) {
		const char *path = card_path(b, i);

		if (card_skipped(b, i))
			continue;
		if (card_in_dir(path, "XDROOT")) {
			snprintf(why, size, "XDROOT/ folder (XDCAM tree)");
			return true;
		}
		if (card_in_dir(path, "M4ROOT") && card_in_dir(path, "PRIVATE")) {
			snprintf(why, size, "PRIVATE/M4ROOT/ folder (XAVC S tree)");
			return true;
		}
	}
	/* Offloaded from inside XDROOT/: its index and its Clip/ folder at the top. */
	for (size_t i = 0; i < b->info->nfiles; i++) {
		const char *path = card_path(b, i);

		if (!card_skipped(b, i) && (strcasecmp(path, "MEDIAPRO.XML") == 0 ||
		    (strncasecmp(path, "Clip/", 5) == 0 && card_ext_is(path, "mxf")))) {
			snprintf(why, size, CARD_WHY_INSIDE "Clip/ and MEDIAPRO.XML at the top: the "
			    "contents of a Sony card's XDROOT/ folder");
			return true;
		}
	}
	return false;
}

static bool
sony_essence(const struct card_build *b, size_t i, bool late, struct card_piece *p)
{
	const char *path = card_path(b, i);
	enum card_ext ext = card_ext_class(path);

	if (late)
		return card_piece_stem(b, i, p);
	if (ext != CARD_EXT_VIDEO || card_in_aux_dir(path) || card_in_dir(path, "DCIM"))
		return false;
	return card_piece_stem(b, i, p);
}

/* C0001M01.XML (metadata), Sub/C0001S03.MXF (proxy), Thmbnl/C0001T01.JPG. */
static long
sony_sidecar(const struct card_build *b, size_t i, bool *proxy)
{
	const char *path = card_path(b, i), *base = card_base(path);
	size_t stem = card_stem_len(base);
	regmatch_t m[2];
	long c = card_sidecar_common(b, i, false, proxy);

	if (c >= 0 || !card_re_match(CARD_RE_SONY_SUFFIX, base, stem, m, 2))
		return c;
	c = card_clip_named(b, path, base, (size_t)m[1].rm_eo, false);
	if (c >= 0 && (base[m[1].rm_eo] == 'S' || base[m[1].rm_eo] == 's') &&
	    card_ext_class(base) == CARD_EXT_VIDEO)
		*proxy = true;
	return c;
}

static void
sony_label_name(struct card_build *b, const char *s, size_t len)
{
	regmatch_t m[3];

	if (card_re_match(CARD_RE_SONY_CINE, s, len, m, 3))
		card_label_match(b, s, m);
}

static void
sony_label(struct card_build *b)
{
	card_label_clips(b, sony_label_name);
}

const struct card_vendor card_vendor_sony = {
	CARD_SONY, sony_detect, sony_essence, sony_sidecar, sony_label,
};

/* ---- RED ------------------------------------------------------------------------ */

static bool
red_detect(const struct card_build *b, char *why, size_t size)
{
	for (size_t i = 0; i < b->info->nfiles; i++) {
		const char *path = card_path(b, i);

		if (card_skipped(b, i))
			continue;
		if (card_in_dir_suffix(path, ".RDM") || card_in_dir_suffix(path, ".RDC")) {
			snprintf(why, size, "RED .RDM/.RDC folders");
			return true;
		}
		if (card_ieq(card_base(path), "digital_magazine.bin")) {
			snprintf(why, size, "RED digital_magazine.bin");
			return true;
		}
	}
	return false;
}

/* One .RDC folder = one clip; `_NNN.R3D` are its segments in order. */
static bool
red_essence(const struct card_build *b, size_t i, bool late, struct card_piece *p)
{
	const char *path = card_path(b, i), *base = card_base(path);
	size_t stem = card_stem_len(base);
	unsigned seg = card_counter(base, stem);
	char parent[CARD_NAME_MAX];

	if (!late && !card_ext_is(base, "r3d"))
		return false;
	card_parent(path, parent, sizeof(parent));
	if (card_iends(parent, strlen(parent), ".RDC"))
		return card_piece_named(p, parent, card_stem_len(parent), seg);
	return card_piece_named(p, base, seg ? stem - 4 : stem, seg);
}

/* Everything in an .RDC folder belongs to its clip; a movie there is a proxy. */
static long
red_sidecar(const struct card_build *b, size_t i, bool *proxy)
{
	long c = card_sidecar_common(b, i, false, proxy);

	if (c >= 0 && card_ext_class(card_path(b, i)) == CARD_EXT_VIDEO)
		*proxy = true;
	return c;
}

static void
red_label(struct card_build *b)
{
	char parent[CARD_NAME_MAX];
	regmatch_t m[3];

	for (size_t i = 0; i < b->info->nfiles && !b->info->reel[0]; i++) {
		const char *path = card_path(b, i);
		char up[CARD_PATH_MAX];

		/* the .RDM is the grandparent of a segment */
		snprintf(up, sizeof(up), "%.*s", (int)card_dir_len(path), path);
		card_parent(up, parent, sizeof(parent));
		if (card_re_match(CARD_RE_RED_RDM, parent, strlen(parent), m, 3)) {
			card_label_match(b, parent, m);
			card_set_reel(b, parent, card_stem_len(parent));
		}
	}
	for (size_t c = 0; c < b->info->nclips && !b->info->label[0]; c++) {
		const char *name = b->info->clips[c].name;

		if (card_re_match(CARD_RE_RED_RDC, name, strlen(name), m, 3))
			card_label_match(b, name, m);
	}
}

const struct card_vendor card_vendor_red = {
	CARD_RED, red_detect, red_essence, red_sidecar, red_label,
};

/* ---- Blackmagic ----------------------------------------------------------------- */

static bool
bmd_detect(const struct card_build *b, char *why, size_t size)
{
	for (size_t i = 0; i < b->info->nfiles; i++) {
		const char *base = card_base(card_path(b, i));

		if (card_skipped(b, i))
			continue;
		if (card_ext_is(base, "braw") || card_ext_is(base, "braw2")) {
			snprintf(why, size, "Blackmagic RAW files (%.100s)", base);
			return true;
		}
		if (card_ext_class(base) == CARD_EXT_VIDEO &&
		    card_re_match(CARD_RE_BMD_CLIP, base, card_stem_len(base), NULL, 0)) {
			snprintf(why, size, "clip named like Blackmagic (%.100s)", base);
			return true;
		}
	}
	return false;
}

/* .braw (+ .braw2 on URSA Cine: one recording, two files) or ProRes .mov. */
static bool
bmd_essence(const struct card_build *b, size_t i, bool late, struct card_piece *p)
{
	const char *path = card_path(b, i), *base = card_base(path);
	enum card_ext ext = card_ext_class(path);

	if (late)
		return card_piece_stem(b, i, p);
	if ((ext != CARD_EXT_VIDEO && ext != CARD_EXT_RAW) || card_in_aux_dir(path))
		return false;
	if (!card_piece_stem(b, i, p))
		return false;
	p->seg = card_ext_is(base, "braw") ? 1 : card_ext_is(base, "braw2") ? 2 : 0;
	return true;
}

static void
bmd_label_name(struct card_build *b, const char *s, size_t len)
{
	regmatch_t m[3];

	if (card_re_match(CARD_RE_BMD_CLIP, s, len, m, 3))
		card_label_match(b, s, m);
}

static void
bmd_label(struct card_build *b)
{
	card_label_clips(b, bmd_label_name);
}

const struct card_vendor card_vendor_blackmagic = {
	CARD_BLACKMAGIC, bmd_detect, bmd_essence, camera_sidecar, bmd_label,
};

/* ---- Canon ---------------------------------------------------------------------- */

static bool
canon_detect(const struct card_build *b, char *why, size_t size)
{
	/* Offloaded from inside CONTENTS/: its CLIPS001/ folder at the top (said first:
	 * the .CRM files below would name the vendor without saying where the card starts). */
	for (size_t i = 0; i < b->info->nfiles; i++) {
		const char *path = card_path(b, i);

		if (!card_skipped(b, i) && strncasecmp(path, "CLIPS0", 6) == 0 &&
		    strchr(path, '/') != NULL && card_ext_is(path, "mxf")) {
			snprintf(why, size, CARD_WHY_INSIDE "CLIPS0…/ at the top: the contents of a "
			    "Canon card's CONTENTS/ folder");
			return true;
		}
	}
	for (size_t i = 0; i < b->info->nfiles; i++) {
		const char *path = card_path(b, i);

		if (card_skipped(b, i))
			continue;
		if (strcasestr(path, "CONTENTS/CLIPS") != NULL) {
			snprintf(why, size, "CONTENTS/CLIPS folder (XF tree)");
			return true;
		}
		if (card_ext_is(path, "crm")) {
			snprintf(why, size, "Cinema RAW Light .CRM files");
			return true;
		}
		if (card_in_dir(path, "DCIM") && card_in_dir_suffix(path, "CANON")) {
			snprintf(why, size, "DCIM/…CANON folder");
			return true;
		}
	}
	return false;
}

/* A001C001_231125AB_CANON.MXF, a C80 "…_CANON_001" counter, or the old XF
 * AA0001/AA000101.MXF (clip folder AA0001, pieces 01, 02 …). */
static bool
canon_essence(const struct card_build *b, size_t i, bool late, struct card_piece *p)
{
	const char *path = card_path(b, i), *base = card_base(path);
	enum card_ext ext = card_ext_class(path);
	size_t stem = card_stem_len(base);
	char parent[CARD_NAME_MAX];
	regmatch_t m[3];
	unsigned seg;

	if (late)
		return card_piece_stem(b, i, p);
	if ((ext != CARD_EXT_VIDEO && ext != CARD_EXT_RAW) || card_in_aux_dir(path) ||
	    card_iends(base, stem, "_Proxy"))
		return false;
	card_parent(path, parent, sizeof(parent));
	if (card_re_match(CARD_RE_CANON_XF, base, stem, m, 3) &&
	    strlen(parent) == (size_t)m[1].rm_eo && strncasecmp(parent, base, strlen(parent)) == 0)
		return card_piece_named(p, parent, strlen(parent), (unsigned)strtoul(base + m[2].rm_so,
		    NULL, 10));
	seg = card_counter(base, stem);
	if (seg && card_re_match(CARD_RE_CANON_CLIP, base, stem, NULL, 0))
		return card_piece_named(p, base, stem - 4, seg);
	return card_piece_stem(b, i, p);
}

static long
canon_sidecar(const struct card_build *b, size_t i, bool *proxy)
{
	const char *path = card_path(b, i), *base = card_base(path);
	size_t stem = card_stem_len(base);
	long c = card_sidecar_common(b, i, false, proxy);

	if (c < 0 && card_iends(base, stem, "_Proxy"))
		stem -= 6;
	if (c < 0 && card_counter(base, stem))
		c = card_clip_named(b, path, base, stem - 4, false);
	return c;
}

static void
canon_label_name(struct card_build *b, const char *s, size_t len)
{
	regmatch_t m[3];

	if (card_re_match(CARD_RE_CANON_CLIP, s, len, m, 3))
		card_label_match(b, s, m);
}

static void
canon_label(struct card_build *b)
{
	card_label_clips(b, canon_label_name);
}

const struct card_vendor card_vendor_canon = {
	CARD_CANON, canon_detect, canon_essence, canon_sidecar, canon_label,
};

/* ---- generic -------------------------------------------------------------------- */

static bool
generic_detect(const struct card_build *b, char *why, size_t size)
{
	(void)b;
	snprintf(why, size, "no known layout: each media file is a clip");
	return true;
}

/* A DPX, OpenEXR or CinemaDNG frame "<clip>[._]<number>.<ext>" is a piece of the clip named
 * before its number (the folder's name when the file's name is only the number). False when
 * the number is too short to be a frame's (DJI_0001.DNG is a still, its own clip): at least 4
 * digits, 5 for CinemaDNG, whose stills cameras count with 4. */
static bool
generic_frame(const char *path, struct card_piece *p)
{
	const char *base = card_base(path);
	size_t stem = card_stem_len(base), d = stem, dir = card_dir_len(path);
	unsigned long long frame;
	char parent[CARD_NAME_MAX];

	while (d > 0 && base[d - 1] >= '0' && base[d - 1] <= '9')
		d--;
	if (stem - d < (card_ext_is(base, "dng") ? 5u : 4u) || stem - d > 10)
		return false;
	if ((frame = strtoull(base + d, NULL, 10)) > 0xffffffffULL)
		return false;
	if (d > 0 && (base[d - 1] == '.' || base[d - 1] == '_'))
		d--;
	if (d == 0) {
		card_parent(path, parent, sizeof(parent));
		if (!card_piece_named(p, parent, strlen(parent), (unsigned)frame))
			return false;
	} else if (!card_piece_named(p, base, d, (unsigned)frame)) {
		return false;
	}
	snprintf(p->key, sizeof(p->key), "%.*s/%s", (int)dir, path, p->name);
	p->frame = true;
	return true;
}

static bool
generic_essence(const struct card_build *b, size_t i, bool late, struct card_piece *p)
{
	if (!late && (card_in_aux_dir(card_path(b, i)) || card_ext_is(card_path(b, i), "lrv")))
		return false; /* proxies first get a chance to join their clip */
	if (card_ext_class(card_path(b, i)) == CARD_EXT_FRAME && generic_frame(card_path(b, i), p))
		return true;
	return card_essence_generic(b, i, late, p);
}

/* Same stem in the same folder (DJI .SRT, .THM, .LRV proxy), or Proxy/ folders. */
static long
generic_sidecar(const struct card_build *b, size_t i, bool *proxy)
{
	const char *path = card_path(b, i);
	long c = card_sidecar_common(b, i, true, proxy);

	if (c < 0 && card_in_aux_dir(path)) {
		/* a proxy in Proxy/ next to the clip's folder: try the clip's own folder */
		char up[CARD_PATH_MAX], key[CARD_KEY_MAX];
		const char *base = card_base(path);

		snprintf(up, sizeof(up), "%.*s", (int)card_dir_len(path), path);
		snprintf(key, sizeof(key), "%.*s/%.*s", (int)card_dir_len(up), up,
		    (int)card_stem_len(base), base);
		if ((c = card_clip_find(b, key)) >= 0)
			*proxy = card_ext_class(path) != CARD_EXT_NONE;
	}
	if (c >= 0 && card_ext_is(path, "lrv"))
		*proxy = true;
	return c;
}

static void
generic_label(struct card_build *b)
{
	(void)b; /* card.c falls back on folder names */
}

const struct card_vendor card_vendor_generic = {
	CARD_GENERIC, generic_detect, generic_essence, generic_sidecar, generic_label,
};
