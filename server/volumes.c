/* volumes: the drives and folders copies live on, with where each is mounted and how many
 * verified copies it holds. */
#include "http.h"

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
