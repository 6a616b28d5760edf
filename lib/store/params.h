/*
 * params: the text parameters of one statement, built in order, numbers formatted in place,
 * so a call site says what it passes instead of formatting each number into its own buffer.
 *
 *	struct db_params q = { 0 };
 *	db_param_str(&q, did);
 *	db_param_ull(&q, length);
 *	db_exec(db, &stmt, q.v, NULL, err);
 *
 * Ownership: the struct holds the formatted numbers; q.v borrows the strings given to it.
 */
#ifndef SETPOST_PARAMS_H
#define SETPOST_PARAMS_H

#include <stdbool.h>

/* Above the most parameters of any statement (scripts/lint.sh checks every db_stmt against
 * it): a statement with more than a struct db_params holds would make libpq read past q.v. */
#define DB_PARAMS_MAX 40

struct db_params {
	const char *v[DB_PARAMS_MAX];   /* what db_exec/db_query take; NULL is SQL NULL */
	char num[DB_PARAMS_MAX][32];
	int n;
};

/* Each appends one parameter; past DB_PARAMS_MAX they add nothing (a statement has fewer). */
void db_param_str(struct db_params *q, const char *s);     /* s borrowed; NULL: SQL NULL */
void db_param_ll(struct db_params *q, long long v);
void db_param_ull(struct db_params *q, unsigned long long v);
/* v when present, else SQL NULL (an optional id: "clip_id > 0"). */
void db_param_ll_if(struct db_params *q, bool present, long long v);
/* v with `decimals` digits after the point. */
void db_param_double(struct db_params *q, double v, int decimals);

#endif
