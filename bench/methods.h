/* methods.h: every method doorbench knows, in the order it runs them. */
#ifndef DOORBENCH_METHODS_H
#define DOORBENCH_METHODS_H

#include "measure.h"

#include <door.h>

extern const struct bench_method method_spin;
extern const struct bench_method method_futex;
extern const struct bench_method method_pipe;
extern const struct bench_method method_seqpacket;
extern const struct bench_method method_fuse_rw;
extern const struct bench_method method_fuse_ioctl;
extern const struct bench_method method_dbus;
extern const struct bench_method method_door;
extern const struct bench_method method_fp_rw_lib;
extern const struct bench_method method_fp_ioctl_lib;
extern const struct bench_method method_fp_rw_fp;
extern const struct bench_method method_fp_ioctl_fp;

/* A door procedure that returns its argument as its result. */
void door_echo_proc(void *cookie, char *argp, size_t size, door_desc_t *dp,
		    uint_t ndesc);

/*
 * Forks a child that serves a door echoing its argument (method_door.c);
 * returns a descriptor of the door and the child in *pid, or -1.
 */
int door_echo_server(pid_t *pid);

#endif
