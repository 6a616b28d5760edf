/* payload: what a media job's payload names (see payload.h). */
#include "payload.h"

int
job_payload_clip_id(struct job *job, long long *id, struct err *err)
{
	json_t *v = json_object_get(job->payload, "clip_id");

	if (!json_is_integer(v) || json_integer_value(v) <= 0) {
		job->permanent = true;
		return err_set(err, SP_EINVAL, "payload.clip_id: expected a clip id");
	}
	*id = (long long)json_integer_value(v);
	return 0;
}
