/* SPDX-License-Identifier: ISC */
/* ui-mention.c: finding our own name in a message, as a whole word, without case. */
#include <string.h>

#include "ui-mention.h"

static unsigned char fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

static bool word_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-' || c >= 0x80;
}

bool mention_in(const char *text, size_t n, const char *nick)
{
	const unsigned char *t = (const unsigned char *)text;
	const unsigned char *k = (const unsigned char *)nick;
	size_t kn = strlen(nick), i, j;

	if (kn == 0 || kn > n)
		return false;
	for (i = 0; i + kn <= n; i++) {
		if (i > 0 && word_byte(t[i - 1]))
			continue;
		for (j = 0; j < kn && fold(t[i + j]) == fold(k[j]); j++)
			;
		if (j == kn && (i + kn == n || !word_byte(t[i + kn])))
			return true;
	}
	return false;
}
