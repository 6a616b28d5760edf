/* utf8: strict validation (overlong forms, surrogates, past U+10FFFF, NUL are invalid), the
 * U+FFFD replacement for JSON and the escaping for log lines. */
#include "lib/core/utf8.h"

#include <criterion/criterion.h>
#include <string.h>

Test(utf8, strict_validation)
{
	cr_expect(utf8_valid("caf\xc3\xa9 \xf0\x9f\x8e\xac", 10));
	cr_expect(!utf8_valid("\xff", 1));
	cr_expect(!utf8_valid("\xc0\xae", 2), "overlong '.'");
	cr_expect(!utf8_valid("\xe0\x80\xae", 3), "overlong '.' in three bytes");
	cr_expect(!utf8_valid("\xed\xa0\x80", 3), "a surrogate");
	cr_expect(!utf8_valid("\xf4\x90\x80\x80", 4), "past U+10FFFF");
	cr_expect(!utf8_valid("\xc3", 1), "cut short");
	cr_expect(!utf8_valid("a\0b", 3), "NUL");
}

Test(utf8, sanitize_replaces_invalid_bytes)
{
	char out[32];

	utf8_sanitize(out, sizeof(out), "a\xff" "b\xc3\xa9");
	cr_expect_str_eq(out, "a\xef\xbf\xbd" "b\xc3\xa9");
	utf8_sanitize(out, 5, "ab\xc3\xa9\xc3\xa9");
	cr_expect_str_eq(out, "ab\xc3\xa9", "cut at a character boundary");
}

Test(utf8, log_escape_keeps_one_line)
{
	char out[64];

	utf8_log_escape(out, sizeof(out), "x\n2026 forged\\\x7f\xff\xc3\xa9", 18);
	cr_expect_str_eq(out, "x\\x0a2026 forged\\x5c\\x7f\\xff\xc3\xa9");
}
