/* api: a subcommand's request to a setpost's HTTP API (see cli.h). */
#include "cli.h"
#include "lib/core/httpc.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

int
cli_api_call(const char *cmd, const char *base, const char *token, const char *method,
    const char *path, json_t *body, long want, json_t **out)
{
	char url[2048], what[600];
	struct httpc_resp resp;
	struct err err;
	size_t n = strlen(base);

	if (out)
		*out = NULL;
	snprintf(url, sizeof(url), "%.*s%s", (int)(n - (n > 0 && base[n - 1] == '/')), base, path);
	if (httpc_json(method, url, token, body, 30, &resp, &err) < 0) {
		cli_fail(cmd, "%s", err.msg);
		return -1;
	}
	if (resp.status != want) {
		httpc_describe(&resp, what, sizeof(what));
		httpc_resp_release(&resp);
		cli_fail(cmd, "%s", what);
		return -1;
	}
	if (out && resp.body.len > 0)
		*out = json_loadb(resp.body.data, resp.body.len, 0, NULL);
	httpc_resp_release(&resp);
	return 0;
}
