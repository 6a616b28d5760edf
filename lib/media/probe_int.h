/* probe_int: what probe.c and probe_db.c share, not part of probe.h's interface. */
#ifndef SETPOST_PROBE_INT_H
#define SETPOST_PROBE_INT_H

#include <stddef.h>

/* src (NULL as "") into dst, cut to len bytes (probe.c). */
void probe_copy(char *dst, size_t len, const char *src);

#endif
