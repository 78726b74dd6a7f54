/* SPDX-License-Identifier: ISC */
/* test_relay_budget.c: the input budget's token buckets on a clock the test drives. */
#include "budget.h"
#include "check.h"

static void test_frames(void)
{
	struct budget_cfg cfg;
	struct budget b;
	int i, passed = 0;

	budget_cfg_set(&cfg, 100, 0, 10, 1000);
	budget_init(&b, &cfg, 0);
	/* A full bucket lets the burst through at once, then holds. */
	for (i = 0; i < 50 && budget_allows(&b, &cfg); i++) {
		budget_charge(&b, &cfg, 20);
		passed++;
	}
	CHECK_EQ(passed, 10);
	CHECK(budget_wait(&b, &cfg) > 0.009 && budget_wait(&b, &cfg) < 0.011);
	/* Tokens come back at the rate, never past the burst. */
	budget_refill(&b, &cfg, 0.05);
	CHECK(budget_allows(&b, &cfg));
	CHECK(b.frames > 4.99 && b.frames < 5.01);
	budget_refill(&b, &cfg, 100);
	CHECK(b.frames <= 10.0 && b.frames > 9.99);
	/* A clock that goes backwards adds nothing. */
	budget_refill(&b, &cfg, 50);
	CHECK(b.frames <= 10.0);
}

static void test_bytes_and_debt(void)
{
	struct budget_cfg cfg;
	struct budget b;

	/* rate 0: the byte bucket holds 1 s, but at least one largest frame. */
	budget_cfg_set(&cfg, 0, 1000, 10, 4000);
	CHECK(cfg.depth_bytes >= 4004 && cfg.depth_bytes < 4005);
	budget_init(&b, &cfg, 0);
	CHECK(budget_allows(&b, &cfg));
	budget_charge(&b, &cfg, 4004);      /* one largest frame: in debt */
	CHECK(!budget_allows(&b, &cfg));
	CHECK(budget_wait(&b, &cfg) > 0.0 && budget_wait(&b, &cfg) < 0.01);
	budget_charge(&b, &cfg, 1000);      /* the caller never does, but: */
	CHECK(budget_wait(&b, &cfg) > 0.99 && budget_wait(&b, &cfg) < 1.01);
	budget_refill(&b, &cfg, 1.01);
	CHECK(budget_allows(&b, &cfg));
	/* Byte depth follows the frame bucket's seconds: 2 s here. */
	budget_cfg_set(&cfg, 50, 1 << 20, 100, 1000);
	CHECK(cfg.depth_bytes > 2097151 && cfg.depth_bytes < 2097153);
}

static void test_unlimited(void)
{
	struct budget_cfg cfg;
	struct budget b;
	int i;

	budget_cfg_set(&cfg, 0, 0, 25, 1 << 20);
	CHECK(budget_unlimited(&cfg));
	budget_init(&b, &cfg, 0);
	for (i = 0; i < 100000; i++)
		budget_charge(&b, &cfg, 1 << 20);
	CHECK(budget_allows(&b, &cfg));
	CHECK(budget_wait(&b, &cfg) == 0);
	budget_cfg_set(&cfg, 0, 1, 25, 1 << 20);
	CHECK(!budget_unlimited(&cfg));
}

int main(void)
{
	test_frames();
	test_bytes_and_debt();
	test_unlimited();
	return check_summary();
}
