/* verification: every check of a copy, and a copy's state as its latest check says (see
 * verification.h). */
#include "lib/custody/verification.h"
#include "lib/pipeline/clipstate.h"
#include "lib/custody/copy_policy.h"
#include "lib/store/event.h"
#include "lib/core/json.h"
#include "lib/store/params.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct db_stmt stmt_insert = { "verification_insert",
	"INSERT INTO verifications (copy_id, checked_at, actor, source, tool, generation, result,"
	" algorithm, expected, found, error)"
	" VALUES ($1, least(coalesce($2::timestamptz, now()), now()), $3, $4, $5, $6::integer, $7, $8, $9, $10,"
	" $11) RETURNING id", 11 };

/* The copy takes its latest check's result. Checks are ordered by the second they were made in
 * (a history's times have whole seconds; a registration's have microseconds), then by the order
 * they were recorded: a failed verify reported in the same second as the registration it
 * contradicts must not lose to it for being stamped 0.7 s "earlier". Returns the state before and after, whether the
 * new check is the latest, and what a copy.failed event names. */
static const struct db_stmt stmt_apply = { "verification_apply",
	"WITH l AS (SELECT id, result, checked_at, error FROM verifications WHERE copy_id = $1"
	"  ORDER BY date_trunc('second', checked_at) DESC, id DESC LIMIT 1),"
	" old AS (SELECT state FROM copies WHERE id = $1 FOR UPDATE)"
	" UPDATE copies cp SET state = l.result,"
	"  verified_at = CASE WHEN l.result = 'verified' THEN l.checked_at END,"
	"  error = CASE WHEN l.result = 'verified' THEN NULL ELSE coalesce(l.error, l.result) END"
	" FROM l, old WHERE cp.id = $1"
	" RETURNING old.state, cp.state, l.id = $2::bigint,"
	"  (SELECT f.card_id FROM files f WHERE f.id = cp.file_id),"
	"  (SELECT f.rel_path FROM files f WHERE f.id = cp.file_id),"
	"  (SELECT v.name FROM volumes v WHERE v.id = cp.volume_id), cp.rel_path", 2 };

static void
set_opt(json_t *o, const char *k, const char *v)
{
	if (v != NULL)
		json_object_set_new(o, k, json_string(v));
}

int
verification_record(struct db_conn *c, const struct verification *v, const char *actor,
    struct err *err)
{
	struct db_params pi = { 0 }, pa = { 0 };
	PGresult *r;
	long long id;
	int n, rc = 0;

	db_param_ll(&pi, v->copy_id);
	db_param_str(&pi, v->checked_at);
	db_param_str(&pi, actor);
	db_param_str(&pi, v->source);
	db_param_str(&pi, v->tool);
	db_param_ll_if(&pi, v->generation > 0, v->generation);
	db_param_str(&pi, v->result);
	db_param_str(&pi, v->algorithm);
	db_param_str(&pi, v->expected);
	db_param_str(&pi, v->found);
	db_param_str(&pi, v->error);
	if ((n = db_query(c, &stmt_insert, pi.v, &r, err)) < 0)
		return n;
	id = db_ll(r, 0, 0);
	PQclear(r);
	db_param_ll(&pa, v->copy_id);
	db_param_ll(&pa, id);
	if ((n = db_query(c, &stmt_apply, pa.v, &r, err)) < 0)
		return n;
	if (n == 0) {
		PQclear(r);
		return err_set(err, SP_ENOTFOUND, "copy %lld not found", v->copy_id);
	}
	bool changed = strcmp(PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1)) != 0;
	bool was_bad = strcmp(PQgetvalue(r, 0, 0), "failed") == 0 ||
	    strcmp(PQgetvalue(r, 0, 0), "missing") == 0;
	/* A copy that turns bad: the file, the copy, and what was expected and found. */
	if (db_bool(r, 0, 2) && strcmp(v->result, "verified") != 0 && !was_bad) {
		json_t *data = json_pack("{s:s,s:{s:s,s:s},s:s,s:s}", "file", PQgetvalue(r, 0, 4),
		    "copy", "volume", PQgetvalue(r, 0, 5), "path", PQgetvalue(r, 0, 6), "result",
		    v->result, "source", v->source);
		set_opt(data, "algorithm", v->algorithm);
		set_opt(data, "expected", v->expected);
		set_opt(data, "found", v->found);
		set_opt(data, "error", v->error);
		if (v->generation > 0)
			json_object_set_new(data, "generation", json_integer(v->generation));
		rc = event_record(c, actor, "copy.failed", "card", db_ll(r, 0, 3), data, NULL, err);
		json_decref(data);
	}
	PQclear(r);
	return rc < 0 ? rc : changed;
}

bool
verification_time_ok(const char *s)
{
	struct tm tm = { 0 };
	const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);

	return end != NULL && strcmp(end, "Z") == 0;
}

int
custody_card_before(struct db_conn *c, long long card_id, bool *was_safe, struct err *err)
{
	json_t *why = NULL;
	int rc = clipstate_card_safe(c, card_id, was_safe, &why, err);

	json_decref(why);
	return rc;
}

/* The copies of a card that are bad now, with what their latest check found. */
static const struct db_stmt stmt_bad = { "verification_bad_copies",
	"SELECT coalesce(json_agg(json_strip_nulls(json_build_object('file', f.rel_path,"
	"  'copy', json_build_object('volume', v.name, 'path', cp.rel_path), 'result', cp.state,"
	"  'algorithm', l.algorithm, 'expected', l.expected, 'found', l.found, 'error', cp.error,"
	"  'generation', l.generation, 'checked_at', l.checked_at))"
	"  ORDER BY f.rel_path, v.name), '[]')::text"
	" FROM files f JOIN copies cp ON cp.file_id = f.id JOIN volumes v ON v.id = cp.volume_id"
	" LEFT JOIN LATERAL (SELECT x.algorithm, x.expected, x.found, x.generation, x.checked_at"
	"  FROM verifications x WHERE x.copy_id = cp.id ORDER BY date_trunc('second', x.checked_at) DESC, x.id DESC"
	"  LIMIT 1) l ON true"
	" WHERE f.card_id = $1 AND cp.state IN ('failed', 'missing')", 1 };

static const struct db_stmt stmt_label = { "verification_card_label",
	"SELECT label FROM cards WHERE id = $1", 1 };

static int
custody_card_unsafe(struct db_conn *c, long long card_id, json_t *why, const char *actor,
    struct err *err)
{
	struct db_params q = { 0 };
	PGresult *r;
	json_t *data, *bad;
	int n, rc;

	db_param_ll(&q, card_id);
	if ((n = db_query(c, &stmt_bad, q.v, &r, err)) < 0)
		return n;
	bad = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
	PQclear(r);
	if ((n = db_query(c, &stmt_label, q.v, &r, err)) < 0) {
		json_decref(bad);
		return n;
	}
	data = json_pack("{s:s,s:O,s:o}", "card", n ? PQgetvalue(r, 0, 0) : "", "why_not", why,
	    "copies", bad ? bad : json_array());
	PQclear(r);
	rc = event_record(c, actor, "card.unsafe", "card", card_id, data, NULL, err);
	json_decref(data);
	return rc;
}

int
custody_card_after(struct db_conn *c, long long card_id, bool was_safe, const char *actor,
    bool *safe, json_t **why_not, struct err *err)
{
	json_t *why = NULL;
	bool now;
	int changed, rc;

	if ((changed = clipstate_refresh_card(c, card_id, actor, err)) < 0)
		return changed;
	if ((rc = clipstate_card_safe(c, card_id, &now, &why, err)) < 0)
		return rc;
	if (was_safe && !now && (rc = custody_card_unsafe(c, card_id, why, actor, err)) < 0) {
		json_decref(why);
		return rc;
	}
	if (safe)
		*safe = now;
	if (why_not)
		*why_not = why;
	else
		json_decref(why);
	return changed;
}

/* --- a report from `setpost verify` ------------------------------------------------------ */

#define REPORT_MAX_FILES 200000
#define REPORT_MAX_CARDS 64

static const char *const report_results[] = { "verified", "failed", "missing", NULL };

static int
report_check_file(json_t *f, size_t i, struct err *err)
{
	static const char *const fields[] = { "path", "result", "generation", "algorithm",
		"expected", "found", "error", NULL };
	const char *s;
	long long g;
	const char *const *r = report_results;

	if (!json_is_object(f))
		return err_set(err, SP_EINVAL, "files[%zu]: expected an object", i);
	if (json_only_fields(f, fields, err) < 0 ||
	    json_get_string(f, "path", true, 4096, &s, err) < 0 ||
	    json_get_string(f, "result", true, 16, &s, err) < 0)
		return err_prefix(err, "files[%zu].", i);
	while (*r && strcmp(*r, s) != 0)
		r++;
	if (*r == NULL)
		return err_set(err, SP_EINVAL, "files[%zu].result: expected verified, failed or "
		    "missing", i);
	if (json_get_int(f, "generation", false, 1, 1000000, &g, err) < 0 ||
	    json_get_string(f, "algorithm", false, 16, &s, err) < 0 ||
	    json_get_string(f, "expected", false, 200, &s, err) < 0 ||
	    json_get_string(f, "found", false, 200, &s, err) < 0 ||
	    json_get_string(f, "error", false, 2000, &s, err) < 0)
		return err_prefix(err, "files[%zu].", i);
	return 0;
}

static int
report_check(json_t *doc, struct err *err)
{
	static const char *const fields[] = { "volume", "path", "checked_at", "generation", "tool",
		"files", NULL };
	static const char *const vfields[] = { "key", "name", "kind", "host", "mount_path",
		"device_id", NULL };
	json_t *vol = json_object_get(doc, "volume"), *files = json_object_get(doc, "files"), *f;
	const char *s;
	long long g;
	size_t i;
	int rc;

	if (!json_is_object(doc))
		return err_set(err, SP_EINVAL, "expected a JSON object");
	if ((rc = json_only_fields(doc, fields, err)) < 0 ||
	    (rc = json_get_string(doc, "path", true, 4096, &s, err)) < 0 ||
	    (rc = json_get_string(doc, "checked_at", false, 40, &s, err)) < 0 ||
	    (rc = json_get_string(doc, "tool", false, 200, &s, err)) < 0 ||
	    (rc = json_get_int(doc, "generation", false, 1, 1000000, &g, err)) < 0)
		return rc;
	if (json_get_string(doc, "checked_at", false, 40, &s, err) == 0 && !verification_time_ok(s))
		return err_set(err, SP_EINVAL, "checked_at: expected a UTC time as "
		    "YYYY-MM-DDThh:mm:ssZ");
	if (!json_is_object(vol))
		return err_set(err, SP_EINVAL, "volume: expected an object with a key");
	if (json_only_fields(vol, vfields, err) < 0 ||
	    json_get_string(vol, "key", true, 200, &s, err) < 0)
		return err_prefix(err, "volume.");
	if (!json_is_array(files) || json_array_size(files) > REPORT_MAX_FILES)
		return err_set(err, SP_EINVAL, "files: expected an array of at most %d files",
		    REPORT_MAX_FILES);
	json_array_foreach(files, i, f)
		if ((rc = report_check_file(f, i, err)) < 0)
			return rc;
	return 0;
}

static const struct db_stmt stmt_match = { "verification_match",
	"SELECT cp.id, f.card_id FROM copies cp JOIN volumes v ON v.id = cp.volume_id"
	" JOIN files f ON f.id = cp.file_id WHERE v.fs_uuid = $1 AND cp.rel_path = $2"
	" ORDER BY cp.id", 2 };

struct report_card {
	long long id;
	bool was_safe;
};

struct report_ctx {
	json_t *doc;
	const char *actor;
	json_t *result;
	struct report_card cards[REPORT_MAX_CARDS];
	int ncards;
};

static int
report_card_seen(struct db_conn *c, struct report_ctx *x, long long card_id, struct err *err)
{
	int rc;

	for (int i = 0; i < x->ncards; i++)
		if (x->cards[i].id == card_id)
			return 0;
	if (x->ncards == REPORT_MAX_CARDS)
		return err_set(err, SP_EINVAL, "files: copies of more than %d cards in one report",
		    REPORT_MAX_CARDS);
	x->cards[x->ncards].id = card_id;
	rc = custody_card_before(c, card_id, &x->cards[x->ncards].was_safe, err);
	x->ncards++;
	return rc;
}

static int
report_file(struct db_conn *c, struct report_ctx *x, json_t *f, bool record, long long *hits,
    struct err *err)
{
	const char *base = json_string_value(json_object_get(x->doc, "path"));
	const char *key = json_string_value(json_object_get(json_object_get(x->doc, "volume"), "key"));
	json_t *gj = json_object_get(f, "generation");
	char rel[8300];
	PGresult *r;
	int n, rc = 0;

	if (!json_is_integer(gj))
		gj = json_object_get(x->doc, "generation");
	snprintf(rel, sizeof(rel), "%s%s%s", base, *base ? "/" : "",
	    json_string_value(json_object_get(f, "path")));
	const char *p[2] = { key, rel };
	if ((n = db_query(c, &stmt_match, p, &r, err)) < 0)
		return n;
	*hits = n;
	for (int i = 0; i < n && rc >= 0; i++) {
		struct verification v = {
			.copy_id = db_ll(r, i, 0),
			.checked_at = json_string_value(json_object_get(x->doc, "checked_at")),
			.source = "verify",
			.tool = json_string_value(json_object_get(x->doc, "tool")),
			.generation = json_is_integer(gj) ? (int)json_integer_value(gj) : 0,
			.result = json_string_value(json_object_get(f, "result")),
			.algorithm = json_string_value(json_object_get(f, "algorithm")),
			.expected = json_string_value(json_object_get(f, "expected")),
			.found = json_string_value(json_object_get(f, "found")),
			.error = json_string_value(json_object_get(f, "error")),
		};
		rc = record ? verification_record(c, &v, x->actor, err) :
		    report_card_seen(c, x, db_ll(r, i, 1), err);
	}
	PQclear(r);
	return rc < 0 ? rc : 0;
}

static int
report_tx(struct db_conn *c, void *arg, struct err *err)
{
	struct report_ctx *x = arg;
	json_t *files = json_object_get(x->doc, "files"), *f, *cards = json_array();
	long long hits, recorded = 0, unknown = 0;
	size_t i;
	int rc = 0;

	x->ncards = 0;
	/* Every card's verdict before any check is recorded, then the checks, then the verdicts. */
	json_array_foreach(files, i, f)
		if ((rc = report_file(c, x, f, false, &hits, err)) < 0)
			goto out;
	json_array_foreach(files, i, f) {
		if ((rc = report_file(c, x, f, true, &hits, err)) < 0)
			goto out;
		recorded += hits;
		unknown += hits == 0;
	}
	for (int k = 0; k < x->ncards; k++) {
		struct db_params q = { 0 };
		PGresult *r;
		json_t *why;
		bool safe;

		if ((rc = custody_card_after(c, x->cards[k].id, x->cards[k].was_safe, x->actor, &safe,
		    &why, err)) < 0)
			goto out;
		db_param_ll(&q, x->cards[k].id);
		if ((rc = db_query(c, &stmt_label, q.v, &r, err)) < 0) {
			json_decref(why);
			goto out;
		}
		json_t *card = json_pack("{s:I,s:s,s:b,s:o}", "id",
		    (json_int_t)x->cards[k].id, "label", rc ? PQgetvalue(r, 0, 0) : "",
		    "safe_to_format", safe, "why_not", why);
		PQclear(r);
		json_array_append_new(cards, card);
		if ((rc = copy_policy_card_annotate(c, x->cards[k].id, card, err)) < 0)
			goto out;
	}
	rc = 0;
	json_decref(x->result);
	x->result = json_pack("{s:I,s:I,s:O}", "recorded", (json_int_t)recorded, "unknown",
	    (json_int_t)unknown, "cards", cards);
out:
	json_decref(cards);
	return rc;
}

int
verification_report(struct db *db, json_t *doc, const char *actor, json_t **result,
    struct err *err)
{
	struct report_ctx x = { .doc = doc, .actor = actor };
	int rc;

	if ((rc = report_check(doc, err)) < 0)
		return rc;
	if ((rc = db_tx(db, report_tx, &x, err)) < 0) {
		json_decref(x.result);
		return rc;
	}
	*result = x.result;
	return 0;
}

/* --- the production's rule changes ------------------------------------------------------- */

static const struct db_stmt stmt_prod_cards = { "verification_production_cards",
	"SELECT k.id, (setpost_card_verdict(k.id)).safe FROM cards k JOIN days d ON d.id = k.day_id"
	" WHERE d.production_id = $1 ORDER BY k.id", 1 };
static const struct db_stmt stmt_prod_set = { "verification_production_set",
	"UPDATE productions SET required_copies = $2::int WHERE id = $1", 2 };
static const struct db_stmt stmt_prod_safe = { "verification_production_safe",
	"SELECT count(*) FILTER (WHERE (setpost_card_verdict(k.id)).safe) FROM cards k"
	" JOIN days d ON d.id = k.day_id WHERE d.production_id = $1", 1 };

struct required_ctx {
	long long production;
	int n;
	const char *actor;
	int cards, safe;
};

static int
required_tx(struct db_conn *c, void *arg, struct err *err)
{
	struct required_ctx *x = arg;
	char num[16];
	struct db_params q = { 0 };
	PGresult *r, *s;
	int n, rc = 0;

	db_param_ll(&q, x->production);
	db_param_str(&q, num);
	snprintf(num, sizeof(num), "%d", x->n);
	if ((n = db_query(c, &stmt_prod_cards, q.v, &r, err)) < 0)
		return n;
	if ((rc = db_query(c, &stmt_prod_set, q.v, NULL, err)) == 0)
		rc = err_set(err, SP_ENOTFOUND, "production %lld not found", x->production);
	for (int i = 0; i < n && rc >= 0; i++)
		rc = custody_card_after(c, db_ll(r, i, 0), db_bool(r, i, 1), x->actor, NULL, NULL, err);
	PQclear(r);
	if (rc < 0)
		return rc;
	x->cards = n;
	if ((rc = db_query(c, &stmt_prod_safe, q.v, &s, err)) < 0)
		return rc;
	x->safe = (int)db_ll(s, 0, 0);
	PQclear(s);
	return 0;
}

int
custody_required_copies_apply(struct db_conn *c, long long production_id, int n,
    const char *actor, int *cards, int *safe, struct err *err)
{
	struct required_ctx x = { production_id, n, actor, 0, 0 };
	int rc;

	if (n < 1 || n > 10)
		return err_set(err, SP_EINVAL, "required_copies: expected 1 to 10");
	if ((rc = required_tx(c, &x, err)) < 0)
		return rc;
	if (cards)
		*cards = x.cards;
	if (safe)
		*safe = x.safe;
	return 0;
}

int
custody_required_copies_set(struct db *db, long long production_id, int n, const char *actor,
    int *cards, int *safe, struct err *err)
{
	struct required_ctx x = { production_id, n, actor, 0, 0 };
	int rc;

	if (n < 1 || n > 10)
		return err_set(err, SP_EINVAL, "required_copies: expected 1 to 10");
	if ((rc = db_tx(db, required_tx, &x, err)) < 0)
		return rc;
	if (cards)
		*cards = x.cards;
	if (safe)
		*safe = x.safe;
	return 0;
}
