/* SPDX-License-Identifier: ISC */
/* test_ui_picture.c: a preview becomes cells and colours only (any other escape refuses it), drawn with the colour pairs it names; the status line's transfers; sizes for people. */
#define _XOPEN_SOURCE 700
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "err.h"
#include "ui-colour.h"
#include "ui-files.h"
#include "ui-picture.h"
#include "ui.h"

#define S(s) (s), sizeof(s) - 1
#define UPPER "\xe2\x96\x80"   /* U+2580 upper half block */
#define LOWER "\xe2\x96\x84"   /* U+2584 */
#define FULL  "\xe2\x96\x88"   /* U+2588 */

static const struct ui_pcell *at(const struct ui_pic *p, int row, int col)
{
	return &p->cell[(size_t)row * (size_t)p->cols + (size_t)col];
}

static void test_parse(void)
{
	struct ui_pic *p = NULL;

	CHECK_EQ(ui_pic_parse(S("\x1b[38;5;12;48;5;200m" UPPER LOWER "\x1b[0m\n"
	    "\x1b[7;38;5;1m" FULL "\x1b[27;39;49m" UPPER "\x1b[31;102m" LOWER "\n"),
	    40, 12, &p), 0);
	if (p == NULL)
		return;
	CHECK_EQ(p->rows, 2);
	CHECK_EQ(p->cols, 3);
	CHECK_EQ(at(p, 0, 0)->cp, 0x2580);
	CHECK(at(p, 0, 0)->fg == 12 && at(p, 0, 0)->bg == 200);
	CHECK(at(p, 0, 1)->cp == 0x2584 && at(p, 0, 1)->fg == 12);
	CHECK_EQ(at(p, 0, 2)->cp, 0);                 /* short row: empty */
	/* Reverse video swaps them: fg 1 on the default becomes default on 1. */
	CHECK(at(p, 1, 0)->cp == 0x2588 && at(p, 1, 0)->fg == -1 && at(p, 1, 0)->bg == 1);
	CHECK(at(p, 1, 1)->fg == -1 && at(p, 1, 1)->bg == -1);
	CHECK(at(p, 1, 2)->fg == 1 && at(p, 1, 2)->bg == 10);
	ui_pic_free(p);
	/* Anything but text and SGR refuses the whole preview. */
	p = (struct ui_pic *)1;
	CHECK_EQ(ui_pic_parse(S(UPPER "\x1b[2J"), 40, 12, &p), SOTTO_E_FORMAT);
	CHECK(p == NULL);
	CHECK_EQ(ui_pic_parse(S("\x1b]0;owned\x07" UPPER), 40, 12, &p), SOTTO_E_FORMAT);
	CHECK_EQ(ui_pic_parse(S("\x1b[1;1H" UPPER), 40, 12, &p), SOTTO_E_FORMAT);
	CHECK_EQ(ui_pic_parse(S("\xc2\x9b" "2J"), 40, 12, &p), SOTTO_E_FORMAT);
	CHECK_EQ(ui_pic_parse(S(UPPER "\r" UPPER), 40, 12, &p), SOTTO_E_FORMAT);
	CHECK_EQ(ui_pic_parse("a\0b", 3, 40, 12, &p), SOTTO_E_FORMAT);
	CHECK_EQ(ui_pic_parse(S("\x1bPq~\x1b\\"), 40, 12, &p), SOTTO_E_FORMAT);
	CHECK_EQ(ui_pic_parse(S(UPPER), 0, 12, &p), SOTTO_E_INVAL);
}

/* More than asked is cut; a wide character would shift the row: a space. */
static void test_parse_bounds(void)
{
	char big[4096];
	struct ui_pic *p = NULL;
	size_t n = 0;

	for (int r = 0; r < 15; r++) {
		for (int k = 0; k < 50; k++)
			n += (size_t)snprintf(big + n, sizeof(big) - n, "%s", FULL);
		big[n++] = '\n';
	}
	CHECK_EQ(ui_pic_parse(big, n, 40, 12, &p), 0);
	if (p != NULL) {
		CHECK(p->cols == 40 && p->rows == 12);
		CHECK_EQ(at(p, 11, 39)->cp, 0x2588);
		ui_pic_free(p);
	}
	CHECK_EQ(ui_pic_parse(S("\xe4\xb8\xad" FULL), 40, 12, &p), 0);
	if (p != NULL) {
		CHECK(at(p, 0, 0)->cp == ' ' && at(p, 0, 1)->cp == 0x2588);
		ui_pic_free(p);
	}
	/* Out-of-range colour numbers are the default colour. */
	CHECK_EQ(ui_pic_parse(S("\x1b[38;5;999;48;5m" FULL), 40, 12, &p), 0);
	if (p != NULL) {
		CHECK(at(p, 0, 0)->fg == -1);
		ui_pic_free(p);
	}
}

/* Drawn cells carry pairs whose colours are the picture's. */
static void test_draw(void)
{
	WINDOW *w = newwin(2, 40, 0, 0);
	struct ui_pic *p = NULL;
	cchar_t cc;
	wchar_t wc[4];
	attr_t attr;
	short pair = -1, f = -1, b = -1, pair2 = -1;

	CHECK_EQ(ui_pic_parse(S("\x1b[38;5;12;48;5;200m" UPPER "\x1b[38;5;3m" LOWER
	    "\x1b[38;5;12m" UPPER "\x1b[0m" FULL "\n"), 40, 12, &p), 0);
	if (p == NULL || w == NULL)
		return;
	ui_pic_frame();
	wmove(w, 0, 0);
	ui_pic_draw_row(w, p, 0, 3);              /* cut at 3 columns */
	CHECK_EQ(getcurx(w), 3);
	CHECK(mvwin_wch(w, 0, 0, &cc) == OK && getcchar(&cc, wc, &attr, &pair, NULL) == OK);
	CHECK_EQ(wc[0], 0x2580);
	CHECK(pair > 0 && pair_content(pair, &f, &b) == OK && f == 12 && b == 200);
	CHECK(mvwin_wch(w, 0, 1, &cc) == OK && getcchar(&cc, wc, &attr, &pair2, NULL) == OK);
	CHECK(pair2 != pair && pair_content(pair2, &f, &b) == OK && f == 3 && b == 200);
	/* The same colours again: the same pair. */
	CHECK(mvwin_wch(w, 0, 2, &cc) == OK && getcchar(&cc, wc, &attr, &pair2, NULL) == OK);
	CHECK_EQ(pair2, pair);
	ui_pic_free(p);
	/* A short row's missing cells: blanks in the default colours. */
	CHECK_EQ(ui_pic_parse(S("\x1b[48;5;1m" FULL FULL "\n" FULL "\n"), 40, 12, &p), 0);
	if (p == NULL)
		return;
	wmove(w, 1, 0);
	ui_pic_draw_row(w, p, 1, 40);
	CHECK(mvwin_wch(w, 1, 1, &cc) == OK && getcchar(&cc, wc, &attr, &pair, NULL) == OK);
	CHECK(wc[0] == L' ' && pair == 0);
	ui_pic_free(p);
	delwin(w);
}

static void test_sizes(void)
{
	char b[32];

	ui_size_human(0, b, sizeof(b));
	CHECK_STR(b, "0 B");
	ui_size_human(812, b, sizeof(b));
	CHECK_STR(b, "812 B");
	ui_size_human(2411724, b, sizeof(b));
	CHECK_STR(b, "2.3 MiB");
	ui_size_human(10u << 20, b, sizeof(b));
	CHECK_STR(b, "10 MiB");
	ui_size_human(5ull << 30, b, sizeof(b));
	CHECK_STR(b, "5.0 GiB");
}

static void test_status(void)
{
	struct ui_win w;
	struct ui_xfer x[5];
	char buf[160];

	memset(&w, 0, sizeof(w));
	memset(x, 0, sizeof(x));
	w.xfers.x = x;
	w.xfers.n = 1;
	ui_files_status(&w, buf, sizeof(buf));
	CHECK_STR(buf, "");                                   /* not under way */
	x[0] = (struct ui_xfer){ .n = 3, .active = true, .size = 1000, .done = 430,
	    .rate = 2.4 * 1048576, .eta = 12 };
	ui_files_status(&w, buf, sizeof(buf));
	CHECK_STR(buf, "3\xe2\x86\x93" "43% 2.4M/s 12s");
	x[1] = (struct ui_xfer){ .n = 5, .active = true, .outgoing = true, .size = 100,
	    .done = 7, .rate = 3000, .eta = 190 };
	x[2] = (struct ui_xfer){ .n = 6, .active = false };
	x[3] = (struct ui_xfer){ .n = 7, .active = true, .size = 0, .eta = -1 };
	x[4] = (struct ui_xfer){ .n = 8, .active = true, .size = 10, .eta = 4000 };
	w.xfers.n = 5;
	ui_files_status(&w, buf, sizeof(buf));
	CHECK_STR(buf, "3\xe2\x86\x93" "43% 2.4M/s 12s, 5\xe2\x86\x91" "7% 3K/s 3m10s, "
	    "7\xe2\x86\x93" "100% ? ? +1");
	/* A short buffer is cut, never overrun. */
	ui_files_status(&w, buf, 10);
	CHECK(strlen(buf) < 10);
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
	test_parse();
	test_parse_bounds();
	test_sizes();
	test_status();
	CHECK(null != NULL);
	scr = null != NULL ? newterm("xterm-256color", null, null) : NULL;
	CHECK(scr != NULL);
	if (scr != NULL) {
		ui_colour_init();
		ui_pic_colours_init();
		test_draw();
		endwin();
		delscreen(scr);
	}
	if (null != NULL)
		fclose(null);
	return check_summary();
}
