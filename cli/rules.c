/* rules: a production's delivery rules from the cart's terminal, through the cart's API (the
 * same checks and events as /api/v1/delivery-rules and the dashboard's Deliveries view):
 * `setpost rules list|add|remove`. */
#include "cli.h"
#include "lib/core/httpc.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char rules_synopsis[] =
	"usage: setpost rules list [--production ID] [options]\n"
	"       setpost rules add --target ID --what proxies|originals|sound|reports [--profiles A,B]\n"
	"                         [--production ID] [options]\n"
	"       setpost rules remove RULE_ID [options]\n\n"
	"What a production sends to a target by itself: each proxy (of the given profiles, or all)\n"
	"the moment it is made, each camera original or sound file once its copies are verified.\n"
	"Proxies leave first (circled takes before the rest), then sound, then originals. Reports:\n"
	"each card's offload report once the card is registered, the day's report at wrap (PDF,\n"
	"HTML and CSV), from the moment the rule exists.\n\n"
	"  --url URL        the cart's setpost (default: SETPOST_URL, else http://127.0.0.1:8440)\n"
	"  --token TOKEN    an admin API token (default: SETPOST_TOKEN)\n"
	"  --production ID  the production (default: the target's)";

struct rules_opts {
	const char *url, *token, *target, *what, *profiles, *production;
};

static int
rules_option(void *arg, int c, const char *val, struct err *err)
{
	struct rules_opts *o = arg;

	switch (c) {
	case 'u': o->url = val; return 0;
	case 'k': o->token = val; return 0;
	case 't': o->target = val; return 0;
	case 'w': o->what = val; return 0;
	case 'p': o->profiles = val; return 0;
	case 'P': o->production = val; return 0;
	}
	return err_set(err, SP_EINVAL, "unknown option");
}

/* One request to the cart's API; *out gets the parsed body of a 2xx answer (may be NULL). */
static int
rules_call(const struct rules_opts *o, const char *method, const char *path, json_t *body,
    long want, json_t **out)
{
	return cli_api_call("rules", o->url, o->token, method, path, body, want, out);
}

static long long
rules_id(const char *text)
{
	char *end;
	long long v = text ? strtoll(text, &end, 10) : 0;

	return text && *end == '\0' && v > 0 ? v : 0;
}

static void
rules_print(json_t *r)
{
	json_t *pf = json_object_get(r, "profiles"), *v;
	size_t i;

	printf("%lld\t%s\t%s (target %lld)\t", (long long)json_integer_value(json_object_get(r, "id")),
	    json_string_value(json_object_get(r, "what")),
	    json_string_value(json_object_get(r, "target")),
	    (long long)json_integer_value(json_object_get(r, "target_id")));
	if (json_array_size(pf) == 0)
		printf("%s", strcmp(json_string_value(json_object_get(r, "what")), "proxies") ?
		    "-" : "every profile");
	json_array_foreach(pf, i, v)
		printf("%s%s", i ? "," : "", json_string_value(v));
	printf("\t%s\n", json_is_true(json_object_get(r, "enabled")) ? "enabled" : "disabled");
}

static int
rules_list(const struct rules_opts *o)
{
	char path[128] = "/api/v1/delivery-rules";
	json_t *got, *r;
	size_t i;

	if (o->production) {
		if (rules_id(o->production) == 0)
			return cli_fail("rules", "--production: expected a production id");
		snprintf(path, sizeof(path), "/api/v1/delivery-rules?production_id=%lld",
		    rules_id(o->production));
	}
	if (rules_call(o, "GET", path, NULL, 200, &got) < 0)
		return 1;
	printf("id\twhat\ttarget\tprofiles\tstate\n");
	json_array_foreach(json_object_get(got, "items"), i, r)
		rules_print(r);
	json_decref(got);
	return 0;
}

/* The production of target id, from the cart's list of targets. */
static long long
rules_target_production(const struct rules_opts *o, long long target)
{
	json_t *got, *t;
	long long prod = 0;
	size_t i;

	if (rules_call(o, "GET", "/api/v1/targets", NULL, 200, &got) < 0)
		return -1;
	json_array_foreach(json_object_get(got, "items"), i, t)
		if (json_integer_value(json_object_get(t, "id")) == target)
			prod = json_integer_value(json_object_get(t, "production_id"));
	json_decref(got);
	if (prod == 0)
		cli_fail("rules", "target %lld not found", target);
	return prod ? prod : -1;
}

static int
rules_add(const struct rules_opts *o)
{
	long long target = rules_id(o->target), prod;
	json_t *body, *got;
	int rc;

	if (target == 0)
		return cli_fail("rules", "--target: expected a target id (GET /api/v1/targets)");
	if (o->what == NULL)
		return cli_fail("rules", "--what: expected proxies, originals, sound or reports");
	if (o->production && rules_id(o->production) == 0)
		return cli_fail("rules", "--production: expected a production id");
	prod = o->production ? rules_id(o->production) : rules_target_production(o, target);
	if (prod < 0)
		return 1;
	body = json_pack("{s:I,s:I,s:s}", "production_id", (json_int_t)prod, "target_id",
	    (json_int_t)target, "what", o->what);
	if (o->profiles) {
		json_t *a = json_array();
		char *copy = strdup(o->profiles), *save = NULL;
		for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save))
			json_array_append_new(a, json_string(t));
		free(copy);
		json_object_set_new(body, "profiles", a);
	}
	rc = rules_call(o, "POST", "/api/v1/delivery-rules", body, 201, &got);
	json_decref(body);
	if (rc < 0)
		return 1;
	printf("rule ");
	rules_print(got);
	json_decref(got);
	return 0;
}

int
cmd_rules(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "token", required_argument, NULL, 'k' },
		{ "target", required_argument, NULL, 't' },
		{ "what", required_argument, NULL, 'w' },
		{ "profiles", required_argument, NULL, 'p' },
		{ "production", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct rules_opts o = { getenv("SETPOST_URL"), getenv("SETPOST_TOKEN"), NULL, NULL, NULL,
		NULL };
	struct err err;
	const char *verb;
	static const struct cli_options options = { ":h", longopts, rules_option };
	char path[64];
	int first, help = 0;

	if (cli_getopt(&options, argc, argv, &o, &help, &err) < 0)
		return cli_fail("rules", "%s (see 'setpost rules --help')", err.msg);
	if (help) {
		printf("%s\n", rules_synopsis);
		return 0;
	}
	first = optind;
	if (o.url == NULL || o.url[0] == '\0')
		o.url = "http://127.0.0.1:8440";
	if (o.token == NULL || o.token[0] == '\0')
		return cli_fail("rules", "an admin token is needed: --token or SETPOST_TOKEN");
	httpc_set_cacert(getenv("SETPOST_CACERT"));
	verb = first < argc ? argv[first] : NULL;
	if (verb && strcmp(verb, "list") == 0 && first + 1 == argc)
		return rules_list(&o);
	if (verb && strcmp(verb, "add") == 0 && first + 1 == argc)
		return rules_add(&o);
	if (verb && strcmp(verb, "remove") == 0 && first + 2 == argc) {
		if (rules_id(argv[first + 1]) == 0)
			return cli_fail("rules", "remove: expected a rule id");
		snprintf(path, sizeof(path), "/api/v1/delivery-rules/%lld", rules_id(argv[first + 1]));
		if (rules_call(&o, "DELETE", path, NULL, 204, NULL) < 0)
			return 1;
		printf("rule %lld removed\n", rules_id(argv[first + 1]));
		return 0;
	}
	return cli_fail("rules", "expected list, add or remove RULE_ID (see 'setpost rules --help')");
}
