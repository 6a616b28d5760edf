/* options: the one getopt_long loop every subcommand's option table goes through. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

int
cli_getopt(const struct cli_options *t, int argc, char **argv, void *opts, int *help,
    struct err *err)
{
	int c, rc = 0;

	optind = 0;     /* GNU: full re-initialisation, as cmd_* may run more than once */
	opterr = 0;
	while (rc == 0 && (c = getopt_long(argc, argv, t->shortopts, t->longopts, NULL)) != -1) {
		if (c == ':')
			return err_set(err, SP_EINVAL, "option %s needs an argument", argv[optind - 1]);
		if (c == '?')
			return err_set(err, SP_EINVAL, "unknown option %s (see --help)", argv[optind - 1]);
		if (c == 'h')
			*help = 1;
		else
			rc = t->on_option(opts, c, optarg, err);
	}
	return rc;
}

int
cli_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	int shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (end == s || errno != 0 || *s == '-')
		return -1;
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	if (shift != 0)
		end++;
	if (*end != '\0' || v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
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
