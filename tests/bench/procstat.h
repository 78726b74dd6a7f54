/* SPDX-License-Identifier: ISC */
/* procstat.h: a process's memory and CPU time from /proc/PID (Linux). */
#ifndef SOTTO_BENCH_PROCSTAT_H
#define SOTTO_BENCH_PROCSTAT_H

#include <sys/types.h>

struct procstat {
	long   rss_kb;     /* VmRSS */
	long   hwm_kb;     /* VmHWM: peak resident set */
	double cpu_s;      /* utime + stime */
};

/* 0, or -1 when the process is gone or /proc is unreadable. */
int procstat_read(pid_t pid, struct procstat *ps);

#endif
