/* SPDX-License-Identifier: ISC */
/* procstat.c: read VmRSS/VmHWM from /proc/PID/status and utime+stime from /proc/PID/stat.
 *
 * These files are text the kernel writes, not peer bytes; the one field a
 * process controls (comm, in parentheses) is skipped by searching for the
 * last ')', as procps does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procstat.h"

static int read_file(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return -1;
	n = fread(buf, 1, cap - 1, f);
	fclose(f);
	buf[n] = '\0';
	return n > 0 ? 0 : -1;
}

static long status_kb(const char *status, const char *key)
{
	const char *p = strstr(status, key);

	if (p == NULL)
		return -1;
	return strtol(p + strlen(key), NULL, 10);
}

int procstat_read(pid_t pid, struct procstat *ps)
{
	char path[64], buf[4096];
	const char *p;
	unsigned long utime, stime;
	long hz = sysconf(_SC_CLK_TCK);

	memset(ps, 0, sizeof(*ps));
	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if (read_file(path, buf, sizeof(buf)) != 0)
		return -1;
	ps->rss_kb = status_kb(buf, "\nVmRSS:");
	ps->hwm_kb = status_kb(buf, "\nVmHWM:");

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if (read_file(path, buf, sizeof(buf)) != 0 ||
	    (p = strrchr(buf, ')')) == NULL)
		return -1;
	/* After ") ": state(3) ... utime is field 14, stime 15. */
	if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	    &utime, &stime) != 2)
		return -1;
	ps->cpu_s = (double)(utime + stime) / (double)(hz > 0 ? hz : 100);
	return 0;
}
