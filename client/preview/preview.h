/* SPDX-License-Identifier: ISC */
/* preview.h: a picture's pixels as a small block of terminal cells (libchafa, symbols mode), checked to hold nothing but text and SGR colour. */
#ifndef SOTTO_PREVIEW_H
#define SOTTO_PREVIEW_H

#include <stddef.h>
#include <stdint.h>

/* Pictures larger than this on either side are refused before any work. */
#define SOTTO_PREVIEW_PX_MAX    8192u
/* Largest preview in cells. */
#define SOTTO_PREVIEW_COLS_MAX  200u
#define SOTTO_PREVIEW_ROWS_MAX  100u

/* Render width x height RGBA8 (unassociated alpha) pixels, rows
 * rowstride bytes apart, into at most cols x rows terminal cells, keeping
 * the aspect ratio (cells taken as twice as high as wide). The result is
 * UTF-8 text (Unicode block symbols) with 256-colour SGR sequences, rows
 * separated by '\n'; malloc'd and NUL-terminated in *out, its length in
 * *out_len. Returns 0, SOTTO_E_INVAL (sizes out of range, rowstride too
 * small), SOTTO_E_ALLOC, or SOTTO_E_FORMAT when the renderer's output
 * failed sotto_preview_check (then nothing is returned). */
int sotto_preview_render(const uint8_t *rgba, unsigned width, unsigned height,
    size_t rowstride, unsigned cols, unsigned rows, char **out, size_t *out_len);

/* 0 when s[0..n) is valid UTF-8 whose only control characters are '\n'
 * and ESC starting an SGR sequence (ESC '[' digits and ';' 'm'), else
 * SOTTO_E_FORMAT: what the curses UI may print of a preview. */
int sotto_preview_check(const char *s, size_t n);

#endif
