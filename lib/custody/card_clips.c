/* card_clips: what the layouts fill in on a card being built: its clips, found by key (a hash
 * table over their upper-case keys), the rules every layout shares to name a clip from a file,
 * and the card's label and reel (card_int.h). */
#include "lib/custody/card_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t
card_hash(const char *key)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 1099511628211ULL;
	return (size_t)h;
}

static void
card_table_put(size_t *table, size_t tsize, const char *key, size_t clip)
{
	size_t i = card_hash(key) & (tsize - 1);

	while (table[i] != 0)
		i = (i + 1) & (tsize - 1);
	table[i] = clip + 1;
}

/* Keeps the table at most half full. */
static int
card_table_grow(struct card_build *b)
{
	size_t nsize = b->tsize ? b->tsize * 2 : 64, *t;

	if ((b->info->nclips + 1) * 2 <= b->tsize)
		return 0;
	if ((t = calloc(nsize, sizeof(*t))) == NULL)
		return SP_ENOMEM;
	for (size_t c = 0; c < b->info->nclips; c++)
		card_table_put(t, nsize, b->keys[c], c);
	free(b->table);
	b->table = t;
	b->tsize = nsize;
	return 0;
}

long
card_clip_find(const struct card_build *b, const char *key)
{
	char up[CARD_KEY_MAX];
	size_t i;

	if (b->tsize == 0)
		return -1;
	card_upper(up, sizeof(up), key, strlen(key));
	for (i = card_hash(up) & (b->tsize - 1); b->table[i] != 0; i = (i + 1) & (b->tsize - 1))
		if (strcmp(b->keys[b->table[i] - 1], up) == 0)
			return (long)(b->table[i] - 1);
	return -1;
}

long
card_clip_named(const struct card_build *b, const char *path, const char *name, size_t len,
    bool with_dir)
{
	char key[CARD_KEY_MAX];
	size_t dir = card_dir_len(path);

	if (len >= CARD_NAME_MAX)
		return -1;
	if (with_dir)
		snprintf(key, sizeof(key), "%.*s/%.*s", (int)dir, path, (int)len, name);
	else
		snprintf(key, sizeof(key), "%.*s", (int)len, name);
	return card_clip_find(b, key);
}

long
card_clip_add(struct card_build *b, const struct card_piece *p)
{
	struct card_info *info = b->info;
	struct card_clip *c;
	long found = card_clip_find(b, p->key);
	char up[CARD_KEY_MAX];

	if (found >= 0)
		return found;
	if (info->nclips == b->cap_clips) {
		size_t cap = b->cap_clips ? b->cap_clips * 2 : 16;
		struct card_clip *clips = realloc(info->clips, cap * sizeof(*clips));
		char **keys;

		if (clips == NULL)
			return SP_ENOMEM;
		info->clips = clips;
		if ((keys = realloc(b->keys, cap * sizeof(*keys))) == NULL)
			return SP_ENOMEM;
		b->keys = keys;
		b->cap_clips = cap;
	}
	if (card_table_grow(b) != 0)
		return SP_ENOMEM;
	card_upper(up, sizeof(up), p->key, strlen(p->key));
	c = &info->clips[info->nclips];
	memset(c, 0, sizeof(*c));
	c->proxy = -1;
	c->name = strdup(p->name);
	b->keys[info->nclips] = strdup(up);
	info->nclips++; /* counted first, so release frees what the strdups gave */
	if (c->name == NULL || b->keys[info->nclips - 1] == NULL)
		return SP_ENOMEM;
	card_table_put(b->table, b->tsize, up, info->nclips - 1);
	return (long)(info->nclips - 1);
}

/* ---- rules every layout shares -------------------------------------------------- */

long
card_sidecar_common(const struct card_build *b, size_t i, bool with_dir, bool *proxy)
{
	const char *path = b->info->files[i].path, *base = card_base(path);
	size_t stem = card_stem_len(base);
	char parent[CARD_NAME_MAX];
	long c;

	if ((c = card_clip_named(b, path, base, stem, with_dir)) >= 0)
		goto out;
	if (card_iends(base, stem, "_Proxy") &&
	    (c = card_clip_named(b, path, base, stem - 6, with_dir)) >= 0) {
		*proxy = true;
		goto out;
	}
	/* a file inside a clip folder (ARRIRAW, RED .RDC, Canon XF AA0001/) */
	card_parent(path, parent, sizeof(parent));
	if (parent[0] && !with_dir)
		c = card_clip_named(b, path, parent, card_stem_len(parent), false);
out:
	if (c >= 0 && (card_in_dir(path, "Sub") || card_in_dir(path, "Proxy") ||
	    card_in_dir(path, "Proxies")))
		*proxy = true;
	return c;
}

bool
card_essence_generic(const struct card_build *b, size_t i, bool late, struct card_piece *p)
{
	const char *path = b->info->files[i].path, *base = card_base(path);
	size_t stem = card_stem_len(base), dir = card_dir_len(path);

	(void)late;
	if (card_ext_class(path) == CARD_EXT_NONE || stem >= CARD_NAME_MAX)
		return false;
	snprintf(p->name, sizeof(p->name), "%.*s", (int)stem, base);
	snprintf(p->key, sizeof(p->key), "%.*s/%s", (int)dir, path, p->name);
	return true;
}

/* ---- the card's label ----------------------------------------------------------- */

void
card_set_label(struct card_build *b, const char *camera, size_t clen, const char *roll,
    size_t rlen)
{
	struct card_info *info = b->info;
	char cam[8];

	if (info->label[0] || clen == 0 || clen >= sizeof(cam) || rlen + clen >= sizeof(info->label))
		return;
	card_upper(cam, sizeof(cam), camera, clen);
	snprintf(info->label, sizeof(info->label), "%s%.*s", cam, (int)rlen, roll);
	cam[strcspn(cam, "_")] = '\0'; /* "A_" (ALEXA 35, Canon C80) is camera A */
	snprintf(info->camera, sizeof(info->camera), "%s", cam);
}

void
card_set_reel(struct card_build *b, const char *reel, size_t len)
{
	if (b->info->reel[0] == '\0' && len < sizeof(b->info->reel))
		card_upper(b->info->reel, sizeof(b->info->reel), reel, len);
}
