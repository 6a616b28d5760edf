/* seeds: writes the starting corpus of every harness, made with setpost's own writers (CDL,
 * .cube, ALE, BWF, MHL, cursors, timecode labels, profiles) so each harness starts from inputs
 * the parser accepts; libFuzzer mutates from there. Small hand-written seeds (other tools'
 * files, the unit tests' awkward cases) are committed in tests/fuzz/seeds/<harness>/.
 *   build/fuzz/seeds OUTDIR HARNESS...   (writes OUTDIR/HARNESS/seed-N for each)
 */
#include "tests/fuzz/fuzz.h"
#include "lib/core/hash.h"
#include "lib/custody/mhl.h"
#include "lib/editorial/ale.h"
#include "lib/media/bwf.h"
#include "lib/media/cdl.h"
#include "lib/media/cdl_json.h"
#include "lib/media/lut.h"
#include "lib/media/profile.h"
#include "lib/media/qc.h"
#include "lib/media/timecode.h"
#include "server/cursor.h"
#include "server/http.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *seeds_out;
static const char *seeds_harness;
static int seeds_n;

static void
seeds_die(const char *what, const struct err *err)
{
	fprintf(stderr, "seeds: %s: %s: %s\n", seeds_harness, what, err ? err->msg : strerror(errno));
	exit(1);
}

static void
seeds_put(const void *data, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/seed-%d", seeds_out, seeds_harness, ++seeds_n);
	if ((f = fopen(path, "wb")) == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		seeds_die(path, NULL);
}

static void
seeds_puts(const char *s)
{
	seeds_put(s, strlen(s));
}

static void
seeds_file(const char *path)
{
	char *data = NULL;
	size_t len = 0, got;
	FILE *f = fopen(path, "rb"), *m = open_memstream(&data, &len);
	char buf[4096];

	if (f == NULL || m == NULL)
		seeds_die(path, NULL);
	while ((got = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, got, m);
	fclose(f);
	fclose(m);
	seeds_put(data, len);
	free(data);
}

static struct cdl
seeds_cdl(const char *id, double k)
{
	struct cdl c;

	cdl_init(&c);
	snprintf(c.id, sizeof(c.id), "%s", id);
	for (int i = 0; i < 3; i++) {
		c.slope[i] = 1.0 + k * (i + 1);
		c.offset[i] = -0.01 * k * i;
		c.power[i] = 1.0 - 0.05 * k;
	}
	c.sat = 1.0 - 0.1 * k;
	return c;
}

static void
seeds_cdl_xml(void)
{
	struct cdl v[3] = { seeds_cdl("A001C003", 0.1), seeds_cdl("", 0.5), seeds_cdl("scene 12 & \"night\"", 1) };
	struct err err;
	char *text;
	size_t len;

	if (cdl_write_cc(&v[0], &text, &len, &err) < 0)
		seeds_die("cc", &err);
	seeds_put(text, len);
	free(text);
	if (cdl_write_ccc(v, 3, &text, &len, &err) < 0)
		seeds_die("ccc", &err);
	seeds_put(text, len);
	free(text);
}

static void
seeds_cdl_json(void)
{
	struct cdl c = seeds_cdl("A001C003", 0.2);
	json_t *j;
	char *text;

	for (int with_id = 0; with_id < 2; with_id++) {
		j = cdl_to_json(&c, with_id);
		text = json_dumps(j, JSON_COMPACT);
		seeds_puts(text);
		free(text);
		json_decref(j);
	}
	seeds_puts("{\"slope\":[1,1,1]}");
	seeds_puts("{\"sat\":0.5,\"power\":[1.2,1,0.9]}");
}

static void
seeds_cube(void)
{
	struct lut l = LUT_INIT;
	struct err err;
	char *text;
	size_t len;

	for (int size = 2; size <= 4; size++) {
		if (lut_identity(&l, size, &err) < 0 || (size == 3 && snprintf(l.title, sizeof(l.title),
		    "show look") < 0))
			seeds_die("identity", &err);
		if (size == 4)
			l.dmin[0] = -0.25, l.dmax[2] = 1.5;
		if (lut_write_cube(&l, &text, &len, &err) < 0)
			seeds_die("cube", &err);
		seeds_put(text, len);
		free(text);
		lut_release(&l);
	}
}

static void
seeds_ale(void)
{
	static const char *const cols[] = { "Name", "Tracks", "Start", "End", "Tape", "Scene",
		"Take", "ASC_SOP", "ASC_SAT" };
	struct ale a = ALE_INIT;
	struct timecode_rate r;
	struct err err;
	char *text = NULL, sop[ALE_SOP_BUFSZ], sat[ALE_SAT_BUFSZ];
	size_t len = 0;
	double sl[3] = { 1.1, 1, 0.9 }, of[3] = { 0, 0.01, -0.02 }, pw[3] = { 1, 1, 1.05 };
	FILE *f;

	if (timecode_rate_make(24000, 1001, false, &r, &err) < 0 ||
	    ale_heading_standard(&a, 1920, 1080, 48000, &r, &err) < 0 ||
	    ale_sop_format(sl, of, pw, sop, &err) < 0 || ale_sat_format(0.9, sat, &err) < 0)
		seeds_die("ale", &err);
	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
		if (ale_column_add(&a, cols[i], &err) < 0)
			seeds_die("column", &err);
	for (int row = 0; row < 2; row++) {
		const char *vals[] = { row ? "A001C004" : "A001C003", "VA1A2", "01:00:00:00",
			"01:00:10:00", "A001", "12A", row ? "2" : "1", sop, sat };
		if (ale_row_add(&a, &err) < 0)
			seeds_die("row", &err);
		for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
			if (ale_cell_set(&a, (size_t)row, cols[i], vals[i], &err) < 0)
				seeds_die("cell", &err);
	}
	for (int eol = 0; eol < 2; eol++) {
		if ((f = open_memstream(&text, &len)) == NULL || ale_write(&a, f, eol ? ALE_EOL_LF :
		    ALE_EOL_CRLF, &err) < 0)
			seeds_die("write", &err);
		fclose(f);
		seeds_put(text, len);
		free(text);
	}
	ale_release(&a);
}

/* A RIFF WAV of a few PCM frames, then bext and iXML written by bwf_write_meta. */
static void
seeds_bwf(void)
{
	static const char ixml[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<BWFXML>"
	    "<IXML_VERSION>1.5</IXML_VERSION><PROJECT>setpost</PROJECT><SCENE>12A</SCENE>"
	    "<TAKE>3</TAKE><TAPE>SR001</TAPE><CIRCLED>TRUE</CIRCLED><NOTE>wild line</NOTE>"
	    "<SPEED><NOTE>x</NOTE><TIMECODE_RATE>24000/1001</TIMECODE_RATE>"
	    "<TIMECODE_FLAG>NDF</TIMECODE_FLAG><FILE_SAMPLE_RATE>48000</FILE_SAMPLE_RATE>"
	    "<TIMESTAMP_SAMPLE_RATE>48000</TIMESTAMP_SAMPLE_RATE>"
	    "<TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_HI>0</TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_HI>"
	    "<TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_LO>172972800</TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_LO>"
	    "</SPEED><TRACK_LIST><TRACK_COUNT>2</TRACK_COUNT><TRACK><CHANNEL_INDEX>1"
	    "</CHANNEL_INDEX><NAME>Boom</NAME></TRACK><TRACK><CHANNEL_INDEX>2</CHANNEL_INDEX>"
	    "<NAME>Lav 1</NAME></TRACK></TRACK_LIST></BWFXML>";
	/* RIFF, fmt (PCM, 2 channels, 48 kHz, 16 bit), data of 4 frames. */
	static const unsigned char wav[] = {
		'R', 'I', 'F', 'F', 52, 0, 0, 0, 'W', 'A', 'V', 'E',
		'f', 'm', 't', ' ', 16, 0, 0, 0, 1, 0, 2, 0, 0x80, 0xbb, 0, 0, 0, 0xee, 2, 0, 4, 0,
		16, 0, 'd', 'a', 't', 'a', 16, 0, 0, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8, 0,
	};
	struct bwf_meta meta = { "scene 12A take 3", "Sound Devices", "SD-1234", "2026-12-07",
		"10:00:00", 172972800, 2, "A=PCM,F=48000,W=24,M=stereo\r\n", ixml };
	char dir[] = "/tmp/setpost-seeds.XXXXXX", path[64];
	struct err err;
	FILE *f;

	seeds_put(wav, sizeof(wav));
	if (mkdtemp(dir) == NULL)
		seeds_die("mkdtemp", NULL);
	snprintf(path, sizeof(path), "%s/a.wav", dir);
	if ((f = fopen(path, "wb")) == NULL || fwrite(wav, 1, sizeof(wav), f) != sizeof(wav) ||
	    fclose(f) != 0)
		seeds_die(path, NULL);
	if (bwf_write_meta(path, &meta, &err) < 0)
		seeds_die("bwf_write_meta", &err);
	seeds_file(path);
	meta.ixml = NULL;
	meta.coding_history = NULL;
	if (bwf_write_meta(path, &meta, &err) < 0)
		seeds_die("bwf_write_meta", &err);
	seeds_file(path);
	unlink(path);
	rmdir(dir);
}

static void
seeds_ixml(void)
{
	seeds_puts("<BWFXML><SCENE>12A</SCENE><TAKE>3</TAKE><CIRCLED>FALSE</CIRCLED><SPEED>"
	    "<TIMECODE_RATE>30000/1001</TIMECODE_RATE><TIMECODE_FLAG>DF</TIMECODE_FLAG>"
	    "<TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_LO>1000</TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_LO>"
	    "<TIMESTAMP_SAMPLE_RATE>48000</TIMESTAMP_SAMPLE_RATE></SPEED>"
	    "<TRACK_LIST><TRACK><CHANNEL_INDEX>1</CHANNEL_INDEX><NAME>Mix</NAME></TRACK>"
	    "</TRACK_LIST></BWFXML>");
	seeds_puts("<?xml version=\"1.0\"?><BWFXML><PROJECT> Night Shoot </PROJECT>"
	    "<NOTE>noisy</NOTE><SPEED><TIMECODE_RATE>25/1</TIMECODE_RATE>"
	    "<TIMECODE_FLAG>NDF</TIMECODE_FLAG><FILE_SAMPLE_RATE>96000</FILE_SAMPLE_RATE>"
	    "<TIMESTAMP_SAMPLE_SINCE_MIDNIGHT_HI>1</TIMESTAMP_SAMPLE_SINCE_MIDNIGHT_HI>"
	    "<TIMESTAMP_SAMPLE_SINCE_MIDNIGHT_LO>0</TIMESTAMP_SAMPLE_SINCE_MIDNIGHT_LO>"
	    "</SPEED></BWFXML>");
}

static void
seeds_timecode(void)
{
	static const struct { unsigned num, den; bool drop; } rates[] = {
		{ 24000, 1001, false }, { 24, 1, false }, { 25, 1, false }, { 30000, 1001, false },
		{ 30000, 1001, true }, { 30, 1, false }, { 48, 1, false }, { 50, 1, false },
		{ 60000, 1001, true }, { 60, 1, false },
	};
	struct timecode_rate r;
	struct err err;
	char rate[TIMECODE_RATE_BUFSZ], label[TIMECODE_BUFSZ], seed[128];

	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		int64_t frames = 3600LL * 24 * (int64_t)(i + 1) + 1799;
		uint64_t samples = 48000ULL * 3600 * (i + 1);
		uint32_t sr = i % 2 ? 48000 : 96000;
		size_t n;

		if (timecode_rate_make(rates[i].num, rates[i].den, rates[i].drop, &r, &err) < 0 ||
		    timecode_format(&r, frames, label, &err) < 0)
			seeds_die("timecode", &err);
		if (i % 2)
			timecode_rate_fraction(&r, rate);
		else
			timecode_rate_decimal(&r, rate);
		n = (size_t)snprintf(seed, sizeof(seed), "%s%s\n%s\n", rate, r.drop ? " DF" : "", label);
		memcpy(seed + n, &frames, 8);
		memcpy(seed + n + 8, &samples, 8);
		memcpy(seed + n + 16, &sr, 4);
		seeds_put(seed, n + 20);
	}
}

static void
seeds_cursor(void)
{
	static const char *const vals[][3] = { { "A001C003", "12", NULL },
		{ "2026-12-07", "7", NULL }, { "scene \"12\"", "take/3", "\xc3\xa9t\xc3\xa9" } };
	char seed[2048], *c;

	for (int n = 1; n <= 3; n++) {
		c = cursor_make("clips:name", (const char *const *)vals[n - 1], n);
		snprintf(seed, sizeof(seed), "clips:name\n%s", c);
		seeds_puts(seed);
		free(c);
	}
	seeds_puts("dailies\nA001C003\n12");
}

static void
seeds_tus(void)
{
	static const char *const names[][2] = { { "filename", "A001C003.mov" },
		{ "xxh64", "0123456789abcdef" }, { "size", "1048576" } };
	char meta[1024] = "", b64[256], seed[2048], sum[64];
	unsigned char digest[20] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18,
		19, 20 };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)names[i][1],
		    strlen(names[i][1]), sodium_base64_VARIANT_ORIGINAL);
		snprintf(meta + strlen(meta), sizeof(meta) - strlen(meta), "%s%s %s", i ? "," : "",
		    names[i][0], b64);
	}
	sodium_bin2base64(sum, sizeof(sum), digest, 20, sodium_base64_VARIANT_ORIGINAL);
	snprintf(seed, sizeof(seed), "%s,flag\n1048576\nsha1 %s", meta, sum);
	seeds_puts(seed);
	sodium_bin2base64(sum, sizeof(sum), digest, 8, sodium_base64_VARIANT_ORIGINAL);
	snprintf(seed, sizeof(seed), "filename QS5tb3Y=\n0\nxxh3 %s", sum);
	seeds_puts(seed);
	sodium_bin2base64(sum, sizeof(sum), digest, 16, sodium_base64_VARIANT_ORIGINAL);
	snprintf(seed, sizeof(seed), "\n9223372036854775807\nmd5 %s", sum);
	seeds_puts(seed);
}

static void
seeds_settings(void)
{
	json_t *settings = json_object(), *pp = json_object(), *act = json_array(), *review;
	struct qc_settings qc;
	int n;
	const struct profile *b = profile_builtin(&n);
	char *text;

	for (int i = 0; i < n; i++) {
		json_t *p = profile_to_json(&b[i]);
		json_object_del(p, "name");
		json_object_set_new(pp, b[i].name, p);
		json_array_append_new(act, json_string(b[i].name));
	}
	review = json_pack("{s:s,s:s,s:{s:s,s:s,s:s,s:f}}", "base", "h264_720", "naming",
	    "{day}/{card}/{clip}_{scene}-{take}.{ext}", "burnin", "top_left", "{clip}",
	    "bottom_right", "TC {tc}", "center", "CONFIDENTIAL {production}", "size", 0.04);
	json_object_set_new(pp, "review", review);
	json_array_append_new(act, json_string("review"));
	json_object_set_new(settings, "proxy_profiles", pp);
	json_object_set_new(settings, "proxy_active", act);
	qc_settings_default(&qc);
	json_object_set_new(settings, "qc", qc_settings_json(&qc));
	json_object_set_new(settings, "fuzz_vars", json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}",
	    "day", "D01", "card", "A001", "clip", "A001C003", "scene", "12A", "take", "3", "reel",
	    "A001", "tc", "01:00:00:00"));
	text = json_dumps(settings, JSON_COMPACT);
	seeds_puts(text);
	free(text);
	json_decref(settings);
	seeds_puts("{\"proxy_active\":[\"h264_1080\"]}");
	seeds_puts("{\"name\":\"Night\",\"required_copies\":2,\"hash_algorithm\":\"xxh64\"}");
}

/* Every route of the server, its {name} segments filled, some percent-encoded. */
static void
seeds_path(void)
{
	char path[512], seed[600];

	for (int i = 0; i < server_nroutes; i++) {
		const char *p = server_routes[i].pattern;
		size_t o = 0;

		while (*p && o + 8 < sizeof(path)) {
			if (*p == '{') {
				const char *close = strchr(p, '}');
				o += (size_t)snprintf(path + o, sizeof(path) - o, "%s", i % 3 ? "42" : "%34%32");
				p = close ? close + 1 : p + strlen(p);
			} else {
				path[o++] = *p++;
			}
		}
		path[o] = '\0';
		snprintf(seed, sizeof(seed), "%s\n%s", server_routes[i].method, path);
		seeds_puts(seed);
	}
}

/* Generations written by mhl_write_generation into a folder, as a custody copy would have:
 * the manifests are the mhl_manifest seeds (one, and two joined by a NUL), the chain the
 * mhl_chain seed. */
static void
seeds_mhl(bool chain)
{
	static const char *const files[] = { "Clips/A001C003.mov", "Clips/A001C004.mov",
		"Sound/SR001_T3.wav", "readme & notes.txt" };
	char root[] = "/tmp/setpost-seeds.XXXXXX", path[512];
	struct mhl_entry e[5];
	struct mhl_author author = { "DIT", "dit@example.com", NULL, "Data Wrangler" };
	struct mhl_written w[2];
	struct err err;
	char *both = NULL;
	size_t bothlen = 0;
	FILE *m;

	if (mkdtemp(root) == NULL)
		seeds_die("mkdtemp", NULL);
	memset(e, 0, sizeof(e));
	for (size_t i = 0; i < 4; i++) {
		struct hash_result r;
		e[i].path = (char *)files[i];
		e[i].size = (int64_t)(i + 1) * 1000;
		e[i].mtime = 1765100000;
		if (hash_buf(files[i], strlen(files[i]), HASH_BIT(HASH_XXH64) | HASH_BIT(HASH_MD5), &r,
		    &err) < 0)
			seeds_die("hash", &err);
		e[i].algos = HASH_BIT(HASH_XXH64) | (i % 2 ? HASH_BIT(HASH_MD5) : 0);
		for (int a = 0; a < HASH_NALGOS; a++)
			if (e[i].algos & HASH_BIT(a)) {
				memcpy(e[i].h[a].value, r.v[a].str, sizeof(e[i].h[a].value));
				e[i].h[a].action = MHL_ACTION_ORIGINAL;
				e[i].h[a].hashdate = 1765100100;
			}
	}
	e[4].path = (char *)"Clips";
	e[4].is_dir = 1;
	e[4].size = -1;
	for (int g = 0; g < 2; g++) {
		struct mhl_generation gen = { 1765100200 + g * 86400, "cart-1", "1.0", &author, 1,
			g ? "Berlin" : NULL, g ? "second copy" : NULL, g ? MHL_PROCESS_TRANSFER :
			MHL_PROCESS_IN_PLACE, NULL, 0, e, 5, HASH_XXH64, NULL, 0 };
		if (g)
			for (size_t i = 0; i < 4; i++)
				e[i].h[HASH_XXH64].action = MHL_ACTION_VERIFIED;
		if (mhl_write_generation(root, &gen, &w[g], &err) < 0)
			seeds_die("mhl_write_generation", &err);
	}
	if (chain) {
		snprintf(path, sizeof(path), "%s/%s/%s", root, MHL_DIR, MHL_CHAIN);
		seeds_file(path);
	} else {
		if ((m = open_memstream(&both, &bothlen)) == NULL)
			seeds_die("memstream", NULL);
		for (int g = 0; g < 2; g++) {
			FILE *f;
			char buf[4096];
			size_t got;

			snprintf(path, sizeof(path), "%s/%s/%s", root, MHL_DIR, w[g].manifest);
			seeds_file(path);
			if ((f = fopen(path, "rb")) == NULL)
				seeds_die(path, NULL);
			if (g)
				fputc('\0', m);
			while ((got = fread(buf, 1, sizeof(buf), f)) > 0)
				fwrite(buf, 1, got, m);
			fclose(f);
		}
		fclose(m);
		seeds_put(both, bothlen);
		free(both);
	}
	for (int g = 0; g < 2; g++) {
		snprintf(path, sizeof(path), "%s/%s/%s", root, MHL_DIR, w[g].manifest);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/%s/%s", root, MHL_DIR, MHL_CHAIN);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%s", root, MHL_DIR);
	rmdir(path);
	rmdir(root);
}

/* Frame headers (fuzz_frameseq): DPX both byte orders with rate and timecode, an OpenEXR
 * header with framesPerSecond and timeCode (the committed seeds add ffmpeg's own). */
static void
seeds_frameseq(void)
{
	static unsigned char b[2048];
	const float fps[2] = { 23.976f, 25.0f };
	size_t o;

	for (int big = 0; big < 2; big++) {
		uint32_t v[3], at[3] = { 4, 1724, 1920 };

		memset(b, 0, sizeof(b));
		memcpy(b, big ? "SDPX" : "XPDS", 4);
		memcpy(&v[1], &fps[big], 4);
		v[0] = 2048;
		v[2] = 0x10203004u;
		for (int k = 0; k < 3; k++)
			for (int i = 0; i < 4; i++)
				b[at[k] + (size_t)i] = (unsigned char)(big ? v[k] >> (24 - 8 * i) :
				    v[k] >> (8 * i));
		seeds_put(b, sizeof(b));
	}
	memset(b, 0, sizeof(b));
	memcpy(b, "\x76\x2f\x31\x01\x02\x00\x00\x00", 8);
	o = 8;
	memcpy(b + o, "framesPerSecond\0rational\0\x08\0\0\0\xc0\x5d\0\0\xe9\x03\0\0", 37);
	o += 37;
	memcpy(b + o, "timeCode\0timecode\0\x08\0\0\0\x44\x23\x01\x01\0\0\0\0", 31);
	o += 31;
	b[o++] = 0;
	seeds_put(b, o);
}

/* Clip XML: a Sony M01.XML with its RDD 18 items, Device and Lens; a Canon-like one of leaves. */
static void
seeds_camera_xml(void)
{
	static const char sony[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<NonRealTimeMeta xmlns=\"urn:schemas-professionalDisc:nonRealTimeMeta:ver.2.00\">"
	    "<Duration value=\"25\"/><Device manufacturer=\"Sony\" modelName=\"MPC-3610\""
	    " serialNo=\"0041207\"/><Lens modelName=\"Cooke S4/i 50mm\"/><AcquisitionRecord>"
	    "<Group name=\"CameraUnitMetadataSet\"><Item name=\"ISOSensitivity\" value=\"500\"/>"
	    "<Item name=\"WhiteBalance\" value=\"4300K\"/><Item name=\"ShutterSpeed_Angle\""
	    " value=\"172.8deg\"/><Item name=\"NeutralDensityFilterWheelSetting\" value=\"0.6\"/>"
	    "</Group><Group name=\"LensUnitMetadataSet\"><Item name=\"IrisTNumber\" value=\"T2.3\"/>"
	    "<Item name=\"LensZoomActualFocalLength\" value=\"50.00mm\"/></Group></AcquisitionRecord>"
	    "</NonRealTimeMeta>\n";
	static const char leaves[] = "<?xml version=\"1.0\"?><ClipInfo><ClipName>C001C001</ClipName>"
	    "<ISO>800</ISO><ShutterAngle> 180 </ShutterAngle><LookName>Day&#10;ext</LookName></ClipInfo>";

	seeds_put(sony, sizeof(sony) - 1);
	seeds_put(leaves, sizeof(leaves) - 1);
}

static void seeds_mhl_chain(void) { seeds_mhl(true); }
static void seeds_mhl_manifest(void) { seeds_mhl(false); }

static const struct {
	const char *name;
	void (*make)(void);
} seeds_makers[] = {
	{ "ale", seeds_ale }, { "bwf", seeds_bwf }, { "camera_xml", seeds_camera_xml },
	{ "cdl_json", seeds_cdl_json },
	{ "cdl_xml", seeds_cdl_xml }, { "cube", seeds_cube }, { "cursor", seeds_cursor },
	{ "ixml", seeds_ixml }, { "mhl_chain", seeds_mhl_chain },
	{ "mhl_manifest", seeds_mhl_manifest }, { "path", seeds_path },
	{ "settings", seeds_settings }, { "timecode", seeds_timecode }, { "tus", seeds_tus },
	{ "frameseq", seeds_frameseq },
};

int
main(int argc, char **argv)
{
	char dir[512];

	if (argc < 3) {
		fprintf(stderr, "usage: %s OUTDIR HARNESS...\n", argv[0]);
		return 2;
	}
	seeds_out = argv[1];
	if (mkdir(seeds_out, 0755) < 0 && errno != EEXIST)
		seeds_die(seeds_out, NULL);
	for (int i = 2; i < argc; i++) {
		size_t k = 0;

		seeds_harness = argv[i];
		seeds_n = 0;
		while (k < sizeof(seeds_makers) / sizeof(seeds_makers[0]) &&
		    strcmp(seeds_makers[k].name, argv[i]) != 0)
			k++;
		if (k == sizeof(seeds_makers) / sizeof(seeds_makers[0])) {
			fprintf(stderr, "seeds: no seeds for harness %s: add them to tests/fuzz/seeds.c\n",
			    argv[i]);
			return 1;
		}
		snprintf(dir, sizeof(dir), "%s/%s", seeds_out, argv[i]);
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			seeds_die(dir, NULL);
		seeds_makers[k].make();
	}
	return 0;
}
