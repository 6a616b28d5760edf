/* copy_policy: the production's copy policy and the second erase gate (see copy_policy.h). */
#include "lib/custody/copy_policy.h"
#include "lib/core/json.h"
#include "lib/store/event.h"
#include "lib/store/params.h"

#include <stdio.h>
#include <string.h>

static const struct db_stmt stmt_get = { "copy_policy_get",
	"SELECT json_build_object('production_id', pr.id, 'production', pr.name,"
	" 'required_copies', pr.required_copies, 'copies', p.copies, 'media_types', p.media_types,"
	" 'archive', p.archive, 'offsite', p.offsite, 'default', cp.production_id IS NULL,"
	" 'updated_by', cp.updated_by, 'updated_at', cp.updated_at,"
	" 'cards', (SELECT count(*) FROM cards k JOIN days d ON d.id = k.day_id"
	"  WHERE d.production_id = pr.id),"
	" 'safe_to_format', (SELECT count(*) FILTER (WHERE (setpost_card_verdict(k.id)).safe)"
	"  FROM cards k JOIN days d ON d.id = k.day_id WHERE d.production_id = pr.id),"
	" 'safe_to_clear', (SELECT count(*) FILTER (WHERE (setpost_card_clear_verdict(k.id)).safe)"
	"  FROM cards k JOIN days d ON d.id = k.day_id WHERE d.production_id = pr.id))::text"
	" FROM productions pr CROSS JOIN setpost_copy_policy(pr.id) p"
	" LEFT JOIN copy_policies cp ON cp.production_id = pr.id WHERE pr.id = $1", 1 };

/* The production row is locked: two changes of the policy are made one after the other. */
static const struct db_stmt stmt_lock = { "copy_policy_lock",
	"SELECT p.copies, p.media_types, p.archive, p.offsite FROM productions pr"
	" CROSS JOIN setpost_copy_policy(pr.id) p WHERE pr.id = $1 FOR UPDATE OF pr", 1 };

static const struct db_stmt stmt_put = { "copy_policy_put",
	"INSERT INTO copy_policies (production_id, copies, media_types, archive, offsite, updated_by)"
	" VALUES ($1, $2::int, $3::int, $4, $5::bool, $6) ON CONFLICT (production_id) DO UPDATE SET"
	" copies = EXCLUDED.copies, media_types = EXCLUDED.media_types, archive = EXCLUDED.archive,"
	" offsite = EXCLUDED.offsite, updated_by = EXCLUDED.updated_by, updated_at = now()", 6 };

static const struct db_stmt stmt_clear = { "copy_policy_card_clear",
	"SELECT safe, why_not::text FROM setpost_card_clear_verdict($1)", 1 };

static const char *const archives[] = { "none", "lto", "receipt", "lto_or_receipt", NULL };

static int
policy_read(struct db_conn *c, long long production_id, json_t **out, struct err *err)
{
	struct db_params q = { 0 };
	PGresult *r;
	int n;

	db_param_ll(&q, production_id);
	if ((n = db_query(c, &stmt_get, q.v, &r, err)) < 0)
		return n;
	*out = n ? json_loads(PQgetvalue(r, 0, 0), 0, NULL) : NULL;
	PQclear(r);
	if (n == 0)
		return err_set(err, SP_ENOTFOUND, "production %lld not found", production_id);
	if (*out == NULL)
		return err_set(err, SP_EINTERNAL, "copy policy: unreadable answer from the database");
	return 0;
}

struct get_ctx {
	long long production;
	json_t *out;
};

static int
get_tx(struct db_conn *c, void *arg, struct err *err)
{
	struct get_ctx *x = arg;

	return policy_read(c, x->production, &x->out, err);
}

int
copy_policy_get(struct db *db, long long production_id, json_t **out, struct err *err)
{
	struct get_ctx x = { production_id, NULL };
	int rc;

	if ((rc = db_tx(db, get_tx, &x, err)) < 0) {
		json_decref(x.out);
		return rc;
	}
	*out = x.out;
	return 0;
}

struct set_ctx {
	long long production;
	json_t *patch;
	const char *actor;
	json_t *out;
};

static int
policy_check(json_t *patch, long long *copies, long long *types, const char **archive,
    bool *offsite, struct err *err)
{
	static const char *const fields[] = { "copies", "media_types", "archive", "offsite", NULL };
	const char *const *a = archives;

	if (!json_is_object(patch))
		return err_set(err, SP_EINVAL, "expected an object");
	if (json_only_fields(patch, fields, err) < 0 ||
	    json_get_int(patch, "copies", false, 1, 10, copies, err) < 0 ||
	    json_get_int(patch, "media_types", false, 1, 4, types, err) < 0 ||
	    json_get_string(patch, "archive", false, 16, archive, err) < 0 ||
	    json_get_bool(patch, "offsite", false, offsite, err) < 0)
		return SP_EINVAL;
	while (*a && strcmp(*a, *archive) != 0)
		a++;
	if (*a == NULL)
		return err_set(err, SP_EINVAL, "archive: expected none, lto, receipt or lto_or_receipt");
	/* Each media type needs a copy of its own. */
	if (*types > *copies)
		return err_set(err, SP_EINVAL, "media_types: %lld media types need at least %lld "
		    "copies, the policy asks for %lld", *types, *types, *copies);
	return 0;
}

static int
set_tx(struct db_conn *c, void *arg, struct err *err)
{
	struct set_ctx *x = arg;
	struct db_params q = { 0 };
	char arch[16];
	const char *archive;
	long long copies, types;
	bool offsite;
	PGresult *r;
	json_t *data;
	int n;

	db_param_ll(&q, x->production);
	if ((n = db_query(c, &stmt_lock, q.v, &r, err)) < 0)
		return n;
	if (n == 0) {
		PQclear(r);
		return err_set(err, SP_ENOTFOUND, "production %lld not found", x->production);
	}
	copies = db_ll(r, 0, 0);
	types = db_ll(r, 0, 1);
	snprintf(arch, sizeof(arch), "%s", PQgetvalue(r, 0, 2));
	offsite = db_bool(r, 0, 3);
	PQclear(r);
	archive = arch;
	if ((n = policy_check(x->patch, &copies, &types, &archive, &offsite, err)) < 0)
		return n;
	if (archive != arch)
		snprintf(arch, sizeof(arch), "%s", archive);
	db_param_ll(&q, copies);
	db_param_ll(&q, types);
	db_param_str(&q, arch);
	db_param_str(&q, offsite ? "true" : "false");
	db_param_str(&q, x->actor);
	if ((n = db_query(c, &stmt_put, q.v, &r, err)) < 0)
		return n;
	PQclear(r);
	data = json_pack("{s:I,s:I,s:s,s:b}", "copies", (json_int_t)copies, "media_types",
	    (json_int_t)types, "archive", arch, "offsite", offsite);
	n = event_record(c, x->actor, "production.copy_policy", "production", x->production, data,
	    NULL, err);
	json_decref(data);
	if (n < 0)
		return n;
	return policy_read(c, x->production, &x->out, err);
}

int
copy_policy_set(struct db *db, long long production_id, json_t *patch, const char *actor,
    json_t **out, struct err *err)
{
	struct set_ctx x = { production_id, patch, actor, NULL };
	int rc;

	if ((rc = db_tx(db, set_tx, &x, err)) < 0) {
		json_decref(x.out);
		return rc;
	}
	*out = x.out;
	return 0;
}

int
copy_policy_card_clear(struct db_conn *c, long long card_id, bool *safe, json_t **why_not,
    struct err *err)
{
	struct db_params q = { 0 };
	PGresult *r;
	int n;

	db_param_ll(&q, card_id);
	if ((n = db_query(c, &stmt_clear, q.v, &r, err)) < 0)
		return n;
	*safe = n > 0 && db_bool(r, 0, 0);
	*why_not = n > 0 ? json_loads(PQgetvalue(r, 0, 1), 0, NULL) : NULL;
	if (*why_not == NULL)
		*why_not = json_array();
	PQclear(r);
	return 0;
}

int
copy_policy_card_annotate(struct db_conn *c, long long card_id, json_t *obj, struct err *err)
{
	json_t *why;
	bool safe;
	int rc;

	if ((rc = copy_policy_card_clear(c, card_id, &safe, &why, err)) < 0)
		return rc;
	json_object_set_new(obj, "safe_to_clear", json_boolean(safe));
	json_object_set_new(obj, "why_not_clear", why);
	return 0;
}
