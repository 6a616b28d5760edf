/* bwf: Broadcast WAV header reader and metadata writer (see bwf.h). */
#include "lib/media/bwf.h"
#include "lib/media/bwf_int.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#define BWF_BEXT_FIXED 602
#define BWF_DS64_FIXED 28
#define BWF_DS64_TABLE_MAX 64
#define BWF_COPY_BLOCK (64 * 1024)

/* ---- little-endian fields ------------------------------------------------------- */

static uint16_t
bwf_le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
bwf_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t
bwf_le64(const unsigned char *p)
{
	return bwf_le32(p) | (uint64_t)bwf_le32(p + 4) << 32;
}

static void
bwf_put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void
bwf_put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

/* ---- the chunk walk, shared by the reader and the writer ------------------------ */

struct bwf_chunk {
	unsigned char id[4];
	char name[5];       /* id made printable, for messages */
	uint64_t offset;    /* of the body */
	uint64_t size;      /* of the body, without the pad byte */
};

struct bwf_ds64_entry {
	unsigned char id[4];
	uint64_t size;
};

struct bwf_walk {
	int fd;
	const char *name;
	uint64_t file_size;
	uint64_t end;       /* the walk stops here: the RIFF end, or the file end */
	uint64_t next;      /* offset of the next chunk header */
	unsigned count;
	bool rf64;
	uint64_t ds64_data;
	struct bwf_ds64_entry table[BWF_DS64_TABLE_MAX];
	uint32_t ntable;
};

static bool
bwf_is(const struct bwf_chunk *c, const char *id)
{
	return memcmp(c->id, id, 4) == 0;
}

/* Reads exactly len bytes at off. Sizes were checked against the file size first, so
 * a short read means the file shrank under us. */
static int
bwf_read_at(const struct bwf_walk *w, void *buf, size_t len, uint64_t off, struct err *err)
{
	unsigned char *p = buf;

	while (len > 0) {
		ssize_t n = pread(w->fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_errno(err, SP_EIO, errno, "%s: read at offset %llu", w->name,
			    (unsigned long long)off);
		if (n == 0)
			return err_set(err, SP_EIO, "%s: short read at offset %llu (file changed?)",
			    w->name, (unsigned long long)off);
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* The RIFF size only ever shortens the walk: streaming writers leave it 0 or too
 * large, and some tools append tags after the RIFF body, which we must not parse. */
static uint64_t
bwf_riff_end(const struct bwf_walk *w, uint64_t riff_size)
{
	if (riff_size < 4 || riff_size > w->file_size - 8)
		return w->file_size;
	return 8 + riff_size;
}

static int
bwf_ds64_table(struct bwf_walk *w, uint64_t size, struct err *err)
{
	unsigned char buf[BWF_DS64_TABLE_MAX * 12];
	int rc;

	if (w->ntable > BWF_DS64_TABLE_MAX || BWF_DS64_FIXED + 12 * (uint64_t)w->ntable > size)
		return err_set(err, SP_EINVAL, "%s: ds64 table of %u entries does not fit",
		    w->name, w->ntable);
	if (w->ntable == 0)
		return 0;
	rc = bwf_read_at(w, buf, 12 * w->ntable, 20 + BWF_DS64_FIXED, err);
	if (rc < 0)
		return rc;
	for (uint32_t i = 0; i < w->ntable; i++) {
		memcpy(w->table[i].id, buf + 12 * i, 4);
		w->table[i].size = bwf_le64(buf + 12 * i + 4);
	}
	return 0;
}

/* RF64/BW64: the first chunk must be ds64, holding the 64-bit RIFF and data sizes and
 * a table for any other chunk whose 32-bit size reads 0xFFFFFFFF. */
static int
bwf_walk_ds64(struct bwf_walk *w, struct err *err)
{
	unsigned char h[8 + BWF_DS64_FIXED];
	uint64_t size;
	int rc;

	if (w->file_size < sizeof(h))
		return err_set(err, SP_EINVAL, "%s: RF64 file too short for its ds64 chunk", w->name);
	rc = bwf_read_at(w, h, sizeof(h), 12, err);
	if (rc < 0)
		return rc;
	if (memcmp(h, "ds64", 4) != 0)
		return err_set(err, SP_EINVAL, "%s: RF64 file without a ds64 first chunk", w->name);
	size = bwf_le32(h + 4);
	if (size < BWF_DS64_FIXED || size > w->file_size - 20)
		return err_set(err, SP_EINVAL, "%s: ds64 chunk size %llu is invalid", w->name,
		    (unsigned long long)size);
	w->end = bwf_riff_end(w, bwf_le64(h + 8));
	w->ds64_data = bwf_le64(h + 16);
	w->ntable = bwf_le32(h + 32);
	w->next = 20 + size + (size & 1);
	return bwf_ds64_table(w, size, err);
}

static int
bwf_walk_open(struct bwf_walk *w, int fd, const char *name, struct err *err)
{
	unsigned char h[12];
	struct stat st;
	int rc;

	memset(w, 0, sizeof(*w));
	w->fd = fd;
	w->name = name;
	if (fstat(fd, &st) < 0)
		return err_errno(err, SP_EIO, errno, "%s", name);
	if (!S_ISREG(st.st_mode))
		return err_set(err, SP_EINVAL, "%s: not a regular file", name);
	w->file_size = (uint64_t)st.st_size;
	if (w->file_size < sizeof(h))
		return err_set(err, SP_EINVAL, "%s: %llu bytes, too short for a WAV header", name,
		    (unsigned long long)w->file_size);
	rc = bwf_read_at(w, h, sizeof(h), 0, err);
	if (rc < 0)
		return rc;
	if (memcmp(h + 8, "WAVE", 4) != 0 || (memcmp(h, "RIFF", 4) != 0 &&
	    memcmp(h, "RF64", 4) != 0 && memcmp(h, "BW64", 4) != 0))
		return err_set(err, SP_EUNSUPPORTED, "%s: not a WAV file (no RIFF WAVE header)",
		    name);
	w->rf64 = memcmp(h, "RIFF", 4) != 0;
	if (w->rf64)
		return bwf_walk_ds64(w, err);
	w->end = bwf_riff_end(w, bwf_le32(h + 4));
	w->next = 12;
	return 0;
}

static void
bwf_chunk_name(struct bwf_chunk *c)
{
	for (int i = 0; i < 4; i++)
		c->name[i] = isprint(c->id[i]) ? (char)c->id[i] : '?';
	c->name[4] = '\0';
}

/* An RF64 chunk whose 32-bit size is 0xFFFFFFFF takes its size from ds64. */
static int
bwf_ds64_size(const struct bwf_walk *w, struct bwf_chunk *c, struct err *err)
{
	if (bwf_is(c, "data")) {
		c->size = w->ds64_data;
		return 0;
	}
	for (uint32_t i = 0; i < w->ntable; i++) {
		if (memcmp(w->table[i].id, c->id, 4) == 0) {
			c->size = w->table[i].size;
			return 0;
		}
	}
	return err_set(err, SP_EINVAL, "%s: chunk '%s' at offset %llu: size 0xFFFFFFFF but "
	    "not in ds64", w->name, c->name, (unsigned long long)(c->offset - 8));
}

/* Returns 1 with *c filled, 0 after the last chunk, or a negative error. */
static int
bwf_walk_next(struct bwf_walk *w, struct bwf_chunk *c, struct err *err)
{
	unsigned char h[8];
	uint32_t size32;
	int rc;

	if (w->next >= w->end || w->end - w->next == 1)
		return 0; /* done, or the pad byte of an odd last chunk */
	if (w->end - w->next < 8)
		return err_set(err, SP_EINVAL, "%s: truncated chunk header at offset %llu",
		    w->name, (unsigned long long)w->next);
	if (++w->count > BWF_MAX_CHUNKS)
		return err_set(err, SP_ETOOBIG, "%s: more than %d chunks", w->name, BWF_MAX_CHUNKS);
	rc = bwf_read_at(w, h, sizeof(h), w->next, err);
	if (rc < 0)
		return rc;
	memcpy(c->id, h, 4);
	bwf_chunk_name(c);
	c->offset = w->next + 8;
	size32 = bwf_le32(h + 4);
	c->size = size32;
	if (w->rf64 && size32 == UINT32_MAX) {
		rc = bwf_ds64_size(w, c, err);
		if (rc < 0)
			return rc;
	}
	if (c->size > w->file_size - c->offset)
		return err_set(err, SP_EINVAL, "%s: chunk '%s' at offset %llu: size %llu runs past "
		    "the end of the file (%llu bytes)", w->name, c->name,
		    (unsigned long long)(c->offset - 8), (unsigned long long)c->size,
		    (unsigned long long)w->file_size);
	w->next = c->offset + c->size + (c->size & 1);
	return 1;
}

/* ---- bext and fmt -------------------------------------------------------------- */

/* Copies a fixed-width, NUL-padded text field; cap counts the terminating NUL. */
static void
bwf_copy_field(char *dst, size_t cap, const unsigned char *src)
{
	size_t n = 0;

	while (n < cap - 1 && src[n] != '\0')
		n++;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int
bwf_parse_fmt(struct bwf_info *info, const struct bwf_chunk *c, const unsigned char *b,
    size_t len, struct err *err)
{
	(void)c;
	info->format_tag = bwf_le16(b);
	info->channels = bwf_le16(b + 2);
	info->sample_rate = bwf_le32(b + 4);
	info->block_align = bwf_le16(b + 12);
	info->bits = bwf_le16(b + 14);
	/* WAVE_FORMAT_EXTENSIBLE keeps the real format in the first two GUID bytes. */
	if (info->format_tag == 0xFFFE && len >= 26)
		info->format_tag = bwf_le16(b + 24);
	if (info->channels == 0)
		return err_set(err, SP_EINVAL, "zero channels");
	if (info->sample_rate == 0)
		return err_set(err, SP_EINVAL, "zero sample rate");
	if (info->block_align == 0)
		return err_set(err, SP_EINVAL, "zero block align");
	return 0;
}

static int
bwf_parse_data(struct bwf_info *info, const struct bwf_chunk *c, const unsigned char *b,
    size_t len, struct err *err)
{
	(void)b;
	(void)len;
	(void)err;
	info->data_offset = c->offset;
	info->data_size = c->size;
	return 0;
}

static int
bwf_parse_bext(struct bwf_info *info, const struct bwf_chunk *c, const unsigned char *b,
    size_t len, struct err *err)
{
	struct bwf_bext *x = &info->bext;

	(void)c;
	bwf_copy_field(x->description, sizeof(x->description), b);
	bwf_copy_field(x->originator, sizeof(x->originator), b + 256);
	bwf_copy_field(x->originator_reference, sizeof(x->originator_reference), b + 288);
	bwf_copy_field(x->origination_date, sizeof(x->origination_date), b + 320);
	bwf_copy_field(x->origination_time, sizeof(x->origination_time), b + 330);
	x->time_reference = bwf_le32(b + 338) | (uint64_t)bwf_le32(b + 342) << 32;
	x->version = bwf_le16(b + 346);
	/* CodingHistory runs to the end of the chunk; writers pad it with NULs. */
	x->coding_history = strndup((const char *)b + BWF_BEXT_FIXED, len - BWF_BEXT_FIXED);
	if (x->coding_history == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	info->has_bext = true;
	return 0;
}

static int
bwf_parse_ixml_chunk(struct bwf_info *info, const struct bwf_chunk *c, const unsigned char *b,
    size_t len, struct err *err)
{
	int rc;

	(void)c;
	/* Recorders reserve the chunk before they have anything to put in it; a chunk of
	 * only NULs or blanks is no iXML, not broken iXML. */
	if (len == 0 || bwf_trim_tail((const char *)b, len) == 0)
		return 0;
	rc = bwf_ixml_parse((const char *)b, len, &info->ixml, err);
	if (rc == 0)
		info->has_ixml = true;
	return rc;
}

/* The chunks we read. `want` bytes are read into memory: all of the chunk when
 * `whole` (bigger is SP_ETOOBIG), else at most that prefix. */
static const struct bwf_kind {
	char id[5];
	bool whole;
	uint32_t want;
	uint32_t min;
	int (*parse)(struct bwf_info *, const struct bwf_chunk *, const unsigned char *, size_t,
	    struct err *);
} bwf_kinds[] = {
	{ "fmt ", false, 40, 16, bwf_parse_fmt },
	{ "data", false, 0, 0, bwf_parse_data },
	{ "bext", true, BWF_BEXT_MAX, BWF_BEXT_FIXED, bwf_parse_bext },
	{ "iXML", true, BWF_IXML_MAX, 0, bwf_parse_ixml_chunk },
};

#define BWF_NKINDS (sizeof(bwf_kinds) / sizeof(bwf_kinds[0]))

static int
bwf_read_kind(const struct bwf_walk *w, const struct bwf_chunk *c, const struct bwf_kind *k,
    struct bwf_info *info, struct err *err)
{
	unsigned char *body = NULL;
	size_t len;
	int rc;

	if (c->size < k->min)
		return err_set(err, SP_EINVAL, "too short (%llu bytes, need %u)",
		    (unsigned long long)c->size, k->min);
	if (k->whole && c->size > k->want)
		return err_set(err, SP_ETOOBIG, "%llu bytes, more than the %u we accept",
		    (unsigned long long)c->size, k->want);
	len = (size_t)(c->size < k->want ? c->size : k->want);
	if (len > 0) {
		body = malloc(len);
		if (body == NULL)
			return err_set(err, SP_ENOMEM, "out of memory");
		rc = bwf_read_at(w, body, len, c->offset, err);
		if (rc < 0)
			goto out;
	}
	rc = k->parse(info, c, body, len, err);
out:
	free(body);
	return rc;
}

static int
bwf_read_chunk(const struct bwf_walk *w, const struct bwf_chunk *c, struct bwf_info *info,
    unsigned *seen, struct err *err)
{
	int rc;

	for (size_t i = 0; i < BWF_NKINDS; i++) {
		if (!bwf_is(c, bwf_kinds[i].id))
			continue;
		/* Two fmt or data chunks make the file ambiguous; refuse to guess. */
		if (*seen & (1u << i))
			rc = err_set(err, SP_EINVAL, "second '%s' chunk", c->name);
		else
			rc = bwf_read_kind(w, c, &bwf_kinds[i], info, err);
		*seen |= 1u << i;
		if (rc < 0)
			err_prefix(err, "%s: chunk '%s' at offset %llu: ", w->name, c->name,
			    (unsigned long long)(c->offset - 8));
		return rc;
	}
	return 0;
}

static int
bwf_read_fd(int fd, const char *name, struct bwf_info *info, struct err *err)
{
	struct bwf_walk w;
	struct bwf_chunk c;
	unsigned seen = 0;
	int rc;

	rc = bwf_walk_open(&w, fd, name, err);
	if (rc < 0)
		return rc;
	info->rf64 = w.rf64;
	while ((rc = bwf_walk_next(&w, &c, err)) > 0) {
		rc = bwf_read_chunk(&w, &c, info, &seen, err);
		if (rc < 0)
			return rc;
	}
	if (rc < 0)
		return rc;
	if (!(seen & 1u))
		return err_set(err, SP_EINVAL, "%s: no 'fmt ' chunk", name);
	if (!(seen & 2u))
		return err_set(err, SP_EINVAL, "%s: no 'data' chunk", name);
	info->samples = info->data_size / info->block_align;
	return 0;
}

int
bwf_read(const char *path, struct bwf_info *info, struct err *err)
{
	int fd, rc;

	memset(info, 0, sizeof(*info));
	info->ixml.circled = -1;
	xmlInitParser();
	/* O_NONBLOCK: a FIFO on a card must not hang us before fstat says "not a file". */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return err_errno(err, err_from_errno(errno), errno, "%s", path);
	rc = bwf_read_fd(fd, path, info, err);
	close(fd);
	if (rc < 0)
		bwf_release(info);
	return rc;
}

void
bwf_release(struct bwf_info *info)
{
	free(info->bext.coding_history);
	bwf_ixml_release(&info->ixml);
	memset(info, 0, sizeof(*info));
	info->ixml.circled = -1;
}

/* ---- timecode ------------------------------------------------------------------ */

int
bwf_timecode_rate(const struct bwf_info *info, struct timecode_rate *rate, struct err *err)
{
	const char *flag = info->ixml.timecode_flag;
	struct timecode_rate r;
	bool drop;
	int rc;

	if (!info->has_ixml || info->ixml.timecode_rate == NULL)
		return err_set(err, SP_ENOTFOUND, "no iXML SPEED/TIMECODE_RATE");
	rc = timecode_rate_parse(info->ixml.timecode_rate, &r, err);
	if (rc < 0)
		return err_prefix(err, "iXML SPEED/TIMECODE_RATE: ");
	drop = r.drop;
	if (flag != NULL && strcasecmp(flag, "DF") == 0)
		drop = true;
	else if (flag != NULL && strcasecmp(flag, "NDF") == 0)
		drop = false;
	else if (flag != NULL)
		return err_set(err, SP_EINVAL, "iXML SPEED/TIMECODE_FLAG \"%.40s\": expected DF or "
		    "NDF", flag);
	rc = timecode_rate_make(r.num, r.den, drop, rate, err);
	if (rc < 0)
		err_prefix(err, "iXML SPEED/TIMECODE_FLAG: ");
	return rc;
}

int
bwf_start_frames(const struct bwf_info *info, const struct timecode_rate *rate,
    int64_t *frames, struct err *err)
{
	uint32_t sr = info->sample_rate;

	if (info->has_bext)
		return timecode_from_samples(info->bext.time_reference, sr, rate, frames, err);
	if (!info->has_ixml || !info->ixml.has_timestamp)
		return err_set(err, SP_ENOTFOUND, "no bext TimeReference or iXML timestamp");
	if (info->ixml.timestamp_sample_rate != 0)
		sr = info->ixml.timestamp_sample_rate;
	return timecode_from_samples(info->ixml.timestamp, sr, rate, frames, err);
}

/* ---- the writer ---------------------------------------------------------------- */

static int
bwf_put_text(unsigned char *dst, size_t cap, const char *src, const char *what,
    struct err *err)
{
	size_t len = src ? strlen(src) : 0;

	if (len > cap)
		return err_set(err, SP_EINVAL, "bext %s: %zu bytes, at most %zu", what, len, cap);
	if (len > 0)
		memcpy(dst, src, len);
	return 0;
}

/* Builds the bext body: the 602-byte fixed part, zero-filled, then CodingHistory. */
static int
bwf_bext_build(const struct bwf_meta *m, unsigned char **out, size_t *len, struct err *err)
{
	size_t hist = m->coding_history ? strlen(m->coding_history) : 0;
	unsigned char *b;
	int rc;

	*out = NULL;
	if (hist > BWF_BEXT_MAX - BWF_BEXT_FIXED)
		return err_set(err, SP_ETOOBIG, "bext CodingHistory: %zu bytes, too long", hist);
	b = calloc(1, BWF_BEXT_FIXED + hist);
	if (b == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	if ((rc = bwf_put_text(b, 256, m->description, "Description", err)) < 0 ||
	    (rc = bwf_put_text(b + 256, 32, m->originator, "Originator", err)) < 0 ||
	    (rc = bwf_put_text(b + 288, 32, m->originator_reference, "OriginatorReference",
	    err)) < 0 ||
	    (rc = bwf_put_text(b + 320, 10, m->origination_date, "OriginationDate", err)) < 0 ||
	    (rc = bwf_put_text(b + 330, 8, m->origination_time, "OriginationTime", err)) < 0) {
		free(b);
		return rc;
	}
	bwf_put32(b + 338, (uint32_t)m->time_reference);
	bwf_put32(b + 342, (uint32_t)(m->time_reference >> 32));
	bwf_put16(b + 346, m->version);
	if (hist > 0)
		memcpy(b + BWF_BEXT_FIXED, m->coding_history, hist);
	*out = b;
	*len = BWF_BEXT_FIXED + hist;
	return 0;
}

struct bwf_out {
	int fd;
	const char *name;   /* the temporary file, for messages */
	uint64_t pos;       /* bytes written so far */
};

static int
bwf_write_all(struct bwf_out *o, const void *buf, size_t len, struct err *err)
{
	const unsigned char *p = buf;

	while (len > 0) {
		ssize_t n = write(o->fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_errno(err, err_from_errno(errno), errno, "%s: write", o->name);
		p += n;
		len -= (size_t)n;
		o->pos += (uint64_t)n;
	}
	return 0;
}

static int
bwf_put_chunk(struct bwf_out *o, const char *id, const void *body, size_t len,
    struct err *err)
{
	unsigned char h[8], pad = 0;
	int rc;

	memcpy(h, id, 4);
	bwf_put32(h + 4, (uint32_t)len);
	rc = bwf_write_all(o, h, sizeof(h), err);
	if (rc == 0)
		rc = bwf_write_all(o, body, len, err);
	if (rc == 0 && (len & 1))
		rc = bwf_write_all(o, &pad, 1, err);
	return rc;
}

/* Streams one chunk, header, body and pad, from the source. */
static int
bwf_copy_chunk(const struct bwf_walk *w, const struct bwf_chunk *c, struct bwf_out *o,
    struct err *err)
{
	unsigned char h[8], pad = 0, *buf;
	uint64_t done = 0;
	int rc;

	buf = malloc(BWF_COPY_BLOCK);
	if (buf == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	memcpy(h, c->id, 4);
	bwf_put32(h + 4, (uint32_t)c->size);
	rc = bwf_write_all(o, h, sizeof(h), err);
	while (rc == 0 && done < c->size) {
		size_t n = c->size - done < BWF_COPY_BLOCK ? (size_t)(c->size - done) : BWF_COPY_BLOCK;

		rc = bwf_read_at(w, buf, n, c->offset + done, err);
		if (rc == 0)
			rc = bwf_write_all(o, buf, n, err);
		done += n;
	}
	if (rc == 0 && (c->size & 1))
		rc = bwf_write_all(o, &pad, 1, err);
	free(buf);
	return rc;
}

/* What the writer inserts, and whether it has yet. */
struct bwf_insert {
	const unsigned char *bext;
	size_t bext_len;
	const char *ixml;
	bool done;
};

static int
bwf_put_meta(struct bwf_out *o, struct bwf_insert *ins, struct err *err)
{
	int rc = bwf_put_chunk(o, "bext", ins->bext, ins->bext_len, err);

	if (rc == 0 && ins->ixml != NULL)
		rc = bwf_put_chunk(o, "iXML", ins->ixml, strlen(ins->ixml), err);
	ins->done = true;
	return rc;
}

/* Copies one source chunk, dropping old bext/iXML and placing ours right after fmt
 * (or before data, if a broken file has data first). */
static int
bwf_copy_step(const struct bwf_walk *w, const struct bwf_chunk *c, struct bwf_out *o,
    struct bwf_insert *ins, struct err *err)
{
	int rc = 0;

	if (bwf_is(c, "bext") || bwf_is(c, "iXML"))
		return 0;
	if (!ins->done && bwf_is(c, "data"))
		rc = bwf_put_meta(o, ins, err);
	if (rc == 0)
		rc = bwf_copy_chunk(w, c, o, err);
	if (rc == 0 && !ins->done && bwf_is(c, "fmt "))
		rc = bwf_put_meta(o, ins, err);
	return rc;
}

/* Copies every chunk, then writes the RIFF size now that it is known. */
static int
bwf_copy_chunks(struct bwf_walk *w, struct bwf_out *o, struct bwf_insert *ins,
    struct err *err)
{
	static const unsigned char head[12] = { 'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'A', 'V', 'E' };
	unsigned char size[4];
	struct bwf_chunk c;
	bool data = false;
	int rc;

	rc = bwf_write_all(o, head, sizeof(head), err);
	while (rc == 0) {
		rc = bwf_walk_next(w, &c, err);
		if (rc <= 0)
			break;
		data = data || bwf_is(&c, "data");
		rc = bwf_copy_step(w, &c, o, ins, err);
	}
	if (rc < 0)
		return rc;
	if (!data)
		return err_set(err, SP_EINVAL, "%s: no 'data' chunk", w->name);
	if (o->pos - 8 > UINT32_MAX)
		return err_set(err, SP_ETOOBIG, "%s: result passes 4 GiB, needs RF64", w->name);
	bwf_put32(size, (uint32_t)(o->pos - 8));
	if (pwrite(o->fd, size, 4, 4) != 4)
		return err_errno(err, SP_EIO, errno, "%s: write", o->name);
	return 0;
}

static int
bwf_tmp_open(const char *path, char **tmp, int *fd, struct err *err)
{
	size_t len = strlen(path) + sizeof(".XXXXXX");

	*tmp = malloc(len);
	if (*tmp == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	snprintf(*tmp, len, "%s.XXXXXX", path);
	*fd = mkostemp(*tmp, O_CLOEXEC);
	if (*fd < 0) {
		int e = errno;

		free(*tmp);
		*tmp = NULL;
		return err_errno(err, err_from_errno(e), e, "%s: temporary file", path);
	}
	return 0;
}

/* Gives the new file the old one's mode, makes it durable, then swaps it in. */
static int
bwf_tmp_commit(int in, int *out, const char *tmp, const char *path, struct err *err)
{
	struct stat st;
	int rc;

	if (fstat(in, &st) < 0 || fchmod(*out, st.st_mode & 07777) < 0 || fsync(*out) < 0)
		return err_errno(err, err_from_errno(errno), errno, "%s", tmp);
	rc = close(*out);
	*out = -1;
	if (rc < 0)
		return err_errno(err, err_from_errno(errno), errno, "%s: close", tmp);
	if (rename(tmp, path) < 0)
		return err_errno(err, err_from_errno(errno), errno, "%s: rename", path);
	return 0;
}

static int
bwf_rewrite(int in, const char *path, struct bwf_insert *ins, struct err *err)
{
	struct bwf_walk w;
	struct bwf_out o = { -1, NULL, 0 };
	char *tmp = NULL;
	int rc;

	rc = bwf_walk_open(&w, in, path, err);
	if (rc == 0 && w.rf64)
		rc = err_set(err, SP_EUNSUPPORTED, "%s: RF64 files are not rewritten", path);
	if (rc == 0)
		rc = bwf_tmp_open(path, &tmp, &o.fd, err);
	if (rc < 0)
		goto out;
	o.name = tmp;
	rc = bwf_copy_chunks(&w, &o, ins, err);
	if (rc == 0)
		rc = bwf_tmp_commit(in, &o.fd, tmp, path, err);
out:
	if (o.fd >= 0)
		close(o.fd);
	if (rc < 0 && tmp != NULL)
		unlink(tmp);
	free(tmp);
	return rc;
}

int
bwf_write_meta(const char *path, const struct bwf_meta *meta, struct err *err)
{
	struct bwf_insert ins = { NULL, 0, meta->ixml, false };
	unsigned char *bext = NULL;
	size_t bext_len = 0;
	int in = -1, rc;

	if (meta->ixml != NULL && strlen(meta->ixml) > BWF_IXML_MAX)
		return err_set(err, SP_ETOOBIG, "iXML: more than %u bytes", BWF_IXML_MAX);
	rc = bwf_bext_build(meta, &bext, &bext_len, err);
	if (rc < 0)
		goto out;
	in = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (in < 0) {
		rc = err_errno(err, err_from_errno(errno), errno, "%s", path);
		goto out;
	}
	ins.bext = bext;
	ins.bext_len = bext_len;
	rc = bwf_rewrite(in, path, &ins, err);
out:
	if (in >= 0)
		close(in);
	free(bext);
	return rc;
}
