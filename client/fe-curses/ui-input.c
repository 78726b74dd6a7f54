/* SPDX-License-Identifier: ISC */
/* ui-input.c: line editor over code points (never bytes), history, and the drawn input line. */
#define _XOPEN_SOURCE 700
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "sanitize.h"
#include "ui-input.h"
#include "ui-text.h"
#include "utf8.h"

int input_init(struct input *in)
{
	memset(in, 0, sizeof(*in));
	in->cp = calloc(INPUT_MAX, sizeof(*in->cp));
	in->hist = calloc(INPUT_HIST_MAX, sizeof(*in->hist));
	if (in->cp == NULL || in->hist == NULL) {
		input_free(in);
		return -1;
	}
	return 0;
}

void input_free(struct input *in)
{
	for (size_t i = 0; in->hist != NULL && i < in->hist_n; i++)
		free(in->hist[i].cp);
	free(in->hist);
	free(in->draft.cp);
	free(in->cp);
	memset(in, 0, sizeof(*in));
}

bool input_empty(const struct input *in)
{
	return in->len == 0;
}

/* Only what the screen can show as itself goes in: a pasted ESC or bidi
 * override is refused here, so the line we send is what the user saw. */
bool input_insert(struct input *in, uint32_t cp)
{
	if (cp == '\t')
		cp = ' ';
	if (!sanitize_cp_ok(cp) || wcwidth((wchar_t)cp) < 0 || in->len == INPUT_MAX)
		return false;
	memmove(in->cp + in->cur + 1, in->cp + in->cur,
	    (in->len - in->cur) * sizeof(*in->cp));
	in->cp[in->cur++] = cp;
	in->len++;
	return true;
}

/* Remove [from, to) from the line and put the cursor at from. */
static bool cut(struct input *in, size_t from, size_t to);

void input_cut(struct input *in, size_t from, size_t to)
{
	if (to <= in->len)
		(void)cut(in, from, to);
}

static bool cut(struct input *in, size_t from, size_t to)
{
	if (from >= to)
		return false;
	memmove(in->cp + from, in->cp + to, (in->len - to) * sizeof(*in->cp));
	in->len -= to - from;
	in->cur = from;
	return true;
}

/* A combining mark moves with the character before it. */
static bool is_combining(uint32_t cp)
{
	return wcwidth((wchar_t)cp) == 0;
}

bool input_left(struct input *in)
{
	if (in->cur == 0)
		return false;
	while (--in->cur > 0 && is_combining(in->cp[in->cur]))
		;
	return true;
}

bool input_right(struct input *in)
{
	if (in->cur == in->len)
		return false;
	while (++in->cur < in->len && is_combining(in->cp[in->cur]))
		;
	return true;
}

bool input_home(struct input *in)
{
	bool moved = in->cur != 0;

	in->cur = 0;
	return moved;
}

bool input_end(struct input *in)
{
	bool moved = in->cur != in->len;

	in->cur = in->len;
	return moved;
}

bool input_backspace(struct input *in)
{
	size_t to = in->cur;

	return input_left(in) && cut(in, in->cur, to);
}

bool input_delete(struct input *in)
{
	size_t from = in->cur;

	if (!input_right(in))
		return false;
	return cut(in, from, in->cur);
}

bool input_kill_start(struct input *in)
{
	return cut(in, 0, in->cur);
}

bool input_kill_end(struct input *in)
{
	size_t from = in->cur;

	in->cur = in->len;
	return cut(in, from, in->len);
}

/* Ctrl-W: the spaces before the cursor, then the word before them. */
bool input_kill_word(struct input *in)
{
	size_t from = in->cur;

	while (from > 0 && in->cp[from - 1] == ' ')
		from--;
	while (from > 0 && in->cp[from - 1] != ' ')
		from--;
	return cut(in, from, in->cur);
}

/* --- history ------------------------------------------------------------ */

static int line_copy(struct input_line *dst, const uint32_t *cp, size_t len)
{
	uint32_t *copy = malloc((len ? len : 1) * sizeof(*copy));

	if (copy == NULL)
		return -1;
	memcpy(copy, cp, len * sizeof(*copy));
	free(dst->cp);
	dst->cp = copy;
	dst->len = len;
	return 0;
}

static void line_load(struct input *in, const struct input_line *l)
{
	memcpy(in->cp, l->cp, l->len * sizeof(*in->cp));
	in->len = in->cur = l->len;
}

bool input_hist_prev(struct input *in)
{
	if (in->hist_pos == 0)
		return false;
	if (in->hist_pos == in->hist_n &&
	    line_copy(&in->draft, in->cp, in->len) != 0)
		return false;
	line_load(in, &in->hist[--in->hist_pos]);
	return true;
}

bool input_hist_next(struct input *in)
{
	if (in->hist_pos == in->hist_n)
		return false;
	if (++in->hist_pos == in->hist_n)
		line_load(in, &in->draft);
	else
		line_load(in, &in->hist[in->hist_pos]);
	return true;
}

static void hist_push(struct input *in)
{
	struct input_line *last = in->hist_n ? &in->hist[in->hist_n - 1] : NULL;
	struct input_line l = { NULL, 0 };

	if (in->len == 0 || (last != NULL && last->len == in->len &&
	    memcmp(last->cp, in->cp, in->len * sizeof(*in->cp)) == 0))
		return;
	if (line_copy(&l, in->cp, in->len) != 0)
		return;
	if (in->hist_n == INPUT_HIST_MAX) {
		free(in->hist[0].cp);
		memmove(in->hist, in->hist + 1, (INPUT_HIST_MAX - 1) * sizeof(*in->hist));
		in->hist_n--;
	}
	in->hist[in->hist_n++] = l;
}

/* A line from the history file: only what the editor would take. */
void input_hist_add_utf8(struct input *in, const char *s, size_t n)
{
	size_t off = 0, k, len = in->len, cur = in->cur;
	uint32_t *saved;
	uint32_t cp;

	if ((saved = malloc((len ? len : 1) * sizeof(*saved))) == NULL)
		return;
	memcpy(saved, in->cp, len * sizeof(*saved));
	in->len = in->cur = 0;
	while (off < n) {
		if ((k = sotto_utf8_decode((const uint8_t *)s + off, n - off, &cp)) == 0 ||
		    !input_insert(in, cp)) {
			in->len = 0;    /* not a line we could have typed: skip it */
			break;
		}
		off += k;
	}
	hist_push(in);
	memcpy(in->cp, saved, len * sizeof(*saved));
	in->len = len;
	in->cur = cur;
	in->hist_pos = in->hist_n;
	free(saved);
}

/* History line i (0 the oldest) as malloc'd UTF-8. */
char *input_hist_utf8(const struct input *in, size_t i, size_t *n)
{
	const struct input_line *l = &in->hist[i];
	char *s;
	size_t used = 0;

	*n = 0;
	if (i >= in->hist_n || (s = malloc(l->len * 4 + 1)) == NULL)
		return NULL;
	for (size_t k = 0; k < l->len; k++)
		used += sotto_utf8_encode(l->cp[k], (uint8_t *)s + used);
	s[used] = '\0';
	*n = used;
	return s;
}

char *input_take(struct input *in, size_t *n)
{
	char *s = malloc(in->len * 4 + 1);
	size_t used = 0;

	*n = 0;
	if (s == NULL)
		return NULL;
	/* input_insert admits scalar values only: each encodes. */
	for (size_t i = 0; i < in->len; i++)
		used += sotto_utf8_encode(in->cp[i], (uint8_t *)s + used);
	s[used] = '\0';
	*n = used;
	hist_push(in);
	in->len = in->cur = 0;
	in->hist_pos = in->hist_n;
	in->hscroll = 0;
	return s;
}

/* --- drawing ------------------------------------------------------------ */

static int cp_width(uint32_t cp)
{
	int w = wcwidth((wchar_t)cp);

	return w < 0 ? 1 : w;
}

/* Keep the cursor in view, jumping by a third of the width as irssi does,
 * so that typing at the edge does not scroll on every key; and leave no
 * more room than that unused on the right (after the terminal grew). */
static void hscroll_fit(struct input *in, int cur_x, int line_w, int avail)
{
	int jump = avail / 3 > 0 ? avail / 3 : 1;

	if (cur_x < in->hscroll)
		in->hscroll = cur_x - jump > 0 ? cur_x - jump : 0;
	else if (cur_x >= in->hscroll + avail)
		in->hscroll = cur_x - avail + jump;
	if (in->hscroll > cur_x)
		in->hscroll = cur_x;
	if (line_w < avail)
		in->hscroll = 0;
	else if (avail - (line_w - in->hscroll) > jump)
		in->hscroll = line_w - avail + jump;
}

static void line_draw(const struct input *in, WINDOW *w, int x0, int avail)
{
	wchar_t wc[2] = { 0, 0 };
	int x = 0, cw;
	cchar_t cc;

	for (size_t i = 0; i < in->len; i++, x += cw) {
		cw = cp_width(in->cp[i]);
		if (x < in->hscroll || (cw == 0 && x == in->hscroll))
			continue;
		if (x + cw > in->hscroll + avail)
			break;
		wc[0] = (wchar_t)in->cp[i];
		if (cw > 0)
			wmove(w, 0, x0 + x - in->hscroll);
		if (setcchar(&cc, wc, A_NORMAL, 0, NULL) == OK)
			wadd_wch(w, &cc);
	}
}

void input_draw(struct input *in, WINDOW *w, const char *prompt, int *cursor_x)
{
	int width = getmaxx(w), prompt_w, avail, cur_x = 0, line_w = 0;

	werase(w);
	wmove(w, 0, 0);
	prompt_w = ui_label_draw(w, prompt, width / 2, A_BOLD, 0);
	avail = width - prompt_w - 1;    /* the last column holds the cursor at the end */
	if (avail < 1)
		avail = 1;
	for (size_t i = 0; i < in->len; i++) {
		if (i == in->cur)
			cur_x = line_w;
		line_w += cp_width(in->cp[i]);
	}
	if (in->cur == in->len)
		cur_x = line_w;
	hscroll_fit(in, cur_x, line_w, avail);
	line_draw(in, w, prompt_w, avail);
	*cursor_x = prompt_w + cur_x - in->hscroll;
}
