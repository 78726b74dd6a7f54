/* SPDX-License-Identifier: ISC */
/* log.c: one line per record on stderr: UTC time, program, pid, level, message. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "utf8.h"

#define LOG_PROG_MAX 32
#define LOG_MSG_MAX  1024
/* Escaping turns a byte into at most 4 ("\xHH"). */
#define LOG_LINE_MAX (128 + 4 * LOG_MSG_MAX)

static char log_prog[LOG_PROG_MAX] = "sotto";
static int log_max = SOTTO_LOG_INFO;

void
sotto_log_init(const char *prog, int level)
{
	const char *slash;

	if (prog != NULL) {
		slash = strrchr(prog, '/');
		snprintf(log_prog, sizeof(log_prog), "%s", slash ? slash + 1 : prog);
	}
	log_max = level;
}

int
sotto_log_level(void)
{
	return log_max;
}

static const char *
level_name(int level)
{
	switch (level) {
	case SOTTO_LOG_ERR:  return "error";
	case SOTTO_LOG_WARN: return "warn";
	case SOTTO_LOG_INFO: return "info";
	default:             return "debug";
	}
}

/* Code points a terminal would act on rather than show, or that could
 * make one record look like two: controls, line/paragraph separators and
 * bidi overrides (which can visually reorder a log line). */
static int
unsafe_cp(uint32_t cp)
{
	return sotto_unicode_is_cc(cp) || cp == 0x2028 || cp == 0x2029 ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* Append msg to line at *o, escaping unsafe and invalid bytes as \xHH. */
static void
log_escape(char *line, size_t cap, size_t *o, const char *msg, size_t n)
{
	struct sotto_rd rd;
	const uint8_t *seq;
	size_t len, i;
	uint32_t cp;
	int escape;

	sotto_rd_init(&rd, msg, n);
	while (sotto_rd_left(&rd) > 0) {
		if (sotto_utf8_take(&rd, &cp, &seq, &len) == 0) {
			escape = unsafe_cp(cp);
		} else {
			escape = 1;
			len = 1;
			sotto_rd_ptr(&rd, &seq, len);
		}
		if (*o + 4 * len >= cap)
			return;
		for (i = 0; i < len; i++) {
			if (escape)
				*o += (size_t)snprintf(line + *o, cap - *o, "\\x%02x", seq[i]);
			else
				line[(*o)++] = (char)seq[i];
		}
	}
}

static size_t
log_stamp(char *line, size_t cap, int level)
{
	struct timespec ts;
	struct tm tm;
	char when[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	return (size_t)snprintf(line, cap, "%s.%03ldZ %s[%ld] %s: ", when,
	    ts.tv_nsec / 1000000, log_prog, (long)getpid(), level_name(level));
}

void
sotto_log(int level, const char *fmt, ...)
{
	char msg[LOG_MSG_MAX], line[LOG_LINE_MAX];
	size_t o, done = 0;
	int saved = errno, n;
	va_list ap;
	ssize_t w;

	if (level > log_max)
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	o = log_stamp(line, sizeof(line), level);
	log_escape(line, sizeof(line) - 16, &o, msg,
	    (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
	if ((size_t)n >= sizeof(msg))
		o += (size_t)snprintf(line + o, sizeof(line) - o, " [...]");
	line[o++] = '\n';
	/* One write per record, so records of concurrent writers do not mix. */
	while (done < o) {
		w = write(STDERR_FILENO, line + done, o - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	errno = saved;
}
