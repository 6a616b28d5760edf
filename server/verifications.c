/* verifications: POST /api/v1/verifications, what `setpost verify --register` found in a
 * copy (lib/custody/verification): every check is recorded, the copies take their latest
 * check's result, and each card touched answers whether it is still safe to format. */
#include "http.h"
#include "lib/core/json.h"
#include "lib/custody/verification.h"

enum MHD_Result
verifications_report(struct request *req)
{
	struct err err;
	json_t *doc, *result;
	enum MHD_Result r;

	if (json_parse_object(req->body.data, req->body.len, &doc, &err) < 0)
		return reply_err(req, &err);
	req->json = doc;
	if (verification_report(req->srv->db, doc, req->who.name, &result, &err) < 0)
		return reply_err(req, &err);
	r = reply_json(req, 201, result);
	json_decref(result);
	return r;
}
