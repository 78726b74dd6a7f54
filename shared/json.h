/* SPDX-License-Identifier: ISC */
/* json.h: JSON output for batch mode: escaped strings and simple values. */
#ifndef SOTTO_JSON_H
#define SOTTO_JSON_H

#include <stddef.h>
#include <stdint.h>

struct sotto_wbuf;
/* Append s as a quoted JSON string. Control characters become \uXXXX,
 * invalid UTF-8 becomes U+FFFD, so the output is always valid JSON. */
int sotto_json_str(struct sotto_wbuf *out, const char *s, size_t n);
/* Append "key": to an object being written (key is trusted ASCII). */
int sotto_json_key(struct sotto_wbuf *out, const char *key);

/* sotto_utf8_valid and sotto_utf8_decode live in utf8.h (kept reachable
 * from here for the code written against this header). */
#include "utf8.h"

#endif
