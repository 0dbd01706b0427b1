/*
 * sys/door.h: the door types and constants of illumos, for Linux.
 *
 * Every name, value and structure layout here is the illumos one
 * (usr/src/uts/common/sys/door.h), so illumos door programs compile
 * unchanged and a door_desc_t or door_info_t means the same bytes on both
 * systems.  Kernel-only members (door_handle_t, the door_node) and the
 * syscall subcodes are left out: they name nothing a program can use.
 *
 * Include <door.h> for the functions; this header has only types,
 * constants and the server procedure typedefs.
 */
#ifndef _SYS_DOOR_H
#define _SYS_DOOR_H

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * illumos gets uint_t from <sys/types.h>; glibc has no such type.  The
 * macro guard lets <ucred.h> (and other Solaris-compatibility headers that
 * adopt the same guard) declare it exactly once.
 */
#ifndef __uint_t_defined
#define __uint_t_defined
typedef unsigned int uint_t;
#endif

/* Basic door types. */
typedef unsigned long long door_ptr_t;  /* a pointer, 64 bits wide always */
typedef unsigned long long door_id_t;   /* unique door identifier */
typedef unsigned int door_attr_t;       /* DOOR_* attribute bits */

#define DOOR_INVAL (-1)                 /* "no door" descriptor value */
#define DOOR_UNREF_DATA ((void *)1)     /* argp of an unref invocation */

/* door_info(DOOR_QUERY, ...): the door the calling thread is bound to. */
#define DOOR_QUERY (-2)

/* Attributes given to door_create. */
#define DOOR_UNREF           0x01       /* one unref notification */
#define DOOR_PRIVATE         0x02       /* private pool of server threads */
#define DOOR_UNREF_MULTI     0x10       /* unref notification, repeatable */
#define DOOR_REFUSE_DESC     0x40       /* refuse descriptor arguments */
#define DOOR_NO_CANCEL       0x80       /* client abort does not cancel */
#define DOOR_NO_DEPLETION_CB 0x100      /* door_xcreate: no depletion calls */

/* Attributes reported by door_info and in received door_desc_t. */
#define DOOR_LOCAL           0x04       /* door created by this process */
#define DOOR_REVOKED         0x08       /* door has been revoked */
#define DOOR_IS_UNREF        0x20       /* exactly one reference left */
#define DOOR_PRIVCREATE      0x200      /* created by door_xcreate */
#define DOOR_DEPLETION_CB    0x400      /* set only in depletion callbacks */

/* Masks of the above. */
#define DOOR_CREATE_MASK (DOOR_UNREF | DOOR_PRIVATE | DOOR_UNREF_MULTI | \
	DOOR_REFUSE_DESC | DOOR_NO_CANCEL | DOOR_NO_DEPLETION_CB | \
	DOOR_PRIVCREATE)
#define DOOR_ATTR_MASK (DOOR_CREATE_MASK | DOOR_LOCAL | DOOR_REVOKED | \
	DOOR_IS_UNREF)

/* door_desc_t.d_attributes. */
#define DOOR_DESCRIPTOR      0x10000    /* d_desc carries a file descriptor */
#define DOOR_HANDLE          0x20000    /* illumos kernel only: door handle */
#define DOOR_RELEASE         0x40000    /* close the sender's fd once sent */

/* Internal door states, reserved here so no other flag takes the bits. */
#define DOOR_DELAY           0x80000    /* unref held until calls drain */
#define DOOR_UNREF_ACTIVE    0x100000   /* unref upcall running */

/* door_getparam / door_setparam parameters. */
#define DOOR_PARAM_DESC_MAX  1          /* max descriptors per call */
#define DOOR_PARAM_DATA_MAX  2          /* max argument bytes per call */
#define DOOR_PARAM_DATA_MIN  3          /* min argument bytes per call */

/*
 * The door file type, as illumos defines it in <sys/stat.h>.
 *
 * On doorfs a door is a regular file: FUSE lets a filesystem report only
 * the usual file types (anything else fails with EIO), so stat() and
 * fstat() of a door show S_IFREG and S_ISDOOR(st.st_mode) is false for
 * them.  These are defined for source compatibility (mode arithmetic,
 * switch statements); to tell whether a descriptor is a door, call
 * door_info() on it, which fails with EBADF for anything else.
 */
#ifndef S_IFDOOR
#define S_IFDOOR 0xD000
#endif
#ifndef S_ISDOOR
#define S_ISDOOR(mode) (((mode) & 0xF000) == 0xD000)
#endif

/*
 * illumos builds door_desc_t and door_info_t with 4-byte packing on amd64
 * so 32- and 64-bit processes share one layout; door_id_t members sit at
 * 4-byte offsets.  push/pop keeps any packing the includer has set.
 */
#pragma pack(push, 4)

/* One descriptor passed with a door call or return. */
typedef struct door_desc {
	door_attr_t d_attributes;       /* DOOR_DESCRIPTOR, ...: tags d_data */
	union {
		struct {
			int d_descriptor;       /* the file descriptor */
			door_id_t d_id;         /* door's unique id, if a door */
		} d_desc;
		int d_resv[5];                  /* reserved */
	} d_data;
} door_desc_t;

/* What door_info reports. */
typedef struct door_info {
	pid_t di_target;                /* server pid, -1 once it exited */
	door_ptr_t di_proc;             /* server procedure */
	door_ptr_t di_data;             /* cookie given to door_create */
	door_attr_t di_attributes;      /* DOOR_* attributes */
	door_id_t di_uniquifier;        /* system-wide unique door id */
	int di_resv[4];                 /* reserved, zero */
} door_info_t;

#pragma pack(pop)

/* What the obsolete door_cred reports. */
typedef struct door_cred {
	uid_t dc_euid;                  /* client's effective uid */
	gid_t dc_egid;                  /* client's effective gid */
	uid_t dc_ruid;                  /* client's real uid */
	gid_t dc_rgid;                  /* client's real gid */
	pid_t dc_pid;                   /* client's pid */
	int dc_resv[4];                 /* reserved */
} door_cred_t;

/*
 * door_call's arguments and results.  Every field is in/out: on return
 * they describe where the results are (see door_call(3C)).
 */
typedef struct door_arg {
	char *data_ptr;                 /* argument, then result, data */
	size_t data_size;
	door_desc_t *desc_ptr;          /* argument, then result, descriptors */
	uint_t desc_num;
	char *rbuf;                     /* result area */
	size_t rsize;
} door_arg_t;

/* A door's server procedure, as given to door_create. */
typedef void door_server_procedure_t(void *cookie, char *argp,
	size_t arg_size, door_desc_t *dp, uint_t n_desc);

/* The server thread creation function of door_server_create. */
typedef void door_server_func_t(door_info_t *);

/* door_xcreate's thread creation and per-thread setup functions. */
typedef int door_xcreate_server_func_t(door_info_t *, void *(*)(void *),
	void *, void *);
typedef void door_xcreate_thrsetup_func_t(void *);

#ifdef __cplusplus
}
#endif

#endif /* _SYS_DOOR_H */
