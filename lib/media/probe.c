/* probe: technical metadata from ffprobe, or from names and sidecars for camera raw
 * (see probe.h). */
#include "lib/media/probe.h"
#include "lib/media/probe_int.h"
#include "lib/media/camera.h"
#include "lib/media/ffmpeg.h"
#include "lib/media/frameseq.h"
#include "lib/core/xml_quiet.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#define PROBE_JSON_MAX (32u << 20)

void
probe_init(struct probe *p)
{
	memset(p, 0, sizeof(*p));
	p->duration_frames = -1;
	p->first_frame_number = -1;
	p->sar_num = p->sar_den = 1;
	p->tags = json_object();
	p->vendor = json_object();
	p->camera = json_object();
}

void
probe_release(struct probe *p)
{
	json_decref(p->tags);
	json_decref(p->vendor);
	json_decref(p->camera);
	p->tags = p->vendor = p->camera = NULL;
}

/* --- small helpers ---------------------------------------------------------------------- */

void
probe_copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

static const char *
probe_str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static long long
probe_ll(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	const char *s = json_string_value(v);

	if (json_is_integer(v))
		return (long long)json_integer_value(v);
	return s ? strtoll(s, NULL, 10) : 0;
}

static double
probe_double(json_t *o, const char *key)
{
	const char *s = probe_str(o, key);
	double d = s ? strtod(s, NULL) : 0;

	return isfinite(d) && d > 0 ? d : 0;
}

static unsigned
probe_gcd(unsigned a, unsigned b)
{
	while (b) {
		unsigned t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/* "24000/1001" -> 24000, 1001 (reduced); false for "0/0" and nonsense. */
static bool
probe_ratio(const char *s, unsigned *num, unsigned *den)
{
	unsigned long n, d;
	char *end;

	if (s == NULL)
		return false;
	n = strtoul(s, &end, 10);
	if (*end != '/' && *end != ':')
		return false;
	d = strtoul(end + 1, &end, 10);
	if (*end || n == 0 || d == 0 || n > 10000000 || d > 10000000)
		return false;
	*num = (unsigned)n / probe_gcd((unsigned)n, (unsigned)d);
	*den = (unsigned)d / probe_gcd((unsigned)n, (unsigned)d);
	return true;
}

static bool
probe_is_tc(const char *s)
{
	return s && strlen(s) == 11 && isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) &&
	    strchr(":;", s[2]) && strchr(":;", s[5]) && strchr(":;.", s[8]);
}

static void
probe_set_tc(struct probe *p, const char *tc)
{
	if (p->start_tc[0] || !probe_is_tc(tc))
		return;
	probe_copy(p->start_tc, sizeof(p->start_tc), tc);
	p->drop_frame = timecode_label_is_drop(tc);
}

/* Bit depth of decoded pictures from the pixel format's name: the number it ends with
 * (yuv422p10le -> 10, p010le -> 10, gray16be -> 16), 8 otherwise (yuv420p, nv12). */
static int
probe_pixfmt_depth(const char *pix)
{
	size_t n = pix ? strlen(pix) : 0;
	int d;

	if (n == 0 || strncmp(pix, "nv", 2) == 0)
		return 8;
	if (n > 2 && (strcmp(pix + n - 2, "le") == 0 || strcmp(pix + n - 2, "be") == 0))
		n -= 2;
	while (n > 0 && isdigit((unsigned char)pix[n - 1]))
		n--;
	d = (int)strtol(pix + n, NULL, 10);
	return d == 9 || d == 10 || d == 12 || d == 14 || d == 16 ? d : 8;
}

/* --- tags: camera, lens, reel ----------------------------------------------------------- */

/* Tag names seen in QuickTime, MXF and camera files; the first found wins. Only the
 * com.apple.quicktime.* names and MXF's company/product names are checked against files;
 * the others are common spellings [unverified]. */
static const char *const probe_make_keys[] = { "com.apple.quicktime.make", "make",
	"manufacturer", "company_name", "camera_manufacturer", NULL };
static const char *const probe_model_keys[] = { "com.apple.quicktime.model", "model",
	"camera_model", "camera_type", "product_name", NULL };
static const char *const probe_serial_keys[] = { "com.apple.quicktime.camera.identifier",
	"camera_serial", "serial_number", "camera_serial_number", "serial", NULL };
static const char *const probe_lens_keys[] = { "com.apple.quicktime.camera.lens_model",
	"lens_model", "lens", "lens_type", NULL };

static bool
probe_key_is(const char *key, const char *const *names)
{
	for (; *names; names++)
		if (strcasecmp(key, *names) == 0)
			return true;
	return false;
}

/* Keeps every tag that names a camera, lens, reel or timecode in p->tags, and fills the
 * make/model/serial/lens fields from the known names. */
static void
probe_scan_tags(struct probe *p, json_t *tags)
{
	static const char *const keep[] = { "camera", "lens", "focal", "iris", "focus", "serial",
		"make", "model", "reel", "tape", "timecode", "company", "product", "manufacturer", NULL };
	const char *key;
	json_t *v;

	json_object_foreach(tags, key, v) {
		const char *s = json_string_value(v);
		char low[128];
		size_t i;
		if (s == NULL)
			continue;
		for (i = 0; key[i] && i < sizeof(low) - 1; i++)
			low[i] = (char)tolower((unsigned char)key[i]);
		low[i] = '\0';
		for (const char *const *k = keep; *k; k++)
			if (strstr(low, *k) && json_object_size(p->tags) < 64) {
				json_object_set_new(p->tags, key, json_string(s));
				break;
			}
		camera_take(p->camera, key, s);
		if (!p->make[0] && probe_key_is(key, probe_make_keys))
			probe_copy(p->make, sizeof(p->make), s);
		if (!p->model[0] && probe_key_is(key, probe_model_keys))
			probe_copy(p->model, sizeof(p->model), s);
		if (!p->serial[0] && probe_key_is(key, probe_serial_keys))
			probe_copy(p->serial, sizeof(p->serial), s);
		if (!p->lens[0] && probe_key_is(key, probe_lens_keys))
			probe_copy(p->lens, sizeof(p->lens), s);
		if (!p->reel[0] && (strcasecmp(key, "reel_name") == 0 || strcasecmp(key, "tape") == 0 ||
		    strcasecmp(key, "reel") == 0))
			probe_copy(p->reel, sizeof(p->reel), s);
	}
}

/* --- ffprobe JSON ----------------------------------------------------------------------- */

/* What a video stream whose codec ffprobe does not know needs. */
static void
probe_unknown_codec(struct probe *p)
{
	const char *tag = p->codec_tag;

	p->decodable = false;
	snprintf(p->status, sizeof(p->status), "vendor_tool");
	if (strcmp(tag, "brvl") == 0)
		snprintf(p->vendor_tool, sizeof(p->vendor_tool), "Blackmagic RAW: needs Blackmagic's "
		    "software (DaVinci Resolve, Blackmagic RAW SDK)");
	else if (strcmp(tag, "aprn") == 0 || strcmp(tag, "aprh") == 0)
		snprintf(p->vendor_tool, sizeof(p->vendor_tool), "ProRes RAW: needs Apple's software "
		    "(Final Cut Pro, Compressor) or a newer FFmpeg");
	else if (strstr(p->container, "mxf"))
		snprintf(p->vendor_tool, sizeof(p->vendor_tool), "MXF with a picture essence ffmpeg "
		    "cannot decode (Sony X-OCN or ARRIRAW in MXF?): needs the camera maker's software");
	else
		snprintf(p->vendor_tool, sizeof(p->vendor_tool), "a video codec ffmpeg cannot decode "
		    "(tag '%s'): needs the camera maker's software", tag[0] ? tag : "?");
}

static void
probe_video_stream(struct probe *p, json_t *s)
{
	const char *codec = probe_str(s, "codec_name");
	long long nb = probe_ll(s, "nb_frames");
	unsigned n, d;

	p->video_streams++;
	if (p->video_streams > 1)
		return;
	probe_copy(p->codec, sizeof(p->codec), codec);
	probe_copy(p->codec_long, sizeof(p->codec_long), probe_str(s, "codec_long_name"));
	probe_copy(p->codec_tag, sizeof(p->codec_tag), probe_str(s, "codec_tag_string"));
	probe_copy(p->profile, sizeof(p->profile), probe_str(s, "profile"));
	probe_copy(p->pix_fmt, sizeof(p->pix_fmt), probe_str(s, "pix_fmt"));
	probe_copy(p->field_order, sizeof(p->field_order), probe_str(s, "field_order"));
	p->width = (int)probe_ll(s, "width");
	p->height = (int)probe_ll(s, "height");
	/* What the decoder hands to filters, not what the camera recorded. */
	p->bit_depth = p->pix_fmt[0] ? probe_pixfmt_depth(p->pix_fmt) :
	    (int)probe_ll(s, "bits_per_raw_sample");
	if (probe_ratio(probe_str(s, "sample_aspect_ratio"), &n, &d)) {
		p->sar_num = (int)n;
		p->sar_den = (int)d;
	}
	if (probe_ratio(probe_str(s, "r_frame_rate"), &n, &d) ||
	    probe_ratio(probe_str(s, "avg_frame_rate"), &n, &d)) {
		p->fps_num = n;
		p->fps_den = d;
	}
	if (probe_double(s, "duration") > 0)
		p->duration = probe_double(s, "duration");
	if (nb > 0)
		p->duration_frames = nb;
	probe_set_tc(p, probe_str(json_object_get(s, "tags"), "timecode"));
	probe_scan_tags(p, json_object_get(s, "tags"));
	p->decodable = codec && *codec && strcmp(codec, "none") != 0;
	if (!p->decodable)
		probe_unknown_codec(p);
}

static void
probe_audio_stream(struct probe *p, json_t *s)
{
	int ch = (int)probe_ll(s, "channels");

	p->audio_streams++;
	p->audio_channels += ch > 0 ? ch : 0;
	if (p->audio_streams > 1)
		return;
	p->audio_sample_rate = (int)probe_ll(s, "sample_rate");
	probe_copy(p->audio_codec, sizeof(p->audio_codec), probe_str(s, "codec_name"));
}

/* tmcd (QuickTime timecode track) and other data streams. */
static void
probe_data_stream(struct probe *p, json_t *s, const char **tmcd_tc)
{
	json_t *tags = json_object_get(s, "tags");

	if (strcmp(probe_str(s, "codec_tag_string") ? probe_str(s, "codec_tag_string") : "",
	    "tmcd") == 0 && probe_str(tags, "timecode"))
		*tmcd_tc = probe_str(tags, "timecode");
	probe_scan_tags(p, tags);
}

static void
probe_streams(struct probe *p, json_t *streams, const char **tmcd_tc)
{
	size_t i;
	json_t *s;

	json_array_foreach(streams, i, s) {
		const char *type = probe_str(s, "codec_type");
		json_t *disp = json_object_get(s, "disposition");
		if (type == NULL)
			continue;
		if (strcmp(type, "video") == 0 &&
		    json_integer_value(json_object_get(disp, "attached_pic")) == 0)
			probe_video_stream(p, s);
		else if (strcmp(type, "audio") == 0)
			probe_audio_stream(p, s);
		else if (strcmp(type, "data") == 0)
			probe_data_stream(p, s, tmcd_tc);
	}
}

/* Derived fields once every stream was read. */
static void
probe_finish(struct probe *p, json_t *format)
{
	if (p->duration <= 0)
		p->duration = probe_double(format, "duration");
	p->bit_rate = probe_ll(format, "bit_rate");
	if (p->duration_frames < 0 && p->fps_num > 0 && p->duration > 0)
		p->duration_frames = llround(p->duration * p->fps_num / p->fps_den);
	if (p->video_streams == 0) {
		/* Sound only (BWF from a recorder): decodable when ffmpeg knows the codec. */
		probe_copy(p->codec, sizeof(p->codec), p->audio_codec);
		p->decodable = p->audio_codec[0] != '\0';
		if (!p->decodable)
			snprintf(p->vendor_tool, sizeof(p->vendor_tool), "an audio codec ffmpeg cannot "
			    "decode");
	}
	if (p->decodable)
		snprintf(p->status, sizeof(p->status), "probed");
	else
		snprintf(p->status, sizeof(p->status), "vendor_tool");
}

/* creation_time ("2026-12-07T14:05:38.000000Z") as the camera's clock wrote it: the first 19
 * characters when they are a date and time. No zone is applied: a camera's clock is the time
 * of day the crew set, like the sound recorder's it is compared with (migration 0071). */
static void
probe_set_recorded(struct probe *p, const char *s, const char *source)
{
	struct tm tm = { 0 };
	char at[20];
	const char *end;

	if (p->recorded_at[0] || s == NULL || strlen(s) < 19)
		return;
	snprintf(at, sizeof(at), "%.19s", s);
	at[10] = 'T';
	if ((end = strptime(at, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL || *end || tm.tm_year <= 70)
		return;   /* 1970: a camera whose clock was never set */
	memcpy(p->recorded_at, at, sizeof(at));
	probe_copy(p->recorded_at_source, sizeof(p->recorded_at_source), source);
}

int
probe_parse(const char *json, size_t len, const char *name, struct probe *p, struct err *err)
{
	json_error_t jerr;
	json_t *root = json_loadb(json, len, 0, &jerr), *format, *streams;
	const char *tmcd_tc = NULL;
	int rc = 0;

	format = json_object_get(root, "format");
	streams = json_object_get(root, "streams");
	if (!json_is_object(root) || !json_is_object(format) || !json_is_array(streams)) {
		rc = err_set(err, SP_EINVAL, "%s: ffprobe's output is not the JSON expected", name);
		goto out;
	}
	probe_copy(p->container, sizeof(p->container), probe_str(format, "format_name"));
	probe_copy(p->container_long, sizeof(p->container_long), probe_str(format, "format_long_name"));
	/* MXF: the material package's timecode comes first (CARDS.md 8). */
	probe_set_tc(p, probe_str(json_object_get(format, "tags"), "timecode"));
	probe_streams(p, streams, &tmcd_tc);
	if (p->video_streams == 0 && p->audio_streams == 0) {
		rc = err_set(err, SP_EUNSUPPORTED, "%s: no picture or sound stream in it", name);
		goto out;
	}
	/* Then the tmcd track's, before the video stream's tag (read above, so reset first). */
	if (tmcd_tc && probe_str(json_object_get(format, "tags"), "timecode") == NULL) {
		p->start_tc[0] = '\0';
		probe_set_tc(p, tmcd_tc);
	}
	probe_scan_tags(p, json_object_get(format, "tags"));
	probe_set_recorded(p, probe_str(json_object_get(format, "tags"), "creation_time"),
	    "creation_time");
	for (size_t i = 0; i < json_array_size(streams) && !p->recorded_at[0]; i++)
		if (strcmp(probe_str(json_array_get(streams, i), "codec_type") ?
		    probe_str(json_array_get(streams, i), "codec_type") : "", "video") == 0)
			probe_set_recorded(p, probe_str(json_object_get(json_array_get(streams, i),
			    "tags"), "creation_time"), "creation_time");
	probe_finish(p, format);
out:
	json_decref(root);
	return rc;
}

/* --- names and containers --------------------------------------------------------------- */

static const struct {
	const char *ext;
	const char *family;     /* substring of ffprobe's format_name */
	const char *label;
} probe_containers[] = {
	{ "mov", "mov", "QuickTime" },
	{ "mp4", "mov", "MPEG-4" },
	{ "m4v", "mov", "MPEG-4" },
	{ "mxf", "mxf", "MXF" },
	{ "wav", "wav", "WAV" },
	{ "bwf", "wav", "WAV" },
	{ "mkv", "matroska", "Matroska" },
	{ "avi", "avi", "AVI" },
	{ "mts", "mpegts", "MPEG-TS" },
	{ "m2ts", "mpegts", "MPEG-TS" },
};

static const char *
probe_ext(const char *name)
{
	const char *slash = strrchr(name, '/'), *dot = strrchr(name, '.');

	return dot && (!slash || dot > slash) ? dot + 1 : "";
}

/* A short name for ffprobe's format_name ("mov,mp4,..." -> "QuickTime/MPEG-4"). */
static const char *
probe_family_label(const char *format)
{
	for (size_t i = 0; i < sizeof(probe_containers) / sizeof(probe_containers[0]); i++)
		if (strstr(format, probe_containers[i].family))
			return probe_containers[i].label;
	return format;
}

int
probe_check_name(const char *name, const struct probe *p, struct err *err)
{
	const char *ext = probe_ext(name);

	for (size_t i = 0; i < sizeof(probe_containers) / sizeof(probe_containers[0]); i++) {
		if (strcasecmp(ext, probe_containers[i].ext) != 0)
			continue;
		if (strstr(p->container, probe_containers[i].family))
			return 0;
		return err_set(err, SP_EUNSUPPORTED, "%s: its name says %s (.%s) but it holds %s "
		    "(%s): the name lies about its type", name, probe_containers[i].label, ext,
		    probe_family_label(p->container), p->container);
	}
	return 0;
}

static const struct {
	const char *ext;
	const char *codec;      /* our name for it (ffmpeg has none) */
	const char *tool;
} probe_raw[] = {
	{ "ari", "arriraw", "ARRIRAW: needs ARRI's software (ARRI Reference Tool, or an "
	    "ARRI-licensed application) to decode" },
	{ "arx", "arriraw_hde", "ARRIRAW HDE: needs ARRI's software (ARRI Reference Tool) to "
	    "decode" },
	{ "r3d", "redcode", "REDCODE RAW: needs RED's software (REDline, REDCINE-X PRO, RED SDK) "
	    "to decode" },
	{ "braw", "braw", "Blackmagic RAW: needs Blackmagic's software (DaVinci Resolve, "
	    "Blackmagic RAW SDK) to decode" },
	{ "crm", "cinema_raw_light", "Canon Cinema RAW Light: needs Canon's software (Cinema RAW "
	    "Development) to decode" },
	{ "dng", "cinemadng", "CinemaDNG: needs a raw developer (DaVinci Resolve, or the camera "
	    "maker's software) to decode" },
};

const char *
probe_vendor_tool(const char *name)
{
	const char *ext = probe_ext(name);

	for (size_t i = 0; i < sizeof(probe_raw) / sizeof(probe_raw[0]); i++)
		if (strcasecmp(ext, probe_raw[i].ext) == 0)
			return probe_raw[i].tool;
	return NULL;
}

/* Vendor naming rules (CARDS.md): which parts of the name are camera, reel and clip. */
static const struct {
	const char *vendor;
	const char *re;
	int cam, reel, clip, tape_extra;   /* subexpression numbers (0: none) */
} probe_names[] = {
	{ "ARRI", "^([A-Z])([0-9]{3})[CD]([0-9]{3})_([0-9]{6}|[0-9]{8})_([A-Z0-9]{4})", 1, 2, 3, 5 },
	{ "ARRI", "^([A-Z][A-Z_])([0-9]{4})C([0-9]{3})_", 1, 2, 3, 0 },
	{ "RED", "^([A-Z])([0-9]{3})_C([0-9]{3})_([0-9]{4})([A-Z0-9]{2})", 1, 2, 3, 0 },
	{ "Blackmagic", "^([A-Z])([0-9]{3})_([0-9]{8})_[CS]([0-9]{3})", 1, 2, 4, 0 },
	{ "Canon", "^([A-Z][A-Z_]?)([0-9]{3,4})[CD]([0-9]{3})", 1, 2, 3, 0 },
};

static void
probe_sub(const char *s, const regmatch_t *m, int i, char *out, size_t len)
{
	out[0] = '\0';
	if (i > 0 && m[i].rm_so >= 0)
		snprintf(out, len, "%.*s", (int)(m[i].rm_eo - m[i].rm_so), s + m[i].rm_so);
}

/* Fills vendor/camera/reel/clip from the name; false when no rule matches. */
static bool
probe_name_rules(const char *base, struct probe *p)
{
	regmatch_t m[8];
	char cam[8], reel[8], clip[8], extra[8];

	for (size_t i = 0; i < sizeof(probe_names) / sizeof(probe_names[0]); i++) {
		regex_t re;
		int hit;
		if (regcomp(&re, probe_names[i].re, REG_EXTENDED) != 0)
			continue;
		hit = regexec(&re, base, 8, m, 0) == 0;
		regfree(&re);
		if (!hit)
			continue;
		probe_sub(base, m, probe_names[i].cam, cam, sizeof(cam));
		probe_sub(base, m, probe_names[i].reel, reel, sizeof(reel));
		probe_sub(base, m, probe_names[i].clip, clip, sizeof(clip));
		probe_sub(base, m, probe_names[i].tape_extra, extra, sizeof(extra));
		json_object_set_new(p->vendor, "naming", json_string(probe_names[i].vendor));
		json_object_set_new(p->vendor, "camera_index", json_string(cam));
		json_object_set_new(p->vendor, "reel_number", json_string(reel));
		json_object_set_new(p->vendor, "clip_number", json_string(clip));
		/* ARRI's 8-character tape name: camera index + reel + camera ID (A004R1JL). */
		if (!p->reel[0])
			snprintf(p->reel, sizeof(p->reel), "%s%s%s", cam, reel, extra);
		if (!p->make[0])
			probe_copy(p->make, sizeof(p->make), probe_names[i].vendor);
		return true;
	}
	return false;
}

void
probe_from_name(const char *name, int nfiles, struct probe *p)
{
	const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
	const char *tool = probe_vendor_tool(name);
	const char *dot;

	snprintf(p->status, sizeof(p->status), "vendor_tool");
	p->decodable = false;
	probe_copy(p->vendor_tool, sizeof(p->vendor_tool), tool ? tool :
	    "a format ffmpeg cannot decode: needs the camera maker's software");
	for (size_t i = 0; i < sizeof(probe_raw) / sizeof(probe_raw[0]); i++)
		if (strcasecmp(probe_ext(name), probe_raw[i].ext) == 0)
			probe_copy(p->codec, sizeof(p->codec), probe_raw[i].codec);
	probe_name_rules(base, p);
	/* ARRIRAW, CinemaDNG: one file per frame, numbered (ARRI: from the start timecode):
	 * <clip>.0049275.ari, <clip>_000000.dng */
	if (strcasecmp(probe_ext(name), "ari") == 0 || strcasecmp(probe_ext(name), "arx") == 0 ||
	    strcasecmp(probe_ext(name), "dng") == 0) {
		p->duration_frames = nfiles;
		dot = strrchr(base, '.');
		while (dot && dot > base && isdigit((unsigned char)dot[-1]))
			dot--;
		if (dot && dot > base && isdigit((unsigned char)*dot))
			p->first_frame_number = strtoll(dot, NULL, 10);
	}
	json_object_set_new(p->vendor, "files", json_integer(nfiles));
}

/* Case-insensitive "contains". */
static bool
probe_has(const char *s, const char *word)
{
	return strcasestr(s, word) != NULL;
}

static void
probe_rate_from(struct probe *p, const char *s)
{
	struct timecode_rate r;

	if (p->fps_num == 0 && s && timecode_rate_parse(s, &r, NULL) == 0) {
		p->fps_num = r.num;
		p->fps_den = r.den;
	}
}

/* The first element named name (any namespace) under n, depth first. */
static xmlNode *
probe_xml_find(xmlNode *n, const char *name)
{
	for (; n; n = n->next) {
		xmlNode *f;
		if (n->type == XML_ELEMENT_NODE && xmlStrcmp(n->name, BAD_CAST name) == 0)
			return n;
		if ((f = probe_xml_find(n->children, name)) != NULL)
			return f;
	}
	return NULL;
}

int
probe_from_sony_xml(const char *text, size_t len, struct probe *p, struct err *err)
{
	xmlDoc *doc;
	xmlNode *root, *n;
	xmlChar *v;

	if (len > INT_MAX)
		return err_set(err, SP_EINVAL, "Sony XML: too large");
	xml_quiet();
	doc = xmlReadMemory(text, (int)len, "M01.XML", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
	    XML_PARSE_NOWARNING);
	root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (root == NULL || xmlStrcmp(root->name, BAD_CAST "NonRealTimeMeta") != 0) {
		xmlFreeDoc(doc);
		return err_set(err, SP_EINVAL, "Sony XML: not a NonRealTimeMeta document");
	}
	n = probe_xml_find(root->children, "CreationDate");
	v = n ? xmlGetProp(n, BAD_CAST "value") : NULL;
	/* "2026-12-07T14:05:38+01:00": the camera's clock, its zone dropped as creation_time's */
	probe_set_recorded(p, (const char *)v, "Sony XML CreationDate");
	xmlFree(v);
	xmlFreeDoc(doc);
	return 0;
}

int
probe_from_sidecar(const char *text, size_t len, struct probe *p, struct err *err)
{
	json_t *j = json_loadb(text, len, 0, NULL), *v;
	const char *key;

	if (!json_is_object(j)) {
		json_decref(j);
		return err_set(err, SP_EINVAL, "sidecar: not a JSON object");
	}
	/* Field names in .sidecar files are not documented publicly [unverified]: keep the whole
	 * object, and pick what the key names make plain. */
	json_object_foreach(j, key, v) {
		char num[32];
		const char *s = json_string_value(v);
		if (json_is_number(v)) {
			snprintf(num, sizeof(num), "%g", json_number_value(v));
			s = num;
		}
		if (s == NULL)
			continue;
		camera_take(p->camera, key, s);
		if (probe_has(key, "lens") || probe_has(key, "focal") || probe_has(key, "iris"))
			json_object_set_new(p->tags, key, json_string(s));
		else if (probe_has(key, "serial") && !p->serial[0])
			probe_copy(p->serial, sizeof(p->serial), s);
		else if (probe_has(key, "camera") && (probe_has(key, "type") || probe_has(key, "model")))
			probe_copy(p->model, sizeof(p->model), s);
		else if (probe_has(key, "timecode"))
			probe_set_tc(p, s);
		else if (probe_has(key, "frame_rate") || probe_has(key, "framerate") ||
		    probe_has(key, "sensor_rate") || strcasecmp(key, "fps") == 0)
			probe_rate_from(p, s);
		if (probe_has(key, "lens") && !p->lens[0] && json_is_string(v))
			probe_copy(p->lens, sizeof(p->lens), s);
	}
	json_object_set_new(p->vendor, "sidecar", j);
	return 0;
}

int
probe_apply_row(struct probe *p, const char *fps, const char *start_tc, const char *tape)
{
	probe_rate_from(p, fps);
	probe_set_tc(p, start_tc);
	if (!p->reel[0] && tape)
		probe_copy(p->reel, sizeof(p->reel), tape);
	return 0;
}

/* A value of the maker's clip XML into dst when it has one. */
static void
probe_xml_take(char *dst, size_t len, const json_t *dev, const char *key)
{
	const char *v = json_string_value(json_object_get(dev, key));

	if (v && *v)
		probe_copy(dst, len, v);
}

int
probe_from_xml(const char *text, size_t len, struct probe *p, struct err *err)
{
	json_t *dev = json_object();
	int rc = camera_from_xml(text, len, p->camera, dev, err);

	/* The XML's Device names the camera; an MXF's identification (company_name,
	 * product_name) names whatever wrote the file, which is the camera only on a camera. */
	if (rc == 0) {
		probe_xml_take(p->make, sizeof(p->make), dev, "make");
		probe_xml_take(p->model, sizeof(p->model), dev, "model");
		probe_xml_take(p->serial, sizeof(p->serial), dev, "serial");
		if (!p->lens[0])
			probe_xml_take(p->lens, sizeof(p->lens), dev, "lens");
	}
	json_decref(dev);
	return rc;
}

int
probe_add_camera_tag(struct probe *p, const char *key, const char *value)
{
	if (value && *value && camera_take(p->camera, key, value))
		return 1;
	if (!value || !*value || !(probe_has(key, "lens") || probe_has(key, "focal") ||
	    probe_has(key, "camera") || probe_has(key, "serial")))
		return 0;
	json_object_set_new(p->tags, key, json_string(value));
	return 1;
}

/* --- running ffprobe -------------------------------------------------------------------- */

/* ffprobe's last error line without the path it starts with. */
static void
probe_reason(const char *tail, const char *path, char *out, size_t len)
{
	char line[600];
	const char *s = line;
	size_t pl = strlen(path);

	ffmpeg_last_lines(tail, 1, line, sizeof(line));
	if (strncmp(s, "file:", 5) == 0)
		s += 5;
	if (strncmp(s, path, pl) == 0 && s[pl] == ':')
		s += pl + 1;
	while (*s == ' ')
		s++;
	snprintf(out, len, "%s", *s ? s : "no message");
}

/* What the first bytes say the file is: "quicktime", "wav", "mxf", or NULL. */
static const char *
probe_sniff(const char *path, char *start, size_t len)
{
	static const char *const atoms[] = { "ftyp", "moov", "mdat", "wide", "free", "skip",
		"pnot", "uuid", NULL };
	unsigned char b[16] = { 0 };
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(b, 1, sizeof(b), f) : 0, o = 0;

	if (f)
		fclose(f);
	for (size_t i = 0; i < n && i < 8 && o + 5 < len; i++)
		o += (size_t)snprintf(start + o, len - o, isprint(b[i]) ? "%c" : "\\x%02x", b[i]);
	start[o] = '\0';
	if (n >= 8)
		for (const char *const *a = atoms; *a; a++)
			if (memcmp(b + 4, *a, 4) == 0)
				return "quicktime";
	if (n >= 12 && (memcmp(b, "RIFF", 4) == 0 || memcmp(b, "RF64", 4) == 0) &&
	    memcmp(b + 8, "WAVE", 4) == 0)
		return "wav";
	if (n >= 4 && memcmp(b, "\x06\x0e\x2b\x34", 4) == 0)
		return "mxf";
	return NULL;
}

/* Why ffprobe could not read a file, in words a DIT can act on. */
static int
probe_failed(const char *path, const char *name, const char *tail, struct err *err)
{
	char why[600], start[48];
	const char *kind = probe_sniff(path, start, sizeof(start));

	probe_reason(tail, path, why, sizeof(why));
	if (kind && strcmp(kind, "quicktime") == 0 && strstr(tail, "moov atom not found"))
		return err_set(err, SP_EUNSUPPORTED, "%s: ffmpeg cannot read it: a QuickTime file cut "
		    "short or damaged (no moov atom: the recording was not finished, or the copy is "
		    "incomplete)", name);
	if (kind == NULL)
		return err_set(err, SP_EUNSUPPORTED, "%s: not a media file: it starts with \"%s\", "
		    "not the header of a container ffmpeg knows (ffprobe: %s)", name, start, why);
	return err_set(err, SP_EUNSUPPORTED, "%s: ffmpeg cannot read this %s file, it is damaged: "
	    "%s", name, kind, why);
}

/* What a sequence's first frame said that ffprobe cannot: its start timecode, and whether
 * the rate was the files' or assumed. */
static void
probe_sequence(struct probe *p, const struct media_input *in)
{
	const char *name = strrchr(in->seq.pattern, '/');

	if (in->seq.timecode[0])
		probe_set_tc(p, in->seq.timecode);
	/* the files' name pattern, not where this host keeps them */
	json_object_set_new(p->vendor, "frame_sequence", json_string(name ? name + 1 :
	    in->seq.pattern));
	json_object_set_new(p->vendor, "first_frame", json_integer((json_int_t)in->seq.start));
	json_object_set_new(p->vendor, "frame_rate_source", json_string(in->rate_assumed ?
	    "assumed: the files' headers do not say" : "the files' headers"));
	p->first_frame_number = (long long)in->seq.start;
}

int
probe_file(const char *path, const char *name, struct probe *p,
    bool (*canceled)(void *), void *cancel_arg, struct err *err)
{
	static const char *const head[] = { "ffprobe", "-v", "error", "-print_format", "json",
		"-show_format", "-show_streams" };
	const char *argv[sizeof(head) / sizeof(head[0]) + 13];
	char tail[FFMPEG_TAIL];
	struct media_input *in;
	struct stat st;
	struct buf out;
	size_t n = 0;
	int rc;

	if (stat(path, &st) < 0)
		return err_errno(err, SP_EIO, errno, "%s", name);
	if (st.st_size == 0)
		return err_set(err, SP_EUNSUPPORTED, "%s: the file is empty (0 bytes)", name);
	if ((in = malloc(sizeof(*in))) == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	/* A frame of a DPX or OpenEXR sequence: the whole sequence, not one still */
	if ((rc = media_input_of(path, in, err)) < 0) {
		free(in);
		return rc;
	}
	for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++)
		argv[n++] = head[i];
	for (int i = 0; i < in->argc; i++)
		argv[n++] = in->argv[i];
	argv[n] = NULL;
	rc = ffmpeg_capture(argv, &out, PROBE_JSON_MAX, canceled, cancel_arg, tail, sizeof(tail), err);
	if (rc == SP_EIO)
		rc = probe_failed(path, name, tail, err);
	if (rc == 0)
		rc = probe_parse(out.data ? out.data : "", out.len, name, p, err);
	if (rc == 0 && in->sequence)
		probe_sequence(p, in);
	buf_release(&out);
	free(in);
	return rc;
}

int
probe_timecode(const struct probe *p, long long frame, char out[TIMECODE_BUFSZ])
{
	struct timecode_rate rate;
	char label[TIMECODE_BUFSZ];
	int64_t start = 0;

	out[0] = '\0';
	/* A ';' label at a rate without drop-frame counts as non-drop. */
	if (timecode_rate_make(p->fps_num, p->fps_den, p->drop_frame, &rate, NULL) < 0 &&
	    (!p->drop_frame || timecode_rate_make(p->fps_num, p->fps_den, false, &rate, NULL) < 0))
		return SP_EINVAL;
	snprintf(label, sizeof(label), "%s", p->start_tc);
	for (char *c = label; !rate.drop && *c; c++)
		if (*c == ';')
			*c = ':';
	if (label[0] && timecode_parse(label, &rate, &start, NULL) < 0)
		start = 0;
	return timecode_format(&rate, start + frame, out, NULL);
}

/* --- JSON view -------------------------------------------------------------------------- */

static json_t *
probe_jstr(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

static json_t *
probe_jint(long long v)
{
	return v > 0 ? json_integer(v) : json_null();
}

json_t *
probe_to_json(const struct probe *p)
{
	json_t *j = json_object();

	json_object_set_new(j, "status", json_string(p->status));
	json_object_set_new(j, "decodable", json_boolean(p->decodable));
	json_object_set_new(j, "vendor_tool", probe_jstr(p->vendor_tool));
	json_object_set_new(j, "container", probe_jstr(p->container));
	json_object_set_new(j, "codec", probe_jstr(p->codec));
	json_object_set_new(j, "codec_long", probe_jstr(p->codec_long));
	json_object_set_new(j, "profile", probe_jstr(p->profile));
	json_object_set_new(j, "pix_fmt", probe_jstr(p->pix_fmt));
	json_object_set_new(j, "bit_depth", probe_jint(p->bit_depth));
	json_object_set_new(j, "width", probe_jint(p->width));
	json_object_set_new(j, "height", probe_jint(p->height));
	json_object_set_new(j, "fps_num", probe_jint(p->fps_num));
	json_object_set_new(j, "fps_den", probe_jint(p->fps_den));
	json_object_set_new(j, "duration_frames", p->duration_frames >= 0 ?
	    json_integer(p->duration_frames) : json_null());
	json_object_set_new(j, "duration_seconds", p->duration > 0 ? json_real(p->duration) :
	    json_null());
	json_object_set_new(j, "start_tc", probe_jstr(p->start_tc));
	json_object_set_new(j, "drop_frame", json_boolean(p->drop_frame));
	json_object_set_new(j, "reel", probe_jstr(p->reel));
	json_object_set_new(j, "audio_channels", json_integer(p->audio_channels));
	json_object_set_new(j, "audio_sample_rate", probe_jint(p->audio_sample_rate));
	json_object_set_new(j, "camera", json_pack("{s:o,s:o,s:o}", "make", probe_jstr(p->make),
	    "model", probe_jstr(p->model), "serial", probe_jstr(p->serial)));
	json_object_set_new(j, "lens", probe_jstr(p->lens));
	json_object_set_new(j, "recorded_at", probe_jstr(p->recorded_at));
	json_object_set_new(j, "camera_settings", json_deep_copy(p->camera));
	json_object_set_new(j, "tags", json_deep_copy(p->tags));
	json_object_set_new(j, "vendor", json_deep_copy(p->vendor));
	return j;
}
