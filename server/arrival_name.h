/*
 * arrival_name: one component of the path where the post house files an arrival
 * (<uploads>/<production>/<day>/<card>/<name>, server/tus.c). Every component comes from the
 * sender's Upload-Metadata, so each one goes through here: a component is never "." or "..",
 * never holds a separator ('/' or '\\') or a control character, never starts with '.' (the
 * receiver's own partial files do: ".<name>.partial"), and is at most ARRIVAL_NAME_MAX bytes
 * (cut on a UTF-8 character boundary).
 */
#ifndef SETPOST_ARRIVAL_NAME_H
#define SETPOST_ARRIVAL_NAME_H

#include <stddef.h>

#define ARRIVAL_NAME_MAX 200

/* Writes the safe form of in (NULL or empty: fallback) to out[len], len > ARRIVAL_NAME_MAX.
 * Separators, control characters and a leading '.' become '_' (so "." is "_" and ".." is
 * "_."): nothing climbs out of its folder or hides in it. */
void arrival_name(const char *in, const char *fallback, char *out, size_t len);

#endif
