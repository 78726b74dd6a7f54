/* SPDX-License-Identifier: ISC */
/* fake_relay.h: an in-process wire-v1 §2 relay over socketpairs for the core tests (no network, no process). */
#ifndef SOTTO_TEST_FAKE_RELAY_H
#define SOTTO_TEST_FAKE_RELAY_H

#include <stddef.h>
#include <stdint.h>
#include <ev.h>

struct fake_relay;

struct fake_relay *fake_relay_new(struct ev_loop *loop);
/* Closes every connection (members get no LEFT: the relay is gone). */
void fake_relay_free(struct fake_relay *r);
/* A new connection: returns the client's end (non-blocking), or -1. */
int fake_relay_connect(struct fake_relay *r);
/* Close every connection, as a restarted relay would (ids keep counting). */
void fake_relay_drop_all(struct fake_relay *r);
/* Frames of a type (1..4) the relay has written to clients. */
unsigned fake_relay_sent(const struct fake_relay *r, uint8_t type);
/* Open connections. */
size_t fake_relay_conns(const struct fake_relay *r);

/* The one relay the core's connection seam (core_connect) reaches. */
extern struct fake_relay *fake_relay_current;

#endif
