/* pgembed_listen: the embedded cluster on TCP, TLS and a password (see pgembed.h). */
#include "lib/store/pgembed_int.h"
#include "lib/core/config.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
pgembed_listen_parse(struct pgembed_listen *l, const char *listen, struct err *err)
{
	memset(l, 0, sizeof(*l));
	l->port = PGEMBED_PORT;
	if (listen == NULL || *listen == '\0')
		return 0;
	if (config_split_listen(listen, l->host, sizeof(l->host), &l->port, err) < 0)
		return err_prefix(err, "--db-listen: ");
	if (l->port < 1 || l->port > 65535 || l->host[0] == '\0' || strchr(l->host, '\''))
		return err_set(err, SP_EINVAL, "--db-listen %s: expected ADDR:PORT with a port from 1 "
		    "to 65535 (the workers on other hosts need to know it)", listen);
	return 0;
}

int
pgembed_listen_conf(const struct pgembed *pg, const struct proc_user *u,
    const struct pgembed_listen *l, FILE *f, struct err *err)
{
	char path[PATH_MAX + 32];
	FILE *h;
	int rc;

	snprintf(path, sizeof(path), "%s/setpost_hba.conf", pg->pgdata);
	if ((h = fopen(path, "w")) == NULL)
		return err_errno(err, SP_EIO, errno, "write %s", path);
	/* The socket's folder is 0700: only the cluster's user and root reach it. Over TCP, TLS
	 * and a password, and only for the setpost role; TCP without TLS is rejected. */
	fputs("# written by setpost at every start\n"
	    "local all all trust\n"
	    "hostnossl all all 0.0.0.0/0 reject\n"
	    "hostnossl all all ::/0 reject\n"
	    "hostssl all setpost 0.0.0.0/0 scram-sha-256\n"
	    "hostssl all setpost ::/0 scram-sha-256\n", h);
	if (fclose(h) != 0)
		return err_errno(err, SP_EIO, errno, "write %s", path);
	fprintf(f, "hba_file = '%s'\nport = %d\nlisten_addresses = '%s'\n"
	    "password_encryption = 'scram-sha-256'\n", path, l->port, l->host);
	if (l->host[0] == '\0')
		return 0;
	if ((rc = pgembed_tls_make(pg, u, l, err)) < 0)
		return rc;
	fprintf(f, "ssl = on\nssl_cert_file = '%s/server.crt'\nssl_key_file = '%s/server.key'\n"
	    "ssl_min_protocol_version = 'TLSv1.2'\n", pg->pgdata, pg->pgdata);
	return 0;
}

int
pgembed_listen_running(const struct pgembed *pg, struct pgembed_listen *l, struct err *err)
{
	char path[PATH_MAX + 32], line[512];
	FILE *f;
	int n = 0;

	memset(l, 0, sizeof(*l));
	snprintf(path, sizeof(path), "%s/postmaster.pid", pg->pgdata);
	if ((f = fopen(path, "r")) == NULL)
		return err_errno(err, SP_EUNAVAIL, errno, "embedded database: %s", path);
	/* Lines: pid, data folder, start time, port, socket folder, first listening address. */
	while (fgets(line, sizeof(line), f) != NULL && ++n <= 6) {
		line[strcspn(line, "\n")] = '\0';
		if (n == 4)
			l->port = (int)strtol(line, NULL, 10);
		else if (n == 6)
			snprintf(l->host, sizeof(l->host), "%.*s", (int)sizeof(l->host) - 1, line);
	}
	fclose(f);
	if (l->port <= 0)
		return err_set(err, SP_EUNAVAIL, "embedded database: no port in %s", path);
	return 0;
}

/* Reads the password file, or makes it (32 random bytes, URL-safe base64) when absent. */
static int
pgembed_password_file(const char *path, char *pw, size_t len, struct err *err)
{
	unsigned char raw[32];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		n = read(fd, pw, len - 1);
		close(fd);
		if (n < 0)
			return err_errno(err, SP_EIO, errno, "read %s", path);
		pw[n] = '\0';
		pw[strcspn(pw, "\r\n")] = '\0';
		if (strlen(pw) < 16)
			return err_set(err, SP_EINVAL, "%s: a password of 16 characters or more expected "
			    "(delete the file to have a new one made)", path);
		return 0;
	}
	if (errno != ENOENT)
		return err_errno(err, SP_EIO, errno, "open %s", path);
	if (sodium_init() < 0)
		return err_set(err, SP_EIO, "libsodium did not initialise");
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(pw, len, raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		return err_errno(err, SP_EIO, errno, "create %s", path);
	n = write(fd, pw, strlen(pw));
	if (n < 0 || (size_t)n != strlen(pw) || write(fd, "\n", 1) != 1 || close(fd) != 0) {
		unlink(path);
		return err_errno(err, SP_EIO, errno, "write %s", path);
	}
	return 0;
}

int
pgembed_listen_password(struct pgembed *pg, const char *data_real, PGconn *c,
    struct err *err)
{
	char pw[128], *verifier, *lit, sql[1024];
	PGresult *r;
	int rc;

	snprintf(pg->password_file, sizeof(pg->password_file), "%s/pg-password", data_real);
	if ((rc = pgembed_password_file(pg->password_file, pw, sizeof(pw), err)) < 0)
		return rc;
	verifier = PQencryptPasswordConn(c, pw, "setpost", "scram-sha-256");
	sodium_memzero(pw, sizeof(pw));
	if (verifier == NULL)
		return err_set(err, SP_EDB, "embedded database: password: %.*s",
		    (int)strcspn(PQerrorMessage(c), "\n"), PQerrorMessage(c));
	/* ALTER ROLE takes no parameters: the verifier (base64, '$', ':') is quoted by libpq. */
	lit = PQescapeLiteral(c, verifier, strlen(verifier));
	PQfreemem(verifier);
	if (lit == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	snprintf(sql, sizeof(sql), "ALTER ROLE setpost PASSWORD %s", lit);
	PQfreemem(lit);
	r = PQexec(c, sql);
	rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 :
	    err_set(err, SP_EDB, "embedded database: set password: %.*s",
	    (int)strcspn(PQerrorMessage(c), "\n"), PQerrorMessage(c));
	PQclear(r);
	return rc;
}
