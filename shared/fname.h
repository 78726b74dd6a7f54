/* SPDX-License-Identifier: ISC */
/* fname.h: turn a sender-supplied file name into one that is safe to create in the download folder. */
#ifndef SOTTO_FNAME_H
#define SOTTO_FNAME_H

#include <stddef.h>
#include <stdint.h>

/* Longest sanitised name in bytes (without the NUL). NAME_MAX is 255 on
 * Linux file systems; the download writer appends at most " (99)" before
 * the extension, so 200 leaves room and keeps names readable. */
#define SOTTO_FNAME_MAX      200u
/* An extension longer than this is treated as part of the stem when a
 * name has to be shortened. */
#define SOTTO_FNAME_EXT_MAX  16u
/* What an empty (or entirely stripped) name becomes. */
#define SOTTO_FNAME_EMPTY    "file"

/* Sanitise in[0..n) (untrusted bytes, any content) into out, a
 * NUL-terminated name that:
 *   - is valid UTF-8, 1..SOTTO_FNAME_MAX bytes, holds no NUL;
 *   - holds no '/' or '\\', no control character (C0, DEL, C1), no line
 *     or paragraph separator, no noncharacter U+FFFE/U+FFFF (each becomes
 *     '_'), and no bidi control, zero-width or invisible formatting
 *     character (dropped: they only exist to make a name look unlike what
 *     it is);
 *   - does not start with '.', '-' or a space ('.' and spaces are
 *     stripped, a leading '-' becomes '_', so it is never hidden nor
 *     taken for an option), and does not end with '.' or a space;
 *   - is not a DOS device name (CON, PRN, AUX, NUL, COM1-9, LPT1-9 in any
 *     case, with any extension): those get a '_' prefix, so a file copied
 *     to a shared Windows volume stays a file;
 *   - keeps its extension (up to SOTTO_FNAME_EXT_MAX bytes) when the stem
 *     is shortened, cutting only at a code point boundary.
 * Invalid UTF-8 bytes become '_' one byte at a time. The function is
 * idempotent: sanitising its own output changes nothing. Returns 0, or
 * SOTTO_E_ALLOC (out is then SOTTO_FNAME_EMPTY). */
int sotto_fname_sanitize(const uint8_t *in, size_t n,
    char out[static SOTTO_FNAME_MAX + 1]);

/* The code-point rules of sotto_fname_sanitize alone, for text shown as
 * a name (a member name, a path): every code point of in[0..n) kept,
 * made '_' or dropped as above, into out, which has room for n bytes (no
 * rule makes a code point longer) and may be in itself. With
 * SOTTO_FNAME_KEEP_SEP, '/' and '\\' are kept (a path). No NUL is
 * added. Returns the length written. */
#define SOTTO_FNAME_KEEP_SEP 0x1u
size_t sotto_fname_filter(const uint8_t *in, size_t n, uint8_t *out,
    unsigned flags);

/* 1 when the code point is dropped from names (bidi controls, zero-width
 * and other invisible format characters), else 0. */
int sotto_fname_is_invisible(uint32_t cp);

#endif
