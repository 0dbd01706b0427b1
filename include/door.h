/*
 * door.h: the illumos doors API, implemented for Linux by libdoor.
 *
 * Same functions, types, constants and semantics as illumos door_*(3C);
 * link with -ldoor.  The types and constants live in <sys/door.h>, the
 * credential calls in <ucred.h>, fattach/fdetach in <stropts.h>; all three
 * come with this header.
 */
#ifndef _DOOR_H
#define _DOOR_H

#include <sys/types.h>
#include <sys/door.h>
#include <ucred.h>
#include <stropts.h>

#ifdef __cplusplus
extern "C" {
#endif

extern int door_create(door_server_procedure_t *proc, void *cookie,
	uint_t attrs);
extern int door_xcreate(door_server_procedure_t *proc, void *cookie,
	uint_t attrs, door_xcreate_server_func_t *crf,
	door_xcreate_thrsetup_func_t *setupf, void *crcookie, int nthread);
extern int door_revoke(int d);
extern int door_info(int d, door_info_t *info);
extern int door_call(int d, door_arg_t *params);
extern int door_return(char *data_ptr, size_t data_size,
	door_desc_t *desc_ptr, uint_t num_desc);
extern int door_cred(door_cred_t *info);
extern int door_ucred(ucred_t **info);
extern int door_bind(int d);
extern int door_unbind(void);
extern int door_getparam(int d, int param, size_t *out);
extern int door_setparam(int d, int param, size_t val);
extern door_server_func_t *door_server_create(door_server_func_t *create_func);

#ifdef __cplusplus
}
#endif

#endif /* _DOOR_H */
