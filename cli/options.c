/* options: the one getopt_long loop every subcommand's option table goes through. */
#include "cli.h"

#include <getopt.h>
#include <string.h>

int
cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
    cli_option_fn on_option, void *opts, struct err *err)
{
	int c, rc = 0;

	optind = 0;     /* GNU: full re-initialisation, as cmd_* may run more than once */
	opterr = 0;
	while (rc == 0 && (c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (c == ':')
			return err_set(err, SP_EINVAL, "option %s needs an argument", argv[optind - 1]);
		if (c == '?')
			return err_set(err, SP_EINVAL, "unknown option %s (see --help)", argv[optind - 1]);
		rc = on_option(opts, c, optarg, err);
	}
	return rc;
}

int
cli_one_input(int argc, char **argv, const char **in, struct err *err)
{
	if (argc - optind > 1)
		return err_set(err, SP_EINVAL, "too many arguments: only one INPUT (see --help)");
	if (argc - optind == 1 && strcmp(argv[optind], "-") != 0)
		*in = argv[optind];
	return 0;
}

const char *
cli_output(const char *val)
{
	return strcmp(val, "-") == 0 ? NULL : val;
}
