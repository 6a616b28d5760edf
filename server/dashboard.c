/* dashboard: the two answers the dashboard cannot build cheaply from the other routes: a day's
 * cards with their safe-to-format verdict and per-stage clip counts in one request (instead of
 * one request per card and per clip), and the folders this server's host has mounted, to pick
 * an offload's source and destinations from. */
#include "http.h"
#include "cache.h"
#include "lib/store/params.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

/* A clip counts at a stage when all its files have a verified copy (copied), the production's
 * required verified copies on distinct volumes (verified), a finished rendition (proxied), a
 * delivery whose bytes all reached the post house (uploaded) or one the post house confirmed
 * with a receipt (delivered). The two verdicts, the files and bytes and the first two stages
 * come from setpost_cards_verdicts (migration 0066), which reads each of the day's files and
 * copies once; the rest is set-based over the day's clips. Two statements (the day's cards,
 * then everything about them), the JSON built by PostgreSQL and sent as it comes: a day of
 * 5,000 clips took 41 queries and 290 ms before. */
static const struct db_stmt stmt_day_card_ids = { "dashboard_day_card_ids",
	"SELECT coalesce(array_agg(k.id), '{}')::text FROM cards k WHERE k.day_id = $1", 1 };

/* $2, the day's cards as the statement above gave them: a parameter, not a subquery, so that
 * PostgreSQL inlines the function and keeps one plan for the whole (a quarter less time). */
static const struct db_stmt stmt_day_cards = { "dashboard_day_cards",
	"WITH kk AS (SELECT k.id, k.label, k.camera, k.kind, k.vendor, k.reel FROM cards k"
	"  WHERE k.id = ANY ($2::bigint[])),"
	" v AS (SELECT * FROM setpost_cards_verdicts($2::bigint[])),"
	" cl AS (SELECT c.id, c.card_id, c.state, c.name, c.state_reason FROM clips c"
	"  JOIN kk ON kk.id = c.card_id),"
	" px AS (SELECT DISTINCT r.clip_id FROM renditions r JOIN cl ON cl.id = r.clip_id"
	"  WHERE r.state = 'done'),"
	/* its best delivery, by rendition or by file: 2 delivered, 1 uploaded, 0 other */
	" dv AS (SELECT y.clip_id, max(CASE y.state WHEN 'delivered' THEN 2 WHEN 'uploaded' THEN 1"
	"  ELSE 0 END) AS best FROM (SELECT r.clip_id, d.state FROM renditions r"
	"  JOIN cl ON cl.id = r.clip_id JOIN deliveries d ON d.rendition_id = r.id"
	"  UNION ALL SELECT f.clip_id, d.state FROM files f JOIN cl ON cl.id = f.clip_id"
	"  JOIN deliveries d ON d.file_id = f.id) y GROUP BY y.clip_id),"
	" s AS (SELECT cl.card_id, count(*) AS clips, count(px.clip_id) AS proxied,"
	"  count(*) FILTER (WHERE dv.best >= 1) AS uploaded,"
	"  count(*) FILTER (WHERE dv.best = 2) AS delivered,"
	"  count(*) FILTER (WHERE cl.state IN ('copy_failed', 'transcode_failed', 'upload_failed'))"
	"   AS failed,"
	"  count(*) FILTER (WHERE cl.state = 'qc_hold') AS qc_hold,"
	/* media_error: what a person needs to see next to "safe to format" (the copies can be
	 * faithful copies of files no one can read) */
	"  count(*) FILTER (WHERE cl.state = 'media_error') AS unreadable,"
	"  (array_agg(cl.name || ': ' || cl.state_reason ORDER BY cl.name)"
	"   FILTER (WHERE cl.state = 'media_error'))[1:3] AS unreadable_reasons"
	"  FROM cl LEFT JOIN px ON px.clip_id = cl.id LEFT JOIN dv ON dv.clip_id = cl.id"
	"  GROUP BY cl.card_id),"
	" day AS (SELECT json_build_object('id', d.id, 'shoot_date', d.shoot_date, 'label', d.label,"
	"  'wrapped_at', d.wrapped_at, 'production', p.name, 'production_id', p.id,"
	"  'required_copies', p.required_copies) AS j"
	"  FROM days d JOIN productions p ON p.id = d.production_id WHERE d.id = $1)"
	" SELECT EXISTS (SELECT 1 FROM day), json_build_object('day', (SELECT j FROM day),"
	" 'cards', (SELECT coalesce(json_agg(x ORDER BY x.label, x.id), '[]') FROM ("
	"  SELECT kk.id, kk.label, kk.camera, kk.kind, kk.vendor, kk.reel, v.files, v.bytes,"
	"  coalesce(s.clips, 0) AS clips,"
	"  json_build_object('copied', v.copied, 'verified', v.verified,"
	"   'proxied', coalesce(s.proxied, 0), 'uploaded', coalesce(s.uploaded, 0),"
	"   'delivered', coalesce(s.delivered, 0)) AS stages,"
	"  coalesce(s.failed, 0) AS failed, coalesce(s.qc_hold, 0) AS qc_hold,"
	"  coalesce(s.unreadable, 0) AS unreadable,"
	"  coalesce(to_json(s.unreadable_reasons), '[]') AS unreadable_reasons,"
	"  v.safe AS safe_to_format, v.why_not, v.clear AS safe_to_clear,"
	"  v.why_not_clear"
	"  FROM kk JOIN v ON v.card = kk.id LEFT JOIN s ON s.card_id = kk.id) x))::text", 2 };

/* The answer depends on the day only (not on who asks), so it is one page of the cache
 * (server/cache.h): asked again before anything behind it changed, it is sent from memory, and
 * a client that has it gets a 304. Every table it reads is watched by migrations 0013 and 0066. */
enum MHD_Result
day_cards_get(struct request *req)
{
	struct cache *cache = req->srv->cache;
	struct db_params q = { 0 };
	unsigned long gen = 0;
	long long id;
	char key[40];
	struct err err;
	PGresult *ids, *r;
	enum MHD_Result res;

	if (!request_param_id(req, 0, &id))
		return MHD_YES;
	snprintf(key, sizeof(key), "day_cards\x1f%lld", id);
	if (cache_page_reply(cache, req, key, &gen, &res))
		return res;
	/* The counts and the verdicts come from one statement, one snapshot: they agree. A card
	 * added since the first statement waits for the next request (its notification). */
	db_param_ll(&q, id);
	if (db_exec(req->srv->db, &stmt_day_card_ids, q.v, &ids, &err) < 0)
		return reply_err(req, &err);
	db_param_str(&q, PQgetvalue(ids, 0, 0));
	if (db_exec(req->srv->db, &stmt_day_cards, q.v, &r, &err) < 0) {
		PQclear(ids);
		return reply_err(req, &err);
	}
	if (!db_bool(r, 0, 0))
		res = reply_error(req, 404, "not_found", "day %lld not found", id);
	else
		res = cache_page_store_reply(cache, req, key, gen, PQgetvalue(r, 0, 1),
		    (size_t)PQgetlength(r, 0, 1));
	PQclear(r);
	PQclear(ids);
	return res;
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
