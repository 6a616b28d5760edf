/*
 * http: what every request handler sees. One struct request per HTTP request, created on the
 * first call of the access handler, kept in MHD's *req_cls and freed in the completed callback
 * (server.c). A handler answers exactly once through the reply_* functions, which record the
 * status for the access log and the metrics.
 */
#ifndef SETPOST_HTTP_H
#define SETPOST_HTTP_H

#include "lib/store/auth.h"
#include "lib/core/buf.h"
#include "lib/core/config.h"
#include "lib/store/db.h"
#include "lib/core/err.h"

#include <jansson.h>
#include <limits.h>
#include <microhttpd.h>
#include <stdatomic.h>
#include <stdbool.h>

struct age_identity;
struct cache;
struct metrics;
struct sse_hub;

struct server {
	const struct config *cfg;
	struct db *db;
	struct metrics *metrics;
	struct sse_hub *sse;
	struct cache *cache;            /* answers served again until the data changes */
	char web_root[PATH_MAX];
	int port;               /* the port actually bound */
	bool tls;               /* serving HTTPS: cookies get Secure */
	atomic_int inflight;    /* requests begun and not yet completed */
	char uploads_root[PATH_MAX];   /* tus receiver storage */
	struct age_identity *age_ids;  /* receiver identities (may be none) */
	size_t nage_ids;
};

#define ROUTE_MAX_PARAMS 4

struct route;

struct request {
	struct server *srv;
	struct MHD_Connection *conn;
	const char *method;
	const char *url;
	struct buf body;
	bool body_too_big;
	double started;                 /* monotonic seconds */
	const struct route *route;
	char params[ROUTE_MAX_PARAMS][128];
	int nparams;
	unsigned status;
	bool answered;
	struct auth_identity who;       /* filled before the handler runs (role 0: public) */
	json_t *json;                   /* parsed body (request_json), freed with the request */
	const struct route *matched;    /* the route found for method and path, or NULL */
	char allow[128];                /* when none: the methods the path has */
	void *stream;                   /* a streaming route's state */
	/* Called when the request ends, completed or cut off (completed false). */
	void (*stream_done)(struct request *req, bool completed);
	int cache_fill;                 /* cache.c: 1 + the page this request is building, or 0 */
	bool in_body;                   /* MHD is handing over the body: a reply must wait */
	struct MHD_Response *deferred;  /* a reply made mid-body, queued when the body ends */
	unsigned long long discarded;   /* body bytes thrown away after the reply was made */
};

typedef enum MHD_Result (*route_handler)(struct request *req);
/* For routes that take large bodies (tus uploads): called once with data == NULL when the
 * request begins (after authentication), then for each piece of the body as it arrives. It may
 * reply early (an error); the handler is called at the end unless a reply was made. */
typedef void (*route_chunk)(struct request *req, const char *data, size_t len);

/* Who may call a route: a mask of auth roles, or ROUTE_PUBLIC for no credentials at all. */
#define ROUTE_PUBLIC 0

struct route {
	const char *method;     /* "GET", "POST", ... */
	const char *pattern;    /* "/api/v1/jobs/{id}"; a trailing "*" matches any rest */
	route_handler handler;
	int roles;              /* ROLE_* mask, or ROUTE_PUBLIC */
	route_chunk chunk;      /* NULL: the body is buffered (at most --max-body) */
};

/* Replies; each returns what MHD_queue_response returned. body/json are borrowed. A reply
 * that cannot be built falls back to a fixed JSON error body, so a request is never left
 * unanswered; one made while the body is still arriving is queued when it has arrived. */
enum MHD_Result reply_json(struct request *req, unsigned status, json_t *body);
enum MHD_Result reply_error(struct request *req, unsigned status, const char *code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Error reply from a struct err: status and code from its SP_E* code. */
enum MHD_Result reply_err(struct request *req, const struct err *err);
enum MHD_Result reply_text(struct request *req, unsigned status, const char *content_type,
    const char *text, size_t len);
/* 200 with a document to keep: data as content_type under Content-Disposition disp, neither
 * cached nor sniffed, plus the header hname: hvalue (hname NULL: none). owned: data was
 * malloc'd and is freed here whatever happens; else it is copied. */
enum MHD_Result reply_download(struct request *req, const char *content_type, const char *disp,
    void *data, size_t len, bool owned, const char *hname, const char *hvalue);
/* Queues a prepared response (headers added by the caller); takes ownership of resp. */
enum MHD_Result reply_response(struct request *req, unsigned status,
    struct MHD_Response *resp);

const char *request_header(struct request *req, const char *name);
const char *request_query(struct request *req, const char *name);
/* The client's IP address as text ("-" if unknown): behind --trust-proxy, the one its
 * X-Forwarded-For names. */
void request_address(struct request *req, char *out, size_t len);
/* True when the client reached us over HTTPS: served with TLS, or through the trusted proxy
 * saying X-Forwarded-Proto: https (from anyone else the header is ignored). */
bool request_https(struct request *req);

/* Parses the body as a JSON object whose fields are all in allowed (NULL-terminated) into
 * req->json; replies 400 itself and returns false when it is not. */
bool request_json(struct request *req, const char *const *allowed);
/* Replies 400 from a getter's error and returns false; true when rc >= 0. */
bool request_field_ok(struct request *req, int rc, const struct err *err);

/* Parses a path parameter as a positive 64-bit id; replies 400 itself when it is not. */
bool request_param_id(struct request *req, int i, long long *id);
/* The rows stmt gives for the id in the route's first parameter (its only parameter, $1):
 * true with *id and *r (at least one row; the caller PQclears it); false when it replied
 * itself: 400 for a bad id, 404 "WHAT ID not found" for no row, or the database's error. */
bool request_rows_by_id(struct request *req, const struct db_stmt *stmt, const char *what,
    long long *id, PGresult **r);

/* The same with a second parameter ($2) for stmt. */
bool request_rows_by_id2(struct request *req, const struct db_stmt *stmt, const char *p2,
    const char *what, long long *id, PGresult **r);

/* Replies status with the first column of r's first row as the JSON body; clears r. */
enum MHD_Result reply_first_column(struct request *req, unsigned status, PGresult *r);
/* DELETE of the route's id ($1 of st, which answers a row when it deleted one): 400 for a bad
 * id, 404 "WHAT ID not found", else the event KIND.deleted and 204. */
enum MHD_Result reply_deleted(struct request *req, const struct db_stmt *st, const char *what,
    const char *kind);
/* Takes a posted document (the body, a JSON object, which becomes req->json) and answers
 * a result, or fails with err; take is register_offload, verification_report... */
typedef int (*document_fn)(struct db *db, json_t *doc, const char *actor, json_t **result,
    struct err *err);
/* POST of a document: 201 with take's result, or the error (400 for a body not an object). */
enum MHD_Result reply_document(struct request *req, document_fn take);
/* Replies 200 with the JSON text in the first column of st's one row (a LIST statement). */
enum MHD_Result reply_items(struct request *req, const struct db_stmt *st, const char *const *p);
/* Replies status with the JSON text st ($1 = id) gives in its first column; no row, or NULL,
 * is 404 "WHAT ID not found". */
enum MHD_Result reply_row(struct request *req, unsigned status, const struct db_stmt *st,
    const char *id, const char *what);
/* An optional positive id from the query string into *out (NULL when absent); replies 400
 * itself and returns false when it is not one. */
bool request_query_id(struct request *req, const char *name, const char **out);
/* A statement's rows as {"items": [...]}, one JSON text. */
#define LIST(sql) "SELECT json_build_object('items', coalesce(json_agg(x), '[]'))::text FROM (" sql ") x"

/* The route table of the whole server (routes.c) and the router (router.c). */
extern const struct route server_routes[];
extern const int server_nroutes;

/* Finds the route for method + path, filling req->params. Returns the route, or NULL with
 * *allow filled ("GET, HEAD") when the path exists for other methods, or "" when it does not. */
const struct route *router_match(const struct route *routes, int n, const char *method,
    const char *path, struct request *req, char *allow, size_t allowlen);

/* Authenticates req (bearer token or session cookie) against its route's roles, and checks
 * the CSRF token on session writes. Returns true to go on; otherwise it has replied 401/403. */
bool auth_request(struct request *req);

/* Production scope (scope.c, issue 14): the one production a post or editor token serves, 0
 * for every production (admins, sessions, tokens serving all); as a SQL parameter's text. */
long long request_scope(const struct request *req);
void request_scope_param(const struct request *req, char out[24]);
/* Before the handler: a path id (clip, card, day, file, rendition, job, LUT, production) of
 * another production than the token's answers 404 here; false when it replied. */
bool scope_allows(struct request *req);
/* A list's ?production_id= (*p, already checked to be an id, or NULL) for a confined caller:
 * its own production when absent, 404 (false, replied) when another. */
bool scope_production_query(struct request *req, const char **p, char buf[24]);

/* Handlers. */
enum MHD_Result session_login(struct request *req);
enum MHD_Result session_logout(struct request *req);
enum MHD_Result session_get(struct request *req);
enum MHD_Result tokens_list(struct request *req);
enum MHD_Result tokens_create(struct request *req);
enum MHD_Result tokens_revoke(struct request *req);
enum MHD_Result users_list(struct request *req);
enum MHD_Result users_create(struct request *req);
enum MHD_Result users_update(struct request *req);
enum MHD_Result offloads_register(struct request *req);
enum MHD_Result offload_jobs_create(struct request *req);
enum MHD_Result verifications_report(struct request *req);
enum MHD_Result volume_roots_list(struct request *req);
enum MHD_Result volume_roots_add(struct request *req);
enum MHD_Result cards_list(struct request *req);
enum MHD_Result clips_list(struct request *req);
enum MHD_Result clips_get(struct request *req);
enum MHD_Result qc_finding_answer(struct request *req);
enum MHD_Result qc_release(struct request *req);
enum MHD_Result clips_patch(struct request *req);
enum MHD_Result cards_get(struct request *req);
enum MHD_Result events_stream(struct request *req);
enum MHD_Result openapi_get(struct request *req);
enum MHD_Result events_list(struct request *req);
enum MHD_Result productions_list(struct request *req);
enum MHD_Result productions_patch(struct request *req);
enum MHD_Result days_list(struct request *req);
enum MHD_Result volumes_list(struct request *req);
enum MHD_Result volumes_patch(struct request *req);
enum MHD_Result copy_policy_get_route(struct request *req);
enum MHD_Result copy_policy_patch_route(struct request *req);
enum MHD_Result tapes_list(struct request *req);
enum MHD_Result tapes_csv(struct request *req);
enum MHD_Result tapes_mhl(struct request *req);
enum MHD_Result archive_jobs_create(struct request *req);
enum MHD_Result files_get(struct request *req);
enum MHD_Result renditions_list(struct request *req);
enum MHD_Result targets_list(struct request *req);
enum MHD_Result targets_create(struct request *req);
enum MHD_Result targets_delete(struct request *req);
enum MHD_Result deliveries_list(struct request *req);
enum MHD_Result deliveries_create(struct request *req);
enum MHD_Result arrivals_list(struct request *req);
enum MHD_Result arrivals_days(struct request *req);
enum MHD_Result delivery_rules_list(struct request *req);
enum MHD_Result delivery_rules_create(struct request *req);
enum MHD_Result delivery_rules_delete(struct request *req);
enum MHD_Result archive_rules_list(struct request *req);
enum MHD_Result archive_rules_create(struct request *req);
enum MHD_Result archive_rules_delete(struct request *req);
/* Queues an archive job for each archive rule of day's production with cards that day (in the
 * wrap's transaction); appends each job's id to jobs. */
int archive_rules_wrap(struct db_conn *c, long long day, const char *actor, json_t *jobs,
    struct err *err);
enum MHD_Result days_send(struct request *req);
enum MHD_Result jobs_cancel(struct request *req);
enum MHD_Result jobs_retry(struct request *req);
enum MHD_Result health_get(struct request *req);
enum MHD_Result metrics_get(struct request *req);
enum MHD_Result static_get(struct request *req);
enum MHD_Result jobs_list(struct request *req);
enum MHD_Result media_clip_get(struct request *req);
enum MHD_Result clips_transcode(struct request *req);
enum MHD_Result media_thumbnail_get(struct request *req);
enum MHD_Result media_contact_sheet_get(struct request *req);
enum MHD_Result jobs_get(struct request *req);
enum MHD_Result days_wrap(struct request *req);
enum MHD_Result webhooks_list(struct request *req);
enum MHD_Result webhooks_create(struct request *req);
enum MHD_Result webhooks_get(struct request *req);
enum MHD_Result webhooks_patch(struct request *req);
enum MHD_Result webhooks_delete(struct request *req);
enum MHD_Result webhooks_deliveries(struct request *req);
enum MHD_Result webhooks_test(struct request *req);
/* Looks and sound sync (looks.c, looks_import.c, sound.c). */
enum MHD_Result luts_create(struct request *req);
enum MHD_Result luts_list(struct request *req);
enum MHD_Result luts_get(struct request *req);
enum MHD_Result luts_cube(struct request *req);
enum MHD_Result clips_look_cube(struct request *req);
enum MHD_Result luts_delete(struct request *req);
enum MHD_Result days_patch(struct request *req);
enum MHD_Result scene_looks_list(struct request *req);
enum MHD_Result scene_looks_put(struct request *req);
enum MHD_Result scene_looks_delete(struct request *req);
enum MHD_Result looks_import(struct request *req);
enum MHD_Result days_sound(struct request *req);
enum MHD_Result clips_sound_put(struct request *req);
enum MHD_Result clips_sound_delete(struct request *req);
void looks_body_chunk(struct request *req, const char *data, size_t len);
enum MHD_Result day_cards_get(struct request *req);
enum MHD_Result reports_day_get(struct request *req);
enum MHD_Result reports_card_get(struct request *req);
enum MHD_Result reports_workflow_pdf(struct request *req);
enum MHD_Result reports_workflow_html(struct request *req);
enum MHD_Result workflow_get_route(struct request *req);
enum MHD_Result workflow_put_route(struct request *req);
enum MHD_Result reports_volume_get(struct request *req);
enum MHD_Result volumes_patch(struct request *req);
enum MHD_Result mounts_list(struct request *req);

#endif
