/*
 * age: files in the age v1 format (age-encryption.org/v1) for X25519 recipients, on libsodium.
 *
 * A file is a text header (version line, one "-> X25519" stanza per recipient wrapping a
 * 16-byte file key, "--- " + HMAC) followed by a 16-byte payload nonce and STREAM chunks of
 * 64 KiB plaintext + 16-byte tag; the last chunk carries a flag and may be short.
 *
 * API and ownership:
 *  - struct age_identity / age_recipient are plain values (no heap). Identities hold a secret:
 *    wipe them (sodium_memzero) when done; arrays from age_identities_* are freed, wiped,
 *    by age_identities_free(). Recipient arrays are freed with free().
 *  - struct age_enc_params (file key, payload nonce, header) makes the encryption
 *    deterministic: given the same params and plaintext, every chunk encrypts to the same
 *    bytes, so a later process can regenerate the ciphertext from any offset. The caller owns
 *    params from age_params_init/unpack/copy and ends them with age_params_release (wipes the
 *    key, frees the header). age_params_pack() output holds the file key in clear: seal it.
 *  - struct age_enc / age_dec are streaming objects: *_init, then *_update any number of times
 *    with output handed to a caller's sink callback, then *_final, then *_release (always,
 *    also after an error; release of a zeroed object is safe). Output buffers passed to the
 *    sink are lent for the call only. After an error, update/final keep returning it.
 *  - The decryptor passes the sink only plaintext of chunks that have authenticated; a
 *    truncated file still yields its good leading chunks before final() fails, so callers
 *    that must not expose partial output write to a temporary (age_decrypt_path does).
 *  - struct age_dec borrows the identities array: it must outlive the decryptor.
 * Errors: SP_EINVAL malformed input, SP_ECRYPTO authentication/truncation/no matching key,
 * SP_EUNSUPPORTED other age features (scrypt, armor, other versions), SP_EIO/SP_ENOMEM.
 * Messages never contain secret key material. Objects are not shared between threads.
 */
#ifndef SETPOST_AGE_H
#define SETPOST_AGE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "lib/core/err.h"

#define AGE_FILE_KEY_LEN 16
#define AGE_NONCE_LEN 16
#define AGE_CHUNK_SIZE 65536                    /* plaintext bytes per full chunk */
#define AGE_TAG_LEN 16
#define AGE_CT_CHUNK_SIZE (AGE_CHUNK_SIZE + AGE_TAG_LEN)
#define AGE_RECIPIENT_STR_LEN 62                /* strlen("age1...") */
#define AGE_IDENTITY_STR_LEN 74                 /* strlen("AGE-SECRET-KEY-1...") */
#define AGE_IDENTITY_FILE_MAX 256               /* age_identity_file_format() buffer */
#define AGE_HEADER_MAX (1024 * 1024)            /* larger headers are refused */

struct age_recipient {
	uint8_t pub[32];
};

struct age_identity {
	uint8_t secret[32];
	uint8_t pub[32];
};

/* Receives output; returns 0 or a negative SP_E* code (filling err), which aborts the call. */
typedef int (*age_sink_fn)(void *arg, const uint8_t *buf, size_t len, struct err *err);

/* ---- keys ---- */

/* Fills id with a new random X25519 identity. Returns 0 or SP_EINTERNAL (no libsodium). */
int age_identity_generate(struct age_identity *id, struct err *err);

/* Parses "AGE-SECRET-KEY-1..." (upper-case, as age writes it). Returns 0 or SP_EINVAL. */
int age_identity_parse(struct age_identity *id, const char *s, struct err *err);

/* Parses "age1..." (lower-case). Returns 0 or SP_EINVAL. */
int age_recipient_parse(struct age_recipient *r, const char *s, struct err *err);

void age_identity_format(const struct age_identity *id, char out[AGE_IDENTITY_STR_LEN + 1]);
void age_recipient_format(const struct age_recipient *r, char out[AGE_RECIPIENT_STR_LEN + 1]);
void age_identity_recipient(const struct age_identity *id, struct age_recipient *r);

/*
 * Parses age-keygen's identity file format: "#" comment lines and blank lines are skipped,
 * every other line must be an identity; at least one is required. On success *ids is a new
 * array of *n identities (free with age_identities_free). Returns 0, SP_EINVAL or
 * SP_EUNSUPPORTED (an encrypted identity file).
 */
int age_identities_parse(const char *text, size_t len, struct age_identity **ids, size_t *n,
    struct err *err);
/* Reads and parses the identity file at path; also SP_EIO, SP_ENOTFOUND, SP_ETOOBIG. */
int age_identities_load(const char *path, struct age_identity **ids, size_t *n,
    struct err *err);
void age_identities_free(struct age_identity *ids, size_t n);

/* The same for recipients files ("age1..." per line); *r is freed with free(). */
int age_recipients_parse(const char *text, size_t len, struct age_recipient **r, size_t *n,
    struct err *err);
int age_recipients_load(const char *path, struct age_recipient **r, size_t *n,
    struct err *err);

/* Writes age-keygen's file text ("# created: RFC3339", "# public key: age1...", secret
 * line) for id created at now into out. Returns its length. Wipe out after use. */
size_t age_identity_file_format(const struct age_identity *id, time_t now,
    char out[AGE_IDENTITY_FILE_MAX]);

/* Writes id's file to path, mode 0600, via a temporary name; refuses to replace an existing
 * file (SP_ECONFLICT), like age-keygen -o. */
int age_identity_write_path(const char *path, const struct age_identity *id, time_t now,
    struct err *err);

/* ---- deterministic encryption parameters ---- */

struct age_enc_params {
	uint8_t file_key[AGE_FILE_KEY_LEN];
	uint8_t nonce[AGE_NONCE_LEN];
	char *header;           /* "age-encryption.org/v1\n" ... "--- <mac>\n", not NUL-ended */
	size_t header_len;
};

/* Where a ciphertext offset falls: in the prefix (header + nonce) or in chunk `chunk`. */
struct age_ct_pos {
	int in_prefix;
	uint64_t chunk;         /* chunk index; its plaintext starts at chunk * AGE_CHUNK_SIZE */
	uint64_t offset;        /* offset inside the prefix or inside that ciphertext chunk */
};

/*
 * Makes params for n (>= 1) recipients: file_key (random if NULL), a random payload nonce,
 * and a header with fresh ephemeral keys and its MAC. Returns 0, SP_EINVAL, SP_ENOMEM.
 */
int age_params_init(struct age_enc_params *p, const uint8_t *file_key,
    const struct age_recipient *r, size_t n, struct err *err);
int age_params_copy(struct age_enc_params *dst, const struct age_enc_params *src,
    struct err *err);
void age_params_release(struct age_enc_params *p);

/* Serialises params into a new buffer *out (caller frees, after wiping: it holds the key). */
int age_params_pack(const struct age_enc_params *p, uint8_t **out, size_t *len,
    struct err *err);
/* Rebuilds params from age_params_pack output; checks the header MAC against the key. */
int age_params_unpack(struct age_enc_params *p, const uint8_t *buf, size_t len,
    struct err *err);

/* Bytes before the first chunk: header + payload nonce. */
uint64_t age_prefix_len(const struct age_enc_params *p);
/* Total ciphertext size for pt_size bytes of plaintext. */
uint64_t age_ct_size(const struct age_enc_params *p, uint64_t pt_size);
/* Maps a ciphertext offset to a position (offsets at or past the end map past the chunks). */
void age_ct_locate(const struct age_enc_params *p, uint64_t ct_off, struct age_ct_pos *pos);

/*
 * Encrypts chunk `idx` (plaintext pt[0..len), len + 16 bytes to out) independently of the
 * others. Non-last chunks must be exactly AGE_CHUNK_SIZE; the last may be shorter, and empty
 * only when it is chunk 0. Returns 0 or SP_EINVAL.
 */
int age_enc_chunk(const struct age_enc_params *p, uint64_t idx, const uint8_t *pt, size_t len,
    int is_last, uint8_t *out, struct err *err);

/* ---- streaming encryptor ---- */

struct age_enc {
	struct age_enc_params params;   /* owned; readable after init (header for the caller) */
	uint8_t payload_key[32];
	uint8_t *pbuf;                  /* plaintext held back: the last-chunk flag is unknown */
	size_t pbuf_len;
	uint8_t *cbuf;
	uint64_t chunk;
	int prefix_pending;             /* header + nonce not yet given to the sink */
	int done;
	int failed;
};

/*
 * Starts a file for n recipients (file_key random if NULL). The sink receives, in order, the
 * header + nonce (on the first update/final), then chunks of exactly AGE_CT_CHUNK_SIZE, then
 * the last chunk at final.
 */
int age_enc_init(struct age_enc *enc, const uint8_t *file_key, const struct age_recipient *r,
    size_t n, struct err *err);
/*
 * Resumes the file described by p at chunk index `chunk`: the caller feeds plaintext from
 * chunk * AGE_CHUNK_SIZE; the sink gets the prefix only when chunk is 0. p is copied.
 */
int age_enc_init_at(struct age_enc *enc, const struct age_enc_params *p, uint64_t chunk,
    struct err *err);
int age_enc_update(struct age_enc *enc, const uint8_t *in, size_t len, age_sink_fn sink,
    void *arg, struct err *err);
int age_enc_final(struct age_enc *enc, age_sink_fn sink, void *arg, struct err *err);
void age_enc_release(struct age_enc *enc);

/* ---- streaming decryptor ---- */

struct age_dec {
	const struct age_identity *ids; /* borrowed */
	size_t n_ids;
	int state;
	char *hdr;                      /* header bytes collected so far */
	size_t hdr_len, hdr_cap, line_start;
	uint8_t file_key[AGE_FILE_KEY_LEN];
	uint8_t nonce[AGE_NONCE_LEN];
	size_t nonce_len;
	uint8_t payload_key[32];
	uint8_t *cbuf;                  /* one ciphertext chunk being collected */
	size_t cbuf_len;
	uint8_t *pbuf;
	uint64_t chunk;                 /* index of the chunk in cbuf */
	int failed;
};

int age_dec_init(struct age_dec *dec, const struct age_identity *ids, size_t n,
    struct err *err);
/* Feeds ciphertext in pieces of any size; authenticated plaintext goes to the sink. */
int age_dec_update(struct age_dec *dec, const uint8_t *in, size_t len, age_sink_fn sink,
    void *arg, struct err *err);
/* Ends the input: decrypts the last chunk, or fails on truncation (SP_ECRYPTO). */
int age_dec_final(struct age_dec *dec, age_sink_fn sink, void *arg, struct err *err);
void age_dec_release(struct age_dec *dec);

/* ---- files ---- */

int age_encrypt_fd(int in_fd, int out_fd, const struct age_recipient *r, size_t n,
    struct err *err);
int age_decrypt_fd(int in_fd, int out_fd, const struct age_identity *ids, size_t n,
    struct err *err);

/*
 * Like the _fd helpers on paths; NULL means stdin / stdout. A named output is written under a
 * temporary name in the same directory (created with mode, then fsync'd) and renamed over
 * out_path only on success, so a failure never leaves partial output under the real name.
 */
int age_encrypt_path(const char *in_path, const char *out_path, mode_t mode,
    const struct age_recipient *r, size_t n, struct err *err);
int age_decrypt_path(const char *in_path, const char *out_path, mode_t mode,
    const struct age_identity *ids, size_t n, struct err *err);

/* HKDF-SHA-256 (RFC 5869) with a 32-byte output, the only length age uses. */
void age_hkdf(uint8_t out[32], const uint8_t *salt, size_t salt_len, const uint8_t *ikm,
    size_t ikm_len, const uint8_t *info, size_t info_len);

#endif
