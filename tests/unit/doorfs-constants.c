/*
 * doorfs-constants: print the numbers of include/doorfs.h as the C compiler
 * sees them, one NAME=decimal line each.
 *
 * Bindings in other languages (examples/python/doorfs.py) copy these
 * numbers and struct layouts by hand; the integration tests run this
 * program (found through $DOORFS_CONSTANTS) and compare, so a header
 * change that a binding missed fails a test instead of a user's ioctl.
 */
#include <stdio.h>
#include <stdlib.h>

#include "doorfs.h"

struct constant {
	const char *name;
	unsigned long long value;
};

#define CONSTANT(name) { #name, (unsigned long long)(name) }
#define SIZEOF(name, type) { name, (unsigned long long)sizeof(type) }

static const struct constant constants[] = {
	CONSTANT(DOORFS_VERSION),
	CONSTANT(DOORFS_DATA_MAX),
	CONSTANT(DOORFS_CALL_INLINE_MAX),
	CONSTANT(DOORFS_IOC_INFO),
	CONSTANT(DOORFS_IOC_CALL),
	CONSTANT(DOORFS_IOC_RETURN),
	CONSTANT(DOORFS_IOC_SERVER_TOKEN),
	CONSTANT(DOORFS_IOC_SERVE),
	CONSTANT(DOORFS_IOC_CALLER),
	CONSTANT(DOORFS_IOC_HOLD_RESULTS),
	CONSTANT(DOORFS_IOC_SETUP),
	CONSTANT(DOORFS_IOC_RENDEZVOUS),
	CONSTANT(DOORFS_IOC_REVOKE),
	CONSTANT(DOORFS_IOC_PARAMS),
	CONSTANT(DOORFS_IOC_ATTACH),
	CONSTANT(DOORFS_IOC_DETACH),
	CONSTANT(DOORFS_ATTR_UNREF),
	CONSTANT(DOORFS_ATTR_PRIVATE),
	CONSTANT(DOORFS_ATTR_LOCAL),
	CONSTANT(DOORFS_ATTR_REVOKED),
	CONSTANT(DOORFS_ATTR_UNREF_MULTI),
	CONSTANT(DOORFS_ATTR_IS_UNREF),
	CONSTANT(DOORFS_ATTR_REFUSE_DESC),
	CONSTANT(DOORFS_ATTR_NO_CANCEL),
	CONSTANT(DOORFS_ATTR_NO_DEPLETION_CB),
	CONSTANT(DOORFS_ATTR_PRIVCREATE),
	SIZEOF("SIZEOF_DOORFS_INFO", struct doorfs_info),
	SIZEOF("SIZEOF_DOORFS_CALL", struct doorfs_call),
	SIZEOF("SIZEOF_DOORFS_CALLER", struct doorfs_caller),
};

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(constants) / sizeof(constants[0]); i++)
		printf("%s=%llu\n", constants[i].name, constants[i].value);

	/* A reader that got a truncated list must not take it for the whole. */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("doorfs-constants: stdout");
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}
