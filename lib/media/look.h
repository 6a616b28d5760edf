/*
 * look: what a clip should look like in its proxies, and the one .cube file that renders it.
 *
 * A clip's look is its ASC CDL (clips.look; else its scene's default, scene_looks.cdl; else
 * none) followed by a LUT (the day's, days.lut_id; else the show LUT, productions.show_lut_id;
 * else none). look_bake_file() bakes both into one cube (lib/lut's lut_bake) so ffmpeg applies
 * the whole look in one lut3d pass, and names the file by a hash of its content, so clips that
 * share a look share one file and a cube already on disk is reused as it is.
 *
 * Ownership: struct look owns its LUT data; start from LOOK_INIT and free with look_release.
 */
#ifndef SETPOST_LOOK_H
#define SETPOST_LOOK_H

#include "lib/media/cdl.h"
#include "lib/store/db.h"
#include "lib/core/err.h"
#include "lib/media/lut.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct look {
	bool has_cdl;
	struct cdl cdl;             /* identity when !has_cdl */
	char cdl_from[8];           /* "clip", "scene" or "" */
	struct lut lut;             /* empty (size 0) when no LUT applies */
	long long lut_id;           /* 0 when none */
	char lut_name[201];
};

#define LOOK_INIT { false, { { 1, 1, 1 }, { 0, 0, 0 }, { 1, 1, 1 }, 1, "", "" }, "", LUT_INIT, 0, "" }

/* Parses a CDL as stored in clips.look / scene_looks.cdl ({"slope":[r,g,b],"offset":[..],
 * "power":[..],"sat":s,"id":"..."}; absent parts keep the identity). SP_EINVAL names the field
 * under `what` ("look.power[1]: ..."). */
int look_cdl_from_json(json_t *j, const char *what, struct cdl *out, struct err *err);

/* Loads the look of clip_id (inside the caller's transaction or not). SP_ENOTFOUND for an
 * unknown clip; SP_EINVAL when the stored CDL or LUT is not usable (naming which). */
int look_load(struct db_conn *c, long long clip_id, struct look *lk, struct err *err);

void look_release(struct look *lk);

/* True when the look changes nothing (no LUT and an identity CDL): no lut3d is needed. */
bool look_is_identity(const struct look *lk);

/* Bakes the look into a size-point cube (0: LUT_BAKE_DEFAULT) and saves it as
 * dir/<xxh64 of the cube text>.cube unless that file exists. dir must exist. path gets the
 * file's path (len bytes). */
int look_bake_file(const struct look *lk, int size, const char *dir, char *path, size_t len,
    struct err *err);

/* Bakes the look into a size-point cube (0: LUT_BAKE_DEFAULT) as .cube text (*text, *len;
 * the caller frees *text): what a colourist's tools load to see the proxies' look. */
int look_bake_text(const struct look *lk, int size, char **text, size_t *len, struct err *err);

/* The name of a look's cube for post: <show>_<day>_<scene>_<look>.cube, each part reduced to
 * letters, digits, '.', '-' (others '_', at most 60 bytes a part), where <look> is the CDL's id
 * when it has one, else "clip-<clip name>" for a clip's own CDL, "scene" for a scene default,
 * "lut" for a LUT alone and "none" for no look; an empty scene is "noscene". */
void look_cube_name(const struct look *lk, const char *show, const char *day, const char *scene,
    const char *clip, char *out, size_t len);

/* What a cube's name is made of, for callers that name many looks without loading them (the
 * day's ALE and .ccc): whether there is a CDL and where it came from ("clip" or "scene"), its
 * id ("" when none), and whether a LUT follows it. */
struct look_naming {
	bool has_cdl, has_lut;
	const char *cdl_id, *cdl_from;
};

/* look_cube_name from the parts of struct look_naming: the same name for the same look. */
void look_cube_name_of(const struct look_naming *n, const char *show, const char *day,
    const char *scene, const char *clip, char *out, size_t len);

/* The look as JSON for results and events ({"cdl": {...} or null, "cdl_from", "lut"}). */
json_t *look_to_json(const struct look *lk);

#endif
