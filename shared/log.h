/* SPDX-License-Identifier: ISC */
/* log.h: one-line log records on stderr. Never pass bodies or secrets. */
#ifndef SOTTO_LOG_H
#define SOTTO_LOG_H

enum sotto_log_level {
	SOTTO_LOG_ERR   = 0,
	SOTTO_LOG_WARN  = 1,
	SOTTO_LOG_INFO  = 2,
	SOTTO_LOG_DEBUG = 3,
};

void sotto_log_init(const char *prog, int level);
int sotto_log_level(void);
void sotto_log(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
