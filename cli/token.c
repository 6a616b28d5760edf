/* token: API tokens for programs (post-house integration, editorial pulls, offload carts). */
#include "cli.h"
#include "lib/store/auth.h"
#include "lib/store/event.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char token_synopsis[] =
	"usage: setpost token create --role admin|editor|post --name NAME [options]\n"
	"       setpost token list [options]\n"
	"       setpost token revoke ID [options]\n\n"
	"create prints the new token once, alone on the last line: only its hash is kept.\n"
	"Programs send it as 'Authorization: Bearer TOKEN'. A revoked token stops working at once.";

static int
token_create(struct db *db, const char *role, const char *name)
{
	char secret[AUTH_SECRET_LEN + 8];
	struct err err;
	long long id;
	json_t *data;

	if (role == NULL || auth_role_from_name(role) == 0)
		return cli_fail("token", "--role: expected admin, editor or post");
	if (name == NULL)
		return cli_fail("token", "--name: required (who or what uses the token)");
	if (auth_token_create(db, name, auth_role_from_name(role), 0, secret, &id, &err) < 0)
		return cli_fail("token", "%s", err.msg);
	data = json_pack("{s:s,s:s}", "name", name, "role", role);
	event_record_db(db, "cli", "token.created", "token", id, data, NULL);
	json_decref(data);
	printf("token %lld for '%s' (role %s); it is shown only now:\n%s\n", id, name, role, secret);
	return 0;
}

static int
token_list(struct db *db)
{
	struct err err;
	json_t *items, *t;
	size_t i;

	if (auth_token_list(db, &items, &err) < 0)
		return cli_fail("token", "%s", err.msg);
	printf("%-6s %-8s %-10s %-26s %s\n", "ID", "ROLE", "STATE", "LAST USED", "NAME");
	json_array_foreach(items, i, t) {
		const char *used = json_string_value(json_object_get(t, "last_used_at"));
		printf("%-6lld %-8s %-10s %-26.26s %s\n",
		    (long long)json_integer_value(json_object_get(t, "id")),
		    json_string_value(json_object_get(t, "role")),
		    json_is_null(json_object_get(t, "revoked_at")) ? "active" : "revoked",
		    used ? used : "never", json_string_value(json_object_get(t, "name")));
	}
	json_decref(items);
	return 0;
}

static int
token_revoke(struct db *db, const char *idtext)
{
	struct err err;
	char *end;
	long long id = idtext ? strtoll(idtext, &end, 10) : 0;

	if (idtext == NULL || *end || id <= 0)
		return cli_fail("token", "revoke: expected a token id (see 'setpost token list')");
	if (auth_token_revoke(db, id, &err) < 0)
		return cli_fail("token", "%s", err.msg);
	event_record_db(db, "cli", "token.revoked", "token", id, NULL, NULL);
	printf("token %lld revoked\n", id);
	return 0;
}

int
cmd_token(int argc, char **argv)
{
	int missing = 0, rc;
	const char *role = cli_take_flag(&argc, argv, "--role", &missing);
	const char *name = cli_take_flag(&argc, argv, "--name", &missing);
	struct config cfg;
	struct pgembed pg;
	struct db *db;
	struct err err;

	if ((rc = cli_config(&cfg, CONFIG_DB, argc, argv, token_synopsis)) >= 0)
		return rc;
	if (missing || cfg.nargs < 1) {
		rc = cli_fail("token", missing ? "an option needs a value" : "expected create, list or "
		    "revoke (see --help)");
		goto out;
	}
	if (cli_db_open(&cfg, &pg, &db, 1, &err) < 0) {
		rc = cli_fail("token", "%s", err.msg);
		goto out;
	}
	if (strcmp(cfg.args[0], "create") == 0)
		rc = token_create(db, role, name);
	else if (strcmp(cfg.args[0], "list") == 0)
		rc = token_list(db);
	else if (strcmp(cfg.args[0], "revoke") == 0)
		rc = token_revoke(db, cfg.nargs > 1 ? cfg.args[1] : NULL);
	else
		rc = cli_fail("token", "unknown action '%s': expected create, list or revoke",
		    cfg.args[0]);
	cli_db_close(&pg, db);
out:
	config_release(&cfg);
	return rc;
}
