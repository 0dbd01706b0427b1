/*
 * stropts.h: fattach and fdetach, the illumos calls that give a door a
 * name in the filesystem.
 *
 * Linux has no STREAMS, and glibc 2.30 dropped its own <stropts.h>, so
 * this header declares only the two calls libdoor implements (for doors;
 * any other descriptor gets EINVAL, as a non-door non-stream does on
 * illumos).  The prototypes are the illumos and the old glibc ones.
 */
#ifndef _STROPTS_H
#define _STROPTS_H

#ifdef __cplusplus
extern "C" {
#endif

extern int fattach(int fd, const char *path);
extern int fdetach(const char *path);

#ifdef __cplusplus
}
#endif

#endif /* _STROPTS_H */
