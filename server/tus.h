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

enum MHD_Result tus_options(struct request *req);
void tus_create_chunk(struct request *req, const char *data, size_t len);
enum MHD_Result tus_create_end(struct request *req);
void tus_patch_chunk(struct request *req, const char *data, size_t len);
enum MHD_Result tus_patch_end(struct request *req);
enum MHD_Result tus_head_route(struct request *req);
enum MHD_Result tus_delete_route(struct request *req);
enum MHD_Result tus_receipt(struct request *req);

#endif
