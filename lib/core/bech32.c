/* bech32: BIP173 encoding without the length limit (see bech32.h). */
#include "lib/core/bech32.h"

#include <string.h>

static const char bech32_charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

/* One step of the BCH checksum over GF(32); the constants are BIP173's generator. */
static uint32_t
bech32_polymod_step(uint32_t chk, uint8_t v)
{
	static const uint32_t gen[5] = {
		0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3,
	};
	uint32_t top = chk >> 25;

	chk = ((chk & 0x1ffffff) << 5) ^ v;
	for (int i = 0; i < 5; i++)
		if ((top >> i) & 1)
			chk ^= gen[i];
	return chk;
}

static char
bech32_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static char
bech32_upper(char c)
{
	return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

/* The checksum state after the expanded HRP (high bits, 0, low bits), lower-cased. */
static uint32_t
bech32_hrp_state(const char *hrp, size_t n)
{
	uint32_t chk = 1;

	for (size_t i = 0; i < n; i++)
		chk = bech32_polymod_step(chk, (uint8_t)bech32_lower(hrp[i]) >> 5);
	chk = bech32_polymod_step(chk, 0);
	for (size_t i = 0; i < n; i++)
		chk = bech32_polymod_step(chk, (uint8_t)bech32_lower(hrp[i]) & 31);
	return chk;
}

/* Checks that s[0..n) is printable US-ASCII and not mixed-case; sets *upper. */
static int
bech32_check_chars(const char *s, size_t n, int *upper, struct err *err)
{
	int has_lower = 0, has_upper = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 33 || c > 126)
			return err_set(err, SP_EINVAL, "bech32: character %zu is out of range", i);
		has_lower |= (c >= 'a' && c <= 'z');
		has_upper |= (c >= 'A' && c <= 'Z');
	}
	if (has_lower && has_upper)
		return err_set(err, SP_EINVAL, "bech32: mixed upper and lower case");
	*upper = has_upper;
	return 0;
}

size_t
bech32_encoded_len(size_t hrp_len, size_t data_len)
{
	return hrp_len + 1 + (data_len * 8 + 4) / 5 + 6;
}

/* Appends the 5-bit groups of data (zero-padded) to out, advancing the checksum. */
static size_t
bech32_put_data(char *out, const uint8_t *data, size_t len, uint32_t *chk)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		acc = (acc << 8) | data[i];
		for (bits += 8; bits >= 5; bits -= 5) {
			uint8_t v = (acc >> (bits - 5)) & 31;

			*chk = bech32_polymod_step(*chk, v);
			out[o++] = bech32_charset[v];
		}
	}
	if (bits > 0) {
		uint8_t v = (acc << (5 - bits)) & 31;

		*chk = bech32_polymod_step(*chk, v);
		out[o++] = bech32_charset[v];
	}
	return o;
}

int
bech32_encode(char *out, size_t cap, const char *hrp, const uint8_t *data, size_t len,
    struct err *err)
{
	size_t hlen = strlen(hrp), o;
	uint32_t chk;
	int upper, rc;

	if (hlen == 0)
		return err_set(err, SP_EINVAL, "bech32: empty human-readable part");
	if ((rc = bech32_check_chars(hrp, hlen, &upper, err)) != 0)
		return rc;
	if (bech32_encoded_len(hlen, len) + 1 > cap)
		return err_set(err, SP_ETOOBIG, "bech32: output buffer too small");
	for (o = 0; o < hlen; o++)
		out[o] = bech32_lower(hrp[o]);
	out[o++] = '1';
	chk = bech32_hrp_state(hrp, hlen);
	o += bech32_put_data(out + o, data, len, &chk);
	for (int i = 0; i < 6; i++)
		chk = bech32_polymod_step(chk, 0);
	chk ^= 1;
	for (int i = 0; i < 6; i++)
		out[o++] = bech32_charset[(chk >> (5 * (5 - i))) & 31];
	out[o] = '\0';
	for (size_t i = 0; upper && i < o; i++)
		out[i] = bech32_upper(out[i]);
	return 0;
}

/* The 5-bit value of a data character, or -1. */
static int
bech32_value(char c)
{
	const char *p = strchr(bech32_charset, bech32_lower(c));

	return (c == '\0' || p == NULL) ? -1 : (int)(p - bech32_charset);
}

/* Verifies the data characters s[hlen+1..n) and the checksum they end with. */
static int
bech32_verify(const char *s, size_t hlen, size_t n, struct err *err)
{
	uint32_t chk = bech32_hrp_state(s, hlen);

	for (size_t i = hlen + 1; i < n; i++) {
		int v = bech32_value(s[i]);

		if (v < 0)
			return err_set(err, SP_EINVAL, "bech32: invalid data character at %zu", i);
		chk = bech32_polymod_step(chk, (uint8_t)v);
	}
	if (chk != 1)
		return err_set(err, SP_EINVAL, "bech32: checksum mismatch");
	return 0;
}

/* Regroups the (verified) 5-bit characters w[0..nw) into bytes; padding must be short
 * and zero, so that each byte string has exactly one encoding. */
static int
bech32_to_bytes(const char *w, size_t nw, uint8_t *data, size_t cap, size_t *len,
    struct err *err)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;

	for (size_t i = 0; i < nw; i++) {
		acc = ((acc << 5) | (uint32_t)bech32_value(w[i])) & 0xfff;
		bits += 5;
		if (bits < 8)
			continue;
		bits -= 8;
		if (o == cap)
			return err_set(err, SP_ETOOBIG, "bech32: data longer than %zu bytes", cap);
		data[o++] = (uint8_t)(acc >> bits);
	}
	if (bits >= 5)
		return err_set(err, SP_EINVAL, "bech32: excess padding");
	if ((acc & ((1u << bits) - 1)) != 0)
		return err_set(err, SP_EINVAL, "bech32: non-zero padding");
	*len = o;
	return 0;
}

int
bech32_decode(const char *s, char *hrp, size_t hrp_cap, uint8_t *data, size_t data_cap,
    size_t *data_len, struct err *err)
{
	size_t n = strlen(s), hlen;
	const char *sep = strrchr(s, '1');
	int upper, rc;

	if ((rc = bech32_check_chars(s, n, &upper, err)) != 0)
		return rc;
	if (sep == NULL)
		return err_set(err, SP_EINVAL, "bech32: missing separator '1'");
	hlen = (size_t)(sep - s);
	if (hlen == 0)
		return err_set(err, SP_EINVAL, "bech32: empty human-readable part");
	if (n - hlen - 1 < 6)
		return err_set(err, SP_EINVAL, "bech32: checksum too short");
	if (hlen + 1 > hrp_cap)
		return err_set(err, SP_ETOOBIG, "bech32: human-readable part too long");
	if ((rc = bech32_verify(s, hlen, n, err)) != 0)
		return rc;
	if ((rc = bech32_to_bytes(sep + 1, n - hlen - 7, data, data_cap, data_len, err)) != 0)
		return rc;
	memcpy(hrp, s, hlen);
	hrp[hlen] = '\0';
	return 0;
}
