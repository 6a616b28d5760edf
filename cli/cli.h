/*
 * cli: the subcommands of the setpost binary (git-style). Each is one file exporting
 * `int cmd_NAME(int argc, char **argv)` (argv[0] is the subcommand's name) that returns the
 * process exit status. They are thin: parsing and printing here, the work in lib/.
 */
#ifndef SETPOST_CLI_H
#define SETPOST_CLI_H

#include "lib/core/config.h"
#include "lib/store/db.h"
#include "lib/core/err.h"
#include "lib/store/pgembed.h"

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

int cmd_serve(int argc, char **argv);
int cmd_worker(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_encrypt(int argc, char **argv);
int cmd_decrypt(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_offload(int argc, char **argv);
int cmd_send(int argc, char **argv);
int cmd_register(int argc, char **argv);
int cmd_pull(int argc, char **argv);
int cmd_routes(int argc, char **argv);
int cmd_qc(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_volume(int argc, char **argv);
int cmd_production(int argc, char **argv);
int cmd_production_policy(int argc, char **argv);
int cmd_archive(int argc, char **argv);
int cmd_tapes(int argc, char **argv);
int cmd_workflow(int argc, char **argv);

/* One request of subcommand cmd to a setpost's API (url less its trailing slash, then path),
 * with an optional JSON body (borrowed) and a bearer token: 0 when the answer's status is
 * want, *out (may be NULL) its parsed body; else -1 after saying why on stderr. */
struct json_t;
int cli_api_call(const char *cmd, const char *url, const char *token, const char *method,
    const char *path, struct json_t *body, long want, struct json_t **out);

struct option;

/* Takes one option of a subcommand: c is what getopt_long returned for it (its letter, or an
 * OPT_* value of the subcommand's table), val its argument or NULL. Returns 0 or an error. */
typedef int (*cli_option_fn)(void *opts, int c, const char *val, struct err *err);

/* A subcommand's options: getopt_long's short string (':' first), its long table and the
 * function that takes each option. -h/--help ('h') is answered by cli_getopt itself. */
struct cli_options {
	const char *shortopts;
	const struct option *longopts;
	cli_option_fn on_option;
};

/* Reads the options of argv into opts through t->on_option, from the start each time; 'h'
 * sets *help. A missing argument or an unknown option is an error naming it. Leaves optind at
 * the first operand; returns 0 or the error. */
int cli_getopt(const struct cli_options *t, int argc, char **argv, void *opts, int *help,
    struct err *err);

/* "1048576", "512K", "8M", "1G" into *out; -1 when it is none of these (or overflows). */
int cli_parse_size(const char *s, uint64_t *out);

/* After cli_getopt, age-style operands: at most one INPUT; none or "-" leaves *in NULL
 * (standard input). Returns 0 or SP_EINVAL. */
int cli_one_input(int argc, char **argv, const char **in, struct err *err);

/* age-style -o: "-" is standard output (NULL). */
const char *cli_output(const char *val);

/* Prints "setpost CMD: message" on stderr and returns 1 (the exit status). */
int cli_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Loads settings for a subcommand; prints usage (exit 0) or the error (exit 1) itself.
 * Returns -1 when the caller should go on, else the exit status to return. */
int cli_config(struct config *cfg, unsigned scope, int argc, char **argv, const char *synopsis);

/* Opens the database the settings name: SETPOST_DATABASE_URL, or the embedded cluster in the
 * data folder (started if needed, into *pg). Applies migrations with CLI_DB_MIGRATE, and
 * always refuses a schema newer than this program. Only CLI_DB_CREATE (serve) creates an
 * embedded database; without it a data folder with none is an error naming the folder (the
 * default ./var falls back to the folder the last serve recorded). */
enum { CLI_DB_MIGRATE = 1, CLI_DB_CREATE = 2 };
int cli_db_open(const struct config *cfg, struct pgembed *pg, struct db **db, int flags,
    struct err *err);
void cli_db_close(struct pgembed *pg, struct db *db);

/* The data folder this command works in: --data (SETPOST_DATA) with a database URL, else the
 * embedded database's folder as cli_db_open finds it. */
int cli_data_path(const struct config *cfg, char *out, size_t len, struct err *err);

/* The production named (NULL: the only one there is): *id, and its name into pname; 0, or
 * the exit status 1 after saying why (none, several, the database's error). */
int cli_production_find(struct db *db, const char *name, long long *id, char *pname,
    size_t len);
/* cli_db_open (with migrations), then cli_production_find: 0 with *db open, or the exit
 * status 1 after saying why (nothing left open). */
int cli_production_open(const struct config *cfg, struct pgembed *pg, struct db **db,
    const char *name, long long *id, char *pname, size_t len);

/* Removes "--flag VALUE" or "--flag=VALUE" from argv (updating *argc) and returns VALUE
 * (borrowed from argv), or NULL when absent. *missing is set when the flag has no value. */
const char *cli_take_flag(int *argc, char **argv, const char *flag, int *missing);

/* Mode for files a command creates: the usual 0666 & ~umask (reading the umask means setting
 * it back). */
mode_t cli_file_mode(void);

/* SIGINT/SIGTERM set this flag; SIGPIPE is ignored. */
extern volatile sig_atomic_t cli_stop;
void cli_signals(void);
/* The same, but a second signal kills at once (long copies: the next run cleans up). */
void cli_signals_oneshot(void);

#endif
