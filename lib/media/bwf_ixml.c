/* bwf_ixml: the iXML chunk of a Broadcast WAV file, parsed into struct bwf_ixml (see bwf.h). */
#include "lib/media/bwf.h"
#include "lib/media/bwf_int.h"
#include "lib/core/xml_quiet.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

/* Chunks are padded to even sizes and often to a reserved length, with NULs or
 * blanks after the document; libxml2 would call either an error. */
size_t
bwf_trim_tail(const char *s, size_t len)
{
	while (len > 0 && (s[len - 1] == '\0' || isspace((unsigned char)s[len - 1])))
		len--;
	return len;
}

static bool
bwf_named(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

/* The element's text (CDATA included, comments not), trimmed; *out is NULL when
 * empty. */
static int
bwf_text(xmlNodePtr n, char **out, struct err *err)
{
	xmlChar *raw = xmlNodeGetContent(n);
	const char *p = (const char *)raw;
	size_t len;

	*out = NULL;
	if (raw == NULL)
		return 0;
	while (isspace((unsigned char)*p))
		p++;
	len = strlen(p);
	while (len > 0 && isspace((unsigned char)p[len - 1]))
		len--;
	if (len > 0)
		*out = strndup(p, len);
	xmlFree(raw);
	if (len > 0 && *out == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	return 0;
}

/* Keeps the first occurrence of a repeated element. */
static int
bwf_text_once(xmlNodePtr n, char **field, struct err *err)
{
	if (*field != NULL)
		return 0;
	return bwf_text(n, field, err);
}

/* A decimal number up to max; *present stays false for an empty element. */
static int
bwf_number(xmlNodePtr n, const char *path, uint64_t max, uint64_t *v, bool *present,
    struct err *err)
{
	char *s, *end;
	int rc = 0;

	*present = false;
	rc = bwf_text(n, &s, err);
	if (rc < 0 || s == NULL)
		return rc;
	errno = 0;
	*v = strtoull(s, &end, 10);
	if (!isdigit((unsigned char)s[0]) || *end != '\0' || errno != 0 || *v > max)
		rc = err_set(err, SP_EINVAL, "iXML %s \"%.40s\": not a number up to %llu", path, s,
		    (unsigned long long)max);
	else
		*present = true;
	free(s);
	return rc;
}

static int
bwf_u32(xmlNodePtr n, const char *path, uint32_t *v, bool *present, struct err *err)
{
	uint64_t x = 0;
	int rc = bwf_number(n, path, UINT32_MAX, &x, present, err);

	if (rc == 0 && *present)
		*v = (uint32_t)x;
	return rc;
}

static int
bwf_circled(xmlNodePtr n, struct bwf_ixml *ixml, struct err *err)
{
	char *s;
	int rc;

	if (ixml->circled != -1)
		return 0;
	rc = bwf_text(n, &s, err);
	if (rc < 0 || s == NULL)
		return rc;
	if (strcasecmp(s, "TRUE") == 0)
		ixml->circled = 1;
	else if (strcasecmp(s, "FALSE") == 0)
		ixml->circled = 0;
	else
		rc = err_set(err, SP_EINVAL, "iXML CIRCLED \"%.40s\": expected TRUE or FALSE", s);
	free(s);
	return rc;
}

/* Recorders disagree on SAMPLES vs SAMPLE in these names; accept both. */
static int
bwf_timestamp_part(xmlNodePtr n, struct bwf_ixml *ixml, struct err *err)
{
	const char *name = (const char *)n->name;
	bool hi, present;
	uint32_t v = 0;
	int rc;

	if (strncmp(name, "TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_", 33) == 0)
		name += 33;
	else if (strncmp(name, "TIMESTAMP_SAMPLE_SINCE_MIDNIGHT_", 32) == 0)
		name += 32;
	else
		return 0;
	if (strcmp(name, "HI") != 0 && strcmp(name, "LO") != 0)
		return 0;
	hi = name[0] == 'H';
	rc = bwf_u32(n, (const char *)n->name, &v, &present, err);
	if (rc < 0 || !present)
		return rc;
	if (hi) {
		ixml->timestamp = (ixml->timestamp & UINT32_MAX) | (uint64_t)v << 32;
	} else {
		ixml->timestamp = (ixml->timestamp & ~(uint64_t)UINT32_MAX) | v;
		ixml->has_timestamp = true;
	}
	return 0;
}

static int
bwf_speed_child(xmlNodePtr n, struct bwf_ixml *ixml, struct err *err)
{
	bool present;

	if (bwf_named(n, "TIMECODE_RATE"))
		return bwf_text_once(n, &ixml->timecode_rate, err);
	if (bwf_named(n, "TIMECODE_FLAG"))
		return bwf_text_once(n, &ixml->timecode_flag, err);
	if (bwf_named(n, "FILE_SAMPLE_RATE"))
		return bwf_u32(n, "SPEED/FILE_SAMPLE_RATE", &ixml->file_sample_rate, &present, err);
	if (bwf_named(n, "TIMESTAMP_SAMPLE_RATE"))
		return bwf_u32(n, "SPEED/TIMESTAMP_SAMPLE_RATE", &ixml->timestamp_sample_rate,
		    &present, err);
	if (n->type == XML_ELEMENT_NODE)
		return bwf_timestamp_part(n, ixml, err);
	return 0;
}

static int
bwf_track(xmlNodePtr t, struct bwf_track *track, struct err *err)
{
	bool present;
	uint32_t index = 0;
	int rc = 0;

	for (xmlNodePtr n = t->children; n != NULL && rc == 0; n = n->next) {
		if (bwf_named(n, "NAME"))
			rc = bwf_text_once(n, &track->name, err);
		else if (bwf_named(n, "CHANNEL_INDEX"))
			rc = bwf_u32(n, "TRACK/CHANNEL_INDEX", &index, &present, err);
	}
	track->channel_index = index;
	return rc;
}

static int
bwf_track_list(xmlNodePtr list, struct bwf_ixml *ixml, struct err *err)
{
	size_t cap = 0;
	int rc;

	if (ixml->tracks != NULL)
		return 0;
	for (xmlNodePtr n = list->children; n != NULL; n = n->next) {
		if (!bwf_named(n, "TRACK"))
			continue;
		if (ixml->ntracks == BWF_MAX_TRACKS)
			return err_set(err, SP_EINVAL, "iXML TRACK_LIST: more than %d tracks",
			    BWF_MAX_TRACKS);
		if (ixml->ntracks == cap) {
			struct bwf_track *grown;

			cap = cap ? 2 * cap : 8;
			grown = realloc(ixml->tracks, cap * sizeof(*grown));
			if (grown == NULL)
				return err_set(err, SP_ENOMEM, "out of memory");
			ixml->tracks = grown;
		}
		memset(&ixml->tracks[ixml->ntracks], 0, sizeof(ixml->tracks[0]));
		rc = bwf_track(n, &ixml->tracks[ixml->ntracks++], err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Direct children of BWFXML kept as text. */
static const struct {
	const char *name;
	size_t offset;
} bwf_ixml_fields[] = {
	{ "PROJECT", offsetof(struct bwf_ixml, project) },
	{ "SCENE", offsetof(struct bwf_ixml, scene) },
	{ "TAKE", offsetof(struct bwf_ixml, take) },
	{ "TAPE", offsetof(struct bwf_ixml, tape) },
	{ "NOTE", offsetof(struct bwf_ixml, note) },
};

static int
bwf_root_child(xmlNodePtr n, struct bwf_ixml *ixml, struct err *err)
{
	int rc = 0;

	for (size_t i = 0; i < sizeof(bwf_ixml_fields) / sizeof(bwf_ixml_fields[0]); i++)
		if (bwf_named(n, bwf_ixml_fields[i].name))
			return bwf_text_once(n, (char **)((char *)ixml + bwf_ixml_fields[i].offset),
			    err);
	if (bwf_named(n, "CIRCLED"))
		return bwf_circled(n, ixml, err);
	if (bwf_named(n, "TRACK_LIST"))
		return bwf_track_list(n, ixml, err);
	if (bwf_named(n, "SPEED"))
		for (xmlNodePtr s = n->children; s != NULL && rc == 0; s = s->next)
			rc = bwf_speed_child(s, ixml, err);
	return rc;
}

/* libxml2's message ends in a newline; keep the first line and say where. */
static int
bwf_xml_error(xmlParserCtxtPtr ctxt, struct err *err)
{
	xmlErrorPtr e = xmlCtxtGetLastError(ctxt);
	const char *msg = e && e->message ? e->message : "parse error";
	size_t len = strcspn(msg, "\n");

	return err_set(err, SP_EINVAL, "iXML: not well-formed XML: %.*s (line %d)", (int)len, msg,
	    e ? e->line : 0);
}

int
bwf_ixml_parse(const char *xml, size_t len, struct bwf_ixml *ixml, struct err *err)
{
	xmlParserCtxtPtr ctxt = NULL;
	xmlDocPtr doc = NULL;
	xmlNodePtr root;
	int rc = 0;

	memset(ixml, 0, sizeof(*ixml));
	ixml->circled = -1;
	len = bwf_trim_tail(xml, len);
	if (len == 0)
		return err_set(err, SP_EINVAL, "iXML: empty");
	if (len > BWF_IXML_MAX)
		return err_set(err, SP_ETOOBIG, "iXML: %zu bytes, more than %u", len, BWF_IXML_MAX);
	xml_quiet();
	ctxt = xmlNewParserCtxt();
	if (ctxt == NULL) {
		rc = err_set(err, SP_ENOMEM, "out of memory");
		goto out;
	}
	/* No NOENT or DTDLOAD: entities stay unexpanded and nothing is fetched; NOERROR and
	 * NOWARNING keep libxml2 from printing, since lib/ never prints. */
	doc = xmlCtxtReadMemory(ctxt, xml, (int)len, "iXML", NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL) {
		rc = bwf_xml_error(ctxt, err);
		goto out;
	}
	root = xmlDocGetRootElement(doc);
	if (root == NULL || !bwf_named(root, "BWFXML")) {
		rc = err_set(err, SP_EINVAL, "iXML: root element is not BWFXML");
		goto out;
	}
	for (xmlNodePtr n = root->children; n != NULL && rc == 0; n = n->next)
		rc = bwf_root_child(n, ixml, err);
out:
	if (rc < 0)
		bwf_ixml_release(ixml);
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	return rc;
}

void
bwf_ixml_release(struct bwf_ixml *ixml)
{
	free(ixml->project);
	free(ixml->scene);
	free(ixml->take);
	free(ixml->tape);
	free(ixml->note);
	free(ixml->timecode_rate);
	free(ixml->timecode_flag);
	for (size_t i = 0; i < ixml->ntracks; i++)
		free(ixml->tracks[i].name);
	free(ixml->tracks);
	memset(ixml, 0, sizeof(*ixml));
	ixml->circled = -1;
}
