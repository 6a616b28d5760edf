/*
 * burnin: text burnt into a proxy's picture, from a template (a profile's "burnin"):
 *
 *   { "top_left": "{clip}", "top_right": "{scene}/{take}", "bottom_left": "TC {tc}",
 *     "bottom_right": "{frame}", "center": "CONFIDENTIAL - {production}", "size": 0.04 }
 *
 * Slots: top_left, top_center, top_right, center, bottom_left, bottom_center, bottom_right
 * (center is meant for a watermark line: drawn lighter). size is the font height as a part of
 * the picture's height (0.01-0.2, default 0.035). Variables: {clip} {scene} {take} {reel}
 * {camera} {day} {production} {card} {frame} (the frame number, counting from 0) and {tc} (the
 * running timecode from the clip's start timecode and rate; it must come last in its slot,
 * since drawtext puts the timecode after the slot's text).
 *
 * The text is escaped for all three levels ffmpeg reads it through (drawtext's own % and \
 * expansion, the option parser, the filtergraph parser), so any clip name or watermark is
 * drawn as it is. The font is DejaVu Sans Mono (Debian fonts-dejavu-core) unless
 * SETPOST_BURNIN_FONT names another file; when the file is missing, fontconfig's monospace.
 */
#ifndef SETPOST_BURNIN_H
#define SETPOST_BURNIN_H

#include "lib/core/err.h"

#include <jansson.h>
#include <stddef.h>

#define BURNIN_FONT "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"

struct burnin_vars {
	const char *clip, *scene, *take, *reel, *camera, *day, *production, *card;
	const char *start_tc;           /* "01:00:00:00" (';' for drop frame); NULL: no {tc} */
	unsigned fps_num, fps_den;
};

/* Checks a template: known slots and variables, {tc} last, size in range. SP_EINVAL names
 * the field ("burnin.top_left: unknown variable {foo}"). */
int burnin_check(json_t *tmpl, struct err *err);

/* Names the font file of burnt-in text (--burnin-font; NULL or "": the default). Called once
 * at start-up, before any thread builds a filter; the string is copied. */
void burnin_set_font(const char *font);

/* Appends the drawtext filters for a picture height h to out (a filter_complex chain, filters
 * separated by ',', without a leading or trailing ','). Writes "" (an empty chain) when the
 * template is NULL or draws nothing. SP_ETOOBIG when out is too small. */
int burnin_filter(json_t *tmpl, const struct burnin_vars *v, int h, char *out, size_t len,
    struct err *err);

#endif
