/* media: what the media jobs learned about a clip (probe, QC measures and flags, thumbnails,
 * the state of its media jobs), its pictures, and a card's contact sheet. Pictures are files
 * under DATA/media, named by the database (never by the request), sent from their descriptor
 * with an ETag (the XXH64 of the JPEG) and Cache-Control; If-None-Match answers 304. */
#include "http.h"
#include "lib/store/params.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Thumbnails of a clip do not change unless QC is run again; a contact sheet grows with the
 * card, so it is always revalidated. Both are private: they need credentials. */
/* Declared in http.h with the other handlers; repeated here until that line is added. */
enum MHD_Result media_clip_get(struct request *req);
enum MHD_Result media_thumbnail_get(struct request *req);
enum MHD_Result media_contact_sheet_get(struct request *req);

#define MEDIA_CACHE_THUMB "private, max-age=3600"
#define MEDIA_CACHE_SHEET "private, no-cache"

/* $2 false (everyone but admins): host paths in errors and the probe cut (migration 0062). */
static const struct db_stmt stmt_media = { "media_clip",
	"SELECT setpost_redact_paths(json_build_object("
	" 'clip', json_build_object('id', c.id, 'name', c.name, 'card_id', c.card_id,"
	"  'scene', c.scene, 'take', c.take, 'circled', c.circled, 'camera', c.camera,"
	"  'reel', c.reel, 'start_tc', c.start_tc, 'state', c.state, 'state_reason', c.state_reason),"
	" 'probe', (SELECT to_jsonb(m) - 'clip_id' FROM clip_media m WHERE m.clip_id = c.id),"
	" 'thumbnails', (SELECT coalesce(json_agg(json_build_object('n', t.n, 'frame', t.frame,"
	"  'timecode', t.timecode, 'width', t.width, 'height', t.height, 'url',"
	"  '/api/v1/clips/' || c.id || '/thumbnails/' || t.n || '.jpg') ORDER BY t.n), '[]')"
	"  FROM clip_thumbnails t WHERE t.clip_id = c.id),"
	" 'qc', (SELECT to_jsonb(q) - 'clip_id' - 'job_id' FROM clip_qc q WHERE q.clip_id = c.id),"
	" 'flags', (SELECT coalesce(json_agg(json_build_object('id', f.id, 'kind', f.kind,"
	"  'severity', f.severity, 'start_frame', f.start_frame, 'end_frame', f.end_frame,"
	"  'start_tc', f.start_tc, 'end_tc', f.end_tc, 'channel', f.channel, 'value', f.value,"
	"  'message', f.message) ORDER BY f.start_frame, f.kind, f.channel), '[]')"
	"  FROM qc_flags f WHERE f.clip_id = c.id),"
	" 'jobs', (SELECT coalesce(json_agg(json_build_object('id', j.id, 'kind', j.kind,"
	"  'state', j.state, 'progress', j.progress, 'progress_text', j.progress_text,"
	"  'last_error', j.last_error) ORDER BY j.id), '[]') FROM jobs j"
	"  WHERE j.payload ? 'clip_id' AND j.payload->>'clip_id' = c.id::text"
	"  AND j.kind IN ('probe', 'thumbnails', 'qc')),"
	" 'contact_sheet', CASE WHEN EXISTS (SELECT 1 FROM card_contact_sheets s"
	"  WHERE s.card_id = c.card_id) THEN '/api/v1/cards/' || c.card_id || '/contact-sheet.jpg'"
	"  END)::text, NOT $2::bool) FROM clips c WHERE c.id = $1", 2 };

static const struct db_stmt stmt_thumb = { "media_thumb",
	"SELECT rel_path, etag FROM clip_thumbnails WHERE clip_id = $1 AND n = $2", 2 };

static const struct db_stmt stmt_sheet = { "media_sheet",
	"SELECT rel_path, etag FROM card_contact_sheets WHERE card_id = $1", 1 };

enum MHD_Result
media_clip_get(struct request *req)
{
	struct db_params q = { 0 };
	struct err err;
	long long id;
	json_t *body;
	enum MHD_Result r;
	PGresult *res;
	int n;

	if (!request_param_id(req, 0, &id))
		return MHD_YES;
	db_param_ll(&q, id);
	db_param_str(&q, req->who.role == ROLE_ADMIN ? "true" : "false");
	if ((n = db_exec(req->srv->db, &stmt_media, q.v, &res, &err)) < 0)
		return reply_err(req, &err);
	body = n > 0 ? json_loads(PQgetvalue(res, 0, 0), 0, NULL) : NULL;
	PQclear(res);
	if (n == 0)
		return reply_error(req, 404, "not_found", "clip %lld not found", id);
	if (body == NULL)
		return reply_error(req, 500, "internal", "clip %lld: bad media document", id);
	r = reply_json(req, 200, body);
	json_decref(body);
	return r;
}

/* True when the client already holds this version. */
static bool
media_not_modified(struct request *req, const char *etag)
{
	const char *inm = request_header(req, "If-None-Match");

	return inm && (strstr(inm, etag) || strcmp(inm, "*") == 0);
}

/* Sends DATA/rel (a JPEG the database named) with its ETag and caching. */
static enum MHD_Result
media_send(struct request *req, const char *rel, const char *hash, const char *cache)
{
	char path[PATH_MAX * 2], etag[40];
	struct MHD_Response *resp;
	struct stat st;
	unsigned status = 200;
	int fd = -1;

	if (strncmp(rel, "media/", 6) != 0 || strstr(rel, "..") || strchr(rel, '\\'))
		return reply_error(req, 500, "internal", "media path %s refused", rel);
	snprintf(etag, sizeof(etag), "\"%s\"", hash);
	if (media_not_modified(req, etag)) {
		resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		status = 304;
	} else {
		snprintf(path, sizeof(path), "%s/%s", req->srv->cfg->data_dir, rel);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			if (fd >= 0)
				close(fd);
			return reply_error(req, 404, "not_found", "%s is missing from the data folder", rel);
		}
		resp = MHD_create_response_from_fd64((uint64_t)st.st_size, fd);
		if (resp == NULL)
			close(fd);
		else
			MHD_add_response_header(resp, "Content-Type", "image/jpeg");
	}
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "ETag", etag);
	MHD_add_response_header(resp, "Cache-Control", cache);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	return reply_response(req, status, resp);
}

/* Looks up one picture's row and sends it; what names it in 404s. */
static enum MHD_Result
media_lookup_send(struct request *req, const struct db_stmt *st, const char *const *p,
    const char *what, const char *cache)
{
	struct err err;
	enum MHD_Result r;
	PGresult *res;
	int n;

	if ((n = db_exec(req->srv->db, st, p, &res, &err)) < 0)
		return reply_err(req, &err);
	if (n == 0) {
		PQclear(res);
		return reply_error(req, 404, "not_found", "%s not found", what);
	}
	r = media_send(req, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), cache);
	PQclear(res);
	return r;
}

enum MHD_Result
media_thumbnail_get(struct request *req)
{
	char what[96];
	struct db_params q = { 0 };
	const char *s = req->params[1];
	char *end;
	long long id;
	long n;

	if (!request_param_id(req, 0, &id))
		return MHD_YES;
	/* "{n}.jpg": the router hands over the whole segment. */
	n = strtol(s, &end, 10);
	if (*s < '0' || *s > '9' || strcmp(end, ".jpg") != 0 || n < 0 || n > 99 ||
	    (s[0] == '0' && end != s + 1))
		return reply_error(req, 400, "invalid", "'%s' is not a thumbnail: expected N.jpg "
		    "(0 is the poster)", s);
	db_param_ll(&q, id);
	db_param_ll(&q, n);
	snprintf(what, sizeof(what), "thumbnail %ld of clip %lld", n, id);
	return media_lookup_send(req, &stmt_thumb, q.v, what, MEDIA_CACHE_THUMB);
}

enum MHD_Result
media_contact_sheet_get(struct request *req)
{
	char what[64];
	struct db_params q = { 0 };
	long long id;

	if (!request_param_id(req, 0, &id))
		return MHD_YES;
	db_param_ll(&q, id);
	snprintf(what, sizeof(what), "contact sheet of card %lld", id);
	return media_lookup_send(req, &stmt_sheet, q.v, what, MEDIA_CACHE_SHEET);
}
