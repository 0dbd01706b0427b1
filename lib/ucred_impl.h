/*
 * ucred_impl.h: what a ucred_t holds, for the parts of libdoor that fill
 * one (ucred_get, door_ucred, door_cred).  Private: never installed.
 *
 * A ucred_t is one fixed-size block (ucred_size() bytes) with no pointers
 * inside: door_ucred reuses a program's ucred_t by overwriting it, and
 * ucred_free() is free().
 */
#ifndef DOOR_UCRED_IMPL_H
#define DOOR_UCRED_IMPL_H

#include <stdint.h>
#include <sys/types.h>

#include <ucred.h>

/*
 * Most supplementary groups a ucred_t can hold.  1024 is the largest
 * ngroups_max illumos allows (NGROUPS_UMAX), so any credential an illumos
 * program could meet fits, and a ucred_t stays about one page.  Linux
 * allows up to 65536 groups; a process with more than 1024 cannot be
 * described, and filling a ucred_t from it fails with ENOMEM rather than
 * hand out a group list with members missing (a server testing "caller is
 * not in group X" would be fooled by a truncated list).
 */
#define UCRED_NGROUPS_MAX 1024

/*
 * Which members of a ucred_s hold a value.  A getter whose bit is clear
 * fails with EINVAL, as illumos does for a credential it does not have
 * (door_ucred from a caller whose saved ids the kernel did not report,
 * say).  A zeroed ucred_s therefore reports nothing: forgetting to fill a
 * member can never make a caller look like root.
 */
enum ucred_have {
	UCRED_HAVE_PID    = 1u << 0,
	UCRED_HAVE_EUID   = 1u << 1,
	UCRED_HAVE_RUID   = 1u << 2,
	UCRED_HAVE_SUID   = 1u << 3,
	UCRED_HAVE_EGID   = 1u << 4,
	UCRED_HAVE_RGID   = 1u << 5,
	UCRED_HAVE_SGID   = 1u << 6,
	UCRED_HAVE_GROUPS = 1u << 7,
};

#define UCRED_HAVE_ALL (UCRED_HAVE_PID | UCRED_HAVE_EUID | UCRED_HAVE_RUID | \
	UCRED_HAVE_SUID | UCRED_HAVE_EGID | UCRED_HAVE_RGID | UCRED_HAVE_SGID | \
	UCRED_HAVE_GROUPS)

struct ucred_s {
	uint32_t have;                  /* enum ucred_have bits */
	pid_t pid;                      /* 0 for a call the daemon made */
	uid_t euid, ruid, suid;
	gid_t egid, rgid, sgid;
	int ngroups;                    /* valid entries of groups[] */
	gid_t groups[UCRED_NGROUPS_MAX];
};

/*
 * A new ucred_t of ucred_size() bytes holding nothing (every getter fails
 * with EINVAL until it is filled).  NULL with errno ENOMEM on failure.
 */
ucred_t *ucred_alloc(void);

/* Forget every value in uc, as ucred_alloc returns it. */
void ucred_clear(ucred_t *uc);

/*
 * Fill uc with every credential of the calling thread (Linux credentials
 * are per thread; glibc keeps a process's threads in step).  Returns 0, or
 * ENOMEM when the thread has more than UCRED_NGROUPS_MAX groups; uc is
 * unchanged on failure.
 */
int ucred_fill_self(ucred_t *uc);

/*
 * Fill uc with every credential of process pid, read from
 * /proc/PID/status.  pid must name a process (a thread group), not another
 * thread.  Returns 0, or an errno: ESRCH (no such process, or it exited
 * while being read), EACCES (procfs denies it, e.g. hidepid), ENOMEM,
 * EMFILE or ENFILE; uc is unchanged on failure.
 *
 * This is a snapshot: the process may change credentials, or exit and have
 * its pid reused, right after.  For a door caller, prefer what the kernel
 * vouches for at the time of the call (SO_PEERCRED, the FUSE request) and
 * use this only to complete it.
 */
int ucred_fill_from_proc(ucred_t *uc, pid_t pid);

/*
 * Fill uc for a door caller: pid, effective uid and gid as the kernel
 * vouched for them (SO_PEERCRED, or the FUSE request), completed from
 * /proc only where /proc agrees with them.  If /proc cannot be read or
 * disagrees (the caller exited, changed ids), only the vouched-for
 * values are present and the other getters fail with EINVAL.
 */
void ucred_fill_peer(ucred_t *uc, pid_t pid, uid_t euid, gid_t egid);

/*
 * The same for a caller known by its thread id (what FUSE reports): its
 * process is found in /proc/TID/status.  If that cannot be read, the
 * thread id stands for the pid, with the rest missing.
 */
void ucred_fill_thread(ucred_t *uc, pid_t tid, uid_t euid, gid_t egid);

/*
 * A pidfd of the process that connected on sock (SO_PEERPIDFD), if the
 * kernel can also report its ids through it (PIDFD_GET_INFO, Linux 6.13);
 * else -1.  Unlike the SO_PEERCRED ids of the connection, those are the
 * process's ids at the moment they are asked for.
 */
int ucred_peer_pidfd(int sock);

/*
 * Overwrite the real, effective and saved ids in uc with those the
 * process behind pidfd has now.  0, or an errno (ESRCH once it has
 * exited); uc is unchanged on failure.
 */
int ucred_refresh_ids(ucred_t *uc, int pidfd);

#endif /* DOOR_UCRED_IMPL_H */
