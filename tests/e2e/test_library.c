/* The smaller resources: productions and their settings (required copies change the verdict),
 * days, volumes, files, targets with validation, deliveries, renditions and the event log. */
#include "harness.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

static struct harness_proc srv;
static const char *conninfo;

#define OFFLOAD "{\"production\":\"Feature\",\"card\":{\"label\":\"A001\"},\"files\":[{\"path\":\"a.mov\"," \
	"\"size\":5,\"clip\":\"A001C001\",\"hashes\":{\"xxh64\":\"0ea03b369a463d9d\"}}],\"copies\":[{\"volume\":" \
	"{\"key\":\"uuid:r\",\"name\":\"RAID\",\"host\":\"cart\",\"mount_path\":\"/mnt/raid\"},\"files\":[{\"path\":" \
	"\"a.mov\",\"state\":\"verified\",\"hashes\":{\"xxh64\":\"0ea03b369a463d9d\"}}]}]}"

static void
start(void)
{
	struct harness_resp r;

	conninfo = harness_db_create();
	cr_assert_not_null(conninfo);
	cr_assert_eq(harness_serve(&srv, conninfo, NULL), 0, "log %s", srv.log);
	harness_bearer = harness_token(conninfo, "admin");
	cr_assert_eq(harness_declare_volume(&srv, "/mnt/raid"), 201);
	harness_http(&srv, "POST", "/api/v1/offloads", OFFLOAD,
	    (const char *[]){ "Content-Type: application/json", NULL }, &r);
	cr_assert_eq(r.status, 201, "%s", r.body);
	harness_resp_release(&r);
}

static void
stop(void)
{
	cr_expect_eq(harness_stop(&srv), 0, "log %s", srv.log);
}

TestSuite(library, .init = start, .fini = stop, .timeout = 120);

static json_t *
get_json(const char *method, const char *path, const char *body, long want)
{
	struct harness_resp r;
	json_t *j;

	harness_http(&srv, method, path, body, (const char *[]){ "Content-Type: application/json", NULL }, &r);
	cr_expect_eq(r.status, want, "%s %s: %ld %s", method, path, r.status, r.body);
	j = json_loads(r.body, 0, NULL);
	harness_resp_release(&r);
	return j ? j : json_object();
}

Test(library, required_copies_change_the_verdict)
{
	json_t *j = get_json("GET", "/api/v1/cards/1", NULL, 200);

	cr_expect(json_is_false(json_object_get(j, "safe_to_format")), "one copy of two");
	json_decref(j);
	j = get_json("PATCH", "/api/v1/productions/1", "{\"required_copies\":1}", 200);
	cr_expect_eq(json_integer_value(json_object_get(j, "required_copies")), 1);
	json_decref(j);
	j = get_json("GET", "/api/v1/cards/1", NULL, 200);
	cr_expect(json_is_true(json_object_get(j, "safe_to_format")), "one copy is enough now");
	json_decref(j);
	json_decref(get_json("PATCH", "/api/v1/productions/1", "{\"required_copies\":0}", 400));
	json_decref(get_json("PATCH", "/api/v1/productions/1", "{\"hash_algorithm\":\"crc32\"}", 400));
	json_decref(get_json("PATCH", "/api/v1/productions/1", "{\"settings\":[1]}", 400));
	json_decref(get_json("PATCH", "/api/v1/productions/9", "{\"required_copies\":2}", 404));
	/* QC settings are checked when set: the QC job would refuse an unknown one. */
	json_decref(get_json("PATCH", "/api/v1/productions/1", "{\"settings\":{\"qc\":{\"clip_pct\":2}},"
	    "\"hash_algorithm\":\"xxh128\"}", 400));
	j = get_json("PATCH", "/api/v1/productions/1", "{\"settings\":{\"qc\":{\"hold\":\"warning\"}},"
	    "\"hash_algorithm\":\"xxh128\"}", 200);
	cr_expect_str_eq(json_string_value(json_object_get(j, "hash_algorithm")), "xxh128");
	json_decref(j);
}

Test(library, lists_and_one_file)
{
	json_t *j = get_json("GET", "/api/v1/days", NULL, 200), *v;

	cr_expect_eq(json_array_size(json_object_get(j, "items")), 1);
	json_decref(j);
	j = get_json("GET", "/api/v1/volumes", NULL, 200);
	v = json_array_get(json_object_get(j, "items"), 0);
	cr_expect_str_eq(json_string_value(json_object_get(v, "name")), "RAID");
	cr_expect_eq(json_integer_value(json_object_get(v, "verified_copies")), 1);
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(v, "mounts"), 0),
	    "mount_path")), "/mnt/raid");
	json_decref(j);
	j = get_json("GET", "/api/v1/files/1", NULL, 200);
	cr_expect_str_eq(json_string_value(json_object_get(json_object_get(j, "hashes"), "xxh64")),
	    "0ea03b369a463d9d");
	json_decref(j);
	json_decref(get_json("GET", "/api/v1/files/2", NULL, 404));
	j = get_json("GET", "/api/v1/events?subject_type=clip&kind=clip.secured", NULL, 200);
	cr_expect_eq(json_array_size(json_object_get(j, "items")), 0, "one copy does not secure");
	json_decref(j);
	j = get_json("GET", "/api/v1/events?limit=2", NULL, 200);
	cr_expect_eq(json_array_size(json_object_get(j, "items")), 2);
	json_decref(j);
	json_decref(get_json("GET", "/api/v1/events?since=x", NULL, 400));
	json_decref(get_json("GET", "/api/v1/renditions", NULL, 200));
	json_decref(get_json("GET", "/api/v1/deliveries", NULL, 200));
}

Test(library, targets)
{
	json_t *j = get_json("POST", "/api/v1/targets", "{\"production_id\":1,\"name\":\"Lab\","
	    "\"url\":\"https://lab.example/files/\",\"recipient\":"
	    "\"age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj\"}", 201);

	cr_expect_str_eq(json_string_value(json_object_get(j, "name")), "Lab");
	json_decref(j);
	json_decref(get_json("POST", "/api/v1/targets", "{\"production_id\":1,\"name\":\"Lab2\","
	    "\"url\":\"ftp://x\",\"recipient\":\"age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj\"}", 400));
	json_decref(get_json("POST", "/api/v1/targets", "{\"production_id\":1,\"name\":\"Lab3\","
	    "\"url\":\"https://x\",\"recipient\":\"ssh-ed25519 AAAA\"}", 400));
	json_decref(get_json("POST", "/api/v1/targets", "{\"production_id\":1,\"name\":\"Lab\","
	    "\"url\":\"https://x\",\"recipient\":\"age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj\"}", 409));
	j = get_json("GET", "/api/v1/targets", NULL, 200);
	cr_expect_eq(json_array_size(json_object_get(j, "items")), 1);
	json_decref(j);
	json_decref(get_json("DELETE", "/api/v1/targets/1", NULL, 204));
	json_decref(get_json("DELETE", "/api/v1/targets/1", NULL, 404));
}

/* Proxy profiles in the production's settings are checked as they will be stored: the patch
 * merged over what is there (settings are merged key by key), with the field named. */
Test(library, proxy_profile_settings)
{
	json_t *j;

	json_decref(get_json("PATCH", "/api/v1/productions/1",
	    "{\"settings\":{\"proxy_profiles\":{\"review\":{\"base\":\"h264_720\",\"width\":641}}}}", 400));
	json_decref(get_json("PATCH", "/api/v1/productions/1",
	    "{\"settings\":{\"proxy_profiles\":{\"review\":{\"base\":\"h264_720\",\"width\":640}}}}", 200));
	/* Activating the profile defined by the earlier patch: it is in the stored settings. */
	j = get_json("PATCH", "/api/v1/productions/1", "{\"settings\":{\"proxy_active\":[\"review\"]}}", 200);
	cr_expect_str_eq(json_string_value(json_array_get(json_object_get(json_object_get(j,
	    "settings"), "proxy_active"), 0)), "review");
	json_decref(j);
	json_decref(get_json("PATCH", "/api/v1/productions/1",
	    "{\"settings\":{\"proxy_active\":[\"nonesuch\"]}}", 400));
}
