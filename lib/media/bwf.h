/*
 * bwf: Broadcast WAV (EBU Tech 3285) headers: the RIFF chunk walk, `fmt `, `data`,
 * `bext` and iXML (SPECS.md 7), read from sound recorders' files.
 *
 * bwf_read() reads only the header chunks: it seeks past `data` and never reads the
 * audio, so probing a 4 GB poly file costs a few small reads. It accepts RIFF and
 * RF64/BW64 (sizes from `ds64`). Files come from cards and strangers, so every size is
 * checked against the file before anything is read: a chunk running past the end of
 * the file, a truncated header, a bad `fmt `, a `bext` shorter than its 602-byte fixed
 * part, or iXML that is not well-formed XML fails the whole read with a message naming
 * the file, the chunk and its offset (an iXML chunk holding only NULs or blanks counts
 * as no iXML). Chunks we do not know are skipped; an odd-sized
 * chunk is followed by one pad byte (which may be missing at the very end of the file).
 * bext text fields are copied as stored, cut at the first NUL, not transcoded.
 *
 * Ownership: struct bwf_info owns every string and array in it; bwf_release() frees
 * them and leaves the struct zeroed. After a failed read there is nothing to release
 * (releasing anyway is harmless). Thread-safe, given that libxml2 was initialised
 * (xmlInitParser()) once before threads start; bwf_read() calls it too.
 *
 * bwf_write_meta() is the other direction, for tests and fixture scripts: it rewrites
 * a plain RIFF WAV (e.g. made by ffmpeg) with a new `bext` and iXML chunk after `fmt `,
 * dropping old ones, through a temporary file renamed over the original.
 */
#ifndef SETPOST_BWF_H
#define SETPOST_BWF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/core/err.h"
#include "lib/media/timecode.h"

/* Largest chunks we read into memory; bigger ones give SP_ETOOBIG. Real bext chunks
 * are under 10 KB and iXML under 64 KB. */
#define BWF_BEXT_MAX  (1u << 20)
#define BWF_IXML_MAX  (4u << 20)
#define BWF_MAX_CHUNKS 4096
#define BWF_MAX_TRACKS 1024

#define BWF_FORMAT_PCM   1
#define BWF_FORMAT_FLOAT 3

struct bwf_bext {
	char description[257];
	char originator[33];
	char originator_reference[33];
	char origination_date[11];      /* "yyyy-mm-dd" as stored; "" if NULs */
	char origination_time[9];       /* "hh:mm:ss" as stored */
	uint64_t time_reference;        /* samples since midnight at the fmt sample rate */
	uint16_t version;
	char *coding_history;           /* owned; "" when absent, trailing NULs dropped */
};

struct bwf_track {
	unsigned channel_index;         /* CHANNEL_INDEX, 0 when missing */
	char *name;                     /* NAME, owned; NULL when missing or empty */
};

/* Strings are owned, trimmed of surrounding blanks, NULL when absent or empty. */
struct bwf_ixml {
	char *project;
	char *scene;
	char *take;
	char *tape;                     /* the sound roll */
	char *note;                     /* BWFXML/NOTE (not SPEED/NOTE) */
	int circled;                    /* 1 TRUE, 0 FALSE (any case), -1 absent or empty */
	char *timecode_rate;            /* SPEED/TIMECODE_RATE as written, e.g. "24000/1001" */
	char *timecode_flag;            /* SPEED/TIMECODE_FLAG: "NDF" or "DF" */
	uint32_t file_sample_rate;      /* SPEED/FILE_SAMPLE_RATE, 0 when absent */
	bool has_timestamp;             /* SPEED/TIMESTAMP_SAMPLE(S)_SINCE_MIDNIGHT_LO seen */
	uint64_t timestamp;             /* (HI << 32) | LO; HI defaults to 0 */
	uint32_t timestamp_sample_rate; /* SPEED/TIMESTAMP_SAMPLE_RATE, 0 when absent */
	struct bwf_track *tracks;       /* TRACK_LIST/TRACK in file order, owned */
	size_t ntracks;
};

struct bwf_info {
	bool rf64;                      /* RF64 or BW64 container */
	uint16_t format_tag;            /* 1 PCM, 3 float; the sub-format when extensible */
	uint16_t channels;
	uint32_t sample_rate;
	uint16_t bits;                  /* container bits per sample */
	uint16_t block_align;           /* bytes per sample frame, all channels */
	uint64_t data_offset;           /* first audio byte */
	uint64_t data_size;
	uint64_t samples;               /* sample frames: data_size / block_align */
	bool has_bext;
	struct bwf_bext bext;
	bool has_ixml;
	struct bwf_ixml ixml;
};

/* Reads the headers of the WAV file at path into *info (which it first zeroes).
 * Returns 0; SP_ENOTFOUND or SP_EIO for a file it cannot open or read;
 * SP_EUNSUPPORTED when it is not RIFF/RF64/BW64 WAVE; SP_EINVAL when it is damaged;
 * SP_ETOOBIG for oversized bext/iXML chunks or too many chunks. */
int bwf_read(const char *path, struct bwf_info *info, struct err *err);

/* Frees what *info owns and zeroes it. */
void bwf_release(struct bwf_info *info);

/* Parses an iXML document (len bytes, trailing NULs and blanks allowed) into *ixml,
 * which it first zeroes. Returns 0 or SP_EINVAL; on error nothing is left to free. */
int bwf_ixml_parse(const char *xml, size_t len, struct bwf_ixml *ixml, struct err *err);

/* Frees what *ixml owns and zeroes it. */
void bwf_ixml_release(struct bwf_ixml *ixml);

/* The timecode rate the recorder stamped: SPEED/TIMECODE_RATE with TIMECODE_FLAG.
 * Returns 0, SP_ENOTFOUND when the file has no such field, or SP_EINVAL. */
int bwf_timecode_rate(const struct bwf_info *info, struct timecode_rate *rate, struct err *err);

/* The start of the file as a frame count at rate: the bext TimeReference, or the iXML
 * timestamp when there is no bext, at the fmt sample rate (or the iXML
 * TIMESTAMP_SAMPLE_RATE for the iXML value). Returns 0, SP_ENOTFOUND, or SP_EINVAL. */
int bwf_start_frames(const struct bwf_info *info, const struct timecode_rate *rate,
    int64_t *frames, struct err *err);

/* What bwf_write_meta() writes. NULL strings are written as empty (all NULs). */
struct bwf_meta {
	const char *description;        /* at most 256 bytes */
	const char *originator;         /* at most 32 */
	const char *originator_reference; /* at most 32 */
	const char *origination_date;   /* at most 10, "yyyy-mm-dd" */
	const char *origination_time;   /* at most 8, "hh:mm:ss" */
	uint64_t time_reference;
	uint16_t version;
	const char *coding_history;     /* NULL for none; lines should end in CR LF */
	const char *ixml;               /* NULL for no iXML chunk; written as given */
};

/* Rewrites the RIFF WAV at path with meta's bext and iXML chunks placed after `fmt `
 * (any old bext and iXML chunks are dropped, other chunks are kept in order). Writes
 * a temporary file next to path, then renames it over path, so path is either old or
 * new. Returns 0; SP_EUNSUPPORTED for RF64 or non-WAV input; SP_EINVAL for a damaged
 * file or a field too long; SP_ETOOBIG if the result would pass 4 GiB; SP_EIO. */
int bwf_write_meta(const char *path, const struct bwf_meta *meta, struct err *err);

#endif
