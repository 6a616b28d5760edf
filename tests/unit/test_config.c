/* config: flag over environment over default, validation, --help, listen addresses. */
#include "lib/core/config.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static int
load(struct config *cfg, unsigned scope, const char **argv, struct buf *usage, struct err *err)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	return config_load(cfg, scope, argc, (char **)argv, usage, err);
}

Test(config, flag_beats_environment_beats_default)
{
	struct config cfg;
	struct err err;
	const char *argv[] = { "serve", NULL };
	const char *argv2[] = { "serve", "--listen", "127.0.0.1:9", "--threads=3", "extra", NULL };

	unsetenv("SETPOST_LISTEN");
	cr_assert_eq(load(&cfg, CONFIG_SERVE, argv, NULL, &err), 0, "%s", err.msg);
	cr_expect_str_eq(cfg.listen, "127.0.0.1:8440");
	cr_expect_str_eq(cfg.data_dir, "./var");
	config_release(&cfg);
	setenv("SETPOST_LISTEN", "0.0.0.0:8000", 1);
	cr_assert_eq(load(&cfg, CONFIG_SERVE, argv, NULL, &err), 0);
	cr_expect_str_eq(cfg.listen, "0.0.0.0:8000");
	config_release(&cfg);
	cr_assert_eq(load(&cfg, CONFIG_SERVE, argv2, NULL, &err), 0);
	cr_expect_str_eq(cfg.listen, "127.0.0.1:9");
	cr_expect_eq(cfg.threads, 3);
	cr_expect_eq(cfg.nargs, 1);
	cr_expect_str_eq(cfg.args[0], "extra");
	config_release(&cfg);
	unsetenv("SETPOST_LISTEN");
}

Test(config, bad_values_are_named)
{
	struct config cfg;
	struct err err;
	const char *a[] = { "serve", "--threads", "lots", NULL };
	const char *b[] = { "serve", "--listen", "nowhere", NULL };
	const char *c[] = { "serve", "--bogus", "1", NULL };
	const char *d[] = { "worker", "--listen", "127.0.0.1:1", NULL };
	const char *e[] = { "serve", "--listen", NULL };

	cr_expect_eq(load(&cfg, CONFIG_SERVE, a, NULL, &err), SP_EINVAL);
	cr_expect(strstr(err.msg, "--threads") || strstr(err.msg, "threads"), "%s", err.msg);
	config_release(&cfg);
	cr_expect_eq(load(&cfg, CONFIG_SERVE, b, NULL, &err), SP_EINVAL);
	cr_expect(strstr(err.msg, "HOST:PORT"), "%s", err.msg);
	config_release(&cfg);
	cr_expect_eq(load(&cfg, CONFIG_SERVE, c, NULL, &err), SP_EINVAL);
	cr_expect(strstr(err.msg, "--bogus"), "%s", err.msg);
	config_release(&cfg);
	cr_expect_eq(load(&cfg, CONFIG_WORKER, d, NULL, &err), SP_EINVAL, "listen is not a worker flag");
	config_release(&cfg);
	cr_expect_eq(load(&cfg, CONFIG_SERVE, e, NULL, &err), SP_EINVAL);
	cr_expect(strstr(err.msg, "needs a value"), "%s", err.msg);
	config_release(&cfg);
	setenv("SETPOST_THREADS", "0", 1);
	const char *f[] = { "serve", NULL };
	cr_expect_eq(load(&cfg, CONFIG_SERVE, f, NULL, &err), SP_EINVAL);
	cr_expect(strstr(err.msg, "environment"), "%s", err.msg);
	config_release(&cfg);
	unsetenv("SETPOST_THREADS");
}

Test(config, help_lists_every_setting_with_its_variable)
{
	struct config cfg;
	struct buf usage = BUF_INIT(0);
	struct err err;
	const char *argv[] = { "serve", "--help", NULL };

	cr_assert_eq(load(&cfg, CONFIG_SERVE | CONFIG_DB, argv, &usage, &err), 1);
	cr_expect(strstr(usage.data, "--listen") && strstr(usage.data, "SETPOST_LISTEN"));
	cr_expect(strstr(usage.data, "--data") && strstr(usage.data, "SETPOST_DATA"));
	cr_expect(strstr(usage.data, "--database-url") && strstr(usage.data, "SETPOST_DATABASE_URL"));
	cr_expect(strstr(usage.data, "127.0.0.1:8440"));
	buf_release(&usage);
	config_release(&cfg);
}

Test(config, listen_addresses)
{
	char host[64];
	int port;
	struct err err;

	cr_expect_eq(config_split_listen("127.0.0.1:8440", host, sizeof(host), &port, &err), 0);
	cr_expect_str_eq(host, "127.0.0.1");
	cr_expect_eq(port, 8440);
	cr_expect_eq(config_split_listen("[::1]:0", host, sizeof(host), &port, &err), 0);
	cr_expect_str_eq(host, "::1");
	cr_expect_eq(port, 0);
	cr_expect_eq(config_split_listen("::1:80", host, sizeof(host), &port, &err), 0);
	cr_expect_eq(config_split_listen("host:99999", host, sizeof(host), &port, &err), SP_EINVAL);
	cr_expect_eq(config_split_listen(":80", host, sizeof(host), &port, &err), SP_EINVAL);
	cr_expect_eq(config_split_listen("[::1]80", host, sizeof(host), &port, &err), SP_EINVAL);
}
