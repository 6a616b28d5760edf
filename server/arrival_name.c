/* arrival_name: a safe path component from a sender's name (see arrival_name.h). */
#include "arrival_name.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

void
arrival_name(const char *in, const char *fallback, char *out, size_t len)
{
	size_t o = 0, max = len - 1 < ARRIVAL_NAME_MAX ? len - 1 : ARRIVAL_NAME_MAX;

	if (in == NULL || *in == '\0')
		in = fallback;
	for (; *in && o < max; in++) {
		unsigned char c = (unsigned char)*in;
		bool bad = c == '/' || c == '\\' || c < 32 || c == 127 || (o == 0 && c == '.');
		out[o++] = bad ? '_' : (char)c;
	}
	/* Cut short: do not leave half a UTF-8 character at the end. */
	if (*in) {
		while (o > 0 && ((unsigned char)out[o - 1] & 0xC0) == 0x80)
			o--;
		if (o > 0 && ((unsigned char)out[o - 1] & 0xC0) == 0xC0)
			o--;
	}
	out[o] = '\0';
	if (o == 0)
		snprintf(out, len, "_");
}
