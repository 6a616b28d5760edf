/* Unit tests for lib/bech32: BIP173 vectors, age key strings, padding and case rules. */
#include <criterion/criterion.h>
#include <string.h>

#include "lib/core/bech32.h"

/* Decodes s and re-encodes it; the result must be s itself (case included). */
static void
roundtrip(const char *s)
{
	char hrp[128], again[256];
	uint8_t data[128];
	size_t n = 0;
	struct err e = { 0 };

	cr_assert_eq(bech32_decode(s, hrp, sizeof hrp, data, sizeof data, &n, &e), 0,
	    "%s: %s", s, e.msg);
	cr_assert_eq(bech32_encode(again, sizeof again, hrp, data, n, &e), 0, "%s", e.msg);
	cr_assert_str_eq(again, s);
	cr_assert_eq(strlen(again), bech32_encoded_len(strlen(hrp), n));
}

static void
rejects(const char *s, const char *why)
{
	char hrp[128];
	uint8_t data[128];
	size_t n = 0;
	struct err e = { 0 };

	cr_assert_lt(bech32_decode(s, hrp, sizeof hrp, data, sizeof data, &n, &e), 0,
	    "accepted %s", s);
	cr_assert(strstr(e.msg, why) != NULL, "%s: got \"%s\", want \"%s\"", s, e.msg, why);
}

Test(bech32, bip173_valid)
{
	roundtrip("A12UEL5L");
	roundtrip("a12uel5l");
	roundtrip("an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedchar"
	    "actersbio1tt5tgs");
	roundtrip("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw");
	roundtrip("11" "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
	    "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqc8247j");
	roundtrip("split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w");
	roundtrip("?1ezyfcl");
}

Test(bech32, bip173_invalid)
{
	rejects("\x20" "1nwldj5", "out of range");
	rejects("\x7f" "1axkwrx", "out of range");
	rejects("\x80" "1eym55h", "out of range");
	rejects("pzry9x0s0muk", "separator");
	rejects("1pzry9x0s0muk", "empty human-readable");
	rejects("x1b4n0q5v", "invalid data character");
	rejects("li1dgmt3", "checksum too short");
	rejects("de1lg7wt\xff", "out of range");
	rejects("A1G7SGD8", "checksum mismatch");
	rejects("10a06t8", "empty human-readable");
	rejects("1qzzfhee", "empty human-readable");
}

Test(bech32, no_length_limit)
{
	/* BIP173 rejects this only for exceeding 90 characters; age keys need longer. */
	roundtrip("an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedchara"
	    "ctersbio1569pvx");
}

Test(bech32, case_rules)
{
	rejects("A12uEL5L", "mixed");
	rejects("a1lqfn3a", "checksum mismatch");      /* valid Bech32m, not Bech32 */
}

Test(bech32, padding)
{
	rejects("a1lmyple6", "excess padding");        /* one 5-bit group: no whole byte */
	rejects("a1qpamnt9j", "non-zero padding");     /* 10 bits, the last two set */
}

Test(bech32, age_keys)
{
	static const char sk[] =
	    "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX";
	static const char pk[] = "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj";
	char hrp[32];
	uint8_t data[64];
	size_t n = 0;

	cr_assert_eq(bech32_decode(sk, hrp, sizeof hrp, data, sizeof data, &n, NULL), 0);
	cr_assert_str_eq(hrp, "AGE-SECRET-KEY-");
	cr_assert_eq(n, 32);
	roundtrip(sk);
	cr_assert_eq(bech32_decode(pk, hrp, sizeof hrp, data, sizeof data, &n, NULL), 0);
	cr_assert_str_eq(hrp, "age");
	cr_assert_eq(n, 32);
	roundtrip(pk);
	cr_assert_eq(strlen(sk), 74);
	cr_assert_eq(strlen(pk), 62);
}

Test(bech32, buffers_too_small)
{
	static const uint8_t data[32];
	char out[62], hrp[2];
	uint8_t small[8];
	size_t n = 0;

	cr_assert_eq(bech32_encode(out, sizeof out, "age", data, sizeof data, NULL), SP_ETOOBIG);
	cr_assert_eq(bech32_encode(out, sizeof out, "AgE", data, 1, NULL), SP_EINVAL);
	cr_assert_eq(bech32_decode("age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj",
	    hrp, sizeof hrp, small, sizeof small, &n, NULL), SP_ETOOBIG);
}
