/* camera: a clip's camera settings from whatever names them (see camera.h). */
#include "lib/media/camera.h"
#include "lib/core/xml_quiet.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#define CAMERA_XML_MAX (1 << 20)

const struct camera_field camera_fields[CAMERA_NFIELDS] = {
	{ "iso", "ISO", "ISO/EI" },
	{ "white_balance", "White Balance", "White balance" },
	{ "shutter", "Shutter", "Shutter" },
	{ "nd", "ND Filter", "ND" },
	{ "focal_length", "Focal Length", "Focal length" },
	{ "t_stop", "T-Stop", "T-stop" },
	{ "look", "Look Name", "Look" },
};

/* The spellings each field goes by, lower case without punctuation: QuickTime keys written
 * by ffmpeg -metadata, SMPTE RDD 18 item names as Sony's M01.XML uses them, ARRI-style ALE
 * columns, Blackmagic RAW sidecar keys. An F-number is not a T-stop and is not taken. */
static const char *const camera_names[CAMERA_NFIELDS][8] = {
	{ "iso", "ei", "isosensitivity", "exposureindex", "exposureindexofphotometer",
	  "exposureindexasa", "isospeed", NULL },
	{ "whitebalance", "whitebalancekelvin", "colortemperature", "colortemp", "wb",
	  "kelvin", NULL },
	{ "shutter", "shutterangle", "shutterspeed", "shutterspeedangle", "shutterspeedtime",
	  NULL },
	{ "nd", "ndfilter", "ndfilterdensity", "neutraldensityfilterwheelsetting",
	  "neutraldensityfilter", NULL },
	{ "focallength", "lenszoomactualfocallength", "lensfocallength", NULL },
	{ "tstop", "tnumber", "iristnumber", "iriststop", NULL },
	{ "look", "lookname", "looknames", NULL },
};

/* key's last dotted component, lower case, letters and digits only. */
static void
camera_norm(const char *key, char *out, size_t len)
{
	const char *dot = strrchr(key, '.');
	size_t n = 0;

	for (const char *s = dot ? dot + 1 : key; *s && n + 1 < len; s++)
		if (isalnum((unsigned char)*s))
			out[n++] = (char)tolower((unsigned char)*s);
	out[n] = '\0';
}

int
camera_field_of(const char *key)
{
	char k[96];

	if (key == NULL)
		return -1;
	camera_norm(key, k, sizeof(k));
	for (int f = 0; f < CAMERA_NFIELDS; f++)
		for (const char *const *n = camera_names[f]; *n; n++)
			if (strcmp(k, *n) == 0)
				return f;
	return -1;
}

/* A value cut to v's size keeps whole UTF-8 characters: an incomplete last one goes. */
static void
camera_cut_utf8(char *v, size_t whole)
{
	size_t n = strlen(v), start = n, need;
	unsigned char lead;

	if (n == whole || n == 0)
		return;
	while (start > 0 && ((unsigned char)v[start - 1] & 0xC0) == 0x80)
		start--;
	if (start == 0)
		return;
	lead = (unsigned char)v[start - 1];
	need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
	if (n - (start - 1) < need)
		v[start - 1] = '\0';
}

int
camera_take(json_t *settings, const char *key, const char *value)
{
	int f = camera_field_of(key);
	char v[128];
	size_t n;

	if (f < 0)
		return 0;
	if (value == NULL || json_object_get(settings, camera_fields[f].key))
		return 1;
	while (isspace((unsigned char)*value) || (unsigned char)*value < 0x20 || *value == 0x7f) {
		if (*value == '\0')
			break;
		value++;
	}
	snprintf(v, sizeof(v), "%s", value);
	camera_cut_utf8(v, strlen(value));
	for (char *s = v; *s; s++)       /* one line, as every table cell shows it */
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
	n = strlen(v);                   /* trimmed after the cut to size, too */
	while (n > 0 && isspace((unsigned char)v[n - 1]))
		v[--n] = '\0';
	if (n > 0)
		json_object_set_new(settings, camera_fields[f].key, json_string(v));
	return 1;
}

static bool
camera_named(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

/* An attribute of n into device[key], unless it is empty or device has key already. */
static void
camera_device_attr(xmlNodePtr n, const char *attr, json_t *device, const char *key)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)attr);

	if (v && *v && !json_object_get(device, key))
		json_object_set_new(device, key, json_string((const char *)v));
	xmlFree(v);
}

/* The single text child of n, or NULL. */
static const char *
camera_leaf_text(xmlNodePtr n)
{
	xmlNodePtr c = n->children;

	return c && c->next == NULL && c->type == XML_TEXT_NODE ? (const char *)c->content : NULL;
}

static void
camera_walk(xmlNodePtr n, json_t *settings, json_t *device, int depth)
{
	for (; n != NULL; n = n->next) {
		xmlChar *name, *value;
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (camera_named(n, "Device")) {
			camera_device_attr(n, "manufacturer", device, "make");
			camera_device_attr(n, "modelName", device, "model");
			camera_device_attr(n, "serialNo", device, "serial");
		} else if (camera_named(n, "Lens")) {
			camera_device_attr(n, "modelName", device, "lens");
		}
		name = xmlGetProp(n, (const xmlChar *)"name");
		value = xmlGetProp(n, (const xmlChar *)"value");
		if (name && value)
			camera_take(settings, (const char *)name, (const char *)value);
		else if (camera_leaf_text(n))
			camera_take(settings, (const char *)n->name, camera_leaf_text(n));
		xmlFree(name);
		xmlFree(value);
		if (depth < 16)
			camera_walk(n->children, settings, device, depth + 1);
	}
}

int
camera_from_xml(const char *text, size_t len, json_t *settings, json_t *device,
    struct err *err)
{
	xmlParserCtxtPtr ctxt;
	xmlDocPtr doc;

	if (len > CAMERA_XML_MAX)
		return err_set(err, SP_ETOOBIG, "clip XML: %zu bytes, more than %d", len,
		    CAMERA_XML_MAX);
	xml_quiet();
	if ((ctxt = xmlNewParserCtxt()) == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	/* No NOENT or DTDLOAD: entities stay unexpanded and nothing is fetched. */
	doc = xmlCtxtReadMemory(ctxt, text, (int)len, "clip.xml", NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlFreeParserCtxt(ctxt);
	if (doc == NULL)
		return err_set(err, SP_EINVAL, "clip XML: not well-formed");
	camera_walk(xmlDocGetRootElement(doc), settings, device, 0);
	xmlFreeDoc(doc);
	return 0;
}
