/*
 * test_create.c: door_create (DOOR-API checklist row 3).
 *
 * Flag validation (every bit outside UNREF, PRIVATE, UNREF_MULTI,
 * REFUSE_DESC and NO_CANCEL, and both UNREF flags at once, is EINVAL),
 * FD_CLOEXEC on the new descriptor, and EMFILE.
 */
#include "service.h"

#include <fcntl.h>
#include <sys/resource.h>

#define VALID_CREATE_FLAGS (DOOR_UNREF | DOOR_PRIVATE | DOOR_UNREF_MULTI | \
	DOOR_REFUSE_DESC | DOOR_NO_CANCEL)

static void nop_proc(void *cookie, char *argp, size_t arg_size,
		     door_desc_t *dp, uint_t n_desc)
{
	(void)cookie, (void)argp, (void)arg_size, (void)dp, (void)n_desc;
	(void)door_return(NULL, 0, NULL, 0);
}

START_TEST(create_rejects_each_invalid_bit)
{
	for (int bit = 0; bit < 32; bit++) {
		uint_t flag = 1u << bit;

		if (flag & VALID_CREATE_FLAGS)
			continue;
		errno = 0;
		int fd = door_create(nop_proc, NULL, flag);
		ck_assert_msg(fd == -1 && errno == EINVAL,
			      "door_create(attrs 0x%x): want -1/EINVAL, got "
			      "%d/%s", flag, fd, strerrorname_np(errno));
		/* An invalid bit spoils an otherwise valid set too. */
		errno = 0;
		fd = door_create(nop_proc, NULL,
				 flag | DOOR_REFUSE_DESC | DOOR_NO_CANCEL);
		ck_assert_msg(fd == -1 && errno == EINVAL,
			      "door_create(attrs 0x%x): want -1/EINVAL, got "
			      "%d/%s", flag | DOOR_REFUSE_DESC | DOOR_NO_CANCEL,
			      fd, strerrorname_np(errno));
	}
}
END_TEST

START_TEST(create_rejects_named_invalid_flags)
{
	/* The ones the contract names, one by one. */
	ck_assert_fails(door_create(nop_proc, NULL, DOOR_NO_DEPLETION_CB),
			EINVAL);
	ck_assert_fails(door_create(nop_proc, NULL, DOOR_PRIVCREATE), EINVAL);
	ck_assert_fails(door_create(nop_proc, NULL,
				    DOOR_PRIVATE | DOOR_PRIVCREATE), EINVAL);
	ck_assert_fails(door_create(nop_proc, NULL, DOOR_LOCAL), EINVAL);
	ck_assert_fails(door_create(nop_proc, NULL, DOOR_REVOKED), EINVAL);
	ck_assert_fails(door_create(nop_proc, NULL, DOOR_IS_UNREF), EINVAL);
	ck_assert_fails(door_create(nop_proc, NULL, DOOR_DEPLETION_CB),
			EINVAL);
	ck_assert_fails(door_create(nop_proc, NULL, DOOR_DESCRIPTOR), EINVAL);
	ck_assert_fails(door_create(nop_proc, NULL, DOOR_RELEASE), EINVAL);
	ck_assert_fails(door_create(nop_proc, NULL, 0x80000000u), EINVAL);
}
END_TEST

START_TEST(create_rejects_both_unref_flags)
{
	ck_assert_fails(door_create(nop_proc, NULL,
				    DOOR_UNREF | DOOR_UNREF_MULTI), EINVAL);
	ck_assert_fails(door_create(nop_proc, NULL, DOOR_UNREF |
				    DOOR_UNREF_MULTI | DOOR_PRIVATE), EINVAL);
	ck_assert_fails(door_create(nop_proc, NULL, VALID_CREATE_FLAGS),
			EINVAL);
}
END_TEST

static const uint_t valid_sets[] = {
	0,
	DOOR_UNREF,
	DOOR_PRIVATE,
	DOOR_UNREF_MULTI,
	DOOR_REFUSE_DESC,
	DOOR_NO_CANCEL,
	DOOR_UNREF | DOOR_PRIVATE | DOOR_REFUSE_DESC | DOOR_NO_CANCEL,
	DOOR_UNREF_MULTI | DOOR_PRIVATE | DOOR_REFUSE_DESC | DOOR_NO_CANCEL,
};
#define N_VALID_SETS (sizeof(valid_sets) / sizeof(valid_sets[0]))

START_TEST(create_accepts_valid_flags_with_cloexec)
{
	int fds[N_VALID_SETS];

	for (size_t i = 0; i < N_VALID_SETS; i++) {
		door_info_t info;
		int flags;

		errno = 0;
		fds[i] = door_create(nop_proc, NULL, valid_sets[i]);
		ck_assert_msg(fds[i] >= 0, "door_create(attrs 0x%x): %s",
			      valid_sets[i], strerrorname_np(errno));
		flags = fcntl(fds[i], F_GETFD);
		ck_assert_int_ne(flags, -1);
		ck_assert_msg(flags & FD_CLOEXEC, "door_create(attrs 0x%x): "
			      "descriptor without FD_CLOEXEC", valid_sets[i]);
		ck_assert_ok(door_info(fds[i], &info));
		ck_assert_uint_eq(info.di_attributes & VALID_CREATE_FLAGS,
				  valid_sets[i]);
		for (size_t j = 0; j < i; j++)
			ck_assert_int_ne(fds[i], fds[j]);
	}
}
END_TEST

START_TEST(create_emfile)
{
	struct rlimit rl;
	int fillers[1024], n = 0, fd;

	/* Let libdoor set up whatever it keeps open first. */
	fd = door_create(nop_proc, NULL, 0);
	ck_assert_int_ge(fd, 0);

	ck_assert_ok(getrlimit(RLIMIT_NOFILE, &rl));
	if (rl.rlim_cur > 512)
		rl.rlim_cur = 512;
	ck_assert_ok(setrlimit(RLIMIT_NOFILE, &rl));
	fillers[n] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fillers[n], 0);
	n++;
	while (n < 1024) {
		int d = fcntl(fillers[0], F_DUPFD_CLOEXEC, 0);

		if (d < 0) {
			ck_assert_int_eq(errno, EMFILE);
			break;
		}
		fillers[n++] = d;
	}
	ck_assert_msg(n < 1024, "never ran out of descriptors");

	ck_assert_fails(door_create(nop_proc, NULL, 0), EMFILE);
	ck_assert_fails(door_create(nop_proc, NULL, DOOR_PRIVATE), EMFILE);

	/* Room again: door_create works again. */
	for (int i = 0; i < n; i++)
		close(fillers[i]);
	fd = door_create(nop_proc, NULL, 0);
	ck_assert_msg(fd >= 0, "door_create after EMFILE: %s",
		      strerrorname_np(errno));
}
END_TEST

Suite *create_suite(void)
{
	Suite *s = suite_create("create");
	TCase *tc = harness_tcase(s, "flags");

	tcase_add_test(tc, create_rejects_each_invalid_bit);
	tcase_add_test(tc, create_rejects_named_invalid_flags);
	tcase_add_test(tc, create_rejects_both_unref_flags);
	tcase_add_test(tc, create_accepts_valid_flags_with_cloexec);
	tc = harness_tcase(s, "limits");
	tcase_add_test(tc, create_emfile);
	return s;
}
