/* openapi: GET /api/v1/openapi.json, the API described in OpenAPI 3. */
#include "http.h"

#include <string.h>

/* The OpenAPI document (server/openapi.json, compiled in by scripts/embed-text.sh). */
extern const char server_openapi_json[];

enum MHD_Result
openapi_get(struct request *req)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(server_openapi_json),
	    (void *)server_openapi_json, MHD_RESPMEM_PERSISTENT);

	MHD_add_response_header(resp, "Content-Type", "application/json");
	MHD_add_response_header(resp, "Cache-Control", "no-cache");
	return reply_response(req, 200, resp);
}
