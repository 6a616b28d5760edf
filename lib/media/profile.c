/* profile: built-in proxy profiles and the production's changes to them (see profile.h). */
#include "lib/media/profile.h"
#include "lib/media/burnin.h"
#include "lib/core/json.h"
#include "lib/core/safe_name.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define PROFILE_NAMING "{day}/{card}/{clip}_{profile}.{ext}"
#define PROFILE_H264 "-c:v libx264 -preset veryfast -profile:v high -g 48 -bf 2"
#define PROFILE_AAC "-c:a aac -b:a 192k -ar 48000"
#define PROFILE_PCM "-c:a pcm_s16le -ar 48000"

/* The default burn-in of review copies; Avid and ProRes proxies are cut, so they stay clean
 * unless the production asks. */
static json_t *profile_review;
static pthread_once_t profile_review_once = PTHREAD_ONCE_INIT;

/* Built once, never freed: read-only and shared by every thread. */
static void
profile_review_make(void)
{
	profile_review = json_pack("{s:s,s:s,s:s,s:s}", "top_left", "{clip}", "top_right",
		    "{scene}/{take}", "bottom_left", "{tc}", "bottom_right", "{frame}");
}

static json_t *
profile_review_burnin(void)
{
	pthread_once(&profile_review_once, profile_review_make);
	return profile_review;
}

static const struct profile profile_table[] = {
	{ "h264_1080", "mp4", 1920, 1080, PROFILE_H264, "10M", "yuv420p", PROFILE_AAC, false,
	  false, PROFILE_NAMING, NULL, "production" },
	{ "h264_720", "mp4", 1280, 720, PROFILE_H264, "5M", "yuv420p", PROFILE_AAC, false,
	  false, PROFILE_NAMING, NULL, "production" },
	{ "dnxhr_lb", "mxf", 1920, 1080, "-c:v dnxhd -profile:v dnxhr_lb", "", "yuv422p",
	  PROFILE_PCM, true, true, PROFILE_NAMING, NULL, "production" },
	{ "dnxhd_36", "mxf", 1920, 1080, "-c:v dnxhd", "36M", "yuv422p", PROFILE_PCM, true, true,
	  PROFILE_NAMING, NULL, "production" },
	{ "prores_proxy", "mov", 1920, 1080, "-c:v prores_ks -profile:v 0 -vendor apl0", "",
	  "yuv422p10le", PROFILE_PCM, true, false, PROFILE_NAMING, NULL, "production" },
	{ "prores_lt", "mov", 1920, 1080, "-c:v prores_ks -profile:v 1 -vendor apl0", "",
	  "yuv422p10le", PROFILE_PCM, true, false, PROFILE_NAMING, NULL, "production" },
};
#define PROFILE_NBUILTIN ((int)(sizeof(profile_table) / sizeof(profile_table[0])))

const struct profile *
profile_builtin(int *n)
{
	*n = PROFILE_NBUILTIN;
	return profile_table;
}

static void
profile_defaults(struct profile *p, const struct profile *from)
{
	*p = *from;
	if (strncmp(p->name, "h264_", 5) == 0)
		p->burnin = profile_review_burnin();
}

static int
profile_find(const struct profile_set *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->v[i].name, name) == 0)
			return i;
	return -1;
}

static bool
profile_name_ok(const char *s)
{
	if (*s == '\0' || strlen(s) >= PROFILE_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return false;
	return true;
}

/* Encoder arguments: printable, no quotes (they are split on spaces, never given to a shell). */
static bool
profile_args_ok(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == '"' || *s == '\'' || *s == '\\')
			return false;
	return true;
}

/* A name template's own characters go into file names as they are: none of the characters
 * profile_name replaces in values (control characters, DEL, backslash). */
static bool
profile_template_chars_ok(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '\\')
			return false;
	return true;
}

static int
profile_str(json_t *o, const char *key, char *dst, size_t len, const char *name,
    struct err *err)
{
	const char *s;
	int rc = json_get_string(o, key, false, len - 1, &s, err);

	if (rc < 0)
		return err_prefix(err, "settings.proxy_profiles.%s.", name);
	if (rc == 0)
		snprintf(dst, len, "%s", s);
	return 0;
}

/* Applies the fields of o onto p (named name). */
static int
profile_apply(struct profile *p, const char *name, json_t *o, struct err *err)
{
	static const char *const fields[] = { "base", "ext", "width", "height", "video",
		"video_bitrate", "pix_fmt", "audio", "scratch_track", "exact", "naming", "burnin",
		"audio_layout", NULL };
	long long v;
	int rc;

	if (json_only_fields(o, fields, err) < 0)
		return err_prefix(err, "settings.proxy_profiles.%s.", name);
	snprintf(p->name, sizeof(p->name), "%s", name);
	if ((rc = profile_str(o, "ext", p->ext, sizeof(p->ext), name, err)) < 0 ||
	    (rc = profile_str(o, "video", p->video, sizeof(p->video), name, err)) < 0 ||
	    (rc = profile_str(o, "video_bitrate", p->video_bitrate, sizeof(p->video_bitrate), name,
	    err)) < 0 ||
	    (rc = profile_str(o, "pix_fmt", p->pix_fmt, sizeof(p->pix_fmt), name, err)) < 0 ||
	    (rc = profile_str(o, "audio", p->audio, sizeof(p->audio), name, err)) < 0 ||
	    (rc = profile_str(o, "naming", p->naming, sizeof(p->naming), name, err)) < 0 ||
	    (rc = profile_str(o, "audio_layout", p->audio_layout, sizeof(p->audio_layout), name,
	    err)) < 0)
		return rc;
	if (p->audio_layout[0] && strcmp(p->audio_layout, "production") &&
	    strcmp(p->audio_layout, "camera") && strcmp(p->audio_layout, "camera+production"))
		return err_set(err, SP_EINVAL, "settings.proxy_profiles.%s.audio_layout: expected"
		    " production, camera or camera+production", name);
	if ((rc = json_get_int(o, "width", false, 64, 8192, &v, err)) < 0)
		return err_prefix(err, "settings.proxy_profiles.%s.", name);
	if (rc == 0)
		p->width = (int)v;
	if ((rc = json_get_int(o, "height", false, 64, 8192, &v, err)) < 0)
		return err_prefix(err, "settings.proxy_profiles.%s.", name);
	if (rc == 0)
		p->height = (int)v;
	if (json_get_bool(o, "scratch_track", false, &p->scratch_track, err) < 0 ||
	    json_get_bool(o, "exact", false, &p->exact, err) < 0)
		return err_prefix(err, "settings.proxy_profiles.%s.", name);
	if (json_object_get(o, "burnin")) {
		json_t *b = json_object_get(o, "burnin");
		p->burnin = json_is_null(b) ? NULL : b;
		if (p->burnin && burnin_check(p->burnin, err) < 0)
			return err_prefix(err, "settings.proxy_profiles.%s.", name);
	}
	if (strcmp(p->ext, "mp4") && strcmp(p->ext, "mov") && strcmp(p->ext, "mxf"))
		return err_set(err, SP_EINVAL, "settings.proxy_profiles.%s.ext: expected mp4, mov or mxf",
		    name);
	if (p->width % 2 || p->height % 2)
		return err_set(err, SP_EINVAL, "settings.proxy_profiles.%s.%s: must be even", name,
		    p->width % 2 ? "width" : "height");
	if (strncmp(p->video, "-c:v ", 5) != 0 || !profile_args_ok(p->video))
		return err_set(err, SP_EINVAL, "settings.proxy_profiles.%s.video: expected encoder"
		    " arguments starting with -c:v, without quotes or backslashes", name);
	if (strncmp(p->audio, "-c:a ", 5) != 0 || !profile_args_ok(p->audio))
		return err_set(err, SP_EINVAL, "settings.proxy_profiles.%s.audio: expected encoder"
		    " arguments starting with -c:a, without quotes or backslashes", name);
	if (!profile_args_ok(p->video_bitrate) || strchr(p->video_bitrate, ' ') ||
	    !profile_args_ok(p->pix_fmt) || strchr(p->pix_fmt, ' ') || p->pix_fmt[0] == '\0')
		return err_set(err, SP_EINVAL, "settings.proxy_profiles.%s.%s: expected one word",
		    name, p->pix_fmt[0] == '\0' || strchr(p->pix_fmt, ' ') ? "pix_fmt" :
		    "video_bitrate");
	if (p->naming[0] == '\0' || p->naming[0] == '/' || strstr(p->naming, "..") ||
	    !profile_template_chars_ok(p->naming))
		return err_set(err, SP_EINVAL, "settings.proxy_profiles.%s.naming: expected a relative"
		    " name template without '..', backslashes or control characters", name);
	return 0;
}

void
profile_set_release(struct profile_set *s)
{
	json_decref(s->settings);
	memset(s, 0, sizeof(*s));
}

static int
profile_load_all(json_t *settings, struct profile_set *all, struct err *err)
{
	json_t *pp = settings ? json_object_get(settings, "proxy_profiles") : NULL, *o;
	const char *name;
	int rc;

	memset(all, 0, sizeof(*all));
	for (int i = 0; i < PROFILE_NBUILTIN; i++)
		profile_defaults(&all->v[all->n++], &profile_table[i]);
	if (pp == NULL || json_is_null(pp))
		return 0;
	if (!json_is_object(pp))
		return err_set(err, SP_EINVAL, "settings.proxy_profiles: expected an object of"
		    " profiles by name");
	json_object_foreach(pp, name, o) {
		const char *base = NULL;
		int i = profile_find(all, name);
		if (!profile_name_ok(name))
			return err_set(err, SP_EINVAL, "settings.proxy_profiles.%.60s: a profile name is"
			    " 1-39 letters, digits, '_' or '-'", name);
		if (!json_is_object(o))
			return err_set(err, SP_EINVAL, "settings.proxy_profiles.%s: expected an object",
			    name);
		if (json_get_string(o, "base", false, PROFILE_NAME_MAX, &base, err) < 0)
			return err_prefix(err, "settings.proxy_profiles.%s.", name);
		if (i < 0) {
			int b = profile_find(all, base ? base : "");
			if (all->n == PROFILE_MAX)
				return err_set(err, SP_EINVAL, "settings.proxy_profiles: at most %d profiles",
				    PROFILE_MAX);
			if (b < 0)
				return err_set(err, SP_EINVAL, "settings.proxy_profiles.%s.base: a new profile"
				    " names a built-in one to start from (%s)", name, base ? base :
				    "missing");
			i = all->n++;
			all->v[i] = all->v[b];
		}
		if ((rc = profile_apply(&all->v[i], name, o, err)) < 0)
			return rc;
	}
	return 0;
}

int
profile_load(json_t *settings, struct profile_set *all, struct profile_set *active,
    struct err *err)
{
	struct profile_set tmp;
	json_t *act = settings ? json_object_get(settings, "proxy_active") : NULL, *v;
	size_t i;
	int rc;

	if ((rc = profile_load_all(settings, &tmp, err)) < 0)
		return rc;
	tmp.settings = json_incref(settings);
	if (active) {
		memset(active, 0, sizeof(*active));
		active->settings = json_incref(settings);
		if (act == NULL || json_is_null(act)) {
			active->v[active->n++] = tmp.v[0];
		} else if (!json_is_array(act)) {
			rc = err_set(err, SP_EINVAL, "settings.proxy_active: expected an array of profile"
			    " names");
		} else {
			json_array_foreach(act, i, v) {
				int k = json_is_string(v) ? profile_find(&tmp, json_string_value(v)) : -1;
				if (k < 0) {
					rc = err_set(err, SP_EINVAL, "settings.proxy_active[%zu]: no profile named"
					    " %.60s", i, json_is_string(v) ? json_string_value(v) : "(not a name)");
					break;
				}
				if (profile_find(active, tmp.v[k].name) < 0)
					active->v[active->n++] = tmp.v[k];
			}
		}
		if (rc < 0)
			profile_set_release(active);
	}
	if (rc == 0 && all)
		*all = tmp;
	else
		profile_set_release(&tmp);
	return rc;
}

int
profile_editorial(json_t *settings, struct profile *out, struct err *err)
{
	json_t *ep = settings ? json_object_get(settings, "editorial_profile") : NULL;
	struct profile_set all, active;
	int rc, k;

	if ((rc = profile_load(settings, &all, &active, err)) < 0)
		return rc;
	if (ep == NULL || json_is_null(ep)) {
		*out = active.v[0];
	} else if (!json_is_string(ep) || (k = profile_find(&all, json_string_value(ep))) < 0) {
		rc = err_set(err, SP_EINVAL, "settings.editorial_profile: no profile named %.60s",
		    json_is_string(ep) ? json_string_value(ep) : "(not a name)");
	} else {
		*out = all.v[k];
	}
	out->burnin = NULL;   /* it belongs to the settings, released below */
	profile_set_release(&all);
	profile_set_release(&active);
	return rc;
}

int
profile_settings_check(json_t *settings, struct err *err)
{
	struct profile p;

	return profile_editorial(settings, &p, err);
}

void
profile_output_size(const struct profile *p, int src_w, int src_h, int *w, int *h)
{
	*w = p->width;
	*h = p->height;
	if (src_w <= 0 || src_h <= 0 || p->exact)
		return;
	if (src_w <= *w && src_h <= *h) {
		*w = src_w;
		*h = src_h;
	} else if ((double)src_w / src_h > (double)*w / *h) {
		*h = (int)lround((double)*w * src_h / src_w);
	} else {
		*w = (int)lround((double)*h * src_w / src_h);
	}
	*w &= ~1;
	*h &= ~1;
}

unsigned
profile_audio_rate(const struct profile *p)
{
	const char *a = strstr(p->audio, "-ar ");

	return a ? (unsigned)strtoul(a + 4, NULL, 10) : 0;
}

int
profile_name(const struct profile *p, const struct profile_vars *v, char *out, size_t len,
    struct err *err)
{
	const char *t = p->naming;
	size_t o = 0;

	out[0] = '\0';
	while (*t && o + 1 < len) {
		const char *end, *val;
		char key[16];
		if (*t != '{') {
			out[o++] = *t++;
			out[o] = '\0';
			continue;
		}
		if ((end = strchr(t, '}')) == NULL || (size_t)(end - t) >= sizeof(key))
			return err_set(err, SP_EINVAL, "%s.naming: unclosed {", p->name);
		snprintf(key, sizeof(key), "%.*s", (int)(end - t - 1), t + 1);
		val = !strcmp(key, "day") ? v->day : !strcmp(key, "card") ? v->card :
		    !strcmp(key, "clip") ? v->clip : !strcmp(key, "scene") ? v->scene :
		    !strcmp(key, "take") ? v->take : !strcmp(key, "reel") ? v->reel :
		    !strcmp(key, "profile") ? p->name : !strcmp(key, "ext") ? p->ext : NULL;
		if (val == NULL && strcmp(key, "day") && strcmp(key, "card") && strcmp(key, "clip") &&
		    strcmp(key, "scene") && strcmp(key, "take") && strcmp(key, "reel"))
			return err_set(err, SP_EINVAL, "%s.naming: unknown {%s}", p->name, key);
		/* The one sanitiser for names that become paths (lib/core/safe_name.h). */
		o = safe_name_append(out, len, o, val && *val ? val : "_");
		t = end + 1;
	}
	if (*t)
		return err_set(err, SP_ETOOBIG, "%s.naming: the name is too long", p->name);
	if (o == 0 || out[o - 1] == '/')
		return err_set(err, SP_EINVAL, "%s.naming: gives an empty file name", p->name);
	return 0;
}

json_t *
profile_to_json(const struct profile *p)
{
	return json_pack("{s:s,s:s,s:i,s:i,s:s,s:s,s:s,s:s,s:b,s:b,s:s,s:O?,s:s}", "name", p->name,
	    "ext", p->ext, "width", p->width, "height", p->height, "video", p->video,
	    "video_bitrate", p->video_bitrate, "pix_fmt", p->pix_fmt, "audio", p->audio,
	    "scratch_track", p->scratch_track, "exact", p->exact, "naming", p->naming, "burnin",
	    p->burnin, "audio_layout", p->audio_layout[0] ? p->audio_layout : "production");
}
