/* SPDX-License-Identifier: ISC */
/* hash.c: the flag uthash sets when an insert runs out of memory (hash.h). */
#include "hash.h"

int sotto_hash_oom;
