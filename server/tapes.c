/* tapes: the LTO catalogue (GET /api/v1/tapes, ?find= for "which tape holds clip X", and
 * GET /api/v1/tapes/catalogue.csv) and archive jobs (POST /api/v1/archive-jobs). */
#include "http.h"
#include "lib/archive/catalogue.h"
#include "lib/core/json.h"

#include <string.h>

enum MHD_Result
tapes_list(struct request *req)
{
	const char *find = request_query(req, "find");
	struct err err;
	json_t *items, *body;
	enum MHD_Result r;

	if (find && strlen(find) > 200)
		return reply_error(req, 400, "invalid", "find: at most 200 characters");
	if (catalogue_tapes(req->srv->db, find, &items, &err) < 0)
		return reply_err(req, &err);
	body = json_pack("{s:o}", "items", items);
	r = reply_json(req, 200, body);
	json_decref(body);
	return r;
}

enum MHD_Result
tapes_csv(struct request *req)
{
	struct buf out = BUF_INIT(0);
	struct err err;
	enum MHD_Result r;

	if (catalogue_csv(req->srv->db, &out, &err) < 0) {
		buf_release(&out);
		return reply_err(req, &err);
	}
	r = reply_text(req, 200, "text/csv; charset=utf-8", out.data ? out.data : "", out.len);
	buf_release(&out);
	return r;
}
