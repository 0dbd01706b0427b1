/*
 * fuse_ops.h: doorfsd's FUSE low-level operations table.
 */
#ifndef DOORFS_FUSE_OPS_H
#define DOORFS_FUSE_OPS_H

#define FUSE_USE_VERSION 35
#include <fuse_lowlevel.h>

/* The operations; doorfs_ops_init must run before the session starts. */
extern const struct fuse_lowlevel_ops doorfs_ops;

/* Create the namespace; the root directory gets this owner and mode. */
void doorfs_ops_init(uid_t uid, gid_t gid, mode_t root_mode);
/* The session, for notices to the kernel (set once it exists). */
void doorfs_ops_session(struct fuse_session *se);
void doorfs_ops_fini(void);

#endif
