/* Editorial over HTTP: downloads of renditions and originals (ranges and their edge cases,
 * ETag, If-None-Match, If-Range, HEAD, roles, paths that try to leave their folder, a file
 * whose size changed), the dailies feed (order, paging, since), and the exports (ALE read back
 * with setpost's own reader, OTIO, CDL). Files are real bytes on disk, registered with rows the
 * way the transcode job leaves them. */
#include "harness.h"
#include "lib/editorial/ale.h"
#include "lib/media/cdl.h"
#include "lib/core/hash.h"
#include "lib/media/timecode.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HOST "cart-downloads-test"
#define SIZE 100000

static struct harness_proc srv;
static char dbinfo[1024], data[512], rend[600], vol[600], etag[128];
static char admin[256], editor[256], post[256];
static unsigned char bytes[SIZE];

static void
put(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	cr_assert_not_null(f, "%s", path);
	cr_assert_eq(fwrite(buf, 1, len, f), len);
	fclose(f);
}

static void
sql(const char *q)
{
	cr_assert_geq(harness_sql(dbinfo, q, NULL, 0), 0, "%s", q);
}

static void
load(void)
{
	struct hash_result h;
	struct err err;
	char q[4096], path[800], target[800];

	for (size_t i = 0; i < SIZE; i++)
		bytes[i] = (unsigned char)(i * 7 + i / 251);
	cr_assert_eq(hash_buf(bytes, SIZE, HASH_BIT(HASH_XXH64), &h, &err), 0);
	snprintf(etag, sizeof(etag), "\"%s-%x\"", h.v[HASH_XXH64].str, SIZE);
	snprintf(path, sizeof(path), "%s/day1", rend);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/day1/A001C001.mp4", rend);
	put(path, bytes, SIZE);
	snprintf(path, sizeof(path), "%s/day1/Szene_\xc3\xbc.mp4", rend);
	put(path, bytes, 10);
	snprintf(path, sizeof(path), "%s/day1/short.mp4", rend);
	put(path, bytes, 500);          /* recorded as 600 bytes below */
	snprintf(path, sizeof(path), "%s/outside.mp4", data);
	put(path, bytes, 10);
	snprintf(path, sizeof(path), "%s/day1/link.mp4", rend);
	cr_assert_eq(symlink("../../outside.mp4", path), 0);
	snprintf(path, sizeof(path), "%s/A001R1AB", vol);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/A001R1AB/A001C001.mov", vol);
	put(path, bytes, 4000);
	snprintf(path, sizeof(path), "%s/A001R1AB/escape.mov", vol);
	snprintf(target, sizeof(target), "%s/outside.mp4", data);
	cr_assert_eq(symlink(target, path), 0);

	/* Two profiles of the production's own (Avid's DNxHD, a 720p review copy), avid first:
	 * the one editorial's exports name unless asked. */
	sql("INSERT INTO productions (name, settings) VALUES ('P', '{\"proxy_profiles\":"
	    " {\"avid\": {\"base\": \"dnxhd_36\"}, \"web\": {\"base\": \"h264_720\"}},"
	    " \"proxy_active\": [\"avid\", \"web\"]}');"
	    "INSERT INTO days (production_id, shoot_date) VALUES (1, '2026-11-25'), (1, '2026-11-26');"
	    "INSERT INTO cards (day_id, label, camera, reel) VALUES (1, 'A001', 'A', NULL),"
	    " (2, 'B001', 'B', NULL);"
	    "INSERT INTO cards (day_id, label, kind) VALUES (1, 'S001', 'sound');"
	    "INSERT INTO clips (card_id, name, scene, take, circled, reel, start_tc, fps_num, fps_den,"
	    " duration_frames, width, height, look) VALUES"
	    " (1, 'A001C001', '12A', '3', true, 'A001R1AB', '01:00:00:00', 24000, 1001, 48, 1920, 1080,"
	    "  '{\"slope\":[1.1,1,0.9],\"offset\":[0.01,0,-0.01],\"power\":[1,1,1],\"sat\":0.9}'),"
	    " (1, 'A001C002', '5', '1', false, NULL, '01:00:10:00', 24000, 1001, 24, 1920, 1080, NULL),"
	    " (1, 'A001C003', NULL, NULL, false, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),"
	    " (2, 'B001C001', '7', '2', false, NULL, '02:00:00:00', 25, 1, 50, 1280, 720, NULL),"
	    " (3, 'S001T01', NULL, NULL, false, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);"
	    "INSERT INTO scene_looks (production_id, scene, cdl) VALUES (1, '5',"
	    " '{\"slope\":[1,1,1],\"offset\":[0,0,0],\"power\":[1.2,1.2,1.2],\"sat\":1.0}');"
	    "INSERT INTO clip_sound (clip_id, sound_clip_id, offset_frames, method)"
	    " VALUES (1, 5, 0, 'timecode');"
	    "INSERT INTO clip_media (clip_id, status, audio_channels) VALUES (1, 'probed', 2)");
	snprintf(q, sizeof(q),
	    "INSERT INTO renditions (clip_id, profile, state, rel_path, size, xxh64, finished_at) VALUES"
	    " (1, 'avid', 'done', 'day1/A001C001.mp4', %d, '%s', '2026-11-25 10:00:00+00'),"
	    " (2, 'avid', 'done', 'day1/Szene_\xc3\xbc.mp4', 10, '0123456789abcdef', '2026-11-25 10:00:01+00'),"
	    " (3, 'avid', 'done', 'day1/short.mp4', 600, '0123456789abcdef', '2026-11-25 10:00:02+00'),"
	    " (4, 'avid', 'done', 'day1/link.mp4', 10, '0123456789abcdef', '2026-11-26 10:00:00+00'),"
	    " (4, 'web', 'done', '../outside.mp4', 10, '0123456789abcdef', '2026-11-26 10:00:01+00'),"
	    " (3, 'web', 'running', NULL, NULL, NULL, NULL)",
	    SIZE, h.v[HASH_XXH64].str);
	sql(q);
	snprintf(q, sizeof(q), "INSERT INTO volumes (name) VALUES ('raid');"
	    "INSERT INTO volume_mounts VALUES (1, '%s', '%s');"
	    "INSERT INTO files (card_id, clip_id, rel_path, size) VALUES"
	    " (1, 1, 'A001R1AB/A001C001.mov', 4000), (1, 1, 'A001R1AB/escape.mov', 10),"
	    " (1, 2, 'A001R1AB/none.mov', 10);"
	    "INSERT INTO hashes (file_id, algorithm, value) VALUES (1, 'xxh64', 'aaaaaaaaaaaaaaaa');"
	    "INSERT INTO copies (file_id, volume_id, rel_path, state, verified_at) VALUES"
	    " (1, 1, 'A001R1AB/A001C001.mov', 'verified', now()),"
	    " (2, 1, 'A001R1AB/escape.mov', 'verified', now())", HOST, vol);
	sql(q);
}

static void
start(void)
{
	const char *c = harness_db_create();

	cr_assert_not_null(c);
	snprintf(dbinfo, sizeof(dbinfo), "%s", c);
	snprintf(data, sizeof(data), "%s", harness_tmpdir("dl-data"));
	snprintf(rend, sizeof(rend), "%s/renditions", data);
	/* The volume is a declared one, outside the data folder (which is never served). */
	snprintf(vol, sizeof(vol), "%s", harness_tmpdir("dl-raid"));
	mkdir(rend, 0755);
	setenv("SETPOST_HOST", HOST, 1);
	setenv("SETPOST_ORIGINALS_ROLES", "admin,post", 1);
	cr_assert_eq(harness_serve(&srv, dbinfo, data), 0, "log %s", srv.log);
	unsetenv("SETPOST_ORIGINALS_ROLES");
	snprintf(admin, sizeof(admin), "%s", harness_token(dbinfo, "admin"));
	snprintf(editor, sizeof(editor), "%s", harness_token(dbinfo, "editor"));
	snprintf(post, sizeof(post), "%s", harness_token(dbinfo, "post"));
	harness_bearer = admin;
	cr_assert_eq(harness_declare_volume(&srv, vol), 201);
	harness_bearer = editor;
	load();
}

static void
stop(void)
{
	cr_expect_eq(harness_stop(&srv), 0, "log %s", srv.log);
}

TestSuite(downloads, .init = start, .fini = stop, .timeout = 120);

/* GET (or method) path with up to two extra header lines. */
static void
req(const char *method, const char *path, const char *h1, const char *h2, struct harness_resp *r)
{
	const char *hs[3] = { h1, h2, NULL };

	cr_assert_eq(harness_http(&srv, method, path, NULL, hs, r), 0);
}

static const char *
hdr(const struct harness_resp *r, const char *name)
{
	static char out[4][512];
	static int k;

	k = (k + 1) % 4;
	if (!harness_header(r, name, out[k], sizeof(out[k])))
		return "(absent)";
	return out[k];
}

#define FILE1 "/api/v1/renditions/1/file"

Test(downloads, whole_file_and_headers)
{
	struct harness_resp r;

	req("GET", FILE1, NULL, NULL, &r);
	cr_expect_eq(r.status, 200, "%s", r.body);
	cr_expect_eq(r.len, SIZE);
	cr_expect(r.len == SIZE && memcmp(r.body, bytes, SIZE) == 0, "the bytes on disk");
	cr_expect_str_eq(hdr(&r, "ETag"), etag);
	cr_expect_str_eq(hdr(&r, "Accept-Ranges"), "bytes");
	cr_expect_str_eq(hdr(&r, "Content-Type"), "video/mp4");
	cr_expect_str_eq(hdr(&r, "Content-Disposition"), "attachment; filename=\"A001C001.mp4\"");
	cr_expect(strstr(hdr(&r, "Last-Modified"), " GMT") != NULL, "%s", hdr(&r, "Last-Modified"));
	harness_resp_release(&r);
	req("HEAD", FILE1, NULL, NULL, &r);
	cr_expect_eq(r.status, 200);
	cr_expect_eq(r.len, 0, "HEAD has no body");
	cr_expect_str_eq(hdr(&r, "Content-Length"), "100000");
	cr_expect_str_eq(hdr(&r, "ETag"), etag);
	harness_resp_release(&r);
	req("GET", "/api/v1/renditions/2/file", NULL, NULL, &r);
	cr_expect_eq(r.status, 200, "%s", r.body);
	cr_expect_str_eq(hdr(&r, "Content-Disposition"),
	    "attachment; filename=\"Szene__.mp4\"; filename*=UTF-8''Szene_%C3%BC.mp4");
	harness_resp_release(&r);
	req("GET", "/api/v1/renditions/6/file", NULL, NULL, &r);
	cr_expect_eq(r.status, 409, "not ready: %s", r.body);
	harness_resp_release(&r);
	req("GET", "/api/v1/renditions/99/file", NULL, NULL, &r);
	cr_expect_eq(r.status, 404, "%s", r.body);
	harness_resp_release(&r);
}

/* One Range request: status, the first byte offset and length expected. */
static void
range(const char *spec, long status, size_t from, size_t len, const char *content_range)
{
	char h[128];
	struct harness_resp r;

	snprintf(h, sizeof(h), "Range: %s", spec);
	req("GET", FILE1, h, NULL, &r);
	cr_expect_eq(r.status, status, "%s: status %ld", spec, r.status);
	cr_expect_eq(r.len, len, "%s: %zu bytes", spec, r.len);
	if (r.len == len && status != 416)
		cr_expect(memcmp(r.body, bytes + from, len) == 0, "%s: the right bytes", spec);
	cr_expect_str_eq(hdr(&r, "Content-Range"), content_range, "%s", spec);
	harness_resp_release(&r);
}

Test(downloads, ranges)
{
	range("bytes=0-0", 206, 0, 1, "bytes 0-0/100000");
	range("bytes=10-19", 206, 10, 10, "bytes 10-19/100000");
	range("bytes=-10", 206, SIZE - 10, 10, "bytes 99990-99999/100000");
	range("bytes=-200000", 206, 0, SIZE, "bytes 0-99999/100000");
	range("bytes=99000-", 206, 99000, 1000, "bytes 99000-99999/100000");
	range("bytes=99999-500000", 206, 99999, 1, "bytes 99999-99999/100000");
	range("bytes=100000-", 416, 0, 0, "bytes */100000");
	range("bytes=200000-200001", 416, 0, 0, "bytes */100000");
	range("bytes=-0", 416, 0, 0, "bytes */100000");
	/* Several ranges: the whole file (documented); nonsense is ignored. */
	range("bytes=0-1,5-6", 200, 0, SIZE, "(absent)");
	range("bytes=5-2", 200, 0, SIZE, "(absent)");
	range("items=0-1", 200, 0, SIZE, "(absent)");
}

Test(downloads, conditionals)
{
	struct harness_resp r;
	char inm[160], ifr[160];

	snprintf(inm, sizeof(inm), "If-None-Match: %s", etag);
	req("GET", FILE1, inm, NULL, &r);
	cr_expect_eq(r.status, 304);
	cr_expect_eq(r.len, 0);
	cr_expect_str_eq(hdr(&r, "ETag"), etag);
	harness_resp_release(&r);
	req("GET", FILE1, "If-None-Match: *", NULL, &r);
	cr_expect_eq(r.status, 304, "* matches");
	harness_resp_release(&r);
	req("GET", FILE1, "If-None-Match: \"other\"", NULL, &r);
	cr_expect_eq(r.status, 200);
	harness_resp_release(&r);
	snprintf(ifr, sizeof(ifr), "If-Range: %s", etag);
	req("GET", FILE1, "Range: bytes=50000-", ifr, &r);
	cr_expect_eq(r.status, 206, "If-Range with our ETag: the range");
	cr_expect_eq(r.len, 50000);
	harness_resp_release(&r);
	req("GET", FILE1, "Range: bytes=50000-", "If-Range: \"0000000000000000-186a0\"", &r);
	cr_expect_eq(r.status, 200, "If-Range with another ETag: the whole file");
	cr_expect_eq(r.len, SIZE);
	harness_resp_release(&r);
}

Test(downloads, refused)
{
	struct harness_resp r;

	req("GET", "/api/v1/renditions/4/file", NULL, NULL, &r);
	cr_expect_eq(r.status, 403, "a symlink out of the folder: %s", r.body);
	cr_expect(strstr(r.body, "\"error\"") != NULL);
	harness_resp_release(&r);
	req("GET", "/api/v1/renditions/5/file", NULL, NULL, &r);
	cr_expect_eq(r.status, 403, "../: %s", r.body);
	harness_resp_release(&r);
	req("GET", "/api/v1/renditions/3/file", NULL, NULL, &r);
	cr_expect_eq(r.status, 409, "size changed: %s", r.body);
	cr_expect(strstr(r.body, "500 bytes on disk but 600") != NULL, "%s", r.body);
	harness_resp_release(&r);
	req("GET", "/api/v1/renditions/3/file", "Range: bytes=0-9", NULL, &r);
	cr_expect_eq(r.status, 409, "not even a range of it");
	harness_resp_release(&r);
}

Test(downloads, originals)
{
	struct harness_resp r;
	char auth[300];

	req("GET", "/api/v1/files/1/content", NULL, NULL, &r);
	cr_expect_eq(r.status, 403, "an editor cannot fetch originals: %s", r.body);
	harness_resp_release(&r);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", post);
	req("GET", "/api/v1/files/1/content", auth, NULL, &r);
	cr_expect_eq(r.status, 200, "%s", r.body);
	cr_expect(r.len == 4000 && memcmp(r.body, bytes, 4000) == 0);
	cr_expect_str_eq(hdr(&r, "ETag"), "\"xxh64-aaaaaaaaaaaaaaaa-fa0\"");
	cr_expect_str_eq(hdr(&r, "Content-Type"), "video/quicktime");
	harness_resp_release(&r);
	req("GET", "/api/v1/files/1/content", auth, "Range: bytes=-4", &r);
	cr_expect_eq(r.status, 206);
	cr_expect(r.len == 4 && memcmp(r.body, bytes + 3996, 4) == 0);
	harness_resp_release(&r);
	req("GET", "/api/v1/files/2/content", auth, NULL, &r);
	cr_expect_eq(r.status, 403, "a symlinked copy out of the volume: %s", r.body);
	harness_resp_release(&r);
	req("GET", "/api/v1/files/3/content", auth, NULL, &r);
	cr_expect_eq(r.status, 404, "no copy on this host: %s", r.body);
	cr_expect(strstr(r.body, HOST) != NULL, "%s", r.body);
	harness_resp_release(&r);
}

/* The ids of a dailies page, comma-separated, and its position. */
static void
feed(const char *query, char *ids, size_t len, char *pos, size_t poslen)
{
	struct harness_resp r;
	char path[1024];
	json_t *j, *it;
	size_t i, o = 0;

	snprintf(path, sizeof(path), "/api/v1/dailies%s", query);
	req("GET", path, NULL, NULL, &r);
	cr_assert_eq(r.status, 200, "%s: %s", path, r.body);
	j = json_loads(r.body, 0, NULL);
	cr_assert_not_null(j);
	ids[0] = '\0';
	json_array_foreach(json_object_get(j, "items"), i, it)
		o += (size_t)snprintf(ids + o, len - o, "%s%lld", i ? "," : "",
		    (long long)json_integer_value(json_object_get(it, "id")));
	snprintf(pos, poslen, "%s", json_is_string(json_object_get(j, "position")) ?
	    json_string_value(json_object_get(j, "position")) : "");
	json_decref(j);
	harness_resp_release(&r);
}

Test(downloads, dailies_feed)
{
	struct harness_resp r;
	char ids[256], pos[512], q[700];
	json_t *j, *it;

	feed("", ids, sizeof(ids), pos, sizeof(pos));
	cr_expect_str_eq(ids, "1,2,3,4,5", "done only, in the order they became ready");
	feed("?limit=2", ids, sizeof(ids), pos, sizeof(pos));
	cr_expect_str_eq(ids, "1,2");
	snprintf(q, sizeof(q), "?limit=2&cursor=%s", pos);
	feed(q, ids, sizeof(ids), pos, sizeof(pos));
	cr_expect_str_eq(ids, "3,4");
	feed("?day=2026-11-25", ids, sizeof(ids), pos, sizeof(pos));
	cr_expect_str_eq(ids, "1,2,3");
	feed("?day=2&profile=web", ids, sizeof(ids), pos, sizeof(pos));
	cr_expect_str_eq(ids, "5");
	feed("?since=2026-11-25T10:00:01Z", ids, sizeof(ids), pos, sizeof(pos));
	cr_expect_str_eq(ids, "3,4,5", "strictly after an ISO time");
	/* What is new since what I saw: nothing, then the rendition that became ready. */
	feed("", ids, sizeof(ids), pos, sizeof(pos));
	snprintf(q, sizeof(q), "?since=%s", pos);
	feed(q, ids, sizeof(ids), pos, sizeof(pos));
	cr_expect_str_eq(ids, "");
	cr_expect_neq(pos[0], '\0', "an empty page still gives a position");
	sql("UPDATE renditions SET state = 'done', rel_path = 'day1/A001C001.mp4', size = 100000,"
	    " xxh64 = '0', finished_at = '2026-11-27 00:00:00+00' WHERE id = 6");
	snprintf(q, sizeof(q), "?since=%s", pos);
	feed(q, ids, sizeof(ids), pos, sizeof(pos));
	cr_expect_str_eq(ids, "6");
	sql("UPDATE renditions SET state = 'running', finished_at = NULL, rel_path = NULL, size = NULL,"
	    " xxh64 = NULL WHERE id = 6");
	/* An item carries what a puller needs. */
	req("GET", "/api/v1/dailies?limit=1", NULL, NULL, &r);
	j = json_loads(r.body, 0, NULL);
	it = json_array_get(json_object_get(j, "items"), 0);
	cr_expect_str_eq(json_string_value(json_object_get(it, "etag")), etag);
	cr_expect_str_eq(json_string_value(json_object_get(it, "url")), FILE1);
	cr_expect_str_eq(json_string_value(json_object_get(it, "filename")), "A001C001.mp4");
	cr_expect_eq(json_integer_value(json_object_get(it, "size")), SIZE);
	cr_expect_str_eq(json_string_value(json_object_get(json_object_get(it, "day"), "date")),
	    "2026-11-25");
	cr_expect_str_eq(json_string_value(json_object_get(json_object_get(it, "card"), "label")),
	    "A001");
	cr_expect_str_eq(json_string_value(json_object_get(json_object_get(it, "clip"), "scene")),
	    "12A");
	cr_expect_str_eq(json_string_value(json_object_get(json_object_get(it, "clip"), "fps")),
	    "24000/1001");
	json_decref(j);
	harness_resp_release(&r);
	req("GET", "/api/v1/dailies?cursor=bm9wZQ", NULL, NULL, &r);
	cr_expect_eq(r.status, 400, "%s", r.body);
	harness_resp_release(&r);
	req("GET", "/api/v1/dailies?day=yesterday", NULL, NULL, &r);
	cr_expect_eq(r.status, 400, "%s", r.body);
	cr_expect(strstr(r.body, "day:") != NULL, "%s", r.body);
	harness_resp_release(&r);
}

Test(downloads, ale)
{
	struct harness_resp r;
	struct ale ale = ALE_INIT;
	struct err err;

	req("GET", "/api/v1/days/1/ale", NULL, NULL, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_expect_str_eq(hdr(&r, "Content-Disposition"), "attachment; filename=\"2026-11-25.ale\"");
	/* Layout: Heading first, FIELD_DELIM TABS its first key, CR LF lines, tab-delimited. */
	cr_expect(strncmp(r.body, "Heading\r\nFIELD_DELIM\tTABS\r\n", 26) == 0, "%.60s", r.body);
	cr_expect(strstr(r.body, "\r\nVIDEO_FORMAT\t1080\r\n") != NULL);
	cr_expect(strstr(r.body, "\r\nFPS\t23.976\r\n") != NULL);
	cr_expect(strstr(r.body, "\r\n\r\nColumn\r\nName\tTracks\tStart\tEnd\tDuration\tTape\t"
	    "Source File\tScene\tTake\tCamroll\tSoundroll\tASC_SOP\tASC_SAT\tLUT\tCircled\r\n\r\nData\r\n")
	    != NULL, "%s", r.body);
	cr_expect(strchr(r.body, '\n') == strchr(r.body, '\r') + 1);
	cr_assert_eq(ale_parse(r.body, r.len, &ale, &err), 0, "%s", err.msg);
	cr_expect_eq(ale.nrows, 3, "the camera clips of the day, not the sound card's");
	cr_expect_str_eq(ale_get(&ale, 0, "Name"), "A001C001");
	cr_expect_str_eq(ale_get(&ale, 0, "Tracks"), "VA1A2");
	cr_expect_str_eq(ale_get(&ale, 0, "Start"), "01:00:00:00");
	cr_expect_str_eq(ale_get(&ale, 0, "End"), "01:00:02:00", "End is exclusive");
	cr_expect_str_eq(ale_get(&ale, 0, "Duration"), "00:00:02:00");
	cr_expect_str_eq(ale_get(&ale, 0, "Tape"), "A001R1AB");
	cr_expect_str_eq(ale_get(&ale, 0, "Source File"), "A001C001.mp4");
	cr_expect_str_eq(ale_get(&ale, 0, "Scene"), "12A");
	cr_expect_str_eq(ale_get(&ale, 0, "Take"), "3");
	cr_expect_str_eq(ale_get(&ale, 0, "Camroll"), "A001");
	cr_expect_str_eq(ale_get(&ale, 0, "Soundroll"), "S001");
	cr_expect_str_eq(ale_get(&ale, 0, "ASC_SOP"), "(1.1 1.0 0.9)(0.01 0.0 -0.01)(1.0 1.0 1.0)");
	cr_expect_str_eq(ale_get(&ale, 0, "ASC_SAT"), "0.9");
	cr_expect_str_eq(ale_get(&ale, 0, "Circled"), "Yes");
	cr_expect_str_eq(ale_get(&ale, 1, "ASC_SOP"), "(1.0 1.0 1.0)(0.0 0.0 0.0)(1.2 1.2 1.2)",
	    "the scene's default look");
	cr_expect_str_eq(ale_get(&ale, 1, "Circled"), "");
	cr_expect_str_eq(ale_get(&ale, 2, "Start"), "", "no timecode known");
	cr_expect_str_eq(ale_get(&ale, 2, "ASC_SOP"), "");
	ale_release(&ale);
	harness_resp_release(&r);
	req("GET", "/api/v1/cards/2/ale", NULL, NULL, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_eq(ale_parse(r.body, r.len, &ale, &err), 0, "%s", err.msg);
	cr_expect_eq(ale.nrows, 1);
	cr_expect_str_eq(ale_heading_get(&ale, "FPS"), "25");
	cr_expect_str_eq(ale_heading_get(&ale, "VIDEO_FORMAT"), "1080",
	    "the DNxHD proxy Source File names is 1920x1080, whatever the camera's size");
	cr_expect_str_eq(ale_heading_get(&ale, "AUDIO_FORMAT"), "48khz", "the proxy's -ar 48000");
	cr_expect_str_eq(ale_get(&ale, 0, "End"), "02:00:02:00");
	ale_release(&ale);
	harness_resp_release(&r);
	req("GET", "/api/v1/cards/2/ale?profile=web", NULL, NULL, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_eq(ale_parse(r.body, r.len, &ale, &err), 0, "%s", err.msg);
	cr_expect_str_eq(ale_heading_get(&ale, "VIDEO_FORMAT"), "720", "the 720p review proxy");
	cr_expect_str_eq(ale_get(&ale, 0, "Source File"), "outside.mp4");
	ale_release(&ale);
	harness_resp_release(&r);
	req("GET", "/api/v1/days/1/ale?profile=prores_9000", NULL, NULL, &r);
	cr_expect_eq(r.status, 400, "%s", r.body);
	cr_expect(strstr(r.body, "\"code\":\"invalid\"") != NULL, "%s", r.body);
	harness_resp_release(&r);
	req("GET", "/api/v1/days/9/ale", NULL, NULL, &r);
	cr_expect_eq(r.status, 404);
	harness_resp_release(&r);
}

/* The strict check of one ALE file: exactly setpost's columns, the FPS of the rate the index
 * names, every timecode a label of that rate (drop-frame ';' exactly when it is 29.97DF), End
 * minus Start equal to Duration; returns the rows. */
static size_t
ale_strict(const char *body, size_t len, const char *rate_key, struct ale *ale)
{
	static const char *const cols[] = { "Name", "Tracks", "Start", "End", "Duration", "Tape",
		"Source File", "Scene", "Take", "Camroll", "Soundroll", "ASC_SOP", "ASC_SAT", "LUT",
		"Circled" };
	struct timecode_rate rate;
	struct err err;
	bool drop;

	cr_assert_eq(ale_parse(body, len, ale, &err), 0, "%s", err.msg);
	cr_assert_eq(ale->ncolumns, sizeof(cols) / sizeof(cols[0]));
	for (size_t c = 0; c < ale->ncolumns; c++)
		cr_expect_str_eq(ale->columns[c], cols[c]);
	cr_assert_eq(timecode_rate_parse(rate_key, &rate, &err), 0, "%s", err.msg);
	drop = rate.drop;
	cr_expect_eq(timecode_rate_parse(ale_heading_get(ale, "FPS"), &rate, &err), 0, "%s",
	    err.msg);
	rate.drop = drop;
	cr_expect_str_eq(ale_heading_get(ale, "FPS"), drop ? "29.97" : rate_key);
	cr_expect_not_null(ale_heading_get(ale, "VIDEO_FORMAT"));
	cr_expect_not_null(ale_heading_get(ale, "AUDIO_FORMAT"));
	cr_expect_eq(strchr(body, ';') != NULL, drop, "';' only under a drop-frame rate");
	for (size_t row = 0; row < ale->nrows; row++) {
		int64_t a, b, d;
		if (ale_get(ale, row, "Start")[0] == '\0')
			continue;
		cr_assert_eq(timecode_parse(ale_get(ale, row, "Start"), &rate, &a, &err), 0, "%s",
		    err.msg);
		cr_assert_eq(timecode_parse(ale_get(ale, row, "End"), &rate, &b, &err), 0, "%s",
		    err.msg);
		cr_assert_eq(timecode_parse(ale_get(ale, row, "Duration"), &rate, &d, &err), 0, "%s",
		    err.msg);
		cr_expect_eq(b - a, d, "%s: End - Start is Duration at %s", ale_get(ale, row, "Name"),
		    rate_key);
	}
	return ale->nrows;
}

/* A day shot at 23.976, 25 and 29.97 drop-frame: one ALE per rate, each strict, each clip in
 * the file of its own rate with its own frame count (60 frames read as 60, not 48). */
Test(downloads, ale_mixed_rates)
{
	static const struct { const char *key, *name; size_t rows; int missing; } want[] = {
		{ "23.976", "2026-11-27_23.976.ale", 3, 2 }, { "25", "2026-11-27_25.ale", 1, 1 },
		{ "29.97DF", "2026-11-27_29.97DF.ale", 1, 0 },
	};
	struct harness_resp r;
	struct ale ale = ALE_INIT;
	json_t *j, *files;
	char path[300];

	sql("INSERT INTO days (production_id, shoot_date) VALUES (1, '2026-11-27');"
	    "INSERT INTO cards (day_id, label, camera) VALUES (3, 'C001', 'C');"
	    "INSERT INTO clips (id, card_id, name, start_tc, fps_num, fps_den, duration_frames,"
	    " width, height) VALUES"
	    " (11, 4, 'C001C001', '10:00:00:00', 24000, 1001, 60, 3840, 2160),"
	    " (12, 4, 'C001C002', '11:00:00:00', 25, 1, 60, 1920, 1080),"
	    " (13, 4, 'C001C003', '12:00:59;28', 30000, 1001, 60, 1920, 1080),"
	    " (14, 4, 'C001C004', '13:00:00:00', 24000, 1001, 60, 1920, 1080),"
	    " (15, 4, 'C001C005', NULL, NULL, NULL, NULL, NULL, NULL);"
	    "INSERT INTO clip_media (clip_id, status, drop_frame) VALUES (13, 'probed', true);"
	    "INSERT INTO renditions (clip_id, profile, state, rel_path, size, xxh64) VALUES"
	    " (11, 'avid', 'done', 'd3/C001C001.mxf', 1, '0123456789abcdef'),"
	    " (11, 'web', 'done', 'd3/C001C001.mp4', 1, '0123456789abcdef'),"
	    " (12, 'web', 'done', 'd3/C001C002.mp4', 1, '0123456789abcdef'),"
	    " (13, 'avid', 'done', 'd3/C001C003.mxf', 1, '0123456789abcdef'),"
	    " (14, 'avid', 'failed', NULL, NULL, NULL)");
	req("GET", "/api/v1/days/3/ale", NULL, NULL, &r);
	cr_expect_eq(r.status, 409, "a mixed day asked without a rate: %s", r.body);
	cr_expect(strstr(r.body, "23.976, 25, 29.97DF") != NULL, "%s", r.body);
	harness_resp_release(&r);

	req("GET", "/api/v1/days/3/ales", NULL, NULL, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	j = json_loads(r.body, 0, NULL);
	cr_assert_not_null(j);
	cr_expect_str_eq(json_string_value(json_object_get(j, "profile")), "avid",
	    "the first active profile, not the first done one by name");
	files = json_object_get(j, "files");
	cr_assert_eq(json_array_size(files), 3, "%s", r.body);
	for (size_t i = 0; i < 3; i++) {
		json_t *f = json_array_get(files, i);
		struct harness_resp a;
		char missing[8];
		cr_expect_str_eq(json_string_value(json_object_get(f, "rate")), want[i].key);
		cr_expect_str_eq(json_string_value(json_object_get(f, "name")), want[i].name);
		cr_expect_eq(json_array_size(json_object_get(f, "missing")), (size_t)want[i].missing);
		req("GET", json_string_value(json_object_get(f, "url")), NULL, NULL, &a);
		cr_assert_eq(a.status, 200, "%s", a.body);
		snprintf(path, sizeof(path), "attachment; filename=\"%s\"", want[i].name);
		cr_expect_str_eq(hdr(&a, "Content-Disposition"), path);
		snprintf(missing, sizeof(missing), "%d", want[i].missing);
		cr_expect_str_eq(hdr(&a, "X-Setpost-Proxies-Missing"), missing);
		cr_expect_eq(ale_strict(a.body, a.len, want[i].key, &ale), want[i].rows, "%s",
		    want[i].key);
		if (i == 0) {
			cr_expect_str_eq(ale_get(&ale, 0, "Source File"), "C001C001.mxf");
			cr_expect_str_eq(ale_get(&ale, 0, "Duration"), "00:00:02:12", "60 frames at 24");
			cr_expect_str_eq(ale_get(&ale, 1, "Name"), "C001C004");
			cr_expect_str_eq(ale_get(&ale, 1, "Source File"), "", "its proxy failed");
			cr_expect_str_eq(ale_get(&ale, 2, "Name"), "C001C005", "no rate: the common one");
			cr_expect_str_eq(ale_heading_get(&ale, "VIDEO_FORMAT"), "1080",
			    "the 1920x1080 proxy of a UHD camera file");
		} else if (i == 1) {
			cr_expect_str_eq(ale_get(&ale, 0, "Duration"), "00:00:02:10", "60 frames at 25");
			cr_expect_str_eq(ale_get(&ale, 0, "Source File"), "", "only its web proxy is done");
		} else {
			cr_expect_str_eq(ale_get(&ale, 0, "Start"), "12:00:59;28");
			cr_expect_str_eq(ale_get(&ale, 0, "End"), "12:01:02;00", "labels ;00 ;01 dropped");
			cr_expect_str_eq(ale_get(&ale, 0, "Duration"), "00:00:02;00");
		}
		ale_release(&ale);
		harness_resp_release(&a);
	}
	json_decref(j);
	harness_resp_release(&r);

	req("GET", "/api/v1/days/3/ales?by=card&profile=web", NULL, NULL, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	j = json_loads(r.body, 0, NULL);
	files = json_object_get(j, "files");
	cr_expect_eq(json_array_size(files), 3);
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(files, 0), "name")),
	    "2026-11-27_C001_23.976.ale");
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(files, 0), "url")),
	    "/api/v1/cards/4/ale?profile=web&rate=23.976");
	json_decref(j);
	harness_resp_release(&r);
	req("GET", "/api/v1/cards/4/ale?rate=29.97DF&profile=web", NULL, NULL, &r);
	cr_expect_eq(r.status, 200, "%s", r.body);
	cr_expect_str_eq(hdr(&r, "X-Setpost-Proxies-Missing"), "1");
	harness_resp_release(&r);
	req("GET", "/api/v1/days/3/ale?rate=29.97", NULL, NULL, &r);
	cr_expect_eq(r.status, 404, "29.97 non-drop is another rate: %s", r.body);
	harness_resp_release(&r);
	req("GET", "/api/v1/days/3/ale?rate=fast", NULL, NULL, &r);
	cr_expect_eq(r.status, 400, "%s", r.body);
	harness_resp_release(&r);
	req("GET", "/api/v1/days/3/ales?by=lens", NULL, NULL, &r);
	cr_expect_eq(r.status, 400, "%s", r.body);
	harness_resp_release(&r);
}

/* An OpenTimelineIO document checked against the published schemas (OTIO's
 * docs/tutorials/otio-serialized-schema.md, OTIO 0.15-0.18): each object's OTIO_SCHEMA is one
 * this checker knows, it has exactly that schema's fields (plus the optional "color" of items),
 * each of the right type, children of the right kinds; a Timeline's items have a source_range
 * (their length on the track) and a Track's kind is Video or Audio. parent: the schema of the
 * enclosing object, NULL at the top. */
static bool otio_valid(json_t *o, const char *parent);

static bool
otio_fields(json_t *o, const char *const *want, size_t n)
{
	const char *k;
	json_t *v;
	size_t seen = 0;

	json_object_foreach(o, k, v) {
		bool known = strcmp(k, "OTIO_SCHEMA") == 0 || strcmp(k, "color") == 0;
		for (size_t i = 0; i < n && !known; i++)
			known = strcmp(k, want[i]) == 0;
		if (!known) {
			cr_log_error("unknown field %s in %s", k,
			    json_string_value(json_object_get(o, "OTIO_SCHEMA")));
			return false;
		}
	}
	for (size_t i = 0; i < n; i++)
		seen += json_object_get(o, want[i]) != NULL;
	if (seen != n)
		cr_log_error("missing fields in %s", json_string_value(json_object_get(o, "OTIO_SCHEMA")));
	return seen == n;
}

static bool
otio_time_ok(json_t *t)
{
	const char *const f[] = { "rate", "value" };

	return json_is_object(t) && strcmp(json_string_value(json_object_get(t, "OTIO_SCHEMA")) ?
	    json_string_value(json_object_get(t, "OTIO_SCHEMA")) : "", "RationalTime.1") == 0 &&
	    otio_fields(t, f, 2) && json_is_number(json_object_get(t, "rate")) &&
	    json_number_value(json_object_get(t, "rate")) > 0 &&
	    json_is_number(json_object_get(t, "value"));
}

static bool
otio_range_ok(json_t *r, bool nullable)
{
	const char *const f[] = { "start_time", "duration" };

	if (json_is_null(r))
		return nullable;
	return json_is_object(r) && strcmp(json_string_value(json_object_get(r, "OTIO_SCHEMA")) ?
	    json_string_value(json_object_get(r, "OTIO_SCHEMA")) : "", "TimeRange.1") == 0 &&
	    otio_fields(r, f, 2) && otio_time_ok(json_object_get(r, "start_time")) &&
	    otio_time_ok(json_object_get(r, "duration")) &&
	    json_number_value(json_object_get(json_object_get(r, "duration"), "value")) >= 0;
}

/* The fields every Item has (Clip, Gap, Track, Stack), checked. */
static bool
otio_item_ok(json_t *o, bool in_track)
{
	return json_is_string(json_object_get(o, "name")) &&
	    json_is_object(json_object_get(o, "metadata")) &&
	    otio_range_ok(json_object_get(o, "source_range"), !in_track) &&
	    json_is_array(json_object_get(o, "effects")) &&
	    json_is_array(json_object_get(o, "markers")) &&
	    json_is_boolean(json_object_get(o, "enabled"));
}

static bool
otio_children_ok(json_t *o, const char *self)
{
	json_t *c = json_object_get(o, "children"), *v;
	size_t i;

	if (!json_is_array(c))
		return false;
	json_array_foreach(c, i, v)
		if (!otio_valid(v, self))
			return false;
	return true;
}

static bool
otio_valid(json_t *o, const char *parent)
{
	static const char *const timeline[] = { "name", "metadata", "global_start_time", "tracks" };
	static const char *const stack[] = { "name", "metadata", "source_range", "effects",
		"markers", "enabled", "children" };
	static const char *const track[] = { "name", "metadata", "source_range", "effects",
		"markers", "enabled", "children", "kind" };
	static const char *const clip[] = { "name", "metadata", "source_range", "effects",
		"markers", "enabled", "media_references", "active_media_reference_key" };
	static const char *const gap[] = { "name", "metadata", "source_range", "effects", "markers",
		"enabled" };
	static const char *const ext[] = { "name", "metadata", "available_range",
		"available_image_bounds", "target_url" };
	static const char *const coll[] = { "name", "metadata", "children" };
	const char *schema = json_string_value(json_object_get(o, "OTIO_SCHEMA"));
	bool in_track = parent && strcmp(parent, "Track.1") == 0;

	if (!json_is_object(o) || schema == NULL)
		return false;
	if (strcmp(schema, "Timeline.1") == 0)
		return parent == NULL && otio_fields(o, timeline, 4) &&
		    json_is_string(json_object_get(o, "name")) &&
		    json_is_object(json_object_get(o, "metadata")) &&
		    (json_is_null(json_object_get(o, "global_start_time")) ||
		    otio_time_ok(json_object_get(o, "global_start_time"))) &&
		    otio_valid(json_object_get(o, "tracks"), schema);
	if (strcmp(schema, "Stack.1") == 0)
		return otio_fields(o, stack, 7) && otio_item_ok(o, false) &&
		    otio_children_ok(o, schema);
	if (strcmp(schema, "Track.1") == 0) {
		const char *kind = json_string_value(json_object_get(o, "kind"));
		return parent && strcmp(parent, "Stack.1") == 0 && otio_fields(o, track, 8) &&
		    otio_item_ok(o, false) && kind && (strcmp(kind, "Video") == 0 ||
		    strcmp(kind, "Audio") == 0) && otio_children_ok(o, schema);
	}
	if (strcmp(schema, "Clip.2") == 0) {
		json_t *refs = json_object_get(o, "media_references"), *v;
		const char *key = json_string_value(json_object_get(o, "active_media_reference_key"));
		const char *k;
		if (!otio_fields(o, clip, 8) || !otio_item_ok(o, in_track) || !json_is_object(refs) ||
		    key == NULL || json_object_get(refs, key) == NULL)
			return false;
		json_object_foreach(refs, k, v)
			if (!otio_valid(v, schema))
				return false;
		return true;
	}
	if (strcmp(schema, "Gap.1") == 0)
		return in_track && otio_fields(o, gap, 6) && otio_item_ok(o, true);
	if (strcmp(schema, "ExternalReference.1") == 0)
		return parent && strcmp(parent, "Clip.2") == 0 && otio_fields(o, ext, 5) &&
		    json_is_string(json_object_get(o, "name")) &&
		    json_is_object(json_object_get(o, "metadata")) &&
		    otio_range_ok(json_object_get(o, "available_range"), true) &&
		    json_is_null(json_object_get(o, "available_image_bounds")) &&
		    json_is_string(json_object_get(o, "target_url"));
	if (strcmp(schema, "SerializableCollection.1") == 0)
		return otio_fields(o, coll, 3) && json_is_string(json_object_get(o, "name")) &&
		    json_is_object(json_object_get(o, "metadata")) && otio_children_ok(o, schema);
	cr_log_error("unknown schema %s", schema);
	return false;
}

Test(downloads, otio_and_cdl)
{
	struct harness_resp r;
	struct cdl_set set = CDL_SET_INIT;
	struct err err;
	json_t *j, *clip, *ref, *range;
	char want[128];

	req("GET", "/api/v1/days/1/otio?as=bin", NULL, NULL, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	j = json_loads(r.body, 0, NULL);
	cr_assert_not_null(j);
	cr_expect(otio_valid(j, NULL), "the bin passes the schema check");
	cr_expect_str_eq(json_string_value(json_object_get(j, "OTIO_SCHEMA")),
	    "SerializableCollection.1");
	cr_expect_eq(json_array_size(json_object_get(j, "children")), 3, "clips with a rendition");
	clip = json_array_get(json_object_get(j, "children"), 0);
	cr_expect_str_eq(json_string_value(json_object_get(clip, "OTIO_SCHEMA")), "Clip.2");
	cr_expect_str_eq(json_string_value(json_object_get(clip, "name")), "A001C001");
	ref = json_object_get(json_object_get(clip, "media_references"), "DEFAULT_MEDIA");
	cr_expect_str_eq(json_string_value(json_object_get(ref, "OTIO_SCHEMA")), "ExternalReference.1");
	snprintf(want, sizeof(want), "http://127.0.0.1:%d" FILE1, srv.port);
	cr_expect_str_eq(json_string_value(json_object_get(ref, "target_url")), want);
	range = json_object_get(ref, "available_range");
	cr_expect_eq(json_real_value(json_object_get(json_object_get(range, "start_time"), "value")),
	    86400.0, "01:00:00:00 at 23.976 is frame 86400");
	cr_expect_eq(json_real_value(json_object_get(json_object_get(range, "duration"), "value")),
	    48.0);
	cr_expect(json_real_value(json_object_get(json_object_get(range, "duration"), "rate")) >
	    23.97 && json_real_value(json_object_get(json_object_get(range, "duration"), "rate")) <
	    23.98);
	json_decref(j);
	harness_resp_release(&r);

	/* The day as a timeline: Timeline > Stack > Track V1 (and A1: A001C001 has sound). */
	req("GET", "/api/v1/days/1/otio", NULL, NULL, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	j = json_loads(r.body, 0, NULL);
	cr_assert_not_null(j);
	cr_expect(otio_valid(j, NULL), "the timeline passes the schema check: %.400s", r.body);
	{
		json_t *tracks = json_object_get(json_object_get(j, "tracks"), "children");
		json_t *v1 = json_array_get(tracks, 0), *a1 = json_array_get(tracks, 1), *c0, *meta;
		cr_expect_str_eq(json_string_value(json_object_get(j, "OTIO_SCHEMA")), "Timeline.1");
		cr_assert_eq(json_array_size(tracks), 2);
		cr_expect_str_eq(json_string_value(json_object_get(v1, "kind")), "Video");
		cr_expect_str_eq(json_string_value(json_object_get(a1, "kind")), "Audio");
		cr_expect_eq(json_array_size(json_object_get(v1, "children")), 2,
		    "A001C003 has no timecode: left off, and said so");
		cr_expect_str_eq(json_string_value(json_array_get(json_object_get(json_object_get(
		    json_object_get(j, "metadata"), "setpost"), "left_off"), 0)), "A001C003");
		c0 = json_array_get(json_object_get(v1, "children"), 0);
		cr_expect_str_eq(json_string_value(json_object_get(json_object_get(json_object_get(c0,
		    "media_references"), "DEFAULT_MEDIA"), "target_url")), "A001/A001C001.mp4",
		    "relative to the folder setpost pull writes");
		cr_expect_str_eq(json_string_value(json_object_get(json_object_get(json_object_get(
		    json_array_get(json_object_get(v1, "children"), 1), "media_references"),
		    "DEFAULT_MEDIA"), "target_url")), "A001/Szene_%C3%BC.mp4", "percent-encoded");
		meta = json_object_get(c0, "metadata");
		cr_expect_str_eq(json_string_value(json_object_get(json_object_get(meta, "ALE"),
		    "Scene")), "12A");
		cr_expect_str_eq(json_string_value(json_object_get(json_object_get(meta, "ALE"),
		    "Circled")), "Yes");
		cr_expect_str_eq(json_string_value(json_object_get(json_object_get(meta, "ALE"),
		    "Tape")), "A001R1AB");
		cr_expect_eq(json_real_value(json_array_get(json_object_get(json_object_get(
		    json_object_get(meta, "cdl"), "asc_sop"), "slope"), 0)), 1.1);
		cr_expect_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(a1,
		    "children"), 0), "OTIO_SCHEMA")), "Clip.2", "A001C001's synced sound");
		cr_expect_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(a1,
		    "children"), 1), "OTIO_SCHEMA")), "Gap.1", "A001C002 has none: a gap as long");
		/* Broken on purpose, the checker says so (it can fail). */
		json_object_set_new(c0, "source_range", json_null());
		cr_expect(!otio_valid(j, NULL), "a clip on a track without a source_range");
		json_object_del(c0, "source_range");
		json_object_set_new(c0, "source_range", json_string("x"));
		cr_expect(!otio_valid(j, NULL));
	}
	json_decref(j);
	harness_resp_release(&r);
	req("GET", "/api/v1/days/1/otio?as=reel", NULL, NULL, &r);
	cr_expect_eq(r.status, 400, "%s", r.body);
	harness_resp_release(&r);

	req("GET", "/api/v1/days/1/looks.ccc", NULL, NULL, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_eq(cdl_read_mem(r.body, r.len, "looks.ccc", &set, &err), 2, "%s", err.msg);
	cr_expect_str_eq(set.v[0].id, "A001C001");
	cr_expect_eq(set.v[0].slope[0], 1.1);
	cr_expect_str_eq(set.v[1].id, "A001C002");
	cr_expect_eq(set.v[1].power[1], 1.2);
	cdl_set_release(&set);
	harness_resp_release(&r);
	req("GET", "/api/v1/clips/1/look.cc", NULL, NULL, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_expect(strstr(r.body, "<ColorCorrection ") != NULL, "%s", r.body);
	cr_assert_eq(cdl_read_mem(r.body, r.len, "look.cc", &set, &err), 1, "%s", err.msg);
	cr_expect_eq(set.v[0].sat, 0.9);
	cdl_set_release(&set);
	harness_resp_release(&r);
	req("GET", "/api/v1/clips/3/look.cc", NULL, NULL, &r);
	cr_expect_eq(r.status, 404, "no look: %s", r.body);
	harness_resp_release(&r);
}

/* Over HTTPS the file is read in 256 KiB blocks: ranges across block boundaries, the whole
 * file, and the edges must give the same bytes as over HTTP. */
Test(downloads, over_https)
{
	const char *dir = harness_tmpdir("dl-tls");
	char cert[600], key[600], cmd[1600], path[800], q[600], h[64];
	static unsigned char big[700000];
	struct harness_proc tls;
	struct harness_resp r;
	static const struct { const char *range; size_t from, len; long status; } cases[] = {
		{ NULL, 0, sizeof(big), 200 }, { "bytes=0-0", 0, 1, 206 },
		{ "bytes=262143-262144", 262143, 2, 206 }, { "bytes=300000-600000", 300000, 300001, 206 },
		{ "bytes=-5", sizeof(big) - 5, 5, 206 }, { "bytes=100-", 100, sizeof(big) - 100, 206 },
		{ "bytes=700000-", 0, 0, 416 },
	};

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)(i * 31 + i / 977);
	snprintf(path, sizeof(path), "%s/day1/big.mp4", rend);
	put(path, big, sizeof(big));
	sql("INSERT INTO renditions (clip_id, profile, state, rel_path, size, xxh64, finished_at)"
	    " VALUES (2, 'big', 'done', 'day1/big.mp4', 700000, '00000000000000ff', now())");
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	snprintf(cmd, sizeof(cmd), "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
	    " -nodes -days 1 -subj /CN=localhost -keyout %s -out %s 2>/dev/null", key, cert);
	cr_assert_eq(system(cmd), 0, "openssl makes a certificate");
	cr_assert_eq(harness_serve_args(&tls, dbinfo, data, (const char *[]){ "--tls-cert", cert,
	    "--tls-key", key, NULL }), 0, "log %s", tls.log);
	snprintf(q, sizeof(q), "/api/v1/renditions/7/file");
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const char *hs[2] = { h, NULL };
		snprintf(h, sizeof(h), "Range: %s", cases[k].range ? cases[k].range : "none=0-");
		cr_assert_eq(harness_http(&tls, "GET", q, NULL, hs, &r), 0);
		cr_expect_eq(r.status, cases[k].status, "%s: %ld %s", h, r.status,
		    r.status >= 400 ? r.body : "");
		cr_expect_eq(r.len, cases[k].len, "%s: %zu bytes", h, r.len);
		if (r.len == cases[k].len && cases[k].len)
			cr_expect(memcmp(r.body, big + cases[k].from, r.len) == 0, "%s: the right bytes", h);
		harness_resp_release(&r);
	}
	cr_expect_eq(harness_stop(&tls), 0, "log %s", tls.log);
}
