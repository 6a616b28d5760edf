/* catalogue_mhl: one tape's catalogue as an ASC MHL v2 manifest (see catalogue.h). */
#include "lib/archive/catalogue.h"
#include "lib/archive/mhl_stage.h"
#include "lib/core/hash.h"
#include "lib/core/version.h"
#include "lib/custody/mhl.h"
#include "lib/store/params.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const struct db_stmt stmt_tape = { "catalogue_mhl_tape",
	"SELECT t.volume_id, v.name, coalesce(t.barcode, ''), coalesce(t.ltfs_uuid, ''),"
	" coalesce(v.location, ''), t.state FROM tapes t JOIN volumes v ON v.id = t.volume_id"
	" WHERE ($1::bigint IS NOT NULL AND t.volume_id = $1) OR ($1::bigint IS NULL AND"
	" (v.name = $2 OR t.barcode = $2)) ORDER BY t.volume_id LIMIT 2", 2 };

/* Every file verified on the tape, one row per hash. */
static const struct db_stmt stmt_files = { "catalogue_mhl_files",
	"SELECT cp.rel_path, f.size, coalesce(extract(epoch FROM f.mtime)::bigint, 0),"
	" h.algorithm, h.value, coalesce(extract(epoch FROM cp.verified_at)::bigint, 0)"
	" FROM tape_files tf JOIN copies cp ON cp.id = tf.copy_id JOIN files f ON f.id = cp.file_id"
	" JOIN hashes h ON h.file_id = f.id"
	" WHERE tf.tape_id = $1 AND cp.state = 'verified' ORDER BY tf.seq, h.algorithm", 1 };

struct cm {
	struct mhl_entry *e;
	size_t n;
	char label[128], barcode[64], uuid[200], location[64];
	long long id;
};

static int
cm_tape(struct db *db, long long tape, const char *label, struct cm *m, struct err *err)
{
	struct db_params q = { 0 };
	PGresult *r;
	int n;

	db_param_ll_if(&q, tape > 0, tape);
	db_param_str(&q, label);
	if ((n = db_exec(db, &stmt_tape, q.v, &r, err)) < 0)
		return n;
	if (n != 1) {
		PQclear(r);
		return err_set(err, n ? SP_EINVAL : SP_ENOTFOUND, n ? "tape %s: several tapes by "
		    "that name, give its id" : "no tape %s in the catalogue", label ? label : "");
	}
	m->id = db_ll(r, 0, 0);
	snprintf(m->label, sizeof(m->label), "%s", PQgetvalue(r, 0, 1));
	snprintf(m->barcode, sizeof(m->barcode), "%s", PQgetvalue(r, 0, 2));
	snprintf(m->uuid, sizeof(m->uuid), "%s", PQgetvalue(r, 0, 3));
	snprintf(m->location, sizeof(m->location), "%s", PQgetvalue(r, 0, 4));
	PQclear(r);
	return 0;
}

static int
cm_files(struct db *db, struct cm *m, PGresult **rp, struct err *err)
{
	struct db_params q = { 0 };
	PGresult *r;
	int n;

	db_param_ll(&q, m->id);
	if ((n = db_exec(db, &stmt_files, q.v, &r, err)) < 0)
		return n;
	*rp = r;
	if ((m->e = calloc((size_t)n + 1, sizeof(*m->e))) == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	for (int i = 0; i < n; i++) {
		int a = hash_algo_from_name(PQgetvalue(r, i, 3));
		struct mhl_entry *e;
		if (m->n == 0 || strcmp(m->e[m->n - 1].path, PQgetvalue(r, i, 0)) != 0) {
			e = &m->e[m->n++];
			e->path = PQgetvalue(r, i, 0);     /* lent by r, kept until the end */
			e->size = db_ll(r, i, 1);
			e->mtime = (time_t)db_ll(r, i, 2);
		}
		e = &m->e[m->n - 1];
		if (a < 0)
			continue;
		e->algos |= HASH_BIT(a);
		snprintf(e->h[a].value, sizeof(e->h[a].value), "%s", PQgetvalue(r, i, 4));
		e->h[a].action = MHL_ACTION_ORIGINAL;
		e->h[a].hashdate = (time_t)db_ll(r, i, 5);
	}
	return 0;
}

/* The manifest, made on disk and read back (lib/archive/mhl_stage.h). */
static int
cm_write(struct cm *m, const char *stage_dir, struct buf *out, char *name, size_t nlen,
    struct err *err)
{
	char host[256] = "localhost", comment[600];
	struct mhl_staged st;
	int rc;

	snprintf(comment, sizeof(comment), "setpost catalogue of LTO tape %s (barcode %s, LTFS "
	    "volume UUID %s): %zu files verified on it, paths from the tape's root", m->label,
	    m->barcode[0] ? m->barcode : "unknown", m->uuid[0] ? m->uuid : "unknown", m->n);
	gethostname(host, sizeof(host) - 1);
	struct mhl_generation g = { .created = time(NULL), .hostname = host,
		.tool_version = SETPOST_VERSION, .location = m->location[0] ? m->location : NULL,
		.comment = comment, .process = MHL_PROCESS_TRANSFER, .entries = m->e,
		.nentries = m->n, .dir_algo = MHL_NO_DIRHASH };
	if ((rc = mhl_stage(stage_dir, m->label, &g, &st, err)) < 0)
		return rc;
	if (buf_append(out, st.manifest.data, st.manifest.len) < 0)
		rc = err_set(err, SP_ENOMEM, "out of memory");
	if (name)
		snprintf(name, nlen, "%s", st.name);
	buf_release(&st.manifest);
	buf_release(&st.chain);
	return rc;
}

int
catalogue_mhl(struct db *db, long long tape, const char *label, const char *stage_dir,
    struct buf *out, char *name, size_t nlen, struct err *err)
{
	struct cm m;
	PGresult *r = NULL;
	int rc;

	memset(&m, 0, sizeof(m));
	if ((rc = cm_tape(db, tape, label, &m, err)) == 0 &&
	    (rc = cm_files(db, &m, &r, err)) == 0)
		rc = cm_write(&m, stage_dir, out, name, nlen, err);
	free(m.e);
	PQclear(r);
	return rc;
}
