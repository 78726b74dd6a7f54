/* SPDX-License-Identifier: ISC */
/* test_ux_units.c: the pure parts of the UI's habits: Tab completion, bracketed paste and its cutting, mentions, the history file, the relay address. */
#define _XOPEN_SOURCE 700
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "relay-addr.h"
#include "ui-complete.h"
#include "ui-histfile.h"
#include "ui-input.h"
#include "ui-mention.h"
#include "ui-paste.h"
#include "ui-scrollback.h"

static void type(struct input *in, const char *s)
{
	for (; *s != '\0'; s++)
		input_insert(in, (uint32_t)(unsigned char)*s);
}

static const char *line(struct input *in)
{
	static char buf[INPUT_MAX * 4 + 1];
	size_t i;

	for (i = 0; i < in->len && i < sizeof(buf) - 1; i++)
		buf[i] = (char)in->cp[i];
	buf[i] = '\0';
	return buf;
}

static void test_complete(void)
{
	const char *names[] = { "bob", "Carol", "carlos" };
	const char *cmds[] = { "who", "window", "fingerprint" };
	struct complete st;
	struct input in;

	CHECK_EQ(input_init(&in), 0);
	complete_reset(&st);
	type(&in, "ca");
	CHECK(complete_tab(&st, &in, names, 3, cmds, 3));
	CHECK_STR(line(&in), "Carol: ");
	CHECK(complete_tab(&st, &in, names, 3, cmds, 3));     /* cycles */
	CHECK_STR(line(&in), "carlos: ");
	CHECK(complete_tab(&st, &in, names, 3, cmds, 3));     /* and round */
	CHECK_STR(line(&in), "Carol: ");
	input_kill_start(&in);
	complete_reset(&st);

	type(&in, "thanks B");
	CHECK(complete_tab(&st, &in, names, 3, cmds, 3));
	CHECK_STR(line(&in), "thanks bob ");
	input_kill_start(&in);
	complete_reset(&st);

	type(&in, "/w");
	CHECK(complete_tab(&st, &in, names, 3, cmds, 3));
	CHECK_STR(line(&in), "/who ");
	CHECK(complete_tab(&st, &in, names, 3, cmds, 3));
	CHECK_STR(line(&in), "/window ");
	input_kill_start(&in);
	complete_reset(&st);

	type(&in, "/zz");
	CHECK(!complete_tab(&st, &in, names, 3, cmds, 3));
	CHECK_STR(line(&in), "/zz");
	input_kill_start(&in);
	complete_reset(&st);
	/* A word after a command completes names, not commands. */
	type(&in, "/msg bo");
	CHECK(complete_tab(&st, &in, names, 3, cmds, 3));
	CHECK_STR(line(&in), "/msg bob ");
	/* Typing after a completion starts afresh. */
	input_kill_start(&in);
	type(&in, "x");
	CHECK(!complete_tab(&st, &in, names, 3, cmds, 3));
	input_free(&in);
}

static void paste_str(struct paste *p, const char *s)
{
	paste_begin(p);
	for (; *s != '\0'; s++)
		paste_key(p, (uint32_t)(unsigned char)*s);
	paste_end(p);
}

static void test_paste(void)
{
	struct paste p;
	const char *s;
	size_t k, total, n;
	char big[40000];

	paste_init(&p);
	paste_str(&p, "one\rtwo\r\nthree\n");
	CHECK_EQ(paste_lines(&p), 3);
	CHECK_EQ(p.text.len, strlen("one\ntwo\nthree"));
	CHECK_MEM(p.text.p, "one\ntwo\nthree", p.text.len);
	paste_str(&p, "a\x1b[31mb\x07\tc");
	CHECK_EQ(p.dropped, 2);                 /* ESC and BEL; "[31m" is text */
	CHECK_MEM(p.text.p, "a[31mb\tc", p.text.len);
	paste_begin(&p);
	paste_key(&p, 0x202e);                  /* a bidi override is refused */
	paste_key(&p, 0x4f60);
	paste_end(&p);
	CHECK_EQ(p.dropped, 1);
	CHECK_EQ(p.text.len, 3);
	paste_str(&p, "");
	CHECK_EQ(paste_lines(&p), 0);
	paste_free(&p);

	/* Cutting: at spaces or line ends, never inside a character; exact. */
	s = "aaaa bbbb cccc";
	CHECK_EQ(paste_part(s, strlen(s), 100), strlen(s));
	CHECK_EQ(paste_part(s, strlen(s), 7), 5);        /* "aaaa " */
	CHECK_EQ(paste_parts(s, strlen(s), 7), 3);
	s = "\xe4\xbd\xa0\xe4\xbd\xa0\xe4\xbd\xa0";       /* three 3-byte characters */
	CHECK_EQ(paste_part(s, 9, 7), 6);
	CHECK_EQ(paste_part(s, 9, 2), 2);                /* max below one character: bytes */
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = i % 7 == 6 ? ' ' : 'x';
	total = 0;
	n = 0;
	for (s = big; total < sizeof(big); n++) {
		k = paste_part(s, sizeof(big) - total, 16384);
		CHECK(k > 0 && k <= 16384);
		s += k;
		total += k;
	}
	CHECK_EQ(total, sizeof(big));
	CHECK_EQ(n, 3);
}

static void test_mention(void)
{
	CHECK(mention_in("hey alice", 9, "alice"));
	CHECK(mention_in("Alice: lunch?", 13, "alice"));
	CHECK(mention_in("@ALICE!", 7, "alice"));
	CHECK(!mention_in("malice aforethought", 19, "alice"));
	CHECK(!mention_in("alice2 is a bot", 15, "alice"));
	CHECK(!mention_in("alic", 4, "alice"));
	CHECK(!mention_in("anything", 8, ""));
	CHECK(!mention_in("\xc3\xa9" "alice", 7, "alice"));
}

static void add_line(void *ctx, const char *l, size_t n)
{
	char *acc = ctx;

	strncat(acc, l, n);
	strcat(acc, "|");
}

static void test_histfile(void)
{
	char dir[] = "/tmp/sotto-hist.XXXXXX", path[4096], got[256] = "", err[256];
	char *lines[] = { "first", "second \xe4\xbd\xa0" };
	size_t lens[] = { 5, 10 };
	struct stat st;

	CHECK(mkdtemp(dir) != NULL);
	setenv("XDG_STATE_HOME", dir, 1);
	CHECK_EQ(histfile_path(path, sizeof(path)), 0);
	CHECK(strstr(path, "/sotto/history") != NULL && strncmp(path, dir, strlen(dir)) == 0);
	CHECK_EQ(histfile_load(path, add_line, got), 0);       /* missing: fine */
	CHECK_STR(got, "");
	CHECK_EQ(histfile_save(path, lines, lens, 2, err, sizeof(err)), 0);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK_EQ(histfile_load(path, add_line, got), 0);
	CHECK_STR(got, "first|second \xe4\xbd\xa0|");
	setenv("XDG_STATE_HOME", "relative/dir", 1);
	setenv("HOME", "/home/x", 1);
	CHECK_EQ(histfile_path(path, sizeof(path)), 0);
	CHECK_STR(path, "/home/x/.local/state/sotto/history");
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	CHECK_EQ(system(path), 0);
}

static void test_relay_addr(void)
{
	char out[300], err[256];

	CHECK_EQ(relay_addr_parse("example.org", out, sizeof(out), err, sizeof(err)), 0);
	CHECK_STR(out, "example.org:7700");
	CHECK_EQ(relay_addr_parse("127.0.0.1:9", out, sizeof(out), err, sizeof(err)), 0);
	CHECK_STR(out, "127.0.0.1:9");
	CHECK_EQ(relay_addr_parse("[::1]", out, sizeof(out), err, sizeof(err)), 0);
	CHECK_STR(out, "[::1]:7700");
	CHECK_EQ(relay_addr_parse("::1", out, sizeof(out), err, sizeof(err)), 0);
	CHECK_STR(out, "[::1]:7700");
	CHECK_EQ(relay_addr_parse("[::1]:8", out, sizeof(out), err, sizeof(err)), 0);
	CHECK_STR(out, "[::1]:8");
	CHECK(relay_addr_parse("host:", out, sizeof(out), err, sizeof(err)) != 0);
	CHECK(relay_addr_parse("host:99999", out, sizeof(out), err, sizeof(err)) != 0);
	CHECK(relay_addr_parse("host:0", out, sizeof(out), err, sizeof(err)) != 0);
	CHECK(strstr(err, "1..65535") != NULL);
	CHECK(relay_addr_parse("", out, sizeof(out), err, sizeof(err)) != 0);
	CHECK(relay_addr_parse(":7700", out, sizeof(out), err, sizeof(err)) != 0);
}

/* The day-changed line: decided on the local clock, once per change. */
static void test_day_changed(void)
{
	struct scrollback sb;
	struct tm tm = { .tm_year = 126, .tm_mon = 10, .tm_mday = 28, .tm_hour = 23,
	    .tm_min = 59, .tm_sec = 0, .tm_isdst = -1 };
	time_t evening, night, later;

	setenv("TZ", "UTC", 1);
	tzset();
	evening = mktime(&tm);
	night = evening + 120;          /* 00:01 the next day */
	later = night + 3600;
	CHECK_EQ(sb_init(&sb, 10), 0);
	CHECK(!sb_day_changed(&sb, evening));     /* the first line: no change */
	CHECK(!sb_day_changed(&sb, evening + 30));
	CHECK(sb_day_changed(&sb, night));
	CHECK(!sb_day_changed(&sb, later));       /* once, not per line */
	CHECK(sb_day_changed(&sb, later + 86400));
	/* The time column follows --timestamp-format. */
	sb_set_time_format(&sb, "%H:%M:%S");
	CHECK_EQ(sb.time_w, 9);
	sb_set_time_format(&sb, "%H:%M");
	CHECK_EQ(sb.time_w, 6);
	sb_free(&sb);
}

int main(void)
{
	setlocale(LC_CTYPE, "C.UTF-8");
	test_complete();
	test_paste();
	test_mention();
	test_histfile();
	test_relay_addr();
	test_day_changed();
	return check_summary();
}
