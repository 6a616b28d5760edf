/* age_key: age keys and the file system: X25519 identities and recipients (generate, parse,
 * format), key and identity files, outputs written under a temporary name, and the _fd and
 * _path helpers that run the streaming encryptor and decryptor over files (see age.h). */
#include "lib/delivery/age_int.h"
#include "lib/core/bech32.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#define AGE_SECRET_HRP "AGE-SECRET-KEY-"
#define AGE_PUBLIC_HRP "age"
#define AGE_KEYFILE_MAX (1024 * 1024)
#define AGE_IO_BUF (64 * 1024)

/* ---- keys ---- */

int
age_identity_generate(struct age_identity *id, struct err *err)
{
	int rc = age_sodium_ready(err);

	if (rc != 0)
		return rc;
	randombytes_buf(id->secret, sizeof id->secret);
	crypto_scalarmult_base(id->pub, id->secret);
	return 0;
}

/* Decodes a bech32 key of exactly 32 bytes under hrp (compared case-sensitively). */
static int
age_key_decode(uint8_t key[32], const char *s, const char *hrp_want, const char *what,
    struct err *err)
{
	char hrp[32];
	uint8_t data[64];
	size_t n = 0;
	int rc = bech32_decode(s, hrp, sizeof hrp, data, sizeof data, &n, err);

	if (rc == 0 && strcmp(hrp, hrp_want) != 0)
		rc = err_set(err, SP_EINVAL, "not an %s (expected %s1...)", what, hrp_want);
	else if (rc == 0 && n != 32)
		rc = err_set(err, SP_EINVAL, "%s: %zu bytes instead of 32", what, n);
	else if (rc == SP_ETOOBIG)
		rc = err_set(err, SP_EINVAL, "not an %s (too long)", what);
	else if (rc != 0)
		err_prefix(err, "%s: ", what);
	if (rc == 0)
		memcpy(key, data, 32);
	sodium_memzero(data, sizeof data);
	return rc;
}

int
age_identity_parse(struct age_identity *id, const char *s, struct err *err)
{
	int rc = age_sodium_ready(err);

	if (rc == 0)
		rc = age_key_decode(id->secret, s, AGE_SECRET_HRP, "age secret key", err);
	if (rc == 0)
		crypto_scalarmult_base(id->pub, id->secret);
	return rc;
}

int
age_recipient_parse(struct age_recipient *r, const char *s, struct err *err)
{
	return age_key_decode(r->pub, s, AGE_PUBLIC_HRP, "age recipient", err);
}

void
age_identity_format(const struct age_identity *id, char out[AGE_IDENTITY_STR_LEN + 1])
{
	bech32_encode(out, AGE_IDENTITY_STR_LEN + 1, AGE_SECRET_HRP, id->secret, 32, NULL);
}

void
age_recipient_format(const struct age_recipient *r, char out[AGE_RECIPIENT_STR_LEN + 1])
{
	bech32_encode(out, AGE_RECIPIENT_STR_LEN + 1, AGE_PUBLIC_HRP, r->pub, 32, NULL);
}

void
age_identity_recipient(const struct age_identity *id, struct age_recipient *r)
{
	memcpy(r->pub, id->pub, sizeof r->pub);
}

/* ---- key files ---- */

struct age_keylines {
	const char *text;
	size_t len, pos, lineno;
};

/*
 * Copies the next line that is neither blank nor a "#" comment into buf, without its LF or
 * CRLF (age reads with Go's line scanner, which drops a CR). Returns 1, 0 at the end, or
 * SP_EINVAL for a line that cannot be a key.
 */
static int
age_keyline_next(struct age_keylines *k, char *buf, size_t cap, struct err *err)
{
	while (k->pos < k->len) {
		const char *s = k->text + k->pos;
		const char *lf = memchr(s, '\n', k->len - k->pos);
		size_t n = lf ? (size_t)(lf - s) : k->len - k->pos;

		k->pos += n + (lf != NULL);
		k->lineno++;
		if (n > 0 && s[n - 1] == '\r')
			n--;
		if (n == 0 || s[0] == '#')
			continue;
		if (n >= cap)
			return err_set(err, SP_EINVAL, "line %zu: too long for a key", k->lineno);
		memcpy(buf, s, n);
		buf[n] = '\0';
		return 1;
	}
	return 0;
}

typedef int (*age_keyparse_fn)(void *dst, const char *s, struct err *err);

static int
age_parse_identity_cb(void *dst, const char *s, struct err *err)
{
	return age_identity_parse(dst, s, err);
}

static int
age_parse_recipient_cb(void *dst, const char *s, struct err *err)
{
	return age_recipient_parse(dst, s, err);
}

/* Parses every key line of text into a new array of elements of size `size`. */
static int
age_keys_parse(const char *text, size_t len, size_t size, age_keyparse_fn parse,
    void **out, size_t *count, struct err *err)
{
	struct age_keylines k = { text, len, 0, 0 };
	size_t max = 1, n = 0;
	uint8_t *arr;
	char line[128];
	int rc;

	for (size_t i = 0; i < len; i++)
		max += text[i] == '\n';
	if ((arr = calloc(max, size)) == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	while ((rc = age_keyline_next(&k, line, sizeof line, err)) == 1) {
		if ((rc = parse(arr + n * size, line, err)) != 0) {
			err_prefix(err, "line %zu: ", k.lineno);
			break;
		}
		n++;
	}
	if (rc == 0 && n == 0)
		rc = err_set(err, SP_EINVAL, "no keys found");
	sodium_memzero(line, sizeof line);
	if (rc != 0) {
		sodium_memzero(arr, max * size);
		free(arr);
		return rc;
	}
	*out = arr;
	*count = n;
	return 0;
}

int
age_identities_parse(const char *text, size_t len, struct age_identity **ids, size_t *n,
    struct err *err)
{
	void *arr = NULL;
	int rc;

	*ids = NULL;
	*n = 0;
	if (len >= AGE_VERSION_LEN - 1 && memcmp(text, AGE_VERSION_LINE, AGE_VERSION_LEN - 1) == 0)
		return err_set(err, SP_EUNSUPPORTED, "encrypted identity files are not supported");
	rc = age_keys_parse(text, len, sizeof **ids, age_parse_identity_cb, &arr, n, err);
	*ids = arr;
	return rc;
}

int
age_recipients_parse(const char *text, size_t len, struct age_recipient **r, size_t *n,
    struct err *err)
{
	void *arr = NULL;
	int rc;

	*n = 0;
	rc = age_keys_parse(text, len, sizeof **r, age_parse_recipient_cb, &arr, n, err);
	*r = arr;
	return rc;
}

void
age_identities_free(struct age_identity *ids, size_t n)
{
	if (ids == NULL)
		return;
	sodium_memzero(ids, n * sizeof *ids);
	free(ids);
}

static int
age_read_some(int fd, void *buf, size_t cap, size_t *got, struct err *err)
{
	ssize_t n;

	do
		n = read(fd, buf, cap);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return err_errno(err, err_from_errno(errno), errno, "read");
	*got = (size_t)n;
	return 0;
}

/* Reads a small file whole (it need not be regular: "-R <(...)" is a pipe). */
static int
age_read_fd_all(int fd, char **out, size_t *len, struct err *err)
{
	size_t cap = 0, n = 0, got = 1;
	char *buf = NULL;
	int rc = 0;

	while (rc == 0 && got > 0) {
		if (n == cap && cap == AGE_KEYFILE_MAX)
			rc = err_set(err, SP_ETOOBIG, "larger than %d bytes", AGE_KEYFILE_MAX);
		else if (n == cap) {
			cap = cap ? cap * 4 : 4096;     /* 4 KiB .. 1 MiB in four steps */
			rc = age_grow(&buf, n, cap, err);
		}
		if (rc == 0 && (rc = age_read_some(fd, buf + n, cap - n, &got, err)) == 0)
			n += got;
	}
	if (rc != 0 && buf != NULL) {
		sodium_memzero(buf, n);
		free(buf);
		buf = NULL;
	}
	*out = buf;
	*len = n;
	return rc;
}

static int
age_read_file(const char *path, char **out, size_t *len, struct err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return err_errno(err, err_from_errno(errno), errno, "%s", path);
	rc = age_read_fd_all(fd, out, len, err);
	close(fd);
	if (rc != 0)
		err_prefix(err, "%s: ", path);
	return rc;
}

int
age_identities_load(const char *path, struct age_identity **ids, size_t *n, struct err *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc = age_read_file(path, &text, &len, err);

	if (rc != 0)
		return rc;
	if ((rc = age_identities_parse(text, len, ids, n, err)) != 0)
		err_prefix(err, "identity file %s: ", path);
	sodium_memzero(text, len);
	free(text);
	return rc;
}

int
age_recipients_load(const char *path, struct age_recipient **r, size_t *n, struct err *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc = age_read_file(path, &text, &len, err);

	if (rc != 0)
		return rc;
	if ((rc = age_recipients_parse(text, len, r, n, err)) != 0)
		err_prefix(err, "recipients file %s: ", path);
	free(text);
	return rc;
}

/* RFC 3339 in local time as Go's time.RFC3339 prints it ("Z" for a zero offset). */
static void
age_rfc3339(char *out, size_t cap, time_t t)
{
	struct tm tm;
	long off, a;
	size_t n;

	localtime_r(&t, &tm);
	n = strftime(out, cap, "%Y-%m-%dT%H:%M:%S", &tm);
	off = tm.tm_gmtoff;
	a = off < 0 ? -off : off;
	if (off == 0)
		snprintf(out + n, cap - n, "Z");
	else
		snprintf(out + n, cap - n, "%c%02ld:%02ld", off < 0 ? '-' : '+', a / 3600,
		    a % 3600 / 60);
}

size_t
age_identity_file_format(const struct age_identity *id, time_t now,
    char out[AGE_IDENTITY_FILE_MAX])
{
	char when[48], pub[AGE_RECIPIENT_STR_LEN + 1], sec[AGE_IDENTITY_STR_LEN + 1];
	struct age_recipient r;
	int n;

	age_rfc3339(when, sizeof when, now);
	age_identity_recipient(id, &r);
	age_recipient_format(&r, pub);
	age_identity_format(id, sec);
	n = snprintf(out, AGE_IDENTITY_FILE_MAX, "# created: %s\n# public key: %s\n%s\n", when,
	    pub, sec);
	sodium_memzero(sec, sizeof sec);
	return n < 0 ? 0 : (size_t)n;
}

/* ---- output files written under a temporary name ---- */

struct age_out {
	int fd;
	const char *path;
	char *tmp;
	int replace;
};

static int
age_out_open(struct age_out *o, const char *path, mode_t mode, int replace, struct err *err)
{
	const char *slash = strrchr(path, '/');
	size_t dir = slash ? (size_t)(slash - path) + 1 : 0, cap = strlen(path) + 16;
	int e;

	struct stat st;

	o->fd = -1;
	o->path = path;
	o->replace = replace;
	o->tmp = NULL;
	if (!replace && access(path, F_OK) == 0)
		return err_set(err, SP_ECONFLICT, "%s: already exists", path);
	/* Anything but a plain regular file (a device, a FIFO, a symbolic link such as the null
	 * device or the standard output's link in /dev) is opened and written as the age tool
	 * does: renaming a file over it would replace the device or the link with a file. */
	if (replace && lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		if ((o->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)) >= 0)
			return 0;
		return err_errno(err, err_from_errno(errno), errno, "%s", path);
	}
	if ((o->tmp = malloc(cap)) == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	snprintf(o->tmp, cap, "%.*s.%s.XXXXXX", (int)dir, path, path + dir);
	if ((o->fd = mkostemp(o->tmp, O_CLOEXEC)) >= 0 && fchmod(o->fd, mode) == 0)
		return 0;
	e = errno;
	if (o->fd >= 0) {
		close(o->fd);
		unlink(o->tmp);
		o->fd = -1;
	}
	free(o->tmp);
	o->tmp = NULL;
	return err_errno(err, err_from_errno(e), e, "%s: cannot create a temporary file", path);
}

/* Renames into place without replacing: link() fails with EEXIST where rename would not. */
static int
age_out_place(struct age_out *o, struct err *err)
{
	if (o->replace && rename(o->tmp, o->path) != 0)
		return err_errno(err, err_from_errno(errno), errno, "%s: rename", o->path);
	if (!o->replace && link(o->tmp, o->path) != 0)
		return err_errno(err, err_from_errno(errno), errno, "%s", o->path);
	if (!o->replace)
		unlink(o->tmp);
	return 0;
}

/* Commits (rc == 0) or discards the output; returns the final code. */
static int
age_out_finish(struct age_out *o, int rc, struct err *err)
{
	if (rc == 0 && o->tmp != NULL && fsync(o->fd) != 0)
		rc = err_errno(err, err_from_errno(errno), errno, "%s: fsync", o->path);
	if (o->fd >= 0 && close(o->fd) != 0 && rc == 0)
		rc = err_errno(err, err_from_errno(errno), errno, "%s: close", o->path);
	o->fd = -1;
	if (rc == 0 && o->tmp != NULL)
		rc = age_out_place(o, err);
	if (rc != 0 && o->tmp != NULL)
		unlink(o->tmp);
	free(o->tmp);
	o->tmp = NULL;
	return rc;
}

static int
age_write_all(int fd, const uint8_t *buf, size_t len, struct err *err)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return err_errno(err, err_from_errno(errno), errno, "write output");
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

int
age_identity_write_path(const char *path, const struct age_identity *id, time_t now,
    struct err *err)
{
	char text[AGE_IDENTITY_FILE_MAX];
	struct age_out o = { .fd = -1 };
	size_t n = age_identity_file_format(id, now, text);
	int rc = age_out_open(&o, path, 0600, 0, err);

	if (rc == 0)
		rc = age_write_all(o.fd, (const uint8_t *)text, n, err);
	if (o.tmp != NULL)
		rc = age_out_finish(&o, rc, err);
	sodium_memzero(text, sizeof text);
	return rc;
}

/* ---- file helpers ---- */

static int
age_fd_sink(void *arg, const uint8_t *buf, size_t len, struct err *err)
{
	return age_write_all(*(const int *)arg, buf, len, err);
}

int
age_encrypt_fd(int in_fd, int out_fd, const struct age_recipient *r, size_t n,
    struct err *err)
{
	struct age_enc enc = { 0 };
	uint8_t *buf = malloc(AGE_IO_BUF);
	size_t got = 0;
	int rc;

	rc = buf ? age_enc_init(&enc, NULL, r, n, err) : err_set(err, SP_ENOMEM, "out of memory");
	while (rc == 0 && (rc = age_read_some(in_fd, buf, AGE_IO_BUF, &got, err)) == 0 && got > 0)
		rc = age_enc_update(&enc, buf, got, age_fd_sink, &out_fd, err);
	if (rc == 0)
		rc = age_enc_final(&enc, age_fd_sink, &out_fd, err);
	age_enc_release(&enc);
	free(buf);
	return rc;
}

int
age_decrypt_fd(int in_fd, int out_fd, const struct age_identity *ids, size_t n,
    struct err *err)
{
	struct age_dec dec = { 0 };
	uint8_t *buf = malloc(AGE_IO_BUF);
	size_t got = 0;
	int rc;

	rc = buf ? age_dec_init(&dec, ids, n, err) : err_set(err, SP_ENOMEM, "out of memory");
	while (rc == 0 && (rc = age_read_some(in_fd, buf, AGE_IO_BUF, &got, err)) == 0 && got > 0)
		rc = age_dec_update(&dec, buf, got, age_fd_sink, &out_fd, err);
	if (rc == 0)
		rc = age_dec_final(&dec, age_fd_sink, &out_fd, err);
	age_dec_release(&dec);
	free(buf);
	return rc;
}

struct age_io {
	int in, out;
	struct age_out file;
};

static int
age_io_open(struct age_io *io, const char *in_path, const char *out_path, mode_t mode,
    struct err *err)
{
	int rc;

	memset(io, 0, sizeof *io);
	io->in = STDIN_FILENO;
	io->out = STDOUT_FILENO;
	io->file.fd = -1;
	if (in_path != NULL && (io->in = open(in_path, O_RDONLY | O_CLOEXEC)) < 0)
		return err_errno(err, err_from_errno(errno), errno, "%s", in_path);
	if (out_path == NULL)
		return 0;
	if ((rc = age_out_open(&io->file, out_path, mode, 1, err)) != 0) {
		if (io->in != STDIN_FILENO)
			close(io->in);
		return rc;
	}
	io->out = io->file.fd;
	return 0;
}

static int
age_io_close(struct age_io *io, const char *in_path, int rc, struct err *err)
{
	if (rc != 0 && in_path != NULL)
		err_prefix(err, "%s: ", in_path);
	if (io->in != STDIN_FILENO)
		close(io->in);
	if (io->file.tmp != NULL)
		rc = age_out_finish(&io->file, rc, err);
	return rc;
}

int
age_encrypt_path(const char *in_path, const char *out_path, mode_t mode,
    const struct age_recipient *r, size_t n, struct err *err)
{
	struct age_io io;
	int rc = age_io_open(&io, in_path, out_path, mode, err);

	if (rc != 0)
		return rc;
	rc = age_encrypt_fd(io.in, io.out, r, n, err);
	return age_io_close(&io, in_path, rc, err);
}

int
age_decrypt_path(const char *in_path, const char *out_path, mode_t mode,
    const struct age_identity *ids, size_t n, struct err *err)
{
	struct age_io io;
	int rc = age_io_open(&io, in_path, out_path, mode, err);

	if (rc != 0)
		return rc;
	rc = age_decrypt_fd(io.in, io.out, ids, n, err);
	return age_io_close(&io, in_path, rc, err);
}
