/* common: what every subcommand shares: settings, errors, signals, the database. */
#include "cli.h"
#include "lib/core/log.h"
#include "lib/store/migrate.h"
#include "lib/custody/locate.h"
#include "lib/media/burnin.h"
#include "lib/media/ffmpeg.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

volatile sig_atomic_t cli_stop;

int
cli_fail(const char *cmd, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "setpost %s: %s\n", cmd, msg);
	return 1;
}

int
cli_config(struct config *cfg, unsigned scope, int argc, char **argv, const char *synopsis)
{
	struct buf usage = BUF_INIT(0);
	struct err err;
	int rc = config_load(cfg, scope, argc, argv, &usage, &err);

	if (rc == 1) {
		printf("%s\n\nOptions (flag, then environment variable, then default):\n%s", synopsis,
		    usage.data ? usage.data : "");
		buf_release(&usage);
		config_release(cfg);
		return 0;
	}
	buf_release(&usage);
	if (rc < 0) {
		config_release(cfg);
		return cli_fail(argv[0], "%s", err.msg);
	}
	if (cfg->log_level)
		log_set_level_name(cfg->log_level);
	if (cfg->log_format)
		log_set_format_name(cfg->log_format);
	/* Settings of lib/ modules deep below any caller that holds cfg: set once, here. */
	locate_set_host(cfg->host);
	ffmpeg_set_programs(cfg->ffmpeg, cfg->ffprobe);
	burnin_set_font(cfg->burnin_font);
	return -1;
}

static void
cli_on_signal(int sig)
{
	(void)sig;
	cli_stop = 1;
}

static void
cli_signals_flags(int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = cli_on_signal;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

void
cli_signals(void)
{
	cli_signals_flags(0);
}

void
cli_signals_oneshot(void)
{
	cli_signals_flags(SA_RESETHAND);
}

/* Where `setpost serve` last ran its embedded database, for commands run elsewhere. */
static void
cli_state_file(char *out, size_t len)
{
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");

	if (state && *state)
		snprintf(out, len, "%s/setpost/data-folder", state);
	else
		snprintf(out, len, "%s/.local/state/setpost/data-folder", home && *home ? home : "/tmp");
}

static bool
cli_has_cluster(const char *data)
{
	char ver[PATH_MAX + 32];

	snprintf(ver, sizeof(ver), "%s/pgdata/PG_VERSION", data);
	return access(ver, F_OK) == 0;
}

/* The data folder of the embedded database: the one given (--data, SETPOST_DATA), else, when
 * the default ./var holds none, the one the last `setpost serve` recorded. Only serve creates
 * a database: any other command refuses to, in one line naming the folder it looked in. */
static int
cli_data_folder(const struct config *cfg, int flags, char *out, size_t len, struct err *err)
{
	char state[PATH_MAX], real[PATH_MAX], shown[PATH_MAX * 2 + 2];
	FILE *f;

	snprintf(out, len, "%s", cfg->data_dir);
	if (cli_has_cluster(out) || (flags & CLI_DB_CREATE))
		return 0;
	if (getenv("SETPOST_DATA") == NULL && strcmp(cfg->data_dir, "./var") == 0) {
		cli_state_file(state, sizeof(state));
		if ((f = fopen(state, "r")) != NULL) {
			if (fgets(real, sizeof(real), f) != NULL) {
				real[strcspn(real, "\n")] = '\0';
				if (cli_has_cluster(real)) {
					snprintf(out, len, "%s", real);
					fclose(f);
					return 0;
				}
			}
			fclose(f);
		}
	}
	if (realpath(cfg->data_dir, real) != NULL) {
		snprintf(shown, sizeof(shown), "%s", real);
	} else {
		char cwd[PATH_MAX] = "";
		const char *d = cfg->data_dir;
		if (d[0] != '/' && getcwd(cwd, sizeof(cwd)) != NULL)
			while (strncmp(d, "./", 2) == 0)
				d += 2;
		snprintf(shown, sizeof(shown), "%s%s%s", d[0] == '/' ? "" : cwd, d[0] == '/' ? "" : "/",
		    d);
	}
	return err_set(err, SP_ENOTFOUND, "no setpost database in %s (looked for %s/pgdata): give "
	    "the data folder 'setpost serve' uses (--data or SETPOST_DATA) or the database "
	    "(--database-url); only 'setpost serve' creates one", shown, shown);
}

int
cli_data_path(const struct config *cfg, char *out, size_t len, struct err *err)
{
	if (cfg->database_url && *cfg->database_url) {
		snprintf(out, len, "%s", cfg->data_dir);
		return 0;
	}
	return cli_data_folder(cfg, 0, out, len, err);
}

static void
cli_state_record(const char *data)
{
	char state[PATH_MAX], real[PATH_MAX], *slash;
	FILE *f;

	if (realpath(data, real) == NULL)
		return;
	cli_state_file(state, sizeof(state));
	for (slash = strchr(state + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(state, 0700);
		*slash = '/';
	}
	if ((f = fopen(state, "w")) != NULL) {
		fprintf(f, "%s\n", real);
		fclose(f);
	}
}

int
cli_db_open(const struct config *cfg, struct pgembed *pg, struct db **db, int flags,
    struct err *err)
{
	const char *conninfo = cfg->database_url;
	char data[PATH_MAX];
	int migrate = flags & CLI_DB_MIGRATE, rc, version;

	memset(pg, 0, sizeof(*pg));
	if (conninfo == NULL || *conninfo == '\0') {
		if ((rc = cli_data_folder(cfg, flags, data, sizeof(data), err)) < 0 ||
		    (rc = pgembed_start_listening(pg, data, cfg->pg_bindir, cfg->pg_user, cfg->db_listen,
		    err)) < 0)
			return rc;
		if (pg->note[0])
			log_info("%s", pg->note);
		if (pg->password_file[0])
			log_info("the database listens on %s for workers on other hosts, over TLS only "
			    "(user setpost, password in %s, CA certificate %s): a worker's --database-url "
			    "is 'host=ADDR port=PORT dbname=setpost user=setpost sslmode=verify-full "
			    "sslrootcert=<its copy of %s>'", cfg->db_listen, pg->password_file,
			    pg->ca_file, pg->ca_file);
		if (flags & CLI_DB_CREATE)
			cli_state_record(data);
		conninfo = pg->conninfo;
	}
	if ((rc = db_open(db, conninfo, (int)cfg->pool_size, err)) < 0)
		goto fail;
	rc = migrate ? migrate_apply(*db, err) : migrate_version(*db, &version, err);
	if (rc >= 0 && !migrate && version > migrate_latest())
		rc = err_set(err, SP_EUNSUPPORTED, "database schema is at version %d, newer than this "
		    "setpost knows (%d): upgrade setpost", version, migrate_latest());
	if (rc < 0) {
		db_close(*db);
		*db = NULL;
		goto fail;
	}
	if (migrate && rc > 0)
		log_info("applied %d migration(s), schema now at version %d", rc, migrate_latest());
	return 0;
fail:
	pgembed_stop(pg, NULL);
	return rc;
}

void
cli_db_close(struct pgembed *pg, struct db *db)
{
	struct err err;

	db_close(db);
	if (pgembed_stop(pg, &err) < 0)
		log_warn("embedded database did not stop cleanly: %s", err.msg);
}

const char *
cli_take_flag(int *argc, char **argv, const char *flag, int *missing)
{
	size_t fl = strlen(flag);

	for (int i = 1; i < *argc; i++) {
		const char *v;
		int take;
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], flag) == 0) {
			if (i + 1 >= *argc) {
				*missing = 1;
				return NULL;
			}
			v = argv[i + 1];
			take = 2;
		} else if (strncmp(argv[i], flag, fl) == 0 && argv[i][fl] == '=') {
			v = argv[i] + fl + 1;
			take = 1;
		} else {
			continue;
		}
		memmove(&argv[i], &argv[i + take], (size_t)(*argc - i - take + 1) * sizeof(char *));
		*argc -= take;
		return v;
	}
	return NULL;
}

mode_t
cli_file_mode(void)
{
	mode_t m = umask(022);

	umask(m);
	return 0666 & ~m;
}
