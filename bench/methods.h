/* methods.h: every method doorbench knows, in the order it runs them. */
#ifndef DOORBENCH_METHODS_H
#define DOORBENCH_METHODS_H

#include "measure.h"

extern const struct bench_method method_spin;
extern const struct bench_method method_futex;
extern const struct bench_method method_pipe;
extern const struct bench_method method_seqpacket;
extern const struct bench_method method_fuse_rw;
extern const struct bench_method method_fuse_ioctl;
extern const struct bench_method method_door;
extern const struct bench_method method_fp_rw_lib;
extern const struct bench_method method_fp_ioctl_lib;
extern const struct bench_method method_fp_rw_fp;
extern const struct bench_method method_fp_ioctl_fp;

#endif
