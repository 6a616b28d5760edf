/* Every argon2id of the process goes through one gate (lib/store/pwhash.h, issue 14): making
 * users' hashes (what `setpost user add` and POST /api/v1/users run), logins with a right or
 * wrong password and the dummy check for unknown names, all at once from many threads, never
 * run more than PWHASH_AT_ONCE argon2id computations at the same moment. */
#include "harness.h"
#include "lib/store/auth.h"
#include "lib/store/login.h"
#include "lib/store/migrate.h"
#include "lib/store/pwhash.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define THREADS 12

static const char *conninfo;

struct worker_arg {
	int i;
	int rc;
};

static void *
worker(void *p)
{
	struct worker_arg *a = p;
	struct login_result res;
	struct err err;
	struct db *db;
	char name[32], addr[32];

	if (db_open(&db, conninfo, 1, &err) < 0) {
		a->rc = -1;
		return NULL;
	}
	snprintf(name, sizeof(name), "user%d", a->i);
	snprintf(addr, sizeof(addr), "10.0.0.%d", a->i);
	if (a->i % 3 == 0)
		a->rc = auth_user_add(db, name, ROLE_EDITOR, "a long password", NULL, &err);
	else if (a->i % 3 == 1)      /* an unknown name: the dummy hash, made once, then checked */
		a->rc = login_check(db, name, "a long password", addr, NULL, 60, &res, &err);
	else
		a->rc = login_check(db, "known", "wrong password", addr, NULL, 60, &res, &err);
	db_close(db);
	return NULL;
}

Test(pwhash, argon2id_never_runs_more_than_the_gate_allows, .timeout = 180)
{
	pthread_t t[THREADS];
	struct worker_arg a[THREADS];
	struct err err;
	struct db *db;
	int added = 0;

	conninfo = harness_db_create();
	cr_assert_not_null(conninfo);
	cr_assert_eq(db_open(&db, conninfo, 1, &err), 0, "%s", err.msg);
	cr_assert_geq(migrate_apply(db, &err), 0, "%s", err.msg);
	cr_assert_eq(auth_user_add(db, "known", ROLE_EDITOR, "the right password", NULL, &err), 0,
	    "%s", err.msg);
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < THREADS; i++) {
			a[i] = (struct worker_arg){ .i = round * THREADS + i };
			cr_assert_eq(pthread_create(&t[i], NULL, worker, &a[i]), 0);
		}
		for (int i = 0; i < THREADS; i++) {
			pthread_join(t[i], NULL);
			if (a[i].i % 3 == 0) {
				cr_expect_eq(a[i].rc, 0, "user%d: an admin's user add waits its turn", a[i].i);
				added += a[i].rc == 0;
			} else {
				cr_expect(a[i].rc == SP_EAUTH || a[i].rc == SP_EUNAVAIL, "login %d: %d",
				    a[i].i, a[i].rc);
			}
		}
	}
	cr_expect_eq(added, THREADS, "every user was made");
	cr_expect(pwhash_peak() >= 1, "argon2id ran");
	cr_expect(pwhash_peak() <= PWHASH_AT_ONCE, "at most %d argon2id at once, saw %d",
	    PWHASH_AT_ONCE, pwhash_peak());
	db_close(db);
}
