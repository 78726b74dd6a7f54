/* SPDX-License-Identifier: ISC */
/* preview.c: render pixels to Unicode block symbols with libchafa and refuse anything but text and SGR in the result. */
#include <chafa.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "preview.h"
#include "utf8.h"

/* One SGR sequence at rd (after its ESC): '[' then digits and ';', then
 * 'm'. Moves rd past it; SOTTO_E_FORMAT for any other sequence. */
static int
preview_sgr(struct sotto_rd *rd)
{
	uint8_t c;

	if (sotto_rd_u8(rd, &c) != 0 || c != '[')
		return SOTTO_E_FORMAT;
	while (sotto_rd_u8(rd, &c) == 0) {
		if (c == 'm')
			return 0;
		if ((c < '0' || c > '9') && c != ';')
			return SOTTO_E_FORMAT;
	}
	return SOTTO_E_FORMAT;
}

int
sotto_preview_check(const char *s, size_t n)
{
	struct sotto_rd rd;
	uint32_t cp;
	int r;

	sotto_rd_init(&rd, s, n);
	while (sotto_rd_left(&rd) > 0) {
		if ((r = sotto_utf8_next(&rd, &cp)) != 0)
			return SOTTO_E_FORMAT;
		if (cp == 0x1b) {
			if (preview_sgr(&rd) != 0)
				return SOTTO_E_FORMAT;
		} else if (cp != '\n' && sotto_unicode_is_cc(cp))
			return SOTTO_E_FORMAT;
	}
	return 0;
}

static ChafaCanvas *
preview_canvas(unsigned cols, unsigned rows)
{
	ChafaSymbolMap *map = chafa_symbol_map_new();
	ChafaCanvasConfig *cfg = chafa_canvas_config_new();
	ChafaCanvas *canvas;

	/* On the caller's thread: chafa would start a worker per core,
	 * whose per-thread GLib state outlives them (and a 40 x 12 preview
	 * gains nothing from them). */
	chafa_set_n_threads(1);
	chafa_symbol_map_add_by_tags(map, CHAFA_SYMBOL_TAG_SPACE |
	    CHAFA_SYMBOL_TAG_SOLID | CHAFA_SYMBOL_TAG_BLOCK | CHAFA_SYMBOL_TAG_HALF);
	chafa_canvas_config_set_symbol_map(cfg, map);
	chafa_canvas_config_set_geometry(cfg, (gint)cols, (gint)rows);
	chafa_canvas_config_set_canvas_mode(cfg, CHAFA_CANVAS_MODE_INDEXED_256);
	chafa_canvas_config_set_pixel_mode(cfg, CHAFA_PIXEL_MODE_SYMBOLS);
	/* No cursor movement (SKIP_CELLS) or REP (REPEAT_CELLS) in the
	 * output: only what sotto_preview_check allows. */
	chafa_canvas_config_set_optimizations(cfg,
	    CHAFA_OPTIMIZATION_REUSE_ATTRIBUTES);
	canvas = chafa_canvas_new(cfg);
	chafa_canvas_config_unref(cfg);
	chafa_symbol_map_unref(map);
	return canvas;
}

int
sotto_preview_render(const uint8_t *rgba, unsigned width, unsigned height,
    size_t rowstride, unsigned cols, unsigned rows, char **out, size_t *out_len)
{
	static char *term_env[] = { "TERM=xterm-256color", NULL };
	ChafaTermDb *db;
	ChafaTermInfo *ti;
	ChafaCanvas *canvas;
	GString *gs;
	gint w = (gint)cols, h = (gint)rows;
	int r;

	*out = NULL;
	*out_len = 0;
	if (width == 0 || height == 0 || width > SOTTO_PREVIEW_PX_MAX ||
	    height > SOTTO_PREVIEW_PX_MAX || rowstride < (size_t)width * 4u ||
	    cols == 0 || rows == 0 || cols > SOTTO_PREVIEW_COLS_MAX ||
	    rows > SOTTO_PREVIEW_ROWS_MAX || rgba == NULL)
		return SOTTO_E_INVAL;
	chafa_calc_canvas_geometry((gint)width, (gint)height, &w, &h, 0.5f,
	    FALSE, FALSE);
	if (w < 1)
		w = 1;
	if (h < 1)
		h = 1;
	if ((canvas = preview_canvas((unsigned)w, (unsigned)h)) == NULL)
		return SOTTO_E_ALLOC;
	chafa_canvas_draw_all_pixels(canvas, CHAFA_PIXEL_RGBA8_UNASSOCIATED,
	    rgba, (gint)width, (gint)height, (gint)rowstride);
	/* A fixed terminal description: what we print must not depend on
	 * the environment of whoever runs the client. */
	db = chafa_term_db_get_default();
	ti = chafa_term_db_detect(db, term_env);
	gs = chafa_canvas_print(canvas, ti);
	chafa_term_info_unref(ti);
	chafa_canvas_unref(canvas);
	if (gs == NULL)
		return SOTTO_E_ALLOC;
	if ((r = sotto_preview_check(gs->str, gs->len)) == 0) {
		*out_len = gs->len;
		*out = g_string_free(gs, FALSE);
		return 0;
	}
	g_string_free(gs, TRUE);
	return r;
}
