/*
 * setpost send: uploads one file, age-encrypted on the fly, to a tus 1.0 server, and resumes
 * the same upload when run again after an interruption. Thin over lib/tus_client,
 * lib/age_source and lib/sealed.
 *
 * Resume state lives in DATA/send/<id>.state (mode 0600), <id> being a hash of the file's
 * real path, size, mtime and the endpoint URL: the upload URL (once created), the plaintext
 * xxh64, the recipients, and the age params (file key, payload nonce, header) SEALED under
 * DATA/keys/server.key, never in the clear. The state is kept after completion, so running
 * the command again checks the upload (HEAD) instead of sending it twice.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "lib/delivery/age.h"
#include "lib/delivery/age_source.h"
#include "lib/core/buf.h"
#include "lib/core/hash.h"
#include "lib/delivery/sealed.h"
#include "lib/delivery/tus_client.h"

#include "cli.h"

/* Until cli.h declares it. */
#include "cli.h"

#define SEND_MAX_LIST 64
#define SEND_STATE_MAX (1024 * 1024)
#define SEND_STATE_MAGIC "setpost-send 1"

static const char send_usage[] =
    "Usage: setpost send FILE --to URL --recipient age1... [options]\n"
    "\n"
    "Uploads FILE to a tus 1.0 server, encrypted on the fly to the age recipients (no\n"
    "encrypted copy is written), in chunks, resuming after network failures. When interrupted\n"
    "(Ctrl-C, kill, power cut), run the same command again: it resumes the same upload and the\n"
    "same encrypted stream, so the server ends with what one uninterrupted upload gives.\n"
    "Prints the upload URL on standard output, and a progress bar when standard error is a\n"
    "terminal. Exits 0 only once the server has every byte.\n"
    "\n"
    "  --to URL              the server's tus creation URL (required)\n"
    "  -r, --recipient KEY   an age1... public key; repeatable (at least one)\n"
    "  -H, --header LINE     an extra request header, e.g. \"Authorization: Bearer ...\"; repeatable\n"
    "  --limit-rate N        send at most N bytes/s (suffixes K, M, G: powers of 1024)\n"
    "  --meta KEY=VALUE      extra Upload-Metadata; repeatable (filename and clip may be\n"
    "                        overridden; size and xxh64 are always the plaintext's)\n"
    "  --data DIR            state folder (default $SETPOST_DATA, else ./var): resume state in\n"
    "                        DIR/send/, the sealing key in DIR/keys/server.key\n"
    "  --xxh64 HEX           the plaintext's xxh64 when you already know it (e.g. from an ASC\n"
    "                        MHL): sending starts at once instead of after hashing the file,\n"
    "                        and the file is checked against it while it is sent (a mismatch\n"
    "                        stops before the last byte and deletes the upload)\n"
    "  --chunk-size N        bytes per PATCH request (default 8M)\n"
    "  --retries N           failed tries in a row, without progress, before giving up\n"
    "                        (default 9; waits double from 1 s up to 60 s, with jitter)\n"
    "  -h, --help            show this help\n";

enum { OPT_TO = 1000, OPT_LIMIT, OPT_META, OPT_DATA, OPT_CHUNK, OPT_RETRIES, OPT_XXH64 };

static const struct option send_longopts[] = {
	{ "to", required_argument, NULL, OPT_TO },
	{ "recipient", required_argument, NULL, 'r' },
	{ "header", required_argument, NULL, 'H' },
	{ "limit-rate", required_argument, NULL, OPT_LIMIT },
	{ "meta", required_argument, NULL, OPT_META },
	{ "data", required_argument, NULL, OPT_DATA },
	{ "chunk-size", required_argument, NULL, OPT_CHUNK },
	{ "retries", required_argument, NULL, OPT_RETRIES },
	{ "xxh64", required_argument, NULL, OPT_XXH64 },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct send_opts {
	const char *file, *to, *data;
	const char *headers[SEND_MAX_LIST];
	size_t n_headers;
	const char *meta[SEND_MAX_LIST];        /* "key=value" as given */
	size_t n_meta;
	struct age_recipient rcpt[SEND_MAX_LIST];
	size_t n_rcpt;
	uint64_t rate, chunk;
	long retries;                           /* -1: default */
	char xxh64[HASH_STR_MAX];               /* --xxh64, normalised; "" when not given */
	int help;
};

/* What DATA/send/<id>.state holds (params opened, in memory only). */
struct send_state {
	char path[PATH_MAX];
	char recipients[SEND_MAX_LIST * (AGE_RECIPIENT_STR_LEN + 1)];
	char xxh64[HASH_STR_MAX];
	char *params_b64;                       /* sealed params, base64 */
	char *url;
	int done;
};

/* The run: file, key, state, params. */
struct send_run {
	struct send_opts o;
	int fd;
	struct stat st;
	char real[PATH_MAX];
	uint8_t key[SEALED_KEY_LEN];
	struct send_state s;
	struct age_enc_params params;
	int have_params;
	int tty;
	double bar_last;
};

/* ---- options ---- */

static int
send_push(const char **list, size_t *n, const char *v, const char *what, struct err *err)
{
	if (*n >= SEND_MAX_LIST)
		return err_set(err, SP_EINVAL, "too many %s (at most %d)", what, SEND_MAX_LIST);
	list[(*n)++] = v;
	return 0;
}

static int
send_option(void *arg, int c, const char *val, struct err *err)
{
	struct send_opts *o = arg;
	char *end;

	switch (c) {
	case OPT_TO:
		o->to = val;
		return strpbrk(val, "\r\n\t ") ? err_set(err, SP_EINVAL, "--to: bad URL") : 0;
	case 'r':
		if (o->n_rcpt >= SEND_MAX_LIST)
			return err_set(err, SP_EINVAL, "too many recipients");
		if (age_recipient_parse(&o->rcpt[o->n_rcpt], val, err) != 0)
			return err_prefix(err, "--recipient %s: ", val);
		o->n_rcpt++;
		return 0;
	case 'H':
		return send_push(o->headers, &o->n_headers, val, "headers", err);
	case OPT_META:
		if (strchr(val, '=') == NULL || *val == '=')
			return err_set(err, SP_EINVAL, "--meta %s: expected KEY=VALUE", val);
		return send_push(o->meta, &o->n_meta, val, "--meta values", err);
	case OPT_LIMIT:
		return cli_parse_size(val, &o->rate) ? err_set(err, SP_EINVAL,
		    "--limit-rate %s: expected bytes per second, like 500K", val) : 0;
	case OPT_CHUNK:
		return cli_parse_size(val, &o->chunk) || o->chunk == 0 || o->chunk > TUS_MAX_CHUNK ?
		    err_set(err, SP_EINVAL, "--chunk-size %s: expected 1 to 1G bytes", val) : 0;
	case OPT_RETRIES:
		o->retries = strtol(val, &end, 10);
		return *val == '\0' || *end != '\0' || o->retries < 0 || o->retries > 1000 ?
		    err_set(err, SP_EINVAL, "--retries %s: expected 0 to 1000", val) : 0;
	case OPT_DATA:
		o->data = val;
		return 0;
	case OPT_XXH64: {
		struct hash_value v;
		if (hash_value_parse(HASH_XXH64, val, &v, err) != 0)
			return err_set(err, SP_EINVAL, "--xxh64 %.40s: expected 16 hex digits", val);
		snprintf(o->xxh64, sizeof o->xxh64, "%s", v.str);
		return 0;
	}
	default:
		return 0;
	}
}

static const struct cli_options send_options = { ":r:H:h", send_longopts, send_option };

static int
send_parse(struct send_opts *o, int argc, char **argv, struct err *err)
{
	int rc;

	o->retries = -1;
	rc = cli_getopt(&send_options, argc, argv, o, &o->help, err);
	if (rc != 0 || o->help)
		return rc;
	if (argc - optind != 1)
		return err_set(err, SP_EINVAL, "expected one FILE (see --help)");
	o->file = argv[optind];
	if (o->to == NULL)
		return err_set(err, SP_EINVAL, "no --to URL (see --help)");
	if (o->n_rcpt == 0)
		return err_set(err, SP_EINVAL, "no --recipient (see --help)");
	if (o->data == NULL)
		o->data = getenv("SETPOST_DATA");
	if (o->data == NULL || *o->data == '\0')
		o->data = "./var";
	return 0;
}

/* ---- state file ---- */

/* Sorted, comma-separated "age1..." list: the same set gives the same text. */
static int
send_rcpt_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct age_recipient));
}

static void
send_recipients_text(struct send_opts *o, char *out, size_t cap)
{
	char one[AGE_RECIPIENT_STR_LEN + 1];
	size_t len = 0;

	qsort(o->rcpt, o->n_rcpt, sizeof o->rcpt[0], send_rcpt_cmp);
	out[0] = '\0';
	for (size_t i = 0; i < o->n_rcpt; i++) {
		if (i > 0 && memcmp(&o->rcpt[i], &o->rcpt[i - 1], sizeof o->rcpt[0]) == 0)
			continue;
		age_recipient_format(&o->rcpt[i], one);
		len += (size_t)snprintf(out + len, cap - len, "%s%s", len ? "," : "", one);
	}
}

static int
send_state_path(struct send_run *r, struct err *err)
{
	uint8_t h[16];
	char hex[33], text[PATH_MAX + 256];
	int n = snprintf(text, sizeof text, "%s%c%jd%c%jd.%09ld%c%s", r->real, 0,
	    (intmax_t)r->st.st_size, 0, (intmax_t)r->st.st_mtim.tv_sec, r->st.st_mtim.tv_nsec, 0,
	    r->o.to);

	if (n < 0 || (size_t)n >= sizeof text)
		return err_set(err, SP_EINVAL, "--to URL too long");
	crypto_generichash(h, sizeof h, (const uint8_t *)text, (size_t)n, NULL, 0);
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	if (snprintf(r->s.path, sizeof r->s.path, "%s/send/%s.state", r->o.data, hex) >=
	    (int)sizeof r->s.path)
		return err_set(err, SP_EINVAL, "--data %s: path too long", r->o.data);
	return 0;
}

static int
send_state_line(struct send_state *s, char *line)
{
	char *v = strchr(line, ' ');

	if (v != NULL)
		*v++ = '\0';
	if (strcmp(line, "done") == 0)
		s->done = 1;
	else if (v == NULL)
		return 0;
	else if (strcmp(line, "recipients") == 0)
		snprintf(s->recipients, sizeof s->recipients, "%s", v);
	else if (strcmp(line, "xxh64") == 0)
		snprintf(s->xxh64, sizeof s->xxh64, "%s", v);
	else if (strcmp(line, "params") == 0 && s->params_b64 == NULL)
		return (s->params_b64 = strdup(v)) ? 0 : -1;
	else if (strcmp(line, "url") == 0 && s->url == NULL)
		return (s->url = strdup(v)) ? 0 : -1;
	return 0;
}

/* Reads the state file; returns 1 when there is none. */
static int
send_state_read(struct send_state *s, struct err *err)
{
	char *text = NULL, *line, *next;
	size_t cap = 0;
	FILE *f = fopen(s->path, "re");
	int rc = 0;

	if (f == NULL && errno == ENOENT)
		return 1;
	if (f == NULL)
		return err_errno(err, SP_EIO, errno, "state %s", s->path);
	if (getline(&text, &cap, f) < 0 || strncmp(text, SEND_STATE_MAGIC "\n",
	    sizeof SEND_STATE_MAGIC) != 0)
		rc = err_set(err, SP_EINVAL, "state %s: not a send state file", s->path);
	while (rc == 0 && getline(&text, &cap, f) > 0) {
		line = text;
		if ((next = strchr(line, '\n')) != NULL)
			*next = '\0';
		if (send_state_line(s, line) != 0)
			rc = err_set(err, SP_ENOMEM, "out of memory");
	}
	if (rc == 0 && (s->params_b64 == NULL || s->xxh64[0] == '\0'))
		rc = err_set(err, SP_EINVAL, "state %s: incomplete (delete it to start over)",
		    s->path);
	free(text);
	fclose(f);
	return rc;
}

static int
send_state_text(const struct send_run *r, struct buf *b)
{
	char path[PATH_MAX];
	int rc;

	snprintf(path, sizeof path, "%s", r->real);
	for (char *p = path; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = '?';
	rc = buf_appendf(b, SEND_STATE_MAGIC "\nfile %s\nsize %jd\nmtime %jd.%09ld\nto %s\n"
	    "recipients %s\nxxh64 %s\nparams %s\n", path, (intmax_t)r->st.st_size,
	    (intmax_t)r->st.st_mtim.tv_sec, r->st.st_mtim.tv_nsec, r->o.to, r->s.recipients,
	    r->s.xxh64, r->s.params_b64);
	if (rc == 0 && r->s.url)
		rc = buf_appendf(b, "url %s\n", r->s.url);
	if (rc == 0 && r->s.done)
		rc = buf_appends(b, "done\n");
	return rc;
}

/* Writes the state under a temporary name, fsyncs, renames into place. */
static int
send_state_write(const struct send_run *r, struct err *err)
{
	struct buf b = BUF_INIT(SEND_STATE_MAX);
	char tmp[PATH_MAX + 32];
	int fd, rc = 0;

	if (send_state_text(r, &b) != 0) {
		buf_release(&b);
		return err_set(err, SP_ENOMEM, "state %s: out of memory", r->s.path);
	}
	snprintf(tmp, sizeof tmp, "%s.%ld.tmp", r->s.path, (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		rc = err_errno(err, SP_EIO, errno, "state %s", tmp);
	else if (write(fd, b.data, b.len) != (ssize_t)b.len || fsync(fd) != 0)
		rc = err_errno(err, SP_EIO, errno, "state %s: write", tmp);
	if (fd >= 0 && close(fd) != 0 && rc == 0)
		rc = err_errno(err, SP_EIO, errno, "state %s: close", tmp);
	if (rc == 0 && rename(tmp, r->s.path) != 0)
		rc = err_errno(err, SP_EIO, errno, "state %s: rename", r->s.path);
	if (rc != 0 && fd >= 0)
		unlink(tmp);
	buf_release(&b);
	return rc;
}

static void
send_state_clear(struct send_state *s)
{
	free(s->params_b64);
	free(s->url);
	s->params_b64 = s->url = NULL;
	s->done = 0;
	s->xxh64[0] = '\0';
}

/* ---- params: made, sealed, opened ---- */

static int
send_seal_params(struct send_run *r, struct err *err)
{
	uint8_t *packed = NULL, *sealed = NULL;
	size_t plen = 0, slen = 0, cap;
	int rc = age_params_pack(&r->params, &packed, &plen, err);

	if (rc == 0)
		rc = sealed_seal(r->key, packed, plen, &sealed, &slen, err);
	sealed_free(packed, plen);
	if (rc != 0)
		return rc;
	cap = sodium_base64_ENCODED_LEN(slen, sodium_base64_VARIANT_ORIGINAL);
	if ((r->s.params_b64 = malloc(cap)) == NULL)
		rc = err_set(err, SP_ENOMEM, "out of memory");
	else
		sodium_bin2base64(r->s.params_b64, cap, sealed, slen, sodium_base64_VARIANT_ORIGINAL);
	free(sealed);
	return rc;
}

static int
send_open_params(struct send_run *r, struct err *err)
{
	size_t b64len = strlen(r->s.params_b64), slen = 0, plen = 0;
	uint8_t *sealed = malloc(b64len + 1), *packed = NULL;
	int rc = 0;

	if (sealed == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	if (sodium_base642bin(sealed, b64len, r->s.params_b64, b64len, NULL, &slen, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0)
		rc = err_set(err, SP_EINVAL, "state %s: bad params", r->s.path);
	if (rc == 0)
		rc = sealed_open(r->key, sealed, slen, &packed, &plen, err);
	if (rc == 0 && (rc = age_params_unpack(&r->params, packed, plen, err)) == 0)
		r->have_params = 1;
	if (rc != 0)
		err_prefix(err, "state %s (delete it to start over): ", r->s.path);
	sealed_free(packed, plen);
	free(sealed);
	return rc;
}

/* The plaintext's xxh64 (given, or hashed now), and new params: the first run for this file. */
static int
send_new_state(struct send_run *r, struct err *err)
{
	struct hash_result h;
	struct stat st;
	int rc;

	if (r->o.xxh64[0] != '\0') {
		snprintf(r->s.xxh64, sizeof r->s.xxh64, "%s", r->o.xxh64);
	} else {
		if ((rc = hash_fd(r->fd, r->o.file, HASH_BIT(HASH_XXH64), &h, err)) != 0)
			return rc;
		if (fstat(r->fd, &st) != 0 || st.st_size != r->st.st_size ||
		    st.st_mtim.tv_sec != r->st.st_mtim.tv_sec ||
		    st.st_mtim.tv_nsec != r->st.st_mtim.tv_nsec)
			return err_set(err, SP_ECONFLICT, "%s changed while it was read", r->o.file);
		snprintf(r->s.xxh64, sizeof r->s.xxh64, "%s", h.v[HASH_XXH64].str);
	}
	if ((rc = age_params_init(&r->params, NULL, r->o.rcpt, r->o.n_rcpt, err)) != 0)
		return rc;
	r->have_params = 1;
	if ((rc = send_seal_params(r, err)) != 0)
		return rc;
	return send_state_write(r, err);
}

/* An upload for other recipients, or announcing another xxh64, cannot be resumed: drop it
 * (and its server copy). */
static void
send_drop_old(struct send_run *r, const char *why)
{
	struct err e = { 0 };

	printf("note: the saved upload %s; starting a new one\n", why);
	if (r->s.url != NULL)
		(void)tus_terminate(r->s.url, r->o.headers, r->o.n_headers, &e);
	send_state_clear(&r->s);
}

static int
send_load_state(struct send_run *r, struct err *err)
{
	char want[sizeof r->s.recipients];
	int rc;

	send_recipients_text(&r->o, want, sizeof want);
	if ((rc = send_state_path(r, err)) != 0)
		return rc;
	rc = send_state_read(&r->s, err);
	if (rc == 0 && strcmp(r->s.recipients, want) != 0) {
		send_drop_old(r, "was encrypted to other recipients");
		rc = 1;
	} else if (rc == 0 && r->o.xxh64[0] != '\0' && strcmp(r->s.xxh64, r->o.xxh64) != 0) {
		send_drop_old(r, "announced another xxh64");
		rc = 1;
	}
	snprintf(r->s.recipients, sizeof r->s.recipients, "%s", want);
	if (rc == 0)
		return send_open_params(r, err);
	if (rc != 1)
		return rc;
	return send_new_state(r, err);
}

/* ---- the upload ---- */

static int
send_on_created(void *arg, const char *url, const char *why, struct err *err)
{
	struct send_run *r = arg;

	if (why != NULL)
		printf("note: %s; starting a new upload\n", why);
	free(r->s.url);
	if ((r->s.url = strdup(url)) == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	r->s.done = 0;
	printf("upload %s\n", url);
	fflush(stdout);
	return send_state_write(r, err);
}

static void
send_human(double v, char *out, size_t cap)
{
	const char *u[] = { "B", "KB", "MB", "GB", "TB" };
	size_t i = 0;

	while (v >= 1000 && i < 4)
		v /= 1000, i++;
	snprintf(out, cap, i ? "%.1f %s" : "%.0f %s", v, u[i]);
}

static void
send_bar(const struct tus_progress *p)
{
	char done[32], total[32], rate[32], bar[31];
	double f = p->length ? (double)p->offset / (double)p->length : 1;
	int fill = (int)(f * 30);

	for (int i = 0; i < 30; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[30] = '\0';
	send_human((double)p->offset, done, sizeof done);
	send_human((double)p->length, total, sizeof total);
	send_human(p->rate, rate, sizeof rate);
	if (p->wait_ms > 0)
		fprintf(stderr, "\r\033[K[%s] %5.1f%%  retry %u in %u s: %.60s", bar, f * 100,
		    p->failures, (p->wait_ms + 999) / 1000, p->note ? p->note : "");
	else if (p->eta >= 0)
		fprintf(stderr, "\r\033[K[%s] %5.1f%%  %s / %s  %s/s  %d:%02d left", bar, f * 100,
		    done, total, rate, (int)(p->eta / 60), (int)p->eta % 60);
	else
		fprintf(stderr, "\r\033[K[%s] %5.1f%%  %s / %s", bar, f * 100, done, total);
}

static int
send_on_progress(void *arg, const struct tus_progress *p)
{
	struct send_run *r = arg;

	if (r->tty)
		send_bar(p);
	return cli_stop != 0;
}

/* filename, clip, size, xxh64, encryption, then the --meta pairs (which may override the
 * first two). Strings point into r and into the name buffers. */
static int
send_meta(struct send_run *r, struct tus_meta *m, char *names, size_t cap, size_t *n,
    struct err *err)
{
	const char *slash = strrchr(r->o.file, '/'), *base = slash ? slash + 1 : r->o.file;
	char *size = names, *clip = names + 32, *dot;
	size_t k = 0;

	snprintf(size, 32, "%jd", (intmax_t)r->st.st_size);
	snprintf(clip, cap - 32, "%s", base);
	if ((dot = strrchr(clip, '.')) != NULL && dot != clip)
		*dot = '\0';
	m[k++] = (struct tus_meta){ "filename", base };
	m[k++] = (struct tus_meta){ "clip", clip };
	m[k++] = (struct tus_meta){ "size", size };
	m[k++] = (struct tus_meta){ "xxh64", r->s.xxh64 };
	m[k++] = (struct tus_meta){ "encryption", "age" };
	for (size_t i = 0; i < r->o.n_meta; i++) {
		char *eq = strchr(r->o.meta[i], '=');
		size_t j;
		*eq = '\0';     /* argv strings are writable */
		for (j = 0; j < k && strcmp(m[j].key, r->o.meta[i]) != 0; j++)
			;
		if (j >= 2 && j < 5)
			return err_set(err, SP_EINVAL, "--meta %s: set by setpost", r->o.meta[i]);
		m[j] = (struct tus_meta){ r->o.meta[i], eq + 1 };
		if (j == k)
			k++;
	}
	*n = k;
	return 0;
}

static void
send_opts_fill(struct send_run *r, struct tus_opts *t, const struct tus_meta *m, size_t nm)
{
	memset(t, 0, sizeof *t);
	t->endpoint = r->o.to;
	t->headers = r->o.headers;
	t->n_headers = r->o.n_headers;
	t->meta = m;
	t->n_meta = nm;
	t->chunk_size = (size_t)r->o.chunk;
	t->max_send_rate = r->o.rate;
	t->retry.max_attempts = r->o.retries >= 0 ? (unsigned)r->o.retries + 1 : 0;
	t->resume_url = r->s.url;
	t->on_created = send_on_created;
	t->created_arg = r;
	t->on_progress = send_on_progress;
	t->progress_arg = r;
}

static void
send_report(const struct tus_result *res)
{
	printf("complete %s\n", res->url);
	printf("sent %" PRIu64 " of %" PRIu64 " bytes (resumed at %" PRIu64 ") in %.2f s, "
	    "%.1f MB/s, %u retries%s%s%s\n", res->sent, res->length, res->resumed_at, res->seconds,
	    res->seconds > 0 ? (double)res->sent / res->seconds / 1e6 : 0.0, res->retries,
	    res->checksum ? ", " : "", res->checksum ? res->checksum : "",
	    res->checksum ? " checksums" : "");
}

/* The file must be the one the upload announced: same size and mtime at the end. */
static int
send_check_unchanged(struct send_run *r, struct err *err)
{
	struct stat st;

	if (fstat(r->fd, &st) != 0 || st.st_size != r->st.st_size ||
	    st.st_mtim.tv_sec != r->st.st_mtim.tv_sec || st.st_mtim.tv_nsec != r->st.st_mtim.tv_nsec)
		return err_set(err, SP_ECONFLICT, "%s changed while it was sent; the upload is "
		    "not a copy of it", r->o.file);
	return 0;
}

/* The file is not what the upload announced: delete the upload at the server (it must never
 * complete as good) and forget the state, so no later run resumes it. */
static void
send_abandon(struct send_run *r, const char *url)
{
	struct err e = { 0 };

	if (url != NULL && tus_terminate(url, r->o.headers, r->o.n_headers, &e) == 0)
		printf("deleted %s\n", url);
	fflush(stdout);
	if (r->s.path[0] != '\0')
		unlink(r->s.path);
}

static int
send_upload(struct send_run *r, struct err *err)
{
	struct tus_meta meta[SEND_MAX_LIST + 5];
	char names[32 + PATH_MAX];
	struct age_source src;
	struct tus_source ts;
	struct tus_opts t;
	struct tus_result res = { 0 };
	size_t nm = 0;
	int rc = send_meta(r, meta, names, sizeof names, &nm, err);

	if (rc != 0 || (rc = age_source_init(&src, r->fd, (uint64_t)r->st.st_size, &r->params,
	    err)) != 0)
		return rc;
	/* Always checked in the stream: the xxh64 announced may be one given, not hashed here. */
	if ((rc = age_source_expect_xxh64(&src, r->s.xxh64, r->o.file, err)) != 0) {
		age_source_release(&src);
		return rc;
	}
	age_source_tus(&src, &ts);
	send_opts_fill(r, &t, meta, nm);
	if (r->s.url != NULL)
		printf("resume %s\n", r->s.url);
	fflush(stdout);
	cli_signals();
	rc = tus_upload(&t, &ts, &res, err);
	if (r->tty)
		fputs("\r\033[K", stderr);
	if (rc == 0)
		rc = age_source_verify(&src, err);
	if (rc == SP_EMISMATCH)
		send_abandon(r, res.url);
	if (rc == 0)
		rc = send_check_unchanged(r, err);
	if (rc == 0) {
		r->s.done = 1;
		rc = send_state_write(r, err);
	}
	if (rc == 0)
		send_report(&res);
	else if (rc == SP_ECANCELED)
		err_set(err, rc, "interrupted; run the same command again to resume");
	tus_result_release(&res);
	age_source_release(&src);
	return rc;
}

static int
send_open_file(struct send_run *r, struct err *err)
{
	char keys[PATH_MAX], sends[PATH_MAX];

	if ((r->fd = open(r->o.file, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return err_errno(err, err_from_errno(errno), errno, "%s", r->o.file);
	if (fstat(r->fd, &r->st) != 0)
		return err_errno(err, SP_EIO, errno, "%s", r->o.file);
	if (!S_ISREG(r->st.st_mode))
		return err_set(err, SP_EINVAL, "%s: not a regular file", r->o.file);
	if (realpath(r->o.file, r->real) == NULL)
		return err_errno(err, SP_EIO, errno, "%s", r->o.file);
	if (snprintf(keys, sizeof keys, "%s/keys", r->o.data) >= (int)sizeof keys ||
	    snprintf(sends, sizeof sends, "%s/send", r->o.data) >= (int)sizeof sends)
		return err_set(err, SP_EINVAL, "--data %s: path too long", r->o.data);
	if (sealed_key_load(keys, r->key, err) != 0)
		return err->code;
	if (mkdir(sends, 0700) != 0 && errno != EEXIST)
		return err_errno(err, SP_EIO, errno, "%s", sends);
	return 0;
}

int
cmd_send(int argc, char **argv)
{
	struct send_run *r = calloc(1, sizeof *r);
	struct err e = { 0 };
	int rc;

	if (r == NULL)
		return cli_fail("send", "out of memory");
	r->fd = -1;
	rc = send_parse(&r->o, argc, argv, &e);
	if (rc == 0 && r->o.help)
		fputs(send_usage, stdout);
	else if (rc == 0 && (rc = send_open_file(r, &e)) == 0 &&
	    (rc = send_load_state(r, &e)) == 0) {
		r->tty = isatty(STDERR_FILENO);
		rc = send_upload(r, &e);
	}
	if (rc != 0)
		fprintf(stderr, "setpost send: %s\n", e.msg);
	if (r->fd >= 0)
		close(r->fd);
	if (r->have_params)
		age_params_release(&r->params);
	send_state_clear(&r->s);
	sodium_memzero(r->key, sizeof r->key);
	free(r);
	return rc != 0;
}
