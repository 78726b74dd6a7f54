/* SPDX-License-Identifier: ISC */
/* ui-curses.h: the one place curses is included, with the wide-character API switched on. */
#ifndef SOTTO_UI_CURSES_H
#define SOTTO_UI_CURSES_H

#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#include <curses.h>

#endif
