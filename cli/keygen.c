/* setpost keygen: writes a new age X25519 identity, as age-keygen does; thin over lib/age. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "lib/delivery/age.h"

/* Declared here until the subcommand table gets a header of its own. */
#include "cli.h"

static const char keygen_usage[] =
    "Usage: setpost keygen [-o OUTPUT]\n"
    "\n"
    "Generates an age X25519 identity in age-keygen's format. With -o the file is created\n"
    "with mode 0600 (an existing file is never replaced) and the public key is printed to\n"
    "standard error; without it the identity goes to standard output.\n"
    "\n"
    "  -o, --output OUTPUT   write the identity to OUTPUT\n"
    "  -h, --help            show this help\n";

static const struct option keygen_longopts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int
keygen_option(void *arg, int c, const char *val, struct err *err)
{
	(void)err;
	if (c == 'o')
		*(const char **)arg = val;
	return 0;
}

static const struct cli_options keygen_options = { ":o:h", keygen_longopts, keygen_option };

/* Returns 1 for --help, 0 to go on, or an error. */
static int
keygen_parse(int argc, char **argv, const char **out, struct err *err)
{
	int help = 0, rc = cli_getopt(&keygen_options, argc, argv, out, &help, err);

	if (rc != 0 || help)
		return rc != 0 ? rc : 1;
	if (optind < argc)
		return err_set(err, SP_EINVAL, "unexpected argument %s (see --help)", argv[optind]);
	return 0;
}

/* Like age-keygen, the public key goes to stderr whenever the identity is not on a tty. */
static int
keygen_stdout(const struct age_identity *id, const char *pub, struct err *err)
{
	char text[AGE_IDENTITY_FILE_MAX];
	size_t n = age_identity_file_format(id, time(NULL), text);
	int rc = 0;

	if (!isatty(STDOUT_FILENO))
		fprintf(stderr, "Public key: %s\n", pub);
	if (fwrite(text, 1, n, stdout) != n || fflush(stdout) != 0)
		rc = err_set(err, SP_EIO, "cannot write to standard output");
	sodium_memzero(text, sizeof text);
	return rc;
}

int
cmd_keygen(int argc, char **argv)
{
	struct age_identity id;
	struct age_recipient r;
	char pub[AGE_RECIPIENT_STR_LEN + 1];
	const char *out = NULL;
	struct err e = { 0 };
	int rc = keygen_parse(argc, argv, &out, &e);

	if (rc == 1) {
		fputs(keygen_usage, stdout);
		return 0;
	}
	if (rc == 0)
		rc = age_identity_generate(&id, &e);
	if (rc == 0) {
		age_identity_recipient(&id, &r);
		age_recipient_format(&r, pub);
		rc = out ? age_identity_write_path(out, &id, time(NULL), &e) :
		    keygen_stdout(&id, pub, &e);
	}
	if (rc == 0 && out != NULL)
		fprintf(stderr, "Public key: %s\n", pub);
	if (rc != 0)
		fprintf(stderr, "setpost keygen: %s\n", e.msg);
	sodium_memzero(&id, sizeof id);
	return rc != 0;
}
