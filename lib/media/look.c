/* look: a clip's CDL and LUT from the database, baked into one cube (see look.h). */
#include "lib/media/look.h"
#include "lib/core/hash.h"
#include "lib/store/params.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int
look_cdl_from_json(json_t *j, const char *what, struct cdl *out, struct err *err)
{
	static const char *const parts[] = { "slope", "offset", "power" };
	double *dst[3] = { out->slope, out->offset, out->power };
	json_t *v;

	cdl_init(out);
	if (!json_is_object(j))
		return err_set(err, SP_EINVAL, "%s: expected an object with slope, offset, power, sat",
		    what);
	for (int i = 0; i < 3; i++) {
		json_t *a = json_object_get(j, parts[i]);
		if (a == NULL)
			continue;
		if (!json_is_array(a) || json_array_size(a) != 3)
			return err_set(err, SP_EINVAL, "%s.%s: expected 3 numbers (R G B)", what, parts[i]);
		for (size_t k = 0; k < 3; k++) {
			if (!json_is_number(json_array_get(a, k)))
				return err_set(err, SP_EINVAL, "%s.%s[%zu]: expected a number", what, parts[i],
				    k);
			dst[i][k] = json_number_value(json_array_get(a, k));
		}
	}
	if ((v = json_object_get(j, "sat")) != NULL) {
		if (!json_is_number(v))
			return err_set(err, SP_EINVAL, "%s.sat: expected a number", what);
		out->sat = json_number_value(v);
	}
	if ((v = json_object_get(j, "id")) != NULL && json_is_string(v))
		snprintf(out->id, sizeof(out->id), "%s", json_string_value(v));
	if (cdl_validate(out, err) < 0)
		return err_prefix(err, "%s: ", what);
	return 0;
}

/* The LUT comes back as hex so any bytes the upload kept arrive intact. */
static const struct db_stmt stmt_look = { "look_load",
	"SELECT c.look, sl.cdl, l.id, l.name, encode(l.cube, 'hex')"
	" FROM clips c JOIN cards k ON k.id = c.card_id JOIN days d ON d.id = k.day_id"
	" JOIN productions p ON p.id = d.production_id"
	" LEFT JOIN scene_looks sl ON sl.production_id = p.id AND sl.scene = c.scene"
	" LEFT JOIN luts l ON l.id = coalesce(d.lut_id, p.show_lut_id)"
	" WHERE c.id = $1", 1 };

static int
look_hex(char ch)
{
	return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

static int
look_load_lut(struct look *lk, const char *hex, struct err *err)
{
	size_t n = strlen(hex) / 2;
	char *buf = malloc(n + 1);
	int rc;

	if (buf == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)(look_hex(hex[2 * i]) << 4 | look_hex(hex[2 * i + 1]));
	rc = lut_read_cube_mem(&lk->lut, buf, n, lk->lut_name, err);
	free(buf);
	return rc < 0 ? err_prefix(err, "LUT %s: ", lk->lut_name) : 0;
}

int
look_load(struct db_conn *c, long long clip_id, struct look *lk, struct err *err)
{
	struct db_params q = { 0 };
	PGresult *r;
	json_t *j = NULL;
	int n, rc = 0;

	db_param_ll(&q, clip_id);
	if ((n = db_query(c, &stmt_look, q.v, &r, err)) < 0)
		return n;
	if (n == 0) {
		PQclear(r);
		return err_set(err, SP_ENOTFOUND, "clip %lld not found", clip_id);
	}
	for (int col = 0; col < 2 && !lk->has_cdl; col++) {
		if (PQgetisnull(r, 0, col) || strcmp(PQgetvalue(r, 0, col), "null") == 0)
			continue;
		j = json_loads(PQgetvalue(r, 0, col), JSON_DECODE_ANY, NULL);
		rc = look_cdl_from_json(j, col == 0 ? "clip look" : "scene look", &lk->cdl, err);
		json_decref(j);
		if (rc < 0)
			goto out;
		lk->has_cdl = true;
		snprintf(lk->cdl_from, sizeof(lk->cdl_from), "%s", col == 0 ? "clip" : "scene");
	}
	if (!PQgetisnull(r, 0, 2)) {
		lk->lut_id = db_ll(r, 0, 2);
		snprintf(lk->lut_name, sizeof(lk->lut_name), "%s", PQgetvalue(r, 0, 3));
		rc = look_load_lut(lk, PQgetvalue(r, 0, 4), err);
	}
out:
	PQclear(r);
	if (rc < 0)
		look_release(lk);
	return rc;
}

void
look_release(struct look *lk)
{
	lut_release(&lk->lut);
	lk->has_cdl = false;
	cdl_init(&lk->cdl);
	lk->cdl_from[0] = '\0';
	lk->lut_id = 0;
	lk->lut_name[0] = '\0';
}

bool
look_is_identity(const struct look *lk)
{
	const struct cdl *c = &lk->cdl;

	if (lk->lut.size > 0)
		return false;
	for (int i = 0; i < 3; i++)
		if (c->slope[i] != 1 || c->offset[i] != 0 || c->power[i] != 1)
			return false;
	return c->sat == 1;
}

int
look_bake_text(const struct look *lk, int size, char **text, size_t *len, struct err *err)
{
	struct lut baked = LUT_INIT;
	int rc;

	*text = NULL;
	*len = 0;
	if ((rc = lut_bake(&baked, size, lk->has_cdl ? &lk->cdl : NULL,
	    lk->lut.size > 0 ? &lk->lut : NULL, err)) == 0)
		rc = lut_write_cube(&baked, text, len, err);
	lut_release(&baked);
	return rc;
}

/* Appends one part of a cube's name, made safe, then sep. */
static void
look_name_part(char *out, size_t len, size_t *off, const char *s, const char *sep)
{
	size_t n = 0;

	for (; s && *s && n < 60 && *off + 1 < len; s++, n++) {
		char c = *s;
		bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '-';
		out[(*off)++] = safe ? c : '_';
	}
	for (; *sep && *off + 1 < len; sep++)
		out[(*off)++] = *sep;
	out[*off] = '\0';
}

void
look_cube_name_of(const struct look_naming *n, const char *show, const char *day,
    const char *scene, const char *clip, char *out, size_t len)
{
	char what[80];
	size_t off = 0;

	if (len == 0)
		return;
	out[0] = '\0';
	if (n->has_cdl && n->cdl_id && n->cdl_id[0])
		snprintf(what, sizeof(what), "%.60s", n->cdl_id);
	else if (n->has_cdl && n->cdl_from && strcmp(n->cdl_from, "clip") == 0)
		snprintf(what, sizeof(what), "clip-%.60s", clip);
	else if (n->has_cdl)
		snprintf(what, sizeof(what), "scene");
	else
		snprintf(what, sizeof(what), "%s", n->has_lut ? "lut" : "none");
	look_name_part(out, len, &off, show && show[0] ? show : "show", "_");
	look_name_part(out, len, &off, day && day[0] ? day : "day", "_");
	look_name_part(out, len, &off, scene && scene[0] ? scene : "noscene", "_");
	look_name_part(out, len, &off, what, ".cube");
}

void
look_cube_name(const struct look *lk, const char *show, const char *day, const char *scene,
    const char *clip, char *out, size_t len)
{
	struct look_naming n = { lk->has_cdl, lk->lut.size > 0, lk->cdl.id, lk->cdl_from };

	look_cube_name_of(&n, show, day, scene, clip, out, len);
}

int
look_bake_file(const struct look *lk, int size, const char *dir, char *path, size_t len,
    struct err *err)
{
	struct lut baked = LUT_INIT;
	struct hash_result h;
	struct stat st;
	char *text = NULL;
	size_t tlen = 0;
	int rc, n;

	if ((rc = lut_bake(&baked, size, lk->has_cdl ? &lk->cdl : NULL,
	    lk->lut.size > 0 ? &lk->lut : NULL, err)) < 0)
		return rc;
	if ((rc = lut_write_cube(&baked, &text, &tlen, err)) < 0 ||
	    (rc = hash_buf(text, tlen, HASH_BIT(HASH_XXH64), &h, err)) < 0)
		goto out;
	n = snprintf(path, len, "%s/%s.cube", dir, h.v[HASH_XXH64].str);
	if (n < 0 || (size_t)n >= len) {
		rc = err_set(err, SP_ETOOBIG, "path too long: %s", dir);
		goto out;
	}
	/* Same content, same name: a cube already there is this one (saves are atomic). */
	if (stat(path, &st) == 0 && st.st_size > 0)
		goto out;
	rc = lut_save_cube(&baked, path, err);
out:
	free(text);
	lut_release(&baked);
	return rc;
}

json_t *
look_to_json(const struct look *lk)
{
	const struct cdl *c = &lk->cdl;
	json_t *cdl = lk->has_cdl ? json_pack("{s:[f,f,f],s:[f,f,f],s:[f,f,f],s:f}", "slope",
	    c->slope[0], c->slope[1], c->slope[2], "offset", c->offset[0], c->offset[1],
	    c->offset[2], "power", c->power[0], c->power[1], c->power[2], "sat", c->sat) :
	    json_null();

	return json_pack("{s:o,s:s,s:s?}", "cdl", cdl, "cdl_from", lk->cdl_from, "lut",
	    lk->lut_id ? lk->lut_name : NULL);
}
