/*
 * buf: a growable byte buffer with a hard maximum size (request bodies, generated text).
 * The bytes are always followed by a NUL (not counted in len), so text can be read in place.
 * Ownership: a struct buf owns its data; buf_release() frees it and leaves an empty buffer;
 * buf_detach() hands the data to the caller (free() it) and leaves an empty buffer.
 */
#ifndef SETPOST_BUF_H
#define SETPOST_BUF_H

#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max; /* 0: no limit */
};

#define BUF_INIT(max_) { NULL, 0, 0, (max_) }

void buf_init(struct buf *b, size_t max);
/* Returns 0, or SP_ETOOBIG when the maximum would be passed (nothing appended). */
int buf_append(struct buf *b, const void *data, size_t len);
int buf_appendf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_appends(struct buf *b, const char *s);
void buf_reset(struct buf *b);
void buf_release(struct buf *b);
char *buf_detach(struct buf *b, size_t *len);

#endif
