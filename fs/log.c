/* log.c: see log.h. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "log.h"

static bool log_on;

void log_enable(bool on)
{
	log_on = on;
}

void log_event(const char *fmt, ...)
{
	if (!log_on)
		return;

	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);

	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	struct tm tm;
	localtime_r(&now.tv_sec, &tm);
	fprintf(stderr, "doorfsd %02d:%02d:%02d.%03ld %s\n", tm.tm_hour,
		tm.tm_min, tm.tm_sec, now.tv_nsec / 1000000, line);
}
