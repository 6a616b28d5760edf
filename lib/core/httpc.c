/* httpc: small JSON requests over libcurl (see httpc.h). */
#include "lib/core/httpc.h"
#include "lib/core/outbound.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t
httpc_on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct buf *b = arg;

	return buf_append(b, data, size * nmemb) < 0 ? 0 : size * nmemb;
}

int
httpc_json(const char *method, const char *url, const char *token, json_t *body,
    long timeout_s, struct httpc_resp *resp, struct err *err)
{
	char authz[256];
	const char *h[1] = { authz };

	snprintf(authz, sizeof(authz), "Authorization: Bearer %s", token ? token : "");
	return httpc_json_headers(method, url, h, token ? 1 : 0, body, timeout_s, resp, err);
}

static const char *httpc_cacert;
static const struct outbound_policy *httpc_outbound;

void
httpc_set_outbound(const struct outbound_policy *policy)
{
	httpc_outbound = policy;
}

void
httpc_set_cacert(const char *file)
{
	httpc_cacert = file;
}

int
httpc_json_headers(const char *method, const char *url, const char *const *headers,
    size_t nheaders, json_t *body, long timeout_s, struct httpc_resp *resp, struct err *err)
{
	struct curl_slist *hl = NULL, *pin = NULL;
	char *text = NULL;
	CURL *c = curl_easy_init();
	CURLcode rc;

	resp->status = 0;
	buf_init(&resp->body, 64 << 20);
	if (c == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	hl = curl_slist_append(hl, "Accept: application/json");
	for (size_t i = 0; i < nheaders; i++)
		hl = curl_slist_append(hl, headers[i]);
	if (body) {
		text = json_dumps(body, JSON_COMPACT);
		hl = curl_slist_append(hl, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, text);
	}
	if (httpc_outbound && outbound_curl(c, httpc_outbound, url, &pin, err) < 0) {
		curl_slist_free_all(hl);
		curl_easy_cleanup(c);
		free(text);
		return err->code;
	}
	if (httpc_outbound == NULL)
		curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, httpc_on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp->body);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (httpc_cacert)
		curl_easy_setopt(c, CURLOPT_CAINFO, httpc_cacert);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	curl_slist_free_all(pin);
	free(text);
	if (rc != CURLE_OK)
		return err_set(err, SP_EUNAVAIL, "%s %s: %s", method, url, curl_easy_strerror(rc));
	return 0;
}

void
httpc_resp_release(struct httpc_resp *resp)
{
	buf_release(&resp->body);
}

void
httpc_describe(const struct httpc_resp *resp, char *out, size_t len)
{
	json_t *j = resp->body.data ? json_loadb(resp->body.data, resp->body.len, 0, NULL) : NULL;
	const char *msg = json_string_value(json_object_get(json_object_get(j, "error"), "message"));

	if (msg)
		snprintf(out, len, "%ld: %s", resp->status, msg);
	else
		snprintf(out, len, "%ld: %.200s", resp->status, resp->body.data ? resp->body.data : "");
	json_decref(j);
}
