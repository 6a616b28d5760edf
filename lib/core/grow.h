/*
 * grow: room for more elements in a heap array that grows by doubling.
 */
#ifndef SETPOST_GROW_H
#define SETPOST_GROW_H

#include <stddef.h>

/* Makes *arrp (a pointer to an array pointer, NULL at first) hold at least `need` elements of
 * `elem` bytes, doubling its capacity *cap (from 16); the new elements are zeroed. Returns 0, or
 * SP_ENOMEM when memory is short or the size would overflow (the array is left as it was). */
int array_grow(void *arrp, size_t *cap, size_t need, size_t elem);

#endif
