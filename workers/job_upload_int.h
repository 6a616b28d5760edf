/* job_upload's parts shared by its two ways of sending: to a tus receiver (job_upload.c)
 * and into an S3-compatible bucket (job_upload_s3.c). */
#ifndef SETPOST_JOB_UPLOAD_INT_H
#define SETPOST_JOB_UPLOAD_INT_H

#include "kinds.h"
#include "lib/core/err.h"
#include "lib/delivery/age.h"
#include "lib/delivery/tus_client.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

/* One delivery as stmt_load reads it, once per attempt: the strings point into res. */
struct delivery {
	char id[24];                /* as text, for statements and messages */
	const char *state;
	const char *upload_url;     /* NULL until the receiver created the upload */
	const char *key_sealed;     /* hex; NULL until the age parameters were made */
	long long file_id;          /* a camera original, or 0 */
	const char *rendition_id;   /* a proxy, or NULL */
	const char *target_url;
	const char *recipient;      /* age1... */
	const char *headers_sealed; /* hex; NULL when the target has none */
	long long bandwidth_limit;  /* bytes/s, 0 for none */
	bool enabled;               /* the target's */
	const char *xxh64;          /* registered when made or offloaded; NULL when none was */
	const char *clip;           /* the clip's name, or "" */
	const char *production, *day, *card; /* where the post house files it, or "" */
	const char *kind;           /* the target's: "tus" or "s3" */
	const char *s3;             /* an s3 target's {region, bucket, prefix, path_style}, or NULL */
	const char *s3_upload_id;   /* the multipart upload under way, or NULL */
	const char *unit;           /* the production's unit (settings.unit: "2nd unit"), or "" */
	const char *version;        /* the rendition's (a proxy made again is newer); 1 for a file */
	const char *report_path;    /* a report (job_report.c): its file below the data folder */
	PGresult *res;
};


/* What the progress callback needs: the job and the delivery. */
struct upload {
	struct job *job;
	const char *did;
	double last_db;
	uint64_t length;
	unsigned failures;     /* failures in a row last said in the database */
	uint64_t cap;          /* the target's bandwidth_limit, bytes/s; 0: none */
	uint64_t share_min, share_max;   /* the lowest and highest share this upload was given */
};

/* Loads delivery `id` into d; SP_ENOTFOUND when there is none. delivery_release frees it. */
int delivery_load(struct job *job, long long id, struct delivery *d, struct err *err);
void delivery_release(struct delivery *d);
/* The delivery's new state with its event (and its clip's), in one transaction. */
int upload_set_state(struct job *job, const char *did, const char *state, const char *error,
    json_t *receipt, struct err *err);
/* The age parameters of this delivery, made once and kept sealed (SP_ECONFLICT: made by
 * another worker meanwhile, load the delivery again). */
int upload_params(struct job *job, const struct delivery *d, struct age_enc_params *p,
    struct err *err);
/* The target's sealed secrets as "name: value" lines (headers; an s3 target's credentials). */
int upload_headers(struct job *job, const struct delivery *d, char ***out, size_t *n,
    struct err *err);
void upload_headers_free(char **h, size_t n);
/* Progress into the delivery's row (bytes_sent, rate, eta) and the job; arg: struct upload. */
int upload_on_progress(void *arg, const struct tus_progress *pr);

/* Puts the delivery's file into its s3 target's bucket (job_upload_s3.c). */
int upload_s3(struct job *job, const struct delivery *d, const char *path, const char *xxh,
    struct err *err);

#endif
