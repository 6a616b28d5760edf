/* age_buf: buffers that may hold secrets (keys, identities) grow without leaving a copy behind
 * (age_int.h). */
#include "lib/delivery/age_int.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

/* Grows *buf from len used bytes to cap; the old copy is wiped, as it may hold secrets. */
int
age_grow(char **buf, size_t len, size_t cap, struct err *err)
{
	char *p = malloc(cap);

	if (p == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	if (*buf != NULL) {
		memcpy(p, *buf, len);
		sodium_memzero(*buf, len);
		free(*buf);
	}
	*buf = p;
	return 0;
}
