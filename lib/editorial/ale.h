/*
 * ale: Avid Log Exchange files (SPECS.md 6), the bin editorial imports with dailies.
 *
 * A file is three tab-separated sections: "Heading" (KEY<TAB>value lines), "Column"
 * (one line of column names, order free) and "Data" (one line per clip, one field per
 * column, empty fields kept). A struct ale holds exactly that, for both directions:
 * ale_parse() fills one from text, ale_write() prints one, and the setters build one.
 *
 * Reading is tolerant of what real files do: CR LF, LF or old-Mac CR line endings,
 * blank lines anywhere, a UTF-8 byte-order mark, heading lines without a value, and a
 * trailing tab after the last column name and the last field (DaVinci Resolve writes
 * one). It is strict where guessing would misplace data: a row with the wrong number
 * of fields, an empty or repeated column name, a NUL byte or a missing section is an
 * error naming the line. Values are kept byte for byte, not trimmed or transcoded.
 *
 * Writing is strict, so Media Composer never sees a shifted column: FIELD_DELIM TABS
 * comes first, the heading must hold VIDEO_FORMAT and FPS, the columns must include
 * Name, Start and End, and every key, name and value must be valid UTF-8 without
 * control characters. A value with a tab or a line break is REJECTED (the row and
 * column are named), not silently changed; callers that carry free text (notes,
 * comments) run it through ale_sanitize() first, which turns such characters into
 * spaces. Nothing is written unless the whole struct passes.
 *
 * Line endings on write are CR LF by default. Avid's log specification ends lines with
 * "[Enter] (Windows) or [Return] (Macintosh)", Media Composer runs on both systems and
 * imports ALEs made on either, and CR LF also reads correctly in Windows tools
 * (Excel, older Notepad) that assistants open ALEs with, while LF-only readers such as
 * OTIO's adapter (Python splitlines) handle CR LF too. ALE_EOL_LF is there for tools
 * that want it. [Not checked against a real Media Composer.]
 *
 * Ownership: a struct ale owns all its strings; ale_release() frees them and leaves
 * an empty struct that can be reused. Returned const char * point into the struct and
 * live until the next change or ale_release(). Empty cells may be stored as NULL:
 * read them with ale_cell()/ale_get(), which return "" for those. Not thread-safe for
 * concurrent writers; concurrent readers are fine.
 *
 * Numbers (ASC_SOP, ASC_SAT) use strtod/snprintf, so LC_NUMERIC must stay "C"
 * (setpost never calls setlocale).
 */
#ifndef SETPOST_ALE_H
#define SETPOST_ALE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/core/err.h"
#include "lib/media/timecode.h"

#define ALE_FILE_MAX (16u << 20) /* bytes; bigger inputs are SP_ETOOBIG */
#define ALE_MAX_COLUMNS 1024     /* more is SP_ETOOBIG (Avid itself stops far sooner) */
#define ALE_SOP_BUFSZ 320        /* room for any ASC_SOP we format */
#define ALE_SAT_BUFSZ 32

enum ale_eol {
	ALE_EOL_CRLF = 0,            /* the default, see above */
	ALE_EOL_LF = 1,
};

struct ale_pair {
	char *key;
	char *value;
};

struct ale {
	struct ale_pair *heading;    /* in file (or insertion) order */
	size_t nheading;
	char **columns;
	size_t ncolumns;
	char **cells;                /* row r, column c at cells[r * ncolumns + c]; NULL = "" */
	size_t nrows;
	size_t heading_cap;          /* private: allocated room */
	size_t columns_cap;
	size_t rows_cap;
};

#define ALE_INIT { NULL, 0, NULL, 0, NULL, 0, 0, 0, 0 }

void ale_init(struct ale *ale);

/* Frees everything and leaves *ale empty (as after ale_init). */
void ale_release(struct ale *ale);

/* Sets a heading key (replacing its value if the key exists, else appending).
 * Returns 0, SP_EINVAL for an empty key, or SP_ENOMEM. */
int ale_heading_set(struct ale *ale, const char *key, const char *value, struct err *err);

/* The value of a heading key (exact case), or NULL. */
const char *ale_heading_get(const struct ale *ale, const char *key);

/* Fills the standard heading: FIELD_DELIM TABS, VIDEO_FORMAT from the frame size,
 * AUDIO_FORMAT from the sample rate (skipped when 0), FPS from the timecode rate. */
int ale_heading_standard(struct ale *ale, unsigned width, unsigned height,
    uint32_t audio_rate, const struct timecode_rate *rate, struct err *err);

/* VIDEO_FORMAT for a frame size, as OTIO maps it (SPECS 6.1): height 1080 -> "1080"
 * (but "CUSTOM" when wider than 1920), 720 -> "720", 576 -> "PAL", 486 -> "NTSC",
 * anything else "CUSTOM". */
const char *ale_video_format(unsigned width, unsigned height);

/* AUDIO_FORMAT for a sample rate, in Avid's spelling: 48000 -> "48khz",
 * 44100 -> "44khz" (whole kHz, truncated). */
void ale_audio_format(uint32_t sample_rate, char out[16]);

/* Appends a column; returns its index, SP_EINVAL for an empty or repeated name,
 * SP_ECONFLICT once rows exist, SP_ETOOBIG past ALE_MAX_COLUMNS, or SP_ENOMEM. */
int ale_column_add(struct ale *ale, const char *name, struct err *err);

/* Index of the column with that exact name, or -1. */
int ale_column_find(const struct ale *ale, const char *name);

/* Appends a row of empty cells; returns its index, SP_ECONFLICT without columns,
 * or SP_ENOMEM. */
int ale_row_add(struct ale *ale, struct err *err);

/* Sets a cell by column name (value copied; NULL or "" means empty). Returns 0,
 * SP_ENOTFOUND for an unknown column, SP_EINVAL for a bad row, or SP_ENOMEM. */
int ale_cell_set(struct ale *ale, size_t row, const char *column, const char *value,
    struct err *err);

/* The cell at row, col ("" when empty); NULL when out of range. */
const char *ale_cell(const struct ale *ale, size_t row, size_t col);

/* The cell at row under column name; NULL when there is no such column or row. */
const char *ale_get(const struct ale *ale, size_t row, const char *column);

/* Replaces, in place, every ASCII control character (tab, CR, LF, ...) and DEL with a
 * space, so free text can go into a value. */
void ale_sanitize(char *value);

/* Writes *ale as an ALE file to out. Checks everything first (see above) and writes
 * nothing on SP_EINVAL; SP_EIO when out fails. */
int ale_write(const struct ale *ale, FILE *out, enum ale_eol eol, struct err *err);

/* Parses len bytes of ALE text into *ale, which must be empty (ALE_INIT). Returns 0,
 * SP_EINVAL with "line N: ..." for malformed input, SP_ETOOBIG, or SP_ENOMEM; on error
 * *ale is left empty. */
int ale_parse(const char *text, size_t len, struct ale *ale, struct err *err);

/* ale_parse() on the file at path; SP_ENOTFOUND, SP_EIO, SP_ETOOBIG as for files. */
int ale_read_file(const char *path, struct ale *ale, struct err *err);

/* Formats ASC_SOP "(sR sG sB)(oR oG oB)(pR pG pB)": each number with up to 6 decimals
 * and at least one (OTIO's reader wants a decimal point). Returns 0 or SP_EINVAL for
 * non-finite values, slope < 0, power <= 0, or numbers too long to fit. */
int ale_sop_format(const double slope[3], const double offset[3], const double power[3],
    char out[ALE_SOP_BUFSZ], struct err *err);

/* Parses ASC_SOP, tolerating blanks around numbers and between the groups. Same
 * range checks as ale_sop_format. Returns 0 or SP_EINVAL. */
int ale_sop_parse(const char *s, double slope[3], double offset[3], double power[3],
    struct err *err);

/* Formats ASC_SAT (one number, as in ale_sop_format); SP_EINVAL if < 0 or not finite. */
int ale_sat_format(double sat, char out[ALE_SAT_BUFSZ], struct err *err);

/* Parses ASC_SAT (surrounding blanks allowed); SP_EINVAL if not a number >= 0. */
int ale_sat_parse(const char *s, double *sat, struct err *err);

#endif
