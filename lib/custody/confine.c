/* confine: declared volumes, and the check that a path lies under one (see confine.h). */
#include "lib/custody/confine.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Never a volume: the system's own trees. */
static const char *const confine_system[] = { "/etc", "/proc", "/sys", "/dev", "/boot", "/root",
	"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/run", "/var/lib",
	"/var/log", "/var/spool", "/var/cache", "/var/run", "/opt", "/snap", NULL };

bool
confine_path_normal(const char *p)
{
	if (p == NULL || p[0] != '/')
		return false;
	if (strcmp(p, "/") == 0)
		return true;
	for (const char *s = p + 1;; ) {
		size_t n = strcspn(s, "/");
		if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return false;
		if (s[n] == '\0')
			return true;
		s += n + 1;
	}
}

bool
confine_inside(const char *path, const char *root)
{
	size_t n = strlen(root);

	if (strcmp(root, "/") == 0)
		return path[0] == '/';
	return strncmp(path, root, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static const struct db_stmt stmt_under = { "confine_under",
	"SELECT EXISTS (SELECT 1 FROM volume_roots WHERE $1 = path OR starts_with($1, path || '/'))",
	1 };

int
confine_check(struct db_conn *c, const char *what, const char *path, struct err *err)
{
	const char *p[1] = { path };
	PGresult *r;
	bool ok;
	int n;

	if (!confine_path_normal(path))
		return err_set(err, SP_EINVAL, "%s: expected an absolute path without '.' or '..' "
		    "parts", what);
	if ((n = db_query(c, &stmt_under, p, &r, err)) < 0)
		return n;
	ok = db_bool(r, 0, 0);
	PQclear(r);
	if (!ok)
		return err_set(err, SP_EINVAL, "%s: %.300s is not under a declared volume (%s)", what,
		    path, CONFINE_HINT);
	return 0;
}

static const struct db_stmt stmt_declare = { "confine_declare",
	"WITH ins AS (INSERT INTO volume_roots (name, path, created_by) VALUES ($1, $2, $3)"
	" ON CONFLICT (path) DO NOTHING RETURNING id)"
	" SELECT id, true FROM ins UNION ALL SELECT id, false FROM volume_roots WHERE path = $2"
	" AND NOT EXISTS (SELECT 1 FROM ins)", 3 };

int
confine_declare(struct db *db, const char *name, const char *path, const char *data_dir,
    const char *actor, long long *id, bool *created, struct err *err)
{
	const char *p[3] = { name, path, actor };
	PGresult *r;
	int n;

	if (name == NULL || *name == '\0' || strlen(name) > 200)
		return err_set(err, SP_EINVAL, "name: expected 1 to 200 characters");
	if (!confine_path_normal(path) || strlen(path) > 4096)
		return err_set(err, SP_EINVAL, "path: expected an absolute path without '.' or '..' "
		    "parts");
	if (strcmp(path, "/") == 0)
		return err_set(err, SP_EINVAL, "path: / cannot be a volume: declare the folders "
		    "that hold footage");
	for (const char *const *s = confine_system; *s; s++)
		if (confine_inside(path, *s) || confine_inside(*s, path))
			return err_set(err, SP_EINVAL, "path: %s holds or lies in the system folder %s: "
			    "not a volume", path, *s);
	if (data_dir && (confine_inside(path, data_dir) || confine_inside(data_dir, path)))
		return err_set(err, SP_EINVAL, "path: %s holds or lies in setpost's data folder: "
		    "never a volume", path);
	if ((n = db_exec(db, &stmt_declare, p, &r, err)) < 0)
		return n;
	*id = db_ll(r, 0, 0);
	*created = db_bool(r, 0, 1);
	PQclear(r);
	return 0;
}

static const struct db_stmt stmt_roots = { "confine_roots",
	"SELECT path FROM volume_roots ORDER BY id", 0 };

int
confine_real_ok(struct db *db, const char *real, const char *data_dir, bool *ok,
    struct err *err)
{
	char root[PATH_MAX], data[PATH_MAX];
	PGresult *r;
	int n;

	*ok = false;
	if (data_dir && realpath(data_dir, data) && confine_inside(real, data))
		return 0;
	if ((n = db_exec(db, &stmt_roots, NULL, &r, err)) < 0)
		return n;
	for (int i = 0; i < n && !*ok; i++)
		*ok = realpath(PQgetvalue(r, i, 0), root) != NULL && strcmp(root, "/") != 0 &&
		    confine_inside(real, root);
	PQclear(r);
	return 0;
}
