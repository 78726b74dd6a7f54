/* SPDX-License-Identifier: ISC */
/* test_log.c: log records on stderr: format, level filter, one line each whatever the message holds. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "log.h"

static char out[16384];
static int errno_after;

/* Run the records with stderr sent to a temporary file; read it back. */
static size_t
capture(void (*emit)(void))
{
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO);
	size_t n;

	if (tmp == NULL || saved < 0)
		return 0;
	dup2(fileno(tmp), STDERR_FILENO);
	emit();
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, sizeof(out) - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
	return n;
}

static size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void
emit_levels(void)
{
	sotto_log_init("/usr/local/bin/sotto-relay", SOTTO_LOG_INFO);
	sotto_log(SOTTO_LOG_ERR, "listen %s: %s", "0.0.0.0:7700", "Address already in use");
	sotto_log(SOTTO_LOG_WARN, "warned %d", 2);
	sotto_log(SOTTO_LOG_INFO, "join room lobby id %u", 7u);
	sotto_log(SOTTO_LOG_DEBUG, "not shown");
}

static void
test_format(void)
{
	char *line2, *line3;

	CHECK(capture(emit_levels) > 0);
	CHECK_EQ(count_lines(out), 3);
	CHECK(strstr(out, "not shown") == NULL);
	/* 2026-01-02T03:04:05.678Z sotto-relay[123] error: ... */
	CHECK(strlen(out) > 25 && out[4] == '-' && out[10] == 'T' && out[19] == '.' &&
	    out[23] == 'Z' && out[24] == ' ');
	CHECK(strncmp(out + 25, "sotto-relay[", 12) == 0);
	CHECK(strstr(out, "] error: listen 0.0.0.0:7700: Address already in use\n") != NULL);
	line2 = strchr(out, '\n') + 1;
	CHECK(strstr(line2, "] warn: warned 2\n") != NULL);
	line3 = strchr(line2, '\n') + 1;
	CHECK(strstr(line3, "] info: join room lobby id 7\n") != NULL);
	CHECK_EQ(sotto_log_level(), SOTTO_LOG_INFO);
}

static void
emit_hostile(void)
{
	static char big[5000];

	sotto_log_init("t", SOTTO_LOG_DEBUG);
	sotto_log(SOTTO_LOG_INFO, "a\nfake: line\r\x1b[2J\x7f|\xc2\x85|\xe2\x80\xae|\xe2\x80\xa8|\xff|caf\xc3\xa9");
	memset(big, 'x', sizeof(big) - 1);
	sotto_log(SOTTO_LOG_DEBUG, "%s\n%s", big, big);
	errno = EPIPE;
	sotto_log(SOTTO_LOG_DEBUG, "errno kept");
	errno_after = errno;
}

static void
test_one_line_each(void)
{
	CHECK(capture(emit_hostile) > 0);
	CHECK_EQ(errno_after, EPIPE);
	CHECK_EQ(count_lines(out), 3);
	CHECK(strstr(out, "] info: a\\x0afake: line\\x0d\\x1b[2J\\x7f|\\xc2\\x85|"
	    "\\xe2\\x80\\xae|\\xe2\\x80\\xa8|\\xff|caf\xc3\xa9\n") != NULL);
	CHECK(strstr(out, "x [...]\n") != NULL);        /* long: cut, marked */
	CHECK(strstr(out, "] debug: errno kept\n") != NULL);
}

int
main(void)
{
	test_format();
	test_one_line_each();
	return check_summary();
}
