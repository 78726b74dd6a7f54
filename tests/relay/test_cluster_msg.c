/* SPDX-License-Identifier: ISC */
/* test_cluster_msg.c: the relays' backplane messages: each kind round-trips; each malformation is refused by name. */
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "check.h"
#include "cluster-msg.h"
#include "err.h"

#define MAXF 1024u

static struct sotto_wbuf b;

static void head(uint8_t kind)
{
	sotto_wbuf_reset(&b);
	CHECK_EQ(clm_put_head(&b, kind, 0x0102030405060708ull, "node-1"), 0);
}

static void frame(uint8_t type, uint32_t from, uint32_t to, const char *body)
{
	size_t n = strlen(body);

	CHECK_EQ(sotto_wbuf_u32(&b, (uint32_t)(10 + n)), 0);
	CHECK_EQ(sotto_wbuf_u8(&b, 1), 0);
	CHECK_EQ(sotto_wbuf_u8(&b, type), 0);
	CHECK_EQ(sotto_wbuf_u32(&b, from), 0);
	CHECK_EQ(sotto_wbuf_u32(&b, to), 0);
	CHECK_EQ(sotto_wbuf_put(&b, body, n), 0);
}

static int parse(struct clm *m)
{
	return clm_parse(m, b.p, b.len, MAXF);
}

static void round_trips(void)
{
	struct clm m;
	const uint8_t *room;
	size_t room_len;
	uint32_t id;

	head(CLM_HB);
	CHECK_EQ(sotto_wbuf_u32(&b, 99), 0);
	CHECK_EQ(parse(&m), 0);
	CHECK_EQ(m.kind, CLM_HB);
	CHECK_EQ(m.inc, 0x0102030405060708ull);
	CHECK_EQ(m.node_len, 6u);
	CHECK_MEM(m.node, "node-1", 6);
	CHECK_EQ(m.id, 99u);

	head(CLM_JOIN);
	CHECK_EQ(clm_put_room(&b, (const uint8_t *)"lobby", 5), 0);
	CHECK_EQ(sotto_wbuf_u32(&b, 7), 0);
	CHECK_EQ(parse(&m), 0);
	CHECK_EQ(m.id, 7u);
	CHECK(m.frame == NULL);
	CHECK_EQ(m.room_len, 5u);
	frame(1, 7, 0, "\x05lobbyINI");
	CHECK_EQ(parse(&m), 0);
	CHECK(m.frame != NULL);
	CHECK_EQ(m.frame_len, 14u + 9u);

	head(CLM_FRAME);
	CHECK_EQ(clm_put_room(&b, (const uint8_t *)"r", 1), 0);
	frame(3, 5, 6, "ciphertext");
	CHECK_EQ(parse(&m), 0);
	CHECK_EQ(m.frame_len, 24u);

	head(CLM_DEAD);
	CHECK_EQ(sotto_wbuf_u64(&b, 42), 0);
	CHECK_EQ(parse(&m), 0);
	CHECK_EQ(m.dead, 42u);

	head(CLM_ANNOUNCE);
	CHECK_EQ(sotto_wbuf_u32(&b, 2), 0);
	CHECK_EQ(clm_put_room(&b, (const uint8_t *)"a", 1), 0);
	CHECK_EQ(sotto_wbuf_u32(&b, 1), 0);
	CHECK_EQ(clm_put_room(&b, (const uint8_t *)"bb", 2), 0);
	CHECK_EQ(sotto_wbuf_u32(&b, 2), 0);
	CHECK_EQ(parse(&m), 0);
	CHECK_EQ(clm_next_member(&m, &room, &room_len, &id), 1);
	CHECK_EQ(id, 1u);
	CHECK_EQ(room_len, 1u);
	CHECK_EQ(clm_next_member(&m, &room, &room_len, &id), 1);
	CHECK_EQ(id, 2u);
	CHECK_MEM(room, "bb", 2);
	CHECK_EQ(clm_next_member(&m, &room, &room_len, &id), 0);

	head(CLM_HELLO);
	CHECK_EQ(parse(&m), 0);
	head(CLM_BYE);
	CHECK_EQ(parse(&m), 0);
}

/* Each case: a message that must be refused with that error, *m cleared. */
static void refuses(int want)
{
	struct clm m;

	memset(&m, 0xa5, sizeof(m));
	CHECK_EQ(parse(&m), want);
	CHECK_EQ(m.kind, 0);
	CHECK(m.node == NULL && m.room == NULL && m.frame == NULL);
}

static void malformed(void)
{
	static const uint8_t nul_node[] = { 1, CLM_HELLO, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0 };
	static const uint8_t esc_node[] = { 1, CLM_HELLO, 0, 0, 0, 0, 0, 0, 0, 1, 2, 'a', 0x1b };

	sotto_wbuf_reset(&b);
	refuses(SOTTO_E_SHORT);                         /* empty */
	head(CLM_HELLO);
	b.p[0] = 2;
	refuses(SOTTO_E_VERSION);
	head(CLM_HELLO);
	b.p[1] = 9;
	refuses(SOTTO_E_TYPE);
	head(CLM_HELLO);
	b.p[10] = 0;                                    /* node_len 0 */
	refuses(SOTTO_E_TOOLONG);
	head(CLM_HELLO);
	b.p[10] = 65;
	refuses(SOTTO_E_TOOLONG);
	head(CLM_HELLO);
	b.len--;                                        /* node cut short */
	refuses(SOTTO_E_SHORT);
	head(CLM_BYE);
	CHECK_EQ(sotto_wbuf_u8(&b, 0), 0);              /* a byte too many */
	refuses(SOTTO_E_TRAILING);
	head(CLM_HB);                                   /* no id */
	refuses(SOTTO_E_SHORT);

	head(CLM_JOIN);
	CHECK_EQ(clm_put_room(&b, (const uint8_t *)"lobby", 5), 0);
	CHECK_EQ(sotto_wbuf_u32(&b, 0), 0);             /* id 0 is the relay */
	refuses(SOTTO_E_FORMAT);
	head(CLM_LEAVE);
	CHECK_EQ(sotto_wbuf_u8(&b, 2), 0);
	CHECK_EQ(sotto_wbuf_put(&b, "\xc3\x28", 2), 0); /* not UTF-8 */
	CHECK_EQ(sotto_wbuf_u32(&b, 3), 0);
	refuses(SOTTO_E_ROOM);
	head(CLM_LEAVE);
	CHECK_EQ(sotto_wbuf_u8(&b, 1), 0);
	CHECK_EQ(sotto_wbuf_u8(&b, 0x07), 0);           /* a control character */
	CHECK_EQ(sotto_wbuf_u32(&b, 3), 0);
	refuses(SOTTO_E_ROOM);

	head(CLM_JOIN);                                 /* INI of someone else */
	CHECK_EQ(clm_put_room(&b, (const uint8_t *)"r", 1), 0);
	CHECK_EQ(sotto_wbuf_u32(&b, 7), 0);
	frame(1, 8, 0, "\x01r");
	refuses(SOTTO_E_FORMAT);
	head(CLM_JOIN);                                 /* not an INI */
	CHECK_EQ(clm_put_room(&b, (const uint8_t *)"r", 1), 0);
	CHECK_EQ(sotto_wbuf_u32(&b, 7), 0);
	frame(3, 7, 0, "x");
	refuses(SOTTO_E_FORMAT);

	head(CLM_FRAME);                                /* no frame */
	CHECK_EQ(clm_put_room(&b, (const uint8_t *)"r", 1), 0);
	refuses(SOTTO_E_SHORT);
	head(CLM_FRAME);                                /* len says more */
	CHECK_EQ(clm_put_room(&b, (const uint8_t *)"r", 1), 0);
	frame(3, 5, 0, "abc");
	b.len--;
	refuses(SOTTO_E_LEN);
	head(CLM_FRAME);                                /* LEFT is the relay's own */
	CHECK_EQ(clm_put_room(&b, (const uint8_t *)"r", 1), 0);
	frame(4, 5, 0, "abcd");
	refuses(SOTTO_E_TYPE);
	head(CLM_FRAME);                                /* from 0 */
	CHECK_EQ(clm_put_room(&b, (const uint8_t *)"r", 1), 0);
	frame(3, 0, 0, "abc");
	refuses(SOTTO_E_FORMAT);
	head(CLM_FRAME);                                /* past max frame */
	CHECK_EQ(clm_put_room(&b, (const uint8_t *)"r", 1), 0);
	CHECK_EQ(sotto_wbuf_u32(&b, MAXF + 1), 0);
	CHECK_EQ(sotto_wbuf_put(&b, "\x01\x03\0\0\0\x05\0\0\0\0", 10), 0);
	refuses(SOTTO_E_LEN);

	head(CLM_ANNOUNCE);                             /* count past the entries */
	CHECK_EQ(sotto_wbuf_u32(&b, 2), 0);
	CHECK_EQ(clm_put_room(&b, (const uint8_t *)"a", 1), 0);
	CHECK_EQ(sotto_wbuf_u32(&b, 1), 0);
	refuses(SOTTO_E_ROOM);
	head(CLM_ANNOUNCE);                             /* a huge count, few bytes */
	CHECK_EQ(sotto_wbuf_u32(&b, UINT32_MAX), 0);
	refuses(SOTTO_E_ROOM);

	sotto_wbuf_reset(&b);
	CHECK_EQ(sotto_wbuf_put(&b, nul_node, sizeof(nul_node)), 0);
	refuses(SOTTO_E_FORMAT);                        /* node names go to logs */
	sotto_wbuf_reset(&b);
	CHECK_EQ(sotto_wbuf_put(&b, esc_node, sizeof(esc_node)), 0);
	refuses(SOTTO_E_FORMAT);
	/* The encoder refuses what the parser would. */
	sotto_wbuf_reset(&b);
	CHECK_EQ(clm_put_head(&b, CLM_HB, 1, ""), SOTTO_E_TOOLONG);
	CHECK_EQ(clm_put_room(&b, (const uint8_t *)"", 0), SOTTO_E_TOOLONG);
}

int main(void)
{
	sotto_wbuf_init(&b, 0);
	round_trips();
	malformed();
	sotto_wbuf_free(&b);
	return check_summary();
}
