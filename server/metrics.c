/* metrics: request counters and latency histogram (see metrics.h), and GET /metrics, which adds
 * the database's view (jobs by kind and state) and the connection pool's use. */
#include "metrics.h"
#include "http.h"
#include "lib/core/log.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define METRICS_MAX_SERIES 512

static const double metrics_bounds[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
	0.5, 1, 2.5, 5, 10 };
#define NBOUNDS (sizeof(metrics_bounds) / sizeof(metrics_bounds[0]))

struct metrics_series {
	const char *method;
	const char *route;
	unsigned status;
	unsigned long long count;
};

struct metrics {
	pthread_mutex_t lock;
	struct metrics_series series[METRICS_MAX_SERIES];
	int nseries;
	unsigned long long buckets[NBOUNDS];
	unsigned long long count;
	double sum;
};

struct metrics *
metrics_new(void)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (m)
		pthread_mutex_init(&m->lock, NULL);
	return m;
}

void
metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	pthread_mutex_destroy(&m->lock);
	free(m);
}

static struct metrics_series *
metrics_series_for(struct metrics *m, const char *method, const char *route, unsigned status)
{
	for (int i = 0; i < m->nseries; i++) {
		struct metrics_series *s = &m->series[i];
		if (s->status == status && s->route == route && strcmp(s->method, method) == 0)
			return s;
	}
	if (m->nseries == METRICS_MAX_SERIES)
		return NULL;
	m->series[m->nseries] = (struct metrics_series){ method, route, status, 0 };
	return &m->series[m->nseries++];
}

/* Methods are interned to static strings so a series never points into a freed request. */
static const char *
metrics_method(const char *method)
{
	static const char *const known[] = { "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE",
		"OPTIONS" };

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(method, known[i]) == 0)
			return known[i];
	return "OTHER";
}

void
metrics_observe(struct metrics *m, const char *method, const char *route, unsigned status,
    double seconds)
{
	struct metrics_series *s;

	pthread_mutex_lock(&m->lock);
	if ((s = metrics_series_for(m, metrics_method(method), route, status)) != NULL)
		s->count++;
	for (size_t i = 0; i < NBOUNDS; i++)
		if (seconds <= metrics_bounds[i])
			m->buckets[i]++;
	m->count++;
	m->sum += seconds;
	pthread_mutex_unlock(&m->lock);
}

void
metrics_render(struct metrics *m, struct buf *out)
{
	pthread_mutex_lock(&m->lock);
	buf_appends(out, "# HELP setpost_http_requests_total HTTP requests by route and status.\n"
	    "# TYPE setpost_http_requests_total counter\n");
	for (int i = 0; i < m->nseries; i++)
		buf_appendf(out, "setpost_http_requests_total{method=\"%s\",route=\"%s\",status=\"%u\"} %llu\n",
		    m->series[i].method, m->series[i].route, m->series[i].status, m->series[i].count);
	buf_appends(out, "# HELP setpost_http_request_duration_seconds Time to answer a request.\n"
	    "# TYPE setpost_http_request_duration_seconds histogram\n");
	for (size_t i = 0; i < NBOUNDS; i++)
		buf_appendf(out, "setpost_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
		    metrics_bounds[i], m->buckets[i]);
	buf_appendf(out, "setpost_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
	    "setpost_http_request_duration_seconds_sum %.6f\n"
	    "setpost_http_request_duration_seconds_count %llu\n", m->count, m->sum, m->count);
	pthread_mutex_unlock(&m->lock);
}

static const struct db_stmt stmt_jobs_by_state = { "metrics_jobs",
	"SELECT kind, state, count(*) FROM jobs GROUP BY kind, state ORDER BY kind, state", 0 };

static void
metrics_render_db(struct server *srv, struct buf *out)
{
	int size, in_use, open;
	struct err err;
	PGresult *r;
	int n;

	db_pool_stats(srv->db, &size, &in_use, &open);
	buf_appendf(out, "# HELP setpost_db_pool_connections Database pool connections.\n"
	    "# TYPE setpost_db_pool_connections gauge\n"
	    "setpost_db_pool_connections{state=\"max\"} %d\n"
	    "setpost_db_pool_connections{state=\"open\"} %d\n"
	    "setpost_db_pool_connections{state=\"in_use\"} %d\n", size, open, in_use);
	buf_appends(out, "# HELP setpost_jobs Jobs in the queue by kind and state.\n"
	    "# TYPE setpost_jobs gauge\n");
	if ((n = db_exec(srv->db, &stmt_jobs_by_state, NULL, &r, &err)) < 0) {
		buf_appendf(out, "setpost_db_up 0\n");
		return;
	}
	for (int i = 0; i < n; i++)
		buf_appendf(out, "setpost_jobs{kind=\"%s\",state=\"%s\"} %s\n", PQgetvalue(r, i, 0),
		    PQgetvalue(r, i, 1), PQgetvalue(r, i, 2));
	PQclear(r);
	buf_appendf(out, "setpost_db_up 1\n");
}

enum MHD_Result
metrics_get(struct request *req)
{
	struct buf out = BUF_INIT(0);
	enum MHD_Result r;

	metrics_render(req->srv->metrics, &out);
	metrics_render_db(req->srv, &out);
	r = reply_text(req, 200, "text/plain; version=0.0.4; charset=utf-8", out.data ? out.data : "",
	    out.len);
	buf_release(&out);
	return r;
}
