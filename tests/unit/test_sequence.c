/* Unit tests for lib/media/sequence: gaps and duplicates in numbered frame and segment files. */
#include <criterion/criterion.h>
#include <string.h>

#include "lib/media/sequence.h"

Test(sequence, whole)
{
	const char *f[] = { "A/A001C004.0086402.ari", "A/A001C004.0086400.ari",
		"A/A001C004.0086401.ari" };
	char why[256];

	cr_expect_eq(sequence_check(f, 3, "frames", why, sizeof(why)), 0);
	cr_expect_str_empty(why);
	cr_expect_eq(sequence_check(f, 1, "frames", why, sizeof(why)), 0, "one file is whole");
}

Test(sequence, gaps_named)
{
	const char *f[] = { "R/A001C004.0000400.ari", "R/A001C004.0000401.ari",
		"R/A001C004.0000403.ari", "R/A001C004.0000404.ari", "R/A001C004.0000410.ari" };
	char why[256];

	cr_expect_eq(sequence_check(f, 5, "frames", why, sizeof(why)), 2);
	cr_expect_str_eq(why, "frames missing from the sequence: 402 (1), 405-409 (5)");
}

Test(sequence, duplicates_named)
{
	const char *f[] = { "plate/shot.0001.dpx", "plate/shot.0002.dpx", "plate/shot.002.dpx",
		"plate/shot.0004.dpx" };
	char why[256];

	cr_expect_eq(sequence_check(f, 4, "frames", why, sizeof(why)), 2);
	cr_expect_str_eq(why, "frames missing from the sequence: 3 (1); duplicate frame numbers: "
	    "2 (shot.0002.dpx, shot.002.dpx)");
}

Test(sequence, red_segments_and_small_buffers)
{
	const char *f[] = { "A001_C002_0101AB_001.R3D", "A001_C002_0101AB_003.R3D" };
	char why[256], tiny[12];

	cr_expect_eq(sequence_check(f, 2, "segments", why, sizeof(why)), 1);
	cr_expect_str_eq(why, "segments missing from the sequence: 2 (1)");
	cr_expect_eq(sequence_check(f, 2, "segments", tiny, sizeof(tiny)), 1);
	cr_expect_eq(strlen(tiny), sizeof(tiny) - 1, "cut, terminated");
}
