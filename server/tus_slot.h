/*
 * tus_slot: one writer per upload in the tus receiver. A link that drops without a FIN (Wi-Fi,
 * cellular) leaves the server's request waiting for bytes until its connection times out, while
 * the client resumes on a new connection. So a new PATCH takes the upload over (as tusd does):
 * the older request's claim is revoked, and it never writes or commits again. A slot's mutex
 * orders the older request's writes and commit against the takeover.
 */
#ifndef SETPOST_TUS_SLOT_H
#define SETPOST_TUS_SLOT_H

#include <stdbool.h>

#define TUS_SLOTS 64    /* uploads written at once */

/* A request's claim on an upload; lives in the request until tus_slot_give. */
struct tus_claim {
	int slot;
	bool revoked;   /* a newer request took the upload over (read under the slot's mutex) */
};

/* Claims upload id, revoking the claim of any request holding it. False when TUS_SLOTS other
 * uploads are being written. */
bool tus_slot_take(const char *id, struct tus_claim *cl);

/* Gives the slot back, unless a newer claim holds it. */
void tus_slot_give(struct tus_claim *cl);

/* Locks the claim's slot for a write or a commit; false (and unlocked) once revoked. Pair a
 * true answer with tus_slot_own_end. */
bool tus_slot_own(struct tus_claim *cl);
void tus_slot_own_end(struct tus_claim *cl);

#endif
