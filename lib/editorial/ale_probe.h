#ifndef SETPOST_ALE_PROBE_H
#define SETPOST_ALE_PROBE_H
/*
 * ale_probe: a clip's metadata from an ALE another tool wrote beside the camera files (a
 * camera's own ALE, or the lab's), for formats ffprobe cannot read (camera raw).
 */
#include "lib/editorial/ale.h"
#include "lib/media/camera.h"
#include "lib/media/probe.h"

/* Adds what an ALE row for clip says (Start, Tape, FPS, camera and lens columns); returns 1
 * when the clip has a row, 0 when not. */
int probe_from_ale(const struct ale *ale, const char *clip, struct probe *p);

/* Only the camera settings of clip's row (ISO, white balance, shutter... columns: camera.h), for
 * a clip ffprobe has described already; returns 1 when the row names one. */
int probe_camera_from_ale(const struct ale *ale, const char *clip, struct probe *p);

#endif
