/* SPDX-License-Identifier: ISC */
/* hash.h: uthash set up so that running out of memory fails one insert
 * instead of exiting the process (uthash's default). Include this, never
 * uthash.h directly. A file that sets HASH_FUNCTION does so before it. */
#ifndef SOTTO_HASH_H
#define SOTTO_HASH_H

/* Set by uthash when an insert could not allocate; the element was then
 * not added. Callers clear it, insert, and check it:
 *	sotto_hash_oom = 0;
 *	HASH_ADD(hh, head, id, sizeof(e->id), e);
 *	if (sotto_hash_oom) { free(e); return SOTTO_E_ALLOC; }
 * One flag for the process: inserts happen on the loop's thread only. */
extern int sotto_hash_oom;

#define HASH_NONFATAL_OOM 1
#define uthash_nonfatal_oom(elt) (sotto_hash_oom = 1)
#include <uthash.h>

#endif
