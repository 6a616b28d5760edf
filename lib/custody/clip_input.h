/*
 * clip_input: which file a clip's media work reads (thumbnails, transcode; the probe names the
 * camera proxy too). lib/media/frameseq.h's media_input_of() turns that file into ffmpeg's
 * input words; this is where the file is chosen, since the choice needs the database.
 *
 * The original, when ffmpeg decodes it. When the original is camera raw that needs the maker's
 * SDK (its probe says status "vendor_tool": R3D, BRAW, ARRIRAW, X-OCN in MXF …) and the card
 * gave the clip a camera proxy (migration 0070: RED's .mov in the .RDC folder, Sony's
 * Sub/…S03.MXF, a .LRV or Proxy/ file), that proxy, so the clip still gets dailies. The clip's
 * own media row stays the original's ("needs the maker's SDK"); what is made from the proxy
 * says so (renditions.source 'camera_proxy', the events' "source").
 */
#ifndef SETPOST_CLIP_INPUT_H
#define SETPOST_CLIP_INPUT_H

#include "lib/custody/locate.h"
#include "lib/media/probe.h"

/* Locates the clip's camera proxy (lc->proxy_file_id) into path (PATH_MAX) and probes it into
 * px (probe_init'ed by the caller). 1 when it is a picture ffmpeg decodes, 0 when the clip has
 * no camera proxy or it is not one (px says what ffprobe found), negative SP_E* when no copy
 * of it can be read here or ffprobe fails on it. */
int clip_input_camera_proxy(struct db_conn *c, const struct locate_clip *lc, struct probe *px,
    char *path, size_t len, struct err *err);

/* Fills lc->path with what the clip's media work reads, given its stored probe p (probe_load):
 * the original when p->decodable; the camera proxy when p says vendor_tool and the proxy
 * decodes, replacing p with the proxy's probe and setting lc->from_camera_proxy. 1 when
 * lc->path is set, 0 when there is nothing ffmpeg can read (p unchanged), or negative SP_E*. */
int clip_input_locate(struct db_conn *c, struct locate_clip *lc, struct probe *p,
    struct err *err);

/* "camera_proxy" or "original": what lc->path is, for renditions and events. */
const char *clip_input_source(const struct locate_clip *lc);

#endif
