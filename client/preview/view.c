/* SPDX-License-Identifier: ISC */
/* view.c: /view's full-terminal rendering (kitty, sixels or symbols, as chafa detects the terminal) and the check of its output against what the mode may send. */
#include <chafa.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "preview.h"
#include "view.h"

enum sotto_view_mode
sotto_view_detect(char **envp)
{
	ChafaTermInfo *ti = chafa_term_db_detect(chafa_term_db_get_default(), envp);
	enum sotto_view_mode m = SOTTO_VIEW_SYMBOLS;

	if (ti == NULL)
		return m;
	if (chafa_term_info_have_seq(ti, CHAFA_TERM_SEQ_BEGIN_KITTY_IMMEDIATE_IMAGE_V1))
		m = SOTTO_VIEW_KITTY;
	else if (chafa_term_info_have_seq(ti, CHAFA_TERM_SEQ_BEGIN_SIXELS))
		m = SOTTO_VIEW_SIXELS;
	chafa_term_info_unref(ti);
	return m;
}

/* The richest colours the terminal's description has sequences for. */
static ChafaCanvasMode
view_colours(ChafaTermInfo *ti)
{
	if (chafa_term_info_have_seq(ti, CHAFA_TERM_SEQ_SET_COLOR_FGBG_DIRECT))
		return CHAFA_CANVAS_MODE_TRUECOLOR;
	if (chafa_term_info_have_seq(ti, CHAFA_TERM_SEQ_SET_COLOR_FGBG_256))
		return CHAFA_CANVAS_MODE_INDEXED_256;
	if (chafa_term_info_have_seq(ti, CHAFA_TERM_SEQ_SET_COLOR_FGBG_16))
		return CHAFA_CANVAS_MODE_INDEXED_16;
	return CHAFA_CANVAS_MODE_FGBG;
}

static ChafaCanvas *
view_canvas(enum sotto_view_mode mode, ChafaTermInfo *ti, gint cols, gint rows,
    unsigned cell_w, unsigned cell_h)
{
	static const ChafaPixelMode pm[] = { CHAFA_PIXEL_MODE_SYMBOLS,
	    CHAFA_PIXEL_MODE_SIXELS, CHAFA_PIXEL_MODE_KITTY };
	ChafaCanvasConfig *cfg = chafa_canvas_config_new();
	ChafaSymbolMap *map = chafa_symbol_map_new();
	ChafaCanvas *canvas;

	chafa_set_n_threads(1);     /* as preview.c: no worker threads */
	chafa_symbol_map_add_by_tags(map, CHAFA_SYMBOL_TAG_SPACE |
	    CHAFA_SYMBOL_TAG_SOLID | CHAFA_SYMBOL_TAG_BLOCK | CHAFA_SYMBOL_TAG_HALF |
	    CHAFA_SYMBOL_TAG_QUAD);
	chafa_canvas_config_set_symbol_map(cfg, map);
	chafa_canvas_config_set_geometry(cfg, cols, rows);
	chafa_canvas_config_set_cell_geometry(cfg, (gint)cell_w, (gint)cell_h);
	chafa_canvas_config_set_canvas_mode(cfg, mode == SOTTO_VIEW_SYMBOLS ?
	    view_colours(ti) : CHAFA_CANVAS_MODE_TRUECOLOR);
	chafa_canvas_config_set_pixel_mode(cfg, pm[mode]);
	chafa_canvas_config_set_optimizations(cfg,
	    CHAFA_OPTIMIZATION_REUSE_ATTRIBUTES);
	canvas = chafa_canvas_new(cfg);
	chafa_canvas_config_unref(cfg);
	chafa_symbol_map_unref(map);
	return canvas;
}

static unsigned
clamp(unsigned v, unsigned dflt, unsigned max)
{
	return v == 0 ? dflt : v > max ? max : v;
}

int
sotto_view_render(enum sotto_view_mode mode, const uint8_t *rgba,
    unsigned width, unsigned height, size_t rowstride, unsigned cols,
    unsigned rows, unsigned cell_w, unsigned cell_h, char **envp, char **out,
    size_t *out_len)
{
	ChafaTermDb *db = chafa_term_db_get_default();
	ChafaTermInfo *ti, *fb;
	ChafaCanvas *canvas;
	GString *gs;
	gint w, h;
	int r;

	*out = NULL;
	*out_len = 0;
	if (rgba == NULL || width == 0 || height == 0 || cols == 0 || rows == 0 ||
	    width > SOTTO_PREVIEW_PX_MAX || height > SOTTO_PREVIEW_PX_MAX ||
	    rowstride < (size_t)width * 4u || (unsigned)mode > SOTTO_VIEW_KITTY)
		return SOTTO_E_INVAL;
	w = (gint)(cols > SOTTO_VIEW_COLS_MAX ? SOTTO_VIEW_COLS_MAX : cols);
	h = (gint)(rows > SOTTO_VIEW_ROWS_MAX ? SOTTO_VIEW_ROWS_MAX : rows);
	cell_w = clamp(cell_w, SOTTO_VIEW_CELL_W, SOTTO_VIEW_CELL_MAX);
	cell_h = clamp(cell_h, SOTTO_VIEW_CELL_H, SOTTO_VIEW_CELL_MAX);
	chafa_calc_canvas_geometry((gint)width, (gint)height, &w, &h,
	    (gfloat)cell_w / (gfloat)cell_h, FALSE, FALSE);
	w = w < 1 ? 1 : w;
	h = h < 1 ? 1 : h;
	/* The terminal's own sequences, completed by chafa's fallback ones
	 * for a mode it was not detected to have (tests pick the mode). */
	if ((ti = chafa_term_db_detect(db, envp)) == NULL)
		return SOTTO_E_ALLOC;
	fb = chafa_term_db_get_fallback_info(db);
	chafa_term_info_supplement(ti, fb);
	chafa_term_info_unref(fb);
	if ((canvas = view_canvas(mode, ti, w, h, cell_w, cell_h)) == NULL) {
		chafa_term_info_unref(ti);
		return SOTTO_E_ALLOC;
	}
	chafa_canvas_draw_all_pixels(canvas, CHAFA_PIXEL_RGBA8_UNASSOCIATED,
	    rgba, (gint)width, (gint)height, (gint)rowstride);
	gs = chafa_canvas_print(canvas, ti);
	chafa_canvas_unref(canvas);
	chafa_term_info_unref(ti);
	if (gs == NULL)
		return SOTTO_E_ALLOC;
	if ((r = sotto_view_check(mode, gs->str, gs->len)) != 0) {
		g_string_free(gs, TRUE);
		return r;
	}
	*out_len = gs->len;
	*out = g_string_free(gs, FALSE);
	return 0;
}

/* --- the check ---------------------------------------------------------- */

/* Bytes up to ST (ESC \) all in the class ok(); rd is left past ST. */
static int
view_until_st(struct sotto_rd *rd, int (*ok)(uint8_t c))
{
	uint8_t c;

	while (sotto_rd_u8(rd, &c) == 0) {
		if (c == 0x1b)
			return sotto_rd_u8(rd, &c) == 0 && c == '\\' ? 0 : SOTTO_E_FORMAT;
		if (!ok(c))
			return SOTTO_E_FORMAT;
	}
	return SOTTO_E_FORMAT;
}

static int
sixel_data(uint8_t c)
{
	return c >= 0x21 && c <= 0x7e;
}

static int
kitty_byte(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '=' || c == ',' || c == ';' ||
	    c == '+' || c == '/';
}

/* After ESC: 'P', digits/';', 'q', sixel data, ST. */
static int
view_sixel(struct sotto_rd *rd)
{
	uint8_t c;

	if (sotto_rd_u8(rd, &c) != 0 || c != 'P')
		return SOTTO_E_FORMAT;
	while (sotto_rd_u8(rd, &c) == 0 && ((c >= '0' && c <= '9') || c == ';'))
		;
	if (c != 'q')
		return SOTTO_E_FORMAT;
	return view_until_st(rd, sixel_data);
}

/* After ESC: '_', 'G', keys, values and base64 payload, ST. (A ';' may
 * appear more than once this way: harmless, the terminal parses.) */
static int
view_kitty(struct sotto_rd *rd)
{
	uint8_t c;

	if (sotto_rd_u8(rd, &c) != 0 || c != '_' ||
	    sotto_rd_u8(rd, &c) != 0 || c != 'G')
		return SOTTO_E_FORMAT;
	return view_until_st(rd, kitty_byte);
}

int
sotto_view_check(enum sotto_view_mode mode, const char *s, size_t n)
{
	struct sotto_rd rd;
	uint8_t c;
	int r;

	if (mode == SOTTO_VIEW_SYMBOLS)
		return sotto_preview_check(s, n);
	if (mode != SOTTO_VIEW_SIXELS && mode != SOTTO_VIEW_KITTY)
		return SOTTO_E_FORMAT;
	sotto_rd_init(&rd, s, n);
	while (sotto_rd_u8(&rd, &c) == 0) {
		if (c == '\n')
			continue;
		if (c != 0x1b)
			return SOTTO_E_FORMAT;
		r = mode == SOTTO_VIEW_SIXELS ? view_sixel(&rd) : view_kitty(&rd);
		if (r != 0)
			return r;
	}
	return 0;
}
