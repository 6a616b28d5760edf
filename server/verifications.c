/* verifications: POST /api/v1/verifications, what `setpost verify --register` found in a
 * copy (lib/custody/verification): every check is recorded, the copies take their latest
 * check's result, and each card touched answers whether it is still safe to format. */
#include "http.h"
#include "lib/custody/verification.h"

enum MHD_Result
verifications_report(struct request *req)
{
	return reply_document(req, verification_report);
}
