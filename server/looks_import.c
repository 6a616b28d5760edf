/* looks_import: CDLs from a colourist's file onto clips (or a scene's default), all or
 * nothing. The body is a .cc, .ccc or .cdl document (told apart by its root element) or an
 * ALE with ASC_SOP/ASC_SAT columns. Each correction is matched to clips of the day (or the
 * production) by name: the ColorCorrection id, then the .cdl MediaRef's file name; for an
 * ALE the Name column, then Source File. The response says what was applied and what
 * matched nothing; a malformed file or value changes nothing and names its line or element. */
#include "http.h"
#include "lib/pipeline/pipeline.h"
#include "lib/editorial/ale.h"
#include "lib/media/cdl_json.h"
#include "lib/store/event.h"
#include "looks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define IMPORT_KEY 256

struct import_entry {
	struct cdl cdl;
	char key[IMPORT_KEY];     /* clip name to look for */
	char alt[IMPORT_KEY];     /* a file name, without directories and extension */
	char where[IMPORT_KEY + 48];
};

struct import {
	struct import_entry *v;
	size_t n;
	const char *format;       /* "cc", "ccc", "cdl", "ale" */
	const char *file;         /* the name messages use */
	json_t *skipped;
};

static const struct db_stmt stmt_day_prod = { "import_day_prod",
	"SELECT production_id FROM days WHERE id = $1", 1 };
static const struct db_stmt stmt_clips = { "import_clips",
	"SELECT c.id, c.name, c.look::text FROM clips c JOIN cards k ON k.id = c.card_id"
	" JOIN days d ON d.id = k.day_id WHERE k.kind <> 'sound' AND d.production_id = $1"
	" AND ($2::bigint IS NULL OR k.day_id = $2) AND (c.name = $3 OR c.name = $4)"
	" ORDER BY c.id FOR UPDATE OF c", 4 };
static const struct db_stmt stmt_look = { "import_look",
	"UPDATE clips SET look = $2::jsonb, updated_at = now() WHERE id = $1", 2 };

/* "A001/A001C003_250101.mov" -> "A001C003_250101". */
static void
import_base(const char *path, char out[IMPORT_KEY])
{
	const char *b = strrchr(path, '/'), *bs = strrchr(path, '\\');
	char *dot;

	b = b ? b + 1 : path;
	if (bs && bs + 1 > b)
		b = bs + 1;
	snprintf(out, IMPORT_KEY, "%s", b);
	if ((dot = strrchr(out, '.')) != NULL && dot != out)
		*dot = '\0';
}

static int
import_xml(struct import *im, const char *text, size_t len, struct err *err)
{
	struct cdl_set set = CDL_SET_INIT;
	int rc;

	if ((rc = cdl_read_mem(text, len, im->file, &set, err)) < 0)
		return rc;
	im->format = memmem(text, len, "ColorDecisionList", 17) ? "cdl" :
	    memmem(text, len, "ColorCorrectionCollection", 25) ? "ccc" : "cc";
	if ((im->v = calloc(set.n, sizeof(*im->v))) == NULL) {
		cdl_set_release(&set);
		return err_set(err, SP_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < set.n; i++) {
		struct import_entry *e = &im->v[im->n++];
		e->cdl = set.v[i];
		snprintf(e->key, sizeof(e->key), "%s", set.v[i].id);
		if (set.media && set.media[i])
			import_base(set.media[i], e->alt);
		snprintf(e->where, sizeof(e->where), "ColorCorrection %zu%s%s%s", i + 1,
		    e->key[0] ? " (id " : "", e->key, e->key[0] ? ")" : "");
	}
	cdl_set_release(&set);
	return 0;
}

static int
import_ale(struct import *im, const char *text, size_t len, struct err *err)
{
	struct ale ale = ALE_INIT;
	int rc = 0;

	im->format = "ale";
	if ((rc = ale_parse(text, len, &ale, err)) < 0)
		return err_prefix(err, "%s: ", im->file);
	if (ale_column_find(&ale, "ASC_SOP") < 0 && ale_column_find(&ale, "ASC_SAT") < 0) {
		ale_release(&ale);
		return err_set(err, SP_EINVAL, "%s: no ASC_SOP or ASC_SAT column", im->file);
	}
	if ((im->v = calloc(ale.nrows ? ale.nrows : 1, sizeof(*im->v))) == NULL) {
		ale_release(&ale);
		return err_set(err, SP_ENOMEM, "out of memory");
	}
	for (size_t r = 0; r < ale.nrows && rc == 0; r++) {
		const char *name = ale_get(&ale, r, "Name"), *src = ale_get(&ale, r, "Source File");
		const char *sop = ale_get(&ale, r, "ASC_SOP"), *sat = ale_get(&ale, r, "ASC_SAT");
		struct import_entry *e = &im->v[im->n];
		cdl_init(&e->cdl);
		snprintf(e->key, sizeof(e->key), "%s", name ? name : "");
		if (src && *src)
			import_base(src, e->alt);
		snprintf(e->where, sizeof(e->where), "data row %zu (%s)", r + 1, e->key[0] ? e->key :
		    e->alt);
		if ((sop == NULL || *sop == '\0') && (sat == NULL || *sat == '\0')) {
			json_array_append_new(im->skipped, json_pack("{s:s,s:s,s:s}", "element", e->where,
			    "id", e->key, "reason", "no ASC_SOP or ASC_SAT"));
			continue;
		}
		if (sop && *sop && ale_sop_parse(sop, e->cdl.slope, e->cdl.offset, e->cdl.power, err) < 0)
			rc = err_prefix(err, "%s: %s: ASC_SOP: ", im->file, e->where);
		else if (sat && *sat && ale_sat_parse(sat, &e->cdl.sat, err) < 0)
			rc = err_prefix(err, "%s: %s: ASC_SAT: ", im->file, e->where);
		else if (cdl_validate(&e->cdl, err) < 0)
			rc = err_prefix(err, "%s: %s: ", im->file, e->where);
		else
			im->n++;
	}
	ale_release(&ale);
	return rc;
}

/* XML or ALE, by the first thing in the body. */
static int
import_parse(struct import *im, const char *text, size_t len, struct err *err)
{
	size_t i = 0;

	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
		i++;
	if (i == len)
		return err_set(err, SP_EINVAL, "%s: the body is empty; send a .cc, .ccc, .cdl or ALE",
		    im->file);
	return text[i] == '<' ? import_xml(im, text, len, err) : import_ale(im, text, len, err);
}

struct import_tx_arg {
	struct import *im;
	const char *prod, *day, *scene, *actor;
	json_t *applied, *unmatched;
};

static int
import_clip(struct db_conn *c, struct import_tx_arg *a, const struct import_entry *e,
    struct err *err)
{
	const char *p[4] = { a->prod, a->day, e->key[0] ? e->key : e->alt, e->alt[0] ? e->alt : e->key };
	json_t *to = cdl_to_json(&e->cdl, false);
	char *text = json_dumps(to, JSON_COMPACT | JSON_REAL_PRECISION(10));
	PGresult *r;
	int n, rc = 0;

	if ((n = db_query(c, &stmt_clips, p, &r, err)) < 0) {
		rc = n;
		goto out;
	}
	if (n == 0)
		json_array_append_new(a->unmatched, json_pack("{s:s,s:s,s:s}", "element", e->where,
		    "id", e->key, "file", e->alt));
	for (int i = 0; i < n && rc == 0; i++) {
		const char *pu[2] = { PQgetvalue(r, i, 0), text };
		const char *old = db_val(r, i, 2);
		json_t *data;
		if ((rc = db_query(c, &stmt_look, pu, NULL, err)) < 0)
			break;
		data = json_pack("{s:o,s:O,s:s,s:s,s:s}", "from", old ? json_loads(old, 0, NULL) :
		    json_null(), "to", to, "source", "import", "file", a->im->file, "element", e->where);
		rc = event_record(c, a->actor, "clip.look", "clip", db_ll(r, i, 0), data, NULL, err);
		json_decref(data);
		if (rc == 0) {
			struct pipeline_look_scope s = { .clip_id = db_ll(r, i, 0) };
			if ((rc = pipeline_look_changed(c, &s, a->actor, err)) > 0)
				rc = 0;
		}
		json_array_append_new(a->applied, json_pack("{s:s,s:s,s:I,s:s}", "element", e->where,
		    "id", e->key, "clip_id", (json_int_t)db_ll(r, i, 0), "clip", PQgetvalue(r, i, 1)));
	}
	PQclear(r);
out:
	free(text);
	json_decref(to);
	return rc < 0 ? rc : 0;
}

static int
import_tx(struct db_conn *c, void *arg, struct err *err)
{
	struct import_tx_arg *a = arg;
	json_t *data;
	int rc = 0;

	json_array_clear(a->applied);
	json_array_clear(a->unmatched);
	if (a->scene) {
		json_t *extra = json_pack("{s:s,s:s}", "source", "import", "file", a->im->file);
		rc = looks_scene_write(c, a->prod, a->scene, &a->im->v[0].cdl, a->actor, extra, NULL, err);
		json_decref(extra);
		if (rc == 0)
			json_array_append_new(a->applied, json_pack("{s:s,s:s,s:s}", "element",
			    a->im->v[0].where, "id", a->im->v[0].key, "scene", a->scene));
	}
	for (size_t i = 0; a->scene == NULL && i < a->im->n && rc == 0; i++)
		rc = import_clip(c, a, &a->im->v[i], err);
	if (rc < 0)
		return rc;
	data = json_pack("{s:s,s:s,s:I,s:I,s:I}", "file", a->im->file, "format", a->im->format,
	    "applied", (json_int_t)json_array_size(a->applied), "unmatched",
	    (json_int_t)json_array_size(a->unmatched), "skipped",
	    (json_int_t)json_array_size(a->im->skipped));
	if (a->scene)
		json_object_set_new(data, "scene", json_string(a->scene));
	rc = event_record(c, a->actor, "looks.imported", a->day ? "day" : "production",
	    strtoll(a->day ? a->day : a->prod, NULL, 10), data, NULL, err);
	json_decref(data);
	return rc;
}

/* The scope: ?day_id= (or ?day=) or the production; fills prod and day (or NULL). */
static bool
import_scope(struct request *req, char prod[24], char day[24], const char **dayp)
{
	const char *d = request_query(req, "day_id");
	const char *p[1];
	struct err err;
	PGresult *r;
	char *end;
	int n;

	if (d == NULL)
		d = request_query(req, "day");
	*dayp = NULL;
	if (d == NULL)
		return looks_production(req, request_query(req, "production_id"), prod);
	if (strtoll(d, &end, 10) <= 0 || *end)
		return reply_error(req, 400, "invalid", "day_id: expected an id"), false;
	snprintf(day, 24, "%s", d);
	p[0] = day;
	if ((n = db_exec(req->srv->db, &stmt_day_prod, p, &r, &err)) < 0)
		return reply_err(req, &err), false;
	if (n == 1)
		snprintf(prod, 24, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	if (n == 0)
		return reply_error(req, 404, "not_found", "day %s not found", day), false;
	*dayp = day;
	return true;
}

enum MHD_Result
looks_import(struct request *req)
{
	struct import im = { NULL, 0, "", NULL, json_array() };
	struct import_tx_arg a = { &im, NULL, NULL, request_query(req, "scene"), req->who.name,
		json_array(), json_array() };
	const char *name = request_query(req, "name");
	char prod[24], day[24];
	struct err err;
	enum MHD_Result res = MHD_YES;
	json_t *body;

	if (req->body_too_big)
		goto out;
	im.file = name && *name ? name : "import";
	if (a.scene && (strlen(a.scene) < 1 || strlen(a.scene) > 64)) {
		res = reply_error(req, 400, "invalid", "scene: 1 to 64 characters");
		goto out;
	}
	if (!import_scope(req, prod, day, &a.day))
		goto out;
	a.prod = prod;
	if (import_parse(&im, req->body.data, req->body.len, &err) < 0) {
		res = reply_err(req, &err);
		goto out;
	}
	if (a.scene && im.n != 1) {
		res = reply_error(req, 400, "invalid", "scene: a scene default takes one correction; "
		    "%s holds %zu", im.file, im.n);
		goto out;
	}
	if (db_tx(req->srv->db, import_tx, &a, &err) < 0) {
		res = reply_err(req, &err);
		goto out;
	}
	body = json_pack("{s:s,s:s,s:O,s:O,s:O}", "file", im.file, "format", im.format,
	    "applied", a.applied, "unmatched", a.unmatched, "skipped", im.skipped);
	res = reply_json(req, 200, body);
	json_decref(body);
out:
	free(im.v);
	json_decref(im.skipped);
	json_decref(a.applied);
	json_decref(a.unmatched);
	return res;
}
