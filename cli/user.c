/* user: dashboard users. The password is read from standard input (one line), so scripts can
 * set it without it showing in the process list or the shell history. */
#include "cli.h"
#include "lib/store/auth.h"
#include "lib/store/event.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char user_synopsis[] =
	"usage: setpost user add NAME --role admin|editor|post [options]   (password on stdin)\n"
	"       setpost user list [options]\n"
	"       setpost user disable ID [options]\n"
	"       setpost user enable ID [options]";

static int
user_read_password(char *out, size_t len)
{
	size_t n;

	if (isatty(0))
		fprintf(stderr, "password (at least 8 characters): ");
	if (fgets(out, (int)len, stdin) == NULL)
		return -1;
	n = strcspn(out, "\r\n");
	out[n] = '\0';
	return 0;
}

static int
user_add(struct db *db, const char *name, const char *role)
{
	char password[1100];
	struct err err;
	long long id;
	json_t *data;
	int rc;

	if (name == NULL)
		return cli_fail("user", "add: expected a user name");
	if (role == NULL || auth_role_from_name(role) == 0)
		return cli_fail("user", "--role: expected admin, editor or post");
	if (user_read_password(password, sizeof(password)) < 0)
		return cli_fail("user", "no password on standard input");
	rc = auth_user_add(db, name, auth_role_from_name(role), password, &id, &err);
	sodium_memzero(password, sizeof(password));
	if (rc < 0)
		return cli_fail("user", "%s", err.msg);
	data = json_pack("{s:s,s:s}", "name", name, "role", role);
	event_record_db(db, "cli", "user.created", "user", id, data, NULL);
	json_decref(data);
	printf("user %lld '%s' added with role %s\n", id, name, role);
	return 0;
}

static int
user_list(struct db *db)
{
	struct err err;
	json_t *items, *u;
	size_t i;

	if (auth_user_list(db, &items, &err) < 0)
		return cli_fail("user", "%s", err.msg);
	printf("%-6s %-8s %-9s %s\n", "ID", "ROLE", "STATE", "NAME");
	json_array_foreach(items, i, u)
		printf("%-6lld %-8s %-9s %s\n", (long long)json_integer_value(json_object_get(u, "id")),
		    json_string_value(json_object_get(u, "role")),
		    json_is_true(json_object_get(u, "disabled")) ? "disabled" : "active",
		    json_string_value(json_object_get(u, "name")));
	json_decref(items);
	return 0;
}

static int
user_set_disabled(struct db *db, const char *idtext, bool disabled)
{
	struct err err;
	char *end;
	long long id = idtext ? strtoll(idtext, &end, 10) : 0;

	if (idtext == NULL || *end || id <= 0)
		return cli_fail("user", "expected a user id (see 'setpost user list')");
	if (auth_user_set_disabled(db, id, disabled, &err) < 0)
		return cli_fail("user", "%s", err.msg);
	event_record_db(db, "cli", "user.updated", "user", id, NULL, NULL);
	printf("user %lld %s\n", id, disabled ? "disabled" : "enabled");
	return 0;
}

int
cmd_user(int argc, char **argv)
{
	int missing = 0, rc;
	const char *role = cli_take_flag(&argc, argv, "--role", &missing);
	struct config cfg;
	struct pgembed pg;
	struct db *db;
	struct err err;
	const char *arg1;

	if ((rc = cli_config(&cfg, CONFIG_DB, argc, argv, user_synopsis)) >= 0)
		return rc;
	if (missing || cfg.nargs < 1) {
		rc = cli_fail("user", missing ? "--role needs a value" : "expected add, list, disable or "
		    "enable (see --help)");
		goto out;
	}
	if (cli_db_open(&cfg, &pg, &db, 1, &err) < 0) {
		rc = cli_fail("user", "%s", err.msg);
		goto out;
	}
	arg1 = cfg.nargs > 1 ? cfg.args[1] : NULL;
	if (strcmp(cfg.args[0], "add") == 0)
		rc = user_add(db, arg1, role);
	else if (strcmp(cfg.args[0], "list") == 0)
		rc = user_list(db);
	else if (strcmp(cfg.args[0], "disable") == 0 || strcmp(cfg.args[0], "enable") == 0)
		rc = user_set_disabled(db, arg1, cfg.args[0][0] == 'd');
	else
		rc = cli_fail("user", "unknown action '%s'", cfg.args[0]);
	cli_db_close(&pg, db);
out:
	config_release(&cfg);
	return rc;
}
