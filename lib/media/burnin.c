/* burnin: drawtext filters from a burn-in template (see burnin.h). */
#include "lib/media/burnin.h"
#include "lib/media/ffmpeg.h"

#include <stdbool.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct burnin_slot {
	const char *name;
	const char *x, *y;     /* drawtext expressions; m is the margin */
};

static const struct burnin_slot burnin_slots[] = {
	{ "top_left", "M", "M" },
	{ "top_center", "(w-tw)/2", "M" },
	{ "top_right", "w-tw-M", "M" },
	{ "center", "(w-tw)/2", "(h-th)/2" },
	{ "bottom_left", "M", "h-th-M" },
	{ "bottom_center", "(w-tw)/2", "h-th-M" },
	{ "bottom_right", "w-tw-M", "h-th-M" },
	{ NULL, NULL, NULL },
};

static const char *const burnin_var_names[] = { "clip", "scene", "take", "reel", "camera", "day",
	"production", "card", "frame", "tc", NULL };

static const struct burnin_slot *
burnin_slot(const char *name)
{
	for (int i = 0; burnin_slots[i].name; i++)
		if (strcmp(burnin_slots[i].name, name) == 0)
			return &burnin_slots[i];
	return NULL;
}

static int
burnin_check_text(const char *slot, const char *s, struct err *err)
{
	const char *p = s;

	while ((p = strchr(p, '{')) != NULL) {
		const char *end = strchr(p, '}');
		bool known = false;
		if (end == NULL)
			return err_set(err, SP_EINVAL, "burnin.%s: unclosed {", slot);
		for (int i = 0; burnin_var_names[i]; i++)
			known |= strlen(burnin_var_names[i]) == (size_t)(end - p - 1) &&
			    strncmp(burnin_var_names[i], p + 1, (size_t)(end - p - 1)) == 0;
		if (!known)
			return err_set(err, SP_EINVAL, "burnin.%s: unknown variable %.*s", slot,
			    (int)(end - p + 1 > 40 ? 40 : end - p + 1), p);
		if (strncmp(p, "{tc}", 4) == 0 && end[1] != '\0')
			return err_set(err, SP_EINVAL, "burnin.%s: {tc} must come last", slot);
		p = end + 1;
	}
	if (strlen(s) > 200)
		return err_set(err, SP_EINVAL, "burnin.%s: at most 200 characters", slot);
	return 0;
}

int
burnin_check(json_t *tmpl, struct err *err)
{
	const char *key;
	json_t *v;
	int rc;

	if (!json_is_object(tmpl))
		return err_set(err, SP_EINVAL, "burnin: expected an object of slots (top_left, ...)");
	json_object_foreach(tmpl, key, v) {
		if (strcmp(key, "size") == 0) {
			if (!json_is_number(v) || json_number_value(v) < 0.01 || json_number_value(v) > 0.2)
				return err_set(err, SP_EINVAL, "burnin.size: expected a number from 0.01 to 0.2");
			continue;
		}
		if (burnin_slot(key) == NULL)
			return err_set(err, SP_EINVAL, "burnin.%.40s: unknown slot (top_left, top_center,"
			    " top_right, center, bottom_left, bottom_center, bottom_right, size)", key);
		if (!json_is_string(v))
			return err_set(err, SP_EINVAL, "burnin.%s: expected a string", key);
		if ((rc = burnin_check_text(key, json_string_value(v), err)) < 0)
			return rc;
	}
	return 0;
}

/* Both parsers ffmpeg reads a filter graph with drop spaces at the ends of a value ("TC "
 * before the timecode would lose its space): every space gets escaped for both levels. */
static int
burnin_spaces(char *s, size_t len)
{
	size_t n = strlen(s), spaces = 0;

	for (size_t i = 0; i < n; i++)
		spaces += s[i] == ' ';
	if (n + 3 * spaces + 1 > len)
		return SP_ETOOBIG;
	for (size_t i = n + 1, o = n + 3 * spaces + 1; i-- > 0;) {
		s[--o] = s[i];
		if (s[i] == ' ')
			for (int k = 0; k < 3; k++)
				s[--o] = '\\';
	}
	return 0;
}

/* expr with M replaced by the margin in pixels. */
static void
burnin_margin(const char *expr, int margin, char *out, size_t len)
{
	size_t o = 0;

	for (; *expr && o + 8 < len; expr++) {
		if (*expr == 'M')
			o += (size_t)snprintf(out + o, len - o, "%d", margin);
		else
			out[o++] = *expr;
	}
	out[o] = '\0';
}

/* Appends s to out at *o, escaped for drawtext's expansion (\ and % are special there). */
static bool
burnin_put(char *out, size_t len, size_t *o, const char *s, bool raw)
{
	for (; *s; s++) {
		if (*o + 3 >= len)
			return false;
		if (!raw && (*s == '\\' || *s == '%'))
			out[(*o)++] = '\\';
		out[(*o)++] = *s;
	}
	out[*o] = '\0';
	return true;
}

/* The value of variable k (n bytes, without braces): *raw for drawtext's own expansion, NULL
 * for {tc} (drawtext adds it), "" for an unknown or empty one. */
static const char *
burnin_value(const char *k, size_t n, const struct burnin_vars *v, bool *raw)
{
	const char *val = "";

	*raw = false;
#define BURNIN_IS(name) (n == strlen(name) && strncmp(k, name, n) == 0)
	if (BURNIN_IS("tc")) {
		return NULL;
	} else if (BURNIN_IS("frame")) {
		*raw = true;
		val = "%{frame_num}";
	} else if (BURNIN_IS("clip")) val = v->clip;
	else if (BURNIN_IS("scene")) val = v->scene;
	else if (BURNIN_IS("take")) val = v->take;
	else if (BURNIN_IS("reel")) val = v->reel;
	else if (BURNIN_IS("camera")) val = v->camera;
	else if (BURNIN_IS("day")) val = v->day;
	else if (BURNIN_IS("production")) val = v->production;
	else if (BURNIN_IS("card")) val = v->card;
#undef BURNIN_IS
	return val ? val : "";
}

#define BURNIN_PIECES 64

/* The slot's text with variables put in, at drawtext level; *tc tells whether {tc} ended it.
 * Text next to a variable that is empty goes with it, so "{scene}/{take}" without a take
 * draws "12A", not "12A/", and without both draws nothing, not a lone "/". */
static int
burnin_expand(const char *s, const struct burnin_vars *v, char *out, size_t len, bool *tc)
{
	struct { const char *p; size_t n; bool var, empty; } pc[BURNIN_PIECES];
	int np = 0;
	size_t o = 0;

	*tc = false;
	out[0] = '\0';
	while (*s && !*tc) {
		const char *end = *s == '{' ? strchr(s, '}') : NULL;
		bool raw;
		if (np == BURNIN_PIECES)
			return SP_ETOOBIG;
		if (end != NULL) {
			const char *val = burnin_value(s + 1, (size_t)(end - s - 1), v, &raw);
			if (val == NULL) {
				*tc = true;
				break;
			}
			pc[np].p = s + 1;
			pc[np].n = (size_t)(end - s - 1);
			pc[np].var = true;
			pc[np++].empty = val[0] == '\0';
			s = end + 1;
		} else {
			const char *next = strchr(s + 1, '{');
			pc[np].p = s;
			pc[np].n = next ? (size_t)(next - s) : strlen(s);
			pc[np].var = pc[np].empty = false;
			s += pc[np++].n;
		}
	}
	for (int i = 0; i < np; i++) {
		bool raw = false;
		const char *val;
		char lit[1024];
		if (!pc[i].var) {
			if ((i > 0 && pc[i - 1].empty) || (i + 1 < np && pc[i + 1].empty))
				continue;
			snprintf(lit, sizeof(lit), "%.*s", (int)pc[i].n, pc[i].p);
			val = lit;
		} else {
			val = burnin_value(pc[i].p, pc[i].n, v, &raw);
		}
		if (!burnin_put(out, len, &o, val, raw))
			return SP_ETOOBIG;
	}
	return 0;
}

static char burnin_font[PATH_MAX];

void
burnin_set_font(const char *font)
{
	snprintf(burnin_font, sizeof(burnin_font), "%s", font ? font : "");
}

int
burnin_filter(json_t *tmpl, const struct burnin_vars *v, int h, char *out, size_t len,
    struct err *err)
{
	const char *font = burnin_font;
	char text[1024], etext[4096], efont[1024], etc[64], rate[48];
	double size = 0.035;
	int fs, margin, n;
	size_t o = 0;

	out[0] = '\0';
	if (tmpl == NULL || !json_is_object(tmpl))
		return 0;
	if (json_is_number(json_object_get(tmpl, "size")))
		size = json_number_value(json_object_get(tmpl, "size"));
	fs = (int)(size * h + 0.5);
	fs = fs < 8 ? 8 : fs;
	margin = fs / 2;
	char fontopt[1100];
	if (ffmpeg_escape(font && *font ? font : BURNIN_FONT, efont, sizeof(efont)) < 0)
		return err_set(err, SP_ETOOBIG, "burn-in font path too long");
	/* Without the font file, fontconfig's monospace font is the next best thing. */
	if (access(font && *font ? font : BURNIN_FONT, R_OK) == 0)
		snprintf(fontopt, sizeof(fontopt), "fontfile=%s", efont);
	else
		snprintf(fontopt, sizeof(fontopt), "font=monospace");
	for (int i = 0; burnin_slots[i].name; i++) {
		const struct burnin_slot *sl = &burnin_slots[i];
		json_t *t = json_object_get(tmpl, sl->name);
		char x[64], y[64];
		bool tc, wm = strcmp(sl->name, "center") == 0;
		if (!json_is_string(t) || json_string_value(t)[0] == '\0')
			continue;
		if (burnin_expand(json_string_value(t), v, text, sizeof(text), &tc) < 0 ||
		    ffmpeg_escape(text, etext, sizeof(etext)) < 0 ||
		    burnin_spaces(etext, sizeof(etext)) < 0)
			return err_set(err, SP_ETOOBIG, "burnin.%s: the text is too long", sl->name);
		tc = tc && v->start_tc && v->start_tc[0] && v->fps_num > 0 && v->fps_den > 0;
		if (!tc && text[0] == '\0')
			continue;
		burnin_margin(sl->x, margin, x, sizeof(x));
		burnin_margin(sl->y, margin, y, sizeof(y));
		etc[0] = rate[0] = '\0';
		if (tc) {
			char tcv[32];
			snprintf(tcv, sizeof(tcv), "%s", v->start_tc);
			if (ffmpeg_escape(tcv, etc, sizeof(etc)) < 0)
				return err_set(err, SP_EINVAL, "bad start timecode");
			snprintf(rate, sizeof(rate), "%u/%u", v->fps_num, v->fps_den);
		}
		n = snprintf(out + o, len - o, "%sdrawtext=%s:fontsize=%d:fontcolor=%s:"
		    "box=1:boxcolor=black@%s:boxborderw=%d:x=%s:y=%s%s%s%s%s:text=%s",
		    o ? "," : "", fontopt, fs, wm ? "white@0.5" : "white", wm ? "0.0" : "0.5", fs / 5,
		    x, y, tc ? ":timecode=" : "", etc, tc ? ":rate=" : "", rate, etext);
		if (n < 0 || (size_t)n >= len - o)
			return err_set(err, SP_ETOOBIG, "burn-in filters too long");
		o += (size_t)n;
	}
	return 0;
}
