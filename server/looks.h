/* looks: what the looks routes (looks.c, looks_import.c) and the production PATCH share. */
#ifndef SETPOST_LOOKS_H
#define SETPOST_LOOKS_H

#include "http.h"
#include "lib/media/cdl.h"

/* Route chunk function: buffers a body of any content type (a .cube, .ccc, ALE or JSON) up
 * to --max-body bytes, replying 413 beyond. */
void looks_body_chunk(struct request *req, const char *data, size_t len);

/* The production a request is about: given (?production_id=), else the only one there is.
 * Fills out; replies itself and returns false when it cannot tell. */
bool looks_production(struct request *req, const char *given, char out[24]);

/* SP_EINVAL (message starting with what) unless LUT lut exists and belongs to production
 * prod; lut NULL passes. */
int looks_lut_check(struct db_conn *c, const char *lut, long long prod, const char *what,
    struct err *err);

/* Sets (cdl) or deletes (cdl NULL) production prod's default look for scene in c's
 * transaction and records "scene_look.updated"/"scene_look.deleted" (extra, borrowed, is
 * merged into its data). *out gets the new row's JSON when out is not NULL and cdl is set
 * (caller frees). */
int looks_scene_write(struct db_conn *c, const char *prod, const char *scene,
    const struct cdl *cdl, const char *actor, json_t *extra, char **out, struct err *err);

#endif
