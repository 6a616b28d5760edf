/* catalogue: what is on which tape (see catalogue.h). */
#include "lib/archive/catalogue.h"

#include <string.h>

static const struct db_stmt stmt_tapes = { "catalogue_tapes",
	"SELECT coalesce(json_agg(x ORDER BY x.label, x.id), '[]')::text FROM ("
	" SELECT t.volume_id AS id, v.name AS label, t.barcode, t.ltfs_uuid, t.state, v.location,"
	"  t.bytes_total, t.bytes_free, t.updated_at,"
	"  (SELECT count(*) FROM copies cp WHERE cp.volume_id = t.volume_id AND cp.state = 'verified')"
	"   AS files,"
	"  (SELECT count(*) FROM copies cp WHERE cp.volume_id = t.volume_id AND cp.state <> 'verified')"
	"   AS files_unverified,"
	"  (SELECT coalesce(sum(f.size), 0) FROM copies cp JOIN files f ON f.id = cp.file_id"
	"   WHERE cp.volume_id = t.volume_id AND cp.state = 'verified') AS bytes,"
	"  (SELECT coalesce(json_agg(DISTINCT k.label), '[]') FROM copies cp"
	"   JOIN files f ON f.id = cp.file_id JOIN cards k ON k.id = f.card_id"
	"   WHERE cp.volume_id = t.volume_id) AS cards,"
	"  (SELECT json_agg(json_build_object('day', d.shoot_date, 'card', k.label, 'clip', c.name,"
	"    'file', f.rel_path, 'tape_path', cp.rel_path, 'size', f.size, 'state', cp.state,"
	"    'seq', tf.seq, 'start_block', tf.start_block) ORDER BY tf.seq)"
	"   FROM copies cp JOIN tape_files tf ON tf.copy_id = cp.id JOIN files f ON f.id = cp.file_id"
	"   JOIN cards k ON k.id = f.card_id JOIN days d ON d.id = k.day_id"
	"   LEFT JOIN clips c ON c.id = f.clip_id"
	"   WHERE cp.volume_id = t.volume_id AND $1::text IS NOT NULL"
	"   AND (strpos(lower(f.rel_path), lower($1)) > 0 OR strpos(lower(c.name), lower($1)) > 0))"
	"   AS matches"
	" FROM tapes t JOIN volumes v ON v.id = t.volume_id) x"
	" WHERE $1::text IS NULL OR x.matches IS NOT NULL", 1 };

static const struct db_stmt stmt_rows = { "catalogue_rows",
	"SELECT v.name, t.barcode, t.ltfs_uuid, v.location, tf.seq, tf.start_block, d.shoot_date,"
	" k.label, c.name, f.rel_path, cp.rel_path, f.size, h.algorithm, h.value, cp.state,"
	" cp.verified_at"
	" FROM tape_files tf JOIN tapes t ON t.volume_id = tf.tape_id"
	" JOIN volumes v ON v.id = t.volume_id JOIN copies cp ON cp.id = tf.copy_id"
	" JOIN files f ON f.id = cp.file_id JOIN cards k ON k.id = f.card_id"
	" JOIN days d ON d.id = k.day_id JOIN productions p ON p.id = d.production_id"
	" LEFT JOIN clips c ON c.id = f.clip_id"
	" LEFT JOIN LATERAL (SELECT x.algorithm, x.value FROM hashes x WHERE x.file_id = f.id"
	"  ORDER BY x.algorithm = p.hash_algorithm DESC, x.algorithm LIMIT 1) h ON true"
	" ORDER BY v.name, t.volume_id, tf.seq", 0 };

int
catalogue_tapes(struct db *db, const char *find, json_t **items, struct err *err)
{
	const char *p[1] = { find && *find ? find : NULL };
	PGresult *r;
	int n;

	if ((n = db_exec(db, &stmt_tapes, p, &r, err)) < 0)
		return n;
	*items = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
	PQclear(r);
	return *items ? 0 : err_set(err, SP_EINTERNAL, "catalogue: unreadable answer");
}

/* RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. A field
 * starting with = + - @ gets a leading quote mark so a spreadsheet does not run it. */
static int
csv_field(struct buf *out, const char *s, bool last)
{
	int rc = 0;

	if (s && s[0] && strchr("=+-@", s[0]))
		rc = buf_appends(out, "'");
	if (rc == 0 && s && strpbrk(s, ",\"\r\n")) {
		rc = buf_appends(out, "\"");
		for (const char *c = s; rc == 0 && *c; c++) {
			rc = buf_append(out, c, 1);
			if (rc == 0 && *c == '"')
				rc = buf_appends(out, "\"");
		}
		if (rc == 0)
			rc = buf_appends(out, "\"");
	} else if (rc == 0 && s)
		rc = buf_appends(out, s);
	if (rc == 0)
		rc = buf_appends(out, last ? "\r\n" : ",");
	return rc;
}

int
catalogue_csv(struct db *db, struct buf *out, struct err *err)
{
	static const char *const head[] = { "tape", "barcode", "ltfs_uuid", "location", "seq",
		"start_block", "day", "card", "clip", "file", "tape_path", "size", "algorithm",
		"hash", "state", "verified_at" };
	const int ncol = (int)(sizeof(head) / sizeof(head[0]));
	PGresult *r;
	int n, rc = 0;

	if ((n = db_exec(db, &stmt_rows, NULL, &r, err)) < 0)
		return n;
	for (int c = 0; c < ncol && rc == 0; c++)
		rc = csv_field(out, head[c], c == ncol - 1);
	for (int i = 0; i < n && rc == 0; i++)
		for (int c = 0; c < ncol && rc == 0; c++)
			rc = csv_field(out, db_val(r, i, c), c == ncol - 1);
	PQclear(r);
	return rc < 0 ? err_set(err, SP_ENOMEM, "catalogue: out of memory") : 0;
}
