/* libxml2 never prints from lib/: a bad MHL manifest, CDL or iXML, and an MHL written with
 * a name that is not UTF-8, leave stderr empty and say what was wrong in struct err
 * (issue 14: "encoding error" lines appeared on the server's stderr). */
#include "lib/custody/mhl.h"
#include "lib/media/bwf.h"
#include "lib/media/cdl.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int saved = -1;
static char captured[256];

static void
capture_begin(void)
{
	int fd;

	snprintf(captured, sizeof(captured), "/tmp/xml_quiet_%d.err", (int)getpid());
	fd = open(captured, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert(fd >= 0);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	close(fd);
}

/* Restores stderr and returns what was written to it meanwhile (caller frees). */
static char *
capture_end(void)
{
	FILE *f;
	char *text = calloc(1, 4096);

	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	f = fopen(captured, "r");
	cr_assert(f != NULL);
	if (fread(text, 1, 4095, f) == 0)
		text[0] = '\0';
	fclose(f);
	unlink(captured);
	return text;
}

static const char *const bad_xml[] = {
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?><ColorDecisionList><ColorCorrection id=\"\xff\xfe\"/>",
	"<?xml version=\"1.0\" encoding=\"bogus-8\"?><a/>",
	"<?xml version=\"1.0\" encoding=\"UTF-16\"?><a/>",
	"<?xml version=\"1.0\" encoding=\"ISO-2022-JP\"?><a>\x1b$B\xff\xff</a>",
	"<a>\xc0\xae\xc0\xae</a>",
	"<a><b></a>",
	"<!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><a>&x;</a>",
	"\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"UTF-16LE\"?><a/>",
	"<a \x01=\"1\"/>",
};

Test(xml_quiet, a_bad_cdl_prints_nothing)
{
	char *out;

	capture_begin();
	for (size_t i = 0; i < sizeof(bad_xml) / sizeof(bad_xml[0]); i++) {
		struct cdl_set set;
		struct err err;

		memset(&set, 0, sizeof(set));
		if (cdl_read_mem(bad_xml[i], strlen(bad_xml[i]), "bad.ccc", &set, &err) == 0)
			cdl_set_release(&set);
	}
	out = capture_end();
	cr_expect_str_eq(out, "", "libxml2 printed: %s", out);
	free(out);
}

Test(xml_quiet, a_bad_ixml_prints_nothing)
{
	char *out;

	capture_begin();
	for (size_t i = 0; i < sizeof(bad_xml) / sizeof(bad_xml[0]); i++) {
		struct bwf_ixml ix;
		struct err err;

		memset(&ix, 0, sizeof(ix));
		if (bwf_ixml_parse(bad_xml[i], strlen(bad_xml[i]), &ix, &err) == 0)
			bwf_ixml_release(&ix);
	}
	out = capture_end();
	cr_expect_str_eq(out, "", "libxml2 printed: %s", out);
	free(out);
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert(f != NULL);
	fputs(text, f);
	fclose(f);
}

Test(xml_quiet, a_bad_mhl_prints_nothing_and_says_why)
{
	char root[] = "/tmp/xml_quiet_XXXXXX", dir[300], path[400];
	char *out;

	cr_assert(mkdtemp(root) != NULL);
	snprintf(dir, sizeof(dir), "%s/ascmhl", root);
	mkdir(dir, 0700);
	for (size_t i = 0; i < sizeof(bad_xml) / sizeof(bad_xml[0]); i++) {
		struct mhl_history h;
		struct err err;
		int rc;

		snprintf(path, sizeof(path), "%s/0001_card_2026-01-01_000000Z.mhl", dir);
		write_file(path, bad_xml[i]);
		snprintf(path, sizeof(path), "%s/ascmhl_chain.xml", dir);
		write_file(path, bad_xml[i]);
		memset(&h, 0, sizeof(h));
		capture_begin();
		rc = mhl_history_load(&h, root, &err);
		out = capture_end();
		cr_expect_str_eq(out, "", "case %zu: libxml2 printed: %s", i, out);
		cr_expect_lt(rc, 0, "case %zu: a bad manifest was accepted", i);
		if (rc < 0)
			cr_expect_gt(strlen(err.msg), 0);
		else
			mhl_history_release(&h);
		free(out);
	}
}
