/* SPDX-License-Identifier: ISC */
/* dm.c: direct messages: pairwise keys per ordered pair of sessions and epoch (sent, cached, wiped), /msg sealed to one member's current session, DMKEY/DM/DMNOKEY received (docs/protocol.md "Direct messages"). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core.h"
#include "crypto.h"
#include "dmbody.h"
#include "err.h"
#include "pad.h"
#include "trust.h"
#include "utf8.h"

#define DM_TX_MAX     SOTTO_DM_KEYS_MAX   /* our keys, one per recipient session */
#define DM_RECENT     8u      /* DMs remembered per key for DMNOKEY's line */
#define DM_NOKEY_MAX  32u     /* (session, key_id) already answered DMNOKEY */
#define DM_LEFT_MAX   64u     /* identities seen leaving: "carol left" */

/* One pairwise key; the struct lives in secure memory. */
struct dm_key {
	uint8_t  k[SOTTO_DM_KEY];
	uint8_t  key_id[SOTTO_KEY_ID];
	uint8_t  peer_pub[SOTTO_ED25519_PUB];   /* the other side */
	uint8_t  peer_session[SOTTO_JOIN_NONCE];
	uint8_t  own_session[SOTTO_JOIN_NONCE]; /* ours when it was made */
	uint32_t epoch;
	uint64_t used;                          /* LRU stamp */
	uint64_t recent_ctr[DM_RECENT];         /* tx: DMs sealed under it */
	uint64_t recent_ts[DM_RECENT];
	unsigned recent_at;
};

struct dm_nokey {
	uint8_t pub[SOTTO_ED25519_PUB];
	uint8_t session[SOTTO_JOIN_NONCE];
	uint8_t key_id[SOTTO_KEY_ID];
};

struct dm {
	struct dm_key  *tx[DM_TX_MAX];          /* keys we made, to others */
	size_t          n_tx;
	struct dm_key  *rx[SOTTO_DM_KEYS_MAX];  /* keys others made, to us */
	size_t          n_rx;
	uint64_t        lru;
	struct dm_nokey nokey[DM_NOKEY_MAX];    /* ring */
	size_t          n_nokey, nokey_at;
	char            left[DM_LEFT_MAX][SOTTO_FPR_STR_LEN];  /* ring */
	size_t          n_left, left_at;
	struct sotto_wbuf body;                 /* a DMKEY or DM being built */
	struct sotto_wbuf pt;                   /* an opened DM (secure) */
};

int
dm_new(struct client *c)
{
	if ((c->dm = calloc(1, sizeof(*c->dm))) == NULL)
		return SOTTO_E_ALLOC;
	sotto_wbuf_init(&c->dm->body, SOTTO_DAT2_PT_MAX);
	sotto_wbuf_init_secure(&c->dm->pt, SOTTO_DM_INNER_MAX);
	return 0;
}

static void
key_free(struct dm_key *k)
{
	sotto_secure_free(k, sizeof(*k));
}

/* Remove entry i of a key array (order does not matter). */
static void
keys_drop(struct dm_key **a, size_t *n, size_t i)
{
	key_free(a[i]);
	a[i] = a[--*n];
	a[*n] = NULL;
}

void
dm_free(struct client *c)
{
	struct dm *dm = c->dm;

	if (dm == NULL)
		return;
	while (dm->n_tx > 0)
		keys_drop(dm->tx, &dm->n_tx, 0);
	while (dm->n_rx > 0)
		keys_drop(dm->rx, &dm->n_rx, 0);
	sotto_wbuf_free(&dm->body);
	sotto_wbuf_free(&dm->pt);
	free(dm);
	c->dm = NULL;
}

/* --- cache and rotation ---------------------------------------------------- */

/* An epoch whose DATs we can still open: the current one, or the previous
 * during its grace. Keys of any other epoch are of no use. */
static bool
epoch_live(const struct client *c, uint32_t epoch)
{
	return rot_epoch_open(c, epoch);
}

static bool
key_live(const struct client *c, const struct dm_key *k)
{
	return epoch_live(c, k->epoch) &&
	    memcmp(k->own_session, c->nonce, SOTTO_JOIN_NONCE) == 0;
}

void
dm_purge(struct client *c)
{
	struct dm *dm = c->dm;
	size_t i;

	if (dm == NULL)
		return;
	for (i = 0; i < dm->n_tx; )
		if (!key_live(c, dm->tx[i]))
			keys_drop(dm->tx, &dm->n_tx, i);
		else
			i++;
	for (i = 0; i < dm->n_rx; )
		if (!key_live(c, dm->rx[i]))
			keys_drop(dm->rx, &dm->n_rx, i);
		else
			i++;
}

static bool
key_of(const struct dm_key *k, const uint8_t *pub, const uint8_t *session)
{
	return memcmp(k->peer_pub, pub, SOTTO_ED25519_PUB) == 0 &&
	    memcmp(k->peer_session, session, SOTTO_JOIN_NONCE) == 0;
}

void
dm_session_end(struct client *c, const uint8_t *pub, const uint8_t *session)
{
	struct dm *dm = c->dm;
	size_t i;

	if (dm == NULL)
		return;
	for (i = 0; i < dm->n_tx; )
		if (key_of(dm->tx[i], pub, session))
			keys_drop(dm->tx, &dm->n_tx, i);
		else
			i++;
	for (i = 0; i < dm->n_rx; )
		if (key_of(dm->rx[i], pub, session))
			keys_drop(dm->rx, &dm->n_rx, i);
		else
			i++;
	/* Its DMNOKEY answers too: the slot can never match again. */
	for (i = 0; i < dm->n_nokey; i++)
		if (memcmp(dm->nokey[i].pub, pub, SOTTO_ED25519_PUB) == 0 &&
		    memcmp(dm->nokey[i].session, session, SOTTO_JOIN_NONCE) == 0)
			memset(&dm->nokey[i], 0, sizeof(dm->nokey[i]));
}

/* From core_emit: who left (for "carol left"), and a new epoch (its
 * predecessor's keys go once its grace ends: dm_purge). */
void
dm_on_event(struct client *c, const struct client_event *ev)
{
	struct dm *dm = c->dm;

	if (dm == NULL)
		return;
	if (ev->type == CLIENT_EV_REKEYED)
		dm_purge(c);
	if (ev->type != CLIENT_EV_LEFT || ev->left.fpr == NULL)
		return;
	snprintf(dm->left[dm->left_at], SOTTO_FPR_STR_LEN, "%s", ev->left.fpr);
	dm->left_at = (dm->left_at + 1) % DM_LEFT_MAX;
	if (dm->n_left < DM_LEFT_MAX)
		dm->n_left++;
}

static bool
seen_leaving(const struct dm *dm, const char *fpr)
{
	for (size_t i = 0; i < dm->n_left; i++)
		if (strcmp(dm->left[i], fpr) == 0)
			return true;
	return false;
}

static struct dm_key *
key_new(struct client *c, const uint8_t *pub, const uint8_t *session,
    uint32_t epoch)
{
	struct dm_key *k;

	if ((k = sotto_secure_alloc(sizeof(*k))) == NULL)
		return NULL;
	memset(k, 0, sizeof(*k));
	memcpy(k->peer_pub, pub, SOTTO_ED25519_PUB);
	memcpy(k->peer_session, session, SOTTO_JOIN_NONCE);
	memcpy(k->own_session, c->nonce, SOTTO_JOIN_NONCE);
	k->epoch = epoch;
	k->used = ++c->dm->lru;
	return k;
}

/* Room for one more in a - the least recently used goes (an evicted
 * receive key costs one DMNOKEY round trip, never a wrong decryption). */
static void
keys_make_room(struct dm_key **a, size_t *n, size_t max)
{
	size_t i, old = 0;

	if (*n < max)
		return;
	for (i = 1; i < *n; i++)
		if (a[i]->used < a[old]->used)
			old = i;
	keys_drop(a, n, old);
}

/* --- choosing the recipient ------------------------------------------------ */

/* The one current session NAME may be reached at, or NULL with why (one
 * line for people) and *reason (a word for programs). */
static struct member *
dm_target(struct client *c, const char *name, char *why, size_t why_len,
    const char **reason)
{
	const struct sotto_peer *p = NULL;
	struct member *m, *found = NULL;
	unsigned n = 0;
	size_t i;

	for (i = 0; i < c->trust->n; i++)
		if (strcmp(c->trust->peers[i].name, name) == 0)
			p = &c->trust->peers[i];
	if (p == NULL) {
		*reason = "no-such-member";
		snprintf(why, why_len, "no such member: %s (not a name in your "
		    "trusted folder)", name);
		return NULL;
	}
	if (memcmp(p->pub, c->pub, SOTTO_ED25519_PUB) == 0) {
		*reason = "dm-self";
		snprintf(why, why_len, "%s is you", name);
		return NULL;
	}
	for (m = c->members; m != NULL; m = m->hh.next)
		if (!m->dead && m->known && m->shown && m->rsess != NULL &&
		    memcmp(m->pub, p->pub, SOTTO_ED25519_PUB) == 0) {
			found = m;
			n++;
		}
	if (n > 1) {
		*reason = "two-sessions";
		snprintf(why, why_len, "%s has %u sessions in this room; not sending "
		    "(which one is really %s?)", name, n, name);
		return NULL;
	}
	if (found == NULL) {
		*reason = seen_leaving(c->dm, p->fpr_str) ? "member-left" : "not-in-room";
		snprintf(why, why_len, seen_leaving(c->dm, p->fpr_str) ? "%s left" :
		    "%s is not in the room", name);
		return NULL;
	}
	return found;
}

struct member *
dm_member_for(struct client *c, const char *name, char *why, size_t why_len,
    const char **reason)
{
	if (c->dm == NULL)
		return NULL;
	dm_purge(c);
	return dm_target(c, name, why, why_len, reason);
}

/* --- sending ----------------------------------------------------------------- */

static struct dm_key *
tx_find(struct client *c, const struct member *m)
{
	struct dm *dm = c->dm;

	for (size_t i = 0; i < dm->n_tx; i++)
		if (key_of(dm->tx[i], m->pub, m->nonce) &&
		    dm->tx[i]->epoch == sess_epoch(c) && key_live(c, dm->tx[i]))
			return dm->tx[i];
	return NULL;
}

/* A fresh key for m's session, sent to it in a DMKEY right away (the relay
 * keeps our order: it arrives before the DM it is for). */
static int
tx_new(struct client *c, struct member *m, const uint8_t *to_fpr,
    struct dm_key **out)
{
	struct dm *dm = c->dm;
	struct dm_key *k;
	int r;

	*out = NULL;
	if ((k = key_new(c, m->pub, m->nonce, sess_epoch(c))) == NULL)
		return SOTTO_E_ALLOC;
	sotto_random(k->k, sizeof(k->k));
	sotto_wbuf_reset(&dm->body);
	if ((r = sotto_dm_key_id(k->k, k->key_id)) != 0 ||
	    (r = sotto_dmkey_build(&dm->body, k->k, k->epoch, c->fpr, c->nonce,
	    to_fpr, m->nonce, m->rsa_n)) != 0 ||
	    (r = dat_send_body(c, SOTTO_CT_DMKEY, dm->body.p, dm->body.len, m->id,
	    core_now_ms())) != 0) {
		key_free(k);
		return r;
	}
	core_keylog_dm(k->epoch, k->k);
	keys_make_room(dm->tx, &dm->n_tx, DM_TX_MAX);
	dm->tx[dm->n_tx++] = k;
	*out = k;
	return 0;
}

static void
emit_dm(struct client *c, const char *name, const char *fpr, const char *to,
    const char *to_fpr, const uint8_t *text, size_t len, uint64_t ts_ms)
{
	struct client_event ev = { .type = CLIENT_EV_MESSAGE,
	    .message = { .name = name, .fpr = fpr, .text = (const char *)text,
	    .text_len = len, .ts = ts_ms / 1000u, .ts_ms = ts_ms, .dm = true,
	    .to = to, .to_fpr = to_fpr } };

	core_emit(c, &ev);
}

/* Seal inner body for member m's current session under our pairwise key
 * with it (made and sent first when there is none) and send it now, in a
 * DAT addressed to m; *ts_ms is the time it was sealed at. The caller
 * checked dat_may_send. */
static int
seal_send(struct client *c, struct member *m, const struct sotto_peer *peer,
    uint8_t inner_type, const void *body, size_t n, uint64_t *ts_ms)
{
	struct sotto_dm_outer o;
	struct dm_key *k;
	uint64_t ts;
	int r;

	if ((k = tx_find(c, m)) == NULL && (r = tx_new(c, m, peer->fpr, &k)) != 0)
		return r;
	k->used = ++c->dm->lru;
	ts = core_now_ms();
	o = (struct sotto_dm_outer){ c->room, c->room_len, c->pub, c->nonce,
	    sess_epoch(c), dat_next_counter(c), ts };
	sotto_wbuf_reset(&c->dm->body);
	if ((r = sotto_dm_seal(&c->dm->body, k->k, &o, peer->fpr, m->nonce,
	    inner_type, body, n)) != 0 ||
	    (r = dat_send_body(c, SOTTO_CT_DM, c->dm->body.p, c->dm->body.len,
	    m->id, ts)) != 0)
		return r;
	k->recent_ctr[k->recent_at] = o.counter;
	k->recent_ts[k->recent_at] = ts;
	k->recent_at = (k->recent_at + 1) % DM_RECENT;
	*ts_ms = ts;
	return 0;
}

/* Seal inner body (a file kind, xfer.c) for member m's current session
 * and send it now; the caller checked dat_may_send. */
int
dm_send_inner(struct client *c, struct member *m, uint8_t inner_type,
    const void *body, size_t n)
{
	const struct sotto_peer *peer;
	uint64_t ts;

	if (c->dm == NULL || (peer = sotto_trust_find(c->trust, m->pub)) == NULL)
		return SOTTO_E_INVAL;
	dm_purge(c);
	return seal_send(c, m, peer, inner_type, body, n, &ts);
}

int
client_send_dm(struct client *c, const char *name, const char *text, size_t len,
    char *why, size_t why_len, const char **reason)
{
	const struct sotto_peer *peer;
	struct member *m;
	uint64_t ts;
	int r;

	*reason = "not-sent";
	if (len > SOTTO_DM_TEXT_MAX) {
		*reason = "line-too-long";
		snprintf(why, why_len, "private messages are at most %u bytes; not sent",
		    (unsigned)SOTTO_DM_TEXT_MAX);
		return SOTTO_E_TOOLONG;
	}
	if (sotto_utf8_valid((const uint8_t *)text, len) != 0) {
		*reason = "invalid-utf8";
		snprintf(why, why_len, "the message is not valid UTF-8; not sent");
		return SOTTO_E_FORMAT;
	}
	if (c->dm == NULL || c->st == CS_CLOSED)
		return SOTTO_E_INVAL;
	dm_purge(c);
	if ((m = dm_target(c, name, why, why_len, reason)) == NULL)
		return CLIENT_E_DM_TARGET;
	/* Sealed now, for the session that is there now: a DM is never
	 * queued for whoever holds the name later. */
	if (!dat_may_send(c) || (peer = sotto_trust_find(c->trust, m->pub)) == NULL) {
		*reason = "not-ready";
		snprintf(why, why_len, "not in the room with its key right now "
		    "(connecting, waiting for the key, a key change or a full send "
		    "queue); private message to %s not sent", name);
		return CLIENT_E_DM_NOTREADY;
	}
	if ((r = seal_send(c, m, peer, SOTTO_CT_TEXT, text, len, &ts)) != 0) {
		snprintf(why, why_len, "private message to %s not sent: %s", name,
		    sotto_strerror(r));
		return r;
	}
	emit_dm(c, c->self_name, c->fpr_str, m->name, peer->fpr_str,
	    (const uint8_t *)text, len, ts);
	return 0;
}

/* --- receiving --------------------------------------------------------------- */

static bool
for_us(const struct client *c, const uint8_t *to_fpr, const uint8_t *to_session)
{
	return sotto_ct_memcmp(to_fpr, c->fpr, SOTTO_FPR_LEN) == 0 &&
	    sotto_ct_memcmp(to_session, c->nonce, SOTTO_JOIN_NONCE) == 0;
}

/* The sender's member id on this connection (to answer it), 0 none. */
static uint32_t
member_id(const struct client *c, const uint8_t *pub, const uint8_t *session)
{
	const struct member *m;

	for (m = c->members; m != NULL; m = m->hh.next)
		if (!m->dead && m->known && memcmp(m->pub, pub, SOTTO_ED25519_PUB) == 0 &&
		    memcmp(m->nonce, session, SOTTO_JOIN_NONCE) == 0)
			return m->id;
	return 0;
}

/* One key per sender session and epoch: a new one replaces the old (its
 * sender seals only under its newest, and the relay keeps that sender's
 * order, so no DM under the old one is still to come). At most
 * SOTTO_DM_KEYS_PER_PEER per identity: a member's many sessions evict
 * their own keys, never another member's. */
static void
rx_insert(struct client *c, struct dm_key *k)
{
	struct dm *dm = c->dm;
	size_t i, n = 0, old = SIZE_MAX;

	for (i = 0; i < dm->n_rx; i++)
		if (key_of(dm->rx[i], k->peer_pub, k->peer_session) &&
		    dm->rx[i]->epoch == k->epoch) {
			keys_drop(dm->rx, &dm->n_rx, i);
			break;
		}
	for (i = 0; i < dm->n_rx; i++)
		if (memcmp(dm->rx[i]->peer_pub, k->peer_pub, SOTTO_ED25519_PUB) == 0) {
			n++;
			if (old == SIZE_MAX || dm->rx[i]->used < dm->rx[old]->used)
				old = i;
		}
	if (n >= SOTTO_DM_KEYS_PER_PEER)
		keys_drop(dm->rx, &dm->n_rx, old);
	else
		keys_make_room(dm->rx, &dm->n_rx, SOTTO_DM_KEYS_MAX);
	dm->rx[dm->n_rx++] = k;
}

/* The key of this DMKEY already held (a resend): nothing to unwrap. */
static bool
rx_held(const struct client *c, const struct sotto_dm_outer *o,
    const uint8_t *key_id)
{
	const struct dm *dm = c->dm;

	for (size_t i = 0; i < dm->n_rx; i++)
		if (key_of(dm->rx[i], o->id_pub, o->session) &&
		    dm->rx[i]->epoch == o->epoch &&
		    memcmp(dm->rx[i]->key_id, key_id, SOTTO_KEY_ID) == 0)
			return true;
	return false;
}

/* An RSA private-key operation is the dearest thing a DAT can make us do:
 * a sender session gets SOTTO_DM_UNWRAPS_MAX per epoch (an honest one
 * sends one, and one more per DMNOKEY round trip), then one notice and
 * its further DMKEYs are ignored until the next epoch. */
static void
budget_epoch(struct rsess *s, uint32_t epoch)
{
	if (epoch > s->dm_epoch) {
		s->dm_epoch = epoch;
		s->dm_unwraps = s->dm_nokeys = 0;
		s->dm_told_flood = false;
	}
}

static bool
unwrap_allowed(struct client *c, struct rsess *s, const struct sotto_peer *peer,
    uint32_t epoch)
{
	budget_epoch(s, epoch);
	if (s->dm_unwraps < SOTTO_DM_UNWRAPS_MAX) {
		s->dm_unwraps++;
		return true;
	}
	if (!s->dm_told_flood)
		core_notice_reason(c, "dm-key-flood", "%s sent more private-message "
		    "keys than it could need (%u in this key epoch); its further ones "
		    "are ignored until the next", peer->name,
		    (unsigned)SOTTO_DM_UNWRAPS_MAX);
	s->dm_told_flood = true;
	return false;
}

static int
on_dmkey(struct client *c, const struct sotto_dm_outer *o,
    const struct sotto_peer *peer, struct rsess *s, const uint8_t *body,
    size_t len, const char **why)
{
	struct sotto_dmkey dk;
	struct dm_key *k;
	int r;

	if ((r = sotto_dmkey_parse(body, len, &dk)) != 0) {
		*why = "private-message key: bad layout";
		return r;
	}
	if (!for_us(c, dk.to_fpr, dk.to_session)) {
		*why = "private-message key for another member";
		return SOTTO_V_NOTFORME;
	}
	if (c->rsa == NULL || !epoch_live(c, o->epoch)) {
		*why = "private-message key of a key epoch no longer in use";
		return SOTTO_V_STALE;
	}
	if (s->ended) {
		/* Its keys were wiped at its end (dm_session_end); a relay
		 * holding this back past the LEFT must not bring one back. */
		*why = "private-message key from a session that has left";
		return SOTTO_V_STALE;
	}
	/* Cheap checks first: the expensive unwrap comes last. */
	if (rx_held(c, o, dk.key_id) || !unwrap_allowed(c, s, peer, o->epoch))
		return 0;
	if ((k = key_new(c, o->id_pub, o->session, o->epoch)) == NULL)
		return SOTTO_E_ALLOC;
	if ((r = sotto_dmkey_open(&dk, c->rsa, peer->fpr, o, k->k)) != 0) {
		key_free(k);
		*why = "private-message key does not open or is not bound to its sender";
		return r;
	}
	memcpy(k->key_id, dk.key_id, SOTTO_KEY_ID);
	core_keylog_dm(k->epoch, k->k);
	rx_insert(c, k);
	return 0;
}

static struct dm_key *
rx_find(struct client *c, const struct sotto_dm_outer *o, const uint8_t *key_id)
{
	struct dm *dm = c->dm;

	for (size_t i = 0; i < dm->n_rx; i++)
		if (key_of(dm->rx[i], o->id_pub, o->session) &&
		    dm->rx[i]->epoch == o->epoch &&
		    memcmp(dm->rx[i]->key_id, key_id, SOTTO_KEY_ID) == 0) {
			dm->rx[i]->used = ++dm->lru;
			return dm->rx[i];
		}
	return NULL;
}

/* Once per (sender session, key): ask for a new key, say so. An ask that
 * could not go (not ready to send, the sender not on this connection) is
 * said as such and not remembered: the next DM under that key tries
 * again. At most SOTTO_DM_UNWRAPS_MAX notices per sender session and
 * epoch, as the keys asked for would be ignored beyond that (a flood of
 * DMs under invented keys is not one notice and one DAT back each). */
static void
no_key(struct client *c, const struct sotto_dm_outer *o,
    const struct sotto_peer *peer, struct rsess *s, const uint8_t *key_id)
{
	struct dm *dm = c->dm;
	struct dm_nokey *n;
	uint32_t id;
	size_t i;
	bool asked;

	for (i = 0; i < dm->n_nokey; i++)
		if (memcmp(dm->nokey[i].pub, o->id_pub, SOTTO_ED25519_PUB) == 0 &&
		    memcmp(dm->nokey[i].session, o->session, SOTTO_JOIN_NONCE) == 0 &&
		    memcmp(dm->nokey[i].key_id, key_id, SOTTO_KEY_ID) == 0)
			return;
	budget_epoch(s, o->epoch);
	if (s->dm_nokeys >= SOTTO_DM_UNWRAPS_MAX)
		return;
	s->dm_nokeys++;
	sotto_wbuf_reset(&dm->body);
	asked = (id = member_id(c, o->id_pub, o->session)) != 0 &&
	    dat_may_send(c) &&
	    sotto_dmnokey_build(&dm->body, key_id, o->counter) == 0 &&
	    dat_send_body(c, SOTTO_CT_DMNOKEY, dm->body.p, dm->body.len, id,
	    core_now_ms()) == 0;
	if (asked) {
		n = &dm->nokey[dm->nokey_at];
		memcpy(n->pub, o->id_pub, SOTTO_ED25519_PUB);
		memcpy(n->session, o->session, SOTTO_JOIN_NONCE);
		memcpy(n->key_id, key_id, SOTTO_KEY_ID);
		dm->nokey_at = (dm->nokey_at + 1) % DM_NOKEY_MAX;
		if (dm->n_nokey < DM_NOKEY_MAX)
			dm->n_nokey++;
	}
	core_notice_reason(c, "dm-no-key", "%s sent you a private message that "
	    "could not be read (no key); %s", peer->name, asked ?
	    "asked for a new key" : "could not ask for a new key now (not ready "
	    "to send); the next one under that key asks again");
}

static int
on_dm(struct client *c, const struct sotto_dm_outer *o,
    const struct sotto_peer *peer, struct rsess *s, const uint8_t *body,
    size_t len, const char **why)
{
	const uint8_t *text;
	struct sotto_dm d;
	struct dm_key *k;
	uint8_t type;
	size_t n;
	int r;

	if ((r = sotto_dm_parse(body, len, &d)) != 0) {
		*why = "private message: bad layout";
		return r;
	}
	if (!for_us(c, d.to_fpr, d.to_session)) {
		*why = "private message for another member";
		return SOTTO_V_NOTFORME;
	}
	if (s->ended) {
		*why = "private message from a session that has left";
		return SOTTO_V_STALE;
	}
	if ((k = rx_find(c, o, d.key_id)) == NULL) {
		no_key(c, o, peer, s, d.key_id);
		return 0;
	}
	if ((r = sotto_dm_open(&d, k->k, o, &c->dm->pt, &type, &text, &n)) != 0) {
		*why = r == SOTTO_V_MALFORMED ? "private message: bad padding" :
		    "private message does not open under its key";
		sotto_wbuf_reset(&c->dm->pt);
		return r;
	}
	if (type == SOTTO_CT_FOFFER || type == SOTTO_CT_FCHUNK ||
	    type == SOTTO_CT_FCTL) {
		/* A DM file's bodies (xfer.c): sealed to us alone. */
		r = xfer_deliver(c, peer, o->id_pub, o->session, type, text, n, true,
		    why);
	} else if (type != SOTTO_CT_TEXT) {
		/* A newer client's inner kind: one notice per sender session
		 * and type, never an attack. */
		if (!(s->told_dm_ct[type / 8] & (1u << (type % 8))))
			core_notice_reason(c, "unknown-content", "%s sent a kind of "
			    "private message this version cannot show (type %u); later "
			    "ones are not shown", peer->name, (unsigned)type);
		s->told_dm_ct[type / 8] |= (uint8_t)(1u << (type % 8));
		r = 0;
	} else if (n > SOTTO_DM_TEXT_MAX || sotto_utf8_valid(text, n) != 0) {
		*why = "private message: not UTF-8 text of at most 16032 bytes";
		r = SOTTO_V_MALFORMED;
	} else {
		emit_dm(c, peer->name, peer->fpr_str, c->self_name, c->fpr_str, text,
		    n, o->ts_ms);
	}
	sotto_wbuf_reset(&c->dm->pt);
	return r;
}

static int
on_dmnokey(struct client *c, const struct sotto_dm_outer *o,
    const struct sotto_peer *peer, const uint8_t *body, size_t len,
    const char **why)
{
	struct dm *dm = c->dm;
	struct sotto_dmnokey nk;
	char when[32] = "";
	struct dm_key *k;
	struct tm tm;
	time_t t;
	size_t i;
	int r;

	if ((r = sotto_dmnokey_parse(body, len, &nk)) != 0) {
		*why = "no-key answer: bad layout";
		return r;
	}
	for (i = 0; i < dm->n_tx; i++) {
		k = dm->tx[i];
		if (!key_of(k, o->id_pub, o->session) ||
		    memcmp(k->key_id, nk.key_id, SOTTO_KEY_ID) != 0)
			continue;
		for (unsigned j = 0; j < DM_RECENT; j++)
			if (k->recent_ts[j] != 0 && k->recent_ctr[j] == nk.counter) {
				t = (time_t)(k->recent_ts[j] / 1000u);
				if (localtime_r(&t, &tm) != NULL)
					strftime(when, sizeof(when), " of %H:%M", &tm);
			}
		/* The next DM to that session makes and sends a new key. */
		keys_drop(dm->tx, &dm->n_tx, i);
		core_notice_reason(c, "dm-not-read", "%s could not read your private "
		    "message%s (no key); please resend", peer->name, when);
		return 0;
	}
	return 0;     /* a key we no longer hold: already replaced */
}

int
dm_deliver(struct client *c, const struct sotto_dat *d,
    const struct sotto_peer *peer, struct rsess *s, uint8_t ctype,
    const uint8_t *body, size_t len, const char **why)
{
	struct sotto_dm_outer o = { c->room, c->room_len, d->id_pub, d->session,
	    d->epoch, d->counter, d->ts_ms };

	*why = NULL;
	if (c->dm == NULL)
		return SOTTO_E_ALLOC;
	dm_purge(c);
	switch (ctype) {
	case SOTTO_CT_DMKEY:   return on_dmkey(c, &o, peer, s, body, len, why);
	case SOTTO_CT_DM:      return on_dm(c, &o, peer, s, body, len, why);
	case SOTTO_CT_DMNOKEY: return on_dmnokey(c, &o, peer, body, len, why);
	}
	return SOTTO_E_UNSUPPORTED;
}
