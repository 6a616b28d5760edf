/* static: the dashboard's files from web/. A path is resolved (symlinks included) and must
 * stay inside the web root; anything else is 404, never a file from elsewhere. Files are sent
 * from their descriptor, with an ETag from size and modification time. */
#include "http.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
	const char *ext;
	const char *type;
} static_types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".mjs", "text/javascript; charset=utf-8" },
	{ ".json", "application/json" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".jpg", "image/jpeg" },
	{ ".jpeg", "image/jpeg" },
	{ ".ico", "image/x-icon" },
	{ ".woff2", "font/woff2" },
	{ ".txt", "text/plain; charset=utf-8" },
	{ ".webmanifest", "application/manifest+json" },
};

static const char *
static_type(const char *path)
{
	const char *dot = strrchr(path, '.');

	for (size_t i = 0; dot && i < sizeof(static_types) / sizeof(static_types[0]); i++)
		if (strcasecmp(dot, static_types[i].ext) == 0)
			return static_types[i].type;
	return "application/octet-stream";
}

/* Resolves url inside root into out; false when it is outside, missing or not a file. */
static bool
static_resolve(const char *root, const char *url, char *out, size_t len)
{
	char joined[PATH_MAX * 2];
	size_t rootlen = strlen(root);

	if (strcmp(url, "/") == 0)
		url = "/index.html";
	if (strstr(url, "/..") || strchr(url, '\\'))
		return false;
	snprintf(joined, sizeof(joined), "%s%s", root, url);
	if (len < PATH_MAX || realpath(joined, out) == NULL)
		return false;
	return strncmp(out, root, rootlen) == 0 && out[rootlen] == '/';
}

static enum MHD_Result
static_send(struct request *req, int fd, const struct stat *st, const char *path)
{
	char etag[64];
	const char *inm = request_header(req, "If-None-Match");
	struct MHD_Response *resp;
	unsigned status = 200;
	bool html = strstr(static_type(path), "text/html") != NULL;

	snprintf(etag, sizeof(etag), "\"%llx-%llx\"", (unsigned long long)st->st_size,
	    (unsigned long long)st->st_mtim.tv_sec * 1000000000ULL + (unsigned long long)st->st_mtim.tv_nsec);
	if (inm && strstr(inm, etag)) {
		close(fd);
		resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		status = 304;
	} else {
		resp = MHD_create_response_from_fd64((uint64_t)st->st_size, fd);
	}
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "ETag", etag);
	MHD_add_response_header(resp, "Content-Type", static_type(path));
	/* Pages revalidate every time so a new dashboard is seen at once; assets for a minute. */
	MHD_add_response_header(resp, "Cache-Control", html ? "no-cache" : "public, max-age=60");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (html)
		MHD_add_response_header(resp, "Content-Security-Policy",
		    "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
		    "style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'");
	return reply_response(req, status, resp);
}

enum MHD_Result
static_get(struct request *req)
{
	char path[PATH_MAX];
	struct stat st;
	int fd;

	if (!static_resolve(req->srv->web_root, req->url, path, sizeof(path)))
		return reply_error(req, 404, "not_found", "no such page: %s", req->url);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return reply_error(req, 404, "not_found", "no such page: %s", req->url);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return reply_error(req, 404, "not_found", "no such page: %s", req->url);
	}
	return static_send(req, fd, &st, path);
}
