/* bwf_int: what bwf.c and bwf_ixml.c share, not part of bwf.h's interface. */
#ifndef SETPOST_BWF_INT_H
#define SETPOST_BWF_INT_H

#include <stddef.h>

/* len without the NULs and blanks that pad a chunk after its document (bwf_ixml.c). */
size_t bwf_trim_tail(const char *s, size_t len);

#endif
