/*
 * config: setpost's settings. Each setting has one row in a table (config.c): its flag, its
 * environment variable, its default and its help line. A value comes from the command-line
 * flag, else the environment, else the default, and is validated once at start; the
 * resulting struct config is then passed around read-only (no globals).
 * Ownership: config_load() fills a struct config whose strings it owns; config_release()
 * frees them. Positional arguments are returned in the caller's argv order (borrowed).
 */
#ifndef SETPOST_CONFIG_H
#define SETPOST_CONFIG_H

#include "lib/core/buf.h"
#include "lib/core/err.h"

#include <stddef.h>

/* Which subcommands a setting applies to (a bit per group). */
enum config_scope {
	CONFIG_SERVE = 1 << 0,
	CONFIG_WORKER = 1 << 1,
	CONFIG_DB = 1 << 2,      /* anything that opens the database */
};

struct config {
	char *listen;          /* "127.0.0.1:8440" */
	char *data_dir;        /* "./var" */
	char *web_dir;         /* static files of the dashboard */
	char *database_url;    /* libpq connection string, or NULL for the embedded cluster */
	char *pg_bindir;       /* where initdb/pg_ctl live, or NULL to search */
	char *log_level;
	char *log_format;      /* "text" or "json" */
	char *worker_name;     /* identity in the jobs table; default host:pid */
	char *tls_cert;        /* PEM certificate chain: serve HTTPS */
	char *tls_key;         /* PEM private key */
	char *uploads_dir;     /* tus receiver storage; default <data>/uploads */
	char *renditions_dir;  /* proxies setpost makes; default <data>/renditions */
	char *age_identity;    /* receiver: identity file to decrypt and verify uploads */
	char *originals_roles; /* roles that may download originals: "admin", "admin,post"... */
	long upload_max;       /* largest upload accepted, bytes */
	long upload_expiry;    /* seconds an unfinished upload is kept */
	long upload_quota_token; /* bytes one token's unfinished uploads may reserve */
	long upload_quota_total; /* bytes all unfinished uploads may reserve */
	long threads;          /* HTTP thread pool size */
	long max_body;         /* bytes */
	long request_timeout;  /* seconds a connection may stay idle */
	long request_time_limit; /* seconds a request may take to send its body */
	char *trust_proxy;     /* the reverse proxy's address, or NULL */
	char *outbound_allow;  /* networks outbound connections may reach though local */
	long pool_size;        /* database connections */
	long slots;            /* concurrent jobs in one worker */
	long lease;            /* job lease in seconds */
	char *host;            /* this host's name in volume_mounts; default gethostname() */
	char *ffmpeg;          /* program run as ffmpeg; default "ffmpeg" from PATH */
	char *ffprobe;         /* program run as ffprobe; default "ffprobe" from PATH */
	char *burnin_font;     /* font file of burnt-in text; default fontconfig's monospace */
	char *pg_user;         /* as root: the system user owning the embedded cluster */
	long sse_heartbeat;    /* seconds between keep-alive comments on an event stream */
	char *page_cache;      /* "off": every page built by PostgreSQL */
	char *db_listen;       /* embedded cluster also on TCP, "ADDR:PORT" (password), or NULL */
	char *kinds;           /* job kinds a worker takes, comma-separated, or NULL: all */
	/* positional arguments, borrowed from argv */
	char **args;
	int nargs;
};

/* Fills cfg from argv (flags of the given scope), the environment and defaults.
 * Returns 0, 1 when --help was asked (usage is in *usage), or SP_EINVAL with a message.
 * usage may be NULL. argv[0] is the subcommand name. */
int config_load(struct config *cfg, unsigned scope, int argc, char **argv,
    struct buf *usage, struct err *err);

/* Appends the flag list of a scope (flag, env, default, help) to out. */
void config_usage(unsigned scope, struct buf *out);

void config_release(struct config *cfg);

/* The folder of renditions: --renditions, or DATA/renditions. Writes it to out (len bytes);
 * returns 0 or SP_ETOOBIG. Renditions' rel_path values are relative to this folder. */
int config_renditions_dir(const struct config *cfg, char *out, size_t len, struct err *err);

/* Splits "host:port" or "[v6]:port" into its parts; returns 0 or SP_EINVAL. */
int config_split_listen(const char *listen, char *host, size_t hostlen, int *port,
    struct err *err);

#endif
