/*
 * mhl_stage: an ASC MHL generation made where a file may be renamed (a folder on disk), for a
 * place where none may be (a tape) or for no place at all (a download): the one generation of
 * a new history written in a folder made under stage_dir, its manifest and chain read back into
 * memory, the folder removed. The writer is lib/custody/mhl.h's, so what comes out is what
 * setpost writes beside every copy.
 */
#ifndef SETPOST_MHL_STAGE_H
#define SETPOST_MHL_STAGE_H

#include "lib/core/buf.h"
#include "lib/core/err.h"
#include "lib/custody/mhl.h"

#include <stddef.h>

struct mhl_staged {
	struct buf manifest, chain;    /* the files' bytes (buf_release both) */
	char name[256];                /* the manifest's file name (NNNN_<root>_<date>_<time>Z.mhl) */
};

/* root: the name of the history's root folder (it is in the manifest's name): a name of
 * letters, digits, '.', '_' and '-' is kept, other characters become '_'. */
int mhl_stage(const char *stage_dir, const char *root, const struct mhl_generation *g,
    struct mhl_staged *out, struct err *err);

#endif
