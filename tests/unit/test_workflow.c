/* workflow: what a workflow sheet may hold (lib/pipeline/workflow.h): every documented key
 * accepted, and each kind of mistake refused with the key it is about. */
#include "lib/pipeline/workflow.h"

#include <criterion/criterion.h>
#include <string.h>

static int
check(const char *text, struct err *err)
{
	json_t *j = json_loads(text, 0, NULL);
	int rc;

	cr_assert_not_null(j, "%s", text);
	rc = workflow_validate(j, err);
	json_decref(j);
	return rc;
}

Test(workflow, a_whole_sheet)
{
	struct err err;

	cr_expect_eq(check("{\"cameras\":[{\"name\":\"A\",\"model\":\"ALEXA 35\",\"recording\":\"ProRes\"}],"
	    "\"resolution\":[\"3840x2160\",\"4096x2160\"],\"frame_rate\":\"29.97DF\",\"codecs\":\"prores\","
	    "\"colour_pipeline\":\"LogC4\",\"looks\":[\"Day\"],\"luts\":[\"show.cube\"],"
	    "\"naming_rule\":\"[A-Z][0-9]{3}C[0-9]{3}_.*\",\"copies_required\":3,\"media_rule\":\"x\","
	    "\"archive_rule\":\"LTO\",\"proxy_profiles\":[\"h264_1080\"],\"delivery\":{\"schedule\":\"06:00\","
	    "\"targets\":[\"Post\"]},\"sound\":{\"format\":\"BWF\",\"in_camera\":false},\"timecode\":\"TOD\","
	    "\"contacts\":[{\"role\":\"DIT\",\"name\":\"Ana\"}],\"notes\":\"\"}", &err), 0, "%s", err.msg);
	cr_expect_eq(check("{}", &err), 0);
}

Test(workflow, mistakes_name_their_key)
{
	static const char *const bad[][2] = {
		{ "{\"frame_rate\":\"fast\"}", "workflow.frame_rate" },
		{ "{\"frame_rate\":25}", "workflow.frame_rate" },
		{ "{\"resolution\":\"4K\"}", "workflow.resolution" },
		{ "{\"resolution\":[\"3840x2160\",\"big\"]}", "workflow.resolution" },
		{ "{\"naming_rule\":\"A((\"}", "workflow.naming_rule" },
		{ "{\"copies_required\":11}", "workflow.copies_required" },
		{ "{\"camera\":\"A\"}", "workflow.camera" },
		{ "{\"cameras\":[{\"name\":\"A\",\"iso\":\"800\"}]}", "workflow.cameras.iso" },
		{ "{\"sound\":{\"in_camera\":3}}", "workflow.sound.in_camera" },
		{ "{\"delivery\":[]}", "workflow.delivery" },
		{ "{\"contacts\":{\"role\":\"DIT\"}}", "workflow.contacts" },
	};
	struct err err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_expect_eq(check(bad[i][0], &err), SP_EINVAL, "%s", bad[i][0]);
		cr_expect(strstr(err.msg, bad[i][1]) != NULL, "%s: %s", bad[i][0], err.msg);
	}
	json_t *a = json_array();
	cr_expect_eq(workflow_validate(a, &err), SP_EINVAL);
	json_decref(a);
}
