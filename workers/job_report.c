/* job_report: a report a delivery rule of what 'reports' sends to the post house (migration
 * 0074). Payload {"report": "offload"|"day", "id": N} (a card's or a day's), queued at the
 * `report.ready` moments (lib/pipeline's pipeline_report_ready). Renders the report as the API
 * serves it, as PDF (A4), HTML and CSV, into DATA/reports/<production id>/<day>/ (once: a
 * resumed upload sends the same bytes), records each file (report_files, with its size and
 * xxh64), and queues one delivery per file and enabled rule, each with its upload job. */
#include "kinds.h"
#include "lib/core/config.h"
#include "lib/core/file.h"
#include "lib/core/hash.h"
#include "lib/core/log.h"
#include "lib/pipeline/pipeline.h"
#include "lib/report/report_card.h"
#include "lib/report/report_day.h"
#include "lib/store/event.h"
#include "lib/store/params.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int job_report_run(struct job *job, struct err *err);
#define REPORT_JOB_MAX (64u << 20)

/* Where the report goes and what it is called: production, day, card label (or ""). */
static const struct db_stmt stmt_subject = { "report_job_subject",
	"SELECT d.production_id, d.id, d.shoot_date::text, coalesce(k.label, ''), k.id"
	" FROM days d LEFT JOIN cards k ON k.id = $2::bigint AND $1 = 'offload'"
	" WHERE d.id = CASE WHEN $1 = 'day' THEN $2::bigint"
	"  ELSE (SELECT day_id FROM cards WHERE id = $2::bigint) END", 2 };

static const struct db_stmt stmt_file = { "report_job_file",
	"INSERT INTO report_files (production_id, day_id, card_id, report, format, rel_path, size,"
	" xxh64) VALUES ($1, $2, $3, $4, $5, $6, $7::bigint, $8) RETURNING id", 8 };

/* One delivery per enabled 'reports' rule of the production whose target is enabled. */
static const struct db_stmt stmt_deliveries = { "report_job_deliveries",
	"INSERT INTO deliveries (target_id, report_file_id, rule_id)"
	" SELECT ru.target_id, $1, ru.id FROM delivery_rules ru JOIN targets t ON t.id = ru.target_id"
	" AND t.enabled WHERE ru.production_id = $2 AND ru.enabled AND ru.what = 'reports'"
	" ORDER BY ru.id ON CONFLICT DO NOTHING RETURNING id, rule_id", 2 };

struct report_job {
	struct job *job;
	const char *report;            /* "offload" or "day" */
	long long id;
	const char *data_dir;
	json_t *doc;
	long long production_id, day_id, card_id;
	char day[16], label[200];
	char rel[3][600];              /* pdf, html, csv below the data folder */
	long long size[3];
	char xxh[3][32];
	int queued;
};

static const char *const report_exts[3] = { "pdf", "html", "csv" };

static int
report_job_load_tx(struct db_conn *c, void *arg, struct err *err)
{
	struct report_job *r = arg;
	struct db_params q = { 0 };
	PGresult *res;
	int rc;

	db_param_str(&q, r->report);
	db_param_ll(&q, r->id);
	if ((rc = db_query(c, &stmt_subject, q.v, &res, err)) < 0)
		return rc;
	if (rc == 0 || (strcmp(r->report, "offload") == 0 && PQgetisnull(res, 0, 4))) {
		PQclear(res);
		r->job->permanent = true;
		return err_set(err, SP_ENOTFOUND, "report %s %lld: no such %s", r->report, r->id,
		    strcmp(r->report, "day") == 0 ? "day" : "card");
	}
	r->production_id = db_ll(res, 0, 0);
	r->day_id = db_ll(res, 0, 1);
	snprintf(r->day, sizeof(r->day), "%s", PQgetvalue(res, 0, 2));
	snprintf(r->label, sizeof(r->label), "%s", PQgetvalue(res, 0, 3));
	r->card_id = PQgetisnull(res, 0, 4) ? 0 : db_ll(res, 0, 4);
	PQclear(res);
	json_decref(r->doc);
	r->doc = NULL;
	return strcmp(r->report, "day") == 0 ? report_day_load(c, r->id, r->data_dir, &r->doc, err) :
	    report_card_load(c, r->id, r->data_dir, &r->doc, err);
}

/* A name safe as one path component: what is not a letter, digit, '-', '_' or '.' becomes '_'. */
static void
report_job_safe(const char *s, char *out, size_t len)
{
	size_t n = 0;

	for (; *s && n + 1 < len; s++, n++) {
		bool keep = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || (*s == '.' && n > 0);
		out[n] = keep ? *s : '_';
	}
	out[n] = '\0';
}

static int
report_job_write(const char *path, const struct buf *b, struct err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	size_t off = 0;

	if (fd < 0)
		return err_errno(err, SP_EIO, errno, "%s", path);
	while (off < b->len) {
		ssize_t n = write(fd, b->data + off, b->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return err_errno(err, SP_EIO, errno, "%s", path);
		}
		off += (size_t)n;
	}
	if (fsync(fd) < 0 || close(fd) < 0)
		return err_errno(err, SP_EIO, errno, "%s", path);
	return 0;
}

/* The three renderings into DATA/reports/<production>/<day>/, hashed as written. */
static int
report_job_render(struct report_job *r, struct err *err)
{
	char dir[PATH_MAX], base[300], safe[220], stamp[32], path[PATH_MAX + 700];
	time_t now = time(NULL);
	struct tm tm;
	int rc = 0;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d_%H%M%SZ", &tm);
	report_job_safe(strcmp(r->report, "day") == 0 ? r->day : r->label, safe, sizeof(safe));
	snprintf(base, sizeof(base), "%s_%s_%s", safe, strcmp(r->report, "day") == 0 ? "day_report" :
	    "offload", stamp);
	snprintf(dir, sizeof(dir), "%s/reports/%lld/%s", r->data_dir, r->production_id, r->day);
	if ((rc = file_mkdirs(dir, 0750, err)) < 0)
		return rc;
	for (int k = 0; k < 3 && rc == 0; k++) {
		struct buf out;
		struct hash_result h;
		buf_init(&out, REPORT_JOB_MAX);
		rc = k == 0 ? report_pdf(r->doc, REPORT_A4, &out, err) : k == 1 ?
		    report_html(r->doc, &out, err) : report_csv(r->doc, &out, err);
		snprintf(path, sizeof(path), "%s/%s.%s", dir, base, report_exts[k]);
		if (rc == 0)
			rc = report_job_write(path, &out, err);
		r->size[k] = (long long)out.len;
		buf_release(&out);
		if (rc == 0 && (rc = hash_file(path, HASH_BIT(HASH_XXH64), &h, err)) == 0)
			snprintf(r->xxh[k], sizeof(r->xxh[k]), "%.31s", h.v[HASH_XXH64].str);
		snprintf(r->rel[k], sizeof(r->rel[k]), "reports/%lld/%s/%s.%s", r->production_id,
		    r->day, base, report_exts[k]);
	}
	return rc;
}

static int
report_job_queue_tx(struct db_conn *c, void *arg, struct err *err)
{
	struct report_job *r = arg;
	int rc = 0;

	r->queued = 0;
	for (int k = 0; k < 3 && rc >= 0; k++) {
		struct db_params q = { 0 }, d = { 0 };
		PGresult *res;
		long long file_id;
		int n;
		db_param_ll(&q, r->production_id);
		db_param_ll(&q, r->day_id);
		db_param_ll_if(&q, r->card_id > 0, r->card_id);
		db_param_str(&q, r->report);
		db_param_str(&q, report_exts[k]);
		db_param_str(&q, r->rel[k]);
		db_param_ll(&q, r->size[k]);
		db_param_str(&q, r->xxh[k]);
		if ((rc = db_query(c, &stmt_file, q.v, &res, err)) < 0)
			break;
		file_id = db_ll(res, 0, 0);
		PQclear(res);
		db_param_ll(&d, file_id);
		db_param_ll(&d, r->production_id);
		if ((n = rc = db_query(c, &stmt_deliveries, d.v, &res, err)) < 0)
			break;
		for (int i = 0; i < n && rc >= 0; i++) {
			char actor[48];
			long long job;
			json_t *data;
			if ((rc = pipeline_deliver(c, db_ll(res, i, 0), PIPELINE_PROXY, &job, err)) < 0)
				break;
			snprintf(actor, sizeof(actor), "delivery rule %lld", db_ll(res, i, 1));
			data = json_pack("{s:I,s:I,s:s}", "job_id", (json_int_t)job, "rule_id",
			    (json_int_t)db_ll(res, i, 1), "report", r->rel[k]);
			rc = event_record(c, actor, "delivery.queued", "delivery", db_ll(res, i, 0), data,
			    NULL, err);
			json_decref(data);
			r->queued++;
		}
		PQclear(res);
	}
	return rc < 0 ? rc : 0;
}

int
job_report_run(struct job *job, struct err *err)
{
	const struct config *cfg = job->ctx;
	json_t *kind = json_object_get(job->payload, "report"), *id = json_object_get(job->payload, "id");
	struct report_job r = { .job = job, .data_dir = cfg->data_dir };
	int rc;

	if (!json_is_string(kind) || (strcmp(json_string_value(kind), "day") != 0 &&
	    strcmp(json_string_value(kind), "offload") != 0) || !json_is_integer(id)) {
		job->permanent = true;
		return err_set(err, SP_EINVAL, "payload: expected {\"report\": \"day\"|\"offload\", \"id\": N}");
	}
	r.report = json_string_value(kind);
	r.id = (long long)json_integer_value(id);
	job_progress(job, 0.1, "rendering the %s report %lld", r.report, r.id);
	if ((rc = db_tx(job->db, report_job_load_tx, &r, err)) == 0 &&
	    (rc = report_job_render(&r, err)) == 0 &&
	    (rc = db_tx(job->db, report_job_queue_tx, &r, err)) == 0) {
		job->result = json_pack("{s:s,s:I,s:[s,s,s],s:i}", "report", r.report, "id",
		    (json_int_t)r.id, "files", r.rel[0], r.rel[1], r.rel[2], "deliveries", r.queued);
		log_info("job=%lld report=%s id=%lld deliveries=%d", job->id, r.report, r.id, r.queued);
	}
	json_decref(r.doc);
	return rc;
}
