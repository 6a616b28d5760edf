/* workflow: a production's agreed workflow sheet from the terminal, through the setpost API
 * (GET/PUT /api/v1/productions/{id}/workflow, the same checks, versions and events as the
 * dashboard): `setpost workflow show|set`. */
#include "cli.h"
#include "lib/core/httpc.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char workflow_synopsis[] =
	"usage: setpost workflow show [--production ID] [--json] [options]\n"
	"       setpost workflow set FILE|- [--production ID] [options]\n\n"
	"The workflow sheet production, camera, sound and post agree on: cameras and recording\n"
	"formats, resolution, frame_rate, codecs, colour_pipeline, looks, luts, naming_rule (a POSIX\n"
	"extended regular expression a clip's whole name must match), copies_required, media_rule,\n"
	"archive_rule, proxy_profiles, delivery, sound, timecode, contacts, notes. `set` sends a\n"
	"JSON object of these keys as the new version (docs/reports.md#the-workflow-sheet);\n"
	"clips that break frame_rate, resolution, codecs, sound.in_camera or naming_rule get a QC\n"
	"finding naming the rule. The sheet to sign: GET /api/v1/productions/ID/workflow.pdf.\n\n"
	"  --url URL        the setpost (default: SETPOST_URL, else http://127.0.0.1:8440)\n"
	"  --token TOKEN    an API token, admin to set (default: SETPOST_TOKEN)\n"
	"  --production ID  the production (default: the only one)\n"
	"  --json           show the sheet as JSON (what `set` takes)";

struct workflow_opts {
	const char *url, *token, *production;
	int json;
};

static int
workflow_option(void *arg, int c, const char *val, struct err *err)
{
	struct workflow_opts *o = arg;

	switch (c) {
	case 'u': o->url = val; return 0;
	case 'k': o->token = val; return 0;
	case 'P': o->production = val; return 0;
	case 'j': o->json = 1; return 0;
	}
	return err_set(err, SP_EINVAL, "unknown option");
}

/* The production the sheet is of: --production, else the server's only one. */
static long long
workflow_production(const struct workflow_opts *o)
{
	json_t *got;
	long long id = 0;
	char *end;

	if (o->production) {
		id = strtoll(o->production, &end, 10);
		if (*end || id <= 0)
			cli_fail("workflow", "--production: expected a production id");
		return *end || id <= 0 ? -1 : id;
	}
	if (cli_api_call("workflow", o->url, o->token, "GET", "/api/v1/productions", NULL, 200,
	    &got) < 0)
		return -1;
	if (json_array_size(json_object_get(got, "items")) == 1)
		id = json_integer_value(json_object_get(json_array_get(json_object_get(got, "items"), 0),
		    "id"));
	else
		cli_fail("workflow", "%zu productions: name one with --production",
		    json_array_size(json_object_get(got, "items")));
	json_decref(got);
	return id > 0 ? id : -1;
}

/* One value as a line: text as it is, lists joined, objects as key=value pairs. */
static void
workflow_value(const json_t *v)
{
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_string(v))
		fputs(json_string_value(v), stdout);
	else if (json_is_array(v))
		json_array_foreach((json_t *)v, i, x) {
			fputs(i ? (json_is_object(x) ? "; " : ", ") : "", stdout);
			workflow_value(x);
		}
	else if (json_is_object(v)) {
		i = 0;
		json_object_foreach((json_t *)v, k, x) {
			printf("%s%s=", i++ ? ", " : "", k);
			workflow_value(x);
		}
	} else {
		char *s = json_dumps(v, JSON_ENCODE_ANY);
		fputs(s ? s : "", stdout);
		free(s);
	}
}

static int
workflow_show(const struct workflow_opts *o, long long id)
{
	char path[96];
	const char *k;
	json_t *got, *sheet, *v;

	snprintf(path, sizeof(path), "/api/v1/productions/%lld/workflow", id);
	if (cli_api_call("workflow", o->url, o->token, "GET", path, NULL, 200, &got) < 0)
		return 1;
	sheet = json_object_get(got, "sheet");
	if (o->json) {
		char *s = json_dumps(sheet, JSON_INDENT(2) | JSON_SORT_KEYS);
		printf("%s\n", s ? s : "{}");
		free(s);
	} else {
		printf("production\t%s (%lld)\nversion\t%lld\n",
		    json_string_value(json_object_get(got, "production")), id,
		    (long long)json_integer_value(json_object_get(got, "version")));
		if (json_string_value(json_object_get(got, "changed_at")))
			printf("changed\t%s by %s\n", json_string_value(json_object_get(got, "changed_at")),
			    json_string_value(json_object_get(got, "changed_by")) ?
			    json_string_value(json_object_get(got, "changed_by")) : "?");
		json_object_foreach(sheet, k, v) {
			printf("%s\t", k);
			workflow_value(v);
			putchar('\n');
		}
	}
	json_decref(got);
	return 0;
}

static int
workflow_set(const struct workflow_opts *o, long long id, const char *file)
{
	json_error_t je;
	json_t *sheet, *got;
	char path[96];
	int rc;

	sheet = strcmp(file, "-") == 0 ? json_loadf(stdin, 0, &je) : json_load_file(file, 0, &je);
	if (!json_is_object(sheet)) {
		json_decref(sheet);
		return cli_fail("workflow", "%s: not a JSON object (%s, line %d)", file, je.text,
		    je.line);
	}
	snprintf(path, sizeof(path), "/api/v1/productions/%lld/workflow", id);
	rc = cli_api_call("workflow", o->url, o->token, "PUT", path, sheet, 200, &got);
	json_decref(sheet);
	if (rc < 0)
		return 1;
	printf("workflow sheet of %s: version %lld%s\n",
	    json_string_value(json_object_get(got, "production")),
	    (long long)json_integer_value(json_object_get(got, "version")),
	    json_is_true(json_object_get(got, "changed")) ? "" : " (unchanged)");
	json_decref(got);
	return 0;
}

int
cmd_workflow(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "token", required_argument, NULL, 'k' },
		{ "production", required_argument, NULL, 'P' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct cli_options options = { ":h", longopts, workflow_option };
	struct workflow_opts o = { getenv("SETPOST_URL"), getenv("SETPOST_TOKEN"), NULL, 0 };
	const char *verb;
	struct err err;
	long long id;
	int first, help = 0;

	if (cli_getopt(&options, argc, argv, &o, &help, &err) < 0)
		return cli_fail("workflow", "%s (see 'setpost workflow --help')", err.msg);
	if (help) {
		printf("%s\n", workflow_synopsis);
		return 0;
	}
	first = optind;
	if (o.url == NULL || o.url[0] == '\0')
		o.url = "http://127.0.0.1:8440";
	if (o.token == NULL || o.token[0] == '\0')
		return cli_fail("workflow", "a token is needed: --token or SETPOST_TOKEN");
	httpc_set_cacert(getenv("SETPOST_CACERT"));
	verb = first < argc ? argv[first] : NULL;
	if (!(verb && strcmp(verb, "show") == 0 && first + 1 == argc) &&
	    !(verb && strcmp(verb, "set") == 0 && first + 2 == argc))
		return cli_fail("workflow", "expected show, or set FILE (see 'setpost workflow --help')");
	if ((id = workflow_production(&o)) < 0)
		return 1;
	return strcmp(verb, "show") == 0 ? workflow_show(&o, id) : workflow_set(&o, id,
	    argv[first + 1]);
}
