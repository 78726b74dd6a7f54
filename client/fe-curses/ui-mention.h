/* SPDX-License-Identifier: ISC */
/* ui-mention.h: does a message mention us? */
#ifndef SOTTO_UI_MENTION_H
#define SOTTO_UI_MENTION_H

#include <stdbool.h>
#include <stddef.h>

/* True when nick occurs in text[0..n) as a whole word: ASCII letters
 * compared without case, and the bytes around it neither letters, digits,
 * '_', '-' nor part of a multi-byte character ("alice:", "@Alice", "hi
 * alice!" mention alice; "malice", "alice2" do not). */
bool mention_in(const char *text, size_t n, const char *nick);

#endif
