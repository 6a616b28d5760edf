/* targets: the post houses' receivers deliveries go to, with their recipient key and headers
 * (sealed in the database). */
#include "http.h"
#include "lib/store/event.h"
#include "lib/core/json.h"
#include "lib/delivery/sealed.h"
#include "lib/core/outbound.h"
#include "lib/store/params.h"

#include <limits.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct db_stmt stmt_targets = { "library_targets",
	LIST("SELECT id, production_id, name, kind, url, recipient, s3, bandwidth_limit, enabled,"
	" created_by, created_at FROM targets WHERE $1::bigint = 0 OR production_id = $1 ORDER BY name"), 1 };

enum MHD_Result
targets_list(struct request *req)
{
	struct db_params q = { 0 };

	/* A token for one production sees that production's targets only (issue 14). */
	db_param_ll(&q, req->who.production_id);
	return reply_items(req, &stmt_targets, q.v);
}

static const struct db_stmt stmt_target_add = { "library_target_add",
	"INSERT INTO targets (production_id, name, url, recipient, bandwidth_limit, headers_sealed,"
	" created_by, created_by_user_id, created_by_token_id, kind, s3)"
	" VALUES ($1, $2, $3, $4, $5::bigint, decode($6, 'hex'), $7, $8::bigint, $9::bigint, $10,"
	" $11::jsonb)"
	" RETURNING json_build_object('id', id,"
	" 'production_id', production_id, 'name', name, 'kind', kind, 'url', url, 'recipient', recipient,"
	" 's3', s3, 'bandwidth_limit', bandwidth_limit, 'enabled', enabled,"
	" 'headers', kind = 'tus' AND headers_sealed IS NOT NULL,"
	" 'credentials', kind = 's3' AND headers_sealed IS NOT NULL,"
	" 'created_by', created_by, 'created_at', created_at)::text", 11 };

/* The target's headers (a post house's token) are sealed with the key in DATA/keys: the
 * database never holds them in the clear. Workers that deliver need the same key file. */
static int
targets_seal_headers(struct request *req, json_t *headers, char **hex, struct err *err)
{
	char keydir[PATH_MAX + 8], *text;
	uint8_t key[SEALED_KEY_LEN], *blob;
	size_t blen;
	const char *k;
	json_t *v;
	int rc;

	*hex = NULL;
	if (headers == NULL)
		return 0;
	if (!json_is_object(headers))
		return err_set(err, SP_EINVAL, "headers: expected an object of header name: value");
	json_object_foreach(headers, k, v)
		if (!json_is_string(v) || strpbrk(k, "\r\n: ") || strpbrk(json_string_value(v), "\r\n") ||
		    *k == '\0')
			return err_set(err, SP_EINVAL, "headers.%.60s: expected a header name and a one-line "
			    "value", k);
	snprintf(keydir, sizeof(keydir), "%s/keys", req->srv->cfg->data_dir);
	if ((rc = sealed_key_load(keydir, key, err)) < 0)
		return rc;
	text = json_dumps(headers, JSON_COMPACT);
	rc = sealed_seal(key, (const uint8_t *)text, strlen(text), &blob, &blen, err);
	sodium_memzero(text, strlen(text));
	free(text);
	sodium_memzero(key, sizeof(key));
	if (rc < 0)
		return rc;
	*hex = malloc(blen * 2 + 1);
	sodium_bin2hex(*hex, blen * 2 + 1, blob, blen);
	free(blob);
	return 0;
}
/* An s3 target's {region, bucket, prefix, path_style}, checked, as JSON text (*out, freed by
 * the caller); its credentials must be there, both, as strings. */
static int
targets_s3_fields(json_t *body, char **out, struct err *err)
{
	json_t *s3 = json_object_get(body, "s3"), *cred = json_object_get(body, "credentials");
	json_t *ps = json_object_get(s3, "path_style");
	const char *region, *bucket, *prefix = "", *ak, *sk;
	const char *k;
	json_t *v;

	*out = NULL;
	if (!json_is_object(s3))
		return err_set(err, SP_EINVAL, "s3: expected {\"region\", \"bucket\", \"prefix\", \"path_style\"}");
	json_object_foreach(s3, k, v)
		if (strcmp(k, "region") && strcmp(k, "bucket") && strcmp(k, "prefix") && strcmp(k, "path_style"))
			return err_set(err, SP_EINVAL, "s3.%.40s: unknown field", k);
	if (json_get_string(s3, "region", true, 64, &region, err) < 0 ||
	    json_get_string(s3, "bucket", true, 63, &bucket, err) < 0 ||
	    json_get_string(s3, "prefix", false, 512, &prefix, err) < 0)
		return err_prefix(err, "s3.");
	if (*region == '\0' || strspn(region, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(region))
		return err_set(err, SP_EINVAL, "s3.region: expected a region name (us-east-1)");
	if (strlen(bucket) < 3 || strspn(bucket, "abcdefghijklmnopqrstuvwxyz0123456789-.") != strlen(bucket))
		return err_set(err, SP_EINVAL, "s3.bucket: expected a bucket name (3 to 63 of a-z 0-9 . -)");
	if (prefix && (strstr(prefix, "..") || *prefix == '/' || strpbrk(prefix, "\r\n\\")))
		return err_set(err, SP_EINVAL, "s3.prefix: expected a key prefix (\"dailies/\"), no leading / or ..");
	if (ps && !json_is_boolean(ps))
		return err_set(err, SP_EINVAL, "s3.path_style: expected true or false");
	if (!json_is_object(cred) || json_object_size(cred) != 2 ||
	    json_get_string(cred, "access_key_id", true, 256, &ak, err) < 0 ||
	    json_get_string(cred, "secret_access_key", true, 256, &sk, err) < 0 || !*ak || !*sk)
		return err_set(err, SP_EINVAL, "credentials: expected {\"access_key_id\", \"secret_access_key\"}");
	json_t *clean = json_pack("{s:s,s:s,s:s,s:b}", "region", region, "bucket", bucket, "prefix",
	    prefix ? prefix : "", "path_style", ps ? json_is_true(ps) : 1);
	*out = json_dumps(clean, JSON_COMPACT);
	json_decref(clean);
	return 0;
}

static const struct db_stmt stmt_target_del = { "library_target_del",
	"DELETE FROM targets WHERE id = $1", 1 };

enum MHD_Result
targets_create(struct request *req)
{
	static const char *const fields[] = { "production_id", "name", "url", "recipient",
		"bandwidth_limit", "headers", "kind", "s3", "credentials", NULL };
	const char *name, *url, *recipient = NULL, *kind = "tus";
	char *s3 = NULL;
	json_t *secrets;
	struct db_params q = { 0 };
	struct outbound_policy policy;
	char *sealed = NULL;
	long long prod, limit = 0;
	struct err err;
	PGresult *r;
	int rc;

	if (!request_json(req, fields) ||
	    !request_field_ok(req, json_get_int(req->json, "production_id", true, 1, INT64_MAX, &prod, &err), &err) ||
	    !request_field_ok(req, json_get_string(req->json, "name", true, 200, &name, &err), &err) ||
	    !request_field_ok(req, json_get_string(req->json, "url", true, 2000, &url, &err), &err) ||
	    !request_field_ok(req, json_get_string(req->json, "kind", false, 8, &kind, &err), &err))
		return MHD_YES;
	if (strcmp(kind, "tus") && strcmp(kind, "s3"))
		return reply_error(req, 400, "invalid", "kind: expected \"tus\" or \"s3\"");
	bool is_s3 = strcmp(kind, "s3") == 0;
	if (!request_field_ok(req, json_get_string(req->json, "recipient", !is_s3, 200, &recipient, &err), &err) ||
	    !request_field_ok(req, rc = json_get_int(req->json, "bandwidth_limit", false, 1, INT64_MAX, &limit, &err), &err))
		return MHD_YES;
	if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
		return reply_error(req, 400, "invalid", "url: expected an http:// or https:// address");
	/* Deliveries go where the outbound policy allows (issue 14: no SSRF through a target). */
	if (outbound_policy_parse(&policy, req->srv->cfg->outbound_allow, &err) < 0 ||
	    outbound_check_url(&policy, url, &err) < 0)
		return reply_err(req, &err);
	if (recipient && (strncmp(recipient, "age1", 4) || strspn(recipient + 4,
	    "023456789acdefghjklmnpqrstuvwxyz") != strlen(recipient + 4)))
		return reply_error(req, 400, "invalid", "recipient: expected an age public key (age1…)");
	/* An s3 target: its bucket, and its keys sealed where a tus target keeps its headers. */
	if (is_s3 && json_object_get(req->json, "headers"))
		return reply_error(req, 400, "invalid", "headers: an s3 target takes credentials instead");
	if (!is_s3 && (json_object_get(req->json, "s3") || json_object_get(req->json, "credentials")))
		return reply_error(req, 400, "invalid", "s3, credentials: only for a target of kind \"s3\"");
	if (is_s3 && targets_s3_fields(req->json, &s3, &err) < 0)
		return reply_err(req, &err);
	secrets = is_s3 ? json_object_get(req->json, "credentials") : json_object_get(req->json, "headers");
	db_param_ll(&q, prod);
	db_param_str(&q, name);
	db_param_str(&q, url);
	db_param_str(&q, recipient);
	db_param_ll_if(&q, rc == 0, limit);
	if (targets_seal_headers(req, secrets, &sealed, &err) < 0) {
		free(s3);
		return reply_err(req, &err);
	}
	db_param_str(&q, sealed);
	db_param_str(&q, req->who.name);
	db_param_ll_if(&q, req->who.user_id != 0, req->who.user_id);
	db_param_ll_if(&q, req->who.token_id != 0, req->who.token_id);
	db_param_str(&q, kind);
	db_param_str(&q, s3);
	rc = db_exec(req->srv->db, &stmt_target_add, q.v, &r, &err);
	free(sealed);
	free(s3);
	if (rc < 0)
		return reply_err(req, &err);
	json_object_del(req->json, "headers");   /* never into the event log */
	json_object_del(req->json, "credentials");
	event_record_db(req->srv->db, req->who.name, "target.created", "target",
	    strtoll(strstr(PQgetvalue(r, 0, 0), ":") + 1, NULL, 10), req->json, NULL);
	return reply_first_column(req, 201, r);
}

enum MHD_Result
targets_delete(struct request *req)
{
	return reply_deleted(req, &stmt_target_del, "target", "target");
}
