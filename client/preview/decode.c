/* SPDX-License-Identifier: ISC */
/* decode.c: sniff a picture's first bytes, bound its size, and hand it to its format's decoder; read a picture file for that. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "decode-fmt.h"
#include "err.h"
#include "mediatype.h"
#include "preview.h"

int
pic_check_size(const struct pic_req *req, unsigned long width,
    unsigned long height)
{
	if (width == 0 || height == 0)
		return SOTTO_E_FORMAT;
	if (width > SOTTO_PREVIEW_PX_MAX || height > SOTTO_PREVIEW_PX_MAX)
		return SOTTO_E_TOOLONG;
	/* Both sides are at most 8192: the product cannot overflow. */
	if ((size_t)width * (size_t)height > req->max_rgba / 4u)
		return SOTTO_E_TOOLONG;
	return 0;
}

unsigned long sotto_picture_allocs;

int
pic_alloc(struct sotto_picture *pic, unsigned width, unsigned height)
{
	if ((pic->rgba = malloc((size_t)width * height * 4u)) == NULL)
		return SOTTO_E_ALLOC;
	sotto_picture_allocs++;
	pic->width = width;
	pic->height = height;
	return 0;
}

void
sotto_picture_free(struct sotto_picture *pic)
{
	if (pic == NULL)
		return;
	free(pic->rgba);
	memset(pic, 0, sizeof(*pic));
}

int
sotto_picture_decode(const uint8_t *data, size_t len, unsigned want,
    size_t max_rgba, struct sotto_picture *pic)
{
	struct pic_req req = { data, len, want,
	    max_rgba != 0 && max_rgba < SOTTO_PICTURE_RGBA_MAX ?
	    max_rgba : SOTTO_PICTURE_RGBA_MAX };
	int r;

	memset(pic, 0, sizeof(*pic));
	if (data == NULL)
		return SOTTO_E_INVAL;
	switch (sotto_mediatype_sniff(data, len)) {
	case SOTTO_MT_PNG:  r = pic_decode_png(&req, pic); break;
	case SOTTO_MT_JPEG: r = pic_decode_jpeg(&req, pic); break;
	case SOTTO_MT_GIF:  r = pic_decode_gif(&req, pic); break;
	case SOTTO_MT_WEBP: r = pic_decode_webp(&req, pic); break;
	case SOTTO_MT_OTHER:
	default:            return SOTTO_E_UNSUPPORTED;
	}
	if (r != 0)
		sotto_picture_free(pic);
	return r;
}

/* The whole file into a malloc'd buffer: its size from fstat, bounded,
 * then read until that many bytes or the end. */
static int
file_read(int fd, uint8_t **out, size_t *out_len)
{
	struct stat st;
	uint8_t *buf;
	size_t n = 0, want;
	ssize_t k;

	*out = NULL;
	*out_len = 0;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return SOTTO_E_IO;
	if (st.st_size < 0 || (unsigned long long)st.st_size > SOTTO_PICTURE_FILE_MAX)
		return SOTTO_E_TOOLONG;
	want = (size_t)st.st_size;
	if ((buf = malloc(want > 0 ? want : 1)) == NULL)
		return SOTTO_E_ALLOC;
	while (n < want) {
		k = read(fd, buf + n, want - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			free(buf);
			return SOTTO_E_IO;
		}
		if (k == 0)
			break;      /* shorter now than fstat said: decode what is there */
		n += (size_t)k;
	}
	*out = buf;
	*out_len = n;
	return 0;
}

int
sotto_picture_load(const char *path, unsigned want, struct sotto_picture *pic)
{
	uint8_t *data;
	size_t len;
	int fd, r;

	memset(pic, 0, sizeof(*pic));
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)) < 0)
		return SOTTO_E_IO;
	r = file_read(fd, &data, &len);
	close(fd);
	if (r != 0)
		return r;
	r = sotto_picture_decode(data, len, want, 0, pic);
	free(data);
	return r;
}
