/* offload_register: offload result -> card grouping -> registration (see offload_register.h). */
#include "offload_register.h"
#include "lib/custody/card.h"
#include "lib/core/httpc.h"
#include "lib/custody/offload_doc.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
offload_register_verdict(json_t *v, FILE *out)
{
	json_t *why = json_object_get(v, "why_not"), *w;
	size_t i;

	fprintf(out, "registered: card id %lld, %lld files, %lld copies; safe to format: %s; "
	    "working drives safe to clear: %s\n",
	    (long long)json_integer_value(json_object_get(v, "card_id")),
	    (long long)json_integer_value(json_object_get(v, "files")),
	    (long long)json_integer_value(json_object_get(v, "copies")),
	    json_is_true(json_object_get(v, "safe_to_format")) ? "YES" : "no",
	    json_is_true(json_object_get(v, "safe_to_clear")) ? "YES" : "no");
	if (json_is_true(json_object_get(v, "already_registered")))
		fprintf(out, "  the card was already registered: these copies were added to it\n");
	json_array_foreach(why, i, w)
		if (i < 10)
			fprintf(out, "  not safe: %s\n", json_string_value(w));
	json_array_foreach(json_object_get(v, "why_not_clear"), i, w)
		if (i < 10)
			fprintf(out, "  not clear: %s\n", json_string_value(w));
}

/* The server touches only declared volumes: each destination is declared first, as
 * `setpost volume add` would (the same path again changes nothing). */
static int
offload_register_declare(const struct offload_result *res, const struct offload_register_opts *o,
    struct err *err)
{
	char url[2048], real[PATH_MAX], what[600];
	struct httpc_resp resp;
	int rc = 0;

	offload_register_url(o, "/api/v1/volume-roots", url, sizeof(url));
	for (size_t d = 0; d < res->ndst && rc == 0; d++) {
		const char *base;
		json_t *doc;
		if (realpath(res->dests[d].path, real) == NULL)
			continue; /* a destination that failed: nothing of it is registered */
		base = strrchr(real, '/');
		doc = json_pack("{s:s,s:s}", "name", base && base[1] ? base + 1 : real, "path", real);
		rc = httpc_json("POST", url, o->token, doc, 60, &resp, err);
		json_decref(doc);
		if (rc < 0)
			return err_prefix(err, "register: ");
		if (resp.status != 200 && resp.status != 201) {
			httpc_describe(&resp, what, sizeof(what));
			rc = err_set(err, resp.status == 401 || resp.status == 403 ? SP_EAUTH : SP_EINVAL,
			    "register: the server refused: %s (declaring the volume %s)", what, real);
		}
		httpc_resp_release(&resp);
	}
	return rc;
}

void
offload_register_url(const struct offload_register_opts *o, const char *path, char *url,
    size_t len)
{
	snprintf(url, len, "%.*s%s", (int)(strlen(o->url) - (o->url[strlen(o->url) - 1] == '/')),
	    o->url, path);
}

int
offload_register_post(const struct offload_register_opts *o, const char *path, json_t *doc,
    json_t **verdict, struct err *err)
{
	struct httpc_resp resp;
	char url[2048], what[600];
	int rc;

	offload_register_url(o, path, url, sizeof(url));
	httpc_set_cacert(o->cacert ? o->cacert : getenv("SETPOST_CACERT"));
	rc = httpc_json("POST", url, o->token, doc, 120, &resp, err);
	json_decref(doc);
	if (rc < 0)
		return err_prefix(err, "register: ");
	if (resp.status != 201) {
		httpc_describe(&resp, what, sizeof(what));
		httpc_resp_release(&resp);
		return err_set(err, resp.status == 401 || resp.status == 403 ? SP_EAUTH : SP_EINVAL,
		    "register: the server refused: %s", what);
	}
	*verdict = json_loadb(resp.body.data, resp.body.len, 0, NULL);
	httpc_resp_release(&resp);
	return 0;
}

int
offload_register_file(struct offload_register_parts *st, const struct offload_result *res,
    size_t k, const struct offload_register_opts *o, const char **clip, struct err *err)
{
	struct offload_doc_opts dopts = { o->production, o->day, NULL, 0, 0 };
	char host[256] = "localhost";
	json_t *doc, *verdict = NULL;
	size_t c;
	int rc;

	gethostname(host, sizeof(host) - 1);
	dopts.host = host;
	if (st->stopped || (rc = offload_doc_part(&st->parts, res, k, &dopts, o->camera, &doc, &c,
	    err)) == 0)
		return 0;
	if (rc < 0) {
		st->stopped = 1;
		return rc;
	}
	httpc_set_cacert(o->cacert ? o->cacert : getenv("SETPOST_CACERT"));
	if (!st->declared && (rc = offload_register_declare(res, o, err)) < 0) {
		json_decref(doc);
		st->stopped = 1;
		return rc;
	}
	st->declared = 1;
	if ((rc = offload_register_post(o, "/api/v1/offloads", doc, &verdict, err)) < 0) {
		st->stopped = 1;
		return rc;
	}
	json_decref(verdict);
	st->sent++;
	*clip = st->parts.card.clips[c].name;
	return 1;
}

int
offload_register(const struct offload_result *res, const struct offload_register_opts *o,
    struct offload_register_parts *st, FILE *out, json_t **verdict_out, struct err *err)
{
	struct offload_doc_opts dopts = { o->production, o->day, NULL, 0, 0 };
	struct card_info card;
	char host[256] = "localhost";
	json_t *doc, *verdict;
	int rc;

	gethostname(host, sizeof(host) - 1);
	dopts.host = host;
	memset(&card, 0, sizeof(card));
	if ((rc = offload_doc_card(res, o->camera, &card, err)) < 0)
		return rc;
	if (card.hint[0])
		fprintf(stderr, "setpost offload: warning: %s\n", card.hint);
	rc = offload_doc_build(res, &card, &dopts, &doc, err);
	card_info_release(&card);
	if (rc < 0)
		return rc;
	/* The volumes are declared first, over the same TLS settings as the post itself. */
	httpc_set_cacert(o->cacert ? o->cacert : getenv("SETPOST_CACERT"));
	if ((st == NULL || !st->declared) && (rc = offload_register_declare(res, o, err)) < 0) {
		json_decref(doc);
		return rc;
	}
	if ((rc = offload_register_post(o, "/api/v1/offloads", doc, &verdict, err)) < 0)
		return rc;
	offload_register_verdict(verdict, out);
	if (st && st->sent > 0)
		fprintf(out, "  %zu clip(s) were registered as soon as they were verified, before the "
		    "whole card\n", st->sent);
	if (verdict_out)
		*verdict_out = verdict;
	else
		json_decref(verdict);
	return 0;
}
