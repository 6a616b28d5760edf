/* Unit tests for lib/card*.c: card trees built once by tests/fixtures/make-cards.sh
 * (real ffmpeg media, BWF stamped by lib/bwf), then file lists given directly for the
 * layouts the fixtures do not cover, and bad input. */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <fcntl.h>
#include <ftw.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/custody/card.h"

extern char **environ;

#define CARDS_ENV "SETPOST_TEST_CARDS"

/* ---- the fixture tree, made once by the runner ---------------------------------- */

/* Criterion re-executes the binary for each test: the runner makes the tree before
 * any test and hands its path down in the environment. */
ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
	static char dir[] = "/tmp/test_card.XXXXXX";
	char out[512], bash[] = "bash", script[] = "tests/fixtures/make-cards.sh";
	char *argv[] = { bash, script, out, NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status = -1;

	(void)set;
	if (mkdtemp(dir) == NULL)
		return;
	snprintf(out, sizeof(out), "%s/cards", dir);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (posix_spawnp(&pid, "bash", &fa, NULL, argv, environ) == 0)
		waitpid(pid, &status, 0);
	posix_spawn_file_actions_destroy(&fa);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		setenv(CARDS_ENV, dir, 1);
	else
		fprintf(stderr, "test_card: make-cards.sh failed (status %d)\n", status);
}

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
	const char *dir = getenv(CARDS_ENV);

	(void)stats;
	if (dir != NULL && strncmp(dir, "/tmp/test_card.", 15) == 0)
		nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static const char *
card_dir(const char *name)
{
	static char p[4][512];
	static int i;
	const char *dir = getenv(CARDS_ENV);

	cr_assert_not_null(dir, "the card fixtures were not made (see make-cards.sh output)");
	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/cards/%s", dir, name);
	return p[i];
}

/* ---- helpers -------------------------------------------------------------------- */

static void
scan(const char *name, const struct card_opts *opts, struct card_info *ci)
{
	struct err err = { 0 };
	int rc = card_scan_dir(card_dir(name), opts, ci, &err);

	cr_assert_eq(rc, 0, "scan %s: %d %s", name, rc, err.msg);
}

static long
clip_of(const struct card_info *ci, const char *name)
{
	for (size_t c = 0; c < ci->nclips; c++)
		if (strcmp(ci->clips[c].name, name) == 0)
			return (long)c;
	cr_assert_fail("no clip named %s", name);
	return -1;
}

static const struct card_file *
file_of(const struct card_info *ci, const char *path)
{
	long i = card_file_find(ci, path);

	cr_assert_geq(i, 0, "no file %s", path);
	return &ci->files[i];
}

/* path has role, and belongs to clip (NULL: to none). */
static void
expect_file(const struct card_info *ci, const char *path, enum card_role role, const char *clip)
{
	const struct card_file *f = file_of(ci, path);

	cr_expect_eq(f->role, role, "%s: role %s, want %s", path, card_role_name(f->role),
	    card_role_name(role));
	if (clip == NULL)
		cr_expect_eq(f->clip, -1, "%s: in clip %ld", path, f->clip);
	else
		cr_expect_eq(f->clip, clip_of(ci, clip), "%s: clip %ld, want %s", path, f->clip, clip);
}

static void
expect_card(const struct card_info *ci, const char *vendor, const char *label,
    const char *camera, const char *reel, size_t nclips)
{
	cr_expect_str_eq(ci->vendor, vendor);
	cr_expect_str_eq(ci->label, label);
	cr_expect_str_eq(ci->camera, camera);
	cr_expect_str_eq(ci->reel, reel);
	cr_expect_eq(ci->nclips, nclips, "%zu clips, want %zu", ci->nclips, nclips);
	cr_expect_str_eq(card_kind_name(ci->kind), vendor);
	cr_expect_neq(ci->why[0], '\0');
}

/* The clip's files, by path, in clip order: essence first. */
static void
expect_members(const struct card_info *ci, const char *clip, size_t nessence,
    const char *const *paths)
{
	const struct card_clip *c = &ci->clips[clip_of(ci, clip)];
	size_t n = 0;

	while (paths[n])
		n++;
	cr_expect_eq(c->nessence, nessence, "%s: %zu essence files", clip, c->nessence);
	cr_assert_eq(c->nfiles, n, "%s: %zu files, want %zu", clip, c->nfiles, n);
	for (size_t k = 0; k < n; k++)
		cr_expect_str_eq(ci->files[c->files[k]].path, paths[k], "%s file %zu", clip, k);
}

/* Identifies a list of paths (sizes 100 each) without reading anything. */
static int
identify(const char *const *paths, const struct card_opts *opts, struct card_info *ci,
    struct err *err)
{
	struct card_entry e[64];
	size_t n = 0;

	for (; paths[n]; n++) {
		cr_assert_lt(n, 64);
		e[n].path = paths[n];
		e[n].size = 100;
	}
	return card_identify(NULL, e, n, opts, ci, err);
}

static void
identify_ok(const char *const *paths, struct card_info *ci)
{
	struct err err = { 0 };

	cr_assert_eq(identify(paths, NULL, ci, &err), 0, "%s", err.msg);
}

/* ---- the fixture cards ---------------------------------------------------------- */

Test(card, arri_prores)
{
	struct card_info ci;

	scan("arri", NULL, &ci);
	expect_card(&ci, "arri", "A001", "A", "A001R1AB", 2);
	cr_expect_str_eq(ci.clips[0].name, "A001C001_250101_R1AB");
	cr_expect_str_eq(ci.clips[1].name, "A001C002_250101_R1AB");
	cr_expect_eq(ci.nfiles, 4, "junk left out: %zu files", ci.nfiles);
	cr_expect_eq(card_file_find(&ci, ".DS_Store"), -1);
	cr_expect_eq(card_file_find(&ci, "A001R1AB/._A001C001_250101_R1AB.mov"), -1);
	expect_file(&ci, "A001R1AB/A001C001_250101_R1AB.mov", CARD_ROLE_MEDIA,
	    "A001C001_250101_R1AB");
	expect_file(&ci, "A001R1AB_FCP.xml", CARD_ROLE_INDEX, NULL);
	expect_file(&ci, "A001R1AB.ale", CARD_ROLE_INDEX, NULL);
	cr_expect(ci.clips[0].decodable);
	cr_expect(file_of(&ci, "A001R1AB/A001C002_250101_R1AB.mov")->decodable);
	cr_expect_null(ci.clips[0].sound);
	cr_expect_eq(ci.clips[0].proxy, -1);
	cr_expect_gt(ci.clips[0].bytes, 1000);
	cr_expect_eq(ci.bytes, ci.files[0].size + ci.files[1].size + ci.files[2].size +
	    ci.files[3].size);
	card_info_release(&ci);
	cr_expect_eq(ci.nfiles, 0);
	card_info_release(&ci); /* twice is harmless */
}

Test(card, arriraw_frames)
{
	static const char *const c5[] = {
		"A002R2CD/A002C005_250102_R2CD/A002C005_250102_R2CD.0086400.ari",
		"A002R2CD/A002C005_250102_R2CD/A002C005_250102_R2CD.0086401.ari",
		"A002R2CD/A002C005_250102_R2CD/A002C005_250102_R2CD.0086402.ari",
		"A002R2CD/A002C005_250102_R2CD/A002C005_250102_R2CD.0086403.ari", NULL,
	};
	struct card_info ci;
	const struct card_clip *c;

	scan("arriraw", NULL, &ci);
	expect_card(&ci, "arri", "A002", "A", "A002R2CD", 2);
	expect_members(&ci, "A002C005_250102_R2CD", 4, c5);
	c = &ci.clips[clip_of(&ci, "A002C005_250102_R2CD")];
	cr_expect_not(c->decodable, "ARRIRAW needs the maker's software");
	cr_expect_null(c->warning);
	for (size_t k = 0; k < c->nfiles; k++) {
		cr_expect_eq(ci.files[c->files[k]].role, CARD_ROLE_SEGMENT);
		cr_expect_eq(ci.files[c->files[k]].segment, 86400 + k);
		cr_expect_not(ci.files[c->files[k]].decodable);
	}
	c = &ci.clips[clip_of(&ci, "A002C006_250102_R2CD")];
	cr_expect_eq(c->nessence, 3);
	cr_assert_not_null(c->warning, "a missing frame is reported");
	cr_expect(strstr(c->warning, "90001") && strstr(c->warning, "90003"), "%s", c->warning);
	card_info_release(&ci);
}

Test(card, sony_xdroot)
{
	static const char *const c2[] = {
		"XDROOT/Clip/A004C002_250103J4.MXF", "XDROOT/Clip/A004C002_250103J4M01.XML",
		"XDROOT/Sub/A004C002_250103J4S03.MP4", "XDROOT/Thmbnl/A004C002_250103J4T01.JPG",
		NULL,
	};
	struct card_info ci;
	const struct card_clip *c;

	scan("sony", NULL, &ci);
	expect_card(&ci, "sony", "A004", "A", "", 2);
	cr_expect(strstr(ci.why, "XDROOT") != NULL, "%s", ci.why);
	expect_members(&ci, "A004C002_250103J4", 1, c2);
	expect_file(&ci, "XDROOT/Clip/A004C003_250103K7M01.XML", CARD_ROLE_SIDECAR,
	    "A004C003_250103K7");
	expect_file(&ci, "XDROOT/Sub/A004C002_250103J4S03.MP4", CARD_ROLE_SIDECAR,
	    "A004C002_250103J4");
	cr_expect(file_of(&ci, "XDROOT/Sub/A004C002_250103J4S03.MP4")->proxy);
	cr_expect_not(file_of(&ci, "XDROOT/Clip/A004C002_250103J4M01.XML")->proxy);
	expect_file(&ci, "XDROOT/MEDIAPRO.XML", CARD_ROLE_INDEX, NULL);
	expect_file(&ci, "XDROOT/DISCMETA.XML", CARD_ROLE_INDEX, NULL);
	expect_file(&ci, "XDROOT/General/Sony/device.bin", CARD_ROLE_OTHER, NULL);
	c = &ci.clips[clip_of(&ci, "A004C002_250103J4")];
	cr_expect(c->decodable);
	cr_expect_eq(c->proxy, card_file_find(&ci, "XDROOT/Sub/A004C002_250103J4S03.MP4"));
	card_info_release(&ci);
}

/* Offloaded from inside XDROOT/: still Sony, the Sub/ proxy still its clip's, and a hint that
 * names the folder to offload from instead. */
Test(card, sony_from_inside_xdroot)
{
	char dir[4200], up[4000];
	struct card_info ci;
	struct err err = { 0 };
	const struct card_clip *c;

	snprintf(up, sizeof(up), "%.3990s", card_dir("sony"));
	snprintf(dir, sizeof(dir), "%s/XDROOT", up);
	cr_assert_eq(card_scan_dir(dir, NULL, &ci, &err), 0, "%s", err.msg);
	cr_expect_str_eq(ci.vendor, "sony", "%s", ci.why);
	c = &ci.clips[clip_of(&ci, "A004C002_250103J4")];
	cr_expect_eq(ci.nclips, 2);
	expect_file(&ci, "Sub/A004C002_250103J4S03.MP4", CARD_ROLE_SIDECAR, "A004C002_250103J4");
	cr_expect_eq(c->proxy, card_file_find(&ci, "Sub/A004C002_250103J4S03.MP4"));
	cr_expect(strstr(ci.hint, "this looks like part of a Sony card") != NULL, "%s", ci.hint);
	cr_expect(strstr(ci.hint, up) != NULL, "names %s: %s", up, ci.hint);
	card_info_release(&ci);
	scan("sony", NULL, &ci);
	cr_expect_str_empty(ci.hint, "from its root: no hint");
	card_info_release(&ci);
}

Test(card, canon_from_inside_contents)
{
	char dir[4200], up[4000];
	struct card_info ci;
	struct err err = { 0 };

	snprintf(up, sizeof(up), "%.3990s", card_dir("canon"));
	snprintf(dir, sizeof(dir), "%s/CONTENTS", up);
	cr_assert_eq(card_scan_dir(dir, NULL, &ci, &err), 0, "%s", err.msg);
	cr_expect_str_eq(ci.vendor, "canon", "%s", ci.why);
	cr_expect_eq(ci.nclips, 3);
	cr_expect(strstr(ci.hint, "part of a Canon card (the contents of its CONTENTS/ folder): "
	    "offload from ") != NULL && strstr(ci.hint, up) != NULL, "%s", ci.hint);
	card_info_release(&ci);
}

Test(card, sony_m4root_label_from_root_folder)
{
	struct card_info ci;

	scan("B003", NULL, &ci);
	expect_card(&ci, "sony", "B003", "B", "", 1);
	cr_expect(strstr(ci.why, "M4ROOT") != NULL, "%s", ci.why);
	expect_file(&ci, "PRIVATE/M4ROOT/CLIP/C0001.MP4", CARD_ROLE_MEDIA, "C0001");
	expect_file(&ci, "PRIVATE/M4ROOT/CLIP/C0001M01.XML", CARD_ROLE_SIDECAR, "C0001");
	expect_file(&ci, "PRIVATE/M4ROOT/THMBNL/C0001T01.JPG", CARD_ROLE_SIDECAR, "C0001");
	expect_file(&ci, "PRIVATE/M4ROOT/MEDIAPRO.XML", CARD_ROLE_INDEX, NULL);
	expect_file(&ci, "PRIVATE/M4ROOT/STATUS.BIN", CARD_ROLE_INDEX, NULL);
	expect_file(&ci, "AVF_INFO/AVIN0001.BNP", CARD_ROLE_OTHER, NULL);
	card_info_release(&ci);

	scan("B003//", NULL, &ci); /* the root's name, trailing slashes or not */
	cr_expect_str_eq(ci.label, "B003");
	card_info_release(&ci);
}

Test(card, red_spanned)
{
	static const char *const c1[] = {
		"B002_0101AB.RDM/B002_C001_0101XY.RDC/B002_C001_0101XY_001.R3D",
		"B002_0101AB.RDM/B002_C001_0101XY.RDC/B002_C001_0101XY_002.R3D",
		"B002_0101AB.RDM/B002_C001_0101XY.RDC/B002_C001_0101XY.RMD",
		"B002_0101AB.RDM/B002_C001_0101XY.RDC/B002_C001_0101XY_001.mov", NULL,
	};
	struct card_info ci;
	const struct card_clip *c;
	const struct card_file *f;

	scan("red", NULL, &ci);
	expect_card(&ci, "red", "B002", "B", "B002_0101AB", 3);
	expect_members(&ci, "B002_C001_0101XY", 2, c1);
	c = &ci.clips[clip_of(&ci, "B002_C001_0101XY")];
	f = &ci.files[c->files[0]];
	cr_expect_eq(f->role, CARD_ROLE_SEGMENT);
	cr_expect_eq(f->segment, 1);
	cr_expect_not(f->decodable);
	cr_expect_eq(ci.files[c->files[1]].segment, 2);
	cr_expect_eq(ci.files[c->files[2]].role, CARD_ROLE_SIDECAR);
	cr_expect(ci.files[c->files[3]].proxy);
	cr_expect_not(c->decodable);
	cr_expect_eq(c->proxy, (long)c->files[3]);
	cr_expect_null(c->warning);
	/* one piece only: plain media */
	expect_file(&ci, "B002_0101AB.RDM/B002_C002_0101QZ.RDC/B002_C002_0101QZ_001.R3D",
	    CARD_ROLE_MEDIA, "B002_C002_0101QZ");
	c = &ci.clips[clip_of(&ci, "B002_C003_0101K2")];
	cr_assert_not_null(c->warning, "a missing _002 is reported");
	cr_expect(strstr(c->warning, "segment") != NULL, "%s", c->warning);
	expect_file(&ci, "digital_magazine.bin", CARD_ROLE_INDEX, NULL);
	expect_file(&ci, "digital_magdynamic.bin", CARD_ROLE_INDEX, NULL);
	card_info_release(&ci);
}

Test(card, blackmagic)
{
	static const char *const c1[] = {
		"A003_01011230_C001.braw", "A003_01011230_C001.sidecar",
		"Proxy/A003_01011230_C001.mp4", NULL,
	};
	struct card_info ci;
	const struct card_clip *c;

	scan("bmd", NULL, &ci);
	expect_card(&ci, "blackmagic", "A003", "A", "", 3);
	expect_members(&ci, "A003_01011230_C001", 1, c1);
	expect_file(&ci, "A003_01011230_C001.braw", CARD_ROLE_MEDIA, "A003_01011230_C001");
	expect_file(&ci, "A003_01011230_C001.sidecar", CARD_ROLE_SIDECAR, "A003_01011230_C001");
	c = &ci.clips[clip_of(&ci, "A003_01011230_C001")];
	cr_expect_not(c->decodable);
	cr_expect_eq(c->proxy, card_file_find(&ci, "Proxy/A003_01011230_C001.mp4"));
	expect_file(&ci, "A003_01011231_C002.braw", CARD_ROLE_SEGMENT, "A003_01011231_C002");
	expect_file(&ci, "A003_01011231_C002.braw2", CARD_ROLE_SEGMENT, "A003_01011231_C002");
	expect_file(&ci, "A003_01011232_C003.mov", CARD_ROLE_MEDIA, "A003_01011232_C003");
	cr_expect(ci.clips[clip_of(&ci, "A003_01011232_C003")].decodable);
	card_info_release(&ci);
}

Test(card, canon)
{
	struct card_info ci;

	scan("canon", NULL, &ci);
	expect_card(&ci, "canon", "C001", "C", "", 3);
	expect_file(&ci, "CONTENTS/CLIPS001/C001C001_250101AB_CANON.MXF", CARD_ROLE_MEDIA,
	    "C001C001_250101AB_CANON");
	expect_file(&ci, "CONTENTS/CLIPS001/C001C001_250101AB_CANON.XML", CARD_ROLE_SIDECAR,
	    "C001C001_250101AB_CANON");
	expect_file(&ci, "CONTENTS/CLIPS001/C001C003_250101EF_CANON.XML", CARD_ROLE_SIDECAR,
	    "C001C003_250101EF_CANON");
	expect_file(&ci, "CONTENTS/INDEX.MIF", CARD_ROLE_OTHER, NULL);
	cr_expect(ci.clips[clip_of(&ci, "C001C002_250101CD_CANON")].decodable);
	cr_expect_not(ci.clips[clip_of(&ci, "C001C003_250101EF_CANON")].decodable, "CRM is raw");
	card_info_release(&ci);
}

Test(card, generic_spaces_accents_and_junk)
{
	struct card_opts keep = { .flags = CARD_KEEP_SKIP };
	struct card_info ci;

	scan("D005_plain", NULL, &ci);
	expect_card(&ci, "generic", "D005", "D", "", 2);
	cr_expect_eq(ci.nfiles, 4, "%zu files", ci.nfiles);
	expect_file(&ci, "DCIM/100MEDIA/DJI_0001.MP4", CARD_ROLE_MEDIA, "DJI_0001");
	expect_file(&ci, "DCIM/100MEDIA/DJI_0001.SRT", CARD_ROLE_SIDECAR, "DJI_0001");
	expect_file(&ci, "Plans du jour/Plan s\xC3\xA9quence n\xC2\xB0" "1.mov", CARD_ROLE_MEDIA,
	    "Plan s\xC3\xA9quence n\xC2\xB0" "1");
	expect_file(&ci, "Plans du jour/notes \xC3\xA9t\xC3\xA9.txt", CARD_ROLE_OTHER, NULL);
	card_info_release(&ci);

	/* the caller asked for the junk too: listed, marked skip, in no clip */
	scan("D005_plain", &keep, &ci);
	cr_expect_eq(ci.nfiles, 7, "%zu files", ci.nfiles);
	cr_expect_eq(ci.nclips, 2);
	expect_file(&ci, ".DS_Store", CARD_ROLE_SKIP, NULL);
	expect_file(&ci, ".Spotlight-V100/Store-V2/store.db", CARD_ROLE_SKIP, NULL);
	expect_file(&ci, "DCIM/100MEDIA/._DJI_0001.MP4", CARD_ROLE_SKIP, NULL);
	card_info_release(&ci);
}

Test(card, sound_roll)
{
	static const char *const fam[] = {
		"SR001/S02T01_1.WAV", "SR001/S02T01_2.WAV", NULL,
	};
	struct card_info ci;
	const struct card_sound *s;
	const struct card_file *f;

	scan("sound", NULL, &ci);
	expect_card(&ci, "sound", "SR001", "", "SR001", 3);

	s = ci.clips[clip_of(&ci, "S01T01")].sound;
	cr_assert_not_null(s);
	cr_expect_eq(s->bwf.sample_rate, 48000);
	cr_expect_eq(s->bwf.channels, 2);
	cr_expect(s->has_start && s->has_rate);
	cr_expect_eq(s->time_reference, 2437859424ULL);
	cr_expect_str_eq(s->start_tc, "14:05:38:00");
	cr_expect_eq(s->rate.num, 24000);
	cr_expect_eq(s->rate.den, 1001);
	cr_expect_str_eq(s->bwf.ixml.scene, "1");
	cr_expect_str_eq(s->bwf.ixml.take, "1");
	cr_expect_str_eq(s->bwf.ixml.tape, "SR001");
	cr_expect_str_eq(s->bwf.ixml.note, "boom only");
	cr_expect_eq(s->bwf.ixml.circled, 0);

	s = ci.clips[clip_of(&ci, "S01T02")].sound;
	cr_assert_not_null(s);
	cr_expect_eq(s->bwf.ixml.circled, 1, "the circled take");
	cr_expect_str_eq(s->bwf.ixml.take, "2");
	cr_expect_str_eq(s->bwf.ixml.note, "best take, plane at end");
	cr_expect_str_eq(s->start_tc, "10:00:00:00");
	cr_expect_eq(s->rate.num, 25);

	/* split mono: one clip, both tracks media, drop-frame start */
	expect_members(&ci, "S02T01", 2, fam);
	s = ci.clips[clip_of(&ci, "S02T01")].sound;
	cr_assert_not_null(s);
	cr_expect_eq(s->bwf.channels, 1);
	cr_expect(s->rate.drop);
	cr_expect_str_eq(s->start_tc, "01:00:00;00");
	cr_expect_str_eq(s->bwf.ixml.scene, "2");
	f = file_of(&ci, "SR001/S02T01_2.WAV");
	cr_expect_eq(f->role, CARD_ROLE_MEDIA);
	cr_expect(f->decodable);
	cr_expect_null(f->warning);
	cr_expect(ci.clips[clip_of(&ci, "S02T01")].decodable);
	expect_file(&ci, "SR001/SR001_report.csv", CARD_ROLE_INDEX, NULL);
	card_info_release(&ci);
}

/* Copies a fixture file to dir/name. */
static void
copy_file(const char *from, const char *dir, const char *name)
{
	char to[1024], buf[65536];
	FILE *in = fopen(from, "rb"), *out;
	size_t n;

	snprintf(to, sizeof(to), "%s/%s", dir, name);
	cr_assert_not_null(in, "%s", from);
	out = fopen(to, "wb");
	cr_assert_not_null(out, "%s", to);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		cr_assert_eq(fwrite(buf, 1, n, out), n);
	fclose(in);
	fclose(out);
}

Test(card, sound_family_that_disagrees_and_a_broken_wav)
{
	char dir[512], path[1024];
	struct card_opts no_read = { .flags = CARD_NO_READ };
	FILE *f;
	struct card_info ci;
	struct err err = { 0 };

	snprintf(dir, sizeof(dir), "%s/mixed.XXXXXX", card_dir(""));
	cr_assert_not_null(mkdtemp(dir));
	/* two "tracks" of one take whose starts differ: not a family */
	copy_file(card_dir("sound/SR001/S01T01.WAV"), dir, "T9_1.WAV");
	copy_file(card_dir("sound/SR001/S01T02.WAV"), dir, "T9_2.WAV");
	snprintf(path, sizeof(path), "%s/broken.wav", dir);
	f = fopen(path, "wb");
	cr_assert_not_null(f);
	fputs("RIFF....not a wave at all", f);
	fclose(f);
	cr_assert_eq(card_scan_dir(dir, NULL, &ci, &err), 0, "%s", err.msg);
	expect_card(&ci, "sound", "SR001", "", "SR001", 3);
	cr_expect_eq(clip_of(&ci, "T9_1"), file_of(&ci, "T9_1.WAV")->clip);
	cr_expect_eq(clip_of(&ci, "T9_2"), file_of(&ci, "T9_2.WAV")->clip);
	cr_expect_not_null(file_of(&ci, "T9_1.WAV")->warning);
	expect_file(&ci, "broken.wav", CARD_ROLE_MEDIA, "broken");
	cr_expect_null(file_of(&ci, "broken.wav")->sound);
	cr_assert_not_null(file_of(&ci, "broken.wav")->warning);
	cr_expect(strstr(file_of(&ci, "broken.wav")->warning, "WAV") != NULL, "%s",
	    file_of(&ci, "broken.wav")->warning);
	cr_expect_null(ci.clips[clip_of(&ci, "broken")].sound);
	card_info_release(&ci);

	/* CARD_NO_READ: nothing opened, the family is grouped by name alone */
	cr_assert_eq(card_scan_dir(dir, &no_read, &ci, &err), 0, "%s", err.msg);
	cr_expect_eq(ci.nclips, 2);
	cr_expect_eq(clip_of(&ci, "T9"), file_of(&ci, "T9_2.WAV")->clip);
	cr_expect_null(file_of(&ci, "T9_1.WAV")->sound);
	cr_expect_str_eq(ci.label, "");
	card_info_release(&ci);
}

Test(card, unknown_tree_and_empty_folder)
{
	struct card_info ci;

	scan("unknown", NULL, &ci);
	expect_card(&ci, "generic", "", "", "", 0);
	cr_expect_eq(ci.nfiles, 2);
	expect_file(&ci, "data.bin", CARD_ROLE_OTHER, NULL);
	expect_file(&ci, "docs/readme.txt", CARD_ROLE_OTHER, NULL);
	card_info_release(&ci);

	scan("empty", NULL, &ci);
	expect_card(&ci, "generic", "", "", "", 0);
	cr_expect_eq(ci.nfiles, 0);
	cr_expect_null(ci.files);
	card_info_release(&ci);
}

Test(card, missing_folder)
{
	struct card_info ci;
	struct err err = { 0 };

	cr_expect_eq(card_scan_dir(card_dir("no-such-card"), NULL, &ci, &err), SP_ENOTFOUND);
	cr_expect(strstr(err.msg, "no-such-card") != NULL, "%s", err.msg);
	cr_expect_eq(ci.nfiles, 0);
	card_info_release(&ci);
}

Test(card, caller_overrides)
{
	struct card_opts opts = { .label = "Z009", .camera = "Z" };
	struct card_opts bad = { .label = "a label far too long for the card label field, "
	    "which holds sixty-three bytes" };
	struct card_opts forced = { .force_kind = true, .kind = CARD_GENERIC };
	struct card_info ci;
	struct err err = { 0 };

	scan("arri", &opts, &ci);
	cr_expect_str_eq(ci.label, "Z009");
	cr_expect_str_eq(ci.camera, "Z");
	cr_expect_str_eq(ci.reel, "A001R1AB");
	card_info_release(&ci);

	cr_expect_eq(card_scan_dir(card_dir("arri"), &bad, &ci, &err), SP_EINVAL);
	cr_expect_eq(ci.nclips, 0);

	scan("red", &forced, &ci);
	cr_expect_str_eq(ci.vendor, "generic");
	cr_expect_str_eq(ci.why, "chosen by the caller");
	/* generic: one clip per stem and folder (the _001 .mov joins the _001 .R3D) */
	cr_expect_eq(ci.nclips, 5, "%zu clips", ci.nclips);
	card_info_release(&ci);
}

/* ---- file lists, no media ------------------------------------------------------- */

Test(card, list_alexa35_and_case_folded_extensions)
{
	static const char *const paths[] = {
		"A_0001R2XY/A_0001C001_221125_143012_a1ABC.MOV",
		"A_0001R2XY/A_0001C002_221125_143512_a1ABC.Mov",
		"A_0001R2XY/a_0001c003_221125_150000_a1abc.mxf",
		NULL,
	};
	struct card_info ci;

	identify_ok(paths, &ci);
	expect_card(&ci, "arri", "A_0001", "A", "", 3);
	for (size_t i = 0; i < ci.nfiles; i++) {
		cr_expect_eq(ci.files[i].role, CARD_ROLE_MEDIA, "%s", ci.files[i].path);
		cr_expect(ci.files[i].decodable, "%s", ci.files[i].path);
	}
	cr_expect_eq(ci.bytes, 300);
	cr_expect_eq(ci.clips[0].bytes, 100);
	card_info_release(&ci);
}

Test(card, list_arriraw_without_clip_folder_and_mixed_case)
{
	static const char *const paths[] = {
		"ARRIRAW/A009R1ZZ/A009C001_250101_R1ZZ/A009C001_250101_R1ZZ.0000000.ARI",
		"ARRIRAW/A009R1ZZ/A009C001_250101_R1ZZ/A009C001_250101_R1ZZ.0000001.ari",
		"ARRIRAW/A009R1ZZ/A009C001_250101_R1ZZ/A009C001_250101_R1ZZ.xml",
		"loose/shot.0000010.ari",
		"loose/shot.0000011.ari",
		NULL,
	};
	struct card_info ci;

	identify_ok(paths, &ci);
	expect_card(&ci, "arri", "A009", "A", "A009R1ZZ", 2);
	expect_file(&ci, paths[0], CARD_ROLE_SEGMENT, "A009C001_250101_R1ZZ");
	cr_expect_eq(file_of(&ci, paths[0])->segment, 0);
	cr_expect_eq(file_of(&ci, paths[1])->segment, 1);
	expect_file(&ci, paths[2], CARD_ROLE_SIDECAR, "A009C001_250101_R1ZZ");
	expect_file(&ci, paths[3], CARD_ROLE_SEGMENT, "shot");
	cr_expect_eq(ci.clips[clip_of(&ci, "shot")].nessence, 2);
	card_info_release(&ci);
}

Test(card, list_canon_old_xf_and_c80_counters)
{
	static const char *const xf[] = {
		"CONTENTS/CLIPS001/AA0001/AA000101.MXF",
		"CONTENTS/CLIPS001/AA0001/AA000102.MXF",
		"CONTENTS/CLIPS001/AA0001/AA0001.CIF",
		"CONTENTS/CLIPS001/AA0001/AA0001.XML",
		"CONTENTS/CLIPS001/AA0002/AA000201.MXF",
		NULL,
	};
	static const char *const c80[] = {
		"CONTENTS/CLIPS001/A_0002C001H250101_101010AB_CANON_001.MXF",
		"CONTENTS/CLIPS001/A_0002C001H250101_101010AB_CANON_002.MXF",
		"CONTENTS/CLIPS001/A_0002C001H250101_101010AB_CANON_001.XML",
		"CONTENTS/CLIPS001/A_0002C001H250101_101010AB_CANON_Proxy.MP4",
		"PRIVATE/AUDIO/A_0002C001H250101_101010AB_CANON.WAV",
		NULL,
	};
	struct card_info ci;

	identify_ok(xf, &ci);
	expect_card(&ci, "canon", "", "", "", 2);
	expect_file(&ci, xf[0], CARD_ROLE_SEGMENT, "AA0001");
	expect_file(&ci, xf[1], CARD_ROLE_SEGMENT, "AA0001");
	cr_expect_eq(file_of(&ci, xf[1])->segment, 2);
	expect_file(&ci, xf[2], CARD_ROLE_SIDECAR, "AA0001");
	expect_file(&ci, xf[3], CARD_ROLE_SIDECAR, "AA0001");
	cr_expect_eq(ci.clips[clip_of(&ci, "AA0002")].nessence, 1);
	expect_file(&ci, xf[4], CARD_ROLE_MEDIA, "AA0002");
	cr_expect_eq(file_of(&ci, xf[4])->segment, 0);
	card_info_release(&ci);

	identify_ok(c80, &ci);
	expect_card(&ci, "canon", "A_0002", "A", "", 1);
	expect_members(&ci, "A_0002C001H250101_101010AB_CANON", 2, c80);
	cr_expect(file_of(&ci, c80[3])->proxy);
	cr_expect_eq(ci.clips[0].proxy, card_file_find(&ci, c80[3]));
	cr_expect_not(file_of(&ci, c80[4])->proxy);
	card_info_release(&ci);
}

Test(card, list_sound_families_by_name)
{
	static const char *const paths[] = {
		"DAY01/12A-03.WAV",
		"DAY01/S01T01_1.WAV", "DAY01/S01T01_2.WAV", "DAY01/S01T01_A.WAV",
		"DAY01/Scene001-T001/Scene001-T001_Tr1.wav",
		"DAY01/Scene001-T001/Scene001-T001_Tr1_2.wav",
		"DAY01/Scene001-T001/Scene001-T001_TrLR.wav",
		"DAY02/S01T01_1.WAV", "DAY02/S01T01_2.WAV",
		"DAY02/lonely_1.WAV",
		"DAY02/report.pdf",
		"FALSE TAKES/S01T09.WAV",
		NULL,
	};
	struct card_info ci;

	identify_ok(paths, &ci);
	expect_card(&ci, "sound", "", "", "", 6);
	cr_expect_eq(ci.clips[file_of(&ci, "DAY01/S01T01_A.WAV")->clip].nessence, 3);
	cr_expect_str_eq(ci.clips[file_of(&ci, "DAY01/S01T01_A.WAV")->clip].name, "S01T01");
	cr_expect_eq(file_of(&ci, "DAY01/Scene001-T001/Scene001-T001_TrLR.wav")->clip,
	    file_of(&ci, "DAY01/Scene001-T001/Scene001-T001_Tr1_2.wav")->clip);
	cr_expect_str_eq(ci.clips[file_of(&ci, "DAY01/Scene001-T001/Scene001-T001_Tr1.wav")->clip]
	    .name, "Scene001-T001");
	/* same take name on another day is another clip */
	cr_expect_neq(file_of(&ci, "DAY02/S01T01_1.WAV")->clip,
	    file_of(&ci, "DAY01/S01T01_1.WAV")->clip);
	cr_expect_str_eq(ci.clips[file_of(&ci, "DAY02/lonely_1.WAV")->clip].name, "lonely_1");
	cr_expect_str_eq(ci.clips[file_of(&ci, "DAY01/12A-03.WAV")->clip].name, "12A-03");
	expect_file(&ci, "DAY02/report.pdf", CARD_ROLE_INDEX, NULL);
	expect_file(&ci, "FALSE TAKES/S01T09.WAV", CARD_ROLE_MEDIA, "S01T09");
	cr_expect_not_null(file_of(&ci, "FALSE TAKES/S01T09.WAV")->warning, "flagged, still copied");
	cr_expect_null(file_of(&ci, "DAY02/lonely_1.WAV")->warning);
	card_info_release(&ci);
}

Test(card, list_generic_proxy_folder_and_lrv)
{
	static const char *const paths[] = {
		"DCIM/100MEDIA/DJI_0002.MP4", "DCIM/100MEDIA/DJI_0002.LRV",
		"DCIM/100MEDIA/DJI_0002.THM", "footage/take1.mov", "footage/Proxy/take1.mov",
		"footage/Proxy/orphan.mov", "System Volume Information/IndexerVolumeGuid",
		NULL,
	};
	struct card_info ci;

	identify_ok(paths, &ci);
	expect_card(&ci, "generic", "", "", "", 3);
	expect_file(&ci, "DCIM/100MEDIA/DJI_0002.LRV", CARD_ROLE_SIDECAR, "DJI_0002");
	cr_expect(file_of(&ci, "DCIM/100MEDIA/DJI_0002.LRV")->proxy);
	cr_expect_not(file_of(&ci, "DCIM/100MEDIA/DJI_0002.THM")->proxy);
	cr_expect_eq(file_of(&ci, "footage/Proxy/take1.mov")->clip, clip_of(&ci, "take1"));
	cr_expect(file_of(&ci, "footage/Proxy/take1.mov")->proxy);
	/* a proxy nothing claims is still shown, as a clip of its own */
	expect_file(&ci, "footage/Proxy/orphan.mov", CARD_ROLE_MEDIA, "orphan");
	expect_file(&ci, "System Volume Information/IndexerVolumeGuid", CARD_ROLE_SKIP, NULL);
	card_info_release(&ci);
}

Test(card, list_dpx_exr_and_cinemadng_sequences)
{
	static const char *const paths[] = {
		"SCANS/A001C003/A001C003.0086400.dpx", "SCANS/A001C003/A001C003.0086401.dpx",
		"SCANS/A001C003/A001C003.0086403.dpx",
		"SCANS/plate/plate_0001.exr", "SCANS/plate/plate_0002.exr",
		"SCANS/R001/0000001.dpx", "SCANS/R001/0000002.dpx",
		"BMC01_1_2012-08-08_1631_C0002/BMC01_1_2012-08-08_1631_C0002_000000.dng",
		"BMC01_1_2012-08-08_1631_C0002/BMC01_1_2012-08-08_1631_C0002_000001.dng",
		"STILLS/DJI_0001.DNG", "STILLS/DJI_0002.DNG",
		NULL,
	};
	struct card_info ci;
	const struct card_clip *dpx;

	identify_ok(paths, &ci);
	expect_card(&ci, "generic", "", "", "", 6);
	expect_file(&ci, paths[0], CARD_ROLE_SEGMENT, "A001C003");
	expect_file(&ci, paths[2], CARD_ROLE_SEGMENT, "A001C003");
	dpx = &ci.clips[clip_of(&ci, "A001C003")];
	cr_expect_eq(dpx->nessence, 3);
	cr_expect(dpx->decodable, "ffmpeg reads DPX");
	cr_expect_not_null(dpx->warning, "frame 86402 is missing");
	if (dpx->warning)
		cr_expect_str_eq(dpx->warning, "frames jump from 86401 to 86403");
	cr_expect_eq(file_of(&ci, paths[1])->segment, 86401);
	expect_file(&ci, paths[3], CARD_ROLE_SEGMENT, "plate");
	cr_expect_eq(ci.clips[clip_of(&ci, "plate")].nessence, 2);
	cr_expect_null(ci.clips[clip_of(&ci, "plate")].warning);
	expect_file(&ci, paths[5], CARD_ROLE_SEGMENT, "R001");   /* only numbers: the folder */
	expect_file(&ci, paths[7], CARD_ROLE_SEGMENT, "BMC01_1_2012-08-08_1631_C0002");
	cr_expect_not(ci.clips[clip_of(&ci, "BMC01_1_2012-08-08_1631_C0002")].decodable,
	    "CinemaDNG needs a raw developer");
	/* four digits of a stills camera's counter: each still its own clip */
	expect_file(&ci, paths[9], CARD_ROLE_MEDIA, "DJI_0001");
	expect_file(&ci, paths[10], CARD_ROLE_MEDIA, "DJI_0002");
	card_info_release(&ci);
}

Test(card, list_bad_input)
{
	static const char *const abs_path[] = { "/etc/passwd", NULL };
	static const char *const dotdot[] = { "a/../b.mov", NULL };
	static const char *const empty_part[] = { "a//b.mov", NULL };
	static const char *const trailing[] = { "a/", NULL };
	static const char *const dup[] = { "x.mov", "x.mov", NULL };
	static const char *const *const bad[] = { abs_path, dotdot, empty_part, trailing, dup };
	struct card_info ci;
	struct err err = { 0 };

	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		cr_expect_eq(identify(bad[k], NULL, &ci, &err), SP_EINVAL, "case %zu", k);
		cr_expect_eq(ci.nfiles, 0);
		cr_expect_null(ci.files);
	}
	cr_expect_eq(card_identify(NULL, NULL, 3, NULL, &ci, &err), SP_EINVAL);
	cr_expect_eq(card_identify(NULL, NULL, 0, NULL, &ci, &err), 0);
	cr_expect_str_eq(ci.vendor, "generic");
	card_info_release(&ci);
}

Test(card, names_and_skip_list)
{
	cr_expect(card_path_is_skipped(".DS_Store"));
	cr_expect(card_path_is_skipped("A001/._A001C001.mov"));
	cr_expect(card_path_is_skipped(".Trashes/501/x"));
	cr_expect(card_path_is_skipped(".fseventsd/fseventsd-uuid"));
	cr_expect(card_path_is_skipped("ascmhl/0001_A001_2025-01-01_120000.mhl"));
	cr_expect(card_path_is_skipped(".Trash-1000/files/x"));
	cr_expect(card_path_is_skipped("Thumbs.db"));
	cr_expect_not(card_path_is_skipped("XDROOT/MEDIAPRO.XML"));
	cr_expect_not(card_path_is_skipped("notes/ascmhl.txt"));
	cr_expect_not(card_path_is_skipped(".hidden_but_kept"));
	cr_expect_str_eq(card_role_name(CARD_ROLE_SEGMENT), "segment");
	cr_expect_str_eq(card_role_name(CARD_ROLE_SKIP), "skip");
	cr_expect_str_eq(card_kind_name(CARD_BLACKMAGIC), "blackmagic");
	cr_expect_str_eq(card_kind_name((enum card_kind)99), "generic");
}
