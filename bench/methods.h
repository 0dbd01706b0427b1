/* methods.h: every method doorbench knows, in the order it runs them. */
#ifndef DOORBENCH_METHODS_H
#define DOORBENCH_METHODS_H

#include "measure.h"

extern const struct bench_method method_spin;
extern const struct bench_method method_futex;
extern const struct bench_method method_pipe;
extern const struct bench_method method_seqpacket;
extern const struct bench_method method_dbus;
extern const struct bench_method method_door;

#endif
