/* params: a statement's parameters, numbers formatted in place (see params.h). */
#include "lib/store/params.h"

#include <stdio.h>

void
db_param_str(struct db_params *q, const char *s)
{
	if (q->n < DB_PARAMS_MAX)
		q->v[q->n++] = s;
}

void
db_param_ll(struct db_params *q, long long v)
{
	if (q->n < DB_PARAMS_MAX) {
		snprintf(q->num[q->n], sizeof(q->num[0]), "%lld", v);
		q->v[q->n] = q->num[q->n];
		q->n++;
	}
}

void
db_param_ll_if(struct db_params *q, bool present, long long v)
{
	if (present)
		db_param_ll(q, v);
	else
		db_param_str(q, NULL);
}

void
db_param_ull(struct db_params *q, unsigned long long v)
{
	if (q->n < DB_PARAMS_MAX) {
		snprintf(q->num[q->n], sizeof(q->num[0]), "%llu", v);
		q->v[q->n] = q->num[q->n];
		q->n++;
	}
}

void
db_param_double(struct db_params *q, double v, int decimals)
{
	if (q->n < DB_PARAMS_MAX) {
		snprintf(q->num[q->n], sizeof(q->num[0]), "%.*f", decimals, v);
		q->v[q->n] = q->num[q->n];
		q->n++;
	}
}
