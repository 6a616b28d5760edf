/*
 * file: whole-file reads for the small text formats setpost parses (CDL, .cube LUTs).
 *
 * Also mkdir -p (file_mkdirs), for the folders jobs write their results into.
 *
 * A reader takes a path and a hard size limit, refuses a file past that limit before
 * allocating anything, and hands back one heap buffer holding the whole file.
 * Ownership: the buffer is the caller's (free() it); on failure nothing is allocated.
 * Nothing here keeps state, so calls are safe from any thread.
 */
#ifndef SETPOST_FILE_H
#define SETPOST_FILE_H

#include <stddef.h>
#include <sys/types.h>

#include "lib/core/err.h"

/* Reads the regular file at path whole. On success *data is a malloc'd buffer of *len
 * bytes followed by a NUL (not counted in len), so text can be parsed in place; a file
 * that shrinks while it is read gives what was there. Returns 0, or: SP_ENOTFOUND (or
 * another errno mapping) when it cannot be opened, SP_EINVAL for something that is not a
 * regular file (a folder, a pipe), SP_ETOOBIG past max bytes, SP_ENOMEM, SP_EIO for a
 * read error; messages start with the path. *data and *len are untouched on failure. */
int file_read_all(const char *path, size_t max, char **data, size_t *len, struct err *err);

/* mkdir -p: creates path and the folders above it that are missing, with mode (before the
 * umask); folders already there are left as they are. Returns 0, SP_EINVAL for an empty or
 * too long path, or the mapped error with "create FOLDER: reason". */
int file_mkdirs(const char *path, mode_t mode, struct err *err);

#endif
