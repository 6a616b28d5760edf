/* sealed: secrets on disk under a local server key, with crypto_secretbox (see sealed.h). */
#include "lib/delivery/sealed.h"
#include "lib/core/file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

static int
sealed_read_key(int fd, const char *path, uint8_t key[SEALED_KEY_LEN], struct err *err)
{
	struct stat st;
	ssize_t got;

	if (fstat(fd, &st) != 0)
		return err_errno(err, SP_EIO, errno, "key file %s: stat", path);
	if (!S_ISREG(st.st_mode) || st.st_size != SEALED_KEY_LEN)
		return err_set(err, SP_EINVAL, "key file %s: not a %d-byte file", path,
		    SEALED_KEY_LEN);
	if ((st.st_mode & 077) != 0)
		return err_set(err, SP_EINVAL, "key file %s: mode %04o is open to other users "
		    "(chmod 600 it)", path, (unsigned)(st.st_mode & 07777));
	got = pread(fd, key, SEALED_KEY_LEN, 0);
	if (got != SEALED_KEY_LEN) {
		sodium_memzero(key, SEALED_KEY_LEN);
		return err_errno(err, SP_EIO, got < 0 ? errno : EIO, "key file %s: read", path);
	}
	return 0;
}

/* Writes a new key under a temporary name and links it into place; EEXIST means another
 * process won the race, which is fine: the caller then reads that one. */
static int
sealed_create_key(const char *path, struct err *err)
{
	char tmp[PATH_MAX];
	uint8_t key[SEALED_KEY_LEN];
	int fd, rc = 0;

	if (snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid()) >= (int)sizeof tmp)
		return err_set(err, SP_EINVAL, "key file %s: path too long", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return err_errno(err, SP_EIO, errno, "key file %s: create", tmp);
	randombytes_buf(key, sizeof key);
	if (write(fd, key, sizeof key) != (ssize_t)sizeof key || fsync(fd) != 0)
		rc = err_errno(err, SP_EIO, errno, "key file %s: write", tmp);
	sodium_memzero(key, sizeof key);
	if (close(fd) != 0 && rc == 0)
		rc = err_errno(err, SP_EIO, errno, "key file %s: close", tmp);
	if (rc == 0 && link(tmp, path) != 0 && errno != EEXIST)
		rc = err_errno(err, SP_EIO, errno, "key file %s: link", path);
	unlink(tmp);
	return rc;
}

int
sealed_key_load(const char *dir, uint8_t key[SEALED_KEY_LEN], struct err *err)
{
	char path[PATH_MAX];
	int fd, rc;

	if (sodium_init() < 0)
		return err_set(err, SP_EINTERNAL, "libsodium failed to initialise");
	if ((rc = file_mkdirs(dir, 0700, err)) != 0)
		return rc;
	if (snprintf(path, sizeof path, "%s/%s", dir, SEALED_KEY_FILE) >= (int)sizeof path)
		return err_set(err, SP_EINVAL, "key folder '%s': path too long", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT) {
		if ((rc = sealed_create_key(path, err)) != 0)
			return rc;
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	}
	if (fd < 0)
		return err_errno(err, SP_EIO, errno, "key file %s: open", path);
	rc = sealed_read_key(fd, path, key, err);
	close(fd);
	return rc;
}

int
sealed_seal(const uint8_t key[SEALED_KEY_LEN], const uint8_t *pt, size_t len, uint8_t **out,
    size_t *outlen, struct err *err)
{
	uint8_t *b;

	*out = NULL;
	*outlen = 0;
	if (len > SEALED_MAX)
		return err_set(err, SP_ETOOBIG, "sealed: %zu bytes is over the %u-byte limit", len,
		    SEALED_MAX);
	if ((b = malloc(len + SEALED_OVERHEAD)) == NULL)
		return err_set(err, SP_ENOMEM, "sealed: out of memory");
	randombytes_buf(b, SEALED_NONCE_LEN);
	crypto_secretbox_easy(b + SEALED_NONCE_LEN, pt, len, b, key);
	*out = b;
	*outlen = len + SEALED_OVERHEAD;
	return 0;
}

int
sealed_open(const uint8_t key[SEALED_KEY_LEN], const uint8_t *blob, size_t len, uint8_t **out,
    size_t *outlen, struct err *err)
{
	uint8_t *p;
	size_t n;

	*out = NULL;
	*outlen = 0;
	if (len < SEALED_OVERHEAD)
		return err_set(err, SP_ECRYPTO, "sealed: blob of %zu bytes is too short", len);
	if ((n = len - SEALED_OVERHEAD) > SEALED_MAX)
		return err_set(err, SP_ETOOBIG, "sealed: blob of %zu bytes is over the limit", len);
	/* +1: malloc(0) may return NULL, and an empty secret is allowed. */
	if ((p = malloc(n + 1)) == NULL)
		return err_set(err, SP_ENOMEM, "sealed: out of memory");
	if (crypto_secretbox_open_easy(p, blob + SEALED_NONCE_LEN, len - SEALED_NONCE_LEN, blob,
	    key) != 0) {
		sealed_free(p, n);
		return err_set(err, SP_ECRYPTO, "sealed: cannot open (wrong server key, or the "
		    "data was altered)");
	}
	*out = p;
	*outlen = n;
	return 0;
}

void
sealed_free(uint8_t *p, size_t len)
{
	if (p == NULL)
		return;
	sodium_memzero(p, len);
	free(p);
}
