/* SPDX-License-Identifier: ISC */
/* cutoff.c: a relay member id that sends a flood of bad frames is cut off: its further frames are refused unread, with no signature work, until it rejoins; one notice says so (docs/protocol.md "v2: smaller rules"). */
#include "core.h"

static bool
bad_verdict(int v)
{
	return v == SOTTO_V_BADSIG || v == SOTTO_V_MALFORMED || v == SOTTO_V_DECRYPT;
}

bool
cutoff_refuse(struct client *c, const struct sotto_frame *f)
{
	struct member *m;

	if (f->hdr.from == SOTTO_ID_RELAY ||
	    (m = members_get(c, f->hdr.from, false)) == NULL || !m->cut_off)
		return false;
	c->quiet_rejects = true;
	core_reject(c, SOTTO_V_UNTRUSTED, "member id %u cut off after %u bad "
	    "frames, until it rejoins", f->hdr.from, CORE_BAD_FRAMES);
	c->quiet_rejects = false;
	return true;
}

void
cutoff_count(struct client *c, const struct sotto_frame *f, unsigned before)
{
	struct member *m;

	if (c->n_rejects == before || f->hdr.from == SOTTO_ID_RELAY ||
	    f->hdr.type == SOTTO_T_LEFT || !bad_verdict(c->last_verdict) ||
	    c->st < CS_JOINING || c->st == CS_CLOSED ||
	    (m = members_get(c, f->hdr.from, true)) == NULL)
		return;
	if (++m->bad < CORE_BAD_FRAMES || m->cut_off)
		return;
	m->cut_off = true;
	core_notice(c, "member id %u sent %u bad frames: its frames are ignored "
	    "until it rejoins", f->hdr.from, CORE_BAD_FRAMES);
}
