/* volumes: the drives and folders copies live on, with where each is mounted and how many
 * verified copies it holds. */
#include "http.h"
#include "lib/core/json.h"
#include "lib/store/event.h"

#include <string.h>

static const struct db_stmt stmt_volumes = { "library_volumes",
	LIST("SELECT v.id, v.name, v.kind, v.location, v.fs_uuid AS key, v.device_id, v.created_at,"
	" (SELECT coalesce(json_agg(json_build_object('host', m.host, 'mount_path', m.mount_path)), '[]')"
	"  FROM volume_mounts m WHERE m.volume_id = v.id) AS mounts,"
	" (SELECT count(*) FROM copies cp WHERE cp.volume_id = v.id AND cp.state = 'verified')"
	"  AS verified_copies FROM volumes v ORDER BY v.name, v.id"), 0 };

enum MHD_Result
volumes_list(struct request *req)
{
	return reply_items(req, &stmt_volumes, NULL);
}

static const struct db_stmt stmt_volume_patch = { "volume_patch",
	"UPDATE volumes SET name = coalesce($2, name), kind = coalesce($3, kind),"
	" location = coalesce($4, location) WHERE id = $1 RETURNING id", 4 };
static const struct db_stmt stmt_volume_get = { "volume_get",
	"SELECT json_build_object('id', v.id, 'name', v.name, 'kind', v.kind, 'location', v.location,"
	" 'key', v.fs_uuid, 'device_id', v.device_id, 'created_at', v.created_at)::text"
	" FROM volumes v WHERE v.id = $1", 1 };

/* s is NULL or one of set. */
static bool
volumes_one_of(const char *s, const char *const *set)
{
	while (s && *set && strcmp(*set, s) != 0)
		set++;
	return s == NULL || *set != NULL;
}

/* PATCH /api/v1/volumes/{id} {"name"?, "kind"?, "location"?}: a volume named, or marked as what
 * it is (its media type for the copy policy; a shuttle drive going to the post house, whose
 * report is GET /api/v1/volumes/{id}/report) and where it is kept (a copy off set counts as
 * offsite). */
enum MHD_Result
volumes_patch(struct request *req)
{
	static const char *const fields[] = { "name", "kind", "location", NULL };
	static const char *const kinds[] = { "disk", "raid", "shuttle", "lto", "nas", "cloud", "card",
		NULL };
	static const char *const places[] = { "on_set", "vault", "post_house", "offsite", NULL };
	const char *name = NULL, *kind = NULL, *place = NULL, *p[4];
	long long id;
	struct err err;
	int rc;

	if (!request_param_id(req, 0, &id) || !request_json(req, fields) ||
	    !request_field_ok(req, json_get_string(req->json, "name", false, 200, &name, &err), &err) ||
	    !request_field_ok(req, json_get_string(req->json, "kind", false, 16, &kind, &err), &err) ||
	    !request_field_ok(req, json_get_string(req->json, "location", false, 16, &place, &err),
	    &err))
		return MHD_YES;
	if (name && *name == '\0')
		return reply_error(req, 400, "invalid", "name: expected 1 to 200 characters");
	if (!volumes_one_of(kind, kinds))
		return reply_error(req, 400, "invalid", "kind: expected disk, raid, shuttle, lto, nas, "
		    "cloud or card");
	if (!volumes_one_of(place, places))
		return reply_error(req, 400, "invalid", "location: expected on_set, vault, post_house "
		    "or offsite");
	p[0] = req->params[0];
	p[1] = name;
	p[2] = kind;
	p[3] = place;
	if ((rc = db_exec(req->srv->db, &stmt_volume_patch, p, NULL, &err)) < 0)
		return reply_err(req, &err);
	if (rc == 0)
		return reply_error(req, 404, "not_found", "volume %lld not found", id);
	event_record_db(req->srv->db, req->who.name, "volume.updated", "volume", id, req->json, NULL);
	return reply_row(req, 200, &stmt_volume_get, p[0], "volume");
}
