/* verify_register: `setpost verify --register URL`: what a check of a copy found, sent to the
 * server (POST /api/v1/verifications), which records it and says whether the card is still
 * safe to format. */
#ifndef SETPOST_VERIFY_REGISTER_H
#define SETPOST_VERIFY_REGISTER_H

#include "offload_register.h"
#include "lib/custody/mhl.h"

#include <stdio.h>
#include <time.h>

/* dir: the folder checked; h and rep: its history and the check; generation_of: the generation
 * a file's check was written in (its own history's, nested ones included; 0: none); checked:
 * when. Prints the server's verdict per card on out. */
int verify_register(const char *dir, const struct mhl_history *h, const struct mhl_report *rep,
    int (*generation_of)(const void *arg, const char *path), const void *arg, time_t checked,
    const struct offload_register_opts *o, FILE *out, struct err *err);

#endif
