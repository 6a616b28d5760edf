/* dashboard: the two answers the dashboard cannot build cheaply from the other routes: a day's
 * cards with their safe-to-format verdict and per-stage clip counts in one request (instead of
 * one request per card and per clip), and the folders this server's host has mounted, to pick
 * an offload's source and destinations from. */
#include "http.h"
#include "lib/clipstate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

/* A clip counts at a stage when all its files have a verified copy (copied), the production's
 * required verified copies on distinct volumes (verified), a finished rendition (proxied), a
 * delivery whose bytes all reached the post house (uploaded) or one the post house confirmed
 * with a receipt (delivered). */
static const struct db_stmt stmt_day_cards = { "dashboard_day_cards",
	"SELECT json_build_object('day', (SELECT json_build_object('id', d.id, 'shoot_date',"
	"  d.shoot_date, 'label', d.label, 'wrapped_at', d.wrapped_at, 'production', p.name,"
	"  'required_copies', p.required_copies) FROM days d JOIN productions p"
	"  ON p.id = d.production_id WHERE d.id = $1),"
	" 'cards', (SELECT coalesce(json_agg(x ORDER BY x.label, x.id), '[]') FROM ("
	" SELECT k.id, k.label, k.camera, k.kind, k.vendor, k.reel,"
	"  (SELECT count(*) FROM files f WHERE f.card_id = k.id) AS files,"
	"  (SELECT coalesce(sum(size), 0) FROM files f WHERE f.card_id = k.id) AS bytes,"
	"  s.clips, json_build_object('copied', s.copied, 'verified', s.verified, 'proxied',"
	"  s.proxied, 'uploaded', s.uploaded, 'delivered', s.delivered) AS stages,"
	"  s.failed, s.qc_hold"
	" FROM cards k JOIN days d ON d.id = k.day_id JOIN productions p ON p.id = d.production_id,"
	" LATERAL (SELECT count(*) AS clips,"
	"  count(*) FILTER (WHERE m.least_verified >= 1) AS copied,"
	"  count(*) FILTER (WHERE m.least_verified >= p.required_copies) AS verified,"
	"  count(*) FILTER (WHERE EXISTS (SELECT 1 FROM renditions r WHERE r.clip_id = c.id"
	"   AND r.state = 'done')) AS proxied,"
	"  count(*) FILTER (WHERE EXISTS (SELECT 1 FROM deliveries dl LEFT JOIN renditions r"
	"   ON r.id = dl.rendition_id LEFT JOIN files f ON f.id = dl.file_id"
	"   WHERE (r.clip_id = c.id OR f.clip_id = c.id) AND dl.state IN ('uploaded', 'delivered')))"
	"   AS uploaded,"
	"  count(*) FILTER (WHERE EXISTS (SELECT 1 FROM deliveries dl LEFT JOIN renditions r"
	"   ON r.id = dl.rendition_id LEFT JOIN files f ON f.id = dl.file_id"
	"   WHERE (r.clip_id = c.id OR f.clip_id = c.id) AND dl.state = 'delivered')) AS delivered,"
	"  count(*) FILTER (WHERE c.state IN ('copy_failed', 'transcode_failed', 'upload_failed'))"
	"   AS failed,"
	"  count(*) FILTER (WHERE c.state = 'qc_hold') AS qc_hold"
	"  FROM clips c, LATERAL (SELECT coalesce(min(n), 0) AS least_verified FROM ("
	"   SELECT count(DISTINCT cp.volume_id) AS n FROM files f LEFT JOIN copies cp"
	"   ON cp.file_id = f.id AND cp.state = 'verified' WHERE f.clip_id = c.id GROUP BY f.id) v) m"
	"  WHERE c.card_id = k.id) s"
	" WHERE k.day_id = $1) x))::text", 1 };

struct day_cards_arg {
	long long id;
	json_t *out;
};

static int
day_cards_tx(struct db_conn *c, void *arg, struct err *err)
{
	struct day_cards_arg *a = arg;
	char sid[24];
	const char *p[1] = { sid };
	json_t *cards, *card, *why;
	PGresult *r;
	size_t i;
	bool safe;
	int rc;

	snprintf(sid, sizeof(sid), "%lld", a->id);
	if ((rc = db_query(c, &stmt_day_cards, p, &r, err)) < 0)
		return rc;
	a->out = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
	PQclear(r);
	if (a->out == NULL || json_is_null(json_object_get(a->out, "day")))
		return err_set(err, SP_ENOTFOUND, "day %lld not found", a->id);
	cards = json_object_get(a->out, "cards");
	json_array_foreach(cards, i, card) {
		long long id = json_integer_value(json_object_get(card, "id"));
		if ((rc = clipstate_card_safe(c, id, &safe, &why, err)) < 0)
			return rc;
		json_object_set_new(card, "safe_to_format", json_boolean(safe));
		json_object_set_new(card, "why_not", why);
	}
	return 0;
}

enum MHD_Result
day_cards_get(struct request *req)
{
	struct day_cards_arg a = { 0, NULL };
	struct err err;
	enum MHD_Result r;

	if (!request_param_id(req, 0, &a.id))
		return MHD_YES;
	/* One snapshot: the counts and the verdicts agree with each other. */
	if (db_tx(req->srv->db, day_cards_tx, &a, &err) < 0) {
		json_decref(a.out);
		return reply_err(req, &err);
	}
	r = reply_json(req, 200, a.out);
	json_decref(a.out);
	return r;
}

/* --- mounts -------------------------------------------------------------------------------- */

/* Kernel and runtime file systems no card or copy lives on. */
static bool
mounts_pseudo(const char *fstype, const char *path)
{
	static const char *const types[] = { "proc", "sysfs", "cgroup", "cgroup2", "devpts",
		"mqueue", "debugfs", "tracefs", "securityfs", "pstore", "bpf", "configfs", "fusectl",
		"hugetlbfs", "autofs", "binfmt_misc", "nsfs", "devtmpfs", "efivarfs", "ramfs",
		"rpc_pipefs", "selinuxfs", "squashfs", NULL };
	static const char *const under[] = { "/proc", "/sys", "/dev", "/run", "/boot", "/etc",
		NULL };

	for (int i = 0; types[i]; i++)
		if (strcmp(fstype, types[i]) == 0)
			return true;
	if (strncmp(path, "/run/media/", 11) == 0)
		return false;
	for (int i = 0; under[i]; i++) {
		size_t n = strlen(under[i]);
		if (strncmp(path, under[i], n) == 0 && (path[n] == '\0' || path[n] == '/'))
			return true;
	}
	return false;
}

/* mountinfo writes space, tab, newline and backslash as \ooo. */
static void
mounts_unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

/* One mountinfo line: "id parent maj:min root mountpoint options [optional...] - type source
 * superoptions". Returns false for a line it cannot read. */
static bool
mounts_parse(char *line, char **path, char **opts, char **fstype, char **source)
{
	char *save = NULL, *tok;
	int field = 0;
	bool dash = false;

	*path = *opts = *fstype = *source = NULL;
	for (tok = strtok_r(line, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save), field++) {
		if (field == 4)
			*path = tok;
		else if (field == 5)
			*opts = tok;
		else if (field > 5 && !dash && strcmp(tok, "-") == 0)
			dash = true;
		else if (dash && *fstype == NULL)
			*fstype = tok;
		else if (dash && *source == NULL)
			*source = tok;
	}
	return *path && *opts && *fstype && *source;
}

enum MHD_Result
mounts_list(struct request *req)
{
	char line[4096], *path, *opts, *fstype, *source;
	json_t *items = json_array(), *body;
	enum MHD_Result r;
	struct statvfs sv;
	FILE *f = fopen("/proc/self/mountinfo", "r");

	if (f == NULL) {
		json_decref(items);
		return reply_error(req, 500, "internal", "cannot read /proc/self/mountinfo");
	}
	while (fgets(line, sizeof(line), f)) {
		if (strchr(line, '\n') == NULL && !feof(f)) {
			/* A line longer than the buffer: skip all of it rather than read its tail as one. */
			int ch;
			while ((ch = fgetc(f)) != EOF && ch != '\n')
				;
			continue;
		}
		if (!mounts_parse(line, &path, &opts, &fstype, &source))
			continue;
		mounts_unescape(path);
		mounts_unescape(source);
		if (mounts_pseudo(fstype, path) || statvfs(path, &sv) != 0)
			continue;
		json_array_append_new(items, json_pack("{s:s,s:s,s:s,s:I,s:I,s:b}", "path", path,
		    "fstype", fstype, "source", source,
		    "size", (json_int_t)((unsigned long long)sv.f_blocks * sv.f_frsize),
		    "free", (json_int_t)((unsigned long long)sv.f_bavail * sv.f_frsize),
		    "read_only", strncmp(opts, "ro", 2) == 0 && (opts[2] == '\0' || opts[2] == ',')));
	}
	fclose(f);
	body = json_pack("{s:o}", "items", items);
	r = reply_json(req, 200, body);
	json_decref(body);
	return r;
}
