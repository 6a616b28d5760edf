/*
 * profile: what one kind of proxy is (size, codecs, bit rate, burn-ins, file name), and which
 * kinds a production makes.
 *
 * setpost ships the usual ones (profile_builtin): h264_1080 and h264_720 (H.264 + AAC in MP4,
 * for web review and Premiere), dnxhr_lb and dnxhd_36 (Avid, MXF OP1a), prores_proxy and
 * prores_lt (QuickTime). A production's settings may change or add profiles and choose which
 * are made:
 *
 *   "proxy_profiles": { "h264_720": { "video_bitrate": "3M" },
 *                       "review":   { "base": "h264_720", "burnin": { ... } } },
 *   "proxy_active":   ["h264_1080", "review"]
 *
 * Without proxy_active only h264_1080 is made (the lightest useful default on a cart).
 * "editorial_profile": "dnxhd_36" names the profile editorial's exports (ALE Source File, OTIO)
 * point at; without it, the first of proxy_active. The
 * fields, all optional when a base (or the built-in of the same name) gives them:
 *   ext (mp4|mov|mxf), width, height (the box the picture is fitted into, even numbers),
 *   video (encoder arguments, space-separated), video_bitrate ("8M"; "" for none), pix_fmt,
 *   audio (encoder arguments), scratch_track (camera audio as an extra track when production
 *   sound is synced), exact (the picture is fitted into the box, up or down, and padded to
 *   exactly its size; else it is fitted and never scaled up), naming (a template, see
 *   profile_name; "{day}/{card}/{clip}.{ext}" names a proxy as its camera file, which
 *   Premiere's Attach Proxies pairs by), burnin (see burnin.h), audio_layout (below).
 *
 * Ownership: struct profile is a plain value; struct profile_set owns its array.
 */
#ifndef SETPOST_PROFILE_H
#define SETPOST_PROFILE_H

#include "lib/core/err.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define PROFILE_NAME_MAX 40
#define PROFILE_ARGS_MAX 512
#define PROFILE_MAX 16

struct profile {
	char name[PROFILE_NAME_MAX];
	char ext[8];
	int width, height;
	char video[PROFILE_ARGS_MAX];
	char video_bitrate[16];
	char pix_fmt[24];
	char audio[PROFILE_ARGS_MAX];
	bool scratch_track;
	bool exact;                /* exactly width x height (fitted, padded): Avid's fixed sizes */
	char naming[256];
	json_t *burnin;            /* borrowed from the built-in table or the settings; may be NULL */
	/* With production sound synced: "production" ("" too: it replaces the camera's tracks,
	 * which follow as a scratch track when scratch_track), "camera" (exactly the camera
	 * file's tracks, so a proxy pairs with its original where the NLE compares layouts:
	 * Premiere's Attach Proxies), "camera+production" (the camera's tracks, then the
	 * production sound as extra ones). */
	char audio_layout[24];
};

struct profile_set {
	struct profile v[PROFILE_MAX];
	int n;
	json_t *settings;          /* a reference kept so burnin stays valid */
};

/* The built-in profiles, in order, and how many. */
const struct profile *profile_builtin(int *n);

/* Every profile (built-in ones changed by settings, then the production's own) into *all, and
 * the active ones into *active (either may be NULL). settings is productions.settings (may be
 * NULL). SP_EINVAL names the field ("settings.proxy_profiles.review.width: ..."). Release with
 * profile_set_release. */
int profile_load(json_t *settings, struct profile_set *all, struct profile_set *active,
    struct err *err);

void profile_set_release(struct profile_set *s);

/* Checks productions.settings' proxy_profiles and proxy_active (for the API). */
int profile_settings_check(json_t *settings, struct err *err);

/* Values a name template may use: {day} {card} {clip} {scene} {take} {reel} {profile} {ext}. */
struct profile_vars {
	const char *day, *card, *clip, *scene, *take, *reel;
};

/* The rendition's path relative to the renditions folder, from p->naming. Values are made
 * safe for a file name ('/' and control characters become '_', a leading '.' too); the
 * template's own '/' make folders. SP_EINVAL for an unknown {name} or an empty result. */
int profile_name(const struct profile *p, const struct profile_vars *v, char *out, size_t len,
    struct err *err);

json_t *profile_to_json(const struct profile *p);

/* The frame size p makes from a source picture of src_w x src_h square pixels (the display
 * width of an anamorphic one): fitted into the box keeping the shape, even sizes, never
 * scaled up, unless p->exact (then exactly the box, fitted and padded). Unknown source size
 * (0): the box. */
void profile_output_size(const struct profile *p, int src_w, int src_h, int *w, int *h);

/* The audio sample rate p's arguments ask for ("-ar 48000"), or 0 when they keep the
 * source's. */
unsigned profile_audio_rate(const struct profile *p);

/* The profile editorial's exports name by default: settings.editorial_profile, else the first
 * active one. Copies it into *out; SP_EINVAL when the settings are wrong (as profile_load). */
int profile_editorial(json_t *settings, struct profile *out, struct err *err);

#endif
