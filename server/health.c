/* health: GET /api/v1/health, for people, load balancers and tests. 200 with the database's
 * round trip when it answers, 503 when it does not. */
#include "http.h"
#include "lib/store/migrate.h"
#include "lib/core/version.h"


enum MHD_Result
health_get(struct request *req)
{
	struct err err = { 0, "" };
	double ms = 0;
	int schema = 0, rc;
	json_t *body;
	enum MHD_Result r;

	rc = db_ping(req->srv->db, &ms, &err);
	if (rc == 0)
		rc = migrate_version(req->srv->db, &schema, &err);
	if (rc == 0)
		body = json_pack("{s:s,s:s,s:{s:b,s:f,s:i}}", "status", "ok", "version",
		    SETPOST_VERSION, "database", "ok", 1, "round_trip_ms", ms, "schema_version", schema);
	else
		body = json_pack("{s:s,s:s,s:{s:b,s:s},s:{s:s,s:s}}", "status", "unavailable",
		    "version", SETPOST_VERSION, "database", "ok", 0, "error", err.msg, "error",
		    "code", "unavailable", "message", err.msg);
	r = reply_json(req, rc == 0 ? 200 : 503, body);
	json_decref(body);
	return r;
}
