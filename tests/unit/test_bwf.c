/* Unit tests for lib/media/bwf.c: real WAVs from ffmpeg with bext/iXML added by our writer,
 * cross-checked with ffprobe; hand-built RIFF/RF64 files; damaged and hostile files. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/media/bwf.h"

extern char **environ;

static char dir[64];

static void
make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_bwf.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void
remove_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[512];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

TestSuite(bwf, .init = make_dir, .fini = remove_dir);

static const char *
path_in(const char *name)
{
	static char p[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

/* Runs argv[0] from PATH with stdout captured into out; returns its exit status. */
static int
run(const char *const argv[], char *out, size_t size)
{
	posix_spawn_file_actions_t fa;
	size_t len = 0;
	int fds[2], status = -1;
	pid_t pid;
	ssize_t n;

	cr_assert_eq(pipe(fds), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	cr_assert_eq(posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ), 0, "spawn %s", argv[0]);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	while ((n = read(fds[0], out + len, size - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(fds[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void
ffmpeg_wav(const char *path, const char *codec, const char *channels)
{
	char out[256];
	const char *argv[] = { "ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
		"sine=frequency=1000:duration=1", "-ar", "48000", "-ac", channels,
		"-c:a", codec, path, NULL };

	cr_assert_eq(run(argv, out, sizeof(out)), 0, "ffmpeg failed to make %s", path);
}

static void
ffprobe_tag(const char *path, const char *tag, char *out, size_t size)
{
	char entries[64];
	const char *argv[] = { "ffprobe", "-v", "error", "-show_entries", entries, "-of",
		"default=nw=1:nk=1", path, NULL };

	snprintf(entries, sizeof(entries), "format_tags=%s", tag);
	cr_assert_eq(run(argv, out, size), 0, "ffprobe %s", path);
	out[strcspn(out, "\r\n")] = '\0';
}

static const char ixml_full[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<BWFXML><IXML_VERSION>1.52</IXML_VERSION>"
	"<PROJECT>ANewMovie</PROJECT><SCENE>21</SCENE><TAKE>33</TAKE><TAPE>10</TAPE>"
	"<CIRCLED>true</CIRCLED><NOTE>  boom \xC3\xA9t\xC3\xA9 low  </NOTE>"
	"<SPEED><NOTE>speed note</NOTE><MASTER_SPEED>24/1</MASTER_SPEED>"
	"<TIMECODE_RATE>24000/1001</TIMECODE_RATE><TIMECODE_FLAG>NDF</TIMECODE_FLAG>"
	"<FILE_SAMPLE_RATE>48000</FILE_SAMPLE_RATE><AUDIO_BIT_DEPTH>24</AUDIO_BIT_DEPTH>"
	"<TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_HI>0</TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_HI>"
	"<TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_LO>2437859424</TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_LO>"
	"<TIMESTAMP_SAMPLE_RATE>48000</TIMESTAMP_SAMPLE_RATE></SPEED>"
	"<TRACK_LIST><TRACK_COUNT>2</TRACK_COUNT>"
	"<TRACK><CHANNEL_INDEX>1</CHANNEL_INDEX><INTERLEAVE_INDEX>1</INTERLEAVE_INDEX>"
	"<NAME>Boom</NAME></TRACK>"
	"<TRACK><CHANNEL_INDEX>2</CHANNEL_INDEX><NAME>Lav Anna</NAME></TRACK></TRACK_LIST>"
	"</BWFXML>\n";

static const struct bwf_meta meta_full = {
	.description = "sSCENE=21\r\nsTAKE=33\r\n",
	.originator = "setpost test",
	.originator_reference = "USSPT0001",
	.origination_date = "2026-11-25",
	.origination_time = "14:05:38",
	.time_reference = 2437859424ULL,
	.version = 1,
	.coding_history = "A=PCM,F=48000,W=24,M=stereo,T=setpost\r\n",
	.ixml = ixml_full,
};

static void
read_ok(const char *path, struct bwf_info *info)
{
	struct err err = { 0 };

	cr_assert_eq(bwf_read(path, info, &err), 0, "%s: %s", path, err.msg);
}

static void
read_fails(const char *path, int code, const char *why)
{
	struct bwf_info info;
	struct err err = { 0 };
	int rc = bwf_read(path, &info, &err);

	cr_expect_eq(rc, code, "%s: rc %d, want %d (%s)", path, rc, code, err.msg);
	cr_expect(strstr(err.msg, why) != NULL, "message \"%s\" lacks \"%s\"", err.msg, why);
	cr_expect_eq(info.ixml.tracks, NULL);
	cr_expect_eq(info.bext.coding_history, NULL);
}

Test(bwf, ffmpeg_wav_gets_bext_and_ixml)
{
	const char *p = path_in("take.wav");
	struct bwf_info info;
	struct timecode_rate rate;
	struct err err = { 0 };
	char tag[256], label[TIMECODE_BUFSZ];
	int64_t frames;

	ffmpeg_wav(p, "pcm_s24le", "2");
	cr_assert_eq(bwf_write_meta(p, &meta_full, &err), 0, "%s", err.msg);
	read_ok(p, &info);
	cr_expect(!info.rf64);
	cr_expect_eq(info.format_tag, BWF_FORMAT_PCM); /* ffmpeg writes 24-bit as extensible */
	cr_expect_eq(info.channels, 2);
	cr_expect_eq(info.sample_rate, 48000);
	cr_expect_eq(info.bits, 24);
	cr_expect_eq(info.block_align, 6);
	cr_expect_eq(info.samples, 48000);
	cr_expect(info.has_bext);
	cr_expect_str_eq(info.bext.description, meta_full.description);
	cr_expect_str_eq(info.bext.originator, "setpost test");
	cr_expect_str_eq(info.bext.originator_reference, "USSPT0001");
	cr_expect_str_eq(info.bext.origination_date, "2026-11-25");
	cr_expect_str_eq(info.bext.origination_time, "14:05:38");
	cr_expect_eq(info.bext.time_reference, 2437859424ULL);
	cr_expect_eq(info.bext.version, 1);
	cr_expect_str_eq(info.bext.coding_history, meta_full.coding_history);

	cr_assert(info.has_ixml);
	cr_expect_str_eq(info.ixml.project, "ANewMovie");
	cr_expect_str_eq(info.ixml.scene, "21");
	cr_expect_str_eq(info.ixml.take, "33");
	cr_expect_str_eq(info.ixml.tape, "10");
	cr_expect_eq(info.ixml.circled, 1);
	cr_expect_str_eq(info.ixml.note, "boom \xC3\xA9t\xC3\xA9 low");
	cr_expect_str_eq(info.ixml.timecode_rate, "24000/1001");
	cr_expect_str_eq(info.ixml.timecode_flag, "NDF");
	cr_expect_eq(info.ixml.file_sample_rate, 48000);
	cr_expect(info.ixml.has_timestamp);
	cr_expect_eq(info.ixml.timestamp, 2437859424ULL);
	cr_expect_eq(info.ixml.timestamp_sample_rate, 48000);
	cr_assert_eq(info.ixml.ntracks, 2);
	cr_expect_eq(info.ixml.tracks[0].channel_index, 1);
	cr_expect_str_eq(info.ixml.tracks[0].name, "Boom");
	cr_expect_eq(info.ixml.tracks[1].channel_index, 2);
	cr_expect_str_eq(info.ixml.tracks[1].name, "Lav Anna");

	cr_assert_eq(bwf_timecode_rate(&info, &rate, &err), 0, "%s", err.msg);
	cr_expect_eq(rate.num, 24000);
	cr_expect(!rate.drop);
	cr_assert_eq(bwf_start_frames(&info, &rate, &frames, &err), 0, "%s", err.msg);
	cr_assert_eq(timecode_format(&rate, frames, label, &err), 0);
	cr_expect_str_eq(label, "14:05:38:00");

	/* ffmpeg reads the same bext, and still decodes the audio we copied. */
	ffprobe_tag(p, "time_reference", tag, sizeof(tag));
	cr_expect_str_eq(tag, "2437859424");
	ffprobe_tag(p, "encoded_by", tag, sizeof(tag));
	cr_expect_str_eq(tag, "setpost test");
	{
		char out[256];
		const char *argv[] = { "ffprobe", "-v", "error", "-show_entries",
			"stream=sample_rate,channels,duration_ts", "-of", "default=nw=1", p, NULL };

		cr_assert_eq(run(argv, out, sizeof(out)), 0);
		cr_expect(strstr(out, "sample_rate=48000") != NULL, "%s", out);
		cr_expect(strstr(out, "channels=2") != NULL, "%s", out);
		cr_expect(strstr(out, "duration_ts=48000") != NULL, "%s", out);
	}
	bwf_release(&info);
	cr_expect_eq(info.ixml.tracks, NULL);
}

/* Rewriting replaces the chunks instead of adding a second bext (which bwf_read
 * would refuse), keeps the mode, and leaves no temporary file. */
Test(bwf, rewrite_replaces_and_cleans_up)
{
	const char *p = path_in("s01t01.wav");
	struct bwf_meta m = { .originator = "second", .time_reference = 48000ULL * 3600 };
	struct bwf_info info;
	struct err err = { 0 };
	struct stat st;
	char tag[64];
	DIR *d;
	struct dirent *e;
	int files = 0;

	ffmpeg_wav(p, "pcm_s16le", "1");
	chmod(p, 0640);
	cr_assert_eq(bwf_write_meta(p, &meta_full, &err), 0, "%s", err.msg);
	cr_assert_eq(bwf_write_meta(p, &m, &err), 0, "%s", err.msg);
	read_ok(p, &info);
	cr_expect_str_eq(info.bext.originator, "second");
	cr_expect_str_eq(info.bext.coding_history, "");
	cr_expect(!info.has_ixml);
	cr_expect_eq(info.ixml.circled, -1);
	cr_expect_eq(info.bits, 16);
	cr_expect_eq(info.samples, 48000);
	bwf_release(&info);
	ffprobe_tag(p, "time_reference", tag, sizeof(tag));
	cr_expect_str_eq(tag, "172800000");
	cr_assert_eq(stat(p, &st), 0);
	cr_expect_eq(st.st_mode & 07777, 0640);
	d = opendir(dir);
	while ((e = readdir(d)) != NULL)
		files += e->d_name[0] != '.';
	closedir(d);
	cr_expect_eq(files, 1);
}

Test(bwf, writer_rejects_bad_input_and_keeps_file)
{
	const char *p = path_in("a.wav"), *txt = path_in("notes.txt");
	char longdesc[300];
	struct bwf_meta m = { .description = longdesc };
	struct err err = { 0 };
	struct stat before, after;
	FILE *f;

	memset(longdesc, 'x', sizeof(longdesc) - 1);
	longdesc[sizeof(longdesc) - 1] = '\0';
	ffmpeg_wav(p, "pcm_s16le", "1");
	cr_assert_eq(stat(p, &before), 0);
	cr_expect_eq(bwf_write_meta(p, &m, &err), SP_EINVAL);
	cr_expect(strstr(err.msg, "Description") != NULL, "%s", err.msg);
	m.description = NULL;
	m.origination_date = "2026-11-25T";
	cr_expect_eq(bwf_write_meta(p, &m, &err), SP_EINVAL);
	cr_assert_eq(stat(p, &after), 0);
	cr_expect_eq(before.st_size, after.st_size);
	cr_expect_eq(before.st_ino, after.st_ino);

	f = fopen(txt, "w");
	fputs("not a wav file at all\n", f);
	fclose(f);
	m.origination_date = NULL;
	cr_expect_eq(bwf_write_meta(txt, &m, &err), SP_EUNSUPPORTED);
	cr_expect_eq(bwf_write_meta(path_in("missing.wav"), &m, &err), SP_ENOTFOUND);
}

/* ---- hand-built files ----------------------------------------------------------- */

struct wbuf {
	unsigned char *p;
	size_t len, cap;
};

static void
wb_bytes(struct wbuf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->p = realloc(b->p, b->cap);
		cr_assert_not_null(b->p);
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void
wb_u32(struct wbuf *b, uint32_t v)
{
	unsigned char x[4] = { (unsigned char)v, (unsigned char)(v >> 8),
		(unsigned char)(v >> 16), (unsigned char)(v >> 24) };

	wb_bytes(b, x, 4);
}

static void
wb_u64(struct wbuf *b, uint64_t v)
{
	wb_u32(b, (uint32_t)v);
	wb_u32(b, (uint32_t)(v >> 32));
}

/* A chunk with the given declared size; body bytes n (may differ, to lie). */
static void
wb_chunk_sized(struct wbuf *b, const char *id, uint32_t declared, const void *body, size_t n,
    bool pad)
{
	static const unsigned char zero[1];

	wb_bytes(b, id, 4);
	wb_u32(b, declared);
	if (n > 0)
		wb_bytes(b, body, n);
	if (pad && (n & 1))
		wb_bytes(b, zero, 1);
}

static void
wb_chunk(struct wbuf *b, const char *id, const void *body, size_t n)
{
	wb_chunk_sized(b, id, (uint32_t)n, body, n, true);
}

static void
wb_head(struct wbuf *b, const char *magic)
{
	b->len = 0;
	wb_bytes(b, magic, 4);
	wb_u32(b, 0);
	wb_bytes(b, "WAVE", 4);
}

static void
wb_fmt(struct wbuf *b, uint16_t channels, uint32_t rate, uint16_t bits)
{
	unsigned char f[16];
	uint16_t align = (uint16_t)(channels * bits / 8);
	uint32_t bps = rate * align;

	memcpy(f, (unsigned char[]){ 1, 0, (unsigned char)channels, (unsigned char)(channels >> 8),
		(unsigned char)rate, (unsigned char)(rate >> 8), (unsigned char)(rate >> 16),
		(unsigned char)(rate >> 24), (unsigned char)bps, (unsigned char)(bps >> 8),
		(unsigned char)(bps >> 16), (unsigned char)(bps >> 24), (unsigned char)align,
		(unsigned char)(align >> 8), (unsigned char)bits, 0 }, 16);
	wb_chunk(b, "fmt ", f, sizeof(f));
}

static void
wb_save(struct wbuf *b, const char *path, bool fix_riff_size)
{
	FILE *f;

	if (fix_riff_size) {
		uint32_t s = (uint32_t)(b->len - 8);

		b->p[4] = (unsigned char)s;
		b->p[5] = (unsigned char)(s >> 8);
		b->p[6] = (unsigned char)(s >> 16);
		b->p[7] = (unsigned char)(s >> 24);
	}
	f = fopen(path, "wb");
	cr_assert_not_null(f);
	if (b->len > 0)
		cr_assert_eq(fwrite(b->p, 1, b->len, f), b->len);
	fclose(f);
}

static void
save_bytes(const char *path, const void *p, size_t n)
{
	struct wbuf b = { 0 };

	if (n > 0)
		wb_bytes(&b, p, n);
	wb_save(&b, path, false);
	free(b.p);
}

/* Odd-sized chunks with pad bytes, data before metadata, an iXML chunk full of
 * comments, CDATA, the SAMPLE (not SAMPLES) spelling and trailing NULs, and a last
 * odd chunk whose pad byte is missing at the end of the file. */
Test(bwf, handmade_riff_with_pads_and_tolerant_ixml)
{
	const char *p = path_in("hand.wav");
	static const char x[] =
		"<?xml version=\"1.0\"?>\n<!-- Sound Devices style -->\n<BWFXML>\n"
		"  <SCENE><![CDATA[12A]]></SCENE><TAKE>0<!-- x -->3</TAKE>\n"
		"  <CIRCLED>False</CIRCLED><NOTE></NOTE>\n"
		"  <SPEED><TIMECODE_RATE>30000/1001</TIMECODE_RATE><TIMECODE_FLAG>DF</TIMECODE_FLAG>\n"
		"  <TIMESTAMP_SAMPLE_SINCE_MIDNIGHT_HI>1</TIMESTAMP_SAMPLE_SINCE_MIDNIGHT_HI>\n"
		"  <TIMESTAMP_SAMPLE_SINCE_MIDNIGHT_LO>5</TIMESTAMP_SAMPLE_SINCE_MIDNIGHT_LO>\n"
		"  </SPEED><TRACK_LIST><TRACK><NAME/></TRACK></TRACK_LIST>\n"
		"</BWFXML>\n\0\0\0\0\0";
	unsigned char audio[12] = { 0 };
	struct wbuf b = { 0 };
	struct bwf_info info;
	struct timecode_rate rate;
	struct err err = { 0 };

	wb_head(&b, "RIFF");
	wb_chunk(&b, "JUNK", "abc", 3);
	wb_fmt(&b, 2, 96000, 24);
	wb_chunk(&b, "data", audio, sizeof(audio));
	wb_chunk(&b, "LIST", "INFOx", 5);
	wb_chunk_sized(&b, "iXML", sizeof(x) - 1, x, sizeof(x) - 1, false);
	cr_assert((sizeof(x) - 1) & 1, "the iXML body must be odd for this test");
	wb_save(&b, p, true);

	read_ok(p, &info);
	cr_expect_eq(info.sample_rate, 96000);
	cr_expect_eq(info.samples, 2);
	cr_expect_eq(info.data_offset, 12 + 8 + 4 + 8 + 16 + 8);
	cr_expect(!info.has_bext);
	cr_assert(info.has_ixml);
	cr_expect_str_eq(info.ixml.scene, "12A");
	cr_expect_str_eq(info.ixml.take, "03");
	cr_expect_eq(info.ixml.circled, 0);
	cr_expect_null(info.ixml.note);
	cr_expect_null(info.ixml.project);
	cr_expect(info.ixml.has_timestamp);
	cr_expect_eq(info.ixml.timestamp, (1ULL << 32) | 5);
	cr_assert_eq(info.ixml.ntracks, 1);
	cr_expect_null(info.ixml.tracks[0].name);
	cr_assert_eq(bwf_timecode_rate(&info, &rate, &err), 0, "%s", err.msg);
	cr_expect(rate.drop);
	cr_expect_eq(rate.num, 30000);
	bwf_release(&info);
	free(b.p);
}

/* A reserved iXML chunk of NULs is no iXML, not an error; a FIFO is refused without
 * blocking. */
Test(bwf, reserved_ixml_and_fifo)
{
	const char *p = path_in("reserved.wav");
	char zeros[64] = { 0 };
	struct wbuf b = { 0 };
	struct bwf_info info;

	wb_head(&b, "RIFF");
	wb_fmt(&b, 1, 48000, 16);
	wb_chunk(&b, "iXML", zeros, sizeof(zeros));
	wb_chunk(&b, "iXML", "", 0);
	wb_chunk(&b, "data", "\0\0", 2);
	wb_save(&b, p, true);
	read_fails(p, SP_EINVAL, "second 'iXML' chunk");
	b.len -= 8 + 8 + 2;
	wb_chunk(&b, "data", "\0\0", 2);
	wb_save(&b, p, true);
	read_ok(p, &info);
	cr_expect(!info.has_ixml);
	cr_expect_eq(info.samples, 1);
	bwf_release(&info);
	free(b.p);
	cr_assert_eq(mkfifo(path_in("fifo.wav"), 0600), 0);
	read_fails(path_in("fifo.wav"), SP_EINVAL, "not a regular file");
}

/* Without bext the start comes from the iXML timestamp at its own sample rate. */
Test(bwf, start_from_ixml_timestamp)
{
	const char *p = path_in("ixonly.wav");
	static const char x[] = "<BWFXML><SPEED>"
		"<TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_LO>172800000</TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_LO>"
		"<TIMESTAMP_SAMPLE_RATE>48000</TIMESTAMP_SAMPLE_RATE></SPEED></BWFXML>";
	struct wbuf b = { 0 };
	struct bwf_info info;
	struct timecode_rate r;
	struct err err = { 0 };
	char label[TIMECODE_BUFSZ];
	int64_t n;

	wb_head(&b, "RIFF");
	wb_fmt(&b, 1, 96000, 16);
	wb_chunk(&b, "iXML", x, sizeof(x) - 1);
	wb_chunk(&b, "data", "\0\0", 2);
	wb_save(&b, p, true);
	read_ok(p, &info);
	cr_expect_eq(bwf_timecode_rate(&info, &r, &err), SP_ENOTFOUND);
	cr_assert_eq(timecode_rate_parse("25", &r, &err), 0);
	cr_assert_eq(bwf_start_frames(&info, &r, &n, &err), 0, "%s", err.msg);
	timecode_format(&r, n, label, NULL);
	cr_expect_str_eq(label, "01:00:00:00");
	bwf_release(&info);
	free(b.p);
}

static void
rf64_file(struct wbuf *b, const char *magic, bool with_ds64, bool list_in_table)
{
	unsigned char audio[8] = { 0 };

	wb_head(b, magic);
	b->p[4] = b->p[5] = b->p[6] = b->p[7] = 0xFF;
	if (with_ds64) {
		wb_bytes(b, "ds64", 4);
		wb_u32(b, 28 + 12);
		wb_u64(b, 0);                  /* RIFF size: 0 means "to the end" for us */
		wb_u64(b, sizeof(audio));      /* data size */
		wb_u64(b, sizeof(audio) / 4);  /* sample count */
		wb_u32(b, 1);
		wb_bytes(b, list_in_table ? "LIST" : "JUNK", 4);
		wb_u64(b, 4);
	}
	wb_fmt(b, 2, 48000, 16);
	wb_chunk_sized(b, "LIST", UINT32_MAX, "INFO", 4, true);
	wb_chunk_sized(b, "data", UINT32_MAX, audio, sizeof(audio), true);
}

Test(bwf, rf64_and_bw64_take_sizes_from_ds64)
{
	static const char *magics[] = { "RF64", "BW64" };
	struct wbuf b = { 0 };
	struct bwf_info info;
	struct err err = { 0 };

	for (int i = 0; i < 2; i++) {
		const char *p = path_in(magics[i]);

		rf64_file(&b, magics[i], true, true);
		wb_save(&b, p, false);
		read_ok(p, &info);
		cr_expect(info.rf64);
		cr_expect_eq(info.data_size, 8);
		cr_expect_eq(info.samples, 2);
		bwf_release(&info);
		cr_expect_eq(bwf_write_meta(p, &meta_full, &err), SP_EUNSUPPORTED);
	}
	rf64_file(&b, "RF64", false, true);
	wb_save(&b, path_in("nods64"), false);
	read_fails(path_in("nods64"), SP_EINVAL, "without a ds64");
	rf64_file(&b, "RF64", true, false);
	wb_save(&b, path_in("notable"), false);
	read_fails(path_in("notable"), SP_EINVAL, "not in ds64");
	free(b.p);
}

Test(bwf, empty_short_and_foreign_files)
{
	struct bwf_info info;
	struct err err = { 0 };

	save_bytes(path_in("zero.wav"), "", 0);
	read_fails(path_in("zero.wav"), SP_EINVAL, "too short");
	save_bytes(path_in("eleven.wav"), "RIFF\0\0\0\0WAV", 11);
	read_fails(path_in("eleven.wav"), SP_EINVAL, "too short");
	save_bytes(path_in("text.wav"), "Heading\nFIELD_DELIM\tTABS\n", 25);
	read_fails(path_in("text.wav"), SP_EUNSUPPORTED, "not a WAV file");
	save_bytes(path_in("avi.wav"), "RIFF\x10\0\0\0AVI LIST\0\0\0\0", 20);
	read_fails(path_in("avi.wav"), SP_EUNSUPPORTED, "not a WAV file");
	save_bytes(path_in("bare.wav"), "RIFF\x04\0\0\0WAVE", 12);
	read_fails(path_in("bare.wav"), SP_EINVAL, "no 'fmt ' chunk");
	cr_expect_eq(bwf_read(path_in("missing.wav"), &info, &err), SP_ENOTFOUND);
	cr_expect(strstr(err.msg, "missing.wav") != NULL, "%s", err.msg);
	cr_expect_eq(bwf_read(dir, &info, &err), SP_EINVAL);
	cr_expect(strstr(err.msg, "not a regular file") != NULL, "%s", err.msg);
}

Test(bwf, chunk_sizes_past_eof_and_huge)
{
	struct wbuf b = { 0 };
	unsigned char bext[602] = { 0 };

	wb_head(&b, "RIFF");
	wb_fmt(&b, 1, 48000, 16);
	wb_chunk_sized(&b, "bext", 0x7FFFFFF0, bext, sizeof(bext), false);
	wb_save(&b, path_in("bigbext.wav"), true);
	read_fails(path_in("bigbext.wav"), SP_EINVAL, "chunk 'bext' at offset 36: size 2147483632 "
	    "runs past the end of the file");

	wb_head(&b, "RIFF");
	wb_fmt(&b, 1, 48000, 16);
	wb_chunk_sized(&b, "data", 0xFFFFFFF0, "\0\0\0\0", 4, false);
	wb_save(&b, path_in("bigdata.wav"), true);
	read_fails(path_in("bigdata.wav"), SP_EINVAL, "runs past the end");

	/* A chunk within the file but over our in-memory cap. */
	wb_head(&b, "RIFF");
	wb_fmt(&b, 1, 48000, 16);
	{
		size_t n = BWF_IXML_MAX + 2;
		char *big = calloc(1, n);

		wb_chunk(&b, "iXML", big, n);
		free(big);
	}
	wb_chunk(&b, "data", "\0\0", 2);
	wb_save(&b, path_in("bigixml.wav"), true);
	read_fails(path_in("bigixml.wav"), SP_ETOOBIG, "chunk 'iXML'");

	/* Bytes that are no chunk id are shown as '?'. */
	wb_head(&b, "RIFF");
	wb_chunk_sized(&b, "\x01\x02zz", 1000, "", 0, false);
	wb_save(&b, path_in("weird.wav"), true);
	read_fails(path_in("weird.wav"), SP_EINVAL, "chunk '??zz'");
	free(b.p);
}

Test(bwf, bad_chunk_contents)
{
	struct wbuf b = { 0 };
	unsigned char bext[400] = { 0 };

	wb_head(&b, "RIFF");
	wb_fmt(&b, 1, 48000, 16);
	wb_chunk(&b, "bext", bext, sizeof(bext));
	wb_chunk(&b, "data", "\0\0", 2);
	wb_save(&b, path_in("shortbext.wav"), true);
	read_fails(path_in("shortbext.wav"), SP_EINVAL, "too short (400 bytes, need 602)");

	wb_head(&b, "RIFF");
	wb_chunk(&b, "fmt ", "\1\0\1\0", 4);
	wb_chunk(&b, "data", "\0\0", 2);
	wb_save(&b, path_in("shortfmt.wav"), true);
	read_fails(path_in("shortfmt.wav"), SP_EINVAL, "chunk 'fmt ' at offset 12: too short");

	wb_head(&b, "RIFF");
	wb_fmt(&b, 0, 48000, 16);
	wb_chunk(&b, "data", "\0\0", 2);
	wb_save(&b, path_in("nochan.wav"), true);
	read_fails(path_in("nochan.wav"), SP_EINVAL, "zero channels");

	wb_head(&b, "RIFF");
	wb_fmt(&b, 1, 48000, 16);
	wb_fmt(&b, 2, 44100, 16);
	wb_chunk(&b, "data", "\0\0", 2);
	wb_save(&b, path_in("twofmt.wav"), true);
	read_fails(path_in("twofmt.wav"), SP_EINVAL, "second 'fmt ' chunk");

	wb_head(&b, "RIFF");
	wb_fmt(&b, 1, 48000, 16);
	wb_save(&b, path_in("nodata.wav"), true);
	read_fails(path_in("nodata.wav"), SP_EINVAL, "no 'data' chunk");

	wb_head(&b, "RIFF");
	wb_fmt(&b, 1, 48000, 16);
	wb_chunk(&b, "iXML", "<BWFXML><SCENE>1</BWFXML>", 25);
	wb_chunk(&b, "data", "\0\0", 2);
	wb_save(&b, path_in("badxml.wav"), true);
	read_fails(path_in("badxml.wav"), SP_EINVAL, "chunk 'iXML' at offset 36: iXML: not "
	    "well-formed XML");

	/* Trailing stray bytes: one is a missing-pad leftover, three are a broken header. */
	wb_head(&b, "RIFF");
	wb_fmt(&b, 1, 48000, 16);
	wb_chunk(&b, "data", "\0\0", 2);
	wb_bytes(&b, "x", 1);
	wb_save(&b, path_in("stray1.wav"), true);
	{
		struct bwf_info info;

		read_ok(path_in("stray1.wav"), &info);
		bwf_release(&info);
	}
	wb_bytes(&b, "yz", 2);
	wb_save(&b, path_in("stray3.wav"), true);
	read_fails(path_in("stray3.wav"), SP_EINVAL, "truncated chunk header at offset 46");
	free(b.p);
}

Test(bwf, too_many_chunks)
{
	struct wbuf b = { 0 };

	wb_head(&b, "RIFF");
	wb_fmt(&b, 1, 48000, 16);
	for (int i = 0; i < BWF_MAX_CHUNKS; i++)
		wb_chunk(&b, "JUNK", "", 0);
	wb_chunk(&b, "data", "\0\0", 2);
	wb_save(&b, path_in("many.wav"), true);
	read_fails(path_in("many.wav"), SP_ETOOBIG, "more than 4096 chunks");
	free(b.p);
}

static unsigned char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *p;
	long n;

	cr_assert_not_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	p = malloc((size_t)n);
	cr_assert_eq(fread(p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return p;
}

/* A real file cut at every length through its headers and into the audio: each cut
 * is an error with a message, never a crash or an overread (ASan watches). */
Test(bwf, every_truncation_fails_cleanly)
{
	const char *p = path_in("full.wav"), *cut = path_in("cut.wav");
	struct bwf_info info;
	struct err err;
	unsigned char *all;
	size_t len;

	ffmpeg_wav(p, "pcm_s24le", "2");
	cr_assert_eq(bwf_write_meta(p, &meta_full, NULL), 0);
	all = slurp(p, &len);
	for (size_t n = 0; n < len - 1; n += n < 3000 ? 1 : 4099) {
		save_bytes(cut, all, n);
		err_clear(&err);
		cr_assert_lt(bwf_read(cut, &info, &err), 0, "cut at %zu read fine", n);
		cr_assert_neq(err.msg[0], '\0', "cut at %zu: no message", n);
	}
	free(all);
}

/* Flipped bytes in the headers of a real file: any answer is fine as long as it is
 * a clean one (ASan and UBSan catch the rest). */
Test(bwf, flipped_header_bytes_do_not_crash)
{
	const char *p = path_in("full.wav"), *bad = path_in("bad.wav");
	struct bwf_info info;
	unsigned char *all;
	size_t len, head;
	unsigned seed = 12345;

	ffmpeg_wav(p, "pcm_s16le", "1");
	cr_assert_eq(bwf_write_meta(p, &meta_full, NULL), 0);
	all = slurp(p, &len);
	head = len - 96000; /* everything before the audio */
	for (int round = 0; round < 400; round++) {
		unsigned char *copy = malloc(len);

		memcpy(copy, all, len);
		for (int k = 0; k < 4; k++) {
			seed = seed * 1103515245 + 12345;
			copy[(seed >> 8) % head] ^= (unsigned char)(1u << (seed % 8));
		}
		save_bytes(bad, copy, len);
		if (bwf_read(bad, &info, NULL) == 0)
			bwf_release(&info);
		free(copy);
	}
	free(all);
}

/* ---- iXML on its own ------------------------------------------------------------ */

static void
ixml_fails(const char *xml, size_t len, int code, const char *why)
{
	struct bwf_ixml x;
	struct err err = { 0 };

	cr_expect_eq(bwf_ixml_parse(xml, len, &x, &err), code, "%s", err.msg);
	cr_expect(strstr(err.msg, why) != NULL, "message \"%s\" lacks \"%s\"", err.msg, why);
	cr_expect_null(x.scene);
	cr_expect_null(x.tracks);
}

#define IXML_FAILS(s, code, why) ixml_fails(s, sizeof(s) - 1, code, why)

Test(bwf, ixml_rejects_bad_documents)
{
	IXML_FAILS("", SP_EINVAL, "empty");
	IXML_FAILS("\0\0\0\0", SP_EINVAL, "empty");
	IXML_FAILS("<BWFXML><SCENE>1</SCENE>", SP_EINVAL, "not well-formed");
	IXML_FAILS("<IXML><SCENE>1</SCENE></IXML>", SP_EINVAL, "root element is not BWFXML");
	IXML_FAILS("<BWFXML><SCENE>1</SCENE><CIRCLED>maybe</CIRCLED></BWFXML>", SP_EINVAL,
	    "CIRCLED \"maybe\"");
	IXML_FAILS("<BWFXML><SPEED><FILE_SAMPLE_RATE>48k</FILE_SAMPLE_RATE></SPEED></BWFXML>",
	    SP_EINVAL, "SPEED/FILE_SAMPLE_RATE \"48k\"");
	IXML_FAILS("<BWFXML><SPEED><TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_LO>4294967296"
	    "</TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_LO></SPEED></BWFXML>", SP_EINVAL,
	    "not a number up to 4294967295");
	IXML_FAILS("<BWFXML><SPEED><TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_LO>-1"
	    "</TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_LO></SPEED></BWFXML>", SP_EINVAL, "\"-1\"");
	IXML_FAILS("<BWFXML><SCENE>1</SCENE>\0<TAKE>2</TAKE></BWFXML>", SP_EINVAL,
	    "not well-formed");
	/* Entity expansion bombs are refused by libxml2 itself; nothing is expanded. */
	IXML_FAILS("<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\">"
	    "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">"
	    "<!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\"><!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">"
	    "<!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\"><!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\">]>"
	    "<BWFXML><NOTE>&g;</NOTE></BWFXML>", SP_EINVAL, "not well-formed");
}

/* External entities are neither fetched nor expanded. */
Test(bwf, ixml_external_entities_stay_unread)
{
	static const char doc[] = "<?xml version=\"1.0\"?><!DOCTYPE BWFXML "
		"[<!ENTITY x SYSTEM \"file:///etc/passwd\">]><BWFXML><NOTE>a&x;b</NOTE></BWFXML>";
	struct bwf_ixml x;
	struct err err = { 0 };

	cr_assert_eq(bwf_ixml_parse(doc, sizeof(doc) - 1, &x, &err), 0, "%s", err.msg);
	cr_expect_str_eq(x.note, "ab");
	bwf_ixml_release(&x);
}

Test(bwf, ixml_first_value_wins_and_case_matters_for_names)
{
	static const char doc[] = "<BWFXML><SCENE>1</SCENE><SCENE>2</SCENE><scene>3</scene>"
		"<CIRCLED>TRUE</CIRCLED><CIRCLED>FALSE</CIRCLED><TAPE>  </TAPE>"
		"<TRACK_LIST><TRACK><NAME>a</NAME><NAME>b</NAME></TRACK></TRACK_LIST></BWFXML>";
	struct bwf_ixml x;
	struct err err = { 0 };

	cr_assert_eq(bwf_ixml_parse(doc, sizeof(doc) - 1, &x, &err), 0, "%s", err.msg);
	cr_expect_str_eq(x.scene, "1");
	cr_expect_eq(x.circled, 1);
	cr_expect_null(x.tape);
	cr_expect_str_eq(x.tracks[0].name, "a");
	cr_expect(!x.has_timestamp);
	bwf_ixml_release(&x);
	cr_expect_null(x.scene);
}
