/* grow: doubling heap arrays with overflow checks (see grow.h). */
#include "lib/core/grow.h"
#include "lib/core/err.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
array_grow(void *arrp, size_t *cap, size_t need, size_t elem)
{
	void **arr = arrp;
	size_t ncap = *cap ? *cap : 16;
	void *p;

	if (need <= *cap)
		return 0;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return SP_ENOMEM;
		ncap *= 2;
	}
	if (elem == 0 || ncap > SIZE_MAX / elem)
		return SP_ENOMEM;
	if ((p = realloc(*arr, ncap * elem)) == NULL)
		return SP_ENOMEM;
	memset((char *)p + *cap * elem, 0, (ncap - *cap) * elem);
	*arr = p;
	*cap = ncap;
	return 0;
}
