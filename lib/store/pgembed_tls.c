/* pgembed_tls: the certificates of the embedded cluster's TLS (see pgembed.h), made with
 * libcrypto (already linked for hashing): no openssl program needed on the cart, no key on a
 * command line or in a temporary file, and failures as struct err like the rest of pgembed. */
#include "lib/store/pgembed_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define TLS_CA_DAYS (20L * 365)
#define TLS_SERVER_DAYS 825L

static int
tls_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	if ((e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return -1;
	ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok ? 0 : -1;
}

/* A certificate for key named cn, signed by issuer (ca_key), or self-signed when issuer is
 * NULL (the CA); san: the server's subjectAltName. */
static X509 *
tls_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *ca_key, const char *san)
{
	X509 *x = X509_new();
	BIGNUM *serial = BN_new();
	int ok = x && serial && X509_set_version(x, 2) &&
	    BN_rand(serial, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) &&
	    BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x)) &&
	    X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
	    X509_gmtime_adj(X509_getm_notAfter(x), (issuer ? TLS_SERVER_DAYS : TLS_CA_DAYS) * 86400) &&
	    X509_set_pubkey(x, key) &&
	    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0) &&
	    X509_set_issuer_name(x, X509_get_subject_name(issuer ? issuer : x));

	if (ok && issuer == NULL)
		ok = tls_ext(x, x, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") == 0 &&
		    tls_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign") == 0 &&
		    tls_ext(x, x, NID_subject_key_identifier, "hash") == 0;
	else if (ok)
		ok = tls_ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE") == 0 &&
		    tls_ext(x, issuer, NID_key_usage, "critical,digitalSignature") == 0 &&
		    tls_ext(x, issuer, NID_ext_key_usage, "serverAuth") == 0 &&
		    tls_ext(x, issuer, NID_subject_alt_name, san) == 0 &&
		    tls_ext(x, issuer, NID_authority_key_identifier, "keyid:always") == 0;
	if (ok)
		ok = X509_sign(x, issuer ? ca_key : key, EVP_sha256()) > 0;
	BN_free(serial);
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* Writes a PEM file through a temporary name: key (mode 0600) or cert (0644), owned by u. */
static int
tls_write(const char *path, EVP_PKEY *key, X509 *cert, const struct proc_user *u,
    struct err *err)
{
	char tmp[PATH_MAX + 16];
	FILE *f;
	int fd, ok;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, key ? 0600 : 0644)) < 0)
		return err_errno(err, SP_EIO, errno, "create %s", tmp);
	if (u && u->set && fchown(fd, u->uid, u->gid) < 0) {
		close(fd);
		unlink(tmp);
		return err_errno(err, SP_EIO, errno, "chown %s", tmp);
	}
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		unlink(tmp);
		return err_errno(err, SP_EIO, errno, "write %s", tmp);
	}
	ok = key ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) :
	    PEM_write_X509(f, cert);
	if (fclose(f) != 0 || !ok || rename(tmp, path) < 0) {
		unlink(tmp);
		return err_errno(err, SP_EIO, errno ? errno : EIO, "write %s", path);
	}
	return 0;
}

/* DATA/pg-ca.key and pg-ca.crt: read, or made when neither exists. */
static int
tls_ca(const struct pgembed_listen *l, EVP_PKEY **key, X509 **cert, struct err *err)
{
	char kp[PATH_MAX + 16], cp[PATH_MAX + 16];
	FILE *f;
	int rc;

	snprintf(kp, sizeof(kp), "%s/pg-ca.key", l->data);
	snprintf(cp, sizeof(cp), "%s/pg-ca.crt", l->data);
	if (access(kp, F_OK) == 0 || access(cp, F_OK) == 0) {
		if ((f = fopen(kp, "r")) != NULL) {
			*key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
			fclose(f);
		}
		if ((f = fopen(cp, "r")) != NULL) {
			*cert = PEM_read_X509(f, NULL, NULL, NULL);
			fclose(f);
		}
		if (*key == NULL || *cert == NULL || X509_check_private_key(*cert, *key) != 1)
			return err_set(err, SP_EINVAL, "%s and %s: not a CA key and its certificate "
			    "(delete both to have new ones made, then give the workers the new %s)", kp,
			    cp, cp);
		return 0;
	}
	if ((*key = EVP_EC_gen("P-256")) == NULL ||
	    (*cert = tls_cert(*key, "setpost embedded database CA", NULL, NULL, NULL)) == NULL)
		return err_set(err, SP_EINTERNAL, "embedded database: making its TLS CA failed");
	if ((rc = tls_write(kp, *key, NULL, NULL, err)) < 0 ||
	    (rc = tls_write(cp, NULL, *cert, NULL, err)) < 0)
		return rc;
	return 0;
}

int
pgembed_tls_make(const struct pgembed *pg, const struct proc_user *u,
    const struct pgembed_listen *l, struct err *err)
{
	EVP_PKEY *ca_key = NULL, *key = NULL;
	X509 *ca = NULL, *cert = NULL;
	unsigned char ip[16];
	char san[600], host[HOST_NAME_MAX + 1] = "", path[PATH_MAX + 32];
	int rc;

	/* The name workers check (sslmode=verify-full): the address listened on; for a wildcard,
	 * this machine's host name. */
	if (strcmp(l->host, "0.0.0.0") == 0 || strcmp(l->host, "::") == 0 ||
	    strcmp(l->host, "*") == 0) {
		if (gethostname(host, sizeof(host) - 1) < 0 || host[0] == '\0')
			snprintf(host, sizeof(host), "localhost");
		snprintf(san, sizeof(san), "DNS:%.250s", host);
	} else if (inet_pton(AF_INET, l->host, ip) == 1 || inet_pton(AF_INET6, l->host, ip) == 1) {
		snprintf(san, sizeof(san), "IP:%.250s", l->host);
	} else {
		snprintf(san, sizeof(san), "DNS:%.250s", l->host);
	}
	if ((rc = tls_ca(l, &ca_key, &ca, err)) < 0)
		goto out;
	/* The server's key and certificate are made anew at every start: the address may have
	 * changed; the CA the workers hold stays. */
	if ((key = EVP_EC_gen("P-256")) == NULL ||
	    (cert = tls_cert(key, san + (san[0] == 'I' ? 3 : 4), ca, ca_key, san)) == NULL) {
		rc = err_set(err, SP_EINTERNAL, "embedded database: making its TLS certificate failed");
		goto out;
	}
	snprintf(path, sizeof(path), "%s/server.key", pg->pgdata);
	if ((rc = tls_write(path, key, NULL, u, err)) < 0)
		goto out;
	snprintf(path, sizeof(path), "%s/server.crt", pg->pgdata);
	rc = tls_write(path, NULL, cert, u, err);
out:
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(key);
	X509_free(ca);
	X509_free(cert);
	return rc;
}
