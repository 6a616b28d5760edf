/* config: flags, then environment, then defaults (see config.h). */
#include "lib/core/config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum config_type { CONFIG_STR, CONFIG_LONG };

struct config_opt {
	const char *flag;
	const char *env;
	const char *def;        /* NULL: unset */
	unsigned scope;
	enum config_type type;
	size_t offset;
	long min, max;          /* CONFIG_LONG bounds */
	const char *help;
};

#define STR(f) CONFIG_STR, offsetof(struct config, f), 0, 0
#define NUM(f, lo, hi) CONFIG_LONG, offsetof(struct config, f), lo, hi
#define ALL (CONFIG_SERVE | CONFIG_WORKER | CONFIG_DB)

static const struct config_opt config_opts[] = {
	{ "listen", "SETPOST_LISTEN", "127.0.0.1:8440", CONFIG_SERVE, STR(listen),
	  "address and port the HTTP server listens on (port 0: any free port)" },
	{ "data", "SETPOST_DATA", "./var", ALL, STR(data_dir),
	  "folder for the embedded database, logs and media setpost makes" },
	{ "web", "SETPOST_WEB", NULL, CONFIG_SERVE, STR(web_dir),
	  "folder of the dashboard's static files (default: web/ beside the binary)" },
	{ "database-url", "SETPOST_DATABASE_URL", NULL, ALL, STR(database_url),
	  "libpq connection string of a shared PostgreSQL (default: embedded cluster in --data)" },
	{ "pg-bindir", "SETPOST_PG_BINDIR", NULL, ALL, STR(pg_bindir),
	  "folder holding initdb and pg_ctl for the embedded cluster (default: newest /usr/lib/postgresql/*/bin)" },
	{ "log-level", "SETPOST_LOG_LEVEL", "info", ALL, STR(log_level),
	  "debug, info, warn or error" },
	{ "log-format", "SETPOST_LOG_FORMAT", "text", ALL, STR(log_format),
	  "text (one line: time level where: message) or json (one JSON object a line)" },
	{ "tls-cert", "SETPOST_TLS_CERT", NULL, CONFIG_SERVE, STR(tls_cert),
	  "PEM certificate (chain) file: serve HTTPS instead of HTTP (with --tls-key)" },
	{ "tls-key", "SETPOST_TLS_KEY", NULL, CONFIG_SERVE, STR(tls_key),
	  "PEM private key file for --tls-cert" },
	{ "uploads", "SETPOST_UPLOADS", NULL, CONFIG_SERVE, STR(uploads_dir),
	  "folder where the tus receiver keeps uploads (default: DATA/uploads)" },
	{ "renditions", "SETPOST_RENDITIONS", NULL, CONFIG_SERVE | CONFIG_WORKER, STR(renditions_dir),
	  "folder of the proxies setpost makes; renditions' paths are relative to it (default: DATA/renditions)" },
	{ "age-identity", "SETPOST_AGE_IDENTITY", NULL, CONFIG_SERVE, STR(age_identity),
	  "age identity file: the receiver decrypts finished uploads and checks size and xxh64" },
	{ "originals-roles", "SETPOST_ORIGINALS_ROLES", "admin", CONFIG_SERVE, STR(originals_roles),
	  "roles that may download original camera files (GET /files/{id}/content): admin, or e.g. admin,post" },
	{ "upload-max", "SETPOST_UPLOAD_MAX", "1099511627776", CONFIG_SERVE,
	  NUM(upload_max, 0, 1L << 50), "largest upload the receiver accepts, in bytes" },
	{ "upload-quota-token", "SETPOST_UPLOAD_QUOTA_TOKEN", "2199023255552", CONFIG_SERVE,
	  NUM(upload_quota_token, 0, 1L << 50), "bytes one token's unfinished uploads may hold "
	  "together (Upload-Length of each); past it a new upload gets 507" },
	{ "upload-quota-total", "SETPOST_UPLOAD_QUOTA_TOTAL", "8796093022208", CONFIG_SERVE,
	  NUM(upload_quota_total, 0, 1L << 50), "bytes all unfinished uploads may hold together; "
	  "past it a new upload gets 507" },
	{ "upload-expiry", "SETPOST_UPLOAD_EXPIRY", "86400", CONFIG_SERVE,
	  NUM(upload_expiry, 1, 30L * 86400), "seconds an unfinished upload is kept after its last byte" },
	{ "threads", "SETPOST_THREADS", "8", CONFIG_SERVE, NUM(threads, 1, 256),
	  "HTTP worker threads" },
	{ "max-body", "SETPOST_MAX_BODY", "8388608", CONFIG_SERVE, NUM(max_body, 1024, 1L << 40),
	  "largest request body accepted, in bytes" },
	{ "request-timeout", "SETPOST_REQUEST_TIMEOUT", "60", CONFIG_SERVE,
	  NUM(request_timeout, 1, 86400), "seconds an idle connection is kept" },
	{ "request-time-limit", "SETPOST_REQUEST_TIME_LIMIT", "60", CONFIG_SERVE,
	  NUM(request_time_limit, 1, 86400), "seconds a request may take to send its body "
	  "(tus uploads: --request-timeout between pieces only)" },
	{ "trust-proxy", "SETPOST_TRUST_PROXY", NULL, CONFIG_SERVE, STR(trust_proxy),
	  "address of a reverse proxy in front: from it alone, X-Forwarded-For names the client "
	  "and X-Forwarded-Proto: https makes cookies Secure and adds HSTS" },
	{ "outbound-allow", "SETPOST_OUTBOUND_ALLOW", NULL, CONFIG_SERVE | CONFIG_WORKER, STR(outbound_allow),
	  "networks webhooks and delivery targets may reach although private or local, comma-separated "
	  "(\"10.1.0.0/16,127.0.0.1/32\"); none by default" },
	{ "pool-size", "SETPOST_POOL_SIZE", "8", ALL, NUM(pool_size, 1, 256),
	  "database connections in the pool" },
	{ "slots", "SETPOST_SLOTS", "2", CONFIG_WORKER, NUM(slots, 1, 256),
	  "jobs one worker runs at the same time" },
	{ "lease", "SETPOST_LEASE", "30", CONFIG_WORKER, NUM(lease, 2, 3600),
	  "seconds a job's lease lasts without a heartbeat before another worker takes it" },
	{ "db-listen", "SETPOST_DB_LISTEN", NULL, CONFIG_SERVE, STR(db_listen),
	  "the embedded database also listens on this ADDR:PORT for workers on other hosts, password "
	  "only (scram-sha-256; the password is DATA/pg-password); default: Unix socket only" },
	{ "kinds", "SETPOST_KINDS", NULL, CONFIG_WORKER, STR(kinds),
	  "job kinds this worker takes, comma-separated (\"transcode,thumbnails\"); default: all" },
	{ "worker-name", "SETPOST_WORKER_NAME", NULL, CONFIG_WORKER, STR(worker_name),
	  "name of this worker in the job list (default: host:pid)" },
	{ "host", "SETPOST_HOST", NULL, ALL, STR(host),
	  "this host's name in the volumes' mount list (default: the system's host name)" },
	{ "ffmpeg", "SETPOST_FFMPEG", NULL, CONFIG_SERVE | CONFIG_WORKER, STR(ffmpeg),
	  "the ffmpeg program to run (default: ffmpeg from PATH)" },
	{ "ffprobe", "SETPOST_FFPROBE", NULL, CONFIG_SERVE | CONFIG_WORKER, STR(ffprobe),
	  "the ffprobe program to run (default: ffprobe from PATH)" },
	{ "burnin-font", "SETPOST_BURNIN_FONT", NULL, CONFIG_WORKER, STR(burnin_font),
	  "font file of burnt-in text on dailies (default: fontconfig's monospace font)" },
	{ "pg-user", "SETPOST_PG_USER", NULL, ALL, STR(pg_user),
	  "as root: the system user that owns the embedded database (default: postgres)" },
	{ "sse-heartbeat", "SETPOST_SSE_HEARTBEAT", "15", CONFIG_SERVE, NUM(sse_heartbeat, 1, 3600),
	  "seconds between keep-alive comments on an open event stream" },
	{ "page-cache", "SETPOST_PAGE_CACHE", "on", CONFIG_SERVE, STR(page_cache),
	  "off: build every page from PostgreSQL instead of the page cache" },
};

#define NOPTS (sizeof(config_opts) / sizeof(config_opts[0]))

static int
config_set(struct config *cfg, const struct config_opt *o, const char *val,
    const char *from, struct err *err)
{
	char *end;
	long v;

	if (o->type == CONFIG_STR) {
		char **slot = (char **)((char *)cfg + o->offset);
		free(*slot);
		*slot = strdup(val);
		return *slot ? 0 : err_set(err, SP_ENOMEM, "out of memory");
	}
	errno = 0;
	v = strtol(val, &end, 10);
	if (errno || end == val || *end || v < o->min || v > o->max)
		return err_set(err, SP_EINVAL, "%s %s: expected a whole number from %ld to %ld, got '%s'",
		    from, o->flag, o->min, o->max, val);
	*(long *)((char *)cfg + o->offset) = v;
	return 0;
}

static const struct config_opt *
config_find(const char *flag, size_t len, unsigned scope)
{
	for (size_t i = 0; i < NOPTS; i++)
		if ((config_opts[i].scope & scope) && strlen(config_opts[i].flag) == len &&
		    strncmp(config_opts[i].flag, flag, len) == 0)
			return &config_opts[i];
	return NULL;
}

static int
config_defaults(struct config *cfg, unsigned scope, struct err *err)
{
	for (size_t i = 0; i < NOPTS; i++) {
		const struct config_opt *o = &config_opts[i];
		const char *v = getenv(o->env);
		int rc;

		if (!(o->scope & scope))
			continue;
		if (v && *v)
			rc = config_set(cfg, o, v, "environment", err);
		else if (o->def)
			rc = config_set(cfg, o, o->def, "default", err);
		else
			continue;
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Parses one "--flag value" or "--flag=value" at argv[*i]. */
static int
config_flag(struct config *cfg, unsigned scope, int argc, char **argv, int *i,
    struct err *err)
{
	const char *arg = argv[*i] + 2, *eq = strchr(arg, '=');
	size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
	const struct config_opt *o = config_find(arg, len, scope);
	const char *val;

	if (o == NULL)
		return err_set(err, SP_EINVAL, "unknown option --%.*s (see --help)", (int)len, arg);
	if (eq)
		val = eq + 1;
	else if (*i + 1 < argc)
		val = argv[++*i];
	else
		return err_set(err, SP_EINVAL, "option --%s needs a value", o->flag);
	return config_set(cfg, o, val, "option", err);
}

int
config_load(struct config *cfg, unsigned scope, int argc, char **argv,
    struct buf *usage, struct err *err)
{
	int rc, i;

	memset(cfg, 0, sizeof(*cfg));
	cfg->args = calloc((size_t)argc + 1, sizeof(char *));
	if (cfg->args == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	if ((rc = config_defaults(cfg, scope, err)) < 0)
		return rc;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			if (usage)
				config_usage(scope, usage);
			return 1;
		}
		if (strcmp(argv[i], "--") == 0) {
			while (++i < argc)
				cfg->args[cfg->nargs++] = argv[i];
			break;
		}
		if (strncmp(argv[i], "--", 2) == 0) {
			if ((rc = config_flag(cfg, scope, argc, argv, &i, err)) < 0)
				return rc;
		} else {
			cfg->args[cfg->nargs++] = argv[i];
		}
	}
	if (cfg->log_level && strcmp(cfg->log_level, "debug") && strcmp(cfg->log_level, "info") &&
	    strcmp(cfg->log_level, "warn") && strcmp(cfg->log_level, "error"))
		return err_set(err, SP_EINVAL, "log level '%s': expected debug, info, warn or error",
		    cfg->log_level);
	if (cfg->log_format && strcmp(cfg->log_format, "text") && strcmp(cfg->log_format, "json"))
		return err_set(err, SP_EINVAL, "log format '%s': expected text or json", cfg->log_format);
	if ((scope & CONFIG_SERVE) && (cfg->tls_cert == NULL) != (cfg->tls_key == NULL))
		return err_set(err, SP_EINVAL, "--tls-cert and --tls-key go together");
	if ((scope & CONFIG_SERVE) && cfg->listen) {
		char host[256];
		int port;
		if ((rc = config_split_listen(cfg->listen, host, sizeof(host), &port, err)) < 0)
			return rc;
	}
	return 0;
}

void
config_usage(unsigned scope, struct buf *out)
{
	for (size_t i = 0; i < NOPTS; i++) {
		const struct config_opt *o = &config_opts[i];
		if (!(o->scope & scope))
			continue;
		buf_appendf(out, "  --%-18s %s\n  %-20s env %s, default %s\n", o->flag, o->help, "",
		    o->env, o->def ? o->def : "(none)");
	}
	buf_appendf(out, "  --%-18s %s\n", "help", "print this help");
}

void
config_release(struct config *cfg)
{
	for (size_t i = 0; i < NOPTS; i++)
		if (config_opts[i].type == CONFIG_STR)
			free(*(char **)((char *)cfg + config_opts[i].offset));
	free(cfg->args);
	memset(cfg, 0, sizeof(*cfg));
}

int
config_renditions_dir(const struct config *cfg, char *out, size_t len, struct err *err)
{
	int n = cfg->renditions_dir ? snprintf(out, len, "%s", cfg->renditions_dir) :
	    snprintf(out, len, "%s/renditions", cfg->data_dir);

	if (n < 0 || (size_t)n >= len)
		return err_set(err, SP_ETOOBIG, "renditions folder path is too long");
	return 0;
}

int
config_split_listen(const char *listen, char *host, size_t hostlen, int *port,
    struct err *err)
{
	const char *colon, *h = listen;
	size_t hl;
	char *end;
	long p;

	if (*listen == '[') {
		const char *close = strchr(listen, ']');
		if (close == NULL || close[1] != ':')
			goto bad;
		h = listen + 1;
		hl = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(listen, ':');
		if (colon == NULL)
			goto bad;
		hl = (size_t)(colon - listen);
	}
	if (hl == 0 || hl >= hostlen)
		goto bad;
	p = strtol(colon + 1, &end, 10);
	if (end == colon + 1 || *end || p < 0 || p > 65535)
		goto bad;
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (int)p;
	return 0;
bad:
	return err_set(err, SP_EINVAL, "listen address '%s': expected HOST:PORT or [IPV6]:PORT",
	    listen);
}
