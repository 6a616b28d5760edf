/*
 * hash: one pass over a stream of bytes, computing any set of the ASC MHL hash
 * algorithms at once (xxh64, xxh3, xxh128, md5, sha1, c4).
 *
 * A set of algorithms is a bit mask (HASH_BIT(HASH_XXH64) | ...). Each digest is
 * returned twice: as raw bytes (what MHL directory hashes are built from) and as
 * the string an MHL manifest holds: lower-case hex of the big-endian canonical
 * form (the same text as `xxhsum -H1/-H2/-H3`, md5sum, sha1sum), or for c4 the
 * SMPTE ST 2114 id (SHA-512 in base58, "c4" + 88 characters).
 *
 * Ownership: struct hash_ctx is caller-owned storage; hash_init allocates the
 * library states inside it and hash_release frees them (safe after a failed
 * init, safe twice). struct hash_result and struct hash_value are plain values.
 * Nothing here keeps global state, so contexts may be used from any thread
 * (one context per thread at a time).
 */
#ifndef SETPOST_HASH_H
#define SETPOST_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "lib/core/err.h"

/* The order is the one manifests list hash elements in (the XSD's order). */
enum hash_algo {
	HASH_C4,
	HASH_MD5,
	HASH_SHA1,
	HASH_XXH128,
	HASH_XXH3,
	HASH_XXH64,
	HASH_NALGOS
};

#define HASH_BIT(a) (1u << (a))
#define HASH_ALL ((1u << HASH_NALGOS) - 1)

#define HASH_RAW_MAX 64 /* sha-512 behind c4 */
#define HASH_STR_MAX 91 /* c4: "c4" + 88 base58 digits + NUL */

struct hash_value {
	unsigned char raw[HASH_RAW_MAX];
	size_t rawlen;
	char str[HASH_STR_MAX];
};

struct hash_result {
	unsigned algos;                     /* which v[] are filled */
	uint64_t nbytes;                    /* bytes hashed */
	struct hash_value v[HASH_NALGOS];   /* indexed by enum hash_algo */
};

struct XXH64_state_s;
struct XXH3_state_s;
struct evp_md_ctx_st;

struct hash_ctx {
	unsigned algos;
	uint64_t nbytes;
	int failed;                         /* a library call failed in update */
	struct XXH64_state_s *xxh64;
	struct XXH3_state_s *xxh3;
	struct XXH3_state_s *xxh128;
	struct evp_md_ctx_st *md5, *sha1, *sha512;
};

/* Returns the algorithm named ("xxh64", case-sensitive, as in manifests), or
 * SP_EUNSUPPORTED (negative) for any other name. */
int hash_algo_from_name(const char *name);

/* "xxh64", ...; "?" for an out-of-range value. */
const char *hash_algo_name(enum hash_algo algo);

/* Raw digest length in bytes (8, 16, 20, 64), 0 for an out-of-range value. */
size_t hash_algo_rawlen(enum hash_algo algo);

/* Parses a comma-separated list ("xxh64,md5") into *algos. Fails with
 * SP_EINVAL naming the first unknown name, or for an empty list. */
int hash_algos_parse(const char *list, unsigned *algos, struct err *err);

/* Starts hashing with every algorithm in algos (at least one). On failure the
 * context holds nothing that needs hash_release, though calling it is fine. */
int hash_init(struct hash_ctx *ctx, unsigned algos, struct err *err);

/* Feeds len bytes to every algorithm of the context. A library failure is
 * remembered and reported by hash_final. */
void hash_update(struct hash_ctx *ctx, const void *buf, size_t len);

/* Fills *res with every digest. The context must not be updated afterwards;
 * it still needs hash_release. */
int hash_final(struct hash_ctx *ctx, struct hash_result *res, struct err *err);

/* Frees the library states; leaves the context zeroed. */
void hash_release(struct hash_ctx *ctx);

/* Hashes a memory buffer in one call. */
int hash_buf(const void *buf, size_t len, unsigned algos, struct hash_result *res,
	     struct err *err);

/* Hashes everything readable from fd (from its current offset to end of file),
 * with a large read buffer; name is only used in error messages. */
int hash_fd(int fd, const char *name, unsigned algos, struct hash_result *res,
	    struct err *err);

/* Opens path read-only and hashes the whole file. res->nbytes is its size as read. */
int hash_file(const char *path, unsigned algos, struct hash_result *res, struct err *err);

/* Sets *out from a digest string as found in a manifest: hex (either case, stored
 * lower-case) of the right length, or a c4 id. SP_EINVAL if malformed. */
int hash_value_parse(enum hash_algo algo, const char *str, struct hash_value *out,
		     struct err *err);

/* Sets *out from raw digest bytes (rawlen must be hash_algo_rawlen(algo)). */
void hash_value_from_raw(enum hash_algo algo, const unsigned char *raw,
			 struct hash_value *out);

#endif
