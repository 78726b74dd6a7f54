/* route.h: what the relay does with each frame: join, check, forward, answer. */
#ifndef SOTTO_RELAY_ROUTE_H
#define SOTTO_RELAY_ROUTE_H

#include <stdint.h>

#include "frame.h"

struct conn;
struct room;

/* Act on one whole frame from c (c not closing). May close c. */
void route_frame(struct conn *c, const struct sotto_frame *f);
/* Tell every remaining member of rm that `id` left. */
void route_left(struct room *rm, uint32_t id);

#endif
