/* SPDX-License-Identifier: ISC */
/* container.h: container_of, to recover a struct from a member embedded in it (libev watchers, list links). */
#ifndef SOTTO_CONTAINER_H
#define SOTTO_CONTAINER_H

#include <stddef.h>

#define container_of(p, type, member) \
	((type *)(void *)((char *)(p) - offsetof(type, member)))

#endif
