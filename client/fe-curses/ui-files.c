/* SPDX-License-Identifier: ISC */
/* ui-files.c: file transfers in the UI: the core's file events become lines and status-line progress, /send /accept /cancel /view call the core, and a received picture gets an inline preview. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "decode.h"
#include "err.h"
#include "mediatype.h"
#include "preview.h"
#include "ui-files.h"
#include "ui-picture.h"
#include "ui.h"
#include "trust.h"

/* Pixels on the larger side a JPEG may be decoded down to for a preview:
 * chafa looks at about 8 x 8 pixels a cell. */
#define UI_PIC_WANT_PX (UI_PIC_COLS * 8)

void ui_size_human(uint64_t bytes, char *buf, size_t len)
{
	static const char *unit[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	int u = -1;

	if (bytes < 1024) {
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
		return;
	}
	while (v >= 1024.0 && u < 3) {
		v /= 1024.0;
		u++;
	}
	snprintf(buf, len, v < 10.0 ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

/* --- the records ------------------------------------------------------------ */

static void xfer_clear(struct ui_xfer *x)
{
	free(x->file_name);
	free(x->peer);
	free(x->path);
	memset(x, 0, sizeof(*x));
}

void ui_xfers_free(struct ui_xfers *xs)
{
	for (size_t i = 0; i < xs->n; i++)
		xfer_clear(&xs->x[i]);
	free(xs->x);
	xs->x = NULL;
	xs->n = 0;
}

static struct ui_xfer *xfer_find(struct ui_win *w, unsigned n)
{
	for (size_t i = 0; i < w->xfers.n; i++)
		if (w->xfers.x[i].n == n)
			return &w->xfers.x[i];
	return NULL;
}

/* Room for one more: the oldest record not under way (and not an offer
 * waiting) goes when the table is full. */
static bool xfer_make_room(struct ui_xfers *xs)
{
	struct ui_xfer *grown;

	if (xs->n == UI_XFER_MAX) {
		for (size_t i = 0; i < xs->n; i++)
			if (!xs->x[i].active && !xs->x[i].waiting) {
				xfer_clear(&xs->x[i]);
				memmove(&xs->x[i], &xs->x[i + 1],
				    (xs->n - i - 1) * sizeof(*xs->x));
				xs->n--;
				return true;
			}
		return false;
	}
	if ((grown = realloc(xs->x, (xs->n + 1) * sizeof(*grown))) == NULL)
		return false;
	xs->x = grown;
	return true;
}

/* The record of transfer f->n, made (and filled from f) when new. */
static struct ui_xfer *xfer_get(struct ui_win *w, const struct client_ev_file *f)
{
	struct ui_xfer *x = xfer_find(w, f->n);

	if (x != NULL)
		return x;
	if (!xfer_make_room(&w->xfers))
		return NULL;
	x = &w->xfers.x[w->xfers.n++];
	memset(x, 0, sizeof(*x));
	x->n = f->n;
	x->outgoing = f->outgoing;
	x->private_ = f->private_;
	x->size = f->size;
	x->eta = -1;
	ui_set_str(&x->file_name, f->file_name != NULL ? f->file_name : "file");
	if (f->name != NULL)
		ui_set_str(&x->peer, f->name);
	return x;
}

static const char *xfer_name(const struct ui_xfer *x)
{
	return x != NULL && x->file_name != NULL ? x->file_name : "file";
}

/* Where a transfer's lines go: a DM file's to the private view with its
 * member, a room file's to the room. */
static struct ui_win *xfer_win(struct ui_win *w, bool private_, const char *peer)
{
	struct ui_win *q;
	char err[64];

	if (!private_ || peer == NULL || w->room_win != NULL)
		return w;
	q = query_open(w->ui, w, peer, err, sizeof(err));
	return q != NULL ? q : w;
}

/* --- events ----------------------------------------------------------------- */

static void on_offer(struct ui_win *w, const struct client_ev_file *f)
{
	struct ui_xfer *x = xfer_get(w, f);
	struct ui_win *tw = xfer_win(w, f->private_, f->name);
	const char *who = f->name != NULL ? f->name : "?";
	char size[32];

	ui_size_human(f->size, size, sizeof(size));
	if (x != NULL) {
		x->waiting = !f->outgoing && f->waiting;
		x->active = !x->waiting;
	}
	if (f->outgoing)
		win_line(tw, SB_INFO, "offering %s, %s, to %s (transfer %u; /cancel %u "
		    "stops it)", xfer_name(x), size, f->name != NULL ? f->name :
		    "the room", f->n, f->n);
	else if (f->waiting)
		win_line(tw, SB_INFO, "%s offers %s, %s, /accept %u", who, xfer_name(x),
		    size, f->n);
	else
		win_line(tw, SB_INFO, "%s sends %s, %s (%s; /cancel %u stops it)", who,
		    xfer_name(x), size, f->auto_accepted ? "small enough to take "
		    "without asking" : "--accept-files", f->n);
	if (!f->outgoing)
		ui_activity(tw, 1);
}

static void on_progress(struct ui_win *w, const struct client_ev_file *f)
{
	struct ui_xfer *x = xfer_get(w, f);

	if (x == NULL)
		return;
	x->active = true;
	x->waiting = false;
	x->size = f->size;
	x->done = f->done;
	x->rate = f->rate;
	x->eta = f->eta;
	w->ui->dirty = true;
}

static void on_received(struct ui_win *w, const struct client_ev_file *f)
{
	struct ui_xfer *x = xfer_get(w, f);
	struct ui_win *tw = xfer_win(w, f->private_, f->name);
	char size[32];

	ui_size_human(f->size, size, sizeof(size));
	win_line(tw, SB_INFO, "received %s from %s, %s: %s", xfer_name(x),
	    f->name != NULL ? f->name : "?", size, f->path != NULL ? f->path : "?");
	ui_activity(tw, 1);
	if (x == NULL)
		return;
	x->active = x->waiting = false;
	x->done = f->size;
	if (f->path != NULL)
		ui_set_str(&x->path, f->path);
	/* The core sniffed the published file; decode.c sniffs it again. */
	x->picture = x->path != NULL && sotto_mediatype_is_picture(f->media);
	if (x->picture) {
		x->preview_due = true;
		win_line(tw, SB_INFO, "a picture: /view %u shows it larger", f->n);
	}
}

static void on_sent(struct ui_win *w, const struct client_ev_file *f)
{
	struct ui_xfer *x = xfer_get(w, f);

	win_line(xfer_win(w, f->private_, f->name), SB_INFO, "%s has %s "
	    "(transfer %u)", f->name != NULL ? f->name : "the receiver",
	    xfer_name(x), f->n);
	if (x != NULL)
		x->active = false;
}

static void on_failed(struct ui_win *w, const struct client_ev_file *f)
{
	struct ui_xfer *x = xfer_get(w, f);

	win_line(xfer_win(w, f->private_, f->name), SB_WARN, "transfer %u (%s) "
	    "failed: %s (%s)", f->n, xfer_name(x), f->detail != NULL ? f->detail :
	    "?", f->reason != NULL ? f->reason : "?");
	if (x != NULL)
		x->active = x->waiting = false;
}

/* Our /send of a large file: hashed a slice per loop turn before the
 * offer goes (its own line then). */
static void on_hashing(struct ui_win *w, const struct client_ev_file *f)
{
	struct ui_xfer *x = xfer_get(w, f);
	char size[32];

	ui_size_human(f->size, size, sizeof(size));
	win_line(xfer_win(w, f->private_, f->name), SB_INFO, "hashing %s, %s, "
	    "before offering it (transfer %u; /cancel %u stops it)", xfer_name(x),
	    size, f->n, f->n);
}

/* Cut by a disconnect: it resumes (progress goes on) or fails later. */
static void on_interrupted(struct ui_win *w, const struct client_ev_file *f)
{
	struct ui_xfer *x = xfer_get(w, f);

	win_line(xfer_win(w, f->private_, f->name), SB_WARN, "transfer %u (%s) "
	    "interrupted: %s", f->n, xfer_name(x), f->detail != NULL ? f->detail :
	    "?");
	if (x != NULL) {
		x->rate = 0;
		x->eta = -1;
	}
}

void ui_files_event(struct ui_win *w, const struct client_event *ev)
{
	const struct client_ev_file *f = &ev->file;

	switch (ev->type) {
	case CLIENT_EV_FILE_OFFER:    on_offer(w, f); break;
	case CLIENT_EV_FILE_PROGRESS: on_progress(w, f); break;
	case CLIENT_EV_FILE_RECEIVED: on_received(w, f); break;
	case CLIENT_EV_FILE_SENT:     on_sent(w, f); break;
	case CLIENT_EV_FILE_FAILED:   on_failed(w, f); break;
	case CLIENT_EV_FILE_INTERRUPTED: on_interrupted(w, f); break;
	case CLIENT_EV_FILE_HASHING:  on_hashing(w, f); break;
	default: break;
	}
	w->ui->dirty = true;
}

/* --- previews --------------------------------------------------------------- */

static const char *pic_why(int r)
{
	switch (r) {
	case SOTTO_E_TOOLONG:
		return "too large to preview (at most 8192 pixels a side, 16 "
		    "megapixels, a 64 MiB file)";
	case SOTTO_E_UNSUPPORTED: return "not a PNG, JPEG, GIF or WebP";
	case SOTTO_E_IO: return "the file cannot be read";
	case SOTTO_E_ALLOC: return "out of memory";
	default: return "damaged, or a kind of picture sotto cannot read";
	}
}

/* Decode, render (symbols, 40 x 12 at most), check and parse; the line
 * holds only cells and colours. */
static void preview_make(struct ui_win *w, struct ui_xfer *x)
{
	struct ui_win *tw = xfer_win(w, x->private_, x->peer);
	struct sotto_picture pic;
	struct ui_pic *p = NULL;
	struct sb_line *l;
	char *out = NULL;
	size_t len = 0;
	int r;

	if (!ui_text_utf8()) {
		win_line(tw, SB_INFO, "no preview of %s: the terminal is not UTF-8",
		    xfer_name(x));
		return;
	}
	if ((r = sotto_picture_load(x->path, UI_PIC_WANT_PX, &pic)) == 0) {
		r = sotto_preview_render(pic.rgba, pic.width, pic.height,
		    (size_t)pic.width * 4u, UI_PIC_COLS, UI_PIC_ROWS, &out, &len);
		sotto_picture_free(&pic);
	}
	if (r == 0) {
		r = ui_pic_parse(out, len, UI_PIC_COLS, UI_PIC_ROWS, &p);
		free(out);
	}
	if (r != 0) {
		win_line(tw, SB_WARN, "no preview of %s: %s", xfer_name(x), pic_why(r));
		return;
	}
	l = sb_add(&tw->sb, SB_PICTURE, time(NULL));
	l->pic = p;
	sb_commit(&tw->sb, l);
	w->ui->dirty = true;
}

void ui_files_work(struct ui *ui)
{
	for (size_t i = 0; i < ui->n_win; i++) {
		struct ui_win *w = ui->win[i];

		for (size_t k = 0; k < w->xfers.n; k++)
			if (w->xfers.x[k].preview_due) {
				w->xfers.x[k].preview_due = false;
				preview_make(w, &w->xfers.x[k]);
			}
	}
}

/* --- the status line -------------------------------------------------------- */

static void rate_human(double r, char *buf, size_t len)
{
	if (r <= 0)
		snprintf(buf, len, "?");
	else if (r < 1024.0)
		snprintf(buf, len, "%.0fB/s", r);
	else if (r < 1024.0 * 1024.0)
		snprintf(buf, len, "%.0fK/s", r / 1024.0);
	else
		snprintf(buf, len, "%.1fM/s", r / (1024.0 * 1024.0));
}

static void eta_human(double s, char *buf, size_t len)
{
	long t = (long)(s + 0.5);

	if (s < 0 || s > 99.0 * 3600.0)
		snprintf(buf, len, "?");
	else if (t < 60)
		snprintf(buf, len, "%lds", t);
	else if (t < 3600)
		snprintf(buf, len, "%ldm%02lds", t / 60, t % 60);
	else
		snprintf(buf, len, "%ldh%02ldm", t / 3600, (t % 3600) / 60);
}

/* "3↓43% 2.4M/s 12s, 5↑7% 1.1M/s 3m10s +1": each transfer under way. */
void ui_files_status(const struct ui_win *w, char *buf, size_t len)
{
	size_t used = 0, shown = 0, more = 0;
	char rate[32], eta[32];

	if (len == 0)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < w->xfers.n; i++) {
		const struct ui_xfer *x = &w->xfers.x[i];
		unsigned pct;
		int k;

		if (!x->active)
			continue;
		if (shown == UI_XFER_STATUS_MAX) {
			more++;
			continue;
		}
		pct = x->size > 0 ? (unsigned)(x->done * 100u / x->size) : 100u;
		rate_human(x->rate, rate, sizeof(rate));
		eta_human(x->eta, eta, sizeof(eta));
		k = snprintf(buf + used, len - used, "%s%u%s%u%% %s %s",
		    shown > 0 ? ", " : "", x->n, x->outgoing ?
		    (ui_text_utf8() ? "\u2191" : "^") : (ui_text_utf8() ? "\u2193" : "v"),
		    pct > 100 ? 100 : pct, rate, eta);
		if (k < 0 || (size_t)k >= len - used)
			return;
		used += (size_t)k;
		shown++;
	}
	if (more > 0)
		snprintf(buf + used, len - used, " +%zu", more);
}

/* --- commands --------------------------------------------------------------- */

static struct ui_win *room_win_of(struct ui_win *w)
{
	return w->room_win != NULL ? w->room_win : w;
}

/* A transfer number: 1..UINT_MAX, digits only. */
static bool parse_n(const char *arg, size_t n, unsigned *out)
{
	unsigned long v = 0;

	if (n == 0 || n > 10)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (arg[i] < '0' || arg[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(arg[i] - '0');
	}
	if (v == 0 || v > UINT_MAX)
		return false;
	*out = (unsigned)v;
	return true;
}

/* PATH with a leading "~/" made $HOME's. */
static bool path_copy(const char *p, size_t n, char *out, size_t cap)
{
	const char *home = getenv("HOME");
	size_t h = 0;

	if (n >= 2 && p[0] == '~' && p[1] == '/' && home != NULL && home[0] == '/') {
		h = strlen(home);
		p++;
		n--;
	}
	if (n == 0 || memchr(p, '\0', n) != NULL || h + n >= cap)
		return false;
	memcpy(out, home, h);
	memcpy(out + h, p, n);
	out[h + n] = '\0';
	return true;
}

/* /send PATH (to the room, or in a private view to its member), or
 * /send NAME PATH. As in batch mode (docs/batch.md): when the whole
 * argument names a file that exists it is PATH (paths may hold spaces);
 * otherwise the first word is NAME. */
/* arg[0..k) is a trusted member's name and what follows it a file. */
static bool send_reads_as_dm(struct ui_win *rw, const char *arg, size_t n,
    size_t k)
{
	char name[SOTTO_PEER_NAME_MAX + 1], path[PATH_MAX];
	struct stat st;

	memcpy(name, arg, k);
	name[k] = '\0';
	return client_trusts_name(rw->client, name) &&
	    path_copy(arg + k + 1, n - k - 1, path, sizeof(path)) &&
	    stat(path, &st) == 0;
}

void ui_cmd_send(struct ui *ui, const char *arg, size_t n)
{
	struct ui_win *rw = room_win_of(ui->w);
	char path[PATH_MAX], name[SOTTO_PEER_NAME_MAX + 1], why[640];
	const char *to = ui->w->peer, *reason, *sp = memchr(arg, ' ', n);
	size_t k = sp != NULL ? (size_t)(sp - arg) : 0;
	struct stat st;

	if (!path_copy(arg, n, path, sizeof(path))) {
		ui_line(ui, SB_INFO, "usage: /send PATH, or /send NAME PATH");
		return;
	}
	/* Both readings hold (a file "alice report.pdf" here, and a trusted
	 * alice with a file report.pdf): refused, as in batch mode, so the
	 * file system cannot turn a private file into a room file. */
	if (to == NULL && stat(path, &st) == 0 && sp != NULL && k > 0 &&
	    k < sizeof(name) && send_reads_as_dm(rw, arg, n, k)) {
		ui_line(ui, SB_WARN, "/send: both a file and a member's name with a "
		    "file; nothing sent: say ./PATH for the room, NAME ./PATH for "
		    "the member");
		return;
	}
	if (to == NULL && stat(path, &st) != 0 && sp != NULL && k > 0 &&
	    k < sizeof(name)) {
		memcpy(name, arg, k);
		name[k] = '\0';
		to = name;
		if (!path_copy(arg + k + 1, n - k - 1, path, sizeof(path))) {
			ui_line(ui, SB_INFO, "usage: /send PATH, or /send NAME PATH");
			return;
		}
	}
	if (client_send_file(rw->client, to, path, why, sizeof(why), &reason) != 0)
		ui_line(ui, SB_WARN, "not sent: %s", why);
}

void ui_cmd_accept(struct ui *ui, const char *arg, size_t n)
{
	struct ui_win *rw = room_win_of(ui->w);
	struct ui_xfer *x;
	unsigned k;
	char why[512];
	int r;

	if (!parse_n(arg, n, &k)) {
		ui_line(ui, SB_INFO, "usage: /accept N (the number in the offer)");
		return;
	}
	if ((r = client_accept_file(rw->client, k, why, sizeof(why))) != 0) {
		/* Other failures were a "failed" line already. */
		if (r == SOTTO_E_NOTFOUND || r == SOTTO_E_INVAL)
			ui_line(ui, SB_WARN, "/accept %u: %s", k, why);
		return;
	}
	if ((x = xfer_find(rw, k)) != NULL) {
		x->waiting = false;
		x->active = true;
	}
	ui_line(ui, SB_INFO, "taking %s (transfer %u)", xfer_name(x), k);
}

void ui_cmd_cancel(struct ui *ui, const char *arg, size_t n)
{
	struct ui_win *rw = room_win_of(ui->w);
	unsigned k;
	char why[512];
	int r;

	if (!parse_n(arg, n, &k)) {
		ui_line(ui, SB_INFO, "usage: /cancel N (the transfer's number)");
		return;
	}
	/* A cancelled transfer says so in its "failed" line. */
	if ((r = client_cancel_file(rw->client, k, why, sizeof(why))) != 0 &&
	    (r == SOTTO_E_NOTFOUND || r == SOTTO_E_INVAL))
		ui_line(ui, SB_WARN, "/cancel %u: %s", k, why);
}

void ui_cmd_view(struct ui *ui, const char *arg, size_t n)
{
	struct ui_win *rw = room_win_of(ui->w);
	struct ui_xfer *x;
	char err[256];
	unsigned k;

	if (!parse_n(arg, n, &k)) {
		ui_line(ui, SB_INFO, "usage: /view N (a picture received in this room)");
		return;
	}
	if ((x = xfer_find(rw, k)) == NULL || !x->picture || x->path == NULL) {
		ui_line(ui, SB_INFO, "/view %u: no picture %u received in #%s", k, k,
		    rw->room);
		return;
	}
	if (ui_view_open(ui, x->path, xfer_name(x), err, sizeof(err)) != 0)
		ui_line(ui, SB_WARN, "/view %u: %s", k, err);
}
