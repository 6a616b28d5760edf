/* mhl_path: the names and paths of ASC MHL manifests: joining, checking, OS junk, and the c4
 * id of a manifest's bytes; used by reading, verifying and writing alike (mhl_int.h). */
#include "lib/custody/mhl_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlstring.h>

char *
mhl_join(const char *a, const char *b)
{
	char *s = NULL;

	if (*a == '\0' || *b == '\0')
		return strdup(*a == '\0' ? b : a);
	if (asprintf(&s, "%s/%s", a, b) < 0)
		return NULL;
	return s;
}

/* XML 1.0 cannot carry C0 controls (tab and newline aside), and names must be
 * UTF-8; paths refuse tab and newline too. */
int
mhl_text_ok(const char *s, int is_path)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 && (is_path || (*p != '\t' && *p != '\n')))
			return 0;
	return xmlCheckUTF8((const xmlChar *)s) == 1;
}

/* A manifest path: relative, '/'-separated, no empty, "." or ".." component. */
int
mhl_path_ok(const char *p)
{
	if (*p == '\0' || *p == '/' || !mhl_text_ok(p, 1))
		return 0;
	for (;;) {
		size_t len = strcspn(p, "/");

		if (len == 0 || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		if (p[len] == '\0')
			return 1;
		p += len + 1;
	}
}

/* Names that operating systems drop on removable media: never media, never
 * listed, never reported missing. */
static const char *const mhl_junk[] = {
	".DS_Store", ".Spotlight-V100", ".Trashes", ".fseventsd",
	"System Volume Information", MHL_DIR,
};

int
mhl_is_junk(const char *name)
{
	if (strncmp(name, "._", 2) == 0)
		return 1;
	for (size_t i = 0; i < sizeof(mhl_junk) / sizeof(mhl_junk[0]); i++)
		if (strcmp(name, mhl_junk[i]) == 0)
			return 1;
	return 0;
}

int
mhl_c4_of(const char *data, size_t len, char *out, struct err *err)
{
	struct hash_result res;
	int rc = hash_buf(data, len, HASH_BIT(HASH_C4), &res, err);

	if (rc == 0)
		memcpy(out, res.v[HASH_C4].str, HASH_STR_MAX);
	return rc;
}
