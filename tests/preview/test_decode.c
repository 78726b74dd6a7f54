/* SPDX-License-Identifier: ISC */
/* test_decode.c: PNG, JPEG, GIF and WebP decode to the pixels encoded; truncated, corrupt and oversized pictures are refused (oversized ones before any pixel buffer); the name never decides the format. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "check.h"
#include "decode.h"
#include "err.h"
#include "picgen.h"
#include "preview.h"

#define W 37u
#define H 23u

static uint8_t rgba[H * W * 4];
static uint8_t idx[H * W];
static uint8_t pal[256 * 3];

static void
fill(void)
{
	unsigned x, y, i;

	for (y = 0; y < H; y++)
		for (x = 0; x < W; x++) {
			uint8_t *p = rgba + ((size_t)y * W + x) * 4u;

			p[0] = (uint8_t)(x * 255u / (W - 1));
			p[1] = (uint8_t)(y * 255u / (H - 1));
			p[2] = (uint8_t)((x + y) * 3u);
			p[3] = (uint8_t)(x < 4 ? 0 : 255);
			idx[y * W + x] = (uint8_t)((x * 7u + y * 13u) % 256u);
		}
	for (i = 0; i < 256; i++) {
		pal[i * 3] = (uint8_t)i;
		pal[i * 3 + 1] = (uint8_t)(255u - i);
		pal[i * 3 + 2] = (uint8_t)(i * 5u);
	}
}

/* Largest difference of any channel (alpha: only where want is opaque). */
static unsigned
max_diff(const uint8_t *got, const uint8_t *want, int check_alpha)
{
	unsigned d = 0, k, c;

	for (k = 0; k < W * H * 4u; k++) {
		if (k % 4u == 3u && !check_alpha)
			continue;
		c = got[k] > want[k] ? got[k] - want[k] : want[k] - got[k];
		if (c > d)
			d = c;
	}
	return d;
}

/* Every prefix shorter than len - tail is refused, with nothing left in pic. */
static void
check_truncated(const char *what, const uint8_t *f, size_t len, size_t tail)
{
	struct sotto_picture pic;
	size_t cut, bad = 0;

	for (cut = 0; cut + tail < len; cut++) {
		if (sotto_picture_decode(f, cut, 0, 0, &pic) == 0) {
			if (bad++ == 0)
				fprintf(stderr, "%s: a %zu-byte prefix of %zu decoded\n",
				    what, cut, len);
			sotto_picture_free(&pic);
		}
		CHECK(pic.rgba == NULL && pic.width == 0 && pic.height == 0);
	}
	CHECK_EQ(bad, 0);
}

/* Flip each byte in turn: never a crash (ASan watches), and the result is
 * either an error with nothing in pic or a picture of the same size. */
static void
check_flips(const uint8_t *f, size_t len)
{
	struct sotto_picture pic;
	uint8_t *g = malloc(len);
	size_t i;

	if (g == NULL)
		return;
	for (i = 0; i < len; i++) {
		memcpy(g, f, len);
		g[i] ^= 0x5a;
		if (sotto_picture_decode(g, len, 0, 0, &pic) == 0) {
			CHECK(pic.rgba != NULL && pic.width > 0 && pic.height > 0 &&
			    pic.width <= SOTTO_PREVIEW_PX_MAX);
			sotto_picture_free(&pic);
		} else {
			CHECK(pic.rgba == NULL);
		}
	}
	free(g);
}

static void
test_png(void)
{
	struct sotto_picture pic;
	uint8_t *f, *g;
	size_t n;

	CHECK_EQ(picgen_png(rgba, W, H, &f, &n), 0);
	CHECK_EQ(sotto_picture_decode(f, n, 0, 0, &pic), 0);
	CHECK(pic.width == W && pic.height == H);
	if (pic.rgba != NULL)
		CHECK_EQ(max_diff(pic.rgba, rgba, 1), 0);
	sotto_picture_free(&pic);
	CHECK(pic.rgba == NULL);
	/* The IEND chunk (12 bytes) is not needed for the pixels. */
	check_truncated("png", f, n, 12);
	/* A flipped byte in the pixel data: its CRC (and zlib's) catch it. */
	if ((g = malloc(n)) != NULL) {
		memcpy(g, f, n);
		g[n - 20] ^= 0x01;
		CHECK_EQ(sotto_picture_decode(g, n, 0, 0, &pic), SOTTO_E_FORMAT);
		free(g);
	}
	check_flips(f, n);
	free(f);
}

static void
test_jpeg(void)
{
	struct sotto_picture pic;
	uint8_t *f;
	size_t n;
	int prog;

	for (prog = 0; prog <= 1; prog++) {
		CHECK_EQ(picgen_jpeg(rgba, W, H, prog, &f, &n), 0);
		CHECK_EQ(sotto_picture_decode(f, n, 0, 0, &pic), 0);
		CHECK(pic.width == W && pic.height == H);
		if (pic.rgba != NULL) {
			/* Lossy at quality 95; alpha is opaque. */
			CHECK(max_diff(pic.rgba, rgba, 0) < 40);
			CHECK(pic.rgba[3] == 255 && pic.rgba[W * H * 4 - 1] == 255);
		}
		sotto_picture_free(&pic);
		/* Even the missing EOI is a truncation (libjpeg would pad grey). */
		check_truncated(prog ? "progressive jpeg" : "jpeg", f, n, 0);
		check_flips(f, n);
		free(f);
	}
}

/* A big photo decodes smaller when asked (1/2, 1/4, 1/8), never below want. */
static void
test_jpeg_scaled(void)
{
	enum { BW = 640, BH = 400 };
	struct sotto_picture pic;
	uint8_t *big = calloc((size_t)BW * BH, 4), *f;
	size_t n;

	if (big == NULL)
		return;
	CHECK_EQ(picgen_jpeg(big, BW, BH, 0, &f, &n), 0);
	CHECK_EQ(sotto_picture_decode(f, n, 80, 0, &pic), 0);
	CHECK(pic.width == BW / 8 && pic.height == BH / 8);
	sotto_picture_free(&pic);
	CHECK_EQ(sotto_picture_decode(f, n, 200, 0, &pic), 0);
	CHECK(pic.width == BW / 2 && pic.height == BH / 2);
	sotto_picture_free(&pic);
	CHECK_EQ(sotto_picture_decode(f, n, 0, 0, &pic), 0);
	CHECK(pic.width == BW && pic.height == BH);
	sotto_picture_free(&pic);
	free(f);
	free(big);
}

/* The GIF's expected pixels: pal[idx], transparent index t clear. */
static void
gif_expect(uint8_t *want, int t)
{
	size_t k;

	for (k = 0; k < W * H; k++) {
		memcpy(want + k * 4u, pal + idx[k] * 3u, 3);
		want[k * 4u + 3] = idx[k] == t ? 0 : 255;
		if (idx[k] == t)
			memset(want + k * 4u, 0, 3);
	}
}

static void
test_gif(void)
{
	static uint8_t want[W * H * 4];
	struct sotto_picture pic;
	uint8_t *f;
	size_t n;
	int il, frames;

	for (il = 0; il <= 1; il++)
		for (frames = 1; frames <= 2; frames++) {
			CHECK_EQ(picgen_gif(idx, W, H, pal, 256, 7, il, frames, &f, &n), 0);
			CHECK_EQ(sotto_picture_decode(f, n, 0, 0, &pic), 0);
			CHECK(pic.width == W && pic.height == H);
			gif_expect(want, 7);
			/* The first frame only, interlaced rows in their places. */
			if (pic.rgba != NULL)
				CHECK_EQ(max_diff(pic.rgba, want, 1), 0);
			sotto_picture_free(&pic);
			if (frames == 1) {
				/* Only the trailer (';') is not needed. */
				check_truncated(il ? "interlaced gif" : "gif", f, n, 1);
				check_flips(f, n);
			}
			free(f);
		}
}

static void
test_webp(void)
{
	struct sotto_picture pic;
	uint8_t *f;
	size_t n, k;

	CHECK_EQ(picgen_webp(rgba, W, H, &f, &n), 0);
	CHECK_EQ(sotto_picture_decode(f, n, 0, 0, &pic), 0);
	CHECK(pic.width == W && pic.height == H);
	/* Lossless; fully transparent pixels may keep any colour. */
	if (pic.rgba != NULL)
		for (k = 0; k < W * H; k++)
			if (rgba[k * 4 + 3] == 255)
				CHECK_MEM(pic.rgba + k * 4, rgba + k * 4, 4);
	sotto_picture_free(&pic);
	check_truncated("webp", f, n, 0);
	check_flips(f, n);
	free(f);
	/* An animation: its first frame, not the second (inverted). */
	CHECK_EQ(picgen_webp_anim(rgba, W, H, &f, &n), 0);
	CHECK_EQ(sotto_picture_decode(f, n, 0, 0, &pic), 0);
	CHECK(pic.width == W && pic.height == H);
	if (pic.rgba != NULL)
		CHECK_MEM(pic.rgba + 10 * 4, rgba + 10 * 4, 4);
	sotto_picture_free(&pic);
	check_truncated("animated webp", f, n, 0);
	free(f);
}

/* A PNG whose IHDR says w x h (with a correct CRC), then the first bytes
 * of its pixel data: no more. */
static size_t
png_header(uint8_t *out, uint32_t w, uint32_t h)
{
	static const uint8_t sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	uint8_t *p = out + 8;
	uLong crc;

	memcpy(out, sig, 8);
	p[0] = 0; p[1] = 0; p[2] = 0; p[3] = 13;
	memcpy(p + 4, "IHDR", 4);
	p[8] = (uint8_t)(w >> 24); p[9] = (uint8_t)(w >> 16);
	p[10] = (uint8_t)(w >> 8); p[11] = (uint8_t)w;
	p[12] = (uint8_t)(h >> 24); p[13] = (uint8_t)(h >> 16);
	p[14] = (uint8_t)(h >> 8); p[15] = (uint8_t)h;
	p[16] = 8; p[17] = 6; p[18] = 0; p[19] = 0; p[20] = 0;  /* RGBA8 */
	crc = crc32(0, p + 4, 17);
	p[21] = (uint8_t)(crc >> 24); p[22] = (uint8_t)(crc >> 16);
	p[23] = (uint8_t)(crc >> 8); p[24] = (uint8_t)crc;
	/* The start of an IDAT: libpng reads the header up to here. */
	memcpy(p + 25, "\0\0\0\2IDAT\x78\x9c", 10);
	return 8 + 35;
}

/* A lossless WebP whose VP8L header says w x h (1..16384 each). */
static size_t
webp_header(uint8_t *out, uint32_t w, uint32_t h)
{
	uint32_t bits = (w - 1) | ((h - 1) << 14) | (1u << 28);

	memcpy(out, "RIFF\x1a\0\0\0WEBPVP8L\x0d\0\0\0\x2f", 21);
	out[21] = (uint8_t)bits; out[22] = (uint8_t)(bits >> 8);
	out[23] = (uint8_t)(bits >> 16); out[24] = (uint8_t)(bits >> 24);
	memset(out + 25, 0, 9);
	return 34;
}

/* Sizes over the bounds are refused from the header, before any pixel
 * buffer is allocated, and with SOTTO_E_TOOLONG (not a failed malloc). */
static void
test_oversized(void)
{
	struct sotto_picture pic;
	unsigned long before;
	uint8_t buf[64], *f;
	size_t n;

	before = sotto_picture_allocs;
	n = png_header(buf, 100000, 100000);
	CHECK_EQ(sotto_picture_decode(buf, n, 0, 0, &pic), SOTTO_E_TOOLONG);
	n = png_header(buf, SOTTO_PREVIEW_PX_MAX + 1, 1);
	CHECK_EQ(sotto_picture_decode(buf, n, 0, 0, &pic), SOTTO_E_TOOLONG);
	/* Both sides allowed, the product is not: 8192 x 8192 x 4 > 64 MiB. */
	n = png_header(buf, SOTTO_PREVIEW_PX_MAX, SOTTO_PREVIEW_PX_MAX);
	CHECK_EQ(sotto_picture_decode(buf, n, 0, 0, &pic), SOTTO_E_TOOLONG);
	n = png_header(buf, 0x7fffffff, 0x7fffffff);
	CHECK_EQ(sotto_picture_decode(buf, n, 0, 0, &pic), SOTTO_E_FORMAT); /* libpng: > 2^31 - 1 / its own limit */
	n = webp_header(buf, 16384, 16384);
	CHECK_EQ(sotto_picture_decode(buf, n, 0, 0, &pic), SOTTO_E_TOOLONG);
	/* JPEG: SOF0's height and width patched to 60000. */
	CHECK_EQ(picgen_jpeg(rgba, W, H, 0, &f, &n), 0);
	for (size_t i = 0; i + 9 < n; i++)
		if (f[i] == 0xff && f[i + 1] == 0xc0) {
			f[i + 5] = 0xea; f[i + 6] = 0x60; f[i + 7] = 0xea; f[i + 8] = 0x60;
			break;
		}
	CHECK_EQ(sotto_picture_decode(f, n, 0, 0, &pic), SOTTO_E_TOOLONG);
	free(f);
	/* GIF: the logical screen, then the frame, at 65535. */
	CHECK_EQ(picgen_gif(idx, W, H, pal, 256, -1, 0, 1, &f, &n), 0);
	f[6] = f[7] = f[8] = f[9] = 0xff;
	CHECK_EQ(sotto_picture_decode(f, n, 0, 0, &pic), SOTTO_E_TOOLONG);
	free(f);
	CHECK_EQ(sotto_picture_allocs, before);
	/* A caller's own smaller budget. */
	CHECK_EQ(picgen_png(rgba, W, H, &f, &n), 0);
	CHECK_EQ(sotto_picture_decode(f, n, 0, W * H * 4 - 1, &pic), SOTTO_E_TOOLONG);
	CHECK_EQ(sotto_picture_allocs, before);
	CHECK_EQ(sotto_picture_decode(f, n, 0, W * H * 4, &pic), 0);
	CHECK_EQ(sotto_picture_allocs, before + 1);
	sotto_picture_free(&pic);
	free(f);
}

/* The bytes decide, not the name; anything else is unsupported. */
static void
test_sniff_and_load(void)
{
	char dir[] = "/tmp/sotto-decode.XXXXXX", path[128], link[160];
	struct sotto_picture pic;
	uint8_t *f;
	size_t n;
	FILE *fp;

	CHECK_EQ(sotto_picture_decode((const uint8_t *)"hello, world", 12, 0, 0,
	    &pic), SOTTO_E_UNSUPPORTED);
	CHECK_EQ(sotto_picture_decode((const uint8_t *)"", 0, 0, 0, &pic),
	    SOTTO_E_UNSUPPORTED);
	if (mkdtemp(dir) == NULL)
		return;
	CHECK_EQ(picgen_gif(idx, W, H, pal, 256, -1, 0, 1, &f, &n), 0);
	snprintf(path, sizeof(path), "%s/photo.png", dir);   /* a GIF, named .png */
	if ((fp = fopen(path, "wb")) != NULL) {
		CHECK_EQ(fwrite(f, 1, n, fp), n);
		fclose(fp);
	}
	CHECK_EQ(sotto_picture_load(path, 0, &pic), 0);
	CHECK(pic.width == W && pic.height == H);
	sotto_picture_free(&pic);
	snprintf(link, sizeof(link), "%s/link.gif", dir);
	CHECK_EQ(symlink(path, link), 0);
	CHECK_EQ(sotto_picture_load(link, 0, &pic), SOTTO_E_IO);   /* not followed */
	CHECK_EQ(sotto_picture_load(dir, 0, &pic), SOTTO_E_IO);    /* a folder */
	unlink(link);
	unlink(path);
	snprintf(path, sizeof(path), "%s/missing", dir);
	CHECK_EQ(sotto_picture_load(path, 0, &pic), SOTTO_E_IO);
	rmdir(dir);
	free(f);
}

/* Decoded pictures render to text and SGR only. */
static void
test_render(void)
{
	struct sotto_picture pic;
	char *out;
	uint8_t *f;
	size_t n, len;

	CHECK_EQ(picgen_png(rgba, W, H, &f, &n), 0);
	CHECK_EQ(sotto_picture_decode(f, n, 0, 0, &pic), 0);
	CHECK_EQ(sotto_preview_render(pic.rgba, pic.width, pic.height,
	    (size_t)pic.width * 4, 40, 12, &out, &len), 0);
	CHECK(out != NULL && sotto_preview_check(out, len) == 0);
	free(out);
	sotto_picture_free(&pic);
	free(f);
}

/* --seeds DIR: write one small picture of each format (the fuzz corpus). */
static int
write_seeds(const char *dir)
{
	const char *names[] = { "seed.png", "seed.jpg", "seed-prog.jpg", "seed.gif",
	    "seed-interlaced.gif", "seed.webp", "seed-anim.webp" };
	char path[4096];
	uint8_t *f;
	size_t n;
	FILE *fp;
	int i, r;

	for (i = 0; i < 7; i++) {
		switch (i) {
		case 0: r = picgen_png(rgba, W, H, &f, &n); break;
		case 1: r = picgen_jpeg(rgba, W, H, 0, &f, &n); break;
		case 2: r = picgen_jpeg(rgba, W, H, 1, &f, &n); break;
		case 3: r = picgen_gif(idx, W, H, pal, 256, 7, 0, 2, &f, &n); break;
		case 4: r = picgen_gif(idx, W, H, pal, 256, -1, 1, 1, &f, &n); break;
		case 5: r = picgen_webp(rgba, W, H, &f, &n); break;
		default: r = picgen_webp_anim(rgba, W, H, &f, &n); break;
		}
		if (r != 0)
			return 1;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if ((fp = fopen(path, "wb")) == NULL || fwrite(f, 1, n, fp) != n) {
			fprintf(stderr, "%s: %s\n", path, strerror(errno));
			return 1;
		}
		fclose(fp);
		free(f);
	}
	return 0;
}

/* The libraries print nothing, whatever the input: stderr goes to a file
 * while the tests run, and must stay empty (a failed check's own line
 * would show there too, and is printed afterwards). */
static void
run_quietly(void (*fn)(void))
{
	char buf[4096];
	FILE *tmp = tmpfile();
	int saved = dup(2);
	size_t n;

	if (tmp == NULL || saved < 0) {
		CHECK(0);
		return;
	}
	fflush(stderr);
	dup2(fileno(tmp), 2);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(buf, 1, sizeof(buf) - 1, tmp);
	buf[n] = '\0';
	if (n > 0)
		fprintf(stderr, "printed while decoding:\n%s\n", buf);
	CHECK_EQ(n, 0);
	fclose(tmp);
}

static void
all_formats(void)
{
	test_png();
	test_jpeg();
	test_jpeg_scaled();
	test_gif();
	test_webp();
	test_oversized();
}

int
main(int argc, char **argv)
{
	fill();
	if (argc == 3 && strcmp(argv[1], "--seeds") == 0)
		return write_seeds(argv[2]);
	run_quietly(all_formats);
	test_sniff_and_load();
	test_render();
	return check_summary();
}
