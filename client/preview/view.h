/* SPDX-License-Identifier: ISC */
/* view.h: a picture as large as the terminal, for /view outside curses: chafa's terminal detection picks kitty, sixels or symbols, and the output is checked against what that mode may contain. */
#ifndef SOTTO_VIEW_H
#define SOTTO_VIEW_H

#include <stddef.h>
#include <stdint.h>

enum sotto_view_mode {
	SOTTO_VIEW_SYMBOLS,   /* Unicode block symbols and SGR colour */
	SOTTO_VIEW_SIXELS,    /* one DEC sixel image (DCS ... ST) */
	SOTTO_VIEW_KITTY,     /* kitty graphics protocol (APC G ... ST) */
};

/* A view of more cells than this is rendered at this size. */
#define SOTTO_VIEW_COLS_MAX  400u
#define SOTTO_VIEW_ROWS_MAX  200u
/* Pixels per cell taken when the terminal does not say, and at most. */
#define SOTTO_VIEW_CELL_W    10u
#define SOTTO_VIEW_CELL_H    20u
#define SOTTO_VIEW_CELL_MAX  64u

/* The mode the terminal described by envp (TERM, TERM_PROGRAM,
 * KITTY_WINDOW_ID, ... as chafa reads them) shows best. iTerm2's inline
 * images are not used: that terminal gets symbols. */
enum sotto_view_mode sotto_view_detect(char **envp);

/* Render RGBA8 pixels (as sotto_preview_render) into at most cols x rows
 * cells of cell_w x cell_h pixels (0: the defaults above), in mode, with
 * the colours envp's terminal takes. The result passes sotto_view_check
 * for mode, else SOTTO_E_FORMAT and nothing is returned. 0, SOTTO_E_INVAL,
 * SOTTO_E_ALLOC, SOTTO_E_FORMAT; *out malloc'd and NUL-terminated. */
int sotto_view_render(enum sotto_view_mode mode, const uint8_t *rgba,
    unsigned width, unsigned height, size_t rowstride, unsigned cols,
    unsigned rows, unsigned cell_w, unsigned cell_h, char **envp, char **out,
    size_t *out_len);

/*
 * What the terminal may be sent in mode (docs/ui.md "Files"):
 * - SYMBOLS: sotto_preview_check (UTF-8 text, '\n', SGR ESC [ digits/';' m);
 * - SIXELS: '\n' and DCS images only: ESC P, digits/';', 'q', then sixel
 *   data bytes 0x21..0x7e, ended by ST (ESC \);
 * - KITTY: '\n' and kitty graphics commands only: ESC _ G, keys and values
 *   [A-Za-z0-9=,], optionally ';' and base64 [A-Za-z0-9+/=], ended by ST.
 * No other escape, control character or byte: 0, else SOTTO_E_FORMAT.
 */
int sotto_view_check(enum sotto_view_mode mode, const char *s, size_t n);

#endif
