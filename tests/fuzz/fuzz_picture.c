/* SPDX-License-Identifier: ISC */
/* fuzz_picture.c: any bytes as a received picture: decoding returns an error or pixels within the bounds, and the preview of those pixels is text and SGR colour only. */
#include <stdint.h>
#include <stdlib.h>

#include "decode.h"
#include "preview.h"

#define REQUIRE(c) do { if (!(c)) abort(); } while (0)

/* Smaller than the client's 64 MiB: a run stays fast under ASan, and the
 * bound is exercised more often. */
#define FUZZ_RGBA_MAX (1024u * 1024u)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sotto_picture pic;
	char *out;
	size_t len;

	if (sotto_picture_decode(data, size, 0, FUZZ_RGBA_MAX, &pic) != 0) {
		REQUIRE(pic.rgba == NULL && pic.width == 0 && pic.height == 0);
		return 0;
	}
	REQUIRE(pic.rgba != NULL && pic.width >= 1 && pic.height >= 1);
	REQUIRE(pic.width <= SOTTO_PREVIEW_PX_MAX && pic.height <= SOTTO_PREVIEW_PX_MAX);
	REQUIRE((size_t)pic.width * pic.height * 4u <= FUZZ_RGBA_MAX);
	/* Whatever the pixels, the preview renders and passes the check. */
	REQUIRE(sotto_preview_render(pic.rgba, pic.width, pic.height,
	    (size_t)pic.width * 4u, 40, 12, &out, &len) == 0);
	REQUIRE(sotto_preview_check(out, len) == 0);
	free(out);
	sotto_picture_free(&pic);
	return 0;
}
