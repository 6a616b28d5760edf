/*
 * camera: a clip's camera settings (ISO/EI, white balance, shutter, ND, focal length, T-stop,
 * look name) as the card carries them, one JSON object whose keys are those of
 * camera_fields[] and whose values are the text the source wrote ("800", "5600K",
 * "172.8deg", "1/50"). A setting no source names is absent: nothing is derived or guessed.
 *
 * Sources call camera_take() with each key/value they read (ffprobe tags of MOV/MXF, an ALE's
 * columns, a Blackmagic .sidecar's keys, the Item name/value pairs of a Sony M01.XML); the
 * key is matched by its last dotted component, case and punctuation aside, against each
 * field's known spellings. The first value found for a field wins.
 */
#ifndef SETPOST_CAMERA_H
#define SETPOST_CAMERA_H

#include "lib/core/err.h"

#include <jansson.h>
#include <stddef.h>

struct camera_field {
	const char *key;     /* the JSON key: "iso", "white_balance", ... */
	const char *ale;     /* the ALE column Avid and Silverstack use: "ISO", "White Balance" */
	const char *label;   /* for people: "ISO/EI", "White balance" */
};

#define CAMERA_NFIELDS 7
extern const struct camera_field camera_fields[CAMERA_NFIELDS];

/* The field a source's key names (index in camera_fields), or -1. */
int camera_field_of(const char *key);

/* Sets the field key names in settings to value (trimmed), unless the field is set already or
 * value is empty. Returns 1 when key names a field (set now or before), else 0. */
int camera_take(json_t *settings, const char *key, const char *value);

/* What a camera maker's clip XML carries (Sony NonRealTimeMeta M01.XML, and any XML of
 * <Item name= value=/> pairs or <Name>value</Name> leaves): settings into settings; the
 * <Device manufacturer= modelName= serialNo=/> and <Lens modelName=/> as "make", "model",
 * "serial", "lens" strings into device. SP_EINVAL when the text is not XML. */
int camera_from_xml(const char *text, size_t len, json_t *settings, json_t *device,
    struct err *err);

#endif
