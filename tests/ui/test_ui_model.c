/* SPDX-License-Identifier: ISC */
/* test_ui_model.c: the UI's models without a terminal: text cells, wrapping, scrolling, the line editor, colours. */
#define _XOPEN_SOURCE 700
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "sanitize.h"
#include "ui-colour.h"
#include "ui-input.h"
#include "ui-scrollback.h"
#include "ui-text.h"

static struct ui_text cells(const char *s)
{
	struct ui_text t = { 0 };

	CHECK_EQ(ui_text_add(&t, s, strlen(s), SAN_TAB_SPACE, 1000), 0);
	return t;
}

/* The cells back as UTF-8 text, marked cells in [brackets]. */
static const char *show(const struct ui_text *t)
{
	static char buf[1024];
	size_t used = 0;
	bool in_mark = false;

	for (size_t i = 0; i < t->n && used + 8 < sizeof(buf); i++) {
		if (t->cell[i].mark != in_mark)
			buf[used++] = (in_mark = t->cell[i].mark) ? '[' : ']';
		used += (size_t)wctomb(buf + used, (wchar_t)t->cell[i].cp);
	}
	if (in_mark)
		buf[used++] = ']';
	buf[used] = '\0';
	return buf;
}

static void test_text_cells(void)
{
	struct ui_text t = cells("a\xe4\xbd\xa0" "e\xcc\x81\xf0\x9f\x98\x80");

	CHECK_EQ(t.n, 5);
	CHECK_EQ(t.cell[0].width, 1);
	CHECK_EQ(t.cell[1].width, 2);     /* CJK */
	CHECK_EQ(t.cell[3].width, 0);     /* combining acute */
	CHECK_EQ(t.cell[4].width, 2);     /* emoji */
	CHECK_EQ(ui_cells_width(t.cell, t.n), 6);
	ui_text_free(&t);

	t = cells("x\x1b[2J\x1b[31mPWNED\xe2\x80\xae!");
	CHECK_STR(show(&t), "x[^[[2J^[[31m]PWNED[\\u{202e}]!");
	ui_text_free(&t);

	/* Unassigned code points are shown by number, not trusted to the terminal. */
	t = cells("\xf3\xb0\x80\x80");   /* U+F0000: private use, width 1 */
	CHECK_EQ(t.n, 1);
	ui_text_free(&t);
	t = cells("\xcd\xb8");           /* U+0378: unassigned */
	CHECK_STR(show(&t), "[\\u{378}]");
	ui_text_free(&t);
}

static void test_text_cap_and_ascii(void)
{
	struct ui_text t = { 0 };

	CHECK_EQ(ui_text_add(&t, "abcdefgh", 8, 0, 3), 0);
	CHECK_STR(show(&t), "abc[ [+5 bytes]]");
	ui_text_free(&t);

	ui_text_set_utf8(false);
	t = cells("gr\xc3\xbc\xc3\x9f");
	CHECK_STR(show(&t), "gr[\\u{fc}\\u{df}]");
	ui_text_free(&t);
	ui_text_set_utf8(true);
}

static void test_wrap(void)
{
	struct ui_text t = cells("hello big world");

	/* Breaks after the last space that fits. */
	CHECK_EQ(sb_row_end(t.cell, t.n, 0, 12), 10);
	CHECK_EQ(sb_row_end(t.cell, t.n, 10, 12), 15);
	CHECK_EQ(sb_row_end(t.cell, t.n, 0, 100), 15);
	ui_text_free(&t);

	/* No space: a hard break; a wide cell never straddles rows. */
	t = cells("\xe4\xbd\xa0\xe4\xbd\xa0\xe4\xbd\xa0");
	CHECK_EQ(sb_row_end(t.cell, t.n, 0, 5), 2);
	CHECK_EQ(sb_row_end(t.cell, t.n, 0, 1), 1);   /* too wide for the row: still progresses */
	ui_text_free(&t);

	/* A combining mark stays with its base. */
	t = cells("abe\xcc\x81" "c");
	CHECK_EQ(sb_row_end(t.cell, t.n, 0, 3), 4);
	ui_text_free(&t);
}

static struct sb_line *add_line(struct scrollback *sb, const char *text)
{
	struct sb_line *l = sb_add(sb, SB_MSG, 0);

	ui_text_add(&l->text, text, strlen(text), 0, 1000);
	sb_commit(sb, l);
	return l;
}

static void test_scroll(void)
{
	struct scrollback sb;
	struct sb_geom g;
	char line[32];

	CHECK_EQ(sb_init(&sb, 50), 0);
	sb_resize(&sb, 80, 10);
	sb_geom(&sb, &g);
	CHECK(g.show_time);
	CHECK_EQ(g.text_x + g.text_w, 80);
	for (int i = 0; i < 30; i++) {
		snprintf(line, sizeof(line), "line %d", i);
		add_line(&sb, line);
	}
	sb_page(&sb, 1);
	CHECK_EQ(sb.scroll, 9);
	CHECK(!sb.more);
	/* New lines while lifted keep the view still and raise "-- more --". */
	add_line(&sb, "new");
	CHECK_EQ(sb.scroll, 10);
	CHECK(sb.more);
	sb_page(&sb, 1);
	sb_page(&sb, 1);
	sb_page(&sb, 1);
	CHECK_EQ(sb.scroll, 31 - 10);    /* not past the oldest line */
	sb_live(&sb);
	CHECK_EQ(sb.scroll, 0);
	CHECK(!sb.more);
	sb_page(&sb, 1);
	sb_page(&sb, -1);
	CHECK_EQ(sb.scroll, 0);
	/* The ring keeps the newest cap lines. */
	for (int i = 0; i < 60; i++)
		add_line(&sb, "x");
	CHECK_EQ(sb.n, 50);
	/* Lifted to the oldest line of a full ring: lines arriving push the
	 * oldest out, and the view stays within what is left. */
	for (int i = 0; i < 10; i++)
		sb_page(&sb, 1);
	CHECK_EQ(sb.scroll, 50 - 10);
	add_line(&sb, "y");
	CHECK_EQ(sb.scroll, 50 - 10);
	CHECK(sb.more);
	sb_free(&sb);
}

static void test_pending(void)
{
	struct scrollback sb;

	CHECK_EQ(sb_init(&sb, 8), 0);
	sb_add(&sb, SB_OWN, 0)->pending = true;
	sb_add(&sb, SB_OWN, 0)->pending = true;
	sb_add(&sb, SB_MSG, 0);
	CHECK_EQ(sb_pending(&sb), 2);
	sb_clear_pending(&sb);
	CHECK_EQ(sb_pending(&sb), 0);
	sb_free(&sb);
}

static void type(struct input *in, const char *utf8)
{
	struct ui_text t = cells(utf8);

	for (size_t i = 0; i < t.n; i++)
		input_insert(in, t.cell[i].cp);
	ui_text_free(&t);
}

static void check_take(struct input *in, const char *want)
{
	size_t n;
	char *s = input_take(in, &n);

	CHECK(s != NULL);
	if (s != NULL) {
		CHECK_EQ(n, strlen(want));
		CHECK_STR(s, want);
	}
	free(s);
}

static void test_editor(void)
{
	struct input in;

	CHECK_EQ(input_init(&in), 0);
	type(&in, "h\xc3\xa9llo \xe4\xbd\xa0\xe5\xa5\xbd");
	CHECK_EQ(in.len, 8);
	CHECK(input_backspace(&in));                 /* one code point, not one byte */
	CHECK(input_home(&in));
	CHECK(input_right(&in));
	CHECK(input_delete(&in));                    /* the é */
	check_take(&in, "hllo \xe4\xbd\xa0");
	CHECK(input_empty(&in));

	/* Controls and bidi overrides never enter the line; TAB is a space. */
	CHECK(!input_insert(&in, 0x1b));
	CHECK(!input_insert(&in, 0x9b));
	CHECK(!input_insert(&in, 0x202e));
	CHECK(!input_insert(&in, 0x7f));
	CHECK(input_insert(&in, '\t'));
	check_take(&in, " ");

	/* Cursor moves over a base and its combining mark together. */
	type(&in, "xe\xcc\x81y");
	CHECK(input_left(&in));
	CHECK(input_left(&in));
	CHECK_EQ(in.cur, 1);
	CHECK(input_backspace(&in));
	check_take(&in, "e\xcc\x81y");
	input_free(&in);
}

static void test_kills(void)
{
	struct input in;

	CHECK_EQ(input_init(&in), 0);
	type(&in, "one two  three");
	CHECK(input_kill_word(&in));
	check_take(&in, "one two  ");
	type(&in, "one two  three");
	in.cur = 9;
	CHECK(input_kill_word(&in));                 /* the spaces and "two" */
	check_take(&in, "one three");
	type(&in, "abcdef");
	in.cur = 2;
	CHECK(input_kill_end(&in));
	CHECK_EQ(in.cur, 2);
	type(&in, "X");
	in.cur = 1;
	CHECK(input_kill_start(&in));
	check_take(&in, "bX");
	CHECK(!input_kill_start(&in));
	input_free(&in);
}

static void test_history(void)
{
	struct input in;

	CHECK_EQ(input_init(&in), 0);
	type(&in, "first");
	check_take(&in, "first");
	type(&in, "second");
	check_take(&in, "second");
	type(&in, "second");
	check_take(&in, "second");                   /* repeats are kept once */
	CHECK_EQ(in.hist_n, 2);
	type(&in, "draft");
	CHECK(input_hist_prev(&in));
	CHECK(input_hist_prev(&in));
	CHECK(!input_hist_prev(&in));
	CHECK(input_hist_next(&in));
	CHECK(input_hist_next(&in));                 /* back to the draft */
	CHECK(!input_hist_next(&in));
	check_take(&in, "draft");
	CHECK(input_hist_prev(&in));
	check_take(&in, "draft");
	for (int i = 0; i < INPUT_HIST_MAX + 10; i++) {
		type(&in, i % 2 ? "a" : "b");
		check_take(&in, i % 2 ? "a" : "b");
	}
	CHECK_EQ(in.hist_n, INPUT_HIST_MAX);
	for (int i = 0; i < INPUT_MAX + 5; i++)
		input_insert(&in, 'z');
	CHECK_EQ(in.len, INPUT_MAX);
	input_free(&in);
}

/* Reads row 0 of w back as UTF-8, trailing blanks dropped. */
static const char *row(WINDOW *w)
{
	static char buf[512];
	size_t used = 0;
	int width = getmaxx(w);
	cchar_t cc;
	wchar_t wc[CCHARW_MAX + 1];
	attr_t a;
	short p;

	for (int x = 0; x < width; x++) {
		if (mvwin_wch(w, 0, x, &cc) != OK || getcchar(&cc, wc, &a, &p, NULL) != OK)
			break;
		for (int k = 0; wc[k] != 0 && used + 8 < sizeof(buf); k++)
			used += (size_t)wctomb(buf + used, wc[k]);
		if (wcwidth(wc[0]) == 2)
			x++;
	}
	while (used > 0 && buf[used - 1] == ' ')
		used--;
	buf[used] = '\0';
	return buf;
}

static void test_input_draw(void)
{
	WINDOW *w = newwin(1, 20, 0, 0);
	struct input in;
	int x;

	CHECK_EQ(input_init(&in), 0);
	type(&in, "abc");
	input_draw(&in, w, "> ", &x);
	CHECK_STR(row(w), "> abc");
	CHECK_EQ(x, 5);
	/* Long line: the view follows the cursor, by a third of the width. */
	type(&in, "defghijklmnopqrstuvwxyz");
	input_draw(&in, w, "> ", &x);
	CHECK_EQ(x, 2 + 26 - 14);        /* 17 columns of text, jumped by 5 */
	CHECK_STR(row(w), "> opqrstuvwxyz");
	input_home(&in);
	input_draw(&in, w, "> ", &x);
	CHECK_EQ(x, 2);
	CHECK_STR(row(w), "> abcdefghijklmnopq");
	/* Narrowed to almost nothing and widened again: the line shows whole. */
	input_end(&in);
	wresize(w, 1, 3);
	input_draw(&in, w, "> ", &x);
	wresize(w, 1, 40);
	input_draw(&in, w, "> ", &x);
	CHECK_STR(row(w), "> abcdefghijklmnopqrstuvwxyz");
	CHECK_EQ(x, 2 + 26);
	/* Wide characters keep the cursor on the right column. */
	check_take(&in, "abcdefghijklmnopqrstuvwxyz");
	type(&in, "\xe4\xbd\xa0\xe5\xa5\xbd!");
	input_draw(&in, w, "> ", &x);
	CHECK_EQ(x, 2 + 5);
	CHECK_STR(row(w), "> \xe4\xbd\xa0\xe5\xa5\xbd!");
	input_free(&in);
	delwin(w);
}

static void test_colours(void)
{
	short a = ui_colour_member("SHA256:alice"), b = ui_colour_member("SHA256:alice");
	bool differ = false;
	char fpr[32];

	CHECK(has_colors());
	CHECK(a > 0);
	CHECK_EQ(a, b);
	for (int i = 0; i < 16; i++) {
		snprintf(fpr, sizeof(fpr), "SHA256:member%d", i);
		differ |= ui_colour_member(fpr) != a;
		CHECK(ui_colour_member(fpr) < COLOR_PAIRS);
	}
	CHECK(differ);
}

int main(void)
{
	FILE *null = fopen("/dev/null", "r+");
	SCREEN *scr;

	if (setlocale(LC_ALL, "C.UTF-8") == NULL) {
		fprintf(stderr, "no C.UTF-8 locale\n");
		return 1;
	}
	ui_text_set_utf8(true);
	test_text_cells();
	test_text_cap_and_ascii();
	test_wrap();
	test_scroll();
	test_pending();
	test_editor();
	test_kills();
	test_history();
	/* A screen on /dev/null for the drawing and colour checks. */
	CHECK(null != NULL);
	scr = null != NULL ? newterm("xterm-256color", null, null) : NULL;
	CHECK(scr != NULL);
	if (scr != NULL) {
		ui_colour_init();
		test_input_draw();
		test_colours();
		endwin();
		delscreen(scr);
	}
	if (null != NULL)
		fclose(null);
	return check_summary();
}
