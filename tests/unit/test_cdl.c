/* Unit tests for lib/cdl: the SPECS 4.2 vectors, validation, .cc/.ccc/.cdl reading and
 * writing, and refusal of malformed files with a message that says where. */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/media/cdl.h"

/* cc0001 from SPECS 4.2 */
static void
spec_cdl(struct cdl *c)
{
	cdl_init(c);
	c->slope[2] = 0.9;
	c->offset[0] = -0.03;
	c->offset[1] = -0.02;
	c->power[0] = 1.25;
	c->sat = 1.7;
	snprintf(c->id, sizeof(c->id), "cc0001");
}

static void
expect_rgb(const double got[3], double r, double g, double b, double eps)
{
	cr_expect_float_eq(got[0], r, eps, "red %f want %f", got[0], r);
	cr_expect_float_eq(got[1], g, eps, "green %f want %f", got[1], g);
	cr_expect_float_eq(got[2], b, eps, "blue %f want %f", got[2], b);
}

static void
expect_same_cdl(const struct cdl *a, const struct cdl *b)
{
	for (int i = 0; i < 3; i++) {
		cr_expect_float_eq(a->slope[i], b->slope[i], 1e-6);
		cr_expect_float_eq(a->offset[i], b->offset[i], 1e-6);
		cr_expect_float_eq(a->power[i], b->power[i], 1e-6);
	}
	cr_expect_float_eq(a->sat, b->sat, 1e-6);
	cr_expect_str_eq(a->id, b->id);
}

/* Reads text, expecting failure with code and every needle in the message. */
static void
expect_refused(const char *text, int code, const char *needle1, const char *needle2)
{
	struct cdl_set set = CDL_SET_INIT;
	struct err err = { 0 };
	int rc = cdl_read_mem(text, strlen(text), "t.cc", &set, &err);

	cr_expect_eq(rc, code, "rc %d want %d (%s) for:\n%s", rc, code, err.msg, text);
	cr_expect_eq(set.n, 0);
	cr_expect_not_null(strstr(err.msg, "t.cc: "), "no file name in \"%s\"", err.msg);
	cr_expect_not_null(strstr(err.msg, needle1), "no \"%s\" in \"%s\"", needle1, err.msg);
	if (needle2 != NULL)
		cr_expect_not_null(strstr(err.msg, needle2), "no \"%s\" in \"%s\"", needle2,
		    err.msg);
}

static int
read_text(const char *text, struct cdl_set *set)
{
	struct err err = { 0 };
	int rc = cdl_read_mem(text, strlen(text), "t", set, &err);

	cr_assert_gt(rc, 0, "read failed: %s", err.msg);
	return rc;
}

Test(cdl, spec_vectors)
{
	struct cdl c;
	double out[3];

	spec_cdl(&c);
	cr_assert_eq(cdl_validate(&c, NULL), 0);
	cdl_apply(&c, (const double[3]){ 0.5, 0.4, 0.3 }, out);
	expect_rgb(out, 0.399760, 0.384197, 0.197197, 1e-6);
	cdl_apply(&c, (const double[3]){ 0.18, 0.18, 0.18 }, out);
	expect_rgb(out, 0.056513, 0.169818, 0.173218, 1e-6);
	cdl_apply(&c, (const double[3]){ 1.0, 0.9, 0.02 }, out);
	expect_rgb(out, 1.0, 0.911267, 0.0, 1e-6);
}

Test(cdl, identity_and_clamps)
{
	struct cdl c;
	double v[3] = { 0.2, 0.5, 0.9 };

	cdl_init(&c);
	cdl_apply(&c, v, v);  /* in and out may alias */
	expect_rgb(v, 0.2, 0.5, 0.9, 1e-12);
	cdl_apply(&c, (const double[3]){ 1.5, -0.2, NAN }, v);
	expect_rgb(v, 1.0, 0.0, 0.0, 0.0);
	c.sat = 0.0;  /* full desaturation gives the Rec.709 luma on every channel */
	cdl_apply(&c, (const double[3]){ 1.0, 0.0, 0.0 }, v);
	expect_rgb(v, 0.2126, 0.2126, 0.2126, 1e-12);
}

Test(cdl, validate)
{
	struct cdl c;
	struct err err = { 0 };

	cdl_init(&c);
	c.slope[1] = -0.1;
	cr_expect_eq(cdl_validate(&c, &err), SP_EINVAL);
	cr_expect_not_null(strstr(err.msg, "slope green"), "%s", err.msg);
	cdl_init(&c);
	c.power[2] = 0.0;
	cr_expect_eq(cdl_validate(&c, &err), SP_EINVAL);
	cr_expect_not_null(strstr(err.msg, "power blue is 0"), "%s", err.msg);
	cdl_init(&c);
	c.sat = -1;
	cr_expect_eq(cdl_validate(&c, &err), SP_EINVAL);
	cr_expect_not_null(strstr(err.msg, "saturation"), "%s", err.msg);
	cdl_init(&c);
	c.offset[0] = INFINITY;
	cr_expect_eq(cdl_validate(&c, &err), SP_EINVAL);
	cdl_init(&c);
	c.slope[0] = NAN;
	cr_expect_eq(cdl_validate(&c, &err), SP_EINVAL);
	cdl_init(&c);
	c.slope[0] = 0.0;  /* zero slope and zero saturation are allowed */
	c.sat = 0.0;
	cr_expect_eq(cdl_validate(&c, &err), 0);
	snprintf(c.id, sizeof(c.id), "a\nb");
	cr_expect_eq(cdl_validate(&c, &err), SP_EINVAL);
	snprintf(c.id, sizeof(c.id), "bad \xff utf8");
	cr_expect_eq(cdl_validate(&c, &err), SP_EINVAL);
}

Test(cdl, read_cc_tolerant_forms)
{
	/* no namespace, SATNode spelling, .03 and 1e0, no id, unknown elements */
	const char *text =
	    "<ColorCorrection>\n"
	    "  <Vendor>x</Vendor>\n"
	    "  <SOPNode><Description>d</Description>\n"
	    "    <Slope> 1e0\n 1 0.9 </Slope><Offset>-.03 -0.02 0</Offset>"
	    "<Power>1.25 1 1</Power>\n"
	    "  </SOPNode>\n"
	    "  <SATNode><Saturation>1.7</Saturation></SATNode>\n"
	    "</ColorCorrection>\n";
	struct cdl_set set = CDL_SET_INIT;
	struct cdl want;

	cr_assert_eq(read_text(text, &set), 1);
	spec_cdl(&want);
	want.id[0] = '\0';
	expect_same_cdl(&set.v[0], &want);
	cr_expect_null(set.media[0]);
	cdl_set_release(&set);
	cr_expect_eq(set.n, 0);
}

Test(cdl, read_defaults)
{
	const char *text = "<ColorCorrection id=\"only_sat\" xmlns=\"urn:ASC:CDL:v1.01\">"
	    "<SatNode><Saturation>0.5</Saturation></SatNode></ColorCorrection>";
	struct cdl_set set = CDL_SET_INIT;
	struct cdl want;

	read_text(text, &set);
	cdl_init(&want);
	want.sat = 0.5;
	snprintf(want.id, sizeof(want.id), "only_sat");
	expect_same_cdl(&set.v[0], &want);
	cdl_set_release(&set);
}

Test(cdl, read_ccc)
{
	const char *text =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<ColorCorrectionCollection xmlns=\"urn:ASC:CDL:v1.01\">\n"
	    "  <Description>day 3</Description><InputDescription>LogC</InputDescription>\n"
	    "  <ColorCorrection id=\"a\"><SOPNode><Slope>2 2 2</Slope></SOPNode>"
	    "</ColorCorrection>\n"
	    "  <ColorCorrection id=\"b\"><SatNode><Saturation>0</Saturation></SatNode>"
	    "</ColorCorrection>\n"
	    "  <ColorCorrection id=\"c\"/>\n"
	    "</ColorCorrectionCollection>\n";
	struct cdl_set set = CDL_SET_INIT;

	cr_assert_eq(read_text(text, &set), 3);
	cr_expect_str_eq(set.v[0].id, "a");
	cr_expect_float_eq(set.v[0].slope[1], 2.0, 0.0);
	cr_expect_str_eq(set.v[1].id, "b");
	cr_expect_float_eq(set.v[1].sat, 0.0, 0.0);
	cr_expect_str_eq(set.v[2].id, "c");
	cr_expect_float_eq(set.v[2].power[0], 1.0, 0.0);
	cdl_set_release(&set);
}

Test(cdl, read_cdl_with_media_ref)
{
	const char *text =
	    "<ColorDecisionList xmlns=\"urn:ASC:CDL:v1.01\">\n"
	    " <ColorDecision>\n"
	    "  <MediaRef ref=\"A001C003_2211.mov\"/>\n"
	    "  <ColorCorrection id=\"A001C003\"><SOPNode><Offset>0.1 0 0</Offset></SOPNode>"
	    "</ColorCorrection>\n"
	    " </ColorDecision>\n"
	    " <ColorDecision><ColorCorrection id=\"x\"/></ColorDecision>\n"
	    "</ColorDecisionList>\n";
	struct cdl_set set = CDL_SET_INIT;

	cr_assert_eq(read_text(text, &set), 2);
	cr_expect_str_eq(set.v[0].id, "A001C003");
	cr_expect_str_eq(set.media[0], "A001C003_2211.mov");
	cr_expect_float_eq(set.v[0].offset[0], 0.1, 1e-12);
	cr_expect_null(set.media[1]);
	cdl_set_release(&set);
}

Test(cdl, write_cc_round_trip)
{
	struct cdl c;
	struct cdl_set set = CDL_SET_INIT;
	char *xml = NULL;
	size_t len = 0;

	spec_cdl(&c);
	snprintf(c.id, sizeof(c.id), "A&B <\"take\" 'two'>");
	c.offset[2] = -1e-9;  /* rounds to zero and must not print as -0.000000 */
	cr_assert_eq(cdl_write_cc(&c, &xml, &len, NULL), 0);
	cr_expect_eq(strlen(xml), len);
	cr_expect_not_null(strstr(xml, "<ColorCorrection id=\"A&amp;B &lt;&quot;take&quot; "
	    "&apos;two&apos;&gt;\" xmlns=\"urn:ASC:CDL:v1.01\">"), "%s", xml);
	cr_expect_not_null(strstr(xml, "<Slope>1.000000 1.000000 0.900000</Slope>"), "%s", xml);
	cr_expect_not_null(strstr(xml, "<Offset>-0.030000 -0.020000 0.000000</Offset>"), "%s",
	    xml);
	cr_expect_not_null(strstr(xml, "<Saturation>1.700000</Saturation>"), "%s", xml);
	cr_assert_eq(cdl_read_mem(xml, len, "rt.cc", &set, NULL), 1);
	c.offset[2] = 0;
	expect_same_cdl(&set.v[0], &c);
	cdl_set_release(&set);
	free(xml);
}

Test(cdl, write_ccc_round_trip)
{
	struct cdl v[3];
	struct cdl_set set = CDL_SET_INIT;
	char *xml = NULL, *path = NULL;
	size_t len = 0;
	FILE *f;

	spec_cdl(&v[0]);
	cdl_init(&v[1]);  /* empty id: attribute left out, read back as empty */
	cdl_init(&v[2]);
	v[2].slope[0] = 0.123456;
	v[2].power[1] = 3.5;
	snprintf(v[2].id, sizeof(v[2].id), "été");
	cr_assert_eq(cdl_write_ccc(v, 3, &xml, &len, NULL), 0);
	cr_expect_not_null(strstr(xml, "<ColorCorrectionCollection xmlns=\"urn:ASC:CDL:v1.01\">"));
	cr_expect_not_null(strstr(xml, "    <ColorCorrection>\n"), "%s", xml);
	cr_assert_eq(asprintf(&path, "/tmp/test_cdl_%d.ccc", (int)getpid()) > 0, 1);
	cr_assert_not_null(f = fopen(path, "w"));
	cr_assert_eq(fwrite(xml, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(cdl_read_file(path, &set, NULL), 3);
	for (int i = 0; i < 3; i++)
		expect_same_cdl(&set.v[i], &v[i]);
	cdl_set_release(&set);
	unlink(path);
	free(path);
	free(xml);
}

Test(cdl, write_refuses_invalid)
{
	struct cdl v[2];
	struct err err = { 0 };
	char sentinel[] = "untouched", *xml = sentinel;
	size_t len = 7;

	cdl_init(&v[0]);
	cdl_init(&v[1]);
	v[1].power[0] = 0;
	cr_expect_eq(cdl_write_ccc(v, 2, &xml, &len, &err), SP_EINVAL);
	cr_expect_null(xml);
	cr_expect_eq(len, 0);
	cr_expect_not_null(strstr(err.msg, "correction 2: power red"), "%s", err.msg);
	cr_expect_eq(cdl_write_ccc(v, 0, &xml, &len, &err), 0);  /* empty collection is fine */
	free(xml);
}

Test(cdl, read_file_errors)
{
	struct cdl_set set = CDL_SET_INIT;
	struct err err = { 0 };

	cr_expect_eq(cdl_read_file("/nonexistent/x.cc", &set, &err), SP_ENOTFOUND);
	cr_expect_not_null(strstr(err.msg, "/nonexistent/x.cc"), "%s", err.msg);
	cr_expect_eq(cdl_read_file("/tmp", &set, &err), SP_EINVAL);
}

#define CC_OPEN "<ColorCorrection id=\"x\">\n<SOPNode>\n"
#define CC_CLOSE "</SOPNode>\n</ColorCorrection>\n"

Test(cdl, malformed_files)
{
	expect_refused(CC_OPEN "<Slope>1 abc 1</Slope>\n" CC_CLOSE, SP_EINVAL,
	    "line 3: Slope: bad number \"abc\"", NULL);
	expect_refused(CC_OPEN "<Offset>0 0</Offset>\n" CC_CLOSE, SP_EINVAL,
	    "line 3: Offset: expected 3 numbers, found 2", NULL);
	expect_refused(CC_OPEN "<Power>1 1 1 1</Power>\n" CC_CLOSE, SP_EINVAL,
	    "line 3: Power: expected 3 numbers, found 4", NULL);
	expect_refused(CC_OPEN "<Slope></Slope>\n" CC_CLOSE, SP_EINVAL,
	    "expected 3 numbers, found 0", NULL);
	expect_refused(CC_OPEN "<Slope>1 nan 1</Slope>\n" CC_CLOSE, SP_EINVAL,
	    "bad number \"nan\"", NULL);
	expect_refused(CC_OPEN "<Slope>1 1e999 1</Slope>\n" CC_CLOSE, SP_EINVAL,
	    "bad number \"1e999\"", NULL);
	expect_refused(CC_OPEN "<Slope>1 -0.5 1</Slope>\n" CC_CLOSE, SP_EINVAL,
	    "line 1: ColorCorrection \"x\": slope green is -0.5", NULL);
	expect_refused(CC_OPEN "<Power>1 1 0</Power>\n" CC_CLOSE, SP_EINVAL,
	    "power blue is 0; must be finite and >= 0.000001", NULL);
	/* Six decimals would write it as 0, which nothing reads back (found by fuzz_cdl_xml). */
	expect_refused(CC_OPEN "<Power>1.25 1 .00000008000</Power>\n" CC_CLOSE, SP_EINVAL,
	    "power blue is 8e-08; must be finite and >= 0.000001", NULL);
	expect_refused(CC_OPEN "<Slope>1 1 1</Slope><Slope>1 1 1</Slope>\n" CC_CLOSE,
	    SP_EINVAL, "line 3: Slope given twice", NULL);
	expect_refused("<ColorCorrection><SatNode><Saturation>1 1</Saturation></SatNode>"
	    "</ColorCorrection>", SP_EINVAL, "Saturation: expected 1 number, found 2", NULL);
	expect_refused("this is not xml", SP_EINVAL, "line 1: not well-formed XML", NULL);
	expect_refused("", SP_EINVAL, "not well-formed XML", NULL);
	expect_refused(CC_OPEN "<Slope>1 1 1</Slope>\n</SOPNode>\n", SP_EINVAL,
	    "not well-formed XML", NULL);
	expect_refused("<Look><Slope>1 1 1</Slope></Look>", SP_EINVAL,
	    "root element <Look> is not ColorCorrection", NULL);
	expect_refused("<ColorCorrectionCollection>\n</ColorCorrectionCollection>",
	    SP_EINVAL, "line 1: ColorCorrectionCollection holds no ColorCorrection", NULL);
	expect_refused("<ColorDecisionList>\n<ColorDecision>\n<MediaRef ref=\"a\"/>\n"
	    "</ColorDecision>\n</ColorDecisionList>", SP_EINVAL,
	    "line 2: ColorDecision without ColorCorrection", NULL);
	expect_refused("<ColorDecisionList><ColorDecision><ColorCorrectionRef ref=\"a\"/>"
	    "</ColorDecision></ColorDecisionList>", SP_EUNSUPPORTED, "ColorCorrectionRef",
	    NULL);
}

Test(cdl, long_id_refused)
{
	char text[512];

	snprintf(text, sizeof(text), "<ColorCorrection id=\"%0200d\"/>", 7);
	expect_refused(text, SP_EINVAL, "id longer than 127 bytes", NULL);
}

/* An external entity must not be fetched or expanded into a value. */
Test(cdl, no_external_entities)
{
	const char *text =
	    "<!DOCTYPE ColorCorrection [<!ENTITY e SYSTEM \"file:///etc/hostname\">]>\n"
	    "<ColorCorrection id=\"&e;\"/>";
	struct cdl_set set = CDL_SET_INIT;
	struct err err = { 0 };

	if (cdl_read_mem(text, strlen(text), "t.cc", &set, &err) > 0) {
		cr_expect_eq(strchr(set.v[0].id, '\n'), NULL);
		cr_expect_str_empty(set.v[0].id);
	}
	cdl_set_release(&set);
}
