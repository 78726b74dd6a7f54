/* SPDX-License-Identifier: ISC */
/* ui-pasted.c: what a bracketed paste becomes: text in the editor, one multi-line message, or (above a few lines, or over the message limit) a paste held until Enter. */
#include <stdlib.h>
#include <string.h>

#include "pad.h"
#include "ui.h"
#include "utf8.h"
#include "wire.h"

#define KEY_CTRL(c) ((c) & 0x1f)

/* A paste without line ends that fits goes into the editor as if typed;
 * a line that starts with it is text, never a command. */
static bool into_editor(struct ui *ui, const uint8_t *p, size_t n)
{
	size_t off = 0, k, cps = 0;
	bool was_empty = input_empty(&ui->in);
	uint32_t cp;

	if (memchr(p, '\n', n) != NULL)
		return false;
	for (off = 0; off < n; off += k, cps++)
		if ((k = sotto_utf8_decode(p + off, n - off, &cp)) == 0)
			return false;
	if (ui->in.len + cps > INPUT_MAX)
		return false;
	for (off = 0; off < n; off += k) {
		k = sotto_utf8_decode(p + off, n - off, &cp);
		input_insert(&ui->in, cp == '\t' ? ' ' : cp);
	}
	if (was_empty)
		ui->in_pasted = true;
	return true;
}

/* Send text as messages of at most SOTTO_TEXT_MAX bytes, cut at line ends
 * or spaces (the pieces put together are the text). */
static void send_parts(struct ui *ui, const char *s, size_t n)
{
	size_t parts = paste_parts(s, n, SOTTO_TEXT_MAX), k;

	while (n > 0) {
		k = paste_part(s, n, SOTTO_TEXT_MAX);
		ui_say(ui, SOTTO_CT_TEXT, s, k);
		s += k;
		n -= k;
	}
	if (parts > 1)
		ui_line(ui, SB_INFO, "the paste went as %zu messages (at most %u bytes "
		    "each)", parts, SOTTO_TEXT_MAX);
}

/* Bytes of UTF-8 line that hold its first cps code points. */
static size_t bytes_of(const char *line, size_t n, size_t cps)
{
	size_t i = 0, k;
	uint32_t cp;

	while (i < n && cps-- > 0 &&
	    (k = sotto_utf8_decode((const uint8_t *)line + i, n - i, &cp)) > 0)
		i += k;
	return i;
}

/* The whole line: what was typed, the paste at the cursor. The editor is
 * emptied (its line goes to the history as if sent). */
static char *with_editor(struct ui *ui, const uint8_t *p, size_t n, size_t *len)
{
	size_t cur = ui->in.cur, line_n, head_n;
	char *line, *out;

	if ((line = input_take(&ui->in, &line_n)) == NULL)
		return NULL;
	head_n = bytes_of(line, line_n, cur);
	if ((out = malloc(line_n + n + 1)) == NULL) {
		free(line);
		return NULL;
	}
	memcpy(out, line, head_n);
	memcpy(out + head_n, p, n);
	memcpy(out + head_n + n, line + head_n, line_n - head_n);
	*len = line_n + n;
	out[*len] = '\0';
	free(line);
	return out;
}

void ui_paste_done(struct ui *ui)
{
	const uint8_t *p = ui->paste.text.p;
	size_t n = ui->paste.text.len, lines = paste_lines(&ui->paste), len, parts;
	char *text;

	if (ui->paste.dropped > 0)
		ui_line(ui, SB_INFO, "%zu control character%s left out of the paste",
		    ui->paste.dropped, ui->paste.dropped == 1 ? "" : "s");
	if (ui->paste.cut)
		ui_line(ui, SB_WARN, "the paste was longer than %u bytes: only the "
		    "first %u are kept", PASTE_MAX_BYTES, PASTE_MAX_BYTES);
	if (n == 0 || into_editor(ui, p, n))
		return;
	if ((text = with_editor(ui, p, n, &len)) == NULL) {
		ui_line(ui, SB_ERROR, "out of memory: paste dropped");
		return;
	}
	parts = paste_parts(text, len, SOTTO_TEXT_MAX);
	if (lines <= PASTE_ASK_LINES && parts == 1) {
		send_parts(ui, text, len);
		free(text);
		return;
	}
	free(ui->held);
	ui->held = text;
	ui->held_len = len;
	if (parts > 1)
		ui_line(ui, SB_INFO, "paste of %zu line%s, %zu bytes: split into %zu "
		    "messages; Enter sends, Esc drops it", lines, lines == 1 ? "" : "s",
		    len, parts);
	else
		ui_line(ui, SB_INFO, "paste of %zu lines, %zu bytes: Enter sends it as "
		    "one message, Esc drops it", lines, len);
}

/* While a paste is held: Enter sends it, Esc, Ctrl-C or Ctrl-U drops it;
 * other keys do nothing (true: the key was taken). */
bool ui_held_key(struct ui *ui, int code, wint_t ch)
{
	if (code == KEY_CODE_YES && ch == KEY_RESIZE)
		return false;
	if ((code == KEY_CODE_YES && ch == KEY_ENTER) ||
	    (code != KEY_CODE_YES && (ch == '\r' || ch == '\n'))) {
		send_parts(ui, ui->held, ui->held_len);
	} else if (code != KEY_CODE_YES && (ch == 0x1b || ch == KEY_CTRL('c') ||
	    ch == KEY_CTRL('u'))) {
		ui_line(ui, SB_INFO, "paste dropped");
	} else {
		return true;
	}
	free(ui->held);
	ui->held = NULL;
	ui->held_len = 0;
	return true;
}
