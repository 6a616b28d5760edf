/* mhl_read: reading ASC MHL histories: chain and manifest parsing (ours and
 * other tools'), the latest known hash of every path, nested histories (see mhl.h;
 * shared pieces in mhl_int.h). */
#include "lib/custody/mhl_int.h"
#include "lib/core/grow.h"
#include "lib/core/xml_quiet.h"

#include <dirent.h>
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

#define MHL_MAX_XML (1u << 30) /* libxml2 takes an int length */

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

/* --- the chain file ----------------------------------------------------- */

static void
mhl_genrec_release(struct mhl_genrec *g)
{
	free(g->file);
	free(g->hostname);
	free(g->tool);
	free(g->tool_version);
	memset(g, 0, sizeof(*g));
}

void
mhl_chain_release(struct mhl_chain *c)
{
	for (size_t i = 0; i < c->n; i++)
		mhl_genrec_release(&c->gens[i]);
	free(c->gens);
	memset(c, 0, sizeof(*c));
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
	xml_quiet();
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

	if (array_grow(&c->gens, &c->cap, c->n + 1, sizeof(*c->gens)) < 0)
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

/* Reads ascmhl_chain.xml from dfd (the ascmhl/ folder named dirlabel); a
 * missing chain is an empty one. */
int
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
int
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

void
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
			if (array_grow(&m->ignore, &m->igncap, m->nignore + 1, sizeof(char *)) < 0)
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

	if (array_grow(&m->files, &m->cap, m->nfiles + 1, sizeof(*m->files)) < 0)
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
		    array_grow(&m->refpath, &m->refcap, m->nrefs + 1, sizeof(char *)) < 0 ||
		    array_grow(&m->refc4, &m->refcap2, m->nrefs + 1, sizeof(*m->refc4)) < 0) {
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

int
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
	int newer = when >= k->listed, took = 0, failed = 0;

	for (int a = 0; a < HASH_NALGOS; a++)
		failed |= (e->algos & HASH_BIT(a)) && e->h[a].action == MHL_ACTION_FAILED;
	if (when > k->checked || (when == k->checked && seq >= k->checked_generation)) {
		k->checked = when;
		k->checked_generation = seq;
		k->last_failed = failed;
	}
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
		/* qsort's array must not be NULL even for zero entries (C11 7.22.5) */
		if (m.nfiles > 0)
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

	if (array_grow(&h->hists, cap, h->nhists + 1, sizeof(*h->hists)) < 0)
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
