/*
 * file: whole-file reads for the small text formats setpost parses (CDL, .cube LUTs).
 *
 * A reader takes a path and a hard size limit, refuses a file past that limit before
 * allocating anything, and hands back one heap buffer holding the whole file.
 * Ownership: the buffer is the caller's (free() it); on failure nothing is allocated.
 * Nothing here keeps state, so calls are safe from any thread.
 */
#ifndef SETPOST_FILE_H
#define SETPOST_FILE_H

#include <stddef.h>

#include "err.h"

/* Reads the regular file at path whole. On success *data is a malloc'd buffer of *len
 * bytes followed by a NUL (not counted in len), so text can be parsed in place; a file
 * that shrinks while it is read gives what was there. Returns 0, or: SP_ENOTFOUND (or
 * another errno mapping) when it cannot be opened, SP_EINVAL for something that is not a
 * regular file (a folder, a pipe), SP_ETOOBIG past max bytes, SP_ENOMEM, SP_EIO for a
 * read error; messages start with the path. *data and *len are untouched on failure. */
int file_read_all(const char *path, size_t max, char **data, size_t *len, struct err *err);

#endif
