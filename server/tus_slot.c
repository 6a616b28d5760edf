/* tus_slot: one writer per upload, the newest request winning (see tus_slot.h). */
#include "tus_slot.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

struct tus_slot {
	pthread_mutex_t m;
	char id[33];
	struct tus_claim *owner;
};

static pthread_mutex_t tus_slot_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tus_slot tus_slots[TUS_SLOTS] = {
	[0 ... TUS_SLOTS - 1] = { .m = PTHREAD_MUTEX_INITIALIZER }
};

bool
tus_slot_take(const char *id, struct tus_claim *cl)
{
	int slot = -1;

	pthread_mutex_lock(&tus_slot_lock);
	for (int i = 0; i < TUS_SLOTS; i++) {
		if (strcmp(tus_slots[i].id, id) == 0) {
			slot = i;
			break;
		}
		if (tus_slots[i].id[0] == '\0' && slot < 0)
			slot = i;
	}
	if (slot >= 0) {
		struct tus_slot *t = &tus_slots[slot];
		pthread_mutex_lock(&t->m);
		if (t->owner)
			t->owner->revoked = true;
		snprintf(t->id, sizeof(t->id), "%s", id);
		t->owner = cl;
		cl->slot = slot;
		cl->revoked = false;
		pthread_mutex_unlock(&t->m);
	}
	pthread_mutex_unlock(&tus_slot_lock);
	return slot >= 0;
}

void
tus_slot_give(struct tus_claim *cl)
{
	struct tus_slot *t = &tus_slots[cl->slot];

	pthread_mutex_lock(&tus_slot_lock);
	pthread_mutex_lock(&t->m);
	if (t->owner == cl) {
		t->owner = NULL;
		t->id[0] = '\0';
	}
	pthread_mutex_unlock(&t->m);
	pthread_mutex_unlock(&tus_slot_lock);
}

bool
tus_slot_own(struct tus_claim *cl)
{
	pthread_mutex_lock(&tus_slots[cl->slot].m);
	if (!cl->revoked)
		return true;
	pthread_mutex_unlock(&tus_slots[cl->slot].m);
	return false;
}

void
tus_slot_own_end(struct tus_claim *cl)
{
	pthread_mutex_unlock(&tus_slots[cl->slot].m);
}
