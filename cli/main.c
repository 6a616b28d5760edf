/* main: the setpost binary and its subcommand table. */
#include "cli.h"
#include "lib/core/version.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "serve", cmd_serve, "run the REST API, dashboard and metrics" },
	{ "worker", cmd_worker, "run background jobs from the queue" },
	{ "migrate", cmd_migrate, "bring the database schema up to date" },
	{ "token", cmd_token, "create, list and revoke API tokens" },
	{ "user", cmd_user, "add, list and disable dashboard users" },
	{ "offload", cmd_offload, "copy a card to verified copies (ASC MHL)" },
	{ "register", cmd_register, "register copies another tool made, from their ASC MHL" },
	{ "volume", cmd_volume, "declare the folders (volumes) setpost may touch" },
	{ "production", cmd_production, "set the copies a card needs before it is safe to format" },
	{ "archive", cmd_archive, "write cards to LTO tape (LTFS), read back, spanning tapes" },
	{ "tapes", cmd_tapes, "the LTO catalogue: tapes, their cards, which tape holds a clip" },
	{ "send", cmd_send, "upload a file, encrypted and resumable, to a tus server" },
	{ "pull", cmd_pull, "mirror the ready dailies into a cutting room's folder" },
	{ "qc", cmd_qc, "answer a clip's QC hold: acknowledge, override, release" },
	{ "rules", cmd_rules, "what a production sends to which target by itself" },
	{ "workflow", cmd_workflow, "a production's agreed workflow sheet: show or set it" },
	{ "verify", cmd_verify, "check a folder against its ASC MHL history" },
	{ "keygen", cmd_keygen, "make an age identity (like age-keygen)" },
	{ "encrypt", cmd_encrypt, "encrypt a file to age recipients (like age -r)" },
	{ "decrypt", cmd_decrypt, "decrypt an age file (like age -d -i)" },
	{ "routes", cmd_routes, "print the HTTP routes and the roles that may call them" },
	{ "version", cmd_version, "print the version" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static int
usage(FILE *out)
{
	fprintf(out, "usage: setpost COMMAND [options]\n\n"
	    "setpost carries a shoot's footage from the DIT cart to the cutting room.\n\n"
	    "Commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "  %-10s %s\n\n'setpost COMMAND --help' lists a command's options.\n", "help",
	    "print this list, or a command's help");
	return out == stdout ? 0 : 2;
}

int
cmd_version(int argc, char **argv)
{
	(void)argv;
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf("usage: setpost version\n\nPrints the version of setpost.\n");
		return 0;
	}
	if (argc > 1)
		return cli_fail("version", "unexpected argument '%s'", argv[1]);
	printf("setpost %s\n", SETPOST_VERSION);
	return 0;
}

static const struct command *
find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int
main(int argc, char **argv)
{
	const struct command *c;

	if (sodium_init() < 0)
		return cli_fail("init", "libsodium failed to initialise");
	if (argc < 2)
		return usage(stderr);
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		char dash_help[] = "--help";
		char *help[] = { argc > 2 ? argv[2] : NULL, dash_help, NULL };
		if (argc < 3)
			return usage(stdout);
		if ((c = find(argv[2])) == NULL)
			return cli_fail("help", "unknown command '%s' (see 'setpost help')", argv[2]);
		return c->run(2, help);
	}
	if (strcmp(argv[1], "--version") == 0)
		return cmd_version(1, argv + 1);
	if ((c = find(argv[1])) == NULL)
		return cli_fail(argv[1], "unknown command (see 'setpost help')");
	return c->run(argc - 1, argv + 1);
}
