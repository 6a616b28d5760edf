/* json: strict request-body getters (see json.h). */
#include "lib/core/json.h"

#include <math.h>
#include <string.h>

int
json_parse_object(const char *text, size_t len, json_t **out, struct err *err)
{
	json_error_t jerr;
	json_t *j;

	if (text == NULL || len == 0)
		return err_set(err, SP_EINVAL, "request body: expected a JSON object, got nothing");
	j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL)
		return err_set(err, SP_EINVAL, "request body: invalid JSON at line %d column %d: %s",
		    jerr.line, jerr.column, jerr.text);
	if (!json_is_object(j)) {
		json_decref(j);
		return err_set(err, SP_EINVAL, "request body: expected a JSON object");
	}
	*out = j;
	return 0;
}

int
json_only_fields(json_t *obj, const char *const *allowed, struct err *err)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		const char *const *a = allowed;
		(void)v;
		while (*a && strcmp(*a, key) != 0)
			a++;
		if (*a == NULL)
			return err_set(err, SP_EINVAL, "%.100s: unknown field", key);
	}
	return 0;
}

static int
json_field(json_t *obj, const char *field, bool required, json_t **v, struct err *err)
{
	*v = json_object_get(obj, field);
	if (*v != NULL)
		return 0;
	return required ? err_set(err, SP_EINVAL, "%s: required", field) : 1;
}

int
json_get_string(json_t *obj, const char *field, bool required, size_t maxlen,
    const char **value, struct err *err)
{
	json_t *v;
	int rc = json_field(obj, field, required, &v, err);

	if (rc != 0)
		return rc;
	if (!json_is_string(v) || json_string_length(v) > maxlen)
		return err_set(err, SP_EINVAL, "%s: expected a string of at most %zu characters",
		    field, maxlen);
	*value = json_string_value(v);
	return 0;
}

int
json_get_bool(json_t *obj, const char *field, bool required, bool *value, struct err *err)
{
	json_t *v;
	int rc = json_field(obj, field, required, &v, err);

	if (rc != 0)
		return rc;
	if (!json_is_boolean(v))
		return err_set(err, SP_EINVAL, "%s: expected true or false", field);
	*value = json_is_true(v);
	return 0;
}

int
json_get_int(json_t *obj, const char *field, bool required, long long min, long long max,
    long long *value, struct err *err)
{
	json_t *v;
	int rc = json_field(obj, field, required, &v, err);

	if (rc != 0)
		return rc;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return err_set(err, SP_EINVAL, "%s: expected a whole number from %lld to %lld", field,
		    min, max);
	*value = json_integer_value(v);
	return 0;
}

int
json_get_number(json_t *obj, const char *field, bool required, double min, double max,
    double *value, struct err *err)
{
	json_t *v;
	int rc = json_field(obj, field, required, &v, err);

	if (rc != 0)
		return rc;
	if (!json_is_number(v) || !isfinite(json_number_value(v)) || json_number_value(v) < min ||
	    json_number_value(v) > max)
		return err_set(err, SP_EINVAL, "%s: expected a number from %g to %g", field, min, max);
	*value = json_number_value(v);
	return 0;
}
