/*
 * mhl_int: what the three halves of lib/mhl share, private to lib/mhl_*.c.
 *
 * mhl_write.c writes generations and the chain (and computes directory hashes),
 * mhl_read.c parses manifests and chains and loads histories (nested ones too),
 * mhl_verify.c walks a folder and compares it with a history. The public API and
 * its ownership rules are in mhl.h; nothing here is for callers outside lib/mhl_*.
 *
 * Ownership: struct mhl_chain owns its records and their strings, freed by
 * mhl_chain_release (safe on a zeroed struct, safe twice). Functions here that
 * fail return a negative SP_E* code and, where they take one, fill err.
 */
#ifndef SETPOST_MHL_INT_H
#define SETPOST_MHL_INT_H

#include "lib/custody/mhl.h"

#define MHL_NS "urn:ASC:MHL:v2.0"
#define MHL_CHAIN_NS "urn:ASC:MHL:DIRECTORY:v2.0"

/* The attribute and element texts of enum mhl_action and enum mhl_process, by value
 * (mhl_write.c). */
extern const char *const mhl_action_names[];
extern const char *const mhl_process_names[];

/* The generations listed in an ascmhl_chain.xml, in file order. */
struct mhl_chain {
	struct mhl_genrec *gens;
	size_t n, cap;
};

/* --- mhl_path.c --------------------------------------------------------- */

/* "a/b", or the non-empty one of a and b; a new string, NULL when out of memory. */
char *mhl_join(const char *a, const char *b);

/* Whether p is a manifest path: relative, '/'-separated, UTF-8 without control
 * characters, no empty, "." or ".." component. */
int mhl_path_ok(const char *p);

/* Writes the c4 id of data[0..len) into out (HASH_STR_MAX bytes). */
int mhl_c4_of(const char *data, size_t len, char *out, struct err *err);

/* Whether s is UTF-8 that XML 1.0 can carry: no C0 control but tab and newline, and with
 * is_path neither of those. */
int mhl_text_ok(const char *s, int is_path);

/* Whether a file or folder name is operating-system junk (.DS_Store, ._*, .Trashes,
 * ascmhl...): never media, never listed, never reported missing. */
int mhl_is_junk(const char *name);

/* --- mhl_read.c --------------------------------------------------------- */

void mhl_chain_release(struct mhl_chain *c);

/* Reads and parses ascmhl_chain.xml in dfd (the ascmhl/ folder that dirlabel names in
 * messages) into c; a missing chain is an empty one (*present 0). */
int mhl_chain_load(int dfd, const char *dirlabel, struct mhl_chain *c, int *present,
		   struct err *err);

/* The highest generation number in the chain c or among dfd's NNNN_*.mhl files (0 for
 * none); *mhls is set to the number of such files. */
int mhl_last_seq(int dfd, const struct mhl_chain *c, int *mhls);

/* Frees the paths of n entries, then the array. */
void mhl_entries_free(struct mhl_entry *v, size_t n);

/* qsort/bsearch order of struct mhl_entry: strcmp of the paths. */
int mhl_entry_cmp(const void *a, const void *b);

#endif
