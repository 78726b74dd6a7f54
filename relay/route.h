/* SPDX-License-Identifier: ISC */
/* route.h: what the relay does with each frame: join, check, forward, answer. */
#ifndef SOTTO_RELAY_ROUTE_H
#define SOTTO_RELAY_ROUTE_H

#include <stdint.h>

#include "frame.h"

struct conn;
struct room;

/* Act on one whole frame from c (c not closing). May close c. */
void route_frame(struct conn *c, const struct sotto_frame *f);
/* c joins rm: in its member list, f (its first INI, unless NULL: already
 * forwarded) forwarded, c answered with the roster. */
void route_join_commit(struct conn *c, struct room *rm, const struct sotto_frame *f);
/* Count (and with -v log) a frame from c dropped for its `to`. */
void route_drop(struct conn *c, const struct sotto_frame *f, const char *why);
/* Tell every remaining member of rm that `id` left. */
void route_left(struct room *rm, uint32_t id);

#endif
