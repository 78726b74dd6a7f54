/* SPDX-License-Identifier: ISC */
/* content.c: what a DAT carries, by content type (text, /me, away, quit message), sent and received; unknown types from newer clients are noticed, not refused (docs/protocol.md "Content types"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "err.h"
#include "pad.h"
#include "trust.h"
#include "utf8.h"
#include "wire-files.h"

/* Is a body of this type acceptable to send or to show? */
int
content_check(uint8_t ctype, const uint8_t *body, size_t len, const char **why)
{
	size_t max = SOTTO_TEXT_MAX;

	*why = NULL;
	switch (ctype) {
	case SOTTO_CT_TEXT:
	case SOTTO_CT_ACTION:
		break;
	case SOTTO_CT_AWAY:
	case SOTTO_CT_QUIT:
		max = SOTTO_AWAY_MAX;
		break;
	default:
		return SOTTO_E_UNSUPPORTED;
	}
	if (len > max || sotto_utf8_valid(body, len) != 0) {
		*why = max == SOTTO_TEXT_MAX ? "not UTF-8 text of at most 16384 bytes" :
		    "not UTF-8 text of at most 256 bytes";
		return SOTTO_V_MALFORMED;
	}
	return 0;
}

/* The member (session) a DAT came from, to keep its away state on. */
static struct member *
member_of(struct client *c, const struct rsess *s)
{
	struct member *m;

	for (m = c->members; m != NULL; m = m->hh.next)
		if (m->rsess == s)
			return m;
	return NULL;
}

static void
set_away(struct member *m, const uint8_t *reason, size_t len)
{
	char *dup = NULL;

	if (len > 0 && (dup = malloc(len + 1)) != NULL) {
		memcpy(dup, reason, len);
		dup[len] = '\0';
	}
	free(m->away);
	m->away = dup;
}

/* A DAT that opened: show it as what it is. 0, or a verdict with *why. */
int
content_deliver(struct client *c, const struct sotto_dat *d,
    const struct sotto_peer *peer, struct rsess *s, uint8_t ctype,
    const uint8_t *body, size_t len, const char **why)
{
	struct client_event ev = { .type = CLIENT_EV_MESSAGE,
	    .message = { .name = peer->name, .fpr = peer->fpr_str,
	    .text = (const char *)body, .text_len = len, .ts = d->ts_ms / 1000u,
	    .ts_ms = d->ts_ms } };
	struct member *m;
	char detail[256];
	int r;

	switch (ctype) {
	case SOTTO_CT_DMKEY:
	case SOTTO_CT_DM:
	case SOTTO_CT_DMNOKEY:
		return dm_deliver(c, d, peer, s, ctype, body, len, why);
	case SOTTO_CT_FOFFER:
	case SOTTO_CT_FCHUNK:
	case SOTTO_CT_FCTL:
		return xfer_deliver(c, peer, d->id_pub, d->session, ctype, body, len,
		    false, why);
	}
	r = content_check(ctype, body, len, why);
	if (r == SOTTO_E_UNSUPPORTED) {
		/* From a newer client: not an error, and said once per
		 * (sender session, type); later ones are counted silently. */
		if (s->told_ct[ctype / 8] & (1u << (ctype % 8)))
			return 0;
		s->told_ct[ctype / 8] |= (uint8_t)(1u << (ctype % 8));
		snprintf(detail, sizeof(detail), "DAT %llu from %s: content type %u "
		    "(from a newer client?); later ones of this type from this session "
		    "are not shown", (unsigned long long)d->counter,
		    peer->name, (unsigned)ctype);
		ev.type = CLIENT_EV_NOTICE;
		ev.notice.reason = "unknown-content";
		ev.notice.text = detail;
		core_emit(c, &ev);
		return 0;
	}
	if (r != 0)
		return r;
	switch (ctype) {
	case SOTTO_CT_TEXT:
		break;
	case SOTTO_CT_ACTION:
		ev.type = CLIENT_EV_ACTION;
		break;
	case SOTTO_CT_AWAY:
		ev.type = CLIENT_EV_AWAY;
		ev.away.name = peer->name;
		ev.away.fpr = peer->fpr_str;
		ev.away.away = len > 0;
		ev.away.reason = (const char *)body;
		ev.away.reason_len = len;
		ev.away.ts = d->ts_ms / 1000u;
		if ((m = member_of(c, s)) != NULL)
			set_away(m, body, len);
		break;
	case SOTTO_CT_QUIT:
		ev.type = CLIENT_EV_QUIT_MESSAGE;
		break;
	}
	core_emit(c, &ev);
	return 0;
}
