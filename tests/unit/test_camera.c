/* camera: a clip's camera settings from the names sources give them (lib/media/camera.h):
 * QuickTime and RDD 18 keys, ALE columns, sidecar keys; a Sony M01.XML's Item pairs, Device and
 * Lens; the first value wins; an F-number is not a T-stop; what no source names is absent. */
#include "lib/media/camera.h"
#include "lib/media/probe.h"

#include <criterion/criterion.h>
#include <string.h>

static const char *
field(json_t *j, const char *key)
{
	return json_string_value(json_object_get(j, key));
}

Test(camera, names_from_each_source)
{
	json_t *s = json_object();

	cr_expect_eq(camera_take(s, "org.smpte.rdd18.camera.isosensitivity", "1280"), 1);
	cr_expect_eq(camera_take(s, "Exposure_index", "800"), 1, "names ISO, but ISO is set");
	cr_expect_eq(camera_take(s, "com.arri.camera.WhiteBalanceKelvin", " 5600 "), 1);
	cr_expect_eq(camera_take(s, "Shutter Angle", "172.8"), 1);
	cr_expect_eq(camera_take(s, "ND Filter", "0.9"), 1);
	cr_expect_eq(camera_take(s, "Focal Length", "35mm"), 1);
	cr_expect_eq(camera_take(s, "IrisFNumber", "2.0"), 0, "an F-number is no T-stop");
	cr_expect_eq(camera_take(s, "Look Name", ""), 1, "a field, but empty: not set");
	cr_expect_eq(camera_take(s, "white_balance_tint", "10"), 0);
	cr_expect_eq(camera_take(s, "sound", "x"), 0);
	cr_expect_str_eq(field(s, "iso"), "1280");
	cr_expect_str_eq(field(s, "white_balance"), "5600");
	cr_expect_str_eq(field(s, "shutter"), "172.8");
	cr_expect_str_eq(field(s, "nd"), "0.9");
	cr_expect_str_eq(field(s, "focal_length"), "35mm");
	cr_expect_null(json_object_get(s, "t_stop"));
	cr_expect_null(json_object_get(s, "look"));
	cr_expect_eq(json_object_size(s), 5);
	json_decref(s);
}

Test(camera, sony_m01_xml)
{
	static const char xml[] = "<?xml version=\"1.0\"?><NonRealTimeMeta xmlns=\"urn:schemas-"
	    "professionalDisc:nonRealTimeMeta:ver.2.00\"><Duration value=\"25\"/>"
	    "<Device manufacturer=\"Sony\" modelName=\"MPC-3610\" serialNo=\"0041207\"/>"
	    "<Lens modelName=\"Cooke S4/i 50mm\"/><AcquisitionRecord>"
	    "<Group name=\"CameraUnitMetadataSet\"><Item name=\"ISOSensitivity\" value=\"500\"/>"
	    "<Item name=\"WhiteBalance\" value=\"4300K\"/>"
	    "<Item name=\"ShutterSpeed_Angle\" value=\"172.8deg\"/></Group>"
	    "<Group name=\"LensUnitMetadataSet\"><Item name=\"IrisFNumber\" value=\"2.0\"/>"
	    "<Item name=\"IrisTNumber\" value=\"T2.3\"/></Group></AcquisitionRecord>"
	    "</NonRealTimeMeta>";
	struct probe p;
	struct err err;

	probe_init(&p);
	snprintf(p.make, sizeof(p.make), "FFmpeg");      /* an MXF's writer, not the camera */
	snprintf(p.lens, sizeof(p.lens), "from the file");
	cr_assert_eq(probe_from_xml(xml, strlen(xml), &p, &err), 0, "%s", err.msg);
	cr_expect_str_eq(p.make, "Sony");
	cr_expect_str_eq(p.model, "MPC-3610");
	cr_expect_str_eq(p.serial, "0041207");
	cr_expect_str_eq(p.lens, "from the file", "a lens the file names stays");
	cr_expect_str_eq(field(p.camera, "iso"), "500");
	cr_expect_str_eq(field(p.camera, "white_balance"), "4300K");
	cr_expect_str_eq(field(p.camera, "shutter"), "172.8deg");
	cr_expect_str_eq(field(p.camera, "t_stop"), "T2.3");
	cr_expect_null(json_object_get(p.camera, "nd"));
	cr_expect_null(json_object_get(p.camera, "look"));
	cr_expect_eq(probe_from_xml("<a>", 3, &p, &err), SP_EINVAL);
	probe_release(&p);
}

Test(camera, values_one_trimmed_line_whole_characters)
{
	char long_utf8[301] = "";
	json_t *s = json_object();

	for (int i = 0; i < 100; i++)
		strcat(long_utf8, "é");        /* 200 bytes: cut to 127 must not split one */
	cr_expect_eq(camera_take(s, "look_name", long_utf8), 1);
	cr_assert_not_null(field(s, "look"), "a long look name is kept, cut");
	cr_expect_eq(strlen(field(s, "look")), 126);
	cr_expect_eq(camera_take(s, "iso", "\t 800 \t\t"), 1);
	cr_expect_str_eq(field(s, "iso"), "800");
	cr_expect_eq(camera_take(s, "nd", "0.6\n\t\t\t"), 1);
	cr_expect_str_eq(field(s, "nd"), "0.6");
	cr_expect_eq(camera_take(s, "shutter", "1/50\tdeg"), 1);
	cr_expect_str_eq(field(s, "shutter"), "1/50 deg");
	json_decref(s);
}
