/*
 * ucred.c: the ucred(3C) API: credentials of a process, as ucred_get()
 * and door_ucred() report them.
 *
 * A credential comes from one of two places: the calling thread's own ids
 * (system calls, no race), or /proc/PID/status for another process.  What
 * illumos has and Linux does not (projects, zones, privilege sets,
 * labels) is answered the way illumos answers for a credential that lacks
 * the value, or, where that answer would mislead, the way an ordinary
 * illumos process in the global zone would be described.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "libdoor.h"
#include "ucred_impl.h"

/*
 * /proc/PID/status is a few KiB, plus about 11 bytes per supplementary
 * group; Linux's 65536 groups make it at most about 720 KiB.  Anything
 * longer is not a status file we understand.
 */
#define PROC_STATUS_MAX (1u << 20)

/* Ids are parsed as unsigned int and stored straight into uid_t/gid_t. */
_Static_assert(sizeof(uid_t) == sizeof(unsigned int) &&
	       sizeof(gid_t) == sizeof(unsigned int),
	       "Linux ids are 32-bit unsigned");

ucred_t *ucred_alloc(void)
{
	ucred_t *uc = malloc(sizeof(*uc));

	if (uc == NULL)
		return NULL;
	ucred_clear(uc);
	return uc;
}

void ucred_clear(ucred_t *uc)
{
	memset(uc, 0, sizeof(*uc));
}

int ucred_fill_self(ucred_t *uc)
{
	struct ucred_s cred = { .have = UCRED_HAVE_ALL };

	/* The real, effective and saved ids of the calling thread. */
	getresuid(&cred.ruid, &cred.euid, &cred.suid);
	getresgid(&cred.rgid, &cred.egid, &cred.sgid);
	cred.ngroups = getgroups(UCRED_NGROUPS_MAX, cred.groups);
	if (cred.ngroups < 0)
		return ENOMEM;  /* EINVAL: more groups than a ucred_t holds */
	cred.pid = getpid();
	*uc = cred;
	return 0;
}

/*
 * The whole of /proc/PID/status as one NUL-terminated string in *text
 * (free it).  procfs renders the file once, at the first read, so the
 * pieces read are consistent with one another.  Returns 0 or an errno.
 */
static int read_proc_status(pid_t pid, char **text)
{
	char path[32];
	size_t len = 0, cap = 4096;
	char *buf;
	int fd, err = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	buf = malloc(cap);
	if (buf == NULL) {
		close(fd);
		return ENOMEM;
	}
	for (;;) {
		ssize_t n;

		if (cap - len < 2) {
			char *bigger;

			if (cap >= PROC_STATUS_MAX) {
				err = ENOMEM;
				break;
			}
			bigger = realloc(buf, cap * 2);
			if (bigger == NULL) {
				err = ENOMEM;
				break;
			}
			buf = bigger;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (err != 0) {
		free(buf);
		return err;
	}
	buf[len] = '\0';
	*text = buf;
	return 0;
}

/*
 * The value of the status line "name:", or NULL.  The first line is
 * "Name:" with the command name, in which the kernel escapes newlines, so
 * nothing a process names itself can pose as a later line.
 */
static const char *status_field(const char *text, const char *name)
{
	size_t name_len = strlen(name);
	const char *line = text;

	while ((line = strchr(line, '\n')) != NULL) {
		line++;
		if (strncmp(line, name, name_len) == 0 && line[name_len] == ':')
			return line + name_len + 1;
	}
	return NULL;
}

/*
 * Parse up to max unsigned decimal numbers separated by blanks, stopping at
 * the end of the line.  Returns how many were found, max + 1 if there were
 * more, or -1 on a malformed line.
 */
static int parse_ids(const char *p, unsigned int *out, int max)
{
	int count = 0;

	for (;;) {
		unsigned long long value = 0;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\n' || *p == '\0')
			return count;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9') {
			value = value * 10 + (unsigned)(*p - '0');
			if (value > 0xFFFFFFFFu)
				return -1;
			p++;
		}
		if (count == max)
			return max + 1;
		out[count++] = (unsigned int)value;
	}
}

int ucred_fill_from_proc(ucred_t *uc, pid_t pid)
{
	struct ucred_s cred = { .have = UCRED_HAVE_ALL, .pid = pid };
	unsigned int tgid, uids[4], gids[4];
	const char *tgid_line, *uid_line, *gid_line, *groups_line;
	char *text = NULL;
	int err;

	/* 0 and negative pids name process groups or nothing on Linux. */
	if (pid <= 0)
		return ESRCH;
	err = read_proc_status(pid, &text);
	switch (err) {
	case 0:
		break;
	case ENOENT:    /* no such process (or no /proc) */
	case ESRCH:     /* it exited while we read */
		return ESRCH;
	case EPERM:
		return EACCES;
	default:
		return err;
	}

	/*
	 * A field can be missing only if this is not a process's status
	 * file; treat it as a process we cannot find.  "Uid:" and "Gid:"
	 * list real, effective, saved and filesystem ids, in that order.
	 */
	err = ESRCH;
	tgid_line = status_field(text, "Tgid");
	uid_line = status_field(text, "Uid");
	gid_line = status_field(text, "Gid");
	groups_line = status_field(text, "Groups");
	if (tgid_line == NULL || uid_line == NULL || gid_line == NULL ||
	    groups_line == NULL)
		goto out;
	/* /proc/TID/status exists for every thread; a tid is not a pid. */
	if (parse_ids(tgid_line, &tgid, 1) != 1 || tgid != (unsigned int)pid)
		goto out;
	if (parse_ids(uid_line, uids, 4) != 4 ||
	    parse_ids(gid_line, gids, 4) != 4)
		goto out;
	cred.ngroups = parse_ids(groups_line, (unsigned int *)cred.groups,
				 UCRED_NGROUPS_MAX);
	if (cred.ngroups < 0)
		goto out;
	if (cred.ngroups > UCRED_NGROUPS_MAX) {
		err = ENOMEM;
		goto out;
	}
	cred.ruid = uids[0];
	cred.euid = uids[1];
	cred.suid = uids[2];
	cred.rgid = gids[0];
	cred.egid = gids[1];
	cred.sgid = gids[2];
	*uc = cred;
	err = 0;
out:
	free(text);
	return err;
}

/*
 * ucred_get(P_MYID) and ucred_get(getpid()) describe the calling thread
 * without /proc: no race, no procfs restrictions.  Other processes come
 * from /proc.
 */
LIBDOOR_EXPORT ucred_t *ucred_get(pid_t pid)
{
	ucred_t *uc = ucred_alloc();
	int err;

	if (uc == NULL)
		return NULL;
	if (pid == P_MYID || pid == getpid())
		err = ucred_fill_self(uc);
	else
		err = ucred_fill_from_proc(uc, pid);
	if (err != 0) {
		ucred_free(uc);
		errno = err;
		return NULL;
	}
	return uc;
}

LIBDOOR_EXPORT void ucred_free(ucred_t *uc)
{
	free(uc);
}

LIBDOOR_EXPORT size_t ucred_size(void)
{
	return sizeof(struct ucred_s);
}

/*
 * Whether uc holds the value of bit; if not, errno is EINVAL, and the
 * getter returns -1 as illumos does.  A NULL uc holds nothing (illumos
 * would crash).
 */
void ucred_fill_peer(ucred_t *uc, pid_t pid, uid_t euid, gid_t egid)
{
	if (ucred_fill_from_proc(uc, pid) != 0 || uc->euid != euid ||
	    uc->egid != egid) {
		ucred_clear(uc);
		uc->have = UCRED_HAVE_PID | UCRED_HAVE_EUID | UCRED_HAVE_EGID;
	}
	uc->pid = pid;
	uc->euid = euid;
	uc->egid = egid;
}

void ucred_fill_thread(ucred_t *uc, pid_t tid, uid_t euid, gid_t egid)
{
	pid_t pid = tid;
	char *text = NULL;
	const char *tgid_line;
	unsigned int tgid;

	/* The thread is blocked in its call, so its status is its own. */
	if (tid > 0 && read_proc_status(tid, &text) == 0 &&
	    (tgid_line = status_field(text, "Tgid")) != NULL &&
	    parse_ids(tgid_line, &tgid, 1) == 1 && tgid > 0)
		pid = (pid_t)tgid;
	free(text);
	ucred_fill_peer(uc, pid, euid, egid);
}

/*
 * PIDFD_GET_INFO and SO_PEERPIDFD, for C libraries whose kernel headers
 * are older than Linux 6.13 and 6.5 (Debian 12's are 6.1).  The layout is
 * the kernel's first version of struct pidfd_info (64 bytes), which
 * every later kernel still accepts.
 */
#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif
struct doorfs_pidfd_info {
	uint64_t mask;
	uint64_t cgroupid;
	uint32_t pid, tgid, ppid;
	uint32_t ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
	uint32_t spare0[1];
};
_Static_assert(sizeof(struct doorfs_pidfd_info) == 64,
	       "PIDFD_INFO_SIZE_VER0");
#define DOORFS_PIDFD_GET_INFO _IOWR(0xFF, 11, struct doorfs_pidfd_info)
#define DOORFS_PIDFD_INFO_CREDS (1UL << 1)

static int pidfd_ids(int pidfd, struct doorfs_pidfd_info *info)
{
	memset(info, 0, sizeof(*info));
	info->mask = DOORFS_PIDFD_INFO_CREDS;
	if (ioctl(pidfd, DOORFS_PIDFD_GET_INFO, info) < 0)
		return errno;
	return info->mask & DOORFS_PIDFD_INFO_CREDS ? 0 : ENOTSUP;
}

int ucred_peer_pidfd(int sock)
{
	int pidfd;
	socklen_t len = sizeof(pidfd);
	struct doorfs_pidfd_info info;
	if (getsockopt(sock, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) < 0)
		return -1;
	if (pidfd_ids(pidfd, &info) != 0) {
		close(pidfd);
		return -1;
	}
	return pidfd;           /* pidfds are always close-on-exec */
}

int ucred_refresh_ids(ucred_t *uc, int pidfd)
{
	struct doorfs_pidfd_info info;
	int err = pidfd_ids(pidfd, &info);
	if (err)
		return err;
	uc->ruid = info.ruid;
	uc->euid = info.euid;
	uc->suid = info.suid;
	uc->rgid = info.rgid;
	uc->egid = info.egid;
	uc->sgid = info.sgid;
	uc->have |= UCRED_HAVE_RUID | UCRED_HAVE_EUID | UCRED_HAVE_SUID |
		    UCRED_HAVE_RGID | UCRED_HAVE_EGID | UCRED_HAVE_SGID;
	return 0;
}

static int ucred_has(const ucred_t *uc, uint32_t bit)
{
	if (uc != NULL && (uc->have & bit) != 0)
		return 1;
	errno = EINVAL;
	return 0;
}

LIBDOOR_EXPORT uid_t ucred_geteuid(const ucred_t *uc)
{
	return ucred_has(uc, UCRED_HAVE_EUID) ? uc->euid : (uid_t)-1;
}

LIBDOOR_EXPORT uid_t ucred_getruid(const ucred_t *uc)
{
	return ucred_has(uc, UCRED_HAVE_RUID) ? uc->ruid : (uid_t)-1;
}

LIBDOOR_EXPORT uid_t ucred_getsuid(const ucred_t *uc)
{
	return ucred_has(uc, UCRED_HAVE_SUID) ? uc->suid : (uid_t)-1;
}

LIBDOOR_EXPORT gid_t ucred_getegid(const ucred_t *uc)
{
	return ucred_has(uc, UCRED_HAVE_EGID) ? uc->egid : (gid_t)-1;
}

LIBDOOR_EXPORT gid_t ucred_getrgid(const ucred_t *uc)
{
	return ucred_has(uc, UCRED_HAVE_RGID) ? uc->rgid : (gid_t)-1;
}

LIBDOOR_EXPORT gid_t ucred_getsgid(const ucred_t *uc)
{
	return ucred_has(uc, UCRED_HAVE_SGID) ? uc->sgid : (gid_t)-1;
}

LIBDOOR_EXPORT pid_t ucred_getpid(const ucred_t *uc)
{
	return ucred_has(uc, UCRED_HAVE_PID) ? uc->pid : -1;
}

/* The count; *groups points into uc, or is NULL when there are none. */
LIBDOOR_EXPORT int ucred_getgroups(const ucred_t *uc, const gid_t **groups)
{
	if (!ucred_has(uc, UCRED_HAVE_GROUPS))
		return -1;
	*groups = uc->ngroups > 0 ? uc->groups : NULL;
	return uc->ngroups;
}

/*
 * Linux has no projects.  illumos returns -1 with EINVAL when a
 * credential carries no project, and that is the truth here; any project
 * id we made up (0, "system", say) could match a real project's policy.
 */
LIBDOOR_EXPORT projid_t ucred_getprojid(const ucred_t *uc)
{
	(void)uc;
	errno = EINVAL;
	return -1;
}

/*
 * Linux has no zones: every process is where an illumos process outside
 * any zone is, the global zone, whose id is 0 (GLOBAL_ZONEID).  Programs
 * compare against that to mean "not confined to a zone".
 */
LIBDOOR_EXPORT zoneid_t ucred_getzoneid(const ucred_t *uc)
{
	if (uc == NULL) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/*
 * Linux has no illumos privilege sets; capabilities do not map onto them
 * one to one.  NULL with EINVAL is what illumos returns for a credential
 * without privilege data or an unknown set name.
 */
LIBDOOR_EXPORT const priv_set_t *ucred_getprivset(const ucred_t *uc, priv_ptype_t set)
{
	(void)uc;
	(void)set;
	errno = EINVAL;
	return NULL;
}

/*
 * Process flags (PRIV_AWARE, NET_MAC_AWARE, ...): none is ever set on
 * Linux, so 0.  illumos reports a missing value as (uint_t)-1, but callers
 * test the result as a boolean, and -1 would read as "every flag set".
 */
LIBDOOR_EXPORT uint_t ucred_getpflags(const ucred_t *uc, uint_t flag)
{
	(void)uc;
	(void)flag;
	return 0;
}

/*
 * Trusted Extensions labels: doorfs is an unlabeled system, where illumos
 * returns NULL with EINVAL.
 */
LIBDOOR_EXPORT m_label_t *ucred_getlabel(const ucred_t *uc)
{
	(void)uc;
	errno = EINVAL;
	return NULL;
}
