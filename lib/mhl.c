/* mhl: ASC MHL v2 histories: write a generation, read a history, verify a folder
 * (see mhl.h). */
#include "mhl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlwriter.h>

#define MHL_NS "urn:ASC:MHL:v2.0"
#define MHL_CHAIN_NS "urn:ASC:MHL:DIRECTORY:v2.0"
#define MHL_MAX_XML (1u << 30) /* libxml2 takes an int length */

const char *const mhl_default_ignore[] = { ".DS_Store", "ascmhl", "ascmhl/" };
const size_t mhl_default_nignore = 3;

/* Names that operating systems drop on removable media: never media, never
 * listed, never reported missing. */
static const char *const mhl_junk[] = {
	".DS_Store", ".Spotlight-V100", ".Trashes", ".fseventsd",
	"System Volume Information", MHL_DIR,
};

static const char *const mhl_action_names[] = { "", "original", "verified", "failed" };
static const char *const mhl_process_names[] = { "in-place", "transfer", "flatten" };

/* The reference tool's preference when choosing what to verify with. */
static const enum hash_algo mhl_verify_pref[] = {
	HASH_MD5, HASH_SHA1, HASH_XXH128, HASH_XXH3, HASH_XXH64, HASH_C4,
};

const char *
mhl_action_name(enum mhl_action action)
{
	return (unsigned)action < 4 ? mhl_action_names[action] : "";
}

const char *
mhl_process_name(enum mhl_process process)
{
	return (unsigned)process < 3 ? mhl_process_names[process] : "in-place";
}

/* --- small helpers ------------------------------------------------------ */

/* A non-negative decimal at the start of s (then anything), or -1. */
static int
mhl_leading_int(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || errno != 0 || v < 0 || v > INT_MAX)
		return -1;
	return (int)v;
}

/* Makes room for need elements; arrays grow by doubling. */
static int
mhl_grow(void *arrp, size_t *cap, size_t need, size_t elem)
{
	void **arr = arrp;
	size_t ncap = *cap ? *cap : 16;
	void *p;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	p = realloc(*arr, ncap * elem);
	if (p == NULL)
		return SP_ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

static char *
mhl_join(const char *a, const char *b)
{
	char *s = NULL;

	if (*a == '\0' || *b == '\0')
		return strdup(*a == '\0' ? b : a);
	if (asprintf(&s, "%s/%s", a, b) < 0)
		return NULL;
	return s;
}

static void
mhl_fmt_time(time_t t, char *out, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
}

/* xs:dateTime: 2020-01-16T09:15:00[.fff][Z|+hh:mm|-hh:mm]; no zone = UTC.
 * Returns 0 for anything else: dates are informative, the c4 chain is what
 * protects a manifest. */
static time_t
mhl_parse_time(const char *s)
{
	struct tm tm = { 0 };
	int n = 0, zh = 0, zm = 0;
	time_t t;

	if (s == NULL || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
				&tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm);
	s += n;
	if (*s == '.')
		s += 1 + strspn(s + 1, "0123456789");
	if ((*s == '+' || *s == '-') && sscanf(s + 1, "%2d:%2d", &zh, &zm) == 2)
		t -= (*s == '+' ? 1 : -1) * (time_t)(zh * 3600 + zm * 60);
	return t;
}

/* XML 1.0 cannot carry C0 controls (tab and newline aside), and names must be
 * UTF-8; paths refuse tab and newline too. */
static int
mhl_text_ok(const char *s, int is_path)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 && (is_path || (*p != '\t' && *p != '\n')))
			return 0;
	return xmlCheckUTF8((const xmlChar *)s) == 1;
}

/* A manifest path: relative, '/'-separated, no empty, "." or ".." component. */
static int
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

static int
mhl_is_junk(const char *name)
{
	if (strncmp(name, "._", 2) == 0)
		return 1;
	for (size_t i = 0; i < sizeof(mhl_junk) / sizeof(mhl_junk[0]); i++)
		if (strcmp(name, mhl_junk[i]) == 0)
			return 1;
	return 0;
}

/* gitignore-like, as far as manifests use it: "x/" matches directories only,
 * a pattern with another '/' matches the whole relative path, others the name. */
static int
mhl_pattern_match(const char *pat, const char *path, const char *name, int is_dir)
{
	size_t len = strlen(pat);
	char one[NAME_MAX + 1];

	if (len > 1 && pat[len - 1] == '/') {
		if (!is_dir || len > NAME_MAX)
			return 0;
		memcpy(one, pat, len - 1);
		one[len - 1] = '\0';
		return mhl_pattern_match(one, path, name, is_dir);
	}
	if (*pat == '/')
		pat++;
	if (strchr(pat, '/') != NULL)
		return fnmatch(pat, path, FNM_PATHNAME) == 0;
	return fnmatch(pat, name, 0) == 0;
}

struct mhl_patterns {
	const char *const *list[3];
	size_t n[3];
};

static int
mhl_ignored(const struct mhl_patterns *pats, const char *path, const char *name, int is_dir)
{
	if (mhl_is_junk(name))
		return 1;
	for (int l = 0; l < 3; l++)
		for (size_t i = 0; i < pats->n[l]; i++)
			if (mhl_pattern_match(pats->list[l][i], path, name, is_dir))
				return 1;
	return 0;
}

/* Whether any component of path (a file) is ignored. */
static int
mhl_path_ignored(const struct mhl_patterns *pats, const char *path)
{
	char buf[PATH_MAX], name[NAME_MAX + 1];
	size_t at = 0, len;

	if (strlen(path) >= sizeof(buf))
		return 0;
	for (;;) {
		len = strcspn(path + at, "/");
		if (len > NAME_MAX)
			return 0;
		memcpy(buf, path, at + len);
		buf[at + len] = '\0';
		memcpy(name, path + at, len);
		name[len] = '\0';
		if (mhl_ignored(pats, buf, name, path[at + len] == '/'))
			return 1;
		if (path[at + len] == '\0')
			return 0;
		at += len + 1;
	}
}

/* --- directory hashes --------------------------------------------------- */

void
mhl_dirhash_init(struct mhl_dirhash_ctx *ctx, enum hash_algo algo)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->algo = algo;
}

static int
mhl_dirhash_push(struct mhl_dirhash_ctx *ctx, const char *name,
		 const struct hash_value *content, const struct hash_value *link,
		 struct err *err)
{
	size_t want = hash_algo_rawlen(ctx->algo);
	struct hash_result res;
	struct hash_ctx h;
	size_t cap = ctx->cap;
	int rc;

	if (content->rawlen != want || link->rawlen != want)
		return err_set(err, SP_EINVAL, "directory hash: %s: not a %s value", name,
			       hash_algo_name(ctx->algo));
	if (mhl_grow(&ctx->content, &cap, ctx->n + 1, sizeof(*ctx->content)) < 0 ||
	    mhl_grow(&ctx->structure, &ctx->cap, ctx->n + 1, sizeof(*ctx->structure)) < 0)
		return err_set(err, SP_ENOMEM, "directory hash: out of memory");
	rc = hash_init(&h, HASH_BIT(ctx->algo), err);
	if (rc < 0)
		return rc;
	hash_update(&h, name, strlen(name));
	hash_update(&h, link->raw, link->rawlen);
	rc = hash_final(&h, &res, err);
	hash_release(&h);
	if (rc < 0)
		return rc;
	ctx->content[ctx->n] = *content;
	ctx->structure[ctx->n] = res.v[ctx->algo];
	ctx->n++;
	return 0;
}

int
mhl_dirhash_add_file(struct mhl_dirhash_ctx *ctx, const char *name,
		     const struct hash_value *content, struct err *err)
{
	return mhl_dirhash_push(ctx, name, content, content, err);
}

int
mhl_dirhash_add_dir(struct mhl_dirhash_ctx *ctx, const char *name,
		    const struct mhl_dirhash *child, struct err *err)
{
	return mhl_dirhash_push(ctx, name, &child->content, &child->structure, err);
}

static int
mhl_value_cmp(const void *a, const void *b)
{
	return strcmp(((const struct hash_value *)a)->str, ((const struct hash_value *)b)->str);
}

/* H(concatenation of the raw digests, sorted by their string form). */
static int
mhl_hash_of_list(enum hash_algo algo, struct hash_value *v, size_t n,
		 struct hash_value *out, struct err *err)
{
	struct hash_result res;
	struct hash_ctx h;
	int rc;

	if (n > 0)
		qsort(v, n, sizeof(*v), mhl_value_cmp);
	rc = hash_init(&h, HASH_BIT(algo), err);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n; i++)
		hash_update(&h, v[i].raw, v[i].rawlen);
	rc = hash_final(&h, &res, err);
	hash_release(&h);
	if (rc == 0)
		*out = res.v[algo];
	return rc;
}

int
mhl_dirhash_final(struct mhl_dirhash_ctx *ctx, struct mhl_dirhash *out, struct err *err)
{
	int rc = mhl_hash_of_list(ctx->algo, ctx->content, ctx->n, &out->content, err);

	if (rc == 0)
		rc = mhl_hash_of_list(ctx->algo, ctx->structure, ctx->n, &out->structure, err);
	return rc;
}

void
mhl_dirhash_release(struct mhl_dirhash_ctx *ctx)
{
	free(ctx->content);
	free(ctx->structure);
	mhl_dirhash_init(ctx, ctx->algo);
}

/* --- the tree of a generation ------------------------------------------ */

/* Entries arranged as folders, so that directory hashes can be computed bottom
 * up and the manifest lists a folder's hashes right after its contents. */
struct mhl_node {
	char *name;
	char *path;
	const struct mhl_entry *entry;  /* NULL for a folder only implied by paths */
	int is_dir;
	struct mhl_node *kids;
	size_t nkids, cap;
	struct mhl_dirhash dh;
};

static void
mhl_tree_free(struct mhl_node *n)
{
	for (size_t i = 0; i < n->nkids; i++)
		mhl_tree_free(&n->kids[i]);
	free(n->kids);
	free(n->name);
	free(n->path);
	memset(n, 0, sizeof(*n));
}

/* Orders paths component by component ('/' sorts before any other byte), so a
 * folder's descendants follow it contiguously and siblings come in byte order. */
static int
mhl_pathcmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		int ca = *a == '\0' ? 0 : *a == '/' ? 1 : (unsigned char)*a + 2;
		int cb = *b == '\0' ? 0 : *b == '/' ? 1 : (unsigned char)*b + 2;

		if (ca != cb || ca == 0)
			return ca - cb;
	}
}

static int
mhl_entry_ptr_cmp(const void *a, const void *b)
{
	const struct mhl_entry *ea = *(const struct mhl_entry *const *)a;
	const struct mhl_entry *eb = *(const struct mhl_entry *const *)b;

	return mhl_pathcmp(ea->path, eb->path);
}

static struct mhl_node *
mhl_node_add(struct mhl_node *parent, const char *path, size_t namelen, size_t pathlen,
	     int is_dir)
{
	struct mhl_node *n;

	if (mhl_grow(&parent->kids, &parent->cap, parent->nkids + 1, sizeof(*n)) < 0)
		return NULL;
	n = &parent->kids[parent->nkids];
	memset(n, 0, sizeof(*n));
	n->name = strndup(path + pathlen - namelen, namelen);
	n->path = strndup(path, pathlen);
	n->is_dir = is_dir;
	if (n->name == NULL || n->path == NULL) {
		mhl_tree_free(n);
		return NULL;
	}
	parent->nkids++;
	return n;
}

/* Inserts one entry; entries come sorted with mhl_pathcmp, so the node to
 * descend into is always the last child. */
static int
mhl_tree_insert(struct mhl_node *root, const struct mhl_entry *e, struct err *err)
{
	struct mhl_node *cur = root;
	size_t at = 0;

	for (;;) {
		size_t len = strcspn(e->path + at, "/");
		int last = e->path[at + len] == '\0';
		struct mhl_node *kid = cur->nkids ? &cur->kids[cur->nkids - 1] : NULL;
		int same = kid != NULL && strlen(kid->name) == len &&
			   memcmp(kid->name, e->path + at, len) == 0;

		if (same && (!kid->is_dir || (last && (!e->is_dir || kid->entry != NULL))))
			return err_set(err, SP_EINVAL, "entry %s: listed twice, or as both "
				       "file and folder", e->path);
		if (!same)
			kid = mhl_node_add(cur, e->path, len, at + len, last ? e->is_dir : 1);
		if (kid == NULL)
			return err_set(err, SP_ENOMEM, "entry %s: out of memory", e->path);
		if (last) {
			kid->entry = e;
			return 0;
		}
		cur = kid;
		at += len + 1;
	}
}

static int
mhl_tree_build(struct mhl_node *root, const struct mhl_entry *entries, size_t n,
	       struct err *err)
{
	const struct mhl_entry **sorted;
	int rc = 0;

	memset(root, 0, sizeof(*root));
	root->is_dir = 1;
	sorted = calloc(n ? n : 1, sizeof(*sorted));
	if (sorted == NULL)
		return err_set(err, SP_ENOMEM, "manifest: out of memory");
	for (size_t i = 0; i < n; i++)
		sorted[i] = &entries[i];
	qsort(sorted, n, sizeof(*sorted), mhl_entry_ptr_cmp);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = mhl_tree_insert(root, sorted[i], err);
	free(sorted);
	return rc;
}

static int
mhl_entry_value(const struct mhl_entry *e, enum hash_algo algo, struct hash_value *v,
		struct err *err)
{
	int rc;

	if (!(e->algos & HASH_BIT(algo)))
		return err_set(err, SP_EINVAL, "file %s: no %s hash for the directory hashes",
			       e->path, hash_algo_name(algo));
	rc = hash_value_parse(algo, e->h[algo].value, v, err);
	if (rc < 0)
		err_prefix(err, "file %s: ", e->path);
	return rc;
}

/* Post-order: children first, then this folder's content and structure. */
static int
mhl_tree_hash(struct mhl_node *n, enum hash_algo algo, struct err *err)
{
	struct mhl_dirhash_ctx ctx;
	struct hash_value v;
	int rc = 0;

	mhl_dirhash_init(&ctx, algo);
	for (size_t i = 0; i < n->nkids && rc == 0; i++) {
		struct mhl_node *k = &n->kids[i];

		if (k->is_dir) {
			rc = mhl_tree_hash(k, algo, err);
			if (rc == 0)
				rc = mhl_dirhash_add_dir(&ctx, k->name, &k->dh, err);
		} else {
			rc = mhl_entry_value(k->entry, algo, &v, err);
			if (rc == 0)
				rc = mhl_dirhash_add_file(&ctx, k->name, &v, err);
		}
	}
	if (rc == 0)
		rc = mhl_dirhash_final(&ctx, &n->dh, err);
	mhl_dirhash_release(&ctx);
	return rc;
}

/* --- XML output --------------------------------------------------------- */

/* xmlTextWriter calls are chained without a check each; the first failure is
 * remembered and the document is refused at the end. */
struct mhl_xw {
	xmlBufferPtr buf;
	xmlTextWriterPtr w;
	int bad;
};

static int
mhl_xw_open(struct mhl_xw *x, const char *root)
{
	memset(x, 0, sizeof(*x));
	x->buf = xmlBufferCreate();
	if (x->buf != NULL)
		x->w = xmlNewTextWriterMemory(x->buf, 0);
	if (x->w == NULL)
		return SP_ENOMEM;
	x->bad |= xmlTextWriterSetIndent(x->w, 1) < 0;
	x->bad |= xmlTextWriterSetIndentString(x->w, (const xmlChar *)"  ") < 0;
	x->bad |= xmlTextWriterStartDocument(x->w, NULL, "UTF-8", NULL) < 0;
	x->bad |= xmlTextWriterStartElement(x->w, (const xmlChar *)root) < 0;
	return 0;
}

static void
mhl_xw_start(struct mhl_xw *x, const char *name)
{
	x->bad |= xmlTextWriterStartElement(x->w, (const xmlChar *)name) < 0;
}

static void
mhl_xw_end(struct mhl_xw *x)
{
	x->bad |= xmlTextWriterEndElement(x->w) < 0;
}

static void
mhl_xw_attr(struct mhl_xw *x, const char *name, const char *value)
{
	if (value != NULL)
		x->bad |= xmlTextWriterWriteAttribute(x->w, (const xmlChar *)name,
						      (const xmlChar *)value) < 0;
}

static void
mhl_xw_text(struct mhl_xw *x, const char *text)
{
	x->bad |= xmlTextWriterWriteString(x->w, (const xmlChar *)text) < 0;
}

static void
mhl_xw_elem(struct mhl_xw *x, const char *name, const char *text)
{
	if (text == NULL)
		return;
	mhl_xw_start(x, name);
	mhl_xw_text(x, text);
	mhl_xw_end(x);
}

static void
mhl_xw_time_attr(struct mhl_xw *x, const char *name, time_t t)
{
	char date[40];

	if (t == 0)
		return;
	mhl_fmt_time(t, date, sizeof(date));
	mhl_xw_attr(x, name, date);
}

/* Ends the document and detaches the bytes; the buffer is the caller's. */
static int
mhl_xw_close(struct mhl_xw *x, xmlBufferPtr *out)
{
	int bad = x->bad;

	if (x->w != NULL) {
		bad |= xmlTextWriterEndDocument(x->w) < 0;
		xmlFreeTextWriter(x->w);
	}
	if (bad || x->buf == NULL) {
		xmlBufferFree(x->buf);
		return SP_EINTERNAL;
	}
	*out = x->buf;
	return 0;
}

static void
mhl_put_creator(struct mhl_xw *x, const struct mhl_generation *g)
{
	char date[40];

	mhl_fmt_time(g->created, date, sizeof(date));
	mhl_xw_start(x, "creatorinfo");
	mhl_xw_elem(x, "creationdate", date);
	mhl_xw_elem(x, "hostname", g->hostname);
	mhl_xw_start(x, "tool");
	mhl_xw_attr(x, "version", g->tool_version);
	mhl_xw_text(x, MHL_TOOL_NAME);
	mhl_xw_end(x);
	for (size_t i = 0; i < g->nauthors; i++) {
		mhl_xw_start(x, "author");
		mhl_xw_attr(x, "email", g->authors[i].email);
		mhl_xw_attr(x, "phone", g->authors[i].phone);
		mhl_xw_attr(x, "role", g->authors[i].role);
		mhl_xw_text(x, g->authors[i].name);
		mhl_xw_end(x);
	}
	mhl_xw_elem(x, "location", g->location);
	mhl_xw_elem(x, "comment", g->comment);
	mhl_xw_end(x);
}

static void
mhl_put_hashpair(struct mhl_xw *x, enum hash_algo algo, const struct mhl_dirhash *dh,
		 time_t date)
{
	mhl_xw_start(x, "content");
	mhl_xw_start(x, hash_algo_name(algo));
	mhl_xw_time_attr(x, "hashdate", date);
	mhl_xw_text(x, dh->content.str);
	mhl_xw_end(x);
	mhl_xw_end(x);
	mhl_xw_start(x, "structure");
	mhl_xw_start(x, hash_algo_name(algo));
	mhl_xw_time_attr(x, "hashdate", date);
	mhl_xw_text(x, dh->structure.str);
	mhl_xw_end(x);
	mhl_xw_end(x);
}

static void
mhl_put_process(struct mhl_xw *x, const struct mhl_generation *g, const struct mhl_node *root)
{
	const char *const *ign = g->ignore ? g->ignore : mhl_default_ignore;
	size_t nign = g->ignore ? g->nignore : mhl_default_nignore;

	mhl_xw_start(x, "processinfo");
	mhl_xw_elem(x, "process", mhl_process_name(g->process));
	if (g->dir_algo >= 0) {
		mhl_xw_start(x, "roothash");
		mhl_put_hashpair(x, (enum hash_algo)g->dir_algo, &root->dh, g->created);
		mhl_xw_end(x);
	}
	if (nign > 0) {
		mhl_xw_start(x, "ignore");
		for (size_t i = 0; i < nign; i++)
			mhl_xw_elem(x, "pattern", ign[i]);
		mhl_xw_end(x);
	}
	mhl_xw_end(x);
}

static void
mhl_put_file(struct mhl_xw *x, const struct mhl_entry *e)
{
	char size[24];

	snprintf(size, sizeof(size), "%lld", (long long)e->size);
	mhl_xw_start(x, "hash");
	mhl_xw_start(x, "path");
	mhl_xw_attr(x, "size", e->size >= 0 ? size : NULL);
	mhl_xw_time_attr(x, "lastmodificationdate", e->mtime);
	mhl_xw_text(x, e->path);
	mhl_xw_end(x);
	for (int a = 0; a < HASH_NALGOS; a++) {
		if (!(e->algos & HASH_BIT(a)))
			continue;
		mhl_xw_start(x, hash_algo_name((enum hash_algo)a));
		if (e->h[a].action != MHL_ACTION_NONE)
			mhl_xw_attr(x, "action", mhl_action_name(e->h[a].action));
		mhl_xw_time_attr(x, "hashdate", e->h[a].hashdate);
		mhl_xw_text(x, e->h[a].value);
		mhl_xw_end(x);
	}
	mhl_xw_end(x);
}

/* A folder's files and subfolders (each followed by its directoryhash). */
static void
mhl_put_tree(struct mhl_xw *x, const struct mhl_generation *g, const struct mhl_node *n)
{
	for (size_t i = 0; i < n->nkids; i++) {
		const struct mhl_node *k = &n->kids[i];

		if (!k->is_dir) {
			mhl_put_file(x, k->entry);
			continue;
		}
		mhl_put_tree(x, g, k);
		if (g->dir_algo < 0)
			continue;
		mhl_xw_start(x, "directoryhash");
		mhl_xw_start(x, "path");
		mhl_xw_time_attr(x, "lastmodificationdate", k->entry ? k->entry->mtime : 0);
		mhl_xw_text(x, k->path);
		mhl_xw_end(x);
		mhl_put_hashpair(x, (enum hash_algo)g->dir_algo, &k->dh, g->created);
		mhl_xw_end(x);
	}
}

static int
mhl_tree_has_listing(const struct mhl_node *n, int dirhashes)
{
	for (size_t i = 0; i < n->nkids; i++)
		if (!n->kids[i].is_dir || dirhashes || mhl_tree_has_listing(&n->kids[i], 0))
			return 1;
	return 0;
}

static int
mhl_render_manifest(const struct mhl_generation *g, const struct mhl_node *root,
		    xmlBufferPtr *out, struct err *err)
{
	struct mhl_xw x;

	if (mhl_xw_open(&x, "hashlist") < 0) {
		mhl_xw_close(&x, out);
		return err_set(err, SP_ENOMEM, "manifest: out of memory");
	}
	mhl_xw_attr(&x, "version", "2.0");
	mhl_xw_attr(&x, "xmlns", MHL_NS);
	mhl_put_creator(&x, g);
	mhl_put_process(&x, g, root);
	/* An empty <hashes> is not valid: omit it when nothing would be listed. */
	if (mhl_tree_has_listing(root, g->dir_algo >= 0)) {
		mhl_xw_start(&x, "hashes");
		mhl_put_tree(&x, g, root);
		mhl_xw_end(&x);
	}
	if (g->nrefs > 0) {
		mhl_xw_start(&x, "references");
		for (size_t i = 0; i < g->nrefs; i++) {
			mhl_xw_start(&x, "hashlistreference");
			mhl_xw_elem(&x, "path", g->refs[i].path);
			mhl_xw_elem(&x, "c4", g->refs[i].c4);
			mhl_xw_end(&x);
		}
		mhl_xw_end(&x);
	}
	if (mhl_xw_close(&x, out) < 0)
		return err_set(err, SP_EINTERNAL, "manifest: xml writer failed");
	return 0;
}

/* --- the chain file ----------------------------------------------------- */

struct mhl_chain {
	struct mhl_genrec *gens;
	size_t n, cap;
};

static void
mhl_genrec_release(struct mhl_genrec *g)
{
	free(g->file);
	free(g->hostname);
	free(g->tool);
	free(g->tool_version);
	memset(g, 0, sizeof(*g));
}

static void
mhl_chain_release(struct mhl_chain *c)
{
	for (size_t i = 0; i < c->n; i++)
		mhl_genrec_release(&c->gens[i]);
	free(c->gens);
	memset(c, 0, sizeof(*c));
}

static int
mhl_render_chain(const struct mhl_chain *c, xmlBufferPtr *out, struct err *err)
{
	struct mhl_xw x;
	char seq[16];

	if (mhl_xw_open(&x, "ascmhldirectory") < 0) {
		mhl_xw_close(&x, out);
		return err_set(err, SP_ENOMEM, "chain: out of memory");
	}
	mhl_xw_attr(&x, "xmlns", MHL_CHAIN_NS);
	for (size_t i = 0; i < c->n; i++) {
		snprintf(seq, sizeof(seq), "%d", c->gens[i].seq);
		mhl_xw_start(&x, "hashlist");
		mhl_xw_attr(&x, "sequencenr", seq);
		mhl_xw_elem(&x, "path", c->gens[i].file);
		mhl_xw_elem(&x, "c4", c->gens[i].c4);
		mhl_xw_end(&x);
	}
	if (mhl_xw_close(&x, out) < 0)
		return err_set(err, SP_EINTERNAL, "chain: xml writer failed");
	return 0;
}

/* --- XML input ---------------------------------------------------------- */

static int
mhl_is(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && xmlStrEqual(n->name, (const xmlChar *)name);
}

/* Element text, owned by the caller; surrounding blanks trimmed unless raw
 * (paths may legitimately start or end with a space). */
static char *
mhl_text(const xmlNode *n, int raw)
{
	xmlChar *c = xmlNodeGetContent(n);
	const char *s = c != NULL ? (const char *)c : "";
	size_t len;
	char *out;

	if (!raw)
		s += strspn(s, " \t\r\n");
	len = strlen(s);
	while (!raw && len > 0 && strchr(" \t\r\n", s[len - 1]) != NULL)
		len--;
	out = strndup(s, len);
	xmlFree(c);
	return out;
}

static char *
mhl_attr(const xmlNode *n, const char *name)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
	char *out = v != NULL ? strdup((const char *)v) : NULL;

	xmlFree(v);
	return out;
}

static time_t
mhl_attr_time(const xmlNode *n, const char *name)
{
	char *v = mhl_attr(n, name);
	time_t t = mhl_parse_time(v);

	free(v);
	return t;
}

/* Parses XML without network access, entity expansion or printing; the root
 * element must be `root` in namespace ns (or in none). */
static int
mhl_xml_read(const char *data, size_t len, const char *label, const char *root,
	     const char *ns, xmlDocPtr *doc, struct err *err)
{
	xmlParserCtxtPtr ctx;
	const xmlNode *top;

	if (len > MHL_MAX_XML)
		return err_set(err, SP_ETOOBIG, "%s: too large", label);
	ctx = xmlNewParserCtxt();
	if (ctx == NULL)
		return err_set(err, SP_ENOMEM, "%s: out of memory", label);
	*doc = xmlCtxtReadMemory(ctx, data, (int)len, label, NULL,
				 XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (*doc == NULL) {
		const xmlError *e = xmlCtxtGetLastError(ctx);

		err_set(err, SP_EINVAL, "%s: not well-formed xml (line %d: %.200s)", label,
			e ? e->line : 0, e && e->message ? e->message : "?");
		xmlFreeParserCtxt(ctx);
		return SP_EINVAL;
	}
	xmlFreeParserCtxt(ctx);
	top = xmlDocGetRootElement(*doc);
	if (top == NULL || !mhl_is(top, root) ||
	    (top->ns != NULL && !xmlStrEqual(top->ns->href, (const xmlChar *)ns))) {
		xmlFreeDoc(*doc);
		*doc = NULL;
		return err_set(err, SP_EUNSUPPORTED, "%s: not an <%s> of %s", label, root, ns);
	}
	return 0;
}

static int
mhl_chain_add(struct mhl_chain *c, const xmlNode *hl, const char *label, struct err *err)
{
	struct mhl_genrec *g;
	struct hash_value v;
	char *seq, *c4 = NULL;

	if (mhl_grow(&c->gens, &c->cap, c->n + 1, sizeof(*c->gens)) < 0)
		return err_set(err, SP_ENOMEM, "%s: out of memory", label);
	g = &c->gens[c->n];
	memset(g, 0, sizeof(*g));
	seq = mhl_attr(hl, "sequencenr");
	g->seq = seq != NULL ? mhl_leading_int(seq) : (int)c->n + 1;
	free(seq);
	for (const xmlNode *k = hl->children; k != NULL; k = k->next) {
		if (mhl_is(k, "path") && g->file == NULL)
			g->file = mhl_text(k, 0);
		else if (mhl_is(k, "c4") && c4 == NULL)
			c4 = mhl_text(k, 0);
	}
	c->n++;
	if (g->seq < 0 || g->file == NULL || c4 == NULL || strchr(g->file, '/') != NULL ||
	    g->file[0] == '.' || g->file[0] == '\0' || hash_value_parse(HASH_C4, c4, &v, NULL) < 0) {
		free(c4);
		return err_set(err, SP_EINVAL, "%s: entry %d: bad path or c4", label, g->seq);
	}
	memcpy(g->c4, v.str, sizeof(g->c4));
	free(c4);
	return 0;
}

static int
mhl_chain_parse(const char *data, size_t len, const char *label, struct mhl_chain *c,
		struct err *err)
{
	xmlDocPtr doc;
	int rc;

	rc = mhl_xml_read(data, len, label, "ascmhldirectory", MHL_CHAIN_NS, &doc, err);
	if (rc < 0)
		return rc;
	for (const xmlNode *n = xmlDocGetRootElement(doc)->children; n && rc == 0; n = n->next)
		if (mhl_is(n, "hashlist"))
			rc = mhl_chain_add(c, n, label, err);
	for (size_t i = 0; i < c->n && rc == 0; i++)
		for (size_t j = 0; j < i && rc == 0; j++)
			if (c->gens[i].seq == c->gens[j].seq)
				rc = err_set(err, SP_EINVAL, "%s: generation %d listed twice",
					     label, c->gens[i].seq);
	xmlFreeDoc(doc);
	return rc;
}

/* --- files -------------------------------------------------------------- */

static int
mhl_read_at(int dfd, const char *name, const char *label, char **data, size_t *len,
	    struct err *err)
{
	struct stat st;
	size_t got = 0;
	int fd, rc = 0;

	*data = NULL;
	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return err_errno(err, err_from_errno(errno), errno, "%s", label);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > MHL_MAX_XML) {
		rc = err_set(err, SP_EINVAL, "%s: not a readable file of sane size", label);
		goto out;
	}
	*data = malloc((size_t)st.st_size + 1);
	if (*data == NULL) {
		rc = err_set(err, SP_ENOMEM, "%s: out of memory", label);
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, *data + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = err_errno(err, SP_EIO, n < 0 ? errno : EIO, "%s: read", label);
			goto out;
		}
		got += (size_t)n;
	}
	(*data)[got] = '\0';
	*len = got;
out:
	if (rc < 0) {
		free(*data);
		*data = NULL;
	}
	close(fd);
	return rc;
}

static int
mhl_write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Gives tmp the name `name` unless that exists. renameat2(RENAME_NOREPLACE)
 * works on ext4, xfs, btrfs, exfat, vfat and ntfs3; where the file system or
 * kernel refuses the flag, a hard link does the same; where links are not
 * supported either (some FUSE mounts), a check then rename is still safe
 * because every setpost writer holds the ascmhl/ lock. */
static int
mhl_place_new(int dfd, const char *tmp, const char *name)
{
	if (renameat2(dfd, tmp, dfd, name, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
		return -1;
	if (linkat(dfd, tmp, dfd, name, 0) == 0)
		return unlinkat(dfd, tmp, 0), 0;
	if (errno != EPERM && errno != ENOTSUP && errno != ENOSYS)
		return -1;
	if (faccessat(dfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		errno = EEXIST;
		return -1;
	}
	return renameat(dfd, tmp, dfd, name);
}

/* Writes name in dfd through a temporary file that is fsynced before it takes
 * the name, so a crash leaves either the old state or the whole new file.
 * exclusive: never replace (manifests); else replace atomically (the chain). */
static int
mhl_write_atomic(int dfd, const char *name, const char *data, size_t len, int exclusive,
		 struct err *err)
{
	char tmp[NAME_MAX + 1];
	int fd, rc = 0, e;

	if ((size_t)snprintf(tmp, sizeof(tmp), ".%.200s.tmp", name) >= sizeof(tmp))
		return err_set(err, SP_EINVAL, "ascmhl/%s: name too long", name);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return err_errno(err, err_from_errno(errno), errno, "ascmhl/%s: create", tmp);
	if (mhl_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		e = errno;
		rc = err_errno(err, err_from_errno(e), e, "ascmhl/%s: write", tmp);
	}
	if (close(fd) < 0 && rc == 0)
		rc = err_errno(err, SP_EIO, errno, "ascmhl/%s: close", tmp);
	if (rc == 0 && exclusive && mhl_place_new(dfd, tmp, name) < 0)
		rc = err_errno(err, errno == EEXIST ? SP_ECONFLICT : err_from_errno(errno),
			       errno, "ascmhl/%s", name);
	if (rc == 0 && !exclusive && renameat(dfd, tmp, dfd, name) < 0)
		rc = err_errno(err, err_from_errno(errno), errno, "ascmhl/%s: rename", name);
	if (rc < 0)
		unlinkat(dfd, tmp, 0);
	/* Makes the new name durable; some file systems cannot sync a directory. */
	if (rc == 0 && fsync(dfd) < 0 && errno != EINVAL)
		rc = err_errno(err, SP_EIO, errno, "ascmhl/: fsync");
	return rc;
}

static int
mhl_c4_of(const char *data, size_t len, char *out, struct err *err)
{
	struct hash_result res;
	int rc = hash_buf(data, len, HASH_BIT(HASH_C4), &res, err);

	if (rc == 0)
		memcpy(out, res.v[HASH_C4].str, HASH_STR_MAX);
	return rc;
}

/* --- writing a generation ----------------------------------------------- */

static int
mhl_check_entry(const struct mhl_entry *e, struct err *err)
{
	if (e->path == NULL || !mhl_path_ok(e->path))
		return err_set(err, SP_EINVAL, "entry \"%.200s\": not a relative UTF-8 path",
			       e->path ? e->path : "(null)");
	if (e->is_dir)
		return 0;
	if (e->algos == 0 || (e->algos & ~HASH_ALL) != 0)
		return err_set(err, SP_EINVAL, "file %s: no hash", e->path);
	for (int a = 0; a < HASH_NALGOS; a++) {
		struct hash_value v;

		if (!(e->algos & HASH_BIT(a)))
			continue;
		if (hash_value_parse((enum hash_algo)a, e->h[a].value, &v, NULL) < 0 ||
		    (unsigned)e->h[a].action > MHL_ACTION_FAILED)
			return err_set(err, SP_EINVAL, "file %s: bad %s value or action", e->path,
				       hash_algo_name((enum hash_algo)a));
	}
	return 0;
}

/* The XSD's e-mail pattern: [^@]+@[^.]+\..+ */
static int
mhl_email_ok(const char *s)
{
	const char *at = strchr(s, '@');

	return at != NULL && at != s && strchr(at + 1, '@') == NULL && at[1] != '.' &&
	       strchr(at + 1, '.') != NULL && strchr(at + 1, '.')[1] != '\0';
}

static int
mhl_check_strings(const struct mhl_generation *g, struct err *err)
{
	const char *s[] = { g->hostname, g->tool_version, g->location, g->comment };

	if (g->hostname == NULL || g->tool_version == NULL)
		return err_set(err, SP_EINVAL, "generation: hostname and tool version needed");
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		if (s[i] != NULL && !mhl_text_ok(s[i], 0))
			return err_set(err, SP_EINVAL, "generation: text is not UTF-8: %.100s", s[i]);
	for (size_t i = 0; i < g->nauthors; i++) {
		const struct mhl_author *a = &g->authors[i];

		if (a->name == NULL || !mhl_text_ok(a->name, 0) ||
		    (a->phone && !mhl_text_ok(a->phone, 0)) || (a->role && !mhl_text_ok(a->role, 0)) ||
		    (a->email && (!mhl_text_ok(a->email, 0) || !mhl_email_ok(a->email))))
			return err_set(err, SP_EINVAL, "author %zu: bad name, e-mail, phone or role", i + 1);
	}
	for (size_t i = 0; g->ignore && i < g->nignore; i++)
		if (!mhl_text_ok(g->ignore[i], 1))
			return err_set(err, SP_EINVAL, "ignore pattern %zu: not UTF-8", i + 1);
	return 0;
}

static int
mhl_check_generation(const struct mhl_generation *g, struct err *err)
{
	int rc = mhl_check_strings(g, err);

	if (rc < 0)
		return rc;
	if (g->dir_algo >= HASH_NALGOS || g->dir_algo < MHL_NO_DIRHASH || (unsigned)g->process > 2)
		return err_set(err, SP_EINVAL, "generation: bad directory hash or process");
	for (size_t i = 0; i < g->nentries && rc == 0; i++)
		rc = mhl_check_entry(&g->entries[i], err);
	for (size_t i = 0; i < g->nrefs && rc == 0; i++)
		if (g->refs[i].path == NULL || g->refs[i].c4 == NULL || !mhl_path_ok(g->refs[i].path) ||
		    hash_value_parse(HASH_C4, g->refs[i].c4, &(struct hash_value){ 0 }, NULL) < 0)
			rc = err_set(err, SP_EINVAL, "reference %zu: bad path or c4", i + 1);
	return rc;
}

/* Opens root/ascmhl (creating it) and takes the writers' lock on it. */
static int
mhl_open_locked(const char *root, int *dfd, struct err *err)
{
	char *dir = mhl_join(root, MHL_DIR);
	int rc = 0;

	if (dir == NULL)
		return err_set(err, SP_ENOMEM, "%s: out of memory", root);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		rc = err_errno(err, err_from_errno(errno), errno, "%s: mkdir", dir);
	else if ((*dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		rc = err_errno(err, err_from_errno(errno), errno, "%s: open", dir);
	else if (flock(*dfd, LOCK_EX) < 0)
		rc = err_errno(err, SP_EIO, errno, "%s: lock", dir);
	free(dir);
	return rc;
}

/* Reads ascmhl_chain.xml from dfd (the ascmhl/ folder named dirlabel); a
 * missing chain is an empty one. */
static int
mhl_chain_load(int dfd, const char *dirlabel, struct mhl_chain *c, int *present,
	       struct err *err)
{
	char *data = NULL, *label = NULL;
	size_t len = 0;
	int rc;

	*present = 0;
	if (asprintf(&label, "%s/%s", dirlabel, MHL_CHAIN) < 0)
		return err_set(err, SP_ENOMEM, "%s: out of memory", dirlabel);
	rc = mhl_read_at(dfd, MHL_CHAIN, label, &data, &len, err);
	if (rc == SP_ENOTFOUND) {
		err_clear(err);
		rc = 0;
	} else if (rc == 0) {
		*present = 1;
		rc = mhl_chain_parse(data, len, label, c, err);
	}
	free(data);
	free(label);
	return rc;
}

/* Highest generation number among the chain and NNNN_*.mhl files (a manifest
 * left out of the chain by a crash still holds its number). */
static int
mhl_last_seq(int dfd, const struct mhl_chain *c, int *mhls)
{
	int top = 0, fd = dup(dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	*mhls = 0;
	for (size_t i = 0; i < c->n; i++)
		if (c->gens[i].seq > top)
			top = c->gens[i].seq;
	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return top;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		int seq = mhl_leading_int(de->d_name);

		if (len > 4 && strcmp(de->d_name + len - 4, ".mhl") == 0 &&
		    strspn(de->d_name, "0123456789") >= 4 && de->d_name[0] != '.') {
			(*mhls)++;
			top = seq > top ? seq : top;
		}
	}
	closedir(d);
	return top;
}

static int
mhl_manifest_name(const char *root, int seq, time_t created, char *out, size_t len,
		  struct err *err)
{
	char *real = realpath(root, NULL), stamp[32];
	const char *base;
	struct tm tm;
	int n;

	if (real == NULL)
		return err_errno(err, err_from_errno(errno), errno, "%s", root);
	base = strrchr(real, '/') ? strrchr(real, '/') + 1 : real;
	gmtime_r(&created, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%d_%H%M%SZ", &tm);
	n = snprintf(out, len, "%04d_%s_%s.mhl", seq, *base ? base : "root", stamp);
	free(real);
	if (n < 0 || (size_t)n >= len || (size_t)n > NAME_MAX)
		return err_set(err, SP_EINVAL, "%s: folder name too long for a manifest name", root);
	return 0;
}

static int
mhl_chain_append(struct mhl_chain *c, int seq, const char *file, const char *c4,
		 struct err *err)
{
	struct mhl_genrec *g;

	if (mhl_grow(&c->gens, &c->cap, c->n + 1, sizeof(*c->gens)) < 0)
		return err_set(err, SP_ENOMEM, "chain: out of memory");
	g = &c->gens[c->n];
	memset(g, 0, sizeof(*g));
	g->seq = seq;
	g->file = strdup(file);
	memcpy(g->c4, c4, HASH_STR_MAX);
	c->n++;
	return g->file != NULL ? 0 : err_set(err, SP_ENOMEM, "chain: out of memory");
}

/* Under the lock: number the manifest, write it, then the chain. */
static int
mhl_commit(const char *root, int dfd, const struct mhl_generation *g,
	   const struct mhl_node *tree, struct mhl_written *out, struct err *err)
{
	struct mhl_chain chain = { 0 };
	xmlBufferPtr mbuf = NULL, cbuf = NULL;
	char *label = NULL;
	int rc, present, mhls, seq;

	if (asprintf(&label, "%s/%s", root, MHL_DIR) < 0) {
		label = NULL;
		rc = err_set(err, SP_ENOMEM, "%s: out of memory", root);
		goto out;
	}
	rc = mhl_chain_load(dfd, label, &chain, &present, err);
	if (rc < 0)
		goto out;
	seq = mhl_last_seq(dfd, &chain, &mhls) + 1;
	rc = mhl_manifest_name(root, seq, g->created, out->manifest, sizeof(out->manifest), err);
	if (rc == 0)
		rc = mhl_render_manifest(g, tree, &mbuf, err);
	if (rc == 0)
		rc = mhl_c4_of((const char *)xmlBufferContent(mbuf), (size_t)xmlBufferLength(mbuf),
			       out->c4, err);
	if (rc == 0)
		rc = mhl_write_atomic(dfd, out->manifest, (const char *)xmlBufferContent(mbuf),
				      (size_t)xmlBufferLength(mbuf), 1, err);
	if (rc == 0)
		rc = mhl_chain_append(&chain, seq, out->manifest, out->c4, err);
	if (rc == 0)
		rc = mhl_render_chain(&chain, &cbuf, err);
	if (rc == 0)
		rc = mhl_write_atomic(dfd, MHL_CHAIN, (const char *)xmlBufferContent(cbuf),
				      (size_t)xmlBufferLength(cbuf), 0, err);
	if (rc == 0)
		out->generation = seq;
out:
	xmlBufferFree(mbuf);
	xmlBufferFree(cbuf);
	mhl_chain_release(&chain);
	free(label);
	return rc;
}

int
mhl_write_generation(const char *root, const struct mhl_generation *gen,
		     struct mhl_written *out, struct err *err)
{
	struct mhl_written local;
	struct mhl_node tree;
	int rc, dfd = -1;

	if (out == NULL)
		out = &local;
	memset(out, 0, sizeof(*out));
	xmlInitParser();
	rc = mhl_check_generation(gen, err);
	if (rc < 0)
		return rc;
	rc = mhl_tree_build(&tree, gen->entries, gen->nentries, err);
	if (rc == 0 && gen->dir_algo >= 0)
		rc = mhl_tree_hash(&tree, (enum hash_algo)gen->dir_algo, err);
	if (rc == 0)
		rc = mhl_open_locked(root, &dfd, err);
	if (rc == 0)
		rc = mhl_commit(root, dfd, gen, &tree, out, err);
	if (rc == 0 && gen->dir_algo >= 0) {
		out->has_roothash = 1;
		out->roothash = tree.dh;
	}
	if (dfd >= 0)
		close(dfd); /* releases the lock */
	mhl_tree_free(&tree);
	return rc;
}

/* --- reading manifests -------------------------------------------------- */

struct mhl_manifest {
	time_t created;
	char *hostname, *tool, *tool_version;
	enum mhl_process process;
	struct mhl_entry *files;
	size_t nfiles, cap, ndirs;
	char **refpath;
	char (*refc4)[HASH_STR_MAX];
	size_t nrefs, refcap, refcap2;
	char **ignore;
	size_t nignore, igncap;
};

static void
mhl_entries_free(struct mhl_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].path);
	free(v);
}

static void
mhl_manifest_release(struct mhl_manifest *m)
{
	free(m->hostname);
	free(m->tool);
	free(m->tool_version);
	mhl_entries_free(m->files, m->nfiles);
	for (size_t i = 0; i < m->nrefs; i++)
		free(m->refpath[i]);
	free(m->refpath);
	free(m->refc4);
	for (size_t i = 0; i < m->nignore; i++)
		free(m->ignore[i]);
	free(m->ignore);
	memset(m, 0, sizeof(*m));
}

static void
mhl_read_creator(struct mhl_manifest *m, const xmlNode *ci)
{
	for (const xmlNode *k = ci->children; k != NULL; k = k->next) {
		char *t;

		if (mhl_is(k, "creationdate")) {
			t = mhl_text(k, 0);
			m->created = mhl_parse_time(t);
			free(t);
		} else if (mhl_is(k, "hostname") && m->hostname == NULL) {
			m->hostname = mhl_text(k, 0);
		} else if (mhl_is(k, "tool") && m->tool == NULL) {
			m->tool = mhl_text(k, 0);
			m->tool_version = mhl_attr(k, "version");
		}
	}
}

static int
mhl_read_process(struct mhl_manifest *m, const xmlNode *pi)
{
	for (const xmlNode *k = pi->children; k != NULL; k = k->next) {
		if (mhl_is(k, "process")) {
			char *t = mhl_text(k, 0);

			for (int p = 0; t != NULL && p < 3; p++)
				if (strcmp(t, mhl_process_names[p]) == 0)
					m->process = (enum mhl_process)p;
			free(t);
		}
		if (!mhl_is(k, "ignore"))
			continue;
		for (const xmlNode *p = k->children; p != NULL; p = p->next) {
			if (!mhl_is(p, "pattern"))
				continue;
			if (mhl_grow(&m->ignore, &m->igncap, m->nignore + 1, sizeof(char *)) < 0)
				return SP_ENOMEM;
			m->ignore[m->nignore] = mhl_text(p, 0);
			if (m->ignore[m->nignore++] == NULL)
				return SP_ENOMEM;
		}
	}
	return 0;
}

static int
mhl_read_path(struct mhl_entry *e, const xmlNode *p, const char *label, struct err *err)
{
	char *size = mhl_attr(p, "size"), *end = NULL;
	int rc = 0;

	e->path = mhl_text(p, 1);
	if (e->path != NULL && strncmp(e->path, "./", 2) == 0)
		memmove(e->path, e->path + 2, strlen(e->path + 2) + 1);
	e->mtime = mhl_attr_time(p, "lastmodificationdate");
	if (size != NULL) {
		errno = 0;
		e->size = strtoll(size, &end, 10);
		if (errno != 0 || end == size || *end != '\0' || e->size < 0)
			rc = err_set(err, SP_EINVAL, "%s: path %.200s: bad size \"%.40s\"", label,
				     e->path ? e->path : "?", size);
	}
	free(size);
	if (rc == 0 && (e->path == NULL || !mhl_path_ok(e->path)))
		rc = err_set(err, SP_EINVAL, "%s: path \"%.200s\": not a relative path", label,
			     e->path ? e->path : "?");
	return rc;
}

static int
mhl_read_hashval(struct mhl_entry *e, const xmlNode *k, int algo, const char *label,
		 struct err *err)
{
	struct hash_value v;
	char *text = mhl_text(k, 0), *action = mhl_attr(k, "action");
	int rc;

	rc = hash_value_parse((enum hash_algo)algo, text ? text : "", &v, err);
	if (rc < 0)
		err_prefix(err, "%s: path %.200s: ", label, e->path);
	for (int a = 1; rc == 0 && action != NULL && a < 4; a++)
		if (strcmp(action, mhl_action_names[a]) == 0)
			e->h[algo].action = (enum mhl_action)a;
	if (rc == 0) {
		memcpy(e->h[algo].value, v.str, HASH_STR_MAX);
		e->h[algo].hashdate = mhl_attr_time(k, "hashdate");
		e->algos |= HASH_BIT(algo);
	}
	free(text);
	free(action);
	return rc;
}

/* One <hash>: a path and any number of hash elements; unknown elements
 * (xxh32, previousPath, metadata, extensions) are skipped. */
static int
mhl_read_hash(struct mhl_manifest *m, const xmlNode *h, const char *label, struct err *err)
{
	struct mhl_entry *e;
	int rc = 0, algo;

	if (mhl_grow(&m->files, &m->cap, m->nfiles + 1, sizeof(*m->files)) < 0)
		return err_set(err, SP_ENOMEM, "%s: out of memory", label);
	e = &m->files[m->nfiles++];
	memset(e, 0, sizeof(*e));
	e->size = -1;
	for (const xmlNode *k = h->children; k != NULL && rc == 0; k = k->next)
		if (mhl_is(k, "path") && e->path == NULL)
			rc = mhl_read_path(e, k, label, err);
	if (rc == 0 && e->path == NULL)
		rc = err_set(err, SP_EINVAL, "%s: a <hash> without <path>", label);
	for (const xmlNode *k = h->children; k != NULL && rc == 0; k = k->next)
		if (k->type == XML_ELEMENT_NODE &&
		    (algo = hash_algo_from_name((const char *)k->name)) >= 0)
			rc = mhl_read_hashval(e, k, algo, label, err);
	return rc;
}

static int
mhl_read_refs(struct mhl_manifest *m, const xmlNode *refs, const char *label, struct err *err)
{
	for (const xmlNode *r = refs->children; r != NULL; r = r->next) {
		char *path = NULL, *c4 = NULL;
		struct hash_value v;

		if (!mhl_is(r, "hashlistreference"))
			continue;
		for (const xmlNode *k = r->children; k != NULL; k = k->next) {
			if (mhl_is(k, "path") && path == NULL)
				path = mhl_text(k, 1);
			else if (mhl_is(k, "c4") && c4 == NULL)
				c4 = mhl_text(k, 0);
		}
		if (path == NULL || c4 == NULL || !mhl_path_ok(path) ||
		    hash_value_parse(HASH_C4, c4, &v, NULL) < 0 ||
		    mhl_grow(&m->refpath, &m->refcap, m->nrefs + 1, sizeof(char *)) < 0 ||
		    mhl_grow(&m->refc4, &m->refcap2, m->nrefs + 1, sizeof(*m->refc4)) < 0) {
			free(path);
			free(c4);
			return err_set(err, SP_EINVAL, "%s: bad hashlistreference", label);
		}
		m->refpath[m->nrefs] = path;
		memcpy(m->refc4[m->nrefs++], v.str, HASH_STR_MAX);
		free(c4);
	}
	return 0;
}

static int
mhl_read_hashes(struct mhl_manifest *m, const xmlNode *hs, const char *label, struct err *err)
{
	int rc = 0;

	for (const xmlNode *k = hs->children; k != NULL && rc == 0; k = k->next) {
		if (mhl_is(k, "hash"))
			rc = mhl_read_hash(m, k, label, err);
		else if (mhl_is(k, "directoryhash"))
			m->ndirs++;
	}
	return rc;
}

static int
mhl_manifest_parse(const char *data, size_t len, const char *label, struct mhl_manifest *m,
		   struct err *err)
{
	const xmlNode *top;
	xmlDocPtr doc;
	int rc;

	memset(m, 0, sizeof(*m));
	rc = mhl_xml_read(data, len, label, "hashlist", MHL_NS, &doc, err);
	if (rc < 0)
		return rc;
	top = xmlDocGetRootElement(doc);
	for (const xmlNode *n = top->children; n != NULL && rc == 0; n = n->next) {
		if (mhl_is(n, "creatorinfo"))
			mhl_read_creator(m, n);
		else if (mhl_is(n, "processinfo") && mhl_read_process(m, n) < 0)
			rc = err_set(err, SP_ENOMEM, "%s: out of memory", label);
		else if (mhl_is(n, "hashes"))
			rc = mhl_read_hashes(m, n, label, err);
		else if (mhl_is(n, "references"))
			rc = mhl_read_refs(m, n, label, err);
	}
	xmlFreeDoc(doc);
	if (rc < 0)
		mhl_manifest_release(m);
	return rc;
}

/* --- the latest known hashes -------------------------------------------- */

static int
mhl_entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct mhl_entry *)a)->path, ((const struct mhl_entry *)b)->path);
}

/* Folds a listing from a generation created at `when` into the known entry:
 * newer values replace older ones per algorithm, a failed value never
 * replaces anything. */
static void
mhl_known_update(struct mhl_entry *k, const struct mhl_entry *e, time_t when, int seq)
{
	int newer = when >= k->listed, took = 0;

	for (int a = 0; a < HASH_NALGOS; a++) {
		if (!(e->algos & HASH_BIT(a)) || e->h[a].action == MHL_ACTION_FAILED)
			continue;
		if (newer || !(k->algos & HASH_BIT(a))) {
			k->h[a] = e->h[a];
			k->algos |= HASH_BIT(a);
			took = 1;
		}
	}
	if (took && newer) {
		k->size = e->size >= 0 ? e->size : k->size;
		k->mtime = e->mtime ? e->mtime : k->mtime;
		k->generation = seq;
		k->listed = when;
	}
}

/* Appends a fresh known entry for e (which gives up its path). */
static int
mhl_known_push(struct mhl_entry *out, size_t *n, struct mhl_entry *e, time_t when, int seq)
{
	struct mhl_entry *k = &out[(*n)++];

	memset(k, 0, sizeof(*k));
	k->path = e->path;
	e->path = NULL;
	k->size = -1;
	k->listed = when;
	k->generation = seq;
	mhl_known_update(k, e, when, seq);
	if (k->algos == 0) { /* only failed values: nothing known yet */
		k->size = e->size;
		k->mtime = e->mtime;
	}
	return 0;
}

/* Merges the sorted entries of one generation into the sorted known map. */
static int
mhl_known_merge(struct mhl_history *h, struct mhl_entry *gen, size_t ng, time_t when,
		int seq)
{
	struct mhl_entry *out = calloc(h->nfiles + ng + 1, sizeof(*out));
	size_t i = 0, j = 0, n = 0;

	if (out == NULL)
		return SP_ENOMEM;
	while (i < h->nfiles || j < ng) {
		int c = i == h->nfiles ? 1 : j == ng ? -1 : strcmp(h->files[i].path, gen[j].path);

		if (c <= 0) {
			out[n++] = h->files[i++];
		} else if (n > 0 && strcmp(out[n - 1].path, gen[j].path) == 0) {
			mhl_known_update(&out[n - 1], &gen[j++], when, seq);
		} else {
			mhl_known_push(out, &n, &gen[j++], when, seq);
		}
		/* a known path equal to the next listing: update in place */
		while (j < ng && n > 0 && strcmp(out[n - 1].path, gen[j].path) == 0)
			mhl_known_update(&out[n - 1], &gen[j++], when, seq);
	}
	free(h->files);
	h->files = out;
	h->nfiles = n;
	return 0;
}

/* Prefixes the manifest's paths with the nested history's folder. */
static int
mhl_prefix_paths(struct mhl_entry *v, size_t n, const char *prefix)
{
	for (size_t i = 0; *prefix != '\0' && i < n; i++) {
		char *p = mhl_join(prefix, v[i].path);

		if (p == NULL)
			return SP_ENOMEM;
		free(v[i].path);
		v[i].path = p;
	}
	return 0;
}

static int
mhl_take_ignore(struct mhl_history *h, struct mhl_manifest *m)
{
	for (size_t i = 0; i < h->nignore; i++)
		free(h->ignore[i]);
	free(h->ignore);
	h->ignore = m->ignore;
	h->nignore = m->nignore;
	m->ignore = NULL;
	m->nignore = 0;
	return 0;
}

/* --- loading a history -------------------------------------------------- */

/* Checks that each manifest referenced still has the c4 recorded. */
static int
mhl_check_refs(const struct mhl_manifest *m, int rootfd, const char *label, struct err *err)
{
	for (size_t i = 0; i < m->nrefs; i++) {
		char *data, c4[HASH_STR_MAX];
		size_t len;
		int rc = mhl_read_at(rootfd, m->refpath[i], m->refpath[i], &data, &len, err);

		if (rc < 0) {
			err_prefix(err, "%s: reference: ", label);
			return rc;
		}
		rc = mhl_c4_of(data, len, c4, err);
		free(data);
		if (rc == 0 && strcmp(c4, m->refc4[i]) != 0)
			rc = err_set(err, SP_EMISMATCH, "%s: referenced manifest %s: c4 mismatch "
				     "(tampered or replaced)", label, m->refpath[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

struct mhl_loadctx {
	struct mhl_history *h;
	const char *prefix;
	int rootfd;     /* the nested history's root folder */
	int dfd;        /* its ascmhl/ */
};

static int
mhl_load_gen(struct mhl_loadctx *lc, struct mhl_genrec *g, char *label, struct err *err)
{
	struct mhl_manifest m = { 0 };
	char *data, c4[HASH_STR_MAX];
	size_t len;
	int rc;

	rc = mhl_read_at(lc->dfd, g->file, label, &data, &len, err);
	if (rc < 0)
		return rc;
	rc = mhl_c4_of(data, len, c4, err);
	if (rc == 0 && strcmp(c4, g->c4) != 0)
		rc = err_set(err, SP_EMISMATCH, "%s: c4 does not match %s (tampered or "
			     "replaced)", label, MHL_CHAIN);
	if (rc == 0)
		rc = mhl_manifest_parse(data, len, label, &m, err);
	free(data);
	if (rc < 0)
		return rc;
	rc = mhl_check_refs(&m, lc->rootfd, label, err);
	g->created = m.created;
	g->process = m.process;
	g->nfiles = m.nfiles;
	g->ndirs = m.ndirs;
	g->hostname = m.hostname, m.hostname = NULL;
	g->tool = m.tool, m.tool = NULL;
	g->tool_version = m.tool_version, m.tool_version = NULL;
	if (rc == 0 && mhl_prefix_paths(m.files, m.nfiles, lc->prefix) < 0)
		rc = err_set(err, SP_ENOMEM, "%s: out of memory", label);
	if (rc == 0) {
		qsort(m.files, m.nfiles, sizeof(*m.files), mhl_entry_cmp);
		if (mhl_known_merge(lc->h, m.files, m.nfiles, m.created, g->seq) < 0)
			rc = err_set(err, SP_ENOMEM, "%s: out of memory", label);
	}
	if (rc == 0 && *lc->prefix == '\0')
		mhl_take_ignore(lc->h, &m);
	mhl_manifest_release(&m);
	return rc;
}

static int
mhl_add_sub(struct mhl_history *h, const char *prefix, struct mhl_chain *c, size_t *cap)
{
	struct mhl_subhistory *s;

	if (mhl_grow(&h->hists, cap, h->nhists + 1, sizeof(*h->hists)) < 0)
		return SP_ENOMEM;
	s = &h->hists[h->nhists];
	s->prefix = strdup(prefix);
	if (s->prefix == NULL)
		return SP_ENOMEM;
	s->gens = c->gens;
	s->ngens = c->n;
	memset(c, 0, sizeof(*c));
	h->nhists++;
	return 0;
}

static int
mhl_load_chain_gens(struct mhl_loadctx *lc, struct mhl_chain *c, const char *dirlabel,
		    struct err *err)
{
	for (size_t i = 0; i < c->n; i++) {
		char *label = NULL;
		int rc;

		if (asprintf(&label, "%s/%s", dirlabel, c->gens[i].file) < 0)
			return err_set(err, SP_ENOMEM, "%s: out of memory", dirlabel);
		rc = mhl_load_gen(lc, &c->gens[i], label, err);
		free(label);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Opens the chain of the history at lc->rootfd. No ascmhl/ or an ascmhl/ with
 * neither chain nor manifest is an empty history; manifests without a chain
 * cannot be checked, so they are refused. */
static int
mhl_open_chain(struct mhl_loadctx *lc, const char *label, struct mhl_chain *c, int *present,
	       struct err *err)
{
	int rc, mhls = 0;

	*present = 0;
	lc->dfd = openat(lc->rootfd, MHL_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (lc->dfd < 0 && errno == ENOENT)
		return 0;
	if (lc->dfd < 0)
		return err_errno(err, err_from_errno(errno), errno, "%s", label);
	/* Shared with other readers, excluded from setpost writers: never see a
	 * manifest whose chain entry is still being written. */
	if (flock(lc->dfd, LOCK_SH) < 0)
		return err_errno(err, SP_EIO, errno, "%s: lock", label);
	rc = mhl_chain_load(lc->dfd, label, c, present, err);
	if (rc == 0 && !*present && (mhl_last_seq(lc->dfd, c, &mhls), mhls > 0))
		rc = err_set(err, SP_EUNSUPPORTED, "%s: manifests without %s", label, MHL_CHAIN);
	return rc;
}

/* Loads the history whose root is root/prefix ("" for the top one, which is
 * recorded even when it has no generation). */
static int
mhl_load_sub(struct mhl_history *h, const char *prefix, size_t *cap, struct err *err)
{
	struct mhl_loadctx lc = { h, prefix, -1, -1 };
	struct mhl_chain chain = { 0 };
	char *dir = mhl_join(h->root, prefix), *label = NULL;
	int rc, present = 0;

	if (dir == NULL || asprintf(&label, "%s/%s", dir, MHL_DIR) < 0) {
		label = NULL;
		rc = err_set(err, SP_ENOMEM, "%s: out of memory", h->root);
		goto out;
	}
	lc.rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lc.rootfd < 0) {
		rc = err_errno(err, err_from_errno(errno), errno, "%s", dir);
		goto out;
	}
	rc = mhl_open_chain(&lc, label, &chain, &present, err);
	if (rc == 0)
		rc = mhl_load_chain_gens(&lc, &chain, label, err);
	if (rc == 0 && (present || *prefix == '\0') && mhl_add_sub(h, prefix, &chain, cap) < 0)
		rc = err_set(err, SP_ENOMEM, "%s: out of memory", label);
out:
	if (lc.dfd >= 0)
		close(lc.dfd);
	if (lc.rootfd >= 0)
		close(lc.rootfd);
	mhl_chain_release(&chain);
	free(label);
	free(dir);
	return rc;
}

static int mhl_find_nested(struct mhl_history *h, int dfd, const char *rel, size_t *cap,
			   struct err *err);

/* One directory entry during the search for nested histories. */
static int
mhl_nested_one(struct mhl_history *h, int pfd, const char *rel, const char *name,
	       size_t *cap, struct err *err)
{
	struct stat st;
	char *child;
	int fd, rc = 0;

	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || mhl_is_junk(name))
		return 0;
	if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	child = mhl_join(rel, name);
	if (child == NULL)
		return err_set(err, SP_ENOMEM, "%s: out of memory", h->root);
	fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		rc = err_errno(err, err_from_errno(errno), errno, "%s/%s", h->root, child);
	if (rc == 0 && fstatat(fd, MHL_DIR, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
		rc = mhl_load_sub(h, child, cap, err);
	if (rc == 0)
		rc = mhl_find_nested(h, fd, child, cap, err);
	else if (fd >= 0)
		close(fd);
	free(child);
	return rc;
}

/* Loads every folder below rel that has its own ascmhl/; takes dfd. */
static int
mhl_find_nested(struct mhl_history *h, int dfd, const char *rel, size_t *cap,
		struct err *err)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	int rc = 0;

	if (d == NULL) {
		close(dfd);
		return err_errno(err, err_from_errno(errno), errno, "%s/%s", h->root, rel);
	}
	while (rc == 0 && (de = readdir(d)) != NULL)
		rc = mhl_nested_one(h, dirfd(d), rel, de->d_name, cap, err);
	closedir(d);
	return rc;
}

int
mhl_history_load(struct mhl_history *h, const char *root, struct err *err)
{
	size_t cap = 0;
	int rc, fd;

	memset(h, 0, sizeof(*h));
	xmlInitParser();
	h->root = strdup(root);
	if (h->root == NULL)
		return err_set(err, SP_ENOMEM, "%s: out of memory", root);
	rc = mhl_load_sub(h, "", &cap, err);
	if (rc == 0) {
		fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			rc = err_errno(err, err_from_errno(errno), errno, "%s", root);
		else
			rc = mhl_find_nested(h, fd, "", &cap, err);
	}
	if (rc < 0)
		mhl_history_release(h);
	return rc;
}

const struct mhl_entry *
mhl_history_find(const struct mhl_history *h, const char *path)
{
	struct mhl_entry key = { .path = (char *)(uintptr_t)path };

	if (h == NULL || h->nfiles == 0)
		return NULL;
	return bsearch(&key, h->files, h->nfiles, sizeof(key), mhl_entry_cmp);
}

void
mhl_history_release(struct mhl_history *h)
{
	for (size_t i = 0; i < h->nhists; i++) {
		for (size_t j = 0; j < h->hists[i].ngens; j++)
			mhl_genrec_release(&h->hists[i].gens[j]);
		free(h->hists[i].gens);
		free(h->hists[i].prefix);
	}
	free(h->hists);
	mhl_entries_free(h->files, h->nfiles);
	for (size_t i = 0; i < h->nignore; i++)
		free(h->ignore[i]);
	free(h->ignore);
	free(h->root);
	memset(h, 0, sizeof(*h));
}

/* --- walking and verifying a folder -------------------------------------- */

struct mhl_walk {
	const char *root;
	struct mhl_entry *v;
	size_t n, cap;
	struct mhl_patterns pats;
	uint64_t total;
};

static int mhl_walk_dir(struct mhl_walk *w, int dfd, const char *rel, struct err *err);

static int
mhl_walk_one(struct mhl_walk *w, int pfd, const char *rel, const char *name, struct err *err)
{
	struct mhl_entry *e;
	struct stat st;
	char *path;
	int fd;

	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return 0;
	if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return err_errno(err, err_from_errno(errno), errno, "%s/%s/%s", w->root, rel, name);
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return 0; /* symlinks, devices, sockets: not media */
	path = mhl_join(rel, name);
	if (path == NULL)
		return err_set(err, SP_ENOMEM, "%s: out of memory", w->root);
	if (mhl_ignored(&w->pats, path, name, S_ISDIR(st.st_mode))) {
		free(path);
		return 0;
	}
	if (!mhl_path_ok(path) || mhl_grow(&w->v, &w->cap, w->n + 1, sizeof(*w->v)) < 0) {
		int rc = err_set(err, mhl_path_ok(path) ? SP_ENOMEM : SP_EINVAL, "%s/%s: name is "
				 "not UTF-8 text (cannot be listed), or out of memory", w->root, path);

		free(path);
		return rc;
	}
	e = &w->v[w->n++];
	memset(e, 0, sizeof(*e));
	e->path = path;
	e->is_dir = S_ISDIR(st.st_mode);
	e->size = e->is_dir ? -1 : (int64_t)st.st_size;
	e->mtime = st.st_mtime;
	if (!e->is_dir) {
		w->total += (uint64_t)st.st_size;
		return 0;
	}
	fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_errno(err, err_from_errno(errno), errno, "%s/%s", w->root, path);
	return mhl_walk_dir(w, fd, path, err);
}

/* Lists the folder open at dfd (taken) and what is below it. */
static int
mhl_walk_dir(struct mhl_walk *w, int dfd, const char *rel, struct err *err)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	int rc = 0;

	if (d == NULL) {
		close(dfd);
		return err_errno(err, err_from_errno(errno), errno, "%s/%s", w->root, rel);
	}
	while (rc == 0 && (de = readdir(d)) != NULL)
		rc = mhl_walk_one(w, dirfd(d), rel, de->d_name, err);
	closedir(d);
	return rc;
}

/* Which algorithms compare a file with its history: those asked for that the
 * history has, else the history's preferred one. */
static unsigned
mhl_compare_set(const struct mhl_entry *k, unsigned algos)
{
	if (k == NULL)
		return 0;
	if ((k->algos & algos) != 0)
		return k->algos & algos;
	for (size_t i = 0; i < sizeof(mhl_verify_pref) / sizeof(mhl_verify_pref[0]); i++)
		if (k->algos & HASH_BIT(mhl_verify_pref[i]))
			return HASH_BIT(mhl_verify_pref[i]);
	return 0;
}

/* Sets the actions of e against its known entry k. Algorithms the history
 * lacks follow the file's verdict, as in the reference tool. */
static enum mhl_status
mhl_judge(const struct mhl_entry *k, struct mhl_entry *e, unsigned cmp)
{
	int failed;

	if (cmp == 0) {
		for (int a = 0; a < HASH_NALGOS; a++)
			e->h[a].action = MHL_ACTION_ORIGINAL;
		return MHL_STATUS_NEW;
	}
	failed = k->size >= 0 && k->size != e->size;
	for (int a = 0; a < HASH_NALGOS; a++) {
		int ok = strcmp(k->h[a].value, e->h[a].value) == 0;

		if (cmp & HASH_BIT(a)) {
			e->h[a].action = ok ? MHL_ACTION_VERIFIED : MHL_ACTION_FAILED;
			failed |= !ok;
		}
	}
	for (int a = 0; a < HASH_NALGOS; a++)
		if ((e->algos & HASH_BIT(a)) && !(cmp & HASH_BIT(a)))
			e->h[a].action = failed ? MHL_ACTION_FAILED : MHL_ACTION_VERIFIED;
	return failed ? MHL_STATUS_FAILED : MHL_STATUS_VERIFIED;
}

static int
mhl_check_file(struct mhl_report *rep, size_t i, const struct mhl_history *h, int rootfd,
	       const struct mhl_verify_opts *opts, time_t now, struct err *err)
{
	struct mhl_entry *e = &rep->entries[i];
	const struct mhl_entry *k = mhl_history_find(h, e->path);
	unsigned cmp = mhl_compare_set(k, opts->algos);
	struct hash_result res;
	int fd, rc;

	fd = openat(rootfd, e->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return err_errno(err, err_from_errno(errno), errno, "file %s: open", e->path);
	rc = hash_fd(fd, e->path, opts->algos | cmp, &res, err);
	close(fd);
	if (rc < 0)
		return rc;
	e->size = (int64_t)res.nbytes;
	e->algos = res.algos;
	for (int a = 0; a < HASH_NALGOS; a++) {
		if (!(res.algos & HASH_BIT(a)))
			continue;
		memcpy(e->h[a].value, res.v[a].str, HASH_STR_MAX);
		e->h[a].hashdate = now;
	}
	rep->status[i] = mhl_judge(k, e, cmp);
	rep->bytes += res.nbytes;
	return 0;
}

static int
mhl_check_all(struct mhl_report *rep, const struct mhl_history *h, int rootfd,
	      const struct mhl_verify_opts *opts, uint64_t total, struct err *err)
{
	time_t now = opts->now ? opts->now : time(NULL);
	int rc = 0;

	for (size_t i = 0; i < rep->nentries && rc == 0; i++) {
		if (rep->entries[i].is_dir) {
			rep->status[i] = MHL_STATUS_DIR;
			continue;
		}
		if (opts->progress && opts->progress(opts->arg, rep->entries[i].path, rep->bytes, total))
			return err_set(err, SP_ECANCELED, "verify: stopped before %s",
				       rep->entries[i].path);
		rc = mhl_check_file(rep, i, h, rootfd, opts, now, err);
		rep->nnew += rc == 0 && rep->status[i] == MHL_STATUS_NEW;
		rep->nverified += rc == 0 && rep->status[i] == MHL_STATUS_VERIFIED;
		rep->nfailed += rc == 0 && rep->status[i] == MHL_STATUS_FAILED;
	}
	return rc;
}

/* Known files that the walk did not find and that no pattern ignores. */
static int
mhl_find_missing(struct mhl_report *rep, const struct mhl_history *h,
		 const struct mhl_patterns *pats, struct err *err)
{
	size_t cap = 0;

	for (size_t i = 0; h != NULL && i < h->nfiles; i++) {
		const struct mhl_entry *f = bsearch(&h->files[i], rep->entries, rep->nentries,
						    sizeof(*rep->entries), mhl_entry_cmp);

		if ((f != NULL && !f->is_dir) || mhl_path_ignored(pats, h->files[i].path))
			continue;
		if (mhl_grow(&rep->missing, &cap, rep->nmissing + 1, sizeof(char *)) < 0 ||
		    (rep->missing[rep->nmissing] = strdup(h->files[i].path)) == NULL)
			return err_set(err, SP_ENOMEM, "verify: out of memory");
		rep->nmissing++;
	}
	return 0;
}

static int
mhl_verify_walk(const char *root, int rootfd, const struct mhl_history *h,
		const struct mhl_verify_opts *opts, struct mhl_report *rep, uint64_t *total,
		struct err *err)
{
	struct mhl_walk w = { .root = root };
	int fd = dup(rootfd), rc;

	w.pats.list[0] = mhl_default_ignore;
	w.pats.n[0] = mhl_default_nignore;
	w.pats.list[1] = h ? (const char *const *)h->ignore : NULL;
	w.pats.n[1] = h ? h->nignore : 0;
	w.pats.list[2] = opts->ignore;
	w.pats.n[2] = opts->ignore ? opts->nignore : 0;
	if (fd < 0)
		return err_errno(err, SP_EIO, errno, "%s", root);
	rc = mhl_walk_dir(&w, fd, "", err);
	if (w.n > 0)
		qsort(w.v, w.n, sizeof(*w.v), mhl_entry_cmp);
	rep->entries = w.v;
	rep->nentries = w.n;
	rep->status = calloc(w.n + 1, sizeof(*rep->status));
	if (rc == 0 && rep->status == NULL)
		rc = err_set(err, SP_ENOMEM, "%s: out of memory", root);
	if (rc == 0)
		rc = mhl_find_missing(rep, h, &w.pats, err);
	*total = w.total;
	return rc;
}

int
mhl_verify(const char *root, const struct mhl_history *h, const struct mhl_verify_opts *opts,
	   struct mhl_report *rep, struct err *err)
{
	uint64_t total = 0;
	int rootfd, rc;

	memset(rep, 0, sizeof(*rep));
	if (opts->algos == 0 || (opts->algos & ~HASH_ALL) != 0)
		return err_set(err, SP_EINVAL, "verify: bad algorithm set 0x%x", opts->algos);
	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return err_errno(err, err_from_errno(errno), errno, "%s", root);
	rc = mhl_verify_walk(root, rootfd, h, opts, rep, &total, err);
	if (rc == 0)
		rc = mhl_check_all(rep, h, rootfd, opts, total, err);
	close(rootfd);
	if (rc < 0)
		mhl_report_release(rep);
	return rc;
}

void
mhl_report_release(struct mhl_report *rep)
{
	mhl_entries_free(rep->entries, rep->nentries);
	free(rep->status);
	for (size_t i = 0; i < rep->nmissing; i++)
		free(rep->missing[i]);
	free(rep->missing);
	memset(rep, 0, sizeof(*rep));
}
