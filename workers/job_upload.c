/* job_upload: one delivery: a camera original, a rendition or a report, encrypted to the target's age
 * recipient while it is read, sent with resumable tus uploads, and marked delivered only when
 * the receiver's receipt says it decrypted the file and found its size and xxh64. A target
 * without receipts (a third-party tus server) leaves the delivery `uploaded`.
 * The file key is kept in the database sealed under the key in DATA/keys, so a resumed upload
 * (another attempt, another worker with the same key) continues the same encrypted stream.
 * Payload: {"delivery_id": N}. */
#include "kinds.h"
#include "job_upload_int.h"
#include "lib/core/clock.h"
#include "lib/delivery/age.h"
#include "lib/delivery/age_source.h"
#include "lib/pipeline/clipstate.h"
#include "lib/core/config.h"
#include "lib/store/event.h"
#include "lib/store/params.h"
#include "lib/core/hash.h"
#include "lib/core/httpc.h"
#include "lib/core/log.h"
#include "lib/core/outbound.h"
#include "lib/custody/locate.h"
#include "lib/delivery/sealed.h"
#include "lib/delivery/tus_client.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The columns in the order of struct delivery's fields. */
static const struct db_stmt stmt_load = { "upload_load",
	"SELECT d.state, d.upload_url, encode(d.key_sealed, 'hex'), d.file_id, d.rendition_id,"
	" t.url, t.recipient, encode(t.headers_sealed, 'hex'), t.bandwidth_limit, t.enabled,"
	" coalesce((SELECT value FROM hashes h WHERE h.file_id = f.id AND h.algorithm = 'xxh64'), r.xxh64,"
	" rf.xxh64), coalesce(c.name, ''), coalesce(p.name, ''), coalesce(dy.shoot_date::text, ''),"
	" coalesce(k.label, CASE WHEN rf.id IS NOT NULL THEN 'reports' END, ''), t.kind, t.s3::text,"
	" d.s3_upload_id, coalesce(p.settings->>'unit', ''), coalesce(r.version, 1)::text, rf.rel_path"
	" FROM deliveries d JOIN targets t ON t.id = d.target_id"
	" LEFT JOIN files f ON f.id = d.file_id LEFT JOIN renditions r ON r.id = d.rendition_id"
	" LEFT JOIN report_files rf ON rf.id = d.report_file_id"
	" LEFT JOIN clips c ON c.id = coalesce(f.clip_id, r.clip_id)"
	" LEFT JOIN cards k ON k.id = coalesce(f.card_id, c.card_id, rf.card_id)"
	" LEFT JOIN days dy ON dy.id = coalesce(k.day_id, rf.day_id)"
	" LEFT JOIN productions p ON p.id = dy.production_id"
	" WHERE d.id = $1", 1 };
static const struct db_stmt stmt_key = { "upload_key",
	"UPDATE deliveries SET key_sealed = decode($2, 'hex'), updated_at = now()"
	" WHERE id = $1 AND key_sealed IS NULL", 2 };
static const struct db_stmt stmt_created = { "upload_created",
	"UPDATE deliveries SET upload_url = $2, state = 'uploading', bytes_total = $3, bytes_sent = 0,"
	" error = NULL, updated_at = now() WHERE id = $1", 3 };
static const struct db_stmt stmt_sent = { "upload_sent",
	"UPDATE deliveries SET bytes_sent = $2, rate = $3::real, eta_seconds = $4::real,"
	" updated_at = now() WHERE id = $1", 4 };
static const struct db_stmt stmt_state = { "upload_state",
	"UPDATE deliveries SET state = $2, error = $3, receipt = coalesce($4::jsonb, receipt),"
	" rate = NULL, eta_seconds = NULL, updated_at = now() WHERE id = $1", 4 };
/* Loads delivery `id` into d; SP_ENOTFOUND when there is none. delivery_release frees it. */
int
delivery_load(struct job *job, long long id, struct delivery *d, struct err *err)
{
	const char *p[1] = { d->id };
	PGresult *r;
	int rc;

	memset(d, 0, sizeof(*d));
	snprintf(d->id, sizeof(d->id), "%lld", id);
	if ((rc = db_exec(job->db, &stmt_load, p, &r, err)) < 0)
		return rc;
	if (rc == 0) {
		PQclear(r);
		return err_set(err, SP_ENOTFOUND, "delivery %s not found", d->id);
	}
	*d = (struct delivery){ .state = PQgetvalue(r, 0, 0), .upload_url = db_val(r, 0, 1),
		.key_sealed = db_val(r, 0, 2), .file_id = db_ll(r, 0, 3), .rendition_id = db_val(r, 0, 4),
		.target_url = PQgetvalue(r, 0, 5), .recipient = PQgetvalue(r, 0, 6),
		.headers_sealed = db_val(r, 0, 7), .bandwidth_limit = db_ll(r, 0, 8),
		.enabled = db_bool(r, 0, 9), .xxh64 = db_val(r, 0, 10), .clip = PQgetvalue(r, 0, 11),
		.production = PQgetvalue(r, 0, 12), .day = PQgetvalue(r, 0, 13), .card = PQgetvalue(r, 0, 14),
		.kind = PQgetvalue(r, 0, 15), .s3 = db_val(r, 0, 16), .s3_upload_id = db_val(r, 0, 17),
		.unit = PQgetvalue(r, 0, 18), .version = PQgetvalue(r, 0, 19),
		.report_path = db_val(r, 0, 20), .res = r };
	snprintf(d->id, sizeof(d->id), "%lld", id);
	return 0;
}

void
delivery_release(struct delivery *d)
{
	PQclear(d->res);
	d->res = NULL;
}

static const struct db_stmt stmt_unit = { "upload_unit",
	"SELECT p.settings->>'unit' FROM deliveries d JOIN targets t ON t.id = d.target_id"
	" JOIN productions p ON p.id = t.production_id WHERE d.id = $1", 1 };

/* The share of the target's cap this delivery may use now: the cap split between the uploads
 * to the same target in progress by the weight of their class (the production's
 * settings.delivery_shares, else circled 8, proxies 4, sound 2, originals 1). So a proxy that
 * starts while an original is on the link takes most of it, and two uploads never take the
 * cap twice. $1 the delivery; answers its weight and the sum of the weights. */
static const struct db_stmt stmt_share = { "upload_share",
	"WITH w AS (SELECT d.id, coalesce((p.settings->'delivery_shares'->>(CASE"
	"  WHEN d.rendition_id IS NOT NULL AND c.circled THEN 'circled'"
	"  WHEN d.rendition_id IS NOT NULL THEN 'proxies' WHEN k.kind = 'sound' THEN 'sound'"
	"  ELSE 'originals' END))::float8, CASE"
	"  WHEN d.rendition_id IS NOT NULL AND c.circled THEN 8 WHEN d.rendition_id IS NOT NULL THEN 4"
	"  WHEN k.kind = 'sound' THEN 2 ELSE 1 END) AS weight"
	" FROM deliveries d JOIN deliveries me ON me.id = $1 AND d.target_id = me.target_id"
	" LEFT JOIN files f ON f.id = d.file_id LEFT JOIN renditions r ON r.id = d.rendition_id"
	" LEFT JOIN clips c ON c.id = coalesce(f.clip_id, r.clip_id)"
	" LEFT JOIN cards k ON k.id = coalesce(f.card_id, c.card_id)"
	" LEFT JOIN days dy ON dy.id = k.day_id LEFT JOIN productions p ON p.id = dy.production_id"
	" WHERE d.id = $1 OR d.state = 'uploading')"
	" SELECT (SELECT greatest(weight, 0.001) FROM w WHERE id = $1),"
	" sum(greatest(weight, 0.001)) FROM w", 1 };

static uint64_t
upload_share(void *arg)
{
	struct upload *u = arg;
	const char *p[1] = { u->did };
	struct err err;
	PGresult *r;
	uint64_t rate = u->cap;
	double mine, all;

	if (u->cap == 0 || db_exec(u->job->db, &stmt_share, p, &r, &err) < 0)
		return u->cap;
	mine = strtod(PQgetvalue(r, 0, 0), NULL);
	all = strtod(PQgetvalue(r, 0, 1), NULL);
	PQclear(r);
	if (mine > 0 && all >= mine)
		rate = (uint64_t)((double)u->cap * mine / all);
	if (rate < 1024)
		rate = 1024;
	if (u->share_min == 0 || rate < u->share_min)
		u->share_min = rate;
	if (rate > u->share_max)
		u->share_max = rate;
	return rate;
}

static const struct db_stmt stmt_going = { "upload_going",
	"UPDATE deliveries SET state = 'uploading', error = NULL, updated_at = now()"
	" WHERE id = $1 AND state = 'retrying'", 1 };

struct upload_state {
	const char *did, *state, *error, *receipt, *actor;
};

/* The delivery's new state, its event, and what it means for its clip, in one transaction.
 * A delivery made delivered by a verified receipt records delivery.verified; other states
 * delivery.<state> (delivery.uploaded, delivery.failed). */
static int
upload_state_tx(struct db_conn *c, void *arg, struct err *err)
{
	struct upload_state *u = arg;
	const char *p[4] = { u->did, u->state, u->error, u->receipt };
	long long id = strtoll(u->did, NULL, 10);
	json_t *data = json_pack("{s:s,s:s?}", "state", u->state, "error", u->error);
	char kind[40];
	PGresult *r;
	int rc;

	/* Its unit, so a post house (or a person) reading the events of two carts tells them apart. */
	if ((rc = db_query(c, &stmt_unit, p, &r, err)) < 0) {
		json_decref(data);
		return rc;
	}
	if (rc > 0 && db_val(r, 0, 0))
		json_object_set_new(data, "unit", json_string(PQgetvalue(r, 0, 0)));
	PQclear(r);

	if (strcmp(u->state, "delivered") == 0)
		snprintf(kind, sizeof(kind), "delivery.verified");
	else
		snprintf(kind, sizeof(kind), "delivery.%s", u->state);
	if ((rc = db_query(c, &stmt_state, p, NULL, err)) >= 0)
		rc = event_record(c, u->actor, kind, "delivery", id, data, NULL, err);
	json_decref(data);
	if (rc >= 0 && (strcmp(u->state, "delivered") == 0 || strcmp(u->state, "failed") == 0))
		rc = clipstate_refresh_deliveries(c, id, u->actor, err);
	return rc < 0 ? rc : 0;
}

int
upload_set_state(struct job *job, const char *did, const char *state, const char *error,
    json_t *receipt, struct err *err)
{
	char *r = receipt ? json_dumps(receipt, JSON_COMPACT) : NULL;
	struct upload_state u = { did, state, error, r, job->worker };
	struct err local, *e = err ? err : &local;
	int rc = db_tx(job->db, upload_state_tx, &u, e);

	/* A state that could not be recorded leaves the delivery saying what it said before (an
	 * attempt that failed for good would read "uploading" for ever): tried again twice, half a
	 * second apart, then said in the log. */
	for (int i = 0; rc < 0 && i < 2; i++) {
		log_warn("delivery %s: its state %s could not be recorded (trying again): %s", did,
		    state, e->msg);
		usleep(500000);
		rc = db_tx(job->db, upload_state_tx, &u, e);
	}
	if (rc < 0)
		log_error("delivery %s: its state %s could not be recorded: %s", did, state, e->msg);
	free(r);
	return rc < 0 ? rc : 0;
}

static int
upload_on_created(void *arg, const char *url, const char *why, struct err *err)
{
	struct upload *u = arg;
	struct db_params q = { 0 };

	(void)why;
	db_param_str(&q, u->did);
	db_param_str(&q, url);
	db_param_ull(&q, u->length);
	return db_exec(u->job->db, &stmt_created, q.v, NULL, err) < 0 ? SP_EDB : 0;
}

int
upload_on_progress(void *arg, const struct tus_progress *pr)
{
	struct upload *u = arg;
	struct db_params q = { 0 };
	double now = clock_now();

	/* A failed request the tus client will try again: said at once, with its reason, and
	 * again when the upload moves on. */
	if (pr->failures > u->failures && pr->note) {
		char why[512];
		snprintf(why, sizeof(why), "%s (try %u failed, next in %.0f s)", pr->note, pr->failures,
		    pr->wait_ms / 1000.0);
		upload_set_state(u->job, u->did, "retrying", why, NULL, NULL);
	} else if (pr->failures == 0 && u->failures > 0) {
		const char *pd[1] = { u->did };
		db_exec(u->job->db, &stmt_going, pd, NULL, NULL);
	}
	u->failures = pr->failures;
	if (now - u->last_db >= 1.0 || pr->offset == pr->length) {
		u->last_db = now;
		db_param_str(&q, u->did);
		db_param_ull(&q, pr->offset);
		if (pr->rate > 0)
			db_param_double(&q, pr->rate, 0);
		else
			db_param_str(&q, NULL);
		if (pr->eta >= 0)
			db_param_double(&q, pr->eta, 1);
		else
			db_param_str(&q, NULL);
		db_exec(u->job->db, &stmt_sent, q.v, NULL, NULL);
	}
	job_progress(u->job, pr->length ? (double)pr->offset / (double)pr->length : 1,
	    "%.1f of %.1f MB sent, %.1f MB/s", (double)pr->offset / 1e6, (double)pr->length / 1e6,
	    pr->rate / 1e6);
	return job_canceled(u->job) ? 1 : 0;
}

/* The age parameters of this delivery: made once and sealed in the database, so every attempt
 * produces the same ciphertext. */
int
upload_params(struct job *job, const struct delivery *d, struct age_enc_params *p,
    struct err *err)
{
	const struct config *cfg = job->ctx;
	uint8_t key[SEALED_KEY_LEN], *packed = NULL, *blob = NULL, *plain = NULL;
	size_t plen, blen, len;
	char keydir[PATH_MAX + 8];
	const char *hex = d->key_sealed, *did = d->id;
	int rc;

	snprintf(keydir, sizeof(keydir), "%s/keys", cfg->data_dir);
	if ((rc = sealed_key_load(keydir, key, err)) < 0)
		return rc;
	if (hex && *hex) {
		len = strlen(hex) / 2;
		blob = malloc(len + 1);
		sodium_hex2bin(blob, len, hex, strlen(hex), NULL, &blen, NULL);
		rc = sealed_open(key, blob, blen, &plain, &plen, err);
		if (rc == 0)
			rc = age_params_unpack(p, plain, plen, err);
		free(blob);
		sealed_free(plain, plen);
		if (rc < 0)
			err_prefix(err, "delivery %s: its sealed key does not open here (another "
			    "DATA/keys/server.key?): ", did);
		sodium_memzero(key, sizeof(key));
		return rc;
	}
	struct age_recipient rcp;
	if ((rc = age_recipient_parse(&rcp, d->recipient, err)) < 0 ||
	    (rc = age_params_init(p, NULL, &rcp, 1, err)) < 0 ||
	    (rc = age_params_pack(p, &packed, &plen, err)) < 0 ||
	    (rc = sealed_seal(key, packed, plen, &blob, &blen, err)) < 0)
		goto out;
	char *bhex = malloc(blen * 2 + 1);
	sodium_bin2hex(bhex, blen * 2 + 1, blob, blen);
	const char *pk[2] = { did, bhex };
	rc = db_exec(job->db, &stmt_key, pk, NULL, err);
	free(bhex);
	if (rc == 0) {
		/* Another worker sealed one first: use that one. */
		age_params_release(p);
		rc = SP_ECONFLICT;
		err_set(err, SP_ECONFLICT, "delivery %s: key made by another worker meanwhile", did);
	}
	rc = rc < 0 ? rc : 0;
out:
	sealed_free(packed, plen);
	free(blob);
	sodium_memzero(key, sizeof(key));
	return rc;
}

/* The target's extra headers ("Authorization: …"), kept sealed. */
int
upload_headers(struct job *job, const struct delivery *d, char ***out, size_t *n,
    struct err *err)
{
	const struct config *cfg = job->ctx;
	const char *hex = d->headers_sealed;
	uint8_t key[SEALED_KEY_LEN], *blob, *plain;
	char keydir[PATH_MAX + 8];
	size_t blen, plen;
	json_t *j, *v;
	const char *k;
	int rc;

	*out = NULL;
	*n = 0;
	if (hex == NULL || *hex == '\0')
		return 0;
	snprintf(keydir, sizeof(keydir), "%s/keys", cfg->data_dir);
	if ((rc = sealed_key_load(keydir, key, err)) < 0)
		return rc;
	blob = malloc(strlen(hex) / 2 + 1);
	sodium_hex2bin(blob, strlen(hex) / 2, hex, strlen(hex), NULL, &blen, NULL);
	rc = sealed_open(key, blob, blen, &plain, &plen, err);
	free(blob);
	sodium_memzero(key, sizeof(key));
	if (rc < 0)
		return err_prefix(err, "target headers: ");
	j = json_loadb((const char *)plain, plen, 0, NULL);
	sealed_free(plain, plen);
	*out = calloc(json_object_size(j) + 1, sizeof(char *));
	json_object_foreach(j, k, v) {
		char line[2048];
		snprintf(line, sizeof(line), "%s: %s", k, json_string_value(v) ? json_string_value(v) : "");
		(*out)[(*n)++] = strdup(line);
	}
	json_decref(j);
	return 0;
}

void
upload_headers_free(char **h, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		sodium_memzero(h[i], strlen(h[i]));
		free(h[i]);
	}
	free(h);
}

/* Asks the receiver for its receipt until it has checked the upload (or two minutes pass). */
static int
upload_receipt(struct job *job, const char *did, const char *url, char **headers, size_t nh,
    bool *recorded, struct err *err)
{
	char rurl[2200], what[600];
	struct httpc_resp resp;
	int rc;

	snprintf(rurl, sizeof(rurl), "%s/receipt", url);
	for (int i = 0; i < 240 && !job_canceled(job); i++) {
		json_t *j;
		const char *state;
		if ((rc = httpc_json_headers("GET", rurl, (const char *const *)headers, nh, NULL, 30, &resp,
		    err)) < 0)
			return rc;
		if (resp.status == 404 || resp.status == 405) {
			httpc_resp_release(&resp);
			return upload_set_state(job, did, "uploaded", NULL, NULL, err);
		}
		j = json_loadb(resp.body.data ? resp.body.data : "", resp.body.len, 0, NULL);
		httpc_describe(&resp, what, sizeof(what));
		httpc_resp_release(&resp);
		state = json_string_value(json_object_get(j, "state"));
		if (state && strcmp(state, "verified") == 0)
			rc = upload_set_state(job, did, "delivered", NULL, j, err);
		else if (state && (strcmp(state, "failed") == 0 || strcmp(state, "terminated") == 0)) {
			job->permanent = true;
			snprintf(what, sizeof(what), "receiver: %s", json_string_value(json_object_get(j, "reason")) ?
			    json_string_value(json_object_get(j, "reason")) : state);
			upload_set_state(job, did, "failed", what, j, NULL);
			*recorded = true;   /* with the receipt: not again without it */
			rc = err_set(err, SP_EMISMATCH, "delivery %s: %s", did, what);
		} else if (state == NULL) {
			rc = err_set(err, SP_EUNAVAIL, "delivery %s: receipt: %s", did, what);
		} else {
			json_decref(j);
			usleep(500000);
			continue;
		}
		json_decref(j);
		return rc;
	}
	return err_set(err, SP_EUNAVAIL, "delivery %s: the receiver has not checked the upload yet", did);
}

/* The plaintext on disk: a verified copy of the file, or the rendition, and its xxh64: the one
 * registered when it was made or offloaded (checked while it is sent, see upload_send), or,
 * when none was, hashed now. */
static int
upload_source(struct job *job, const struct delivery *d, char *path, size_t len, char *xxh,
    struct err *err)
{
	struct hash_result h;
	struct db_conn *c;
	char root[PATH_MAX];
	int rc;

	if (d->report_path) {       /* a report job's file, below the data folder */
		const struct config *cfg = job->ctx;
		if (snprintf(path, len, "%s/%s", cfg->data_dir, d->report_path) >= (int)len)
			return err_set(err, SP_EINVAL, "delivery %s: report path too long", d->id);
		snprintf(xxh, 32, "%.31s", d->xxh64 ? d->xxh64 : "");
		return 0;
	}
	if (!d->file_id && (rc = config_renditions_dir(job->ctx, root, sizeof(root), err)) < 0)
		return rc;
	if ((rc = db_acquire(job->db, &c, err)) < 0)
		return rc;
	if (d->file_id)
		rc = locate_file(c, d->file_id, path, len, err);
	else
		rc = locate_rendition(c, root, strtoll(d->rendition_id, NULL, 10), path, len, err);
	db_release(job->db, c);
	if (rc < 0)
		return err_prefix(err, "delivery %s: ", d->id);
	if (d->xxh64) {
		snprintf(xxh, 32, "%.31s", d->xxh64);
		return 0;
	}
	if ((rc = hash_file(path, HASH_BIT(HASH_XXH64), &h, err)) < 0)
		return rc;
	snprintf(xxh, 32, "%.31s", h.v[HASH_XXH64].str);
	return 0;
}

static int
upload_send(struct job *job, const struct delivery *d, const char *path, const char *xxh,
    bool *recorded, struct err *err)
{
	struct age_enc_params p;
	struct age_source src;
	struct tus_source ts;
	struct tus_result res;
	struct upload u = { job, d->id, 0, 0, 0, (uint64_t)d->bandwidth_limit, 0, 0 };
	const char *did = d->id;
	struct outbound_policy outbound;
	char **headers = NULL, size[24], *base = strrchr(path, '/');
	size_t nh = 0;
	struct stat st;
	int fd = -1, rc;

	memset(&p, 0, sizeof(p));
	memset(&res, 0, sizeof(res));
	if ((rc = upload_params(job, d, &p, err)) == SP_ECONFLICT) {
		struct delivery again;
		if (delivery_load(job, strtoll(d->id, NULL, 10), &again, err) < 0)
			return SP_EDB;
		rc = upload_params(job, &again, &p, err);
		delivery_release(&again);
	}
	if (rc < 0 || (rc = upload_headers(job, d, &headers, &nh, err)) < 0)
		goto out;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0) {
		rc = err_errno(err, SP_EIO, errno, "%s", path);
		goto out;
	}
	snprintf(size, sizeof(size), "%lld", (long long)st.st_size);
	/* production/day/card/clip: where the post house files it (<uploads>/<production>/<day>/
	 * <card>/<filename>, see server/tus.c); a unit, when the production names one, keeps two
	 * carts of one production apart there (<production>/<unit>/<day>/...). version: an
	 * arrival of a newer one supersedes the older at the post house. */
	struct tus_meta meta[9] = { { "filename", base ? base + 1 : path }, { "clip", d->clip },
		{ "size", size }, { "xxh64", xxh }, { "production", d->production },
		{ "day", d->day }, { "card", d->card }, { "version", d->version }, { "unit", d->unit } };
	if ((rc = age_source_init(&src, fd, (uint64_t)st.st_size, &p, err)) < 0)
		goto out;
	/* The plaintext is hashed as it is read for encryption; a copy that changed since it was
	 * registered fails before the last PATCH (SP_EMISMATCH), and is never delivered. */
	if ((rc = age_source_expect_xxh64(&src, xxh, path, err)) < 0) {
		age_source_release(&src);
		goto out;
	}
	age_source_tus(&src, &ts);
	u.length = ts.length;
	struct tus_opts o = { .endpoint = d->target_url, .headers = (const char *const *)headers,
		.n_headers = nh, .meta = meta, .n_meta = d->unit[0] ? 9 : 8, .max_send_rate = (uint64_t)d->bandwidth_limit,
		.resume_url = d->upload_url, .on_created = upload_on_created, .created_arg = &u,
		.on_progress = upload_on_progress, .progress_arg = &u,
		.send_rate = upload_share, .send_rate_arg = &u };
	/* The target's URL and every Location its receiver answers: resolved, checked, pinned. */
	if ((rc = outbound_policy_parse(&outbound, ((const struct config *)job->ctx)->outbound_allow,
	    err)) < 0) {
		age_source_release(&src);
		goto out;
	}
	o.outbound = &outbound;
	rc = tus_upload(&o, &ts, &res, err);
	if (rc == 0)
		rc = age_source_verify(&src, err);
	age_source_release(&src);
	if (rc == SP_EMISMATCH) {
		struct err e = { 0 };
		job->permanent = true;
		if (res.url)
			(void)tus_terminate(res.url, (const char *const *)headers, nh, &e);
	}
	if (rc == 0)
		rc = upload_receipt(job, did, res.url, headers, nh, recorded, err);
	/* The shares of the target's cap it was given (what a shared link gave it). */
	if (rc == 0 && u.cap > 0 && job->result == NULL)
		job->result = json_pack("{s:I,s:I,s:I}", "bandwidth_limit", (json_int_t)u.cap,
		    "share_min", (json_int_t)u.share_min, "share_max", (json_int_t)u.share_max);
	tus_result_release(&res);
out:
	if (fd >= 0)
		close(fd);
	upload_headers_free(headers, nh);
	age_params_release(&p);
	return rc;
}

int
job_upload_run(struct job *job, struct err *err)
{
	json_int_t id = json_integer_value(json_object_get(job->payload, "delivery_id"));
	char path[PATH_MAX], xxh[32];
	struct delivery d;
	bool recorded = false;
	int rc;

	if ((rc = delivery_load(job, (long long)id, &d, err)) < 0) {
		job->permanent = rc == SP_ENOTFOUND;
		return rc;
	}
	if (strcmp(d.state, "delivered") == 0 || !d.enabled) {
		rc = d.enabled ? 0 : err_set(err, SP_ECONFLICT, "delivery %s: its target is disabled", d.id);
		goto out;
	}
	if ((rc = upload_source(job, &d, path, sizeof(path), xxh, err)) == 0)
		rc = strcmp(d.kind, "s3") == 0 ? upload_s3(job, &d, path, xxh, err) :
		    upload_send(job, &d, path, xxh, &recorded, err);
	/* Each failed attempt is said at once, with its reason: retrying while attempts are left. */
	if (rc < 0 && rc != SP_ECANCELED && !recorded && !job_canceled(job))
		upload_set_state(job, d.id, job->permanent || job->attempt >= job->max_attempts ?
		    "failed" : "retrying", err->msg, NULL, NULL);
out:
	delivery_release(&d);
	return rc;
}
