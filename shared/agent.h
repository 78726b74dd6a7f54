/* SPDX-License-Identifier: ISC */
/* agent.h: an ssh-agent client: find an ssh-ed25519 identity and have the agent sign with it.
 *
 * Requests go out in order on one connection and the agent answers in
 * order, so several signatures may be in flight. Two ways to drive it:
 *  - blocking: sotto_agent_find and sotto_agent_sign (start-up, tools);
 *  - from an event loop: after sotto_agent_nonblock, sotto_agent_sign_queue
 *    adds a request; call sotto_agent_flush when the fd is writable and
 *    sotto_agent_want_write says so, sotto_agent_read when it is readable,
 *    then sotto_agent_sign_next until it returns SOTTO_E_AGAIN.
 * Every answer is parsed through the bounds-checked reader. Errors are
 * returned with one line in err, never printed.
 */
#ifndef SOTTO_AGENT_H
#define SOTTO_AGENT_H

#include <stddef.h>
#include <stdint.h>
#include "wire.h"

struct sotto_agent;

/* Connect to path (NULL: $SSH_AUTH_SOCK). SOTTO_E_NOTFOUND when no
 * agent is set, SOTTO_E_IO when it cannot be reached. */
int sotto_agent_open(const char *path, struct sotto_agent **out, char *err,
    size_t err_len);
/* Adopt a connected socket (tests, inherited descriptors); freed with a. */
int sotto_agent_from_fd(int fd, struct sotto_agent **out);
void sotto_agent_free(struct sotto_agent *a);
int sotto_agent_fd(const struct sotto_agent *a);
/* Switch the socket to non-blocking for event-loop use. */
int sotto_agent_nonblock(struct sotto_agent *a);

/* Blocking, up to timeout_ms (<= 0: no limit): whether the agent holds
 * this ssh-ed25519 key (0 yes, SOTTO_E_NOTFOUND no). Only before any
 * sign request is in flight. */
int sotto_agent_find(struct sotto_agent *a,
    const uint8_t pub[static SOTTO_ED25519_PUB], int timeout_ms, char *err,
    size_t err_len);
/* Blocking signature (same rules), checked against pub before return. */
int sotto_agent_sign(struct sotto_agent *a,
    const uint8_t pub[static SOTTO_ED25519_PUB], const void *msg, size_t n,
    uint8_t sig[static SOTTO_ED25519_SIG], int timeout_ms, char *err,
    size_t err_len);

/* Event-loop use. Queue one SIGN_REQUEST (no I/O happens here). */
int sotto_agent_sign_queue(struct sotto_agent *a,
    const uint8_t pub[static SOTTO_ED25519_PUB], const void *msg, size_t n);
/* Requests sent or queued whose answer has not been taken yet. */
size_t sotto_agent_pending(const struct sotto_agent *a);
int sotto_agent_want_write(const struct sotto_agent *a);
/* Write what the socket takes: 0, or SOTTO_E_IO (the agent is gone). */
int sotto_agent_flush(struct sotto_agent *a, char *err, size_t err_len);
/* Read what is there: 0, or SOTTO_E_IO on EOF/error (the agent is gone). */
int sotto_agent_read(struct sotto_agent *a, char *err, size_t err_len);
/* The answer to the oldest request: 0 and its signature; SOTTO_E_AGAIN
 * when it has not fully arrived; SOTTO_E_AGENT when the agent refused
 * that request (it is consumed; the connection stays usable); any other
 * error means a malformed answer: drop the connection. The caller
 * checks the signature against the key (sotto_ed25519_verify). */
int sotto_agent_sign_next(struct sotto_agent *a,
    uint8_t sig[static SOTTO_ED25519_SIG], char *err, size_t err_len);

#endif
