/* SPDX-License-Identifier: ISC */
/* ui-status.c: draws the status line: who, where, connection state, epoch, members, pending, skipped keys, -- more --. */
#include <stdio.h>
#include <string.h>

#include "ui-colour.h"
#include "ui-status.h"
#include "ui-text.h"

#define MORE_LABEL " -- more -- "

struct bar {
	WINDOW *w;
	int     x;       /* next column: counted, since the cursor sticks at the edge */
	int     limit;   /* first column not to write */
	attr_t  base;    /* A_REVERSE on a terminal without colour */
};

/* One field, with a separator before all but the first. */
static void field(struct bar *b, const char *s, attr_t attr, short pair)
{
	if (b->x >= b->limit)
		return;
	wmove(b->w, 0, b->x);
	if (b->x > 1)
		b->x += ui_label_draw(b->w, ui_text_utf8() ? " \u2502 " : " | ",
		    b->limit - b->x, b->base | A_DIM, ui_colour_role(UI_ROLE_STATUS));
	b->x += ui_label_draw(b->w, s, b->limit - b->x, b->base | attr, pair);
}

/* Windows with news, as irssi, with their unread lines and a private
 * view's member: "Act: 2(3),3:bob(1)" (a mention or a DM in bold). */
static void acts_draw(struct bar *b, const struct ui_status *st)
{
	char buf[256];
	size_t used;
	bool mention = false;

	if (st->n_win > 1) {
		snprintf(buf, sizeof(buf), "win %d/%zu", st->win, st->n_win);
		field(b, buf, A_NORMAL, ui_colour_role(UI_ROLE_STATUS));
	}
	if (st->n_act == 0)
		return;
	used = (size_t)snprintf(buf, sizeof(buf), "Act: ");
	for (size_t i = 0; i < st->n_act && used < sizeof(buf) - 4; i++) {
		int n = st->act[i] < 0 ? -st->act[i] : st->act[i];

		mention |= st->act[i] < 0;
		if (st->act_peer[i] != NULL)
			used += (size_t)snprintf(buf + used, sizeof(buf) - used,
			    "%s%d:%.24s(%u)", i ? "," : "", n, st->act_peer[i],
			    st->act_unread[i]);
		else
			used += (size_t)snprintf(buf + used, sizeof(buf) - used,
			    "%s%d(%u)", i ? "," : "", n, st->act_unread[i]);
		if (used >= sizeof(buf))
			used = sizeof(buf) - 1;
	}
	field(b, buf, mention ? A_BOLD : A_NORMAL, ui_colour_role(UI_ROLE_STATUS_WAIT));
}

static void fields_draw(struct bar *b, const struct ui_status *st)
{
	short bar = ui_colour_role(UI_ROLE_STATUS);
	bool ready = strcmp(st->state, "ready") == 0;
	char buf[96];

	if (st->name != NULL)
		field(b, st->name, A_BOLD, bar);
	snprintf(buf, sizeof(buf), "#%.64s", st->room);
	field(b, buf, A_BOLD, bar);
	if (st->peer != NULL) {
		snprintf(buf, sizeof(buf), "private: %.64s", st->peer);
		field(b, buf, A_BOLD, ui_colour_role(UI_ROLE_STATUS_WAIT));
	}
	field(b, st->relay, A_NORMAL, bar);
	if (!ready && st->asked != NULL && strcmp(st->state, "waiting-key") == 0) {
		snprintf(buf, sizeof(buf), "waiting-key (asked %.48s)", st->asked);
		field(b, buf, A_BOLD, ui_colour_role(UI_ROLE_STATUS_WAIT));
	} else {
		field(b, st->state, A_BOLD,
		    ui_colour_role(ready ? UI_ROLE_STATUS_OK : UI_ROLE_STATUS_WAIT));
	}
	if (st->epoch > 0) {
		snprintf(buf, sizeof(buf), "epoch %u", (unsigned)st->epoch);
		field(b, buf, A_NORMAL, bar);
	}
	snprintf(buf, sizeof(buf), "%zu member%s", st->members,
	    st->members == 1 ? "" : "s");
	field(b, buf, A_NORMAL, bar);
	if (st->pending > 0) {
		snprintf(buf, sizeof(buf), "%zu pending", st->pending);
		field(b, buf, A_BOLD, ui_colour_role(UI_ROLE_STATUS_WAIT));
	}
	if (st->skipped > 0) {
		snprintf(buf, sizeof(buf), "%zu key%s skipped", st->skipped,
		    st->skipped == 1 ? "" : "s");
		field(b, buf, A_BOLD, ui_colour_role(UI_ROLE_STATUS_WAIT));
	}
	if (st->untrusted > 0) {
		snprintf(buf, sizeof(buf), "%s%zu untrusted", ui_text_utf8() ?
		    "\u26a0 " : "! ", st->untrusted);
		field(b, buf, A_BOLD, ui_colour_role(UI_ROLE_STATUS_WAIT));
	}
	if (st->xfers[0] != '\0')
		field(b, st->xfers, A_NORMAL, ui_colour_role(UI_ROLE_STATUS_WAIT));
	if (st->dropped > 0) {
		snprintf(buf, sizeof(buf), "%llu dropped", (unsigned long long)st->dropped);
		field(b, buf, A_NORMAL, bar);
	}
	acts_draw(b, st);
}

void status_draw(WINDOW *w, const struct ui_status *st)
{
	int width = getmaxx(w), more_w = (int)strlen(MORE_LABEL);
	short pair = ui_colour_role(UI_ROLE_STATUS);
	struct bar b = { w, 1, width, pair != 0 ? A_NORMAL : A_REVERSE };

	if (st->more)
		b.limit = width - more_w;
	wbkgdset(w, (chtype)(' ' | b.base | COLOR_PAIR(pair)));
	werase(w);
	fields_draw(&b, st);
	if (st->more && width > more_w) {
		wmove(w, 0, width - more_w);
		ui_label_draw(w, MORE_LABEL, more_w, A_BOLD,
		    ui_colour_role(UI_ROLE_MORE));
	}
}
