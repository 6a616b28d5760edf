/*
 * fuzz: what the libFuzzer harnesses of tests/fuzz/ share. Each fuzz_<name>.c feeds one parser
 * the bytes libFuzzer gives it (no network, no database) and checks what the parser promises
 * besides not crashing: a refusal leaves nothing to free, an accepted input reads back the same
 * through the matching writer. A broken promise aborts through fuzz_check, which libFuzzer
 * reports as a crash with the input saved.
 */
#ifndef SETPOST_FUZZ_H
#define SETPOST_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A broken promise: the message, then abort (libFuzzer keeps the input as a crash). */
#define fuzz_check(cond, ...)                                                              \
	do {                                                                                \
		if (!(cond)) {                                                              \
			fprintf(stderr, "fuzz_check failed at %s:%d: %s: ", __FILE__, __LINE__, \
			    #cond);                                                         \
			fprintf(stderr, __VA_ARGS__);                                       \
			fputc('\n', stderr);                                                \
			abort();                                                            \
		}                                                                           \
	} while (0)

/* A new folder for a harness's files (template's XXXXXX replaced), in /dev/shm when there is
 * one: a disk's journal would make each run wait for it. */
static inline void
fuzz_tmpdir(char *out, size_t len, const char *name)
{
	struct stat st;

	snprintf(out, len, "%s/setpost-fuzz-%s.XXXXXX",
	    stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm" : "/tmp", name);
	if (mkdtemp(out) == NULL)
		abort();
}

/* The input as a NUL-terminated string (malloc'd; the caller frees it). Inputs holding a NUL
 * are cut there, as a C string parameter would be. */
static inline char *
fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Splits the input at the first '\n' into a NUL-terminated head (malloc'd) and the rest. */
static inline char *
fuzz_line(const uint8_t **data, size_t *size)
{
	const uint8_t *nl = memchr(*data, '\n', *size);
	size_t n = nl ? (size_t)(nl - *data) : *size;
	char *s = fuzz_cstr(*data, n);

	*data += nl ? n + 1 : n;
	*size -= nl ? n + 1 : n;
	return s;
}

#endif
