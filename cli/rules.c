/* rules: a production's delivery rules and archive rules from the cart's terminal, through the
 * cart's API (the same checks and events as /api/v1/delivery-rules, the archive rules of
 * /api/v1/productions/{id}/archive-rules and the dashboard's Deliveries view):
 * `setpost rules list|add|remove` and `setpost rules archive-list|archive-add|archive-remove`. */
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
	"       setpost rules remove RULE_ID [options]\n"
	"       setpost rules archive-list --production ID [options]\n"
	"       setpost rules archive-add --production ID --tape MOUNT [--what all|originals|sound]\n"
	"                         [--order size|name] [options]\n"
	"       setpost rules archive-remove RULE_ID [options]\n\n"
	"What a production sends to a target by itself: each proxy (of the given profiles, or all)\n"
	"the moment it is made, each camera original or sound file once its copies are verified.\n"
	"Proxies leave first (circled takes before the rest), then sound, then originals. Reports:\n"
	"each card's offload report once the card is registered, the day's report at wrap (PDF,\n"
	"HTML and CSV), from the moment the rule exists.\n"
	"An archive rule: when a day wraps, its camera originals and sound (or one of the two) are\n"
	"archived to the LTO tape mounted at MOUNT on the worker's host (an archive job).\n\n"
	"  --url URL        the cart's setpost (default: SETPOST_URL, else http://127.0.0.1:8440)\n"
	"  --token TOKEN    an admin API token (default: SETPOST_TOKEN)\n"
	"  --production ID  the production (default: the target's)\n"
	"  --tape MOUNT     where the tape drive's LTFS volume is mounted on the worker's host\n"
	"  --order ORDER    within a card: size (largest first, the default) or name";

struct rules_opts {
	const char *url, *token, *target, *what, *profiles, *production, *tape, *order;
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
	case 'T': o->tape = val; return 0;
	case 'O': o->order = val; return 0;
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

/* GET path: a head line, then each of its items. */
static int
rules_show(const struct rules_opts *o, const char *path, const char *head, void (*print)(json_t *))
{
	json_t *got, *r;
	size_t i;

	if (rules_call(o, "GET", path, NULL, 200, &got) < 0)
		return 1;
	printf("%s\n", head);
	json_array_foreach(json_object_get(got, "items"), i, r)
		print(r);
	json_decref(got);
	return 0;
}

static int
rules_list(const struct rules_opts *o)
{
	char path[128] = "/api/v1/delivery-rules";

	if (o->production) {
		if (rules_id(o->production) == 0)
			return cli_fail("rules", "--production: expected a production id");
		snprintf(path, sizeof(path), "/api/v1/delivery-rules?production_id=%lld",
		    rules_id(o->production));
	}
	return rules_show(o, path, "id\twhat\ttarget\tprofiles\tstate", rules_print);
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

static void
rules_archive_print(json_t *r)
{
	printf("%lld\t%s\t%s\t%s\n", (long long)json_integer_value(json_object_get(r, "id")),
	    json_string_value(json_object_get(r, "what")),
	    json_string_value(json_object_get(r, "tape")),
	    json_string_value(json_object_get(r, "order")));
}

/* archive-list, archive-add: the production's archive rules. */
static int
rules_archive(const struct rules_opts *o, bool add)
{
	char path[128];
	json_t *got, *body = NULL;
	int rc;

	if (rules_id(o->production) == 0)
		return cli_fail("rules", "--production: expected a production id");
	snprintf(path, sizeof(path), "/api/v1/productions/%lld/archive-rules",
	    rules_id(o->production));
	if (!add)
		return rules_show(o, path, "id\twhat\ttape\torder", rules_archive_print);
	if (o->tape == NULL)
		return cli_fail("rules", "--tape: expected where the tape is mounted on the worker");
	body = json_pack("{s:s}", "tape", o->tape);
	if (o->what)
		json_object_set_new(body, "what", json_string(o->what));
	if (o->order)
		json_object_set_new(body, "order", json_string(o->order));
	rc = rules_call(o, "POST", path, body, 201, &got);
	json_decref(body);
	if (rc < 0)
		return 1;
	printf("archive rule ");
	rules_archive_print(got);
	json_decref(got);
	return 0;
}

/* remove, archive-remove: DELETE base/ID. */
static int
rules_remove(const struct rules_opts *o, const char *base, const char *what, const char *id)
{
	char path[96];

	if (rules_id(id) == 0)
		return cli_fail("rules", "remove: expected a rule id");
	snprintf(path, sizeof(path), "%s/%lld", base, rules_id(id));
	if (rules_call(o, "DELETE", path, NULL, 204, NULL) < 0)
		return 1;
	printf("%s %lld removed\n", what, rules_id(id));
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
		{ "tape", required_argument, NULL, 'T' },
		{ "order", required_argument, NULL, 'O' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct rules_opts o = { getenv("SETPOST_URL"), getenv("SETPOST_TOKEN"), NULL, NULL, NULL,
		NULL, NULL, NULL };
	struct err err;
	const char *verb;
	static const struct cli_options options = { ":h", longopts, rules_option };
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
	if (verb && strcmp(verb, "remove") == 0 && first + 2 == argc)
		return rules_remove(&o, "/api/v1/delivery-rules", "rule", argv[first + 1]);
	if (verb && strcmp(verb, "archive-list") == 0 && first + 1 == argc)
		return rules_archive(&o, false);
	if (verb && strcmp(verb, "archive-add") == 0 && first + 1 == argc)
		return rules_archive(&o, true);
	if (verb && strcmp(verb, "archive-remove") == 0 && first + 2 == argc)
		return rules_remove(&o, "/api/v1/archive-rules", "archive rule", argv[first + 1]);
	return cli_fail("rules", "expected list, add, remove RULE_ID, archive-list, archive-add or "
	    "archive-remove RULE_ID (see 'setpost rules --help')");
}
