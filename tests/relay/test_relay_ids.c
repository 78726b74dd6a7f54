/* SPDX-License-Identifier: ISC */
/* test_relay_ids.c: member ids start at 1, never repeat, and run out loudly. */
#include <stdint.h>

#include "check.h"
#include "ids.h"

int main(void)
{
	struct sotto_ids g;
	uint32_t id = 0, prev = 0;
	int i;

	sotto_ids_init(&g, 1);
	for (i = 0; i < 1000; i++) {
		CHECK_EQ(sotto_ids_take(&g, &id), 0);
		CHECK_EQ(id, prev + 1);
		prev = id;
	}

	/* The last ids of the u32 range, then refusal for good. */
	sotto_ids_init(&g, UINT32_MAX - 1);
	CHECK_EQ(sotto_ids_take(&g, &id), 0);
	CHECK_EQ(id, UINT32_MAX - 1);
	CHECK_EQ(sotto_ids_take(&g, &id), 0);
	CHECK_EQ(id, UINT32_MAX);
	id = 7;
	CHECK_EQ(sotto_ids_take(&g, &id), -1);
	CHECK_EQ(id, 7);                        /* untouched on refusal */
	CHECK_EQ(sotto_ids_take(&g, &id), -1);  /* and it stays refused */

	/* 0 is the relay's own id: a counter there never hands it out. */
	sotto_ids_init(&g, 0);
	CHECK_EQ(sotto_ids_take(&g, &id), -1);
	return check_summary();
}
