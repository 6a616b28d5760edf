/*
 * safe_name: the one sanitiser for names that become paths: a receiver's arrival folders and
 * file names (from a sender's tus Upload-Metadata), a rendition's name (a naming template
 * filled with a clip's scene, take and reel, which an iXML sound report can carry), a pulled
 * file's folders, a card label. Whatever the input, a component of the result:
 *   - is never "." or "..", and never starts with '.' (a '.' that would begin a component or
 *     keep it all dots becomes '_': "." is "_", ".." is "_.", ".{scene}" with the scene "."
 *     is "._");
 *   - holds no separator ('/', '\\') and no control character (below 0x20, 0x7f): each
 *     becomes '_', so "../../etc/passwd" is "_._.._etc_passwd";
 *   - is valid UTF-8 (a byte that is not part of a valid sequence becomes '_');
 *   - is cut on a character boundary when it does not fit.
 */
#ifndef SETPOST_SAFE_NAME_H
#define SETPOST_SAFE_NAME_H

#include <stdbool.h>
#include <stddef.h>

#define SAFE_NAME_MAX 200

/* Appends in to the path being built in out[len] (o bytes so far, NUL-terminated) as more of
 * its last component (the text after the last '/'), made safe as above. Returns the new
 * length; out stays NUL-terminated. */
size_t safe_name_append(char *out, size_t len, size_t o, const char *in);

/* One whole path component: the safe form of in (NULL or empty: fallback; nothing left: "_"),
 * at most SAFE_NAME_MAX bytes, into out[len]. */
void safe_name(const char *in, const char *fallback, char *out, size_t len);

/* True when s is already a safe component (safe_name would keep it as it is): a name a person
 * chose, such as a card label, is refused rather than changed behind their back. */
bool safe_name_ok(const char *s);

#endif
