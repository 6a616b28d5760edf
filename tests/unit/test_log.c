/* lib/core/log.c: one event, one line, in either format. JSON lines parse as one object each,
 * whatever the message holds (a newline, quotes, backslashes, bytes that are not UTF-8); an
 * access line keeps its fields apart (issue 14). */
#include "lib/core/log.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[64];

static FILE *
capture(const char *format)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/test_log_%d", (int)getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	cr_assert(fd >= 0);
	cr_assert_eq(log_set_format_name(format), 0);
	log_set_level(LOG_INFO);
	log_set_fd(fd);
	return fdopen(fd, "r");
}

static void
capture_end(FILE *f)
{
	log_set_fd(2);
	log_set_format_name("text");
	fclose(f);
	unlink(path);
}

Test(log, json_lines_are_one_object_each_whatever_the_message_holds)
{
	FILE *f = capture("json");
	char line[4096];
	int n = 0;

	log_warn("failed login name=%s addr=%s", "dit\n2026-01-01T00:00:00Z info fake: \"x\"\\",
	    "10.0.0.1");
	log_info("bytes %s", "\xff\xfe ok \x01");
	log_access("198.51.100.7", "GET", "/api/v1/clips/%0a\x1b[31m", 400, 1.25, true);
	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		json_error_t e;
		json_t *j = json_loads(line, 0, &e);

		cr_assert_not_null(j, "line %d is not JSON (%s): %s", n + 1, e.text, line);
		cr_expect(json_is_string(json_object_get(j, "time")));
		if (n == 0) {
			cr_expect_str_eq(json_string_value(json_object_get(j, "level")), "warn");
			cr_expect_str_eq(json_string_value(json_object_get(j, "msg")),
			    "failed login name=dit\n2026-01-01T00:00:00Z info fake: \"x\"\\ addr=10.0.0.1");
		}
		if (n == 1)
			cr_expect_str_eq(json_string_value(json_object_get(j, "msg")),
			    "bytes \xef\xbf\xbd\xef\xbf\xbd ok \x01");
		if (n == 2) {
			cr_expect_str_eq(json_string_value(json_object_get(j, "where")), "access");
			cr_expect_str_eq(json_string_value(json_object_get(j, "addr")), "198.51.100.7");
			cr_expect_str_eq(json_string_value(json_object_get(j, "url")),
			    "/api/v1/clips/%0a\x1b[31m");
			cr_expect_eq(json_integer_value(json_object_get(j, "status")), 400);
			cr_expect(json_is_true(json_object_get(j, "ended_early")));
		}
		json_decref(j);
		n++;
	}
	cr_expect_eq(n, 3, "three events, three lines");
	capture_end(f);
}

Test(log, text_lines_escape_control_characters)
{
	FILE *f = capture("text");
	char line[4096];
	int n = 0;

	log_warn("failed login name=%s", "dit\ninfo fake");
	log_access("10.0.0.2", "GET", "/x\r\ny", 404, 0.5, false);
	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		cr_expect(strstr(line, "\\x0a") != NULL, "%s", line);
		n++;
	}
	cr_expect_eq(n, 2);
	capture_end(f);
}

Test(log, an_unknown_format_is_refused)
{
	cr_expect_eq(log_set_format_name("xml"), -1);
}

Test(log, a_message_too_long_for_a_line_is_still_one_json_object)
{
	FILE *f = capture("json");
	char big[5000], line[8192];
	json_t *j;

	memset(big, '"', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_info("%s", big);
	rewind(f);
	cr_assert_not_null(fgets(line, sizeof(line), f));
	j = json_loads(line, 0, NULL);
	cr_expect_not_null(j, "%s", line);
	json_decref(j);
	capture_end(f);
}
