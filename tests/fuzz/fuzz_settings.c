/* A production's JSON settings (lib/core/json.c, lib/media/profile.c, burnin.c, qc.c): the
 * body of PATCH /productions/{id} {"settings": ...}. Input: a JSON object; its "fuzz_vars"
 * (an object of strings, ignored by setpost) names a clip, scene... for the name templates.
 * Checks: settings that pass the API's check load; every active profile's JSON reads back as
 * the same profile; its file name from any clip names is relative, with no ".." component and
 * no control character; its burn-in filter builds; the qc settings' JSON reads
 * back to the same JSON. The strict getters of lib/core/json.c run on every field. */
#include "tests/fuzz/fuzz.h"
#include "lib/core/json.h"
#include "lib/media/burnin.h"
#include "lib/media/profile.h"
#include "lib/media/qc.h"

static const char *
fuzz_var(json_t *vars, const char *key)
{
	return json_string_value(json_object_get(vars, key));
}

static void
fuzz_name_safe(const char *name, const char *naming)
{
	const char *c = name;

	fuzz_check(name[0] != '\0' && name[0] != '/', "name '%s' from '%s'", name, naming);
	for (const char *p = name; *p; p++)
		fuzz_check((unsigned char)*p >= 0x20 && *p != 0x7f && *p != '\\', "name '%s' from '%s' "
		    "has a control character or backslash", name, naming);
	while (*c) {
		size_t n = strcspn(c, "/");
		fuzz_check(!(n == 2 && c[0] == '.' && c[1] == '.'), "name '%s' from '%s' has a '..' "
		    "component", name, naming);
		c += n;
		if (*c == '/')
			c++;
	}
}

static bool
fuzz_builtin(const char *name)
{
	int n;
	const struct profile *b = profile_builtin(&n);

	for (int i = 0; i < n; i++)
		if (strcmp(b[i].name, name) == 0)
			return true;
	return false;
}

static void
fuzz_profile(const struct profile *p, json_t *vars)
{
	struct profile_vars v = { fuzz_var(vars, "day"), fuzz_var(vars, "card"),
		fuzz_var(vars, "clip"), fuzz_var(vars, "scene"), fuzz_var(vars, "take"),
		fuzz_var(vars, "reel") };
	struct burnin_vars bv = { v.clip, v.scene, v.take, v.reel, fuzz_var(vars, "camera"), v.day,
		fuzz_var(vars, "production"), v.card, fuzz_var(vars, "tc"), 24000, 1001 };
	char name[512], filter[8192];
	struct profile_set all, act;
	json_t *pj, *settings;
	struct err err;

	if (profile_name(p, &v, name, sizeof(name), &err) == 0)
		fuzz_name_safe(name, p->naming);
	(void)burnin_filter(p->burnin, &bv, p->height, filter, sizeof(filter), &err);
	pj = profile_to_json(p);
	fuzz_check(pj != NULL, "profile %s has no JSON", p->name);
	json_object_del(pj, "name");
	/* A profile that is not a built-in one starts from one: every field is given anyway. */
	if (!fuzz_builtin(p->name))
		json_object_set_new(pj, "base", json_string("h264_1080"));
	settings = json_pack("{s:{s:O},s:[s]}", "proxy_profiles", p->name, pj, "proxy_active",
	    p->name);
	fuzz_check(profile_load(settings, &all, &act, &err) == 0, "profile %s's own JSON is refused: "
	    "%s", p->name, err.msg);
	fuzz_check(act.n == 1 && strcmp(act.v[0].name, p->name) == 0 && act.v[0].width == p->width &&
	    act.v[0].height == p->height && strcmp(act.v[0].naming, p->naming) == 0 &&
	    strcmp(act.v[0].video, p->video) == 0 && act.v[0].exact == p->exact,
	    "profile %s changed on the way back", p->name);
	profile_set_release(&act);
	profile_set_release(&all);
	json_decref(settings);
	json_decref(pj);
}

static void
fuzz_getters(json_t *obj)
{
	static const char *const none[] = { NULL };
	const char *key, *s;
	json_t *v;
	struct err err;
	long long i;
	double d;
	bool b;

	(void)json_only_fields(obj, none, &err);
	json_object_foreach(obj, key, v) {
		(void)json_get_string(obj, key, true, 16, &s, &err);
		(void)json_get_int(obj, key, true, -5, 1000000, &i, &err);
		(void)json_get_number(obj, key, true, -1.5, 1e9, &d, &err);
		(void)json_get_bool(obj, key, true, &b, &err);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *settings = NULL, *vars, *qj, *qj2;
	struct profile_set all, act;
	struct qc_settings qc, qc2;
	struct err err;
	int rc;

	if (json_parse_object((const char *)data, size, &settings, &err) < 0) {
		fuzz_check(settings == NULL, "a refused body gave an object");
		return 0;
	}
	fuzz_getters(settings);
	vars = json_object_get(settings, "fuzz_vars");
	rc = profile_settings_check(settings, &err);
	fuzz_check((profile_load(settings, &all, &act, &err) == 0) == (rc == 0),
	    "the API's check and the load disagree");
	if (rc == 0) {
		for (int i = 0; i < act.n; i++)
			fuzz_profile(&act.v[i], vars);
		profile_set_release(&act);
		profile_set_release(&all);
	}
	qc_settings_default(&qc);
	if (qc_settings_parse(&qc, json_object_get(settings, "qc"), &err) == 0) {
		qj = qc_settings_json(&qc);
		qc_settings_default(&qc2);
		fuzz_check(qc_settings_parse(&qc2, qj, &err) == 0, "qc settings' own JSON is refused: "
		    "%s", err.msg);
		qj2 = qc_settings_json(&qc2);
		fuzz_check(json_equal(qj, qj2), "qc settings changed on the way back");
		json_decref(qj2);
		json_decref(qj);
	}
	json_decref(settings);
	return 0;
}
