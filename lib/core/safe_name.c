/* safe_name: names that become paths, made safe (see safe_name.h). */
#include "lib/core/safe_name.h"
#include "lib/core/utf8.h"

#include <string.h>

/* Whether the last component of out[0..o) is empty or only dots. */
static bool
safe_name_all_dots(const char *out, size_t o)
{
	while (o > 0 && out[o - 1] == '.')
		o--;
	return o == 0 || out[o - 1] == '/';
}

size_t
safe_name_append(char *out, size_t len, size_t o, const char *in)
{
	size_t n = in ? strlen(in) : 0;

	for (size_t i = 0; i < n;) {
		const unsigned char c = (unsigned char)in[i];
		size_t seq = utf8_sequence((const unsigned char *)in + i, n - i);
		bool bad = seq == 0 || c == '/' || c == '\\' || c < 0x20 || c == 0x7f ||
		    (c == '.' && safe_name_all_dots(out, o));

		if (seq == 0 || bad)
			seq = 1;
		if (o + seq >= len)
			break;
		if (bad)
			out[o] = '_';
		else
			memcpy(out + o, in + i, seq);
		o += seq;
		i += seq;
	}
	if (len > 0)
		out[o] = '\0';
	return o;
}

void
safe_name(const char *in, const char *fallback, char *out, size_t len)
{
	size_t max = len - 1 < SAFE_NAME_MAX ? len : SAFE_NAME_MAX + 1;

	if (in == NULL || *in == '\0')
		in = fallback;
	out[0] = '\0';
	if (safe_name_append(out, max, 0, in) == 0)
		safe_name_append(out, max, 0, "_");
}

bool
safe_name_ok(const char *s)
{
	char out[SAFE_NAME_MAX + 1];

	if (s == NULL || *s == '\0' || strlen(s) > SAFE_NAME_MAX)
		return false;
	safe_name(s, "_", out, sizeof(out));
	return strcmp(out, s) == 0;
}
