/* hash.h: uthash set up so that running out of memory fails one insert
 * instead of exiting the process (uthash's default). Include this, never
 * uthash.h directly. */
#ifndef SOTTO_RELAY_HASH_H
#define SOTTO_RELAY_HASH_H

/* Set by uthash when an insert could not allocate; the element was then
 * not added. Callers clear it, insert, and check it. */
extern int relay_hash_oom;

#define HASH_NONFATAL_OOM 1
#define uthash_nonfatal_oom(elt) (relay_hash_oom = 1)
#include <uthash.h>

#endif
