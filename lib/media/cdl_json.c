/* cdl_json: CDL values in the API's JSON (see cdl_json.h). */
#include "lib/media/cdl_json.h"
#include "lib/core/json.h"

#include <stdio.h>
#include <string.h>

int
cdl_from_json(json_t *j, const char *where, bool allow_id, struct cdl *out, struct err *err)
{
	static const char *const parts[] = { "slope", "offset", "power", NULL };
	static const char *const fields[] = { "slope", "offset", "power", "sat", NULL };
	static const char *const fields_id[] = { "slope", "offset", "power", "sat", "id", NULL };
	double *dst[3] = { out->slope, out->offset, out->power };
	const char *id;

	cdl_init(out);
	if (!json_is_object(j))
		return err_set(err, SP_EINVAL, "%s: expected an object with slope, offset, power, sat",
		    where);
	if (json_only_fields(j, allow_id ? fields_id : fields, err) < 0)
		return err_prefix(err, "%s.", where);
	for (int i = 0; parts[i]; i++) {
		json_t *a = json_object_get(j, parts[i]);
		if (a == NULL)
			continue;
		if (!json_is_array(a) || json_array_size(a) != 3)
			return err_set(err, SP_EINVAL, "%s.%s: expected 3 numbers (R G B)", where, parts[i]);
		for (size_t k = 0; k < 3; k++) {
			if (!json_is_number(json_array_get(a, k)))
				return err_set(err, SP_EINVAL, "%s.%s[%zu]: expected a number", where, parts[i], k);
			dst[i][k] = json_number_value(json_array_get(a, k));
		}
	}
	if (json_get_number(j, "sat", false, 0, 1e6, &out->sat, err) < 0)
		return err_prefix(err, "%s.", where);
	if (allow_id) {
		if (json_get_string(j, "id", false, CDL_ID_MAX - 1, &id, err) < 0)
			return err_prefix(err, "%s.", where);
		if (json_object_get(j, "id"))
			snprintf(out->id, sizeof(out->id), "%s", id);
	}
	return cdl_validate(out, err) < 0 ? err_prefix(err, "%s: ", where) : 0;
}

json_t *
cdl_to_json(const struct cdl *c, bool with_id)
{
	json_t *j = json_pack("{s:[f,f,f],s:[f,f,f],s:[f,f,f],s:f}",
	    "slope", c->slope[0], c->slope[1], c->slope[2],
	    "offset", c->offset[0], c->offset[1], c->offset[2],
	    "power", c->power[0], c->power[1], c->power[2], "sat", c->sat);

	if (with_id && c->id[0])
		json_object_set_new(j, "id", json_string(c->id));
	return j;
}
