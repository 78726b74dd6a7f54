/* SPDX-License-Identifier: ISC */
/* check.h: the tiny assertion harness every unit test uses.
 * Each failed check prints file:line and the expression; main returns
 * check_summary(), which prints "N passed, N failed" and the exit code. */
#ifndef SOTTO_CHECK_H
#define SOTTO_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_passed, check_failed;

#define CHECK(cond) do {                                                  \
	if (cond) check_passed++;                                         \
	else { check_failed++;                                            \
	    fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__, __LINE__, #cond); } \
} while (0)

#define CHECK_EQ(a, b) do {                                               \
	long long check_a_ = (long long)(a), check_b_ = (long long)(b);   \
	if (check_a_ == check_b_) check_passed++;                         \
	else { check_failed++;                                            \
	    fprintf(stderr, "%s:%d: FAILED: %s == %s (%lld != %lld)\n",   \
	        __FILE__, __LINE__, #a, #b, check_a_, check_b_); }       \
} while (0)

#define CHECK_MEM(a, b, n) CHECK(memcmp((a), (b), (n)) == 0)
#define CHECK_STR(a, b) CHECK(strcmp((a), (b)) == 0)

static inline int check_summary(void)
{
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return check_failed == 0 && check_passed > 0 ? 0 : 1;
}

#endif
