/* utf8: strict validation, replacement and escaping (see utf8.h). */
#include "lib/core/utf8.h"

#include <stdio.h>
#include <string.h>

size_t
utf8_sequence(const unsigned char *s, size_t len)
{
	unsigned c = s[0];
	size_t n;
	unsigned cp, min;

	if (c < 0x80)
		return c == 0 ? 0 : 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07, min = 0x10000;
	else
		return 0;       /* a continuation byte, 0xc0/0xc1 (always overlong) or past 0xf4 */
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

bool
utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	while (len > 0) {
		size_t n = utf8_sequence(p, len);
		if (n == 0)
			return false;
		p += n;
		len -= n;
	}
	return true;
}

size_t
utf8_sanitize(char *out, size_t outlen, const char *in)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t left = strlen(in), o = 0;

	if (outlen == 0)
		return 0;
	while (left > 0) {
		size_t n = utf8_sequence(p, left);
		const char *src = (const char *)p;
		size_t take = n;

		if (n == 0) {
			src = "\xef\xbf\xbd";   /* U+FFFD REPLACEMENT CHARACTER */
			take = 3;
			n = 1;
		}
		if (o + take >= outlen)
			break;
		memcpy(out + o, src, take);
		o += take;
		p += n;
		left -= n;
	}
	out[o] = '\0';
	return o;
}

size_t
utf8_log_escape(char *out, size_t outlen, const char *in, size_t inlen)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t o = 0;

	if (outlen == 0)
		return 0;
	while (inlen > 0) {
		size_t n = utf8_sequence(p, inlen);
		if (n == 1 && (*p < 0x20 || *p == 0x7f || *p == '\\'))
			n = 0;
		if (n == 0) {
			if (o + 4 >= outlen)
				break;
			snprintf(out + o, 5, "\\x%02x", *p);
			o += 4;
			n = 1;
		} else {
			if (o + n >= outlen)
				break;
			memcpy(out + o, p, n);
			o += n;
		}
		p += n;
		inlen -= n;
	}
	out[o] = '\0';
	return o;
}
