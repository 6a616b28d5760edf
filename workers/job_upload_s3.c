/* job_upload_s3: one delivery into an S3-compatible bucket (a target of kind "s3"): the file,
 * age-encrypted on the way when the target has a recipient, put as a multipart upload
 * (lib/delivery/s3_client.h) whose id and parts are recorded in the database as the bucket
 * takes them, so the next attempt (another worker, after a crash) resumes it after ListParts.
 * `delivered` only when the bytes read were the registered ones (xxh64 checked while reading)
 * and a HEAD of the finished object shows the size sent and our xxh64 in its metadata. */
#include "job_upload_int.h"
#include "lib/core/config.h"
#include "lib/core/outbound.h"
#include "lib/delivery/age_source.h"
#include "lib/delivery/s3_client.h"
#include "lib/store/params.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

static const struct db_stmt stmt_s3_created = { "upload_s3_created",
	"WITH gone AS (DELETE FROM delivery_parts WHERE delivery_id = $1)"
	" UPDATE deliveries SET s3_upload_id = $2, s3_key = $3, state = 'uploading', bytes_total = $4,"
	" bytes_sent = 0, error = NULL, updated_at = now() WHERE id = $1", 4 };
static const struct db_stmt stmt_s3_part = { "upload_s3_part",
	"INSERT INTO delivery_parts (delivery_id, upload_id, part, byte_offset, size, etag, sha256)"
	" VALUES ($1, $2, $3::integer, $4::bigint, $5::bigint, $6, $7) ON CONFLICT (delivery_id, part)"
	" DO UPDATE SET upload_id = $2, byte_offset = $4::bigint, size = $5::bigint, etag = $6,"
	" sha256 = $7", 7 };
static const struct db_stmt stmt_s3_parts = { "upload_s3_parts",
	"SELECT part, byte_offset, size, etag, sha256 FROM delivery_parts"
	" WHERE delivery_id = $1 AND upload_id = $2 ORDER BY part", 2 };
static const struct db_stmt stmt_s3_resuming = { "upload_s3_resuming",
	"UPDATE deliveries SET state = 'uploading', error = NULL, updated_at = now()"
	" WHERE id = $1 AND state <> 'delivered'", 1 };

/* The plaintext itself, read at any offset, hashed (xxh64) in order as it is read, like
 * age_source does for the encrypted stream. */
struct plain_source {
	int fd;
	uint64_t size, hashed;
	XXH64_state_t *xxh;
	uint64_t want;
	const char *name;
};

static int
plain_hash_upto(struct plain_source *s, uint64_t end, struct err *err)
{
	uint8_t *b = malloc(1u << 20);

	if (b == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	while (s->hashed < end) {
		size_t n = end - s->hashed < (1u << 20) ? (size_t)(end - s->hashed) : (1u << 20);
		ssize_t r = pread(s->fd, b, n, (off_t)s->hashed);
		if (r <= 0) {
			free(b);
			return err_set(err, SP_EIO, "%s: changed while sending (read %" PRIu64 ")", s->name,
			    s->hashed);
		}
		XXH64_update(s->xxh, b, (size_t)r);
		s->hashed += (uint64_t)r;
	}
	free(b);
	return 0;
}

static int
plain_read_at(void *arg, uint64_t off, uint8_t *buf, size_t len, size_t *got, struct err *err)
{
	struct plain_source *s = arg;
	size_t done = 0;
	int rc;

	if (off + len > s->size)
		return err_set(err, SP_EINVAL, "read past the end of %s", s->name);
	if (off > s->hashed && (rc = plain_hash_upto(s, off, err)) < 0)
		return rc;
	while (done < len) {
		ssize_t r = pread(s->fd, buf + done, len - done, (off_t)(off + done));
		if (r <= 0)
			return err_errno(err, SP_EIO, r < 0 ? errno : EIO, "%s: changed while sending",
			    s->name);
		done += (size_t)r;
	}
	if (off == s->hashed) {
		XXH64_update(s->xxh, buf, len);
		s->hashed += len;
	}
	*got = len;
	return 0;
}

static int
plain_verify(struct plain_source *s, struct err *err)
{
	int rc;

	if ((rc = plain_hash_upto(s, s->size, err)) < 0)
		return rc;
	if (XXH64_digest(s->xxh) != s->want)
		return err_set(err, SP_EMISMATCH, "%s changed since it was registered: its xxh64 is "
		    "%016llx, not %016llx", s->name, (unsigned long long)XXH64_digest(s->xxh),
		    (unsigned long long)s->want);
	return 0;
}

struct s3_job {
	struct upload u;
	const char *key;
	char upload_id[1024];          /* the multipart upload parts belong to */
};

static int
s3_job_created(void *arg, const char *upload_id, struct err *err)
{
	struct s3_job *s = arg;
	struct db_params q = { 0 };

	snprintf(s->upload_id, sizeof s->upload_id, "%s", upload_id);
	db_param_str(&q, s->u.did);
	db_param_str(&q, upload_id);
	db_param_str(&q, s->key);
	db_param_ull(&q, s->u.length);
	return db_exec(s->u.job->db, &stmt_s3_created, q.v, NULL, err) < 0 ? SP_EDB : 0;
}

/* Each part the bucket took, recorded as it is taken (parts finish in any order): what a
 * resumed upload trusts, from part 1 on. */
static int
s3_job_part(void *arg, const struct s3_part *p, struct err *err)
{
	struct s3_job *s = arg;
	struct db_params q = { 0 };

	db_param_str(&q, s->u.did);
	db_param_str(&q, s->upload_id);
	db_param_ull(&q, p->number);
	db_param_ull(&q, p->offset);
	db_param_ull(&q, p->size);
	db_param_str(&q, p->etag);
	db_param_str(&q, p->sha256);
	return db_exec(s->u.job->db, &stmt_s3_part, q.v, NULL, err) < 0 ? SP_EDB : 0;
}

/* The parts recorded for the upload under way (*out, freed by the caller). */
static int
s3_job_recorded(struct job *job, const struct delivery *d, struct s3_part **out, size_t *n,
    struct err *err)
{
	const char *p[2] = { d->id, d->s3_upload_id };
	PGresult *r;
	int rc;

	*out = NULL;
	*n = 0;
	if (d->s3_upload_id == NULL)
		return 0;
	if ((rc = db_exec(job->db, &stmt_s3_parts, p, &r, err)) < 0)
		return rc;
	*out = calloc((size_t)rc + 1, sizeof **out);
	for (int i = 0; i < rc && *out; i++) {
		struct s3_part *x = &(*out)[i];
		x->number = (unsigned)db_ll(r, i, 0);
		x->offset = (uint64_t)db_ll(r, i, 1);
		x->size = (uint64_t)db_ll(r, i, 2);
		snprintf(x->etag, sizeof x->etag, "%s", PQgetvalue(r, i, 3));
		snprintf(x->sha256, sizeof x->sha256, "%s", PQgetvalue(r, i, 4));
	}
	*n = *out ? (size_t)rc : 0;
	PQclear(r);
	return *out ? 0 : err_set(err, SP_ENOMEM, "out of memory");
}

/* A line "name: value" of the sealed secrets, or NULL. */
static const char *
s3_secret(char **lines, size_t n, const char *name)
{
	size_t l = strlen(name);

	for (size_t i = 0; i < n; i++)
		if (strncmp(lines[i], name, l) == 0 && lines[i][l] == ':' && lines[i][l + 1] == ' ')
			return lines[i] + l + 2;
	return NULL;
}

/* A key part: the name as it is, but '/' and control characters, which become '_'. */
static void
s3_key_part(char *out, size_t size, const char *s, const char *dflt)
{
	size_t n = 0;

	if (s == NULL || *s == '\0')
		s = dflt;
	for (; *s && n + 1 < size; s++)
		out[n++] = (*s == '/' || (unsigned char)*s < 0x20 || *s == 0x7f) ? '_' : *s;
	out[n] = '\0';
	if (strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
		out[0] = '_';
}

int
upload_s3(struct job *job, const struct delivery *d, const char *path, const char *xxh,
    struct err *err)
{
	const struct config *cfg = job->ctx;
	json_t *conf = json_loads(d->s3 ? d->s3 : "{}", 0, NULL);
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	bool encrypt = d->recipient && *d->recipient;
	struct age_enc_params p;
	struct age_source asrc;
	struct plain_source psrc = { .fd = -1 };
	struct tus_source ts;
	struct outbound_policy outbound;
	struct s3_part *done = NULL;
	struct s3_result res;
	char **secrets = NULL, key[2048], prod[256], day[64], card[256], file[512], size[24];
	char got_xxh[200];
	size_t ns = 0, n_done = 0;
	struct stat st;
	uint64_t got_size = 0;
	int fd = -1, rc;
	bool have_asrc = false;

	memset(&p, 0, sizeof p);
	memset(&res, 0, sizeof res);
	if (conf == NULL) {
		rc = err_set(err, SP_EINVAL, "delivery %s: its target's s3 settings do not read", d->id);
		goto out;
	}
	if ((rc = upload_headers(job, d, &secrets, &ns, err)) < 0)
		goto out;
	struct s3_link link = { .endpoint = d->target_url,
		.region = json_string_value(json_object_get(conf, "region")),
		.bucket = json_string_value(json_object_get(conf, "bucket")),
		.access_key = s3_secret(secrets, ns, "access_key_id"),
		.secret_key = s3_secret(secrets, ns, "secret_access_key"),
		.path_style = !json_is_false(json_object_get(conf, "path_style")),
		.max_send_rate = (uint64_t)d->bandwidth_limit };
	if ((rc = outbound_policy_parse(&outbound, cfg->outbound_allow, err)) < 0)
		goto out;
	link.outbound = &outbound;
	/* <prefix><production>/<day>/<card>/<file>[.age]: as the post house's receiver files it. */
	s3_key_part(prod, sizeof prod, d->production, "_");
	s3_key_part(day, sizeof day, d->day, "_");
	s3_key_part(card, sizeof card, d->card, "_");
	s3_key_part(file, sizeof file, base, "_");
	snprintf(key, sizeof key, "%s%s/%s/%s/%s%s",
	    json_string_value(json_object_get(conf, "prefix")) ? json_string_value(json_object_get(conf, "prefix")) : "",
	    prod, day, card, file, encrypt ? ".age" : "");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0) {
		rc = err_errno(err, SP_EIO, errno, "%s", path);
		goto out;
	}
	snprintf(size, sizeof size, "%lld", (long long)st.st_size);
	if (encrypt) {
		if ((rc = upload_params(job, d, &p, err)) == SP_ECONFLICT) {
			struct delivery again;
			if (delivery_load(job, strtoll(d->id, NULL, 10), &again, err) < 0) {
				rc = SP_EDB;
				goto out;
			}
			rc = upload_params(job, &again, &p, err);
			delivery_release(&again);
		}
		if (rc < 0 || (rc = age_source_init(&asrc, fd, (uint64_t)st.st_size, &p, err)) < 0)
			goto out;
		have_asrc = true;
		if ((rc = age_source_expect_xxh64(&asrc, xxh, path, err)) < 0)
			goto out;
		age_source_tus(&asrc, &ts);
	} else {
		psrc = (struct plain_source){ .fd = fd, .size = (uint64_t)st.st_size, .name = path,
			.xxh = XXH64_createState(), .want = strtoull(xxh, NULL, 16) };
		if (psrc.xxh == NULL) {
			rc = err_set(err, SP_ENOMEM, "out of memory");
			goto out;
		}
		XXH64_reset(psrc.xxh, 0);
		ts = (struct tus_source){ .length = (uint64_t)st.st_size, .read_at = plain_read_at,
			.arg = &psrc };
	}
	if ((rc = s3_job_recorded(job, d, &done, &n_done, err)) < 0)
		goto out;
	struct s3_job sj = { .u = { job, d->id, 0, ts.length, 0 }, .key = key };
	snprintf(sj.upload_id, sizeof sj.upload_id, "%s", d->s3_upload_id ? d->s3_upload_id : "");
	if (d->s3_upload_id) {
		const char *pd[1] = { d->id };
		db_exec(job->db, &stmt_s3_resuming, pd, NULL, NULL);
	}
	struct tus_meta meta[8] = { { "xxh64", xxh }, { "size", size }, { "filename", file },
		{ "clip", d->clip }, { "production", prod }, { "day", day }, { "card", card },
		{ "encryption", encrypt ? "age" : "none" } };
	/* Names in metadata must be ASCII for S3; anything else is left out rather than refused. */
	size_t nm = 0;
	struct tus_meta sent[8];
	for (size_t i = 0; i < 8; i++) {
		bool ascii = true;
		for (const char *c = meta[i].value; c && *c; c++)
			if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
				ascii = false;
		if (ascii)
			sent[nm++] = meta[i];
	}
	struct s3_opts o = { .link = &link, .key = key, .meta = sent, .n_meta = nm,
		.upload_id = d->s3_upload_id, .done = done, .n_done = n_done,
		.on_created = s3_job_created, .on_part = s3_job_part, .arg = &sj,
		.on_progress = upload_on_progress };
	/* upload_on_progress reads a struct upload: sj.u is sj's first member. */
	rc = s3_upload(&o, &ts, &res, err);
	if (rc == 0)
		rc = encrypt ? age_source_verify(&asrc, err) : plain_verify(&psrc, err);
	if (rc == SP_EMISMATCH || rc == SP_EAUTH || rc == SP_ENOTFOUND || rc == SP_EINVAL)
		job->permanent = true;   /* credentials, bucket, damaged data: no retry changes them */
	if (rc == SP_EMISMATCH && res.upload_id) {
		struct err e = { 0 };
		(void)s3_abort(&link, key, res.upload_id, &e);
	}
	if (rc < 0)
		goto out;
	/* The finished object, as the bucket has it: the size sent and our xxh64. */
	if ((rc = s3_head(&link, key, "xxh64", &got_size, got_xxh, sizeof got_xxh, err)) < 0)
		goto out;
	if (got_size != ts.length || strcmp(got_xxh, xxh) != 0) {
		job->permanent = true;
		rc = err_set(err, SP_EMISMATCH, "delivery %s: the bucket's object %s has %" PRIu64
		    " bytes and xxh64 '%.40s'; %" PRIu64 " bytes with xxh64 %s were sent", d->id, key,
		    got_size, got_xxh, ts.length, xxh);
		goto out;
	}
	json_t *receipt = json_pack("{s:s,s:s,s:s,s:s,s:I,s:s,s:s,s:b,s:I,s:I,s:I,s:s,s:s}",
	    "state", "verified", "kind", "s3", "bucket", link.bucket, "key", key,
	    "size", (json_int_t)got_size, "xxh64", got_xxh, "plain_xxh64", xxh, "encrypted", encrypt,
	    "parts", (json_int_t)res.object_parts,
	    "resumed_at", (json_int_t)res.resumed_at, "sent", (json_int_t)res.sent,
	    "upload_id", res.upload_id ? res.upload_id : "", "part_checksum", "sha256");
	rc = upload_set_state(job, d->id, "delivered", NULL, receipt, err);
	json_decref(receipt);
out:
	if (have_asrc)
		age_source_release(&asrc);
	if (psrc.xxh)
		XXH64_freeState(psrc.xxh);
	if (fd >= 0)
		close(fd);
	free(done);
	s3_result_release(&res);
	upload_headers_free(secrets, ns);
	age_params_release(&p);
	json_decref(conf);
	return rc;
}
