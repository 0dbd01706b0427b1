/*
 * doorfs.h: the contract between doorfsd and everything that talks to it.
 *
 * Every ioctl number, wire struct and extended-attribute name of doorfs is
 * defined here and nowhere else.  Structs have explicit sizes and a version
 * field so a client built against an older header is recognised; all
 * integers are in host byte order (doors never leave the machine).
 *
 * The file-plane protocol these serve is described in docs/PROTOCOL.md.
 */
#ifndef DOORFS_H
#define DOORFS_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>

#define DOORFS_VERSION 1

/* The filesystem type as the kernel shows it in /proc/self/mountinfo. */
#define DOORFS_FSTYPE "fuse.doorfs"

/*
 * Largest argument or result one call may carry through the file plane.
 * It bounds what a single client can make the daemon buffer; a write past
 * it fails with E2BIG.
 */
#define DOORFS_DATA_MAX (64u << 20)

/*
 * Door attribute bits reported in doorfs_info.attributes.  They are the
 * illumos values (see <door.h>), so a door_info_t can be filled directly.
 */
#define DOORFS_ATTR_UNREF        0x01u
#define DOORFS_ATTR_PRIVATE      0x02u
#define DOORFS_ATTR_LOCAL        0x04u /* the asking process is the server */
#define DOORFS_ATTR_REVOKED      0x08u
#define DOORFS_ATTR_UNREF_MULTI  0x10u
#define DOORFS_ATTR_IS_UNREF     0x20u
#define DOORFS_ATTR_REFUSE_DESC  0x40u
#define DOORFS_ATTR_NO_CANCEL    0x80u
#define DOORFS_ATTR_NO_DEPLETION_CB 0x100u /* door_xcreate's */
#define DOORFS_ATTR_PRIVCREATE   0x200u /* made by door_xcreate */

/* DOORFS_IOC_INFO: what door_info() reports, for any open door descriptor. */
struct doorfs_info {
	uint32_t version;       /* DOORFS_VERSION */
	int32_t  target;        /* server pid, -1 once revoked */
	uint64_t proc;          /* server procedure (libdoor doors), else 0 */
	uint64_t data;          /* server cookie (libdoor doors), else 0 */
	uint32_t attributes;    /* DOORFS_ATTR_* */
	uint32_t server_ends;   /* server ends currently open */
	uint64_t id;            /* unique for the daemon's lifetime, never 0 */
	uint64_t calls;         /* calls completed so far */
	uint32_t uid;           /* creator's uid and gid */
	uint32_t gid;
};

/*
 * DOORFS_IOC_CALL: a whole call in one request, for small payloads.
 * In: arg_size bytes of data.  Out: result_size bytes of data.  A result
 * larger than DOORFS_CALL_INLINE_MAX fails with E2BIG after the call ran,
 * and stays on the descriptor: read() returns it.  The struct is one
 * page so the kernel copies it in one piece each way.
 */
#define DOORFS_CALL_INLINE_MAX 4080u
struct doorfs_call {
	uint32_t version;       /* DOORFS_VERSION */
	uint32_t arg_size;      /* in */
	uint32_t result_size;   /* out */
	uint32_t reserved;      /* must be 0 */
	char     data[DOORFS_CALL_INLINE_MAX];
};

/*
 * Whether the daemon takes a DOORFS_IOC_CALL request of size bytes: 0,
 * or the errno it fails with.  Shared so that bench/rawfuse checks each
 * request exactly as doorfsd does.
 */
static inline int doorfs_call_check(const struct doorfs_call *in, size_t size)
{
	if (size < sizeof(*in) || in->version != DOORFS_VERSION ||
	    in->reserved != 0)
		return EINVAL;
	if (in->arg_size > DOORFS_CALL_INLINE_MAX)
		return E2BIG;
	return 0;
}

/* DOORFS_IOC_CALLER: who made the call a server end is holding. */
struct doorfs_caller {
	uint32_t version;       /* DOORFS_VERSION */
	int32_t  pid;           /* caller's process id (thread group) */
	uint32_t uid;           /* caller's effective (filesystem) uid and gid */
	uint32_t gid;
	uint64_t arg_size;      /* size of the call's arguments */
	uint32_t flags;         /* DOORFS_CALLER_* */
	uint32_t reserved;
};
/*
 * The call is the daemon's unreferenced notice (DOOR_UNREF): no one made
 * it, pid is 0, and no result is expected.  Sent to a libdoor door with
 * DOOR_UNREF or DOOR_UNREF_MULTI when its last reference but one goes.
 */
#define DOORFS_CALLER_UNREF 0x1u

/* Longest fast-plane rendezvous name (an abstract AF_UNIX address). */
#define DOORFS_RENDEZVOUS_MAX 64

/*
 * DOORFS_IOC_SETUP: a libdoor server describes its door, on a server end.
 * The daemon reports proc, data and attributes through door_info and
 * hands the rendezvous to callers (DOORFS_IOC_RENDEZVOUS).
 */
struct doorfs_params {
	uint64_t data_min;      /* DOOR_PARAM_DATA_MIN */
	uint64_t data_max;      /* DOOR_PARAM_DATA_MAX */
	uint64_t desc_max;      /* DOOR_PARAM_DESC_MAX */
};

struct doorfs_setup {
	uint32_t version;       /* DOORFS_VERSION */
	uint32_t attributes;    /* DOORFS_ATTR_* given to door_create */
	uint64_t proc;
	uint64_t data;
	struct doorfs_params params;    /* door_setparam sends them again */
	char     rendezvous[DOORFS_RENDEZVOUS_MAX]; /* NUL-terminated */
};

/* DOORFS_IOC_RENDEZVOUS: where a caller reaches the door's server. */
struct doorfs_rendezvous {
	uint32_t version;       /* DOORFS_VERSION */
	int32_t  pid;           /* server pid */
	uint64_t id;            /* door id, as in doorfs_info */
	char     name[DOORFS_RENDEZVOUS_MAX]; /* "" for a file-plane server */
};

#define DOORFS_IOC_MAGIC 'D'

/* Any door descriptor: door_info. */
#define DOORFS_IOC_INFO         _IOR(DOORFS_IOC_MAGIC, 1, struct doorfs_info)
/* Client descriptor: one whole call (arguments in, result out). */
#define DOORFS_IOC_CALL         _IOWR(DOORFS_IOC_MAGIC, 2, struct doorfs_call)
/* Server end: complete the held call with the result written so far. */
#define DOORFS_IOC_RETURN       _IO(DOORFS_IOC_MAGIC, 3)
/* Server end: the token that lets another descriptor become a server end. */
#define DOORFS_IOC_SERVER_TOKEN _IOR(DOORFS_IOC_MAGIC, 4, uint64_t)
/* Client descriptor of the same door + token: become a server end. */
#define DOORFS_IOC_SERVE        _IOW(DOORFS_IOC_MAGIC, 5, uint64_t)
/* Server end holding a call: the caller's credentials. */
#define DOORFS_IOC_CALLER       _IOR(DOORFS_IOC_MAGIC, 6, struct doorfs_caller)
/*
 * Server end: from now on a result is complete only at DOORFS_IOC_RETURN,
 * the next read() or close(), so it may be written in any number of
 * writes (by default the end of a write() completes the call).
 */
#define DOORFS_IOC_HOLD_RESULTS _IO(DOORFS_IOC_MAGIC, 7)
/* Server end: describe the door (libdoor). */
#define DOORFS_IOC_SETUP        _IOW(DOORFS_IOC_MAGIC, 8, struct doorfs_setup)
/* Any door descriptor: the server's fast-plane rendezvous.  EBADF once
 * the door is revoked. */
#define DOORFS_IOC_RENDEZVOUS   _IOR(DOORFS_IOC_MAGIC, 9, struct doorfs_rendezvous)
/* Server end: revoke the door now (door_revoke). */
#define DOORFS_IOC_REVOKE       _IO(DOORFS_IOC_MAGIC, 10)
/* Any door descriptor: door_getparam's values (file-plane doors: the
 * defaults, no minimum and no maximum). */
#define DOORFS_IOC_PARAMS       _IOR(DOORFS_IOC_MAGIC, 11, struct doorfs_params)
/*
 * fattach inside a mount: on a descriptor of the door (any end: holding
 * it is the proof the caller may name it), attach the door to the file at
 * path, relative to the mount's root.  The name keeps its own mode, owner
 * and times.  ENOENT/ENOTDIR if there is no such file; EBUSY if something
 * is attached already; EPERM unless the caller owns the name (or is
 * root); EACCES if the owner may not write it.
 */
#define DOORFS_ATTACH_PATH_MAX 1024
struct doorfs_attach {
	uint32_t version;       /* DOORFS_VERSION */
	uint32_t reserved;      /* must be 0 */
	char     path[DOORFS_ATTACH_PATH_MAX];      /* NUL-terminated */
};
#define DOORFS_IOC_ATTACH       _IOW(DOORFS_IOC_MAGIC, 12, struct doorfs_attach)
/*
 * Server end that described the door (DOORFS_IOC_SETUP): the door's
 * forwarding key, which the daemon presents when it connects to forward
 * file-plane calls (DOORFS_HELLO_FORWARD).  EPERM on any other end.
 */
#define DOORFS_IOC_FORWARD_KEY  _IOR(DOORFS_IOC_MAGIC, 14, uint64_t)
/* fdetach: on a descriptor opened on an attached name.  EINVAL if it is
 * not attached; EPERM unless the caller owns it (or is root). */
#define DOORFS_IOC_DETACH       _IO(DOORFS_IOC_MAGIC, 13)

/*
 * The fast plane: libdoor client to libdoor server, the daemon not in the
 * path.  A server process listens on a SOCK_SEQPACKET socket at the
 * abstract AF_UNIX address "\0" + rendezvous.  A client connects once per
 * (thread, door) and sends doorfs_hello with SCM_RIGHTS carrying, in this
 * order: the door descriptor (possession: the server asks the daemon,
 * DOORFS_IOC_INFO on it, which door it is, on which mount), the call slot (a memfd of DOORFS_SLOT_SIZE bytes sealed against
 * shrinking), and an eventfd the server writes to wake a sleeping client.
 * The server answers doorfs_welcome, with SCM_RIGHTS carrying its doorbell
 * eventfd (client to server wake-ups) when error is 0.  Credentials come
 * from SO_PEERCRED on the connection, never from the slot.
 */
struct doorfs_hello {
	uint32_t version;       /* DOORFS_VERSION */
	uint32_t slot_size;     /* DOORFS_SLOT_SIZE */
	uint64_t door_id;       /* from DOORFS_IOC_RENDEZVOUS */
	uint32_t flags;         /* DOORFS_HELLO_*, else 0 */
	uint32_t reserved;      /* must be 0 */
	uint64_t forward_key;   /* DOORFS_HELLO_FORWARD only, else 0 */
};
/*
 * The daemon forwarding file-plane calls (docs/PROTOCOL.md).  It holds no
 * door descriptor (a file of its own mount), so it proves itself with the
 * door's forwarding key instead, and SCM_RIGHTS carries only the slot and
 * the eventfd.  On such a connection, and only there, the server takes
 * each call's caller from the slot (caller_tid, caller_uid, caller_gid)
 * and holds results to result_max.
 */
#define DOORFS_HELLO_FORWARD 0x1u

struct doorfs_welcome {
	uint32_t version;       /* DOORFS_VERSION */
	int32_t  error;         /* 0, or why the connection is refused */
	uint32_t flags;         /* DOORFS_WELCOME_* */
	uint32_t reserved;      /* 0 */
};
/*
 * The server holds a pidfd of the client and reads its ids when
 * door_ucred asks, so a client whose ids change need not connect again
 * (else it must: the server would go on seeing its ids of the connect).
 */
#define DOORFS_WELCOME_LIVE_IDS 0x1u

/*
 * One call at a time travels through the slot:
 *   IDLE -client-> CALL -server-> SERVING -server-> REPLY -client-> IDLE
 * Small data sits in the slot after the header; data larger than
 * DOORFS_SLOT_DATA_MAX travels in a sealed memfd sent on the socket just
 * before the state changes (doorfs_bulk), so it is never copied twice and
 * cannot change under its reader.  The server copies slot data before
 * its procedure sees it: the client can write the slot at any time.
 */
/*
 * Big enough for a 1 MiB call in place: copying through shared memory
 * beats a memfd made per call up to there.  It is a shared mapping, so a
 * connection holds only the pages its largest call touched.
 */
#define DOORFS_SLOT_SIZE ((1u << 20) + (64u << 10))

enum doorfs_slot_state {
	DOORFS_SLOT_IDLE = 0,
	DOORFS_SLOT_CALL = 1,
	DOORFS_SLOT_SERVING = 2,
	DOORFS_SLOT_REPLY = 3,
};

#define DOORFS_SLOT_NO_RESULT 0x1u /* door_call(d, NULL): no result accepted */
#define DOORFS_SLOT_BULK      0x2u /* the data is in a doorfs_bulk memfd */
#define DOORFS_SLOT_DESCS     0x4u /* ndesc descriptors follow on the socket */
/*
 * The data is still being copied in: CALL or REPLY is published before
 * the bytes, which follow in pieces as slot->filled says, so the reader
 * copies each piece out while the writer copies the next one in.  A
 * writer streams only data of more than one piece that fits the slot,
 * and only where the two sides can run at once.  The reader must not
 * wait for ever: the server gives up a call whose arguments stop coming
 * (its client hung up, or no piece for a second: EPROTO, and the
 * connection is dropped); the client watches the socket, which hangs up
 * when the server dies.  Descriptors of a streamed call or reply are
 * sent before it is published, as for any other.  Never used on a
 * DOORFS_HELLO_FORWARD connection, either way.
 */
#define DOORFS_SLOT_STREAM    0x8u

/*
 * The layout of the slot, which the client sets in slot->version before
 * it connects and the server checks: version 2 grew the header to 128
 * bytes for filled (DOORFS_SLOT_STREAM).
 */
#define DOORFS_SLOT_VERSION 2

struct doorfs_slot {
	uint32_t version;               /* DOORFS_SLOT_VERSION, set by the client */
	uint32_t state;                 /* doorfs_slot_state; a futex word */
	uint32_t client_sleeping;       /* DOORFS_SLOT_SLEEP_*, 0 awake */
	int32_t  server_cpu;            /* CPU of the serving thread, or -1 */
	uint32_t flags;                 /* DOORFS_SLOT_* of the call/reply */
	int32_t  error;                 /* REPLY: 0 or door_call's errno */
	uint64_t size;                  /* CALL: argument bytes; REPLY: result */
	uint64_t seq;                   /* call number; the reply echoes it */
	uint32_t ndesc;                 /* descriptors of the call/reply */
	uint32_t progress;              /* bumped as data is copied in or out */
	/* CALL on a DOORFS_HELLO_FORWARD connection: the file-plane caller
	 * as the kernel reported it to the daemon (the thread id: the
	 * server finds its process when door_ucred asks), and the largest
	 * result the daemon can take (door_return fails with E2BIG past
	 * it; at most DOORFS_DATA_MAX, so 32 bits hold it).  Ignored on
	 * any other connection. */
	int32_t  caller_tid;
	uint32_t caller_uid;
	uint32_t caller_gid;
	uint32_t result_max;
	/* DOORFS_SLOT_STREAM: how many of the size bytes are in the slot
	 * so far.  The side copying them in stores it with release after
	 * each piece (and 0 before it publishes CALL or REPLY); the other
	 * side loads it with acquire and copies out what is there. */
	uint64_t filled;
	uint32_t reserved[14];          /* 0 */
};
#define DOORFS_SLOT_DATA_MAX (DOORFS_SLOT_SIZE - sizeof(struct doorfs_slot))

/*
 * How a client that stopped spinning waits for its reply, and so how the
 * server, after setting REPLY, wakes it.  The client sets it before it
 * looks at the state one last time, the server reads it after setting
 * the state: one of them sees the other.
 */
#define DOORFS_SLOT_SLEEP_POLL  1u /* in poll(): write its eventfd */
#define DOORFS_SLOT_SLEEP_FUTEX 2u /* FUTEX_WAIT on state: FUTEX_WAKE it */

/*
 * On the socket, with SCM_RIGHTS [count descriptors]: the descriptors of
 * call seq (or of its reply), in order, in batches of at most
 * DOORFS_DESCS_BATCH (the kernel's limit per message is 253).  They are
 * sent after any bulk data of the same call.
 */
#define DOORFS_DESCS_BATCH 250
struct doorfs_descs {
	uint32_t version;       /* DOORFS_VERSION */
	uint32_t count;         /* descriptors in this message */
	uint64_t seq;
};

/* On the socket, with SCM_RIGHTS [sealed memfd]: bulk data of call seq. */
struct doorfs_bulk {
	uint32_t version;       /* DOORFS_VERSION */
	uint32_t reserved;
	uint64_t seq;
	uint64_t size;
};

/* Extended attributes of a door file; values are decimal ASCII. */
#define DOORFS_XATTR_SERVER_PID  "user.door.server_pid"
#define DOORFS_XATTR_ID          "user.door.id"
#define DOORFS_XATTR_ATTRIBUTES  "user.door.attributes"
#define DOORFS_XATTR_REVOKED     "user.door.revoked"
#define DOORFS_XATTR_CALLS       "user.door.calls"

#endif /* DOORFS_H */
