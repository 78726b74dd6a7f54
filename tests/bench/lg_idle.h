/* SPDX-License-Identifier: ISC */
/* lg_idle.h: idle mode: many joined connections held open, spread over worker processes. */
#ifndef SOTTO_BENCH_LG_IDLE_H
#define SOTTO_BENCH_LG_IDLE_H

#include <sys/resource.h>

struct lg_opts;

/* Connects o->rooms * o->members members in as many processes as the
 * open-file limit needs, holds them o->seconds, prints the server's
 * memory per connection. Returns the exit status. */
int lg_idle_main(const struct lg_opts *o, rlim_t nofile);

#endif
