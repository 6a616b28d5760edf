/* register: `setpost register COPY... --register URL`: registers copies another tool made
 * (Silverstack, Hedge, ShotPut Pro, the ASC tool) from the ASC MHL history each copy carries.
 * Each COPY is one copy of a card (its folder holds ascmhl/). A file counts as a verified copy
 * when that copy's history lists it (not as failed) and the file is there with its size; the
 * hashes registered are the ones the history records. Nothing is hashed again: run
 * `setpost verify` first to re-check the bytes. */
#include "cli.h"
#include "offload_register.h"
#include "lib/custody/mhl.h"
#include "lib/custody/volume.h"
#include "lib/report/report_offload.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char register_usage[] =
	"usage: setpost register COPY [COPY ...] --register URL [--token TOKEN] [--card LABEL]\n"
	"       [--cacert FILE]\n"
	"       [--production P] [--day YYYY-MM-DD] [--camera A]\n\n"
	"Registers copies of one card made by another tool, from the ASC MHL history (ascmhl/) in\n"
	"each COPY folder: the card, its clips, its files with the hashes the history records, and\n"
	"each COPY as a copy on its volume. A file counts on a COPY when its history lists it (not\n"
	"as failed) and it is there with the recorded size. Nothing is hashed again: run\n"
	"'setpost verify COPY' first to re-check the bytes.\n"
	"The token (admin role) comes from --token or SETPOST_TOKEN.\n";

#define REG_MAX_COPIES 16

/* The card as the copies' histories describe it: every path any history lists. */
static int
register_files(struct offload_result *res, struct mhl_history *h, size_t n, struct err *err)
{
	size_t cap = 0;

	for (size_t k = 0; k < n; k++)
		cap += h[k].nfiles;
	res->files = calloc(cap + 1, sizeof(*res->files));
	if (res->files == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	for (size_t k = 0; k < n; k++)
		for (size_t i = 0; i < h[k].nfiles; i++) {
			const struct mhl_entry *e = &h[k].files[i];
			struct offload_file *f;
			size_t j = 0;
			while (j < res->nfiles && strcmp(res->files[j].path, e->path) != 0)
				j++;
			/* setpost's offload reports beside the card are not part of it */
			if (j < res->nfiles || e->is_dir || report_offload_is_report(e->path))
				continue;
			f = &res->files[res->nfiles++];
			f->path = strdup(e->path);
			f->size = e->size;
			f->mtime.tv_sec = e->mtime;
			f->hashed = 2;
			for (int a = 0; a < HASH_NALGOS; a++)
				if ((e->algos & HASH_BIT(a)) && e->h[a].action != MHL_ACTION_FAILED &&
				    hash_value_parse((enum hash_algo)a, e->h[a].value, &f->hash.v[a], NULL) == 0) {
					f->hash.algos |= HASH_BIT(a);
					res->algos |= HASH_BIT(a);
				}
			f->copies = calloc(n, sizeof(*f->copies));
		}
	return 0;
}

/* Whether COPY k holds file f as its history says. */
static void
register_copy_state(const struct mhl_history *h, const char *root, struct offload_file *f,
    struct offload_copy *cp)
{
	const struct mhl_entry *e = mhl_history_find(h, f->path);
	char path[PATH_MAX * 2], why[160];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", root, f->path);
	cp->state = OFFLOAD_FAILED;
	if (e != NULL)
		cp->checked = e->checked;
	if (e == NULL)
		cp->reason = strdup("not in this copy's ASC MHL history");
	else if (e->last_failed) {
		/* Only the latest check counts: a failed one is never outweighed by older ones. */
		snprintf(why, sizeof(why), "its ASC MHL history's latest check (generation %d) "
		    "failed", e->checked_generation);
		cp->reason = strdup(why);
	} else if (stat(path, &st) < 0) {
		cp->reason = strdup("missing from the copy");
	} else {
		/* The history may leave the size out (the reference tool does for an empty file). */
		if (f->size < 0)
			f->size = st.st_size;
		if (st.st_size != f->size)
			cp->reason = strdup("size differs from its ASC MHL history");
		else
			cp->state = OFFLOAD_VERIFIED;
	}
}

static int
register_dest(struct offload_dest *d, const char *root, struct err *err)
{
	struct volume_id v;
	char real[PATH_MAX];
	int fd, rc;

	if (realpath(root, real) == NULL || (fd = open(real, O_RDONLY | O_DIRECTORY)) < 0)
		return err_errno(err, SP_EINVAL, errno, "%s", root);
	rc = volume_identify_fd(fd, &v, err);
	close(fd);
	d->path = strdup(root);
	d->card_dir = strdup(real);
	d->dev = v.dev;
	snprintf(d->fsid, sizeof(d->fsid), "%s", v.fsid);
	snprintf(d->uuid, sizeof(d->uuid), "%s", v.uuid);
	return rc;
}

static void
register_free(struct offload_result *res)
{
	for (size_t i = 0; i < res->nfiles; i++) {
		for (size_t d = 0; d < res->ndst; d++)
			free(res->files[i].copies[d].reason);
		free(res->files[i].copies);
		free(res->files[i].path);
	}
	for (size_t d = 0; d < res->ndst; d++) {
		free(res->dests[d].path);
		free(res->dests[d].card_dir);
	}
	free(res->files);
	free(res->dests);
	free(res->label);
	free(res->src);
}

static int
register_run(char **copies, size_t n, const char *card, const struct offload_register_opts *o,
    struct err *err)
{
	struct mhl_history h[REG_MAX_COPIES];
	struct offload_result res;
	size_t loaded = 0;
	int rc = 0;

	memset(&res, 0, sizeof(res));
	memset(h, 0, sizeof(h));
	for (; loaded < n && rc == 0; loaded++)
		if ((rc = mhl_history_load(&h[loaded], copies[loaded], err)) < 0)
			err_prefix(err, "%s: ", copies[loaded]);
	if (rc == 0)
		rc = register_files(&res, h, n, err);
	if (rc == 0 && res.nfiles == 0)
		rc = err_set(err, SP_EINVAL, "%s: no files in an ascmhl/ history here (a copy without ASC MHL cannot be registered this way: use setpost offload --register)", copies[0]);
	res.dests = calloc(n, sizeof(*res.dests));
	for (size_t k = 0; rc == 0 && k < n; k++, res.ndst++)
		rc = register_dest(&res.dests[k], copies[k], err);
	for (size_t i = 0; rc == 0 && i < res.nfiles; i++)
		for (size_t k = 0; k < n; k++)
			register_copy_state(&h[k], copies[k], &res.files[i], &res.files[i].copies[k]);
	if (rc == 0) {
		const char *base = strrchr(res.dests[0].card_dir, '/');
		res.label = strdup(card ? card : base ? base + 1 : res.dests[0].card_dir);
		res.src = strdup(res.dests[0].card_dir);
		rc = offload_register(&res, o, NULL, stdout, NULL, err);
	}
	for (size_t k = 0; k < loaded; k++)
		mhl_history_release(&h[k]);
	register_free(&res);
	return rc;
}

struct register_cli {
	struct offload_register_opts o;
	const char *card;
};

static int
register_option(void *arg, int ch, const char *val, struct err *err)
{
	struct register_cli *c = arg;

	(void)err;
	switch (ch) {
	case 'r': c->o.url = val; break;
	case 't': c->o.token = val; break;
	case 'c': c->card = val; break;
	case 'p': c->o.production = val; break;
	case 'd': c->o.day = val; break;
	case 'a': c->o.camera = val; break;
	case 'k': c->o.cacert = val; break;
	}
	return 0;
}

int
cmd_register(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "register", required_argument, NULL, 'r' }, { "token", required_argument, NULL, 't' },
		{ "card", required_argument, NULL, 'c' }, { "production", required_argument, NULL, 'p' },
		{ "day", required_argument, NULL, 'd' }, { "camera", required_argument, NULL, 'a' },
		{ "cacert", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	static const struct cli_options options = { ":h", longopts, register_option };
	struct register_cli c = { 0 };
	struct offload_register_opts *o = &c.o;
	struct err err;
	int help = 0;

	if (cli_getopt(&options, argc, argv, &c, &help, &err) < 0)
		return cli_fail("register", "%s", err.msg) + 1;
	if (help) {
		fputs(register_usage, stdout);
		return 0;
	}
	if (o->token == NULL)
		o->token = getenv("SETPOST_TOKEN");
	if (argc - optind < 1 || argc - optind > REG_MAX_COPIES)
		return cli_fail("register", "give 1 to %d copy folders (see --help)", REG_MAX_COPIES) + 1;
	if (o->url == NULL || o->token == NULL)
		return cli_fail("register", "--register URL and a token (--token or SETPOST_TOKEN) are "
		    "needed") + 1;
	if (register_run(argv + optind, (size_t)(argc - optind), c.card, o, &err) < 0)
		return cli_fail("register", "%s", err.msg);
	return 0;
}
