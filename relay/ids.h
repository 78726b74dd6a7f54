/* SPDX-License-Identifier: ISC */
/* ids.h: member ids from a counter that starts at 1 and never repeats. */
#ifndef SOTTO_RELAY_IDS_H
#define SOTTO_RELAY_IDS_H

#include <stdint.h>

struct sotto_ids {
	uint64_t next;   /* wider than an id, so running out is visible */
};

static inline void sotto_ids_init(struct sotto_ids *g, uint32_t first)
{
	g->next = first;
}

/* 0 and *id set, or -1 once every u32 id has been handed out: the relay
 * then refuses connections rather than reuse an id. */
static inline int sotto_ids_take(struct sotto_ids *g, uint32_t *id)
{
	if (g->next == 0 || g->next > UINT32_MAX)
		return -1;
	*id = (uint32_t)g->next++;
	return 0;
}

#endif
