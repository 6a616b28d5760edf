/* Broadcast WAV headers (lib/media/bwf.c): RIFF/RF64 chunks, fmt, bext, iXML. The input is
 * written to a memory file and read by path, as a recorder's card would be. Checks: what is
 * read is consistent (sample frames from the data size, strings terminated); the timecode
 * helpers take it; and a RIFF file setpost rewrites with new bext and iXML (bwf_write_meta,
 * on a copy in a temporary folder) reads back with the same audio and the new metadata. */
#include "tests/fuzz/fuzz.h"
#include "lib/media/bwf.h"

#include <fcntl.h>
#include <libxml/parser.h>
#include <sys/mman.h>
#include <unistd.h>

static int fuzz_fd = -1;
static char fuzz_proc[64], fuzz_dir[64], fuzz_copy[128];

static void
fuzz_cleanup(void)
{
	unlink(fuzz_copy);
	rmdir(fuzz_dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	xmlInitParser();
	fuzz_fd = memfd_create("fuzz.wav", MFD_CLOEXEC);
	fuzz_tmpdir(fuzz_dir, sizeof(fuzz_dir), "bwf");
	if (fuzz_fd < 0)
		abort();
	snprintf(fuzz_proc, sizeof(fuzz_proc), "/proc/self/fd/%d", fuzz_fd);
	snprintf(fuzz_copy, sizeof(fuzz_copy), "%s/copy.wav", fuzz_dir);
	atexit(fuzz_cleanup);
	return 0;
}

static void
fuzz_put(int fd, const uint8_t *data, size_t size)
{
	if (ftruncate(fd, 0) < 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
}

static void
fuzz_rewrite(const uint8_t *data, size_t size, const struct bwf_info *info)
{
	static const char ixml[] = "<BWFXML><SCENE> 12A </SCENE><TAKE>3</TAKE>"
	    "<SPEED><TIMECODE_RATE>25/1</TIMECODE_RATE><TIMECODE_FLAG>NDF</TIMECODE_FLAG></SPEED>"
	    "</BWFXML>";
	struct bwf_meta meta = { "fuzz", "setpost", info->bext.originator_reference, "2026-12-07",
		"10:00:00", 90000, 1, "A=PCM\r\n", ixml };
	struct bwf_info again;
	struct err err;
	int fd = open(fuzz_copy, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0)
		abort();
	fuzz_put(fd, data, size);
	close(fd);
	if (bwf_write_meta(fuzz_copy, &meta, &err) < 0)
		return;
	fuzz_check(bwf_read(fuzz_copy, &again, &err) == 0, "a file setpost rewrote does not read: %s",
	    err.msg);
	fuzz_check(again.data_size == info->data_size && again.samples == info->samples &&
	    again.channels == info->channels && again.sample_rate == info->sample_rate &&
	    again.format_tag == info->format_tag, "the audio changed in the rewrite");
	fuzz_check(again.has_bext && strcmp(again.bext.description, "fuzz") == 0 &&
	    again.bext.time_reference == 90000 && again.has_ixml && again.ixml.scene &&
	    strcmp(again.ixml.scene, "12A") == 0, "the new metadata did not come back");
	bwf_release(&again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bwf_info info;
	struct timecode_rate rate;
	struct err err;
	int64_t frames;

	fuzz_put(fuzz_fd, data, size);
	if (bwf_read(fuzz_proc, &info, &err) < 0) {
		fuzz_check(info.bext.coding_history == NULL && info.ixml.tracks == NULL,
		    "a refused file left data");
		return 0;
	}
	fuzz_check(info.block_align > 0 && info.samples == info.data_size / info.block_align,
	    "%llu samples of %u bytes in %llu bytes", (unsigned long long)info.samples,
	    info.block_align, (unsigned long long)info.data_size);
	fuzz_check(strlen(info.bext.description) < sizeof(info.bext.description) &&
	    strlen(info.bext.origination_time) < sizeof(info.bext.origination_time),
	    "bext strings not terminated");
	for (size_t i = 0; i < info.ixml.ntracks; i++)
		fuzz_check(info.ixml.tracks[i].name == NULL || info.ixml.tracks[i].name[0] != '\0',
		    "track %zu has an empty name", i);
	if (bwf_timecode_rate(&info, &rate, &err) == 0)
		(void)bwf_start_frames(&info, &rate, &frames, &err);
	if (!info.rf64)
		fuzz_rewrite(data, size, &info);
	bwf_release(&info);
	return 0;
}
