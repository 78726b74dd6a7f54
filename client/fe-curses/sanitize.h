/* SPDX-License-Identifier: ISC */
/* sanitize.h: turn untrusted bytes (message text, member names) into text
 * that is safe to put on a terminal.
 *
 * A member must not be able to move the cursor, clear or recolour the
 * screen, retitle the window, or reorder what others see. So every C0 and
 * C1 control, DEL, escape sequence, bidirectional control and invalid UTF-8
 * byte is replaced by a visible stand-in ("^[", "\u{202e}", "\xff") that the
 * UI draws dimmed. Everything else passes through unchanged.
 *
 * The output of sanitize_next/sanitize_str is valid UTF-8 and holds no byte
 * below 0x20, no 0x7f, no code point U+0080..U+009F and no bidi control.
 */
#ifndef SOTTO_SANITIZE_H
#define SOTTO_SANITIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest escape sequence shown as one dimmed piece ("^[" + its bytes). */
#define SAN_ESC_MAX    32u
/* Room for the longest piece: "^[" and SAN_ESC_MAX bytes, or one code point. */
#define SAN_PIECE_MAX  (2u + SAN_ESC_MAX + 1u)

/* Flags. */
#define SAN_TAB_SPACE  0x1u   /* message text: TAB shows as one plain space */

/* One unit of input made safe: a code point passed through, or the visible
 * stand-in for something neutralised (marked: drawn dim). */
struct san_piece {
	char   text[SAN_PIECE_MAX];   /* UTF-8, NUL-terminated */
	size_t len;
	bool   marked;
};

/* Consume one unit from p[0..n) (n > 0): a valid code point, an escape
 * sequence, or one invalid byte. Fills *pc; returns the bytes consumed (>= 1). */
size_t sanitize_next(const uint8_t *p, size_t n, struct san_piece *pc,
    unsigned flags);

/* Whole-buffer form: writes the sanitized text of in[0..n) to out
 * (NUL-terminated, cut at a piece boundary when cap is short) and returns
 * its length. cap must be at least 1. */
size_t sanitize_str(const void *in, size_t n, char *out, size_t cap,
    unsigned flags);

/* True when code point cp may be shown as itself (used by the line editor
 * to refuse pasted controls). */
bool sanitize_cp_ok(uint32_t cp);

#endif
