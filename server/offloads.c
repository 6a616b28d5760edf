/* offloads: POST /api/v1/offloads registers an offload (lib/register); POST
 * /api/v1/offload-jobs queues one for a worker that sees the card. */
#include "http.h"
#include "lib/pipeline/kinds.h"
#include "lib/store/event.h"
#include "lib/store/jobq.h"
#include "lib/core/json.h"
#include "lib/core/hash.h"
#include "lib/core/safe_name.h"
#include "lib/custody/register.h"
#include "lib/custody/confine.h"

#include <limits.h>

#include <stdio.h>
#include <stdlib.h>

enum MHD_Result
offloads_register(struct request *req)
{
	return reply_document(req, register_offload);
}

static int
offload_jobs_confined(struct request *req, struct db_conn *c, struct err *err)
{
	json_t *d;
	size_t i;
	char data[PATH_MAX], what[48];
	bool have_data = realpath(req->srv->cfg->data_dir, data) != NULL;
	const char *src = json_string_value(json_object_get(req->json, "source"));
	int rc;

	if ((rc = confine_check(c, "source", src, err)) < 0)
		return rc;
	if (have_data && (confine_inside(src, data) || confine_inside(data, src)))
		return err_set(err, SP_EINVAL, "source: setpost's data folder is never a source");
	json_array_foreach(json_object_get(req->json, "destinations"), i, d) {
		snprintf(what, sizeof(what), "destinations[%zu]", i);
		if ((rc = confine_check(c, what, json_string_value(d), err)) < 0)
			return rc;
		if (have_data && (confine_inside(json_string_value(d), data) ||
		    confine_inside(data, json_string_value(d))))
			return err_set(err, SP_EINVAL, "%s: setpost's data folder is never a "
			    "destination", what);
	}
	return 0;
}

/* POST /api/v1/offload-jobs: the DIT starts an offload from the dashboard; a worker on the host
 * that sees the card runs it and registers the result. Paths are the worker's. */
enum MHD_Result
offload_jobs_create(struct request *req)
{
	static const char *const fields[] = { "source", "destinations", "card", "hash", "production",
		"day", "camera", "priority", NULL };
	json_t *dsts, *d;
	struct db_conn *c;
	struct err err;
	const char *s;
	long long id, prio = 10;
	unsigned algos;
	size_t i;
	int rc;

	if (!request_json(req, fields) ||
	    !request_field_ok(req, json_get_string(req->json, "source", true, 4096, &s, &err), &err) ||
	    !request_field_ok(req, json_get_int(req->json, "priority", false, -100, 100, &prio, &err), &err))
		return MHD_YES;
	if (s[0] != '/')
		return reply_error(req, 400, "invalid", "source: expected an absolute path on the worker");
	dsts = json_object_get(req->json, "destinations");
	if (!json_is_array(dsts) || json_array_size(dsts) < 1 || json_array_size(dsts) > 16)
		return reply_error(req, 400, "invalid", "destinations: expected 1 to 16 absolute paths");
	json_array_foreach(dsts, i, d)
		if (!json_is_string(d) || json_string_value(d)[0] != '/')
			return reply_error(req, 400, "invalid", "destinations[%zu]: expected an absolute path", i);
	static const char *const opt[] = { "card", "hash", "production", "day", "camera", NULL };
	for (int k = 0; opt[k]; k++)
		if (!request_field_ok(req, json_get_string(req->json, opt[k], false, 200, &s, &err), &err))
			return MHD_YES;
	/* The card label names the copy's folder on every destination (lib/core/safe_name.h):
	 * refused here, before a job exists, rather than by the worker later. */
	s = json_string_value(json_object_get(req->json, "card"));
	if (s && !safe_name_ok(s))
		return reply_error(req, 400, "invalid", "card: a plain folder name (no '/', no leading "
		    "'.', no control characters, at most %d bytes), e.g. A001R1AB", SAFE_NAME_MAX);
	s = json_string_value(json_object_get(req->json, "hash"));
	if (s && hash_algos_parse(s, &algos, &err) < 0)
		return reply_error(req, 400, "invalid", "hash: %s", err.msg);
	json_object_del(req->json, "priority");
	/* Who asked: the offload report names them as its operator. */
	json_object_set_new(req->json, "requested_by", json_string(req->who.name));
	if ((rc = db_acquire(req->srv->db, &c, &err)) < 0)
		return reply_err(req, &err);
	/* Source and destinations: under declared volumes, never the data folder (judged on the
	 * text: the answer reveals nothing of the host's files); the worker checks again. */
	rc = offload_jobs_confined(req, c, &err);
	if (rc == 0)
		rc = jobq_enqueue(c, job_offload_spec.name, req->json, (int)prio,
		    job_offload_spec.max_attempts, &id, &err);
	if (rc == 0)
		rc = event_record(c, req->who.name, "offload.started", "job", id, req->json, NULL, &err);
	db_release(req->srv->db, c);
	if (rc < 0)
		return reply_err(req, &err);
	json_t *body = json_pack("{s:I,s:s}", "job_id", (json_int_t)id, "state", "queued");
	enum MHD_Result r = reply_json(req, 201, body);
	json_decref(body);
	return r;
}
