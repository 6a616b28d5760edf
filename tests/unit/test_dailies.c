/* Dailies building blocks: proxy profiles from production settings (defaults, changes, new
 * profiles, errors naming the field, safe file names), burn-in templates (checks, escaping
 * through the real ffmpeg), the look (CDL from JSON, the baked cube named by its content) and
 * the proxy's video chain rendering a known chart through the real ffmpeg to the values the
 * CDL and LUT math give. */
#include "lib/media/burnin.h"
#include "lib/media/cdl.h"
#include "lib/media/look.h"
#include "lib/media/lut.h"
#include "lib/core/proc.h"
#include "lib/media/profile.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int tc_video_chain(const struct profile *pr, int src_w, int src_h, const char *cube,
    json_t *burnin, const struct burnin_vars *bv, char *out, size_t len, struct err *err);

static json_t *
J(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);

	cr_assert_not_null(j, "%s: %s", text, e.text);
	return j;
}

/* --- profiles --------------------------------------------------------------------------- */

Test(profile, defaults)
{
	struct profile_set all, act;
	struct err err;
	int n;

	profile_builtin(&n);
	cr_assert_eq(n, 6);
	cr_assert_eq(profile_load(NULL, &all, &act, &err), 0, "%s", err.msg);
	cr_expect_eq(all.n, 6);
	cr_assert_eq(act.n, 1);
	cr_expect_str_eq(act.v[0].name, "h264_1080");
	cr_expect_eq(act.v[0].height, 1080);
	cr_expect_not_null(act.v[0].burnin, "review copies carry burn-ins");
	for (int i = 0; i < all.n; i++)
		if (strncmp(all.v[i].name, "prores", 6) == 0 || strncmp(all.v[i].name, "dnx", 3) == 0)
			cr_expect_null(all.v[i].burnin, "%s is clean", all.v[i].name);
	profile_set_release(&all);
	profile_set_release(&act);
}

Test(profile, settings_change_and_add)
{
	json_t *s = J("{\"proxy_profiles\": {\"h264_720\": {\"video_bitrate\": \"3M\"},"
	    " \"review\": {\"base\": \"h264_720\", \"height\": 540, \"width\": 960,"
	    " \"burnin\": {\"center\": \"{production}\"}, \"naming\": \"{clip}.{ext}\"}},"
	    " \"proxy_active\": [\"h264_720\", \"review\", \"prores_lt\"]}");
	struct profile_set act;
	struct err err;

	cr_assert_eq(profile_load(s, NULL, &act, &err), 0, "%s", err.msg);
	cr_assert_eq(act.n, 3);
	cr_expect_str_eq(act.v[0].video_bitrate, "3M");
	cr_expect_str_eq(act.v[1].name, "review");
	cr_expect_eq(act.v[1].width, 960);
	cr_expect_str_eq(act.v[1].ext, "mp4");
	cr_expect_str_eq(act.v[2].ext, "mov");
	json_decref(s);   /* the set keeps its own reference: burnin stays valid */
	cr_expect_str_eq(json_string_value(json_object_get(act.v[1].burnin, "center")),
	    "{production}");
	profile_set_release(&act);
}

static void
refused(const char *text, const char *needle)
{
	json_t *s = J(text);
	struct err err;

	cr_expect_eq(profile_settings_check(s, &err), SP_EINVAL, "%s accepted", text);
	cr_expect(strstr(err.msg, needle), "%s: message '%s' lacks '%s'", text, err.msg, needle);
	json_decref(s);
}

Test(profile, errors_name_the_field)
{
	refused("{\"proxy_active\": [\"nope\"]}", "settings.proxy_active[0]: no profile named nope");
	refused("{\"proxy_active\": \"h264_720\"}", "settings.proxy_active: expected an array");
	refused("{\"proxy_profiles\": []}", "settings.proxy_profiles: expected an object");
	refused("{\"proxy_profiles\": {\"x\": {}}}", "settings.proxy_profiles.x.base");
	refused("{\"proxy_profiles\": {\"h264_720\": {\"width\": 1281}}}",
	    "settings.proxy_profiles.h264_720.width: must be even");
	refused("{\"proxy_profiles\": {\"h264_720\": {\"height\": 5}}}",
	    "settings.proxy_profiles.h264_720.height");
	refused("{\"proxy_profiles\": {\"h264_720\": {\"ext\": \"avi\"}}}",
	    "settings.proxy_profiles.h264_720.ext");
	refused("{\"proxy_profiles\": {\"h264_720\": {\"video\": \"-c:v libx264 -vf 'x'\"}}}",
	    "settings.proxy_profiles.h264_720.video");
	refused("{\"proxy_profiles\": {\"h264_720\": {\"naming\": \"../{clip}\"}}}",
	    "settings.proxy_profiles.h264_720.naming");
	refused("{\"proxy_profiles\": {\"h264_720\": {\"colour\": 1}}}",
	    "settings.proxy_profiles.h264_720.");
	refused("{\"proxy_profiles\": {\"a b\": {\"base\": \"h264_720\"}}}", "profile name");
	refused("{\"proxy_profiles\": {\"h264_720\": {\"burnin\": {\"top_left\": \"{foo}\"}}}}",
	    "burnin.top_left: unknown variable {foo}");
	refused("{\"proxy_profiles\": {\"h264_720\": {\"burnin\": {\"top_left\": \"{tc} x\"}}}}",
	    "{tc} must come last");
	refused("{\"proxy_profiles\": {\"h264_720\": {\"burnin\": {\"middle\": \"x\"}}}}",
	    "burnin.middle: unknown slot");
}

Test(profile, names_are_safe)
{
	struct profile_set act;
	struct profile_vars v = { "2026-11-25", "A001/R1AB", "../C001", "7A", "", "R1" };
	char out[512];
	struct err err;

	cr_assert_eq(profile_load(NULL, NULL, &act, &err), 0);
	cr_assert_eq(profile_name(&act.v[0], &v, out, sizeof(out), &err), 0, "%s", err.msg);
	cr_expect_str_eq(out, "2026-11-25/A001_R1AB/_._C001_h264_1080.mp4");
	snprintf(act.v[0].naming, sizeof(act.v[0].naming), "{scene}/{take}/{nope}");
	cr_expect_eq(profile_name(&act.v[0], &v, out, sizeof(out), &err), SP_EINVAL);
	profile_set_release(&act);
}

/* --- running ffmpeg --------------------------------------------------------------------- */

static char tmp[64];

static void
mktmp(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/test_dailies_XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
}

static void
rmtmp(void)
{
	struct err err;
	const char *argv[] = { "rm", "-rf", tmp, NULL };

	proc_run(argv, NULL, NULL, 0, &err);
}

/* Renders graph (reading input, writing [o]) to raw rgb24 in out; returns ffmpeg's status. */
static int
render(const char *input, const char *graph, unsigned char *out, size_t len, char *tail,
    size_t tlen)
{
	char raw[128], in[200];
	struct err err;
	FILE *f;
	int rc;

	snprintf(raw, sizeof(raw), "%s/out.rgb", tmp);
	snprintf(in, sizeof(in), "%s", input);
	const char *argv[] = { "ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-y", "-i", in,
		"-filter_complex", graph, "-map", "[o]", "-frames:v", "1", "-f", "rawvideo",
		"-pix_fmt", "rgb24", raw, NULL };
	rc = proc_run(argv, NULL, tail, tlen, &err);
	if (rc != 0)
		return rc;
	f = fopen(raw, "rb");
	cr_assert_not_null(f);
	cr_assert_eq(fread(out, 1, len, f), len, "short frame");
	fclose(f);
	return 0;
}

/* A chart: NP patches of PW x PW pixels in a row, as a binary PPM. */
#define NP 8
#define PW 32
static const unsigned char chart[NP][3] = {
	{ 0x80, 0x66, 0x50 }, { 16, 16, 16 }, { 64, 64, 64 }, { 128, 128, 128 }, { 200, 200, 200 },
	{ 180, 40, 40 }, { 40, 160, 60 }, { 50, 70, 190 },
};

static void
write_chart(const char *path)
{
	FILE *f = fopen(path, "wb");

	cr_assert_not_null(f);
	fprintf(f, "P6\n%d %d\n255\n", NP * PW, PW);
	for (int y = 0; y < PW; y++)
		for (int x = 0; x < NP * PW; x++)
			fwrite(chart[x / PW], 1, 3, f);
	fclose(f);
}

Test(burnin, escaped_text_reaches_the_picture, .init = mktmp, .fini = rmtmp, .timeout = 60)
{
	json_t *t = J("{\"top_left\": \"{clip} 50% \\\\ it's: [a],b;c\", \"bottom_left\": \"TC {tc}\","
	    " \"bottom_right\": \"{frame}\", \"center\": \"CONFIDENTIAL {production}\"}");
	struct burnin_vars v = { "A001'C:001", "7A", "1", "R1", "A", "2026-11-25", "Film, 'x'",
		"A001", "01:00:00:00", 25, 1 };
	static unsigned char with[NP * PW * PW * 3], without[NP * PW * PW * 3];
	char chain[8192], graph[9000], in[128], tail[2048];
	struct err err;
	long diff = 0;

	cr_assert_eq(burnin_check(t, &err), 0, "%s", err.msg);
	cr_assert_eq(burnin_filter(t, &v, 720, chain, sizeof(chain), &err), 0, "%s", err.msg);
	cr_expect(strstr(chain, "timecode="), "%s", chain);
	snprintf(in, sizeof(in), "%s/chart.ppm", tmp);
	write_chart(in);
	/* Big enough for the text: the chart scaled to 1280x720. */
	snprintf(graph, sizeof(graph), "[0:v]scale=1280:720,format=yuv420p,%s,scale=%d:%d,"
	    "format=rgb24[o]", chain, NP * PW, PW);
	cr_assert_eq(render(in, graph, with, sizeof(with), tail, sizeof(tail)), 0, "%s\n%s", graph,
	    tail);
	snprintf(graph, sizeof(graph), "[0:v]scale=1280:720,format=yuv420p,scale=%d:%d,"
	    "format=rgb24[o]", NP * PW, PW);
	cr_assert_eq(render(in, graph, without, sizeof(without), tail, sizeof(tail)), 0, "%s", tail);
	for (size_t i = 0; i < sizeof(with); i++)
		diff += abs(with[i] - without[i]);
	cr_expect_gt(diff, 1000, "burn-ins changed the picture (%ld)", diff);
	json_decref(t);
}

/* Empty fields take the text beside them along: no lone "/" when scene and take are unknown. */
Test(burnin, empty_fields_skipped_cleanly)
{
	json_t *t = J("{\"top_right\": \"{scene}/{take}\", \"top_left\": \"{clip} - {scene}\","
	    " \"bottom_left\": \"TC {tc}\"}");
	struct burnin_vars none = { "A001C001", "", NULL, "", "", "", "", "", "01:00:00:00", 25, 1 };
	struct burnin_vars take = { "A001C001", "12A", "", "", "", "", "", "", "01:00:00:00", 25, 1 };
	struct burnin_vars both = { "A001C001", "12A", "3", "", "", "", "", "", "01:00:00:00", 25, 1 };
	char chain[8192];
	struct err err;

	cr_assert_eq(burnin_filter(t, &none, 720, chain, sizeof(chain), &err), 0, "%s", err.msg);
	cr_expect_null(strstr(chain, "text=/"), "a lone /: %s", chain);
	cr_expect_null(strstr(chain, " - "), "%s", chain);
	cr_expect(strstr(chain, "text=A001C001:") || strstr(chain, "text=A001C001,"), "%s", chain);
	cr_expect(strstr(chain, "timecode="), "TC stays: %s", chain);
	cr_assert_eq(burnin_filter(t, &take, 720, chain, sizeof(chain), &err), 0, "%s", err.msg);
	cr_expect(strstr(chain, "text=12A,") || strstr(chain, "text=12A:") ||
	    (strstr(chain, "text=12A") && !strstr(chain, "12A/")), "%s", chain);
	cr_assert_eq(burnin_filter(t, &both, 720, chain, sizeof(chain), &err), 0, "%s", err.msg);
	cr_expect(strstr(chain, "12A/3") != NULL, "%s", chain);
	json_decref(t);
}

/* --- the look --------------------------------------------------------------------------- */

Test(look, cdl_from_json)
{
	json_t *j = J("{\"slope\": [1.1, 1, 0.9], \"power\": [1, 1, 1.2], \"sat\": 0.8}");
	struct cdl c;
	struct err err;

	cr_assert_eq(look_cdl_from_json(j, "look", &c, &err), 0, "%s", err.msg);
	cr_expect_float_eq(c.slope[0], 1.1, 1e-9);
	cr_expect_float_eq(c.offset[1], 0, 1e-9);
	cr_expect_float_eq(c.sat, 0.8, 1e-9);
	json_decref(j);
	j = J("{\"power\": [1, 0, 1]}");
	cr_expect_eq(look_cdl_from_json(j, "scene look", &c, &err), SP_EINVAL);
	cr_expect(strstr(err.msg, "scene look: power green"), "%s", err.msg);
	json_decref(j);
	j = J("{\"slope\": [1, 1]}");
	cr_expect_eq(look_cdl_from_json(j, "look", &c, &err), SP_EINVAL);
	cr_expect(strstr(err.msg, "look.slope: expected 3"), "%s", err.msg);
	json_decref(j);
}

/* A show LUT with some character: a soft S-curve and a warm tint, 17 points. */
static void
show_lut(struct lut *l)
{
	struct err err;

	cr_assert_eq(lut_identity(l, 17, &err), 0);
	for (int i = 0; i < 17 * 17 * 17 * 3; i++) {
		double x = l->data[i];
		double s = x * x * (3 - 2 * x);
		l->data[i] = (float)(0.6 * s + 0.4 * x + ((i % 3) == 0 ? 0.03 : 0));
	}
}

Test(look, bake_named_by_content, .init = mktmp, .fini = rmtmp)
{
	struct look lk = LOOK_INIT;
	char p1[512], p2[512];
	struct stat st1, st2;
	struct err err;

	cr_expect(look_is_identity(&lk));
	lk.has_cdl = true;
	lk.cdl.slope[0] = 1.2;
	cr_expect(!look_is_identity(&lk));
	cr_assert_eq(look_bake_file(&lk, 0, tmp, p1, sizeof(p1), &err), 0, "%s", err.msg);
	cr_assert_eq(stat(p1, &st1), 0);
	cr_assert_eq(look_bake_file(&lk, 0, tmp, p2, sizeof(p2), &err), 0, "%s", err.msg);
	cr_expect_str_eq(p1, p2);
	cr_assert_eq(stat(p2, &st2), 0);
	cr_expect_eq(st1.st_mtim.tv_nsec, st2.st_mtim.tv_nsec, "reused, not rewritten");
	lk.cdl.slope[0] = 1.3;
	cr_assert_eq(look_bake_file(&lk, 0, tmp, p2, sizeof(p2), &err), 0);
	cr_expect_str_neq(p1, p2);
	look_release(&lk);
}

/* The proxy's own chain (scale, lut3d at proxy size, encoder format) renders the chart to what
 * the CDL then the show LUT give, within 4 code values (8-bit Y'CbCr round trip + the bake). */
Test(look, proxy_chain_renders_the_chart, .init = mktmp, .fini = rmtmp, .timeout = 60)
{
	struct look lk = LOOK_INIT;
	struct profile_set act;
	static unsigned char out[NP * PW * PW * 3];
	char cube[512], chain[8192], graph[9000], in[128], tail[2048];
	struct err err;
	int worst = 0;

	lk.has_cdl = true;
	lk.cdl = (struct cdl){ { 1.2, 1.0, 0.85 }, { 0.02, 0.0, -0.02 }, { 0.9, 1.0, 1.1 }, 0.8,
		"", "" };
	show_lut(&lk.lut);
	cr_assert_eq(look_bake_file(&lk, 33, tmp, cube, sizeof(cube), &err), 0, "%s", err.msg);
	cr_assert_eq(profile_load(NULL, NULL, &act, &err), 0);
	act.v[0].width = NP * PW;
	act.v[0].height = PW;
	cr_assert_eq(tc_video_chain(&act.v[0], NP * PW, PW, cube, NULL, NULL, chain, sizeof(chain),
	    &err), 0, "%s", err.msg);
	cr_expect(strstr(chain, "lut3d"), "%s", chain);
	cr_expect(strstr(chain, "scale=") < strstr(chain, "lut3d"), "scaled before the look");
	snprintf(in, sizeof(in), "%s/chart.ppm", tmp);
	write_chart(in);
	/* The chart goes in as 4:2:2 Rec.709 like a camera file; back to RGB the same way. */
	snprintf(graph, sizeof(graph), "[0:v]scale=out_color_matrix=bt709:out_range=tv,"
	    "format=yuv422p10le[s];%s;[v]scale=in_color_matrix=bt709:in_range=tv,format=rgb24[o]",
	    chain);
	/* The chain reads [0:v:0]: give it the 4:2:2 picture under that name. */
	char *p = strstr(graph, "[0:v:0]");
	cr_assert_not_null(p);
	memcpy(p, "[s]    ", 7);
	cr_assert_eq(render(in, graph, out, sizeof(out), tail, sizeof(tail)), 0, "%s\n%s", graph,
	    tail);
	for (int i = 0; i < NP; i++) {
		double rgb[3], o[3];
		const unsigned char *px = out + ((PW / 2) * NP * PW + i * PW + PW / 2) * 3;
		for (int c = 0; c < 3; c++)
			rgb[c] = chart[i][c] / 255.0;
		cdl_apply(&lk.cdl, rgb, o);
		lut_sample(&lk.lut, LUT_TETRAHEDRAL, o, o);
		for (int c = 0; c < 3; c++) {
			double want = fmin(1, fmax(0, o[c])) * 255;
			int d = abs((int)lround(want) - px[c]);
			worst = d > worst ? d : worst;
			cr_expect_leq(d, 4, "patch %d channel %d: ffmpeg %d, math %.1f", i, c, px[c],
			    want);
		}
	}
	cr_log_info("proxy chain vs CDL+LUT math: worst %d code values", worst);
	profile_set_release(&act);
	look_release(&lk);
}

/* Sizes: fitted and never scaled up, except Avid's exact frame (fitted both ways, padded). */
Test(look, chain_sizes)
{
	struct profile_set all;
	char chain[8192];
	struct err err;
	int n;

	cr_assert_eq(profile_load(NULL, &all, NULL, &err), 0);
	profile_builtin(&n);
	for (int i = 0; i < all.n; i++) {
		const struct profile *p = &all.v[i];
		cr_assert_eq(tc_video_chain(p, 3840, 1600, NULL, NULL, NULL, chain, sizeof(chain), &err),
		    0, "%s", err.msg);
		if (strcmp(p->name, "h264_720") == 0)
			cr_expect(strstr(chain, "scale=1280:532:"), "%s", chain);
		if (strcmp(p->name, "dnxhd_36") == 0)
			cr_expect(strstr(chain, "scale=1920:800:") && strstr(chain, "pad=1920:1080:"), "%s",
			    chain);
		cr_assert_eq(tc_video_chain(p, 640, 360, NULL, NULL, NULL, chain, sizeof(chain), &err),
		    0);
		if (p->exact)
			cr_expect(strstr(chain, "scale=1920:1080:") && strstr(chain, "pad=1920:1080:"),
			    "%s: %s", p->name, chain);
		else
			cr_expect(strstr(chain, "scale=640:360:"), "%s: %s", p->name, chain);
	}
	profile_set_release(&all);
}

/* "TC {tc}" keeps its space: ffmpeg's parsers drop spaces at the ends of values unless escaped. */
Test(burnin, spaces_survive, .init = mktmp, .fini = rmtmp, .timeout = 60)
{
	struct burnin_vars v = { "C", "", "", "", "", "", "", "", "01:00:00:00", 25, 1 };
	static unsigned char a[NP * PW * PW * 3], b[NP * PW * PW * 3];
	const char *tmpl[2] = { "{\"top_left\": \" TC {tc}\"}", "{\"top_left\": \"TC{tc}\"}" };
	unsigned char *out[2] = { a, b };
	char chain[4096], graph[5000], in[128], tail[2048];
	struct err err;
	long diff = 0;

	snprintf(in, sizeof(in), "%s/chart.ppm", tmp);
	write_chart(in);
	for (int i = 0; i < 2; i++) {
		json_t *t = J(tmpl[i]);
		cr_assert_eq(burnin_filter(t, &v, 720, chain, sizeof(chain), &err), 0, "%s", err.msg);
		snprintf(graph, sizeof(graph), "[0:v]scale=1280:720,format=yuv420p,%s,scale=%d:%d,"
		    "format=rgb24[o]", chain, NP * PW, PW);
		cr_assert_eq(render(in, graph, out[i], sizeof(a), tail, sizeof(tail)), 0, "%s\n%s",
		    graph, tail);
		json_decref(t);
	}
	for (size_t i = 0; i < sizeof(a); i++)
		diff += abs(a[i] - b[i]);
	cr_expect_gt(diff, 1000, "the spaces moved the text (%ld)", diff);
}
