/* pwhash: the process's one gate around argon2id (see pwhash.h). */
#include "lib/store/pwhash.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_free = PTHREAD_COND_INITIALIZER;
static int gate_running, gate_started, gate_first_waiting;
static time_t gate_second;
static atomic_int argon_now, argon_peak;

static void
gate_new_second(void)
{
	if (time(NULL) != gate_second) {
		gate_second = time(NULL);
		gate_started = 0;
	}
}

bool
pwhash_enter(bool first)
{
	struct timespec until;
	bool ok = true;

	/* Only a first-class caller waits; on a loaded cart two argon2 checks can take seconds. */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 30;
	pthread_mutex_lock(&gate_lock);
	gate_new_second();
	if (!first && gate_started >= PWHASH_PER_SECOND)
		ok = false;
	gate_first_waiting += first;
	/* Anyone else finding the slots taken is told to retry at once, so logins never hold the
	 * server's HTTP threads waiting. */
	if (!first && (gate_running >= PWHASH_AT_ONCE || gate_first_waiting > 0))
		ok = false;
	while (ok && first && gate_running >= PWHASH_AT_ONCE)
		if (pthread_cond_timedwait(&gate_free, &gate_lock, &until) == ETIMEDOUT)
			ok = false;
	gate_first_waiting -= first;
	/* A check that waited for a slot may start in a later second: it counts in that second's
	 * budget, which it may find spent. */
	gate_new_second();
	if (ok && !first && gate_started >= PWHASH_PER_SECOND)
		ok = false;
	if (ok) {
		gate_running++;
		gate_started++;
	}
	pthread_mutex_unlock(&gate_lock);
	return ok;
}

void
pwhash_leave(void)
{
	pthread_mutex_lock(&gate_lock);
	gate_running--;
	pthread_cond_broadcast(&gate_free);
	pthread_mutex_unlock(&gate_lock);
}

static void
argon_begin(void)
{
	int now = atomic_fetch_add(&argon_now, 1) + 1, peak = atomic_load(&argon_peak);

	while (now > peak && !atomic_compare_exchange_weak(&argon_peak, &peak, now))
		;
}

int
pwhash_make_held(const char *password, char out[PWHASH_LEN], struct err *err)
{
	int rc;

	argon_begin();
	rc = crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE);
	atomic_fetch_sub(&argon_now, 1);
	return rc == 0 ? 0 : err_set(err, SP_ENOMEM, "password hashing ran out of memory");
}

int
pwhash_make(const char *password, char out[PWHASH_LEN], struct err *err)
{
	int rc;

	if (!pwhash_enter(true))
		return err_set(err, SP_EUNAVAIL, "too many password checks on this server: try again "
		    "in a few seconds");
	rc = pwhash_make_held(password, out, err);
	pwhash_leave();
	return rc;
}

bool
pwhash_verify_held(const char *hash, const char *password)
{
	bool ok;

	argon_begin();
	ok = crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
	atomic_fetch_sub(&argon_now, 1);
	return ok;
}

int
pwhash_peak(void)
{
	return atomic_load(&argon_peak);
}
