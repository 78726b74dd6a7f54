/* SPDX-License-Identifier: ISC */
/* picgen.h: small pictures of every previewed format, encoded in the test with the same libraries the client decodes with. */
#ifndef SOTTO_PICGEN_H
#define SOTTO_PICGEN_H

#include <stddef.h>
#include <stdint.h>

/* Each returns 0 and a malloc'd file in *out (*n bytes), or -1. */
int picgen_png(const uint8_t *rgba, unsigned w, unsigned h, uint8_t **out,
    size_t *n);
/* RGB from rgba (alpha dropped); progressive when asked. */
int picgen_jpeg(const uint8_t *rgba, unsigned w, unsigned h, int progressive,
    uint8_t **out, size_t *n);
/* idx: colour indices into pal (n_pal RGB triples, a power of two <= 256);
 * transparent: an index or -1; a second frame (all index 0) when frames 2. */
int picgen_gif(const uint8_t *idx, unsigned w, unsigned h, const uint8_t *pal,
    int n_pal, int transparent, int interlace, int frames, uint8_t **out,
    size_t *n);
/* Lossless. */
int picgen_webp(const uint8_t *rgba, unsigned w, unsigned h, uint8_t **out,
    size_t *n);
/* Two lossless frames: rgba first, then its colours inverted. */
int picgen_webp_anim(const uint8_t *rgba, unsigned w, unsigned h, uint8_t **out,
    size_t *n);

#endif
