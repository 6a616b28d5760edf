/* cdl: ASC CDL values, math and .cc/.ccc/.cdl files (see cdl.h, SPECS 4). */
#include "lib/media/cdl.h"
#include "lib/core/file.h"
#include "lib/core/xml_quiet.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlstring.h>

#define CDL_NS "urn:ASC:CDL:v1.01"
#define CDL_SPACE " \t\r\n"
/* libxml2's BAD_CAST drops const, which -Wcast-qual rightly flags on string literals */
#define CDL_X(s) ((const xmlChar *)(s))

static const char *const cdl_channel[3] = { "red", "green", "blue" };

/* What a number must satisfy; the index is also the wording in cdl_rule_text. */
enum cdl_rule { CDL_FINITE, CDL_NONNEG, CDL_POSITIVE };
static const char *const cdl_rule_text[] = { "finite", "finite and >= 0",
	"finite and >= 0.000001" };
/* The smallest power a CDL carries: its numbers are written with six decimals, so a smaller
 * one would be written as 0, which no reader takes (the fuzz harness found 8e-08). */
#define CDL_POWER_MIN 0.000001

/* The numeric elements of a ColorCorrection, and where each lands in struct cdl. A table
 * keeps SOPNode and SatNode parsing one loop, and gives each element a bit for "seen". */
static const struct cdl_field {
	const char *elem;
	int in_sat;   /* 1: child of SatNode/SATNode, 0: child of SOPNode */
	size_t off;
	size_t count;
} cdl_fields[] = {
	{ "Slope", 0, offsetof(struct cdl, slope), 3 },
	{ "Offset", 0, offsetof(struct cdl, offset), 3 },
	{ "Power", 0, offsetof(struct cdl, power), 3 },
	{ "Saturation", 1, offsetof(struct cdl, sat), 1 },
};

/* Reading context: the name for messages and where they go. */
struct cdl_ctx {
	const char *name;
	struct err *err;
};

void
cdl_init(struct cdl *c)
{
	memset(c, 0, sizeof(*c));
	for (int i = 0; i < 3; i++) {
		c->slope[i] = 1.0;
		c->power[i] = 1.0;
	}
	c->sat = 1.0;
}

static int
cdl_check(double v, const char *what, int ch, enum cdl_rule rule, struct err *err)
{
	int ok = isfinite(v) && (rule == CDL_FINITE || (rule == CDL_POSITIVE ? v >= CDL_POWER_MIN :
	    v >= 0));

	if (ok)
		return 0;
	return err_set(err, SP_EINVAL, "%s%s%s is %g; must be %s", what, ch < 0 ? "" : " ",
	    ch < 0 ? "" : cdl_channel[ch], v, cdl_rule_text[rule]);
}

/* The id ends up in XML attributes and in JSON, so it must be text. */
static int
cdl_check_id(const char *id, struct err *err)
{
	const char *end = memchr(id, '\0', CDL_ID_MAX);

	if (end == NULL)
		return err_set(err, SP_EINVAL, "id is not terminated within %d bytes",
		    CDL_ID_MAX);
	for (const char *p = id; p < end; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return err_set(err, SP_EINVAL, "id contains a control character");
	if (!xmlCheckUTF8((const unsigned char *)id))
		return err_set(err, SP_EINVAL, "id is not valid UTF-8");
	return 0;
}

int
cdl_validate(const struct cdl *c, struct err *err)
{
	int rc = 0;

	for (int i = 0; i < 3 && rc == 0; i++) {
		rc = cdl_check(c->slope[i], "slope", i, CDL_NONNEG, err);
		if (rc == 0)
			rc = cdl_check(c->offset[i], "offset", i, CDL_FINITE, err);
		if (rc == 0)
			rc = cdl_check(c->power[i], "power", i, CDL_POSITIVE, err);
	}
	if (rc == 0)
		rc = cdl_check(c->sat, "saturation", -1, CDL_NONNEG, err);
	if (rc == 0)
		rc = cdl_check_id(c->id, err);
	return rc;
}

/* Written as a negated test so that NaN, which fails every comparison, becomes 0. */
static double
cdl_clamp01(double v)
{
	if (!(v > 0.0))
		return 0.0;
	return v < 1.0 ? v : 1.0;
}

void
cdl_apply(const struct cdl *c, const double in[3], double out[3])
{
	double v[3], luma;

	for (int i = 0; i < 3; i++)
		v[i] = pow(cdl_clamp01(in[i] * c->slope[i] + c->offset[i]), c->power[i]);
	/* Rec.709 weights are fixed by the CDL spec whatever the image's colour space */
	luma = 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
	for (int i = 0; i < 3; i++)
		out[i] = cdl_clamp01(luma + c->sat * (v[i] - luma));
}

/* ---- reading ---------------------------------------------------------------------- */

static int __attribute__((format(printf, 4, 5)))
cdl_fail(const struct cdl_ctx *x, const xmlNode *n, int code, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(x->err, code, "%s: line %ld: %s", x->name, xmlGetLineNo(n), msg);
}

/* Matches on the local name only: files in the wild carry v1.01, v1.2 or no namespace. */
static int
cdl_is(const xmlNode *n, const char *local)
{
	return n->type == XML_ELEMENT_NODE && xmlStrcmp(n->name, CDL_X(local)) == 0;
}

/* Accepts plain decimals such as ".03" and "1e0"; refuses strtod's extras (nan, inf,
 * hex) so that what we accept is what every other CDL reader accepts. */
static int
cdl_number(const struct cdl_ctx *x, const xmlNode *n, const char *s, size_t len,
    double *v)
{
	char tok[64], *end;

	if (len >= sizeof(tok) || strspn(s, "0123456789.eE+-") < len)
		goto bad;
	memcpy(tok, s, len);
	tok[len] = '\0';
	*v = strtod(tok, &end);
	if (end != tok + len || !isfinite(*v))
		goto bad;
	return 0;
bad:
	return cdl_fail(x, n, SP_EINVAL, "%s: bad number \"%.*s\"", (const char *)n->name,
	    len > 32 ? 32 : (int)len, s);
}

/* Reads exactly want whitespace-separated numbers from the text of element n. */
static int
cdl_numbers(const struct cdl_ctx *x, const xmlNode *n, double *v, size_t want)
{
	xmlChar *text = xmlNodeGetContent(n);
	const char *s = (const char *)text;
	size_t found = 0, len;
	int rc = 0;

	if (text == NULL)
		return err_set(x->err, SP_ENOMEM, "%s: out of memory", x->name);
	for (;;) {
		s += strspn(s, CDL_SPACE);
		if (*s == '\0')
			break;
		len = strcspn(s, CDL_SPACE);
		if (found < want && (rc = cdl_number(x, n, s, len, &v[found])) < 0)
			goto out;
		found++;
		s += len;
	}
	if (found != want)
		rc = cdl_fail(x, n, SP_EINVAL, "%s: expected %zu number%s, found %zu",
		    (const char *)n->name, want, want == 1 ? "" : "s", found);
out:
	xmlFree(text);
	return rc;
}

/* Reads the fields of one SOPNode or SatNode; *seen catches a field given twice. */
static int
cdl_read_node(const struct cdl_ctx *x, const xmlNode *node, int in_sat, struct cdl *c,
    unsigned *seen)
{
	const size_t nf = sizeof(cdl_fields) / sizeof(cdl_fields[0]);
	int rc = 0;

	for (const xmlNode *ch = node->children; ch != NULL && rc == 0; ch = ch->next) {
		for (size_t i = 0; i < nf && rc == 0; i++) {
			const struct cdl_field *f = &cdl_fields[i];

			if (f->in_sat != in_sat || !cdl_is(ch, f->elem))
				continue;
			if (*seen & (1u << i))
				return cdl_fail(x, ch, SP_EINVAL, "%s given twice", f->elem);
			*seen |= 1u << i;
			rc = cdl_numbers(x, ch, (double *)(void *)((char *)c + f->off), f->count);
		}
	}
	return rc;
}

static int
cdl_read_id(const struct cdl_ctx *x, const xmlNode *cc, struct cdl *c)
{
	xmlChar *id = xmlGetProp(cc, CDL_X("id"));
	int rc = 0;

	if (id == NULL)
		return 0;  /* OCIO loads corrections without an id too */
	if (strlen((const char *)id) >= sizeof(c->id))
		rc = cdl_fail(x, cc, SP_EINVAL, "ColorCorrection id longer than %zu bytes",
		    sizeof(c->id) - 1);
	else
		snprintf(c->id, sizeof(c->id), "%s", (const char *)id);
	xmlFree(id);
	return rc;
}

static int
cdl_read_cc(const struct cdl_ctx *x, const xmlNode *cc, struct cdl *c)
{
	unsigned seen = 0;
	int rc;

	cdl_init(c);
	rc = cdl_read_id(x, cc, c);
	for (const xmlNode *ch = cc->children; ch != NULL && rc == 0; ch = ch->next) {
		if (cdl_is(ch, "SOPNode"))
			rc = cdl_read_node(x, ch, 0, c, &seen);
		else if (cdl_is(ch, "SatNode") || cdl_is(ch, "SATNode"))
			rc = cdl_read_node(x, ch, 1, c, &seen);
	}
	if (rc == 0 && (rc = cdl_validate(c, x->err)) < 0)
		err_prefix(x->err, "%s: line %ld: ColorCorrection \"%s\": ", x->name,
		    xmlGetLineNo(cc), c->id);
	return rc;
}

/* Appends one correction. The capacity doubles whenever n reaches a power of two, so
 * the set needs no separate capacity field. */
static int
cdl_set_push(struct cdl_set *set, const struct cdl *c, const char *media, struct err *err)
{
	char *dup = NULL;

	if ((set->n & (set->n - 1)) == 0) {
		size_t cap = set->n ? set->n * 2 : 1;
		struct cdl *v = realloc(set->v, cap * sizeof(*v));
		char **m;

		if (v == NULL)
			goto oom;
		set->v = v;
		if ((m = realloc(set->media, cap * sizeof(*m))) == NULL)
			goto oom;
		set->media = m;
	}
	if (media != NULL && (dup = strdup(media)) == NULL)
		goto oom;
	set->v[set->n] = *c;
	set->media[set->n] = dup;
	set->n++;
	return 0;
oom:
	return err_set(err, SP_ENOMEM, "out of memory");
}

static int
cdl_add_cc(const struct cdl_ctx *x, const xmlNode *cc, const char *media,
    struct cdl_set *set)
{
	struct cdl c;
	int rc = cdl_read_cc(x, cc, &c);

	if (rc == 0)
		rc = cdl_set_push(set, &c, media, x->err);
	return rc;
}

/* One ColorDecision: the first MediaRef names the footage, and exactly one
 * ColorCorrection holds the values. A ColorCorrectionRef points into some other file,
 * which we cannot follow. */
static int
cdl_add_decision(const struct cdl_ctx *x, const xmlNode *cd, struct cdl_set *set)
{
	const xmlNode *cc = NULL;
	xmlChar *ref = NULL;
	int has_ccref = 0, rc = 0;

	for (const xmlNode *ch = cd->children; ch != NULL; ch = ch->next) {
		if (cdl_is(ch, "MediaRef") && ref == NULL)
			ref = xmlGetProp(ch, CDL_X("ref"));
		else if (cdl_is(ch, "ColorCorrectionRef"))
			has_ccref = 1;
		else if (cdl_is(ch, "ColorCorrection") && cc != NULL) {
			rc = cdl_fail(x, ch, SP_EINVAL, "ColorDecision holds a second ColorCorrection");
			goto out;
		} else if (cdl_is(ch, "ColorCorrection"))
			cc = ch;
	}
	if (cc == NULL && has_ccref)
		rc = cdl_fail(x, cd, SP_EUNSUPPORTED, "ColorCorrectionRef is not supported");
	else if (cc == NULL)
		rc = cdl_fail(x, cd, SP_EINVAL, "ColorDecision without ColorCorrection");
	else
		rc = cdl_add_cc(x, cc, (const char *)ref, set);
out:
	xmlFree(ref);
	return rc;
}

/* Reads every child of root named elem; ColorDecision children get their own walk. */
static int
cdl_read_children(const struct cdl_ctx *x, const xmlNode *root, const char *elem,
    struct cdl_set *set)
{
	int rc = 0;

	for (const xmlNode *ch = root->children; ch != NULL && rc == 0; ch = ch->next) {
		if (!cdl_is(ch, elem))
			continue;
		if (strcmp(elem, "ColorDecision") == 0)
			rc = cdl_add_decision(x, ch, set);
		else
			rc = cdl_add_cc(x, ch, NULL, set);
	}
	if (rc == 0 && set->n == 0)
		rc = cdl_fail(x, root, SP_EINVAL, "%s holds no %s", (const char *)root->name, elem);
	return rc;
}

static int
cdl_read_root(const struct cdl_ctx *x, const xmlNode *root, struct cdl_set *set)
{
	if (cdl_is(root, "ColorCorrection"))
		return cdl_add_cc(x, root, NULL, set);
	if (cdl_is(root, "ColorCorrectionCollection"))
		return cdl_read_children(x, root, "ColorCorrection", set);
	if (cdl_is(root, "ColorDecisionList"))
		return cdl_read_children(x, root, "ColorDecision", set);
	return cdl_fail(x, root, SP_EINVAL, "root element <%s> is not ColorCorrection, "
	    "ColorCorrectionCollection or ColorDecisionList", (const char *)root->name);
}

/* Turns libxml2's last error into ours; its message ends in a newline we drop. */
static int
cdl_xml_error(const struct cdl_ctx *x, xmlParserCtxt *ctx)
{
	const xmlError *e = xmlCtxtGetLastError(ctx);
	const char *m = e != NULL && e->message != NULL ? e->message : "unknown error";
	size_t len = strcspn(m, "\n");

	if (e != NULL && e->code == XML_ERR_NO_MEMORY)
		return err_set(x->err, SP_ENOMEM, "%s: out of memory", x->name);
	return err_set(x->err, SP_EINVAL, "%s: line %d: not well-formed XML: %.*s", x->name,
	    e != NULL ? e->line : 0, len > 200 ? 200 : (int)len, m);
}

/* NONET and the absence of NOENT keep external entities and DTDs from being fetched or
 * expanded; NOERROR keeps libxml2 from printing, since lib/ never prints. */
static int
cdl_parse_xml(const struct cdl_ctx *x, const char *buf, size_t len, xmlDoc **doc)
{
	const int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
	    XML_PARSE_BIG_LINES;
	xmlParserCtxt *ctx;
	int rc = 0;

	xmlInitParser();
	xml_quiet();
	if ((ctx = xmlNewParserCtxt()) == NULL)
		return err_set(x->err, SP_ENOMEM, "%s: out of memory", x->name);
	*doc = xmlCtxtReadMemory(ctx, buf, (int)len, NULL, NULL, opts);
	if (*doc == NULL || xmlDocGetRootElement(*doc) == NULL)
		rc = cdl_xml_error(x, ctx);
	xmlFreeParserCtxt(ctx);
	return rc;
}

int
cdl_read_mem(const char *buf, size_t len, const char *name, struct cdl_set *set,
    struct err *err)
{
	struct cdl_ctx x = { name, err };
	xmlDoc *doc = NULL;
	int rc;

	if (len > CDL_FILE_MAX) {
		rc = err_set(err, SP_ETOOBIG, "%s: larger than %u bytes", name, CDL_FILE_MAX);
		goto out;
	}
	if ((rc = cdl_parse_xml(&x, buf, len, &doc)) < 0)
		goto out;
	if ((rc = cdl_read_root(&x, xmlDocGetRootElement(doc), set)) == 0)
		rc = (int)set->n;
out:
	if (rc < 0)
		cdl_set_release(set);
	xmlFreeDoc(doc);
	return rc;
}

int
cdl_read_file(const char *path, struct cdl_set *set, struct err *err)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	if ((rc = file_read_all(path, CDL_FILE_MAX, &buf, &len, err)) == 0)
		rc = cdl_read_mem(buf, len, path, set, err);
	free(buf);
	return rc;
}

void
cdl_set_release(struct cdl_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		free(set->media[i]);
	free(set->media);
	free(set->v);
	set->v = NULL;
	set->media = NULL;
	set->n = 0;
}

/* ---- writing ---------------------------------------------------------------------- */

static void
cdl_put_escaped(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default: fputc(*s, f); break;
		}
	}
}

/* A value that rounds to zero would print as "-0.000000"; write it as plain zero. */
static double
cdl_tidy(double v)
{
	return fabs(v) < 0.0000005 ? 0.0 : v;
}

static void
cdl_put_values(FILE *f, int indent, const char *elem, const double *v, size_t n)
{
	fprintf(f, "%*s<%s>", indent, "", elem);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%.6f", i ? " " : "", cdl_tidy(v[i]));
	fprintf(f, "</%s>\n", elem);
}

/* One ColorCorrection element at the given indent; the root one carries the namespace. */
static void
cdl_put_cc(FILE *f, const struct cdl *c, int indent, int root)
{
	fprintf(f, "%*s<ColorCorrection", indent, "");
	if (c->id[0] != '\0') {
		fputs(" id=\"", f);
		cdl_put_escaped(f, c->id);
		fputc('"', f);
	}
	fputs(root ? " xmlns=\"" CDL_NS "\">\n" : ">\n", f);
	if (c->desc[0] != '\0') {   /* the schema puts Description first */
		fprintf(f, "%*s<Description>", indent + 4, "");
		cdl_put_escaped(f, c->desc);
		fputs("</Description>\n", f);
	}
	fprintf(f, "%*s<SOPNode>\n", indent + 4, "");
	cdl_put_values(f, indent + 8, "Slope", c->slope, 3);
	cdl_put_values(f, indent + 8, "Offset", c->offset, 3);
	cdl_put_values(f, indent + 8, "Power", c->power, 3);
	fprintf(f, "%*s</SOPNode>\n%*s<SatNode>\n", indent + 4, "", indent + 4, "");
	cdl_put_values(f, indent + 8, "Saturation", &c->sat, 1);
	fprintf(f, "%*s</SatNode>\n%*s</ColorCorrection>\n", indent + 4, "", indent, "");
}

static int
cdl_write(const struct cdl *v, size_t n, int collection, char **out, size_t *len,
    struct err *err)
{
	FILE *f;
	char *buf = NULL;
	size_t size = 0;
	int rc = 0;

	*out = NULL;
	*len = 0;
	for (size_t i = 0; i < n; i++)
		if ((rc = cdl_validate(&v[i], err)) < 0) {
			if (collection)
				err_prefix(err, "correction %zu: ", i + 1);
			return rc;
		}
	if ((f = open_memstream(&buf, &size)) == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
	if (collection) {
		fputs("<ColorCorrectionCollection xmlns=\"" CDL_NS "\">\n", f);
		for (size_t i = 0; i < n; i++)
			cdl_put_cc(f, &v[i], 4, 0);
		fputs("</ColorCorrectionCollection>\n", f);
	} else
		cdl_put_cc(f, v, 0, 1);
	/* fclose must run even after a write error: it finishes (and owns) the buffer */
	rc = ferror(f);
	if (fclose(f) != 0 || rc != 0) {
		free(buf);
		return err_set(err, SP_ENOMEM, "out of memory writing CDL");
	}
	*out = buf;
	*len = size;
	return 0;
}

int
cdl_write_cc(const struct cdl *c, char **out, size_t *len, struct err *err)
{
	return cdl_write(c, 1, 0, out, len, err);
}

int
cdl_write_ccc(const struct cdl *v, size_t n, char **out, size_t *len, struct err *err)
{
	return cdl_write(v, n, 1, out, len, err);
}
