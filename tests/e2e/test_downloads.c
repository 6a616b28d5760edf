/* Editorial over HTTP: downloads of renditions and originals (ranges and their edge cases,
 * ETag, If-None-Match, If-Range, HEAD, roles, paths that try to leave their folder, a file
 * whose size changed), the dailies feed (order, paging, since), and the exports (ALE read back
 * with setpost's own reader, OTIO, CDL). Files are real bytes on disk, registered with rows the
 * way the transcode job leaves them. */
#include "harness.h"
#include "lib/editorial/ale.h"
#include "lib/media/cdl.h"
#include "lib/core/hash.h"

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

	sql("INSERT INTO productions (name) VALUES ('P');"
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
	    "Source File\tScene\tTake\tCamroll\tSoundroll\tASC_SOP\tASC_SAT\tCircled\r\n\r\nData\r\n")
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
	cr_expect_str_eq(ale_heading_get(&ale, "VIDEO_FORMAT"), "720");
	cr_expect_str_eq(ale_get(&ale, 0, "End"), "02:00:02:00");
	ale_release(&ale);
	harness_resp_release(&r);
	req("GET", "/api/v1/days/9/ale", NULL, NULL, &r);
	cr_expect_eq(r.status, 404);
	harness_resp_release(&r);
}

Test(downloads, otio_and_cdl)
{
	struct harness_resp r;
	struct cdl_set set = CDL_SET_INIT;
	struct err err;
	json_t *j, *clip, *ref, *range;
	char want[128];

	req("GET", "/api/v1/days/1/otio", NULL, NULL, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	j = json_loads(r.body, 0, NULL);
	cr_assert_not_null(j);
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
