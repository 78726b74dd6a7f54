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

/* UTF-8 check: 0 when p[0..n) is valid UTF-8 (no overlongs, surrogates). */
int sotto_utf8_valid(const uint8_t *p, size_t n);
/* Decode one code point at p (n bytes available): returns its length
 * (1..4) and sets *cp, or 0 when invalid. */
size_t sotto_utf8_decode(const uint8_t *p, size_t n, uint32_t *cp);

#endif
