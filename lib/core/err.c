/* err: error codes, messages and their HTTP mapping (see err.h). */
#include "lib/core/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
	int code;
	const char *name;
	int http;
} err_table[] = {
	{ SP_OK, "ok", 200 },
	{ SP_EINVAL, "invalid", 400 },
	{ SP_ENOTFOUND, "not_found", 404 },
	{ SP_ECONFLICT, "conflict", 409 },
	{ SP_EIO, "io_error", 500 },
	{ SP_EDB, "database_error", 500 },
	{ SP_ENOMEM, "out_of_memory", 500 },
	{ SP_ECRYPTO, "crypto_error", 400 },
	{ SP_EUNAVAIL, "unavailable", 503 },
	{ SP_EAUTH, "unauthorized", 401 },
	{ SP_EFORBIDDEN, "forbidden", 403 },
	{ SP_ETOOBIG, "too_large", 413 },
	{ SP_EMISMATCH, "hash_mismatch", 422 },
	{ SP_ENOSPACE, "no_space", 507 },
	{ SP_ECANCELED, "canceled", 409 },
	{ SP_EINTERNAL, "internal", 500 },
	{ SP_EUNSUPPORTED, "unsupported", 415 },
};

static size_t
err_index(int code)
{
	for (size_t i = 0; i < sizeof(err_table) / sizeof(err_table[0]); i++)
		if (err_table[i].code == code)
			return i;
	return sizeof(err_table) / sizeof(err_table[0]) - 2; /* SP_EINTERNAL */
}

int
err_set(struct err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

int
err_errno(struct err *err, int code, int errnum, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (err == NULL)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	n = strlen(err->msg);
	snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", strerror(errnum));
	return code;
}

int
err_prefix(struct err *err, const char *fmt, ...)
{
	char head[256];
	size_t hl, ml;
	va_list ap;
	int n;

	if (err == NULL)
		return SP_EINTERNAL;
	va_start(ap, fmt);
	n = vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	hl = n < 0 ? 0 : (size_t)n >= sizeof(head) ? sizeof(head) - 1 : (size_t)n;
	ml = strnlen(err->msg, sizeof(err->msg) - 1);
	if (hl + ml > sizeof(err->msg) - 1)
		ml = sizeof(err->msg) - 1 - hl;
	memmove(err->msg + hl, err->msg, ml);
	memcpy(err->msg, head, hl);
	err->msg[hl + ml] = '\0';
	return err->code;
}

void
err_clear(struct err *err)
{
	if (err == NULL)
		return;
	err->code = 0;
	err->msg[0] = '\0';
}

const char *
err_code_name(int code)
{
	return err_table[err_index(code)].name;
}

int
err_http_status(int code)
{
	return err_table[err_index(code)].http;
}

int
err_from_errno(int errnum)
{
	switch (errnum) {
	case ENOENT: return SP_ENOTFOUND;
	case ENOSPC: case EDQUOT: return SP_ENOSPACE;
	case EACCES: case EPERM: case EROFS: return SP_EFORBIDDEN;
	case ENOMEM: return SP_ENOMEM;
	case EEXIST: return SP_ECONFLICT;
	case EINVAL: return SP_EINVAL;
	default: return SP_EIO;
	}
}
