/*
 * wire.h: fast-plane socket messages and sealed bulk memfds (wire.c).
 * Private: never installed.  Shared by libdoor and by doorfsd, which is
 * a fast-plane client when it forwards file-plane calls.
 *
 * Functions return 0 or an errno value (positive).
 */
#ifndef DOORFS_WIRE_H
#define DOORFS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <doorfs.h>

/* One header and up to DOORFS_DESCS_BATCH descriptors: 0 or errno. */
int wire_send(int sock, const void *head, size_t len, const int *fds,
	      unsigned nfds);
/* The same, received whole (else EPROTO, no descriptor kept). */
int wire_recv(int sock, void *head, size_t len, int *fds, unsigned max_fds,
	      unsigned *nfds, int flags);
/* Whether fd is an eventfd: a peer's wake-up descriptor must be one,
 * so writing it can never block (nor be a file on a doorfs mount). */
bool wire_is_eventfd(int fd);
/* Bulk data: a sealed memfd holding it, sent or received for call seq. */
int bulk_make(const void *data, size_t size, int *fd);
int bulk_send(int sock, uint64_t seq, const void *data, size_t size);
int bulk_recv(int sock, uint64_t seq, uint64_t size, int flags, int *fd);

#endif
