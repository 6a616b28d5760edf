/*
 * utf8: strict UTF-8 for text that came from outside (URLs, headers, names, far sides' replies)
 * before it goes into JSON, a log line or a file name. Strict means RFC 3629: no overlong forms,
 * no surrogates, nothing past U+10FFFF.
 */
#ifndef SETPOST_UTF8_H
#define SETPOST_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Length of the valid sequence at s (1..4), or 0 when the bytes there are not valid UTF-8. */
size_t utf8_sequence(const unsigned char *s, size_t len);
/* True when the len bytes at s are valid UTF-8 (a NUL byte counts as invalid). */
bool utf8_valid(const char *s, size_t len);
/* Copies NUL-terminated in to out (size outlen >= 4), valid sequences as they are and each byte
 * that is not part of one as U+FFFD; cut at a character boundary. Returns the length written. */
size_t utf8_sanitize(char *out, size_t outlen, const char *in);
/* Copies in to out for a one-line log: control characters, '\\' and invalid bytes as \xNN
 * (so a name with "\n" cannot start a forged line). Returns the length written. */
size_t utf8_log_escape(char *out, size_t outlen, const char *in, size_t inlen);

#endif
