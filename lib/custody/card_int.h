/*
 * card_int: what the card_*.c files share and nobody else should use.
 *
 * card.c drives the grouping: it copies and sorts the files, picks a layout (a
 * struct card_vendor from card_vendor.c or card_sound.c), then runs the passes
 *   1. essence: the layout names the clip each essence file belongs to;
 *   2. sidecar: the layout finds the clip of each remaining file, if any;
 *   3. late essence: media files still loose become clips of their own;
 *   4. sidecar again (for files of the clips made in 3), then index/other;
 * and finishes the clips (segment order, gaps, decodable, proxy, label).
 * card_name.c holds the path, extension and name-pattern helpers.
 * Clips are found by a key: the upper-cased clip name for camera layouts (whose clip
 * names are unique on a card and shared by files in other folders, Sony's Sub/), or
 * "folder/NAME" for generic and sound cards (where two folders may hold the same name).
 */
#ifndef SETPOST_CARD_INT_H
#define SETPOST_CARD_INT_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/custody/card.h"

#define CARD_PATH_MAX 4096
#define CARD_NAME_MAX 256
#define CARD_KEY_MAX (CARD_PATH_MAX + CARD_NAME_MAX)

/* What a layout says about an essence file. */
struct card_piece {
	char name[CARD_NAME_MAX];       /* clip name as shown */
	char key[CARD_KEY_MAX];         /* lookup key (see above) */
	unsigned seg;                   /* order among the clip's pieces, 0 when single */
	bool frame;                     /* a frame file (ARRIRAW, DPX...): always a SEGMENT */
};

struct card_build {
	struct card_info *info;
	const char *root;               /* may be NULL */
	unsigned flags;
	const struct card_vendor *vendor;
	char **keys;                    /* per clip */
	size_t cap_clips;
	size_t *table;                  /* open addressing: clip index + 1, 0 = empty */
	size_t tsize;                   /* power of two */
	bool *assigned;                 /* per file: role decided */
	bool *frame;                    /* per file: ARRIRAW frame */
	char **family;                  /* per file: sound family name (card_sound.c), or NULL */
};

/* A card layout: a descriptor per vendor (OpenBSD-style dispatch table). */
struct card_vendor {
	enum card_kind kind;
	/* True when the card looks like this vendor's; writes the marker into why. */
	bool (*detect)(const struct card_build *b, char *why, size_t size);
	/* True when file i is essence (late: a media file nothing else claimed). */
	bool (*essence)(const struct card_build *b, size_t i, bool late, struct card_piece *p);
	/* The clip file i belongs to as a sidecar, or -1; sets *proxy for proxies. */
	long (*sidecar)(const struct card_build *b, size_t i, bool *proxy);
	/* Sets label, camera and reel from the clips and folders, when it can. */
	void (*label)(struct card_build *b);
};

extern const struct card_vendor card_vendor_arri;
extern const struct card_vendor card_vendor_sony;
extern const struct card_vendor card_vendor_red;
extern const struct card_vendor card_vendor_blackmagic;
extern const struct card_vendor card_vendor_canon;
extern const struct card_vendor card_vendor_sound;
extern const struct card_vendor card_vendor_generic;

/* ---- card_clips.c ---- */

/* The clip whose key is key (upper-cased here), or -1. */
long card_clip_find(const struct card_build *b, const char *key);
/* card_clip_find() on a name of len bytes, keyed as the layout keys (with or without
 * the folder of path). */
long card_clip_named(const struct card_build *b, const char *path, const char *name,
    size_t len, bool with_dir);
/* The clip keyed p->key, made if new. Returns its index or SP_ENOMEM. */
long card_clip_add(struct card_build *b, const struct card_piece *p);
/* Sidecar rules every layout shares: same stem as a clip (in any folder, or in the
 * same folder when with_dir), a file inside a clip folder, a `_Proxy` stem. */
long card_sidecar_common(const struct card_build *b, size_t i, bool with_dir, bool *proxy);
/* Generic essence: any media file, clip = its stem, keyed with its folder. */
bool card_essence_generic(const struct card_build *b, size_t i, bool late, struct card_piece *p);
/* Sets label/camera (and reel when reel != NULL) unless already set. */
void card_set_label(struct card_build *b, const char *camera, size_t clen, const char *roll,
    size_t rlen);
void card_set_reel(struct card_build *b, const char *reel, size_t len);

/* ---- card.c ---- */

/* Card-level index files (MEDIAPRO.XML, _FCP.xml, .ale, digital_magazine.bin …). */
bool card_is_index(const struct card_build *b, size_t i);

/* ---- card_name.c ---- */

/* True for a host-OS junk name or ascmhl (dir: a folder name, else a file name). */
bool card_skip_name(const char *name, size_t len, bool dir);

enum card_ext {
	CARD_EXT_NONE = 0,              /* not media */
	CARD_EXT_VIDEO,                 /* decodable video container */
	CARD_EXT_AUDIO,                 /* decodable audio file */
	CARD_EXT_RAW,                   /* camera raw: needs the maker's software */
	CARD_EXT_FRAME,                 /* one image per frame: DPX, OpenEXR, CinemaDNG */
};

enum card_re {
	CARD_RE_ARRI_CLIP,              /* A001C001_250101_R1AB */
	CARD_RE_ARRI35_CLIP,            /* A_0001C001_ */
	CARD_RE_ARRI_REEL,              /* A001R1AB */
	CARD_RE_RED_RDM,                /* B002_0101AB.RDM */
	CARD_RE_RED_RDC,                /* B002_C001_0101XY(.RDC) */
	CARD_RE_SONY_CINE,              /* A004C002_190619J4 */
	CARD_RE_SONY_SUFFIX,            /* C0001M01: clip + M01/S03/T01/R01 */
	CARD_RE_BMD_CLIP,               /* A001_08151512_C001 */
	CARD_RE_CANON_CLIP,             /* A001C001_231125AB_CANON, A_0001C001… */
	CARD_RE_CANON_XF,               /* AA000101 in folder AA0001 */
	CARD_RE_ROLL,                   /* A001, A001_day1, B002R1AB (folder names) */
	CARD_RE_COUNT,
};

const char *card_base(const char *path);
/* The last name of a folder path, trailing slashes ignored ("/a/B003/" -> "B003"). */
const char *card_root_base(const char *root, size_t *len);
size_t card_dir_len(const char *path);          /* bytes before the last '/', 0 at top */
size_t card_stem_len(const char *name);         /* up to the last '.', or all */
const char *card_ext_of(const char *name);      /* after the last '.', or "" */
bool card_ext_is(const char *name, const char *ext);
enum card_ext card_ext_class(const char *name);
/* The name of the folder holding path into out ("" at the top). */
void card_parent(const char *path, char *out, size_t size);
/* True if a folder component of path equals name (case-folded). */
bool card_in_dir(const char *path, const char *name);
/* True if any folder component of path ends with suffix (case-folded). */
bool card_in_dir_suffix(const char *path, const char *suffix);
bool card_ieq(const char *a, const char *b);
bool card_iends(const char *s, size_t len, const char *suffix);
/* Matches len bytes of s against a pattern; m gets up to nm groups (offsets in s). */
bool card_re_match(enum card_re re, const char *s, size_t len, regmatch_t *m, size_t nm);
/* Writes len bytes of s upper-cased, NUL-terminated, cut to size. */
void card_upper(char *out, size_t size, const char *s, size_t len);

/* ---- card_sound.c ---- */

/* Reads every .wav (unless CARD_NO_READ or no root); never fails but for SP_ENOMEM. */
int card_sound_read(struct card_build *b, struct err *err);
/* Sound cards only: finds split-mono families (b->family) and flags files in a
 * false-take folder. SP_ENOMEM or 0. */
int card_sound_prepare(struct card_build *b, struct err *err);
/* Frees what a struct card_sound owns, and it. */
void card_sound_free(struct card_sound *s);

/* A detector's `why` that starts so says the folder given is inside a card's structure
 * (its XDROOT/ or CONTENTS/ folder): card.c then writes the card's hint. */
#define CARD_WHY_INSIDE "inside a card: "

#endif
