/*
 * log.h: the daemon's event log.
 *
 * One line per unusual event (a revoked door, an abandoned call, a bad
 * request), written to stderr when the daemon runs in the foreground
 * (-f or -d) and dropped otherwise.  Ordinary calls are never logged:
 * the log must stay readable under load.
 */
#ifndef DOORFS_LOG_H
#define DOORFS_LOG_H

#include <stdbool.h>

void log_enable(bool on);
void log_event(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
