/* editorial: the routes a cutting room uses (downloads.c, dailies.c, exports.c). */
#ifndef SETPOST_EDITORIAL_H
#define SETPOST_EDITORIAL_H

#include "http.h"

enum MHD_Result renditions_file_get(struct request *req);
enum MHD_Result files_content_get(struct request *req);
enum MHD_Result dailies_list(struct request *req);
enum MHD_Result days_ale_get(struct request *req);
enum MHD_Result cards_ale_get(struct request *req);
enum MHD_Result days_ales_get(struct request *req);
enum MHD_Result days_cubes_get(struct request *req);
enum MHD_Result days_otio_get(struct request *req);
enum MHD_Result days_ccc_get(struct request *req);
enum MHD_Result clips_cc_get(struct request *req);

#endif
