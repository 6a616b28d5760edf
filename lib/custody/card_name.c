/* card_name: paths, extensions and the name patterns cameras write (see card_int.h). */
#include "lib/custody/card_int.h"

#include <ctype.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>

/* ---- paths ---------------------------------------------------------------------- */

const char *
card_base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

const char *
card_root_base(const char *root, size_t *len)
{
	size_t end = strlen(root), start;

	while (end > 1 && root[end - 1] == '/')
		end--;
	for (start = end; start > 0 && root[start - 1] != '/'; start--)
		;
	*len = end - start;
	return root + start;
}

size_t
card_dir_len(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? (size_t)(s - path) : 0;
}

size_t
card_stem_len(const char *name)
{
	const char *dot = strrchr(name, '.');

	/* ".hidden" has no extension, "x." has an empty one */
	return (dot && dot != name) ? (size_t)(dot - name) : strlen(name);
}

const char *
card_ext_of(const char *name)
{
	size_t n = card_stem_len(name);

	return name[n] == '.' ? name + n + 1 : name + n;
}

bool
card_ieq(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

bool
card_iends(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && strncasecmp(s + len - n, suffix, n) == 0;
}

bool
card_ext_is(const char *name, const char *ext)
{
	return card_ieq(card_ext_of(card_base(name)), ext);
}

void
card_parent(const char *path, char *out, size_t size)
{
	size_t end = card_dir_len(path), start = end;

	while (start > 0 && path[start - 1] != '/')
		start--;
	if (end - start >= size)
		end = start + size - 1;
	memcpy(out, path + start, end - start);
	out[end - start] = '\0';
}

/* Calls match on each folder component of path until it says yes. */
static bool
card_any_dir(const char *path, const char *name, bool suffix)
{
	size_t end = card_dir_len(path), n = strlen(name);
	const char *p = path;

	while (p < path + end) {
		const char *slash = strchr(p, '/');
		size_t len = (size_t)(slash - p);

		if (suffix ? card_iends(p, len, name) : (len == n && strncasecmp(p, name, n) == 0))
			return true;
		p = slash + 1;
	}
	return false;
}

bool
card_in_dir(const char *path, const char *name)
{
	return card_any_dir(path, name, false);
}

bool
card_in_dir_suffix(const char *path, const char *suffix)
{
	return card_any_dir(path, suffix, true);
}

void
card_upper(char *out, size_t size, const char *s, size_t len)
{
	size_t i;

	if (size == 0)
		return;
	for (i = 0; i < len && i + 1 < size && s[i]; i++)
		out[i] = (char)toupper((unsigned char)s[i]);
	out[i] = '\0';
}

/* ---- extensions ----------------------------------------------------------------- */

static const struct {
	const char *ext;
	enum card_ext class;
} card_exts[] = {
	{ "mov", CARD_EXT_VIDEO }, { "mp4", CARD_EXT_VIDEO }, { "m4v", CARD_EXT_VIDEO },
	{ "mxf", CARD_EXT_VIDEO }, { "mts", CARD_EXT_VIDEO }, { "m2ts", CARD_EXT_VIDEO },
	{ "mkv", CARD_EXT_VIDEO }, { "avi", CARD_EXT_VIDEO }, { "mpg", CARD_EXT_VIDEO },
	{ "mpeg", CARD_EXT_VIDEO }, { "webm", CARD_EXT_VIDEO }, { "lrv", CARD_EXT_VIDEO },
	{ "wav", CARD_EXT_AUDIO }, { "bwf", CARD_EXT_AUDIO }, { "aif", CARD_EXT_AUDIO },
	{ "aiff", CARD_EXT_AUDIO },
	{ "ari", CARD_EXT_RAW }, { "r3d", CARD_EXT_RAW }, { "braw", CARD_EXT_RAW },
	{ "braw2", CARD_EXT_RAW }, { "crm", CARD_EXT_RAW },
	{ "dpx", CARD_EXT_FRAME }, { "exr", CARD_EXT_FRAME }, { "dng", CARD_EXT_FRAME },
};

enum card_ext
card_ext_class(const char *name)
{
	const char *ext = card_ext_of(card_base(name));

	for (size_t i = 0; i < sizeof(card_exts) / sizeof(card_exts[0]); i++)
		if (card_ieq(ext, card_exts[i].ext))
			return card_exts[i].class;
	return CARD_EXT_NONE;
}

/* ---- name patterns -------------------------------------------------------------- */

/* CARDS.md's patterns, matched case-folded against a stem or folder name. */
static const char *const card_patterns[CARD_RE_COUNT] = {
	[CARD_RE_ARRI_CLIP] = "^([A-Z])([0-9]{3})[CD][0-9]{3}_([0-9]{6}|[0-9]{8})_([A-Z0-9]{4})",
	[CARD_RE_ARRI35_CLIP] = "^([A-Z][A-Z_])([0-9]{4})C[0-9]{3}_",
	[CARD_RE_ARRI_REEL] = "^([A-Z])([0-9]{3})([RL][A-Z0-9]{3})$",
	[CARD_RE_RED_RDM] = "^([A-Z])([0-9]{3})_[0-9]{4}[A-Z0-9]{2}\\.RDM$",
	[CARD_RE_RED_RDC] = "^([A-Z])([0-9]{3})_C[0-9]{3}_[0-9]{4}[A-Z0-9]{2}(\\.RDC)?$",
	[CARD_RE_SONY_CINE] = "^([A-Z])([0-9]{3})C[0-9]{3}_[0-9]{6}[A-Z0-9]{2}$",
	[CARD_RE_SONY_SUFFIX] = "^(.+)[MSTR][0-9]{2}$",
	[CARD_RE_BMD_CLIP] = "^([A-Z])([0-9]{3})_[0-9]{8}_[CS][0-9]{3}$",
	[CARD_RE_CANON_CLIP] = "^([A-Z][A-Z_]?)([0-9]{3,4})[CD][0-9]{3}",
	[CARD_RE_CANON_XF] = "^([A-Z]{2}[0-9]{4})([0-9]{2})$",
	[CARD_RE_ROLL] = "^([A-Z])([0-9]{3})([^0-9]|$)",
};

static regex_t card_regex[CARD_RE_COUNT];
static bool card_regex_ok;
static pthread_once_t card_regex_once = PTHREAD_ONCE_INIT;

/* Compiled once for the life of the process (regexec on them is thread-safe). */
static void
card_regex_init(void)
{
	for (size_t i = 0; i < CARD_RE_COUNT; i++)
		if (regcomp(&card_regex[i], card_patterns[i], REG_EXTENDED | REG_ICASE) != 0)
			return; /* a typo above: every match then fails, tests catch it */
	card_regex_ok = true;
}

bool
card_re_match(enum card_re re, const char *s, size_t len, regmatch_t *m, size_t nm)
{
	char buf[CARD_NAME_MAX * 2];
	regmatch_t none[1];

	pthread_once(&card_regex_once, card_regex_init);
	if (!card_regex_ok || (unsigned)re >= CARD_RE_COUNT || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (m == NULL) {
		m = none;
		nm = 0;
	}
	return regexec(&card_regex[re], buf, nm, m, 0) == 0;
}

/* ---- host-OS junk (CARDS.md 9) -------------------------------------------------- */

static const char *const card_skip_dirs[] = {
	".Spotlight-V100", ".Trashes", ".fseventsd", ".TemporaryItems",
	".DocumentRevisions-V100", "System Volume Information", "$RECYCLE.BIN",
	"lost+found", "ascmhl",
};

static const char *const card_skip_files[] = {
	".DS_Store", ".apdisk", "Thumbs.db", "desktop.ini", "Icon\r",
};

static bool
card_name_in(const char *name, size_t len, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(list[i]) == len && strncasecmp(name, list[i], len) == 0)
			return true;
	return false;
}

bool
card_skip_name(const char *name, size_t len, bool dir)
{
	if (dir)
		return card_name_in(name, len, card_skip_dirs,
		    sizeof(card_skip_dirs) / sizeof(card_skip_dirs[0])) ||
		    (len > 7 && strncmp(name, ".Trash-", 7) == 0);
	return card_name_in(name, len, card_skip_files,
	    sizeof(card_skip_files) / sizeof(card_skip_files[0])) ||
	    (len > 2 && name[0] == '.' && name[1] == '_');
}

bool
card_path_is_skipped(const char *path)
{
	const char *p = path, *slash;

	while ((slash = strchr(p, '/')) != NULL) {
		if (card_skip_name(p, (size_t)(slash - p), true))
			return true;
		p = slash + 1;
	}
	return card_skip_name(p, strlen(p), false);
}
