/* setpost encrypt: age-compatible encryption to X25519 recipients, thin over lib/age. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/delivery/age.h"

/* Declared here until the subcommand table gets a header of its own. */
#include "cli.h"

static const char encrypt_usage[] =
    "Usage: setpost encrypt [-r RECIPIENT]... [-R PATH]... [-i PATH]... [-o OUTPUT] [INPUT]\n"
    "\n"
    "Encrypts INPUT (default: standard input) in the age v1 format, readable by `age -d`.\n"
    "\n"
    "  -r, --recipient RECIPIENT   an age1... public key; repeatable\n"
    "  -R, --recipients-file PATH  a file of age1... keys, one per line; repeatable\n"
    "  -i, --identity PATH         also encrypt to the keys of an identity file\n"
    "  -o, --output OUTPUT         write to OUTPUT (renamed into place on success; a device,\n"
    "                              FIFO or symbolic link is written through, as age does)\n"
    "  -e, --encrypt               accepted for compatibility with age\n"
    "  -h, --help                  show this help\n";

static const struct option encrypt_longopts[] = {
	{ "recipient", required_argument, NULL, 'r' },
	{ "recipients-file", required_argument, NULL, 'R' },
	{ "identity", required_argument, NULL, 'i' },
	{ "output", required_argument, NULL, 'o' },
	{ "encrypt", no_argument, NULL, 'e' },
	{ "armor", no_argument, NULL, 'a' },
	{ "passphrase", no_argument, NULL, 'p' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct encrypt_opts {
	struct age_recipient *r;
	size_t n;
	const char *in, *out;
	int help;
};

static int
encrypt_add(struct encrypt_opts *o, const struct age_recipient *r, size_t n, struct err *err)
{
	struct age_recipient *p = realloc(o->r, (o->n + n) * sizeof *p);

	if (p == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	memcpy(p + o->n, r, n * sizeof *r);
	o->r = p;
	o->n += n;
	return 0;
}

static int
encrypt_add_file(struct encrypt_opts *o, const char *path, struct err *err)
{
	struct age_recipient *r = NULL;
	size_t n = 0;
	int rc = age_recipients_load(path, &r, &n, err);

	if (rc == 0)
		rc = encrypt_add(o, r, n, err);
	free(r);
	return rc;
}

/* age -e -i: the recipients are the public halves of the identities. */
static int
encrypt_add_identities(struct encrypt_opts *o, const char *path, struct err *err)
{
	struct age_identity *ids = NULL;
	struct age_recipient r;
	size_t n = 0;
	int rc = age_identities_load(path, &ids, &n, err);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		age_identity_recipient(&ids[i], &r);
		rc = encrypt_add(o, &r, 1, err);
	}
	age_identities_free(ids, n);
	return rc;
}

static int
encrypt_option(void *arg, int c, const char *val, struct err *err)
{
	struct encrypt_opts *o = arg;
	struct age_recipient r;
	int rc;

	switch (c) {
	case 'r':
		if ((rc = age_recipient_parse(&r, val, err)) != 0)
			return err_prefix(err, "-r %s: ", val);
		return encrypt_add(o, &r, 1, err);
	case 'R':
		return encrypt_add_file(o, val, err);
	case 'i':
		return encrypt_add_identities(o, val, err);
	case 'o':
		o->out = cli_output(val);
		return 0;
	case 'a':
		return err_set(err, SP_EUNSUPPORTED, "armored output (-a) is not supported");
	case 'p':
		return err_set(err, SP_EUNSUPPORTED, "passphrase encryption (-p) is not supported");
	default:    /* -e, and what cli_getopt answered */
		return 0;
	}
}

static const struct cli_options encrypt_options = { ":r:R:i:o:eaph", encrypt_longopts,
	encrypt_option };

static int
encrypt_parse(struct encrypt_opts *o, int argc, char **argv, struct err *err)
{
	int rc;

	rc = cli_getopt(&encrypt_options, argc, argv, o, &o->help, err);
	if (rc != 0 || o->help)
		return rc;
	if ((rc = cli_one_input(argc, argv, &o->in, err)) != 0)
		return rc;
	if (o->n == 0)
		return err_set(err, SP_EINVAL, "no recipients: use -r, -R or -i (see --help)");
	if (o->out == NULL && isatty(STDOUT_FILENO))
		return err_set(err, SP_EINVAL, "refusing to write binary output to a terminal; "
		    "use -o or redirect");
	return 0;
}

int
cmd_encrypt(int argc, char **argv)
{
	struct encrypt_opts o = { 0 };
	struct err e = { 0 };
	int rc = encrypt_parse(&o, argc, argv, &e);

	if (rc == 0 && o.help)
		fputs(encrypt_usage, stdout);
	else if (rc == 0)
		rc = age_encrypt_path(o.in, o.out, cli_file_mode(), o.r, o.n, &e);
	if (rc != 0)
		fprintf(stderr, "setpost encrypt: %s\n", e.msg);
	free(o.r);
	return rc != 0;
}
