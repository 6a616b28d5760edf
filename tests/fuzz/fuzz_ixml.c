/* iXML documents (lib/media/bwf.c, bwf_ixml_parse): the sound recorder's scene, take, notes,
 * speed and tracks. Checks: a refusal leaves nothing to free; strings read are non-empty and
 * trimmed; circled is -1, 0 or 1; a rate and flag read either make a timecode rate or are
 * refused, never anything else. */
#include "tests/fuzz/fuzz.h"
#include "lib/media/bwf.h"

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

static void
fuzz_trimmed(const char *what, const char *s)
{
	size_t n;

	if (s == NULL)
		return;
	n = strlen(s);
	fuzz_check(n > 0 && !isspace((unsigned char)s[0]) && !isspace((unsigned char)s[n - 1]),
	    "%s '%s' is empty or not trimmed", what, s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bwf_info info;
	struct timecode_rate rate;
	struct err err;
	int rc;

	memset(&info, 0, sizeof(info));
	if (bwf_ixml_parse((const char *)data, size, &info.ixml, &err) < 0) {
		fuzz_check(info.ixml.tracks == NULL && info.ixml.scene == NULL, "a refusal left data");
		return 0;
	}
	info.has_ixml = true;
	info.sample_rate = 48000;
	fuzz_trimmed("project", info.ixml.project);
	fuzz_trimmed("scene", info.ixml.scene);
	fuzz_trimmed("take", info.ixml.take);
	fuzz_trimmed("tape", info.ixml.tape);
	fuzz_trimmed("note", info.ixml.note);
	fuzz_check(info.ixml.circled >= -1 && info.ixml.circled <= 1, "circled %d", info.ixml.circled);
	rc = bwf_timecode_rate(&info, &rate, &err);
	fuzz_check(rc == 0 || rc == SP_ENOTFOUND || rc == SP_EINVAL, "rate: %d", rc);
	if (rc == 0) {
		int64_t frames;
		rc = bwf_start_frames(&info, &rate, &frames, &err);
		fuzz_check(rc == 0 || rc == SP_ENOTFOUND || rc == SP_EINVAL, "start: %d", rc);
	}
	bwf_ixml_release(&info.ixml);
	return 0;
}
