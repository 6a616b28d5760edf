/*
 * tus: the tus 1.0 receiver (see tus.c). Routes in server/routes.c:
 *   OPTIONS /api/v1/uploads/          tus_options
 *   POST    /api/v1/uploads/          tus_create_chunk + tus_create_end (streamed body)
 *   HEAD    /api/v1/uploads/{id}      tus_head_route
 *   PATCH   /api/v1/uploads/{id}      tus_patch_chunk + tus_patch_end (streamed body)
 *   DELETE  /api/v1/uploads/{id}      tus_delete_route
 *   GET     /api/v1/uploads/{id}/receipt  tus_receipt
 */
#ifndef SETPOST_TUS_H
#define SETPOST_TUS_H

#include "http.h"

#include <openssl/evp.h>

enum MHD_Result tus_options(struct request *req);
void tus_create_chunk(struct request *req, const char *data, size_t len);
enum MHD_Result tus_create_end(struct request *req);
void tus_patch_chunk(struct request *req, const char *data, size_t len);
enum MHD_Result tus_patch_end(struct request *req);
enum MHD_Result tus_head_route(struct request *req);
enum MHD_Result tus_delete_route(struct request *req);
enum MHD_Result tus_receipt(struct request *req);

/* Between tus.c and tus_verify.c. */

/* <uploads>/<id><suffix> into out ("" when it does not fit). */
void tus_path(const struct server *srv, const char *id, const char *suffix, char *out,
    size_t len);

/* Starts checking a complete upload on a detached thread; its verdict goes to the database. */
void tus_verify_start(struct server *srv, const char *id);

/* The parsers of the tus headers (pure functions, fuzzed by tests/fuzz/fuzz_tus.c). */

/* Upload-Metadata "key base64,key base64" into a new JSON object of key -> decoded text (a key
 * without a value gives ""). SP_EINVAL for a repeated or empty key, bad base64, a value that
 * is not UTF-8. */
int tus_metadata_parse(const char *header, json_t **out, struct err *err);

/* Upload-Length, Upload-Offset: decimal digits only, within long long. False for anything
 * else (NULL included); *count is set only on success. */
bool tus_count_parse(const char *h, long long *count);

/* Upload-Checksum "ALGO BASE64-DIGEST": *md is sha1 or md5, or NULL for xxh3 (8 bytes, XXH3
 * 64-bit big-endian); the digest goes to want and its length to *want_len. SP_EUNSUPPORTED
 * for another algorithm, SP_EINVAL for a digest that is not base64 of the algorithm's size. */
int tus_checksum_parse(const char *h, const EVP_MD **md, unsigned char want[EVP_MAX_MD_SIZE],
    unsigned *want_len);

#endif
