/* buf: growth, the hard maximum, formatting, detach. */
#include "lib/core/buf.h"
#include "lib/core/err.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

Test(buf, grows_and_stays_nul_terminated)
{
	struct buf b = BUF_INIT(0);

	for (int i = 0; i < 1000; i++)
		cr_assert_eq(buf_appendf(&b, "%d,", i), 0);
	cr_expect_eq(strncmp(b.data, "0,1,2,", 6), 0);
	cr_expect_eq(b.data[b.len], '\0');
	cr_expect_eq(strlen(b.data), b.len);
	buf_release(&b);
	cr_expect_null(b.data);
}

Test(buf, refuses_past_its_maximum_and_keeps_what_it_has)
{
	struct buf b = BUF_INIT(10);

	cr_expect_eq(buf_appends(&b, "0123456789"), 0);
	cr_expect_eq(buf_appends(&b, "x"), SP_ETOOBIG);
	cr_expect_eq(buf_appendf(&b, "%s", "y"), SP_ETOOBIG);
	cr_expect_str_eq(b.data, "0123456789");
	buf_release(&b);
}

Test(buf, detach_hands_over_the_bytes)
{
	struct buf b = BUF_INIT(0);
	size_t len;
	char *p;

	p = buf_detach(&b, &len);
	cr_expect_str_eq(p, "");
	free(p);
	buf_append(&b, "ab\0cd", 5);
	p = buf_detach(&b, &len);
	cr_expect_eq(len, 5);
	cr_expect_eq(memcmp(p, "ab\0cd", 5), 0);
	cr_expect_null(b.data);
	free(p);
}
