/* setpost decrypt: age-compatible decryption with X25519 identity files, thin over lib/age. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/delivery/age.h"

/* Declared here until the subcommand table gets a header of its own. */
#include "cli.h"

static const char decrypt_usage[] =
    "Usage: setpost decrypt -i PATH [-i PATH]... [-o OUTPUT] [INPUT]\n"
    "\n"
    "Decrypts an age v1 file INPUT (default: standard input).\n"
    "\n"
    "  -i, --identity PATH   an identity file as age-keygen writes it; repeatable\n"
    "  -o, --output OUTPUT   write to OUTPUT, renamed into place only if the whole file\n"
    "                        authenticates (otherwise OUTPUT is left untouched); a\n"
    "                        device, FIFO or symbolic link is written through, as age does\n"
    "  -d, --decrypt         accepted for compatibility with age (decrypting is implied)\n"
    "  -h, --help            show this help\n";

static const struct option decrypt_longopts[] = {
	{ "identity", required_argument, NULL, 'i' },
	{ "output", required_argument, NULL, 'o' },
	{ "decrypt", no_argument, NULL, 'd' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct decrypt_opts {
	struct age_identity *ids;
	size_t n;
	const char *in, *out;
	int help;
};

/* Appends the identities of one file; the array is wiped when it moves. */
static int
decrypt_add_file(struct decrypt_opts *o, const char *path, struct err *err)
{
	struct age_identity *ids = NULL, *all;
	size_t n = 0;
	int rc = age_identities_load(path, &ids, &n, err);

	if (rc != 0)
		return rc;
	if ((all = calloc(o->n + n, sizeof *all)) == NULL) {
		age_identities_free(ids, n);
		return err_set(err, SP_ENOMEM, "out of memory");
	}
	if (o->n > 0)
		memcpy(all, o->ids, o->n * sizeof *all);
	memcpy(all + o->n, ids, n * sizeof *all);
	age_identities_free(o->ids, o->n);
	age_identities_free(ids, n);
	o->ids = all;
	o->n += n;
	return 0;
}

static int
decrypt_option(void *arg, int c, const char *val, struct err *err)
{
	struct decrypt_opts *o = arg;

	switch (c) {
	case 'i':
		return decrypt_add_file(o, val, err);
	case 'o':
		o->out = cli_output(val);
		return 0;
	default:    /* -d, and what cli_getopt answered */
		return 0;
	}
}

static const struct cli_options decrypt_options = { ":i:o:dh", decrypt_longopts, decrypt_option };

static int
decrypt_parse(struct decrypt_opts *o, int argc, char **argv, struct err *err)
{
	int rc;

	rc = cli_getopt(&decrypt_options, argc, argv, o, &o->help, err);
	if (rc != 0 || o->help)
		return rc;
	if ((rc = cli_one_input(argc, argv, &o->in, err)) != 0)
		return rc;
	if (o->n == 0)
		return err_set(err, SP_EINVAL, "no identities: use -i PATH (see --help)");
	return 0;
}

int
cmd_decrypt(int argc, char **argv)
{
	struct decrypt_opts o = { 0 };
	struct err e = { 0 };
	int rc = decrypt_parse(&o, argc, argv, &e);

	if (rc == 0 && o.help)
		fputs(decrypt_usage, stdout);
	else if (rc == 0)
		rc = age_decrypt_path(o.in, o.out, cli_file_mode(), o.ids, o.n, &e);
	if (rc != 0)
		fprintf(stderr, "setpost decrypt: %s\n", e.msg);
	age_identities_free(o.ids, o.n);
	return rc != 0;
}
