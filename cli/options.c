/* options: the one getopt_long loop every subcommand's option table goes through. */
#include "cli.h"

#include <getopt.h>

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
