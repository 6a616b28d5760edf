/* mhl_write: writing ASC MHL generations: directory hashes, the manifest of a
 * generation and the chain that lists it (see mhl.h; shared pieces in mhl_int.h). */
#include "lib/custody/mhl_int.h"
#include "lib/core/grow.h"
#include "lib/core/xml_quiet.h"

#include <errno.h>
#include <fcntl.h>
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

const char *const mhl_default_ignore[] = { ".DS_Store", "ascmhl", "ascmhl/" };
const size_t mhl_default_nignore = 3;

const char *const mhl_action_names[] = { "", "original", "verified", "failed" };
const char *const mhl_process_names[] = { "in-place", "transfer", "flatten" };

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

static void
mhl_fmt_time(time_t t, char *out, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
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
	if (array_grow(&ctx->content, &cap, ctx->n + 1, sizeof(*ctx->content)) < 0 ||
	    array_grow(&ctx->structure, &ctx->cap, ctx->n + 1, sizeof(*ctx->structure)) < 0)
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

	if (array_grow(&parent->kids, &parent->cap, parent->nkids + 1, sizeof(*n)) < 0)
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
	xml_quiet();
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

/* --- files -------------------------------------------------------------- */

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

	if (array_grow(&c->gens, &c->cap, c->n + 1, sizeof(*c->gens)) < 0)
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
