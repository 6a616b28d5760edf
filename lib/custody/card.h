/*
 * card: recognise a camera or sound card and group its files into clips, the way a
 * DIT thinks of them (CARDS.md).
 *
 * The input is a card root folder and the list of its files (relative POSIX paths and
 * sizes), so the offload's own walk is reused; card_scan_dir() walks a folder itself
 * when there is no such list. The output, struct card_info, says:
 *   - which card it is: kind/vendor (arri, sony, red, blackmagic, canon, sound or
 *     generic), the marker that decided it (`why`), the card label and camera letter
 *     ("A001", "A") and the reel/tape name where the card spells one;
 *   - its clips, each a name ("A001C003_250101_R1AB") and the files that make it;
 *   - every file, with its role and its clip (or -1).
 *
 * Grouping is a view on top of the copy, never a filter on it: every file given is in
 * `files`, in byte order of path, and a layout we do not know is never an error, it is
 * a "generic" card where each media file is a clip and the rest is `other`. Extensions
 * and the folder names cameras write are compared case-folded (FAT/exFAT).
 *
 * Roles: MEDIA is an essence file of a clip (a clip may have several, e.g. the tracks
 * of a split-mono sound take). SEGMENT is a piece of a clip's essence when it spans
 * files in time: RED `_001.R3D`, `_002.R3D`, Canon `…01.MXF`, `…02.MXF`, `.braw` +
 * `.braw2`, and always the ARRIRAW frame files of a clip folder; segments are listed
 * in order. A clip whose essence is in one file has it as MEDIA. SIDECAR is a file
 * that belongs to one clip without being its essence (Sony `M01.XML`, BRAW `.sidecar`,
 * RED `.RMD`, Canon `.XML`, thumbnails, camera proxies: see card_file.proxy). INDEX is
 * a card-level file naming the clips (MEDIAPRO.XML, `_FCP.xml`, `.ale`, RED's
 * `digital_magazine.bin`, a sound roll's `.csv`/`.pdf` report). OTHER is everything
 * else on the card. SKIP marks host-OS junk (.DS_Store, ._*, .Spotlight-V100/ …) and
 * an `ascmhl/` history folder, when the caller's list holds them.
 *
 * `decodable` is a guess from the extension that ffmpeg 5.1 decodes the file (mov,
 * mp4, mxf, wav …: yes; ari, R3D, braw, crm: no, "needs maker's software"). An MXF
 * may still hold Sony X-OCN or ARRIRAW; only a probe of the essence can tell.
 *
 * WAV files (on any card, when a root is given) are read with lib/bwf: rate,
 * channels, bext TimeReference, iXML scene/take/tape/note/circled, and the start
 * timecode at the iXML TIMECODE_RATE/FLAG. A WAV that cannot be read keeps its role
 * and gets a warning. On a sound card a polyphonic file is a clip; a split-mono family
 * (`S01T01_1.WAV`, `S01T01_2.WAV`…, `_A`, `_B` from track 10, Zoom `_Tr1`, `_Tr1_2`)
 * is one clip named after the take, when its files agree on the bext start, scene and
 * take and hold one or two tracks each (lib/bwf does not expose iXML FAMILY_UID, so
 * families are found by name; with CARD_NO_READ by name alone). Files in a recorder's
 * "FALSE TAKES"/"TRASH" folder stay clips but get a warning. A `.csv`/`.pdf` on a
 * sound card is its sound report (INDEX).
 *
 * Ownership: struct card_info owns every array and string in it; card_info_release()
 * frees them and leaves the struct zeroed (releasing twice, or after a failed call,
 * is harmless). Pointers inside (card_clip.sound) are lent and live as long as the
 * struct. Functions are thread-safe (the patterns are compiled once, under
 * pthread_once; bwf needs xmlInitParser(), which bwf_read() calls).
 */
#ifndef SETPOST_CARD_H
#define SETPOST_CARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/media/bwf.h"
#include "lib/core/err.h"
#include "lib/media/timecode.h"

/* Most files a card may hold (ARRIRAW cards hold one file per frame); past it
 * card_identify() and card_scan_dir() give SP_ETOOBIG. */
#define CARD_MAX_FILES (8u << 20)
/* Deepest folder nesting card_scan_dir() follows. */
#define CARD_MAX_DEPTH 64

enum card_kind {
	CARD_GENERIC = 0,
	CARD_ARRI,
	CARD_SONY,
	CARD_RED,
	CARD_BLACKMAGIC,
	CARD_CANON,
	CARD_SOUND,
};

enum card_role {
	CARD_ROLE_MEDIA = 0,
	CARD_ROLE_SEGMENT,
	CARD_ROLE_SIDECAR,
	CARD_ROLE_INDEX,
	CARD_ROLE_OTHER,
	CARD_ROLE_SKIP,
};

/* One file of the caller's walk: path relative to the card root, '/'-separated,
 * no leading "./" or "/", no "." or ".." components. */
struct card_entry {
	const char *path;
	uint64_t size;
};

/* What a WAV says about itself (read with lib/bwf). */
struct card_sound {
	struct bwf_info bwf;            /* everything bwf_read() found; owned */
	bool has_rate;                  /* iXML TIMECODE_RATE (+ FLAG) understood */
	struct timecode_rate rate;
	bool has_start;                 /* bext TimeReference (or iXML timestamp) known */
	uint64_t time_reference;        /* samples since midnight at bwf.sample_rate */
	int64_t start_frames;           /* at rate; valid when has_rate && has_start */
	char start_tc[TIMECODE_BUFSZ];  /* "14:05:38:00", "" unless has_rate && has_start */
};

struct card_file {
	char *path;                     /* relative POSIX path, owned */
	uint64_t size;
	enum card_role role;
	long clip;                      /* index in card_info.clips, or -1 */
	unsigned segment;               /* SEGMENT order from 1 (ARRIRAW: frame number) */
	bool proxy;                     /* a SIDECAR that is a camera proxy (Sub/, _Proxy) */
	bool decodable;                 /* ffmpeg 5.1 should decode it (by extension) */
	struct card_sound *sound;       /* for readable .wav files, owned; else NULL */
	char *warning;                  /* owned, NULL when none */
};

struct card_clip {
	char *name;                     /* the DIT's clip name, owned */
	size_t *files;                  /* indices in card_info.files: essence in order, */
	size_t nfiles;                  /* then sidecars; owned */
	size_t nessence;                /* how many leading files are MEDIA/SEGMENT */
	uint64_t bytes;                 /* all its files */
	bool decodable;                 /* every essence file decodable */
	long proxy;                     /* a decodable proxy file's index, or -1 */
	const struct card_sound *sound; /* first essence file's, lent; NULL for video */
	char *warning;                  /* owned (segment gap, start mismatch), or NULL */
};

struct card_info {
	enum card_kind kind;
	char vendor[16];                /* card_kind_name(kind) */
	char why[160];                  /* the marker that decided the kind */
	char hint[600];                 /* "this looks like part of a Sony card: offload from */
	                                /* /media/CARD" when the folder given is inside a */
	                                /* card's structure (XDROOT/, CONTENTS/); else "" */
	char label[64];                 /* camera letter + roll, "A001"; "" when unknown */
	char camera[8];                 /* "A"; "" when unknown (and on sound cards) */
	char reel[64];                  /* tape/reel name the card spells ("A001R1AB", the */
	                                /* RED .RDM name, the sound roll); "" when none */
	struct card_clip *clips;
	size_t nclips;
	struct card_file *files;        /* every file, sorted by path */
	size_t nfiles;
	uint64_t bytes;
};

/* Flags for card_opts.flags. */
#define CARD_NO_READ   0x1u  /* do not open any file (no WAV headers) */
#define CARD_KEEP_SKIP 0x2u  /* card_scan_dir(): list junk files too (as SKIP) */

/* Caller's choices; a NULL opts is all defaults. label/camera override the guess
 * (NULL or "" keeps it); kind forces a layout when force_kind is set. */
struct card_opts {
	const char *label;
	const char *camera;
	bool force_kind;
	enum card_kind kind;
	unsigned flags;
};

/* Recognises the card at root from its n files and fills *info (first zeroed).
 * root is only used to read WAV headers and the label fallback (its base name); it
 * may be NULL, which reads nothing. Returns 0; SP_EINVAL for a bad path (empty,
 * absolute, "..", duplicate) or an override too long; SP_ETOOBIG past
 * CARD_MAX_FILES; SP_ENOMEM. On error *info holds nothing to release. */
int card_identify(const char *root, const struct card_entry *entries, size_t n,
    const struct card_opts *opts, struct card_info *info, struct err *err);

/* Walks root (not following symbolic links; regular files only), leaving out
 * host-OS junk and ascmhl/ (unless CARD_KEEP_SKIP), then calls card_identify().
 * Returns what card_identify() returns, or SP_ENOTFOUND/SP_EIO for a folder it
 * cannot read, SP_ETOOBIG for nesting past CARD_MAX_DEPTH. */
int card_scan_dir(const char *root, const struct card_opts *opts, struct card_info *info,
    struct err *err);

/* Frees what *info owns and zeroes it. */
void card_info_release(struct card_info *info);

/* True when a relative path is host-OS junk or under ascmhl/ (CARDS.md 9): .DS_Store,
 * ._*, .apdisk, Thumbs.db, desktop.ini, Icon\r, and anything under .Spotlight-V100,
 * .Trashes, .fseventsd, .TemporaryItems, .DocumentRevisions-V100, System Volume
 * Information, $RECYCLE.BIN, .Trash-*, lost+found or ascmhl. */
bool card_path_is_skipped(const char *path);

/* The index of path in info->files (exact match), or -1. */
long card_file_find(const struct card_info *info, const char *path);

/* "arri", "sony", "red", "blackmagic", "canon", "sound", "generic". */
const char *card_kind_name(enum card_kind kind);

/* "media", "segment", "sidecar", "index", "other", "skip". */
const char *card_role_name(enum card_role role);

#endif
