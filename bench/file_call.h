/*
 * file_call.h: one call through an open file, the way a file-plane client
 * makes it (docs/PROTOCOL.md, "Calling").  The raw FUSE baseline
 * (method_fuse.c) and the file-plane methods (method_fileplane.c) share
 * it, so the two differ only in what serves the file.  Single-threaded,
 * like the rest of doorbench's client side.
 */
#ifndef DOORBENCH_FILE_CALL_H
#define DOORBENCH_FILE_CALL_H

#include <stddef.h>
#include <sys/types.h>

#include "doorfs.h"

/*
 * Opens `path` read-write as the file the calls below go to (one method
 * runs at a time).  0, or -1 after printing why.
 */
int file_call_open(const char *path);
/* Closes it; harmless when none is open. */
void file_call_close(void);

/*
 * Both are bench_method round trips: the result's length, or -1 after
 * printing why (measure_method() then names the method).
 *
 * file_call_rw: write() the argument, then read() the result, two
 * requests to the file system when each fits in one FUSE request.
 */
ssize_t file_call_rw(const void *arg, void *reply, size_t payload);

/* The largest payload of file_call_ioctl, each way. */
#define FILE_CALL_IOCTL_MAX DOORFS_CALL_INLINE_MAX

/* One DOORFS_IOC_CALL ioctl: one request to the file system. */
ssize_t file_call_ioctl(const void *arg, void *reply, size_t payload);

#endif
