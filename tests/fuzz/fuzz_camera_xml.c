/* A camera maker's clip XML (lib/media/camera.c, camera_from_xml): Sony's M01.XML, Canon's
 * clip XML, RED's RMD, read for camera settings, device and lens. Checks: a refusal sets
 * nothing; every setting kept is one of camera_fields' keys, non-empty, at most 127 bytes,
 * trimmed and on one line; the device holds only make, model, serial and lens, as strings. */
#include "tests/fuzz/fuzz.h"
#include "lib/media/camera.h"

#include <ctype.h>
#include <libxml/parser.h>

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	xmlInitParser();
	return 0;
}

static bool
fuzz_field_key(const char *key)
{
	for (int f = 0; f < CAMERA_NFIELDS; f++)
		if (strcmp(camera_fields[f].key, key) == 0)
			return true;
	return false;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *settings = json_object(), *device = json_object(), *v;
	const char *key;
	struct err err;

	if (camera_from_xml((const char *)data, size, settings, device, &err) < 0) {
		fuzz_check(json_object_size(settings) == 0 && json_object_size(device) == 0,
		    "a refusal set something");
		goto out;
	}
	json_object_foreach(settings, key, v) {
		const char *s = json_string_value(v);
		size_t n = s ? strlen(s) : 0;
		fuzz_check(fuzz_field_key(key), "setting '%s' is no field", key);
		fuzz_check(n > 0 && n < 128, "setting %s: %zu bytes", key, n);
		fuzz_check(!isspace((unsigned char)s[0]) && !isspace((unsigned char)s[n - 1]),
		    "setting %s '%s' not trimmed", key, s);
		for (size_t i = 0; i < n; i++)
			fuzz_check((unsigned char)s[i] >= 0x20 && s[i] != 0x7f, "setting %s: a control "
			    "character", key);
	}
	json_object_foreach(device, key, v)
		fuzz_check((strcmp(key, "make") == 0 || strcmp(key, "model") == 0 ||
		    strcmp(key, "serial") == 0 || strcmp(key, "lens") == 0) && json_is_string(v),
		    "device key '%s'", key);
out:
	json_decref(settings);
	json_decref(device);
	return 0;
}
