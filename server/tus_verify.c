/* tus_verify: the receiver's check of a finished upload, on a thread of its own. With the
 * receiver's age identity it decrypts the upload into its arrival folder
 * (<uploads>/<production>/<day>/<card>/<filename>, each part made safe by safe_name),
 * checks the plaintext's size and xxh64 against the sender's metadata, records the verdict and,
 * once verified, removes the encrypted .part and records arrival.verified. Without an identity
 * the upload is kept encrypted, "received", not verified. */
#include "tus.h"
#include "lib/core/safe_name.h"
#include "lib/core/file.h"
#include "lib/delivery/age.h"
#include "lib/store/event.h"
#include "lib/core/hash.h"
#include "lib/core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct tus_verify {
	struct server *srv;
	char id[33];
	int out;
	struct hash_ctx hash;
	long long size;
};

static int
tus_verify_sink(void *arg, const uint8_t *buf, size_t len, struct err *err)
{
	struct tus_verify *v = arg;

	hash_update(&v->hash, buf, len);
	v->size += (long long)len;
	while (len > 0) {
		ssize_t n = write(v->out, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_errno(err, err_from_errno(errno), errno, "write");
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* <uploads>/<production>/<day>/<card>, from the sender's metadata, each part made safe; with
 * a unit (a production shot by several carts), <uploads>/<production>/<unit>/<day>/<card>. */
static int
tus_arrival_dir(struct tus_verify *v, json_t *meta, char *dir, size_t len, struct err *err)
{
	char prod[SAFE_NAME_MAX + 1], day[SAFE_NAME_MAX + 1], card[SAFE_NAME_MAX + 1];
	char unit[SAFE_NAME_MAX + 2] = "";
	const char *u = json_string_value(json_object_get(meta, "unit"));

	safe_name(json_string_value(json_object_get(meta, "production")), "unfiled", prod,
	    sizeof(prod));
	safe_name(json_string_value(json_object_get(meta, "day")), "unfiled", day, sizeof(day));
	safe_name(json_string_value(json_object_get(meta, "card")), "unfiled", card, sizeof(card));
	if (u && *u) {
		safe_name(u, "unfiled", unit + 1, sizeof(unit) - 1);
		unit[0] = '/';
	}
	if (snprintf(dir, len, "%s/%s%s/%s/%s", v->srv->uploads_root, prod, unit, day, card) >=
	    (int)len)
		return err_set(err, SP_EINVAL, "upload %s: its folder's path is too long", v->id);
	return file_mkdirs(dir, 0750, err);
}

/* Decrypts the upload into tmp (dir/.filename.ID.partial), hashing the plaintext as it comes;
 * the caller renames it to its name only once it is verified, so a failed arrival never
 * replaces a good one of the same name. */
static int
tus_decrypt(struct tus_verify *v, const char *dir, const char *filename, char *tmp,
    size_t tlen, struct hash_result *res, struct err *err)
{
	char part[PATH_MAX + 64];
	uint8_t buf[1 << 16];
	struct age_dec dec;
	ssize_t n;
	int in, rc = 0;

	tus_path(v->srv, v->id, ".part", part, sizeof(part));
	/* The upload's id keeps two arrivals of one name from writing one partial file. */
	if (snprintf(tmp, tlen, "%s/.%s.%s.partial", dir, filename, v->id) >= (int)tlen)
		return err_set(err, SP_EINVAL, "upload %s: its path is too long", v->id);
	if ((in = open(part, O_RDONLY | O_CLOEXEC)) < 0)
		return err_errno(err, SP_EIO, errno, "open %s", part);
	if ((v->out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) < 0) {
		close(in);
		return err_errno(err, SP_EIO, errno, "create %s", tmp);
	}
	hash_init(&v->hash, HASH_BIT(HASH_XXH64), err);
	if ((rc = age_dec_init(&dec, v->srv->age_ids, v->srv->nage_ids, err)) == 0) {
		while (rc == 0 && (n = read(in, buf, sizeof(buf))) > 0)
			rc = age_dec_update(&dec, buf, (size_t)n, tus_verify_sink, v, err);
		if (rc == 0)
			rc = age_dec_final(&dec, tus_verify_sink, v, err);
		age_dec_release(&dec);
	}
	close(in);
	if (rc == 0 && fsync(v->out) < 0)
		rc = err_errno(err, SP_EIO, errno, "fsync");
	close(v->out);
	if (hash_final(&v->hash, res, err) < 0 && rc == 0)
		rc = SP_EINTERNAL;
	hash_release(&v->hash);
	if (rc < 0)
		unlink(tmp);
	return rc;
}

static const struct db_stmt stmt_meta = { "tus_meta", "SELECT meta::text FROM uploads WHERE id = $1", 1 };
static const struct db_stmt stmt_verdict = { "tus_verdict",
	"UPDATE uploads SET state = $2, reason = $3, plain_size = $4::bigint, plain_xxh64 = $5,"
	" stored_path = $6, updated_at = now(),"
	" verified_at = CASE WHEN $2 = 'verified' THEN now() END"
	" WHERE id = $1 RETURNING meta::text, to_json(verified_at) #>> '{}'", 6 };

/* arrival.verified: what arrived and where, for the post house's own systems. */
static void
tus_arrival_event(struct server *srv, const char *id, PGresult *r, const char *size,
    const char *xxh, const char *stored)
{
	json_t *meta = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
	json_t *data = json_pack("{s:s,s:s,s:I,s:s,s:s}", "upload", id, "path", stored, "size",
	    (json_int_t)strtoll(size, NULL, 10), "xxh64", xxh, "verified_at", PQgetvalue(r, 0, 1));
	static const char *const keys[] = { "production", "unit", "day", "card", "clip", "filename",
		NULL };

	for (int i = 0; data && keys[i]; i++)
		json_object_set(data, keys[i], json_object_get(meta, keys[i]) ?
		    json_object_get(meta, keys[i]) : json_null());
	event_record_db(srv->db, "receiver", "arrival.verified", "upload", 0, data, NULL);
	json_decref(data);
	json_decref(meta);
}

static void
tus_verdict(struct server *srv, const char *id, const char *state, const char *reason,
    const char *size, const char *xxh, const char *stored)
{
	const char *p[6] = { id, state, reason, size, xxh, stored };
	struct err err;
	PGresult *r;
	int n = db_exec(srv->db, &stmt_verdict, p, &r, &err);
	json_t *data;

	if (n < 0) {
		log_error("upload=%s verdict not recorded: %s", id, err.msg);
		return;
	}
	data = json_pack("{s:s,s:s,s:s?}", "upload", id, "state", state, "reason", reason);
	/* upload.verified, not delivery.verified: that one is the sending cart's event, with a
	 * delivery as its subject, when the receipt makes a delivery delivered. */
	event_record_db(srv->db, "receiver", strcmp(state, "verified") == 0 ? "upload.verified" :
	    strcmp(state, "failed") == 0 ? "upload.failed" : "upload.received", "upload", 0, data, NULL);
	json_decref(data);
	if (strcmp(state, "verified") == 0) {
		char part[PATH_MAX + 64];
		/* Verified: the plaintext is the arrival; the encrypted copy has done its work. */
		tus_path(srv, id, ".part", part, sizeof(part));
		if (unlink(part) < 0 && errno != ENOENT)
			log_warn("upload=%s: cannot remove %s: %s", id, part, strerror(errno));
		tus_arrival_event(srv, id, r, size, xxh, stored);
	}
	PQclear(r);
	log_info("upload=%s %s%s%s", id, state, reason ? ": " : "", reason ? reason : "");
}

/* --- versions: a proxy made again at the cart arrives under the same name ----------------- */

/* The current arrival filed under this path, and its version (the sender's, 1 when none). */
static const struct db_stmt stmt_filed = { "tus_filed",
	"SELECT id, coalesce(nullif(meta->>'version', ''), '1')::int FROM uploads"
	" WHERE stored_path = $1 AND state = 'verified' AND superseded_by IS NULL AND id <> $2"
	" ORDER BY verified_at DESC LIMIT 1", 2 };
static const struct db_stmt stmt_supersede = { "tus_supersede",
	"UPDATE uploads SET superseded_by = $2, stored_path = coalesce($3, stored_path)"
	" WHERE id = $1", 3 };

struct tus_older {
	char id[33];        /* the arrival the new one supersedes (or is superseded by), "" none */
	bool newer;         /* the new arrival is at least as new as it */
	char aside[PATH_MAX + 400];
};

/* <dir>/.superseded/<upload id>.<name>: where a superseded arrival's file is kept. */
static int
tus_aside(const char *dir, const char *id, const char *name, char *out, size_t len,
    struct err *err)
{
	char sub[PATH_MAX + 20];

	if (snprintf(sub, sizeof(sub), "%s/.superseded", dir) >= (int)sizeof(sub) ||
	    snprintf(out, len, "%s/%s.%s", sub, id, name) >= (int)len)
		return err_set(err, SP_EINVAL, "upload %s: its path is too long", id);
	return file_mkdirs(sub, 0750, err);
}

/* Before the verified file takes its name: an arrival already there is kept aside (hard
 * link) when the new one is at least as new; else the new one goes aside itself (*stored
 * rewritten). */
static int
tus_version_file(struct tus_verify *v, json_t *meta, const char *dir, const char *name,
    char *stored, size_t slen, struct tus_older *o, struct err *err)
{
	const char *p[2] = { stored, v->id };
	const char *vs = json_string_value(json_object_get(meta, "version"));
	long long mine = vs ? strtoll(vs, NULL, 10) : 1;
	PGresult *r;
	int n;

	o->id[0] = '\0';
	if ((n = db_exec(v->srv->db, &stmt_filed, p, &r, err)) < 0)
		return n;
	if (n > 0) {
		snprintf(o->id, sizeof(o->id), "%s", PQgetvalue(r, 0, 0));
		o->newer = mine >= db_ll(r, 0, 1);
	}
	PQclear(r);
	if (n == 0)
		return 0;
	if (o->newer) {
		if ((n = tus_aside(dir, o->id, name, o->aside, sizeof(o->aside), err)) < 0)
			return n;
		unlink(o->aside);
		if (link(stored, o->aside) < 0) {
			if (errno != ENOENT)
				return err_errno(err, SP_EIO, errno, "keep %s aside", stored);
			o->aside[0] = '\0';   /* its file is gone (removed at the post house): none to keep */
		}
		return 0;
	}
	return tus_aside(dir, v->id, name, stored, slen, err);
}

/* After the verdict: which of the two is superseded, by which. */
static void
tus_version_record(struct server *srv, const char *id, const struct tus_older *o)
{
	const char *p[3] = { o->newer ? o->id : id, o->newer ? id : o->id,
		o->newer && o->aside[0] ? o->aside : NULL };
	struct err err;

	if (o->id[0] && db_exec(srv->db, &stmt_supersede, p, NULL, &err) < 0)
		log_error("upload=%s: superseding %s not recorded: %s", id, o->id, err.msg);
}

static void *
tus_verify_main(void *arg)
{
	struct tus_verify *v = arg;
	const char *p[1] = { v->id };
	char name[SAFE_NAME_MAX + 1], dir[PATH_MAX], stored[PATH_MAX + 300], tmp[PATH_MAX + 300];
	char size[24], reason[700];
	struct tus_older older = { "", false, "" };
	struct hash_result res;
	struct err err;
	PGresult *r;
	json_t *meta = NULL;
	const char *want_size, *want_xxh;

	if (db_exec(v->srv->db, &stmt_meta, p, &r, &err) == 1) {
		meta = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
		PQclear(r);
	}
	want_size = json_string_value(json_object_get(meta, "size"));
	want_xxh = json_string_value(json_object_get(meta, "xxh64"));
	safe_name(json_string_value(json_object_get(meta, "filename")), "upload.bin", name,
	    sizeof(name));
	if (v->srv->nage_ids == 0) {
		tus_verdict(v->srv, v->id, "received", "this receiver holds no age identity: stored "
		    "encrypted, not verified", NULL, NULL, NULL);
	} else if (tus_arrival_dir(v, meta, dir, sizeof(dir), &err) < 0 ||
	    tus_decrypt(v, dir, name, tmp, sizeof(tmp), &res, &err) < 0) {
		tus_verdict(v->srv, v->id, "failed", err.msg, NULL, NULL, NULL);
	} else {
		snprintf(size, sizeof(size), "%lld", v->size);
		reason[0] = '\0';
		if (want_size && strcmp(want_size, size) != 0)
			snprintf(reason, sizeof(reason), "plaintext is %s bytes, the sender said %s", size,
			    want_size);
		else if (want_xxh && strcmp(want_xxh, res.v[HASH_XXH64].str) != 0)
			snprintf(reason, sizeof(reason), "plaintext xxh64 %s, the sender said %s",
			    res.v[HASH_XXH64].str, want_xxh);
		else if (!want_size || !want_xxh)
			snprintf(reason, sizeof(reason), "the sender gave no size and xxh64 to check");
		snprintf(stored, sizeof(stored), "%s/%s", dir, name);
		if (!reason[0] && tus_version_file(v, meta, dir, name, stored, sizeof(stored), &older,
		    &err) < 0)
			snprintf(reason, sizeof(reason), "%.600s", err.msg);
		if (!reason[0] && rename(tmp, stored) < 0)
			snprintf(reason, sizeof(reason), "rename to %.500s: %s", stored, strerror(errno));
		if (reason[0])
			unlink(tmp);
		tus_verdict(v->srv, v->id, reason[0] ? "failed" : "verified", reason[0] ? reason : NULL,
		    size, res.v[HASH_XXH64].str, reason[0] ? NULL : stored);
		if (!reason[0])
			tus_version_record(v->srv, v->id, &older);
	}
	json_decref(meta);
	free(v);
	return NULL;
}

void
tus_verify_start(struct server *srv, const char *id)
{
	struct tus_verify *v = calloc(1, sizeof(*v));
	pthread_attr_t attr;
	pthread_t t;

	if (v == NULL)
		return;
	v->srv = srv;
	snprintf(v->id, sizeof(v->id), "%s", id);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, tus_verify_main, v) != 0) {
		tus_verdict(srv, id, "failed", "could not start verification", NULL, NULL, NULL);
		free(v);
	}
	pthread_attr_destroy(&attr);
}
