/* locate: a readable verified copy of a file on this host (see locate.h). */
#include "lib/custody/locate.h"
#include "lib/store/params.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct db_stmt stmt_copies = { "locate_copies",
	"SELECT m.mount_path, cp.rel_path, f.rel_path FROM files f"
	" JOIN copies cp ON cp.file_id = f.id AND cp.state = 'verified'"
	" JOIN volume_mounts m ON m.volume_id = cp.volume_id AND m.host = $2"
	" WHERE f.id = $1 ORDER BY cp.verified_at, cp.id", 2 };

static const struct db_stmt stmt_file = { "locate_file_name",
	"SELECT rel_path FROM files WHERE id = $1", 1 };

static char locate_host_name[256];

void
locate_set_host(const char *host)
{
	snprintf(locate_host_name, sizeof(locate_host_name), "%s", host ? host : "");
}

void
locate_host(char *out, size_t len)
{
	if (locate_host_name[0]) {
		snprintf(out, len, "%s", locate_host_name);
		return;
	}
	if (gethostname(out, len) < 0 || len == 0)
		snprintf(out, len, "localhost");
	out[len - 1] = '\0';
}

/* A relative path without "..": the database should never hold another, but a path that
 * would climb out of its volume is never opened. */
static bool
locate_rel_ok(const char *rel)
{
	if (rel[0] == '/' || rel[0] == '\0')
		return false;
	for (const char *s = rel; s; s = strchr(s, '/')) {
		if (*s == '/')
			s++;
		if (strncmp(s, "..", 2) == 0 && (s[2] == '/' || s[2] == '\0'))
			return false;
	}
	return true;
}

static int
locate_not_found(struct db_conn *c, long long file_id, const char *host, int tried,
    struct err *err)
{
	struct db_params q = { 0 };
	PGresult *r;
	int n;

	db_param_ll(&q, file_id);
	n = db_query(c, &stmt_file, q.v, &r, NULL);
	err_set(err, SP_ENOTFOUND, "file %s: no readable verified copy on host %s (%d tried)",
	    n > 0 ? PQgetvalue(r, 0, 0) : q.v[0], host, tried);
	if (n >= 0)
		PQclear(r);
	return SP_ENOTFOUND;
}

int
locate_file(struct db_conn *c, long long file_id, char *path, size_t len, struct err *err)
{
	char host[256];
	struct db_params q = { 0 };
	PGresult *r;
	int n;

	db_param_ll(&q, file_id);
	db_param_str(&q, host);
	locate_host(host, sizeof(host));
	if ((n = db_query(c, &stmt_copies, q.v, &r, err)) < 0)
		return n;
	for (int i = 0; i < n; i++) {
		const char *mount = PQgetvalue(r, i, 0), *rel = PQgetvalue(r, i, 1);
		size_t ml = strlen(mount);
		if (!locate_rel_ok(rel))
			continue;
		if ((size_t)snprintf(path, len, "%s%s%s", mount, ml && mount[ml - 1] == '/' ? "" : "/",
		    rel) >= len)
			continue;
		if (access(path, R_OK) == 0) {
			PQclear(r);
			return 0;
		}
	}
	PQclear(r);
	path[0] = '\0';
	return locate_not_found(c, file_id, host, n, err);
}

static const struct db_stmt stmt_rendition = { "locate_rendition",
	"SELECT state, rel_path FROM renditions WHERE id = $1", 1 };

int
locate_rendition(struct db_conn *c, const char *root, long long rendition_id, char *path,
    size_t len, struct err *err)
{
	struct db_params q = { 0 };
	const char *rel, *rid;
	PGresult *r;
	int n, rc = 0;

	path[0] = '\0';
	db_param_ll(&q, rendition_id);
	rid = q.v[0];
	if ((n = db_query(c, &stmt_rendition, q.v, &r, err)) < 0)
		return n;
	rel = n > 0 ? db_val(r, 0, 1) : NULL;
	if (n == 0)
		rc = err_set(err, SP_ENOTFOUND, "rendition %s not found", rid);
	else if (strcmp(PQgetvalue(r, 0, 0), "done") != 0 || rel == NULL)
		rc = err_set(err, SP_ECONFLICT, "rendition %s is not made yet (%s)", rid,
		    PQgetvalue(r, 0, 0));
	else if (!locate_rel_ok(rel) || (size_t)snprintf(path, len, "%s/%s", root, rel) >= len)
		rc = err_set(err, SP_EINVAL, "rendition %s: unusable path %s", rid, rel);
	else if (access(path, R_OK) != 0)
		rc = err_errno(err, SP_ENOTFOUND, errno, "rendition %s: %s", rid, path);
	PQclear(r);
	if (rc < 0)
		path[0] = '\0';
	return rc;
}

static const struct db_stmt stmt_clip = { "locate_clip",
	"SELECT c.id, c.card_id, c.name, c.circled, f.id, f.rel_path,"
	" (SELECT count(*) FROM files g WHERE g.clip_id = c.id AND g.role IN ('media', 'segment')"
	"  AND lower(substring(g.rel_path from '\\.[^./]*$')) IS NOT DISTINCT FROM"
	"      lower(substring(f.rel_path from '\\.[^./]*$'))),"
	" c.camera_proxy_file_id, (SELECT x.rel_path FROM files x WHERE x.id = c.camera_proxy_file_id)"
	" FROM clips c LEFT JOIN LATERAL (SELECT id, rel_path FROM files"
	"  WHERE clip_id = c.id AND role IN ('media', 'segment')"
	"  ORDER BY role = 'media' DESC, rel_path LIMIT 1) f ON true"
	" WHERE c.id = $1", 1 };

int
locate_clip_load(struct db_conn *c, long long clip_id, struct locate_clip *lc, struct err *err)
{
	struct db_params q = { 0 };
	PGresult *r;
	int n, rc = 0;

	memset(lc, 0, sizeof(*lc));
	db_param_ll(&q, clip_id);
	if ((n = db_query(c, &stmt_clip, q.v, &r, err)) < 0)
		return n;
	if (n == 0) {
		rc = err_set(err, SP_ENOTFOUND, "clip %lld not found", clip_id);
	} else {
		lc->clip_id = clip_id;
		lc->card_id = db_ll(r, 0, 1);
		snprintf(lc->name, sizeof(lc->name), "%s", PQgetvalue(r, 0, 2));
		lc->circled = db_bool(r, 0, 3);
		lc->file_id = db_ll(r, 0, 4);
		snprintf(lc->rel_path, sizeof(lc->rel_path), "%s", PQgetvalue(r, 0, 5));
		lc->nmedia = (int)db_ll(r, 0, 6);
		lc->proxy_file_id = db_ll(r, 0, 7);
		snprintf(lc->proxy_rel_path, sizeof(lc->proxy_rel_path), "%s", PQgetvalue(r, 0, 8));
		if (lc->file_id == 0)
			rc = err_set(err, SP_ENOTFOUND, "clip %s has no picture or sound file", lc->name);
	}
	PQclear(r);
	return rc;
}

static const struct db_stmt stmt_sidecars = { "locate_sidecars",
	"SELECT id, rel_path FROM files"
	" WHERE (clip_id = $1 AND role = 'sidecar')"
	"  OR (card_id = $2 AND (lower(rel_path) LIKE '%.ale' OR (clip_id = $1 AND"
	"   lower(rel_path) LIKE '%.sidecar')))"
	" ORDER BY rel_path LIMIT 20", 2 };

int
locate_sidecars(struct db_conn *c, const struct locate_clip *lc,
    int (*fn)(void *arg, const char *rel_path, const char *path, struct err *err), void *arg,
    struct err *err)
{
	char path[PATH_MAX];
	struct db_params q = { 0 };
	PGresult *r;
	int n, rc = 0;

	db_param_ll(&q, lc->clip_id);
	db_param_ll(&q, lc->card_id);
	if ((n = db_query(c, &stmt_sidecars, q.v, &r, err)) < 0)
		return n;
	for (int i = 0; i < n && rc >= 0; i++)
		if (locate_file(c, db_ll(r, i, 0), path, sizeof(path), NULL) == 0)
			rc = fn(arg, PQgetvalue(r, i, 1), path, err);
	PQclear(r);
	return rc;
}
