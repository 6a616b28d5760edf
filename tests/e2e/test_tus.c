/* The tus 1.0 receiver: creation, PATCH in pieces, the status codes of the protocol, checksum,
 * termination, expiration, bytes kept when a connection breaks, and the receipt after the
 * receiver decrypted the upload with its age identity and checked size and xxh64. */
#include "harness.h"
#include "lib/delivery/age.h"
#include "lib/core/hash.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static struct harness_proc srv;
static const char *conninfo;
static char keyfile[600], recipient[128], authz[160], uploads[600];

static void
start(void)
{
	struct age_identity id;
	struct age_recipient r;
	struct err err;
	const char *dir = harness_tmpdir("tus");

	cr_assert_eq(sodium_init() >= 0, 1);
	conninfo = harness_db_create();
	cr_assert_not_null(conninfo);
	snprintf(keyfile, sizeof(keyfile), "%s/receiver.key", dir);
	snprintf(uploads, sizeof(uploads), "%s/uploads", dir);
	cr_assert_eq(age_identity_generate(&id, &err), 0);
	cr_assert_eq(age_identity_write_path(keyfile, &id, time(NULL), &err), 0, "%s", err.msg);
	age_identity_recipient(&id, &r);
	age_recipient_format(&r, recipient);
	cr_assert_eq(harness_serve_args(&srv, conninfo, NULL, (const char *[]){ "--age-identity",
	    keyfile, "--upload-expiry", "3", "--uploads", uploads, NULL }), 0, "log %s", srv.log);
	snprintf(authz, sizeof(authz), "Authorization: Bearer %s", harness_token(conninfo, "post"));
}

static void
stop(void)
{
	if (srv.pid)
		cr_expect_eq(harness_stop(&srv), 0, "log %s", srv.log);
}

TestSuite(tus, .init = start, .fini = stop, .timeout = 120);

static void
b64(const char *in, char *out, size_t len)
{
	sodium_bin2base64(out, len, (const unsigned char *)in, strlen(in), sodium_base64_VARIANT_ORIGINAL);
}

/* Creates an upload of length bytes; returns its path (static). */
static const char *
create(long long length, const char *meta, long *status)
{
	static char loc[256];
	char len[64], md[1200];
	struct harness_resp r;

	snprintf(len, sizeof(len), "Upload-Length: %lld", length);
	snprintf(md, sizeof(md), "Upload-Metadata: %s", meta ? meta : "filename dGVzdC5iaW4=");
	harness_http(&srv, "POST", "/api/v1/uploads/", NULL, (const char *[]){ authz,
	    "Tus-Resumable: 1.0.0", len, md, NULL }, &r);
	*status = r.status;
	loc[0] = '\0';
	harness_header(&r, "Location", loc, sizeof(loc));
	harness_resp_release(&r);
	return loc;
}

static long
patch(const char *loc, long long offset, const void *body, size_t n, const char *extra,
    char *new_offset)
{
	char off[64];
	struct harness_resp r;
	long s;

	snprintf(off, sizeof(off), "Upload-Offset: %lld", offset);
	harness_http_body(&srv, "PATCH", loc, body, n, (const char *[]){ authz, "Tus-Resumable: 1.0.0",
	    "Content-Type: application/offset+octet-stream", off, extra ? extra : "X-No: 1", NULL }, &r);
	s = r.status;
	if (new_offset && !harness_header(&r, "Upload-Offset", new_offset, 32))
		new_offset[0] = '\0';
	cr_expect(strstr(r.headers, "Tus-Resumable: 1.0.0"), "every answer says Tus-Resumable");
	harness_resp_release(&r);
	return s;
}

static long long
head_offset(const char *loc, long *status)
{
	struct harness_resp r;
	char off[32] = "-1";

	harness_http(&srv, "HEAD", loc, NULL, (const char *[]){ authz, "Tus-Resumable: 1.0.0", NULL }, &r);
	*status = r.status;
	harness_header(&r, "Upload-Offset", off, sizeof(off));
	cr_expect(*status != 200 || strstr(r.headers, "Cache-Control: no-store"), "HEAD is no-store");
	harness_resp_release(&r);
	return strtoll(off, NULL, 10);
}

Test(tus, options_advertise_the_extensions)
{
	struct harness_resp r;
	char v[200];

	harness_http(&srv, "OPTIONS", "/api/v1/uploads/", NULL, NULL, &r);
	cr_expect_eq(r.status, 204);
	cr_expect(harness_header(&r, "Tus-Version", v, sizeof(v)) && strcmp(v, "1.0.0") == 0);
	cr_expect(harness_header(&r, "Tus-Extension", v, sizeof(v)) && strstr(v, "creation") &&
	    strstr(v, "termination") && strstr(v, "checksum") && strstr(v, "expiration"), "%s", v);
	cr_expect(harness_header(&r, "Tus-Checksum-Algorithm", v, sizeof(v)) && strstr(v, "sha1"));
	harness_resp_release(&r);
}

Test(tus, protocol_codes)
{
	char off[32];
	long s;
	const char *loc = create(11, NULL, &s);
	struct harness_resp r;

	cr_assert_eq(s, 201);
	cr_assert(strncmp(loc, "/api/v1/uploads/", 16) == 0, "%s", loc);
	cr_expect_eq(patch(loc, 5, "hello", 5, NULL, NULL), 409, "offset mismatch");
	harness_http(&srv, "PATCH", loc, "hello", (const char *[]){ authz, "Tus-Resumable: 1.0.0",
	    "Content-Type: text/plain", "Upload-Offset: 0", NULL }, &r);
	cr_expect_eq(r.status, 415);
	harness_resp_release(&r);
	harness_http(&srv, "PATCH", loc, "hello", (const char *[]){ authz, "Tus-Resumable: 0.2.2",
	    "Content-Type: application/offset+octet-stream", "Upload-Offset: 0", NULL }, &r);
	cr_expect_eq(r.status, 412);
	cr_expect(strstr(r.headers, "Tus-Version: 1.0.0"));
	harness_resp_release(&r);
	cr_expect_eq(patch(loc, 0, "hello", 5, "Upload-Checksum: crc32 AAAA", NULL), 400);
	cr_expect_eq(patch(loc, 0, "hello", 5, "Upload-Checksum: sha1 Kq5sNclPz7QV2+lfQIuc6R7oRu0=", NULL),
	    460, "checksum of 'hello world', body 'hello'");
	cr_expect_eq(head_offset(loc, &s), 0, "a mismatched chunk is thrown away");
	cr_expect_eq(patch(loc, 0, "hello world", 11, "Upload-Checksum: sha1 Kq5sNclPz7QV2+lfQIuc6R7oRu0=",
	    off), 204, "the spec's own test vector");
	cr_expect_str_eq(off, "11");
	long past = patch(loc, 11, "!", 1, NULL, NULL);
	cr_expect_eq(past, 413, "past Upload-Length: %ld", past);
	loc = create(4, NULL, &s);
	cr_expect_eq(patch(loc, 0, "abcdef", 6, NULL, NULL), 413);
	cr_expect_eq(patch("/api/v1/uploads/00000000000000000000000000000000", 0, "a", 1, NULL, NULL), 404);
	create(-1, NULL, &s);
	cr_expect_eq(s, 400);
	create(1LL << 60, NULL, &s);
	cr_expect_eq(s, 413);
	create(1, "bad metadata!", &s);
	cr_expect_eq(s, 400);
	create(1, "a YQ==,a Yg==", &s);
	cr_expect_eq(s, 400, "keys are unique");
	harness_http(&srv, "POST", "/api/v1/uploads/", NULL, (const char *[]){ "Tus-Resumable: 1.0.0",
	    "Upload-Length: 1", NULL }, &r);
	cr_expect_eq(r.status, 401, "behind token authentication");
	harness_resp_release(&r);
}

Test(tus, terminate_and_expire)
{
	long s;
	char loc[256];
	struct harness_resp r;

	snprintf(loc, sizeof(loc), "%s", create(10, NULL, &s));
	harness_http(&srv, "DELETE", loc, NULL, (const char *[]){ authz, "Tus-Resumable: 1.0.0", NULL }, &r);
	cr_expect_eq(r.status, 204);
	harness_resp_release(&r);
	head_offset(loc, &s);
	cr_expect(s == 404 || s == 410, "%ld", s);
	snprintf(loc, sizeof(loc), "%s", create(10, NULL, &s));
	cr_expect_eq(patch(loc, 0, "12345", 5, NULL, NULL), 204);
	sleep(4);
	cr_expect_eq(patch(loc, 5, "67890", 5, NULL, NULL), 410, "expired after 3 s without a byte");
	head_offset(loc, &s);
	cr_expect_eq(s, 410);
}

/* Encrypts plain to the receiver's key; returns the ciphertext (caller frees). */
static uint8_t *
encrypt(const uint8_t *plain, size_t n, size_t *ct_len)
{
	struct age_recipient r;
	struct age_enc_params p;
	struct err err;
	uint64_t chunks, len;
	uint8_t *out;
	size_t o = 0;

	cr_assert_eq(age_recipient_parse(&r, recipient, &err), 0);
	cr_assert_eq(age_params_init(&p, NULL, &r, 1, &err), 0);
	len = age_ct_size(&p, n);
	out = malloc(len);
	memcpy(out, p.header, p.header_len);
	memcpy(out + p.header_len, p.nonce, 16);
	o = age_prefix_len(&p);
	chunks = n == 0 ? 1 : (n + 65535) / 65536;
	for (uint64_t i = 0; i < chunks; i++) {
		size_t pl = i + 1 == chunks ? n - i * 65536 : 65536;
		cr_assert_eq(age_enc_chunk(&p, i, plain + i * 65536, pl, i + 1 == chunks, out + o, &err), 0,
		    "%s", err.msg);
		o += pl + 16;
	}
	cr_assert_eq(o, len);
	age_params_release(&p);
	*ct_len = len;
	return out;
}

static const char *receipt_loc;
static char sent_loc[256];    /* the last upload of send_and_check */
static char receipt_body[4096];

static bool
receipt_done(void *arg)
{
	struct harness_resp r;
	char path[300];

	(void)arg;
	snprintf(path, sizeof(path), "%s/receipt", receipt_loc);
	harness_http(&srv, "GET", path, NULL, (const char *[]){ authz, NULL }, &r);
	snprintf(receipt_body, sizeof(receipt_body), "%s", r.body);
	harness_resp_release(&r);
	return strstr(receipt_body, "\"state\" : \"verif") && !strstr(receipt_body, "verifying");
}

static void
send_and_check(size_t n, bool lie, const char *want)
{
	uint8_t *plain = malloc(n + 1), *ct;
	size_t ct_len, sent = 0;
	struct hash_result h;
	struct err err;
	char meta[600], fn[64], sz[64], xx[64], szs[32], loc[256];
	long s;

	randombytes_buf(plain, n);
	cr_assert_eq(hash_buf(plain, n, HASH_BIT(HASH_XXH64), &h, &err), 0);
	ct = encrypt(plain, n, &ct_len);
	b64("clip A001C003.mov", fn, sizeof(fn));
	snprintf(szs, sizeof(szs), "%zu", lie ? n + 1 : n);
	b64(szs, sz, sizeof(sz));
	b64(h.v[HASH_XXH64].str, xx, sizeof(xx));
	snprintf(meta, sizeof(meta), "filename %s,size %s,xxh64 %s,clip QTAwMUMwMDM=", fn, sz, xx);
	snprintf(loc, sizeof(loc), "%s", create((long long)ct_len, meta, &s));
	cr_assert_eq(s, 201);
	while (sent < ct_len) {
		size_t piece = ct_len - sent < 100000 ? ct_len - sent : 100000;
		cr_assert_eq(patch(loc, (long long)sent, ct + sent, piece, NULL, NULL), 204);
		sent += piece;
	}
	receipt_loc = loc;
	snprintf(sent_loc, sizeof(sent_loc), "%s", loc);
	harness_wait_until(receipt_done, NULL, 20);
	cr_expect(strstr(receipt_body, want), "want %s: %s", want, receipt_body);
	free(plain);
	free(ct);
}

Test(tus, receipt_after_decrypting_and_checking)
{
	send_and_check(300000, false, "\"state\" : \"verified\"");
	{
		/* Verified: filed by name (no production/day/card given), its .part removed; a PATCH
		 * more is refused as past its length (or, empty, as complete), not a missing file. */
		char part[900], filed[900];
		struct stat st;
		snprintf(part, sizeof(part), "%s/%s.part", uploads, strrchr(sent_loc, '/') + 1);
		snprintf(filed, sizeof(filed), "%s/unfiled/unfiled/unfiled/clip A001C003.mov", uploads);
		cr_expect_neq(stat(part, &st), 0, "%s is kept", part);
		cr_expect(stat(filed, &st) == 0 && st.st_size == 300000, "%s", filed);
		cr_expect_eq(patch(sent_loc, 0, "x", 1, NULL, NULL), 413);
		cr_expect_eq(patch(sent_loc, 0, "", 0, NULL, NULL), 410);
	}
	send_and_check(65536, false, "\"state\" : \"verified\"");
	send_and_check(0, false, "\"state\" : \"verified\"");
	send_and_check(1000, true, "\"state\" : \"failed\"");
	cr_expect(strstr(receipt_body, "the sender said 1001"), "%s", receipt_body);
}

Test(tus, a_broken_connection_keeps_what_arrived)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)srv.port) };
	char head[600], body[50000];
	long s;
	const char *loc = create(100000, NULL, &s);
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s", loc);
	memset(body, 'x', sizeof(body));
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	snprintf(head, sizeof(head), "PATCH %s HTTP/1.1\r\nHost: x\r\n%s\r\nTus-Resumable: 1.0.0\r\n"
	    "Content-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\n"
	    "Content-Length: 100000\r\n\r\n", path, authz);
	cr_assert_gt(write(fd, head, strlen(head)), 0);
	cr_assert_eq(write(fd, body, sizeof(body)), (ssize_t)sizeof(body));
	usleep(300000);
	close(fd);
	usleep(500000);
	long long off = head_offset(path, &s);
	cr_expect_eq(s, 200);
	cr_expect(off > 0 && off <= 50000, "kept %lld of the 50000 bytes sent", off);
	cr_expect_eq(patch(path, off, body, (size_t)(100000 - off) > sizeof(body) ? sizeof(body) :
	    (size_t)(100000 - off), NULL, NULL), 204, "and goes on from there");
}

/* A machine crash can lose bytes the database had already counted: the file is then shorter
 * than the recorded offset. HEAD says the file's size, a PATCH at the old offset is refused,
 * and the upload goes on from the bytes really there (no hole). */
Test(tus, a_file_shorter_than_its_offset_resumes_from_its_bytes)
{
	char loc[256], path[900], body[30000];
	long s;

	snprintf(loc, sizeof(loc), "%s", create(60000, NULL, &s));
	cr_assert_eq(s, 201);
	memset(body, 'y', sizeof(body));
	cr_assert_eq(patch(loc, 0, body, sizeof(body), NULL, NULL), 204);
	snprintf(path, sizeof(path), "%s/%s.part", uploads, strrchr(loc, '/') + 1);
	cr_assert_eq(truncate(path, 20000), 0, "%s", path);
	cr_expect_eq(head_offset(loc, &s), 20000);
	cr_expect_eq(patch(loc, 30000, body, sizeof(body), NULL, NULL), 409);
	cr_expect_eq(patch(loc, 20000, body, sizeof(body), NULL, NULL), 204);
	cr_expect_eq(head_offset(loc, &s), 50000);
}
