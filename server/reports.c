/* reports: the paperwork, as PDF, HTML or CSV (?format=pdf|html|csv, &paper=a4|letter for the
 * PDF): a shooting day's, GET /api/v1/days/{id}/report, and a card's offload report,
 * GET /api/v1/cards/{id}/report, and a volume's (a shuttle drive's), GET
 * /api/v1/volumes/{id}/report; and a production's workflow sheet to sign off,
 * GET /api/v1/productions/{id}/workflow.pdf and workflow.html. */
#include "http.h"
#include "lib/report/report_card.h"
#include "lib/report/report_day.h"
#include "lib/report/report_volume.h"
#include "lib/report/report_workflow.h"

#include <stdio.h>
#include <string.h>

/* A report of a thousand clips with its tables is a few MB; the cap only stops a runaway. */
#define REPORT_MAX (64u << 20)

struct reports_arg {
	long long id;
	const char *data_dir;
	json_t *doc;
	int (*load)(struct db_conn *c, long long id, const char *data_dir, json_t **doc,
	    struct err *err);
	const char *name;       /* "day", "card": the downloaded file's name */
	const char *format;     /* the route's own format (workflow.pdf), else ?format= */
};

static int
reports_tx(struct db_conn *c, void *arg, struct err *err)
{
	struct reports_arg *a = arg;

	return a->load(c, a->id, a->data_dir, &a->doc, err);
}

static enum MHD_Result
reports_get(struct request *req, struct reports_arg a)
{
	const char *format = a.format ? a.format : request_query(req, "format"), *type, *ext;
	int paper = report_paper_parse(request_query(req, "paper"));
	char disposition[128];
	struct buf out;
	struct err err;
	int rc;

	if (!request_param_id(req, 0, &a.id))
		return MHD_YES;
	if (format == NULL)
		format = "pdf";
	if (strcmp(format, "pdf") == 0)
		type = "application/pdf", ext = "pdf";
	else if (strcmp(format, "html") == 0)
		type = "text/html; charset=utf-8", ext = "html";
	else if (strcmp(format, "csv") == 0)
		type = "text/csv; charset=utf-8", ext = "csv";
	else
		return reply_error(req, 400, "invalid", "format: expected pdf, html or csv");
	if (paper < 0)
		return reply_error(req, 400, "invalid", "paper: expected a4 or letter");
	if (db_tx(req->srv->db, reports_tx, &a, &err) < 0) {
		json_decref(a.doc);
		return reply_err(req, &err);
	}
	buf_init(&out, REPORT_MAX);
	if (strcmp(ext, "pdf") == 0)
		rc = report_pdf(a.doc, (enum report_paper)paper, &out, &err);
	else if (strcmp(ext, "html") == 0)
		rc = report_html(a.doc, &out, &err);
	else
		rc = report_csv(a.doc, &out, &err);
	json_decref(a.doc);
	if (rc < 0) {
		buf_release(&out);
		return reply_err(req, &err);
	}
	snprintf(disposition, sizeof(disposition), "%s; filename=\"%s-%lld-report.%s\"",
	    strcmp(ext, "html") == 0 ? "inline" : "attachment", a.name, a.id, ext);
	/* The HTML page loads nothing from anywhere: no script, style or image from outside. */
	return reply_download(req, type, disposition, out.data, out.len, true,
	    "Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:");
}

enum MHD_Result
reports_day_get(struct request *req)
{
	return reports_get(req, (struct reports_arg){ 0, req->srv->cfg->data_dir, NULL,
	    report_day_load, "day", NULL });
}

enum MHD_Result
reports_card_get(struct request *req)
{
	return reports_get(req, (struct reports_arg){ 0, req->srv->cfg->data_dir, NULL,
	    report_card_load, "card", NULL });
}

enum MHD_Result
reports_volume_get(struct request *req)
{
	return reports_get(req, (struct reports_arg){ 0, req->srv->cfg->data_dir, NULL,
	    report_volume_load, "volume", NULL });
}

enum MHD_Result
reports_workflow_pdf(struct request *req)
{
	return reports_get(req, (struct reports_arg){ 0, req->srv->cfg->data_dir, NULL,
	    report_workflow_load, "workflow", "pdf" });
}

enum MHD_Result
reports_workflow_html(struct request *req)
{
	return reports_get(req, (struct reports_arg){ 0, req->srv->cfg->data_dir, NULL,
	    report_workflow_load, "workflow", "html" });
}
