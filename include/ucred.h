/*
 * ucred.h: user credentials of a process, the illumos ucred(3C) API.
 *
 * A ucred_t is opaque: get one from ucred_get() or door_ucred(), read it
 * with the ucred_get*() functions, release it with ucred_free().  Its size
 * is fixed (ucred_size()), so one ucred_t can be reused by door_ucred.
 *
 * What Linux has no counterpart for (privilege sets, Trusted Extensions
 * labels, projects) is reported the way illumos reports a value that is
 * absent; see each function in lib/ucred.c.
 */
#ifndef _UCRED_H_
#define _UCRED_H_

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The same guard as <sys/door.h>: declared once whichever comes first. */
#ifndef __uint_t_defined
#define __uint_t_defined
typedef unsigned int uint_t;
#endif

/* illumos <sys/types.h> types that glibc lacks. */
#ifndef __projid_t_defined
#define __projid_t_defined
typedef int projid_t;
#endif
#ifndef __zoneid_t_defined
#define __zoneid_t_defined
typedef int zoneid_t;
#endif

/* illumos <sys/priv.h>: privilege sets are opaque, named by strings. */
#ifndef __priv_set_t_defined
#define __priv_set_t_defined
typedef struct priv_set priv_set_t;
typedef const char *priv_ptype_t;
#endif

/* illumos <sys/tsol/label_macro.h>: a Trusted Extensions label, opaque. */
#ifndef __m_label_t_defined
#define __m_label_t_defined
typedef struct _mac_label_impl m_label_t;
#endif

/* illumos <sys/procset.h>: "the calling process" for ucred_get. */
#ifndef P_MYID
#define P_MYID (-1)
#endif

typedef struct ucred_s ucred_t;

extern ucred_t *ucred_get(pid_t pid);
extern void ucred_free(ucred_t *uc);
extern size_t ucred_size(void);

extern uid_t ucred_geteuid(const ucred_t *uc);
extern uid_t ucred_getruid(const ucred_t *uc);
extern uid_t ucred_getsuid(const ucred_t *uc);
extern gid_t ucred_getegid(const ucred_t *uc);
extern gid_t ucred_getrgid(const ucred_t *uc);
extern gid_t ucred_getsgid(const ucred_t *uc);
extern int ucred_getgroups(const ucred_t *uc, const gid_t **groups);
extern pid_t ucred_getpid(const ucred_t *uc);

extern projid_t ucred_getprojid(const ucred_t *uc);
extern zoneid_t ucred_getzoneid(const ucred_t *uc);
extern const priv_set_t *ucred_getprivset(const ucred_t *uc,
	priv_ptype_t set);
extern uint_t ucred_getpflags(const ucred_t *uc, uint_t flag);
extern m_label_t *ucred_getlabel(const ucred_t *uc);

#ifdef __cplusplus
}
#endif

#endif /* _UCRED_H_ */
