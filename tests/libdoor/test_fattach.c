/*
 * test_fattach.c: fattach and fdetach (DOOR-API §3, §4.5, rows 27, 28).
 *
 * Inside the mount: a door attached to a name made by creat(path, 0444)
 * is what open(path) yields, while stat(path) keeps the name's mode and
 * owner; EBUSY on an attached name; one door under several names;
 * fdetach gives the name its own file back, descriptors opened before
 * keep working, and the next fdetach is EINVAL; the owner and write
 * checks (EPERM, EACCES) for an unprivileged caller; EINVAL for a
 * non-door, EBADF for a bad descriptor, ENOENT and ENOTDIR for bad paths.
 *
 * Outside the mount, root's fattach bind-mounts the door over the path.
 * Those tests run in a child that first makes itself a private mount
 * namespace: whatever happens to the child, its mounts go with it.
 */
#include "service.h"

#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>

/* A descriptor number nothing has open during a test. */
#define NOT_OPEN_FD 1000

/* A name on the mount, made as illumos programs make their door names. */
static void make_name(char *path, size_t len, const char *tag, mode_t mode,
		      int *name_fd)
{
	door_path(path, len, tag);
	*name_fd = creat(path, mode);
	ck_assert_msg(*name_fd >= 0, "creat %s: %s", path, strerror(errno));
}

static door_id_t id_of(int fd)
{
	door_info_t info;

	ck_assert_ok(door_info(fd, &info));
	return info.di_uniquifier;
}

/* The door open(path) yields. */
static door_id_t id_at(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	door_id_t id;

	ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
	id = id_of(fd);
	close(fd);
	return id;
}

/* An svc door of this process, with its calls counted. */
static int local_door(struct svc_door *sd)
{
	svc_init(sd, 0);
	ck_assert_int_ge(svc_create(sd), 0);
	return sd->fd;
}

/*
 * Call what open(path) yields; the call must reach sd (and not other,
 * the door that was there before, if not NULL).
 */
static void call_through_not(const char *path, struct svc_door *sd,
			     struct svc_door *other)
{
	uint64_t before = svc_local_state(sd).calls;
	uint64_t other_before = other ? svc_local_state(other).calls : 0;
	char out[8];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
	ck_assert_ok(svc_call(fd, SVC_PATTERN, sizeof(out), 3, 0, out,
			      sizeof(out)));
	ck_assert(pattern_ok(out, sizeof(out), 3));
	close(fd);
	ck_assert_msg(!other || svc_local_state(other).calls == other_before,
		      "a call through %s reached the door attached there "
		      "before", path);
	ck_assert_msg(svc_local_state(sd).calls == before + 1,
		      "a call through %s did not reach the attached door",
		      path);
}

static void call_through(const char *path, struct svc_door *sd)
{
	call_through_not(path, sd, NULL);
}

/* ------------------------------------------------------------------ */
/* Inside the mount. */

START_TEST(fattach_name_opens_the_door)
{
	struct svc_door sd;
	struct stat before, after;
	door_info_t info;
	char path[PATH_MAX];
	int name_fd, fd;
	uid_t uid = harness_is_root() ? 1234 : geteuid();
	gid_t gid = harness_is_root() ? 5678 : getegid();

	make_name(path, sizeof(path), "fattach", 0444, &name_fd);
	if (harness_is_root())
		ck_assert_ok(chown(path, uid, gid));
	ck_assert_ok(stat(path, &before));
	local_door(&sd);
	ck_assert_ok(fattach(sd.fd, path));

	fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_ok(door_info(fd, &info));
	ck_assert_uint_eq(info.di_uniquifier, id_of(sd.fd));
	ck_assert_int_eq(info.di_target, getpid());
	ck_assert_uint_eq(info.di_data, (door_ptr_t)(uintptr_t)&sd);
	close(fd);
	call_through(path, &sd);

	/* The name keeps its own mode and owner; nlink 1, size 0. */
	ck_assert_ok(stat(path, &after));
	ck_assert_uint_eq(after.st_mode & 07777, 0444);
	ck_assert_uint_eq(after.st_uid, uid);
	ck_assert_uint_eq(after.st_gid, gid);
	ck_assert_uint_eq(after.st_ino, before.st_ino);
	ck_assert_uint_eq(after.st_nlink, 1);
	ck_assert_int_eq(after.st_size, 0);

	ck_assert_ok(fdetach(path));
	close(name_fd);
	unlink(path);
}
END_TEST

START_TEST(fattach_ebusy)
{
	struct svc_door a, b;
	char path[PATH_MAX];
	int name_fd;

	make_name(path, sizeof(path), "busy", 0444, &name_fd);
	local_door(&a);
	local_door(&b);
	ck_assert_ok(fattach(a.fd, path));
	ck_assert_fails(fattach(a.fd, path), EBUSY);
	ck_assert_fails(fattach(b.fd, path), EBUSY);
	/* Still the first door. */
	ck_assert_uint_eq(id_at(path), id_of(a.fd));
	call_through(path, &a);
	ck_assert_ok(fdetach(path));
	/* Free again after fdetach. */
	ck_assert_ok(fattach(b.fd, path));
	ck_assert_uint_eq(id_at(path), id_of(b.fd));
	ck_assert_ok(fdetach(path));
	close(name_fd);
	unlink(path);
}
END_TEST

START_TEST(fattach_several_names)
{
	struct svc_door sd;
	char path[3][PATH_MAX];
	int name_fd[3];

	local_door(&sd);
	for (int i = 0; i < 3; i++) {
		make_name(path[i], sizeof(path[i]), "names", 0444, &name_fd[i]);
		ck_assert_ok(fattach(sd.fd, path[i]));
	}
	for (int i = 0; i < 3; i++) {
		ck_assert_uint_eq(id_at(path[i]), id_of(sd.fd));
		call_through(path[i], &sd);
	}
	/* Taking one name away leaves the others. */
	ck_assert_ok(fdetach(path[1]));
	ck_assert_uint_ne(id_at(path[1]), id_of(sd.fd));
	call_through(path[0], &sd);
	call_through(path[2], &sd);
	ck_assert_ok(fdetach(path[0]));
	ck_assert_ok(fdetach(path[2]));
	for (int i = 0; i < 3; i++) {
		close(name_fd[i]);
		unlink(path[i]);
	}
}
END_TEST

START_TEST(fdetach_gives_the_name_back)
{
	struct svc_door sd;
	char path[PATH_MAX], other[PATH_MAX];
	door_id_t original;
	int name_fd, other_fd, early;

	make_name(path, sizeof(path), "detach", 0444, &name_fd);
	original = id_of(name_fd);
	local_door(&sd);
	ck_assert_ok(fattach(sd.fd, path));
	early = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(early, 0);

	ck_assert_ok(fdetach(path));
	/* The name is the file creat made again... */
	ck_assert_uint_eq(id_at(path), original);
	/* ...and a descriptor opened while attached still calls the door. */
	ck_assert_uint_eq(id_of(early), id_of(sd.fd));
	ck_assert_ok(svc_call(early, SVC_EMPTY, 0, 0, 0, NULL, 0));
	ck_assert_uint_eq(svc_local_state(&sd).calls, 1);
	close(early);

	/* Nothing attached any more: EINVAL, as for a name never attached. */
	ck_assert_fails(fdetach(path), EINVAL);
	make_name(other, sizeof(other), "never", 0444, &other_fd);
	ck_assert_fails(fdetach(other), EINVAL);
	close(name_fd);
	close(other_fd);
	unlink(path);
	unlink(other);
}
END_TEST

START_TEST(fattach_fdetach_bad_paths)
{
	struct svc_door sd;
	char path[PATH_MAX], below[PATH_MAX + 8];
	int name_fd;

	local_door(&sd);
	door_path(path, sizeof(path), "missing");
	ck_assert_fails(fattach(sd.fd, path), ENOENT);
	ck_assert_fails(fdetach(path), ENOENT);

	make_name(path, sizeof(path), "notdir", 0444, &name_fd);
	snprintf(below, sizeof(below), "%s/x", path);
	ck_assert_fails(fattach(sd.fd, below), ENOTDIR);
	ck_assert_fails(fdetach(below), ENOTDIR);
	ck_assert_fails(fattach(sd.fd, "/nonexistent-dir/door"), ENOENT);
	close(name_fd);
	unlink(path);
}
END_TEST

START_TEST(fattach_bad_descriptors)
{
	char path[PATH_MAX];
	int name_fd, p[2], reg;

	make_name(path, sizeof(path), "baddesc", 0444, &name_fd);
	ck_assert(fcntl(NOT_OPEN_FD, F_GETFD) < 0);
	ck_assert_fails(fattach(-1, path), EBADF);
	ck_assert_fails(fattach(NOT_OPEN_FD, path), EBADF);
	ck_assert_fails(fattach(DOOR_INVAL, path), EBADF);

	/* Neither a door nor a stream. */
	ck_assert_ok(pipe(p));
	ck_assert_fails(fattach(p[0], path), EINVAL);
	reg = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	ck_assert_int_ge(reg, 0);
	ck_assert_fails(fattach(reg, path), EINVAL);
	ck_assert_fails(fdetach(path), EINVAL);
	close(p[0]);
	close(p[1]);
	close(reg);
	close(name_fd);
	unlink(path);
}
END_TEST

/* libc makes a relative path absolute: it names the same file. */
START_TEST(fattach_relative_path)
{
	struct svc_door sd;
	char path[PATH_MAX], cwd[PATH_MAX];
	const char *base;
	int name_fd;

	make_name(path, sizeof(path), "relative", 0444, &name_fd);
	base = strrchr(path, '/') + 1;
	local_door(&sd);
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_ok(chdir(harness_mount));
	ck_assert_ok(fattach(sd.fd, base));
	ck_assert_ok(chdir(cwd));
	ck_assert_uint_eq(id_at(path), id_of(sd.fd));
	ck_assert_ok(chdir(harness_mount));
	ck_assert_ok(fdetach(base));
	ck_assert_ok(chdir(cwd));
	ck_assert_uint_eq(id_at(path), id_of(name_fd));
	close(name_fd);
	unlink(path);
}
END_TEST

/*
 * fdetach, then fattach another door (the idiom of every door server):
 * the name leads to the new door, also for a thread that called the old
 * one through the same name a moment ago.
 */
START_TEST(fattach_replace_door_behind_name)
{
	struct svc_door a, b;
	char path[PATH_MAX];
	int name_fd;

	make_name(path, sizeof(path), "replace", 0444, &name_fd);
	local_door(&a);
	local_door(&b);
	ck_assert_ok(fattach(a.fd, path));
	call_through(path, &a);
	ck_assert_ok(fdetach(path));
	ck_assert_ok(fattach(b.fd, path));
	call_through_not(path, &b, &a);
	ck_assert_ok(fdetach(path));
	ck_assert_ok(fattach(a.fd, path));
	call_through_not(path, &a, &b);
	ck_assert_ok(fdetach(path));
	close(name_fd);
	unlink(path);
}
END_TEST

/*
 * Any holder of a door may fattach it (illumos checks the path, not who
 * created the door): here a door served by another process.
 */
START_TEST(fattach_a_door_we_do_not_serve)
{
	struct svc_door sd;
	struct svc_server srv;
	char path[PATH_MAX];
	int name_fd, fd;
	char out[8];

	svc_init(&sd, 0);
	srv = svc_serve_in_child(&sd);
	make_name(path, sizeof(path), "foreign", 0444, &name_fd);
	ck_assert_ok(fattach(srv.fd, path));
	ck_assert_uint_eq(id_at(path), srv.info.di_uniquifier);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_ok(svc_call(fd, SVC_PATTERN, sizeof(out), 4, 0, out,
			      sizeof(out)));
	ck_assert(pattern_ok(out, sizeof(out), 4));
	close(fd);
	ck_assert_ok(fdetach(path));
	close(name_fd);
	unlink(path);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Who may attach (root runs these; the child drops to nobody). */

static void nop_proc(void *cookie, char *argp, size_t arg_size,
		     door_desc_t *dp, uint_t n_desc)
{
	(void)cookie, (void)argp, (void)arg_size, (void)dp, (void)n_desc;
	(void)door_return(NULL, 0, NULL, 0);
}

struct perm_paths {
	char roots[PATH_MAX];		/* root's, 0644, nothing attached */
	char roots_attached[PATH_MAX];	/* root's, a door attached */
	char own_ro[PATH_MAX];		/* made by the child, 0444 */
	char own_rw[PATH_MAX];		/* made by the child, 0644 */
};

static int perm_child(void *arg, int ctl)
{
	const struct perm_paths *pp = arg;
	int d, fd;

	(void)ctl;
	become_user(NOBODY, NOBODY);
	d = door_create(nop_proc, NULL, 0);
	CHILD_ASSERT(d >= 0, "door_create as nobody: %s", strerror(errno));

	/* Not the owner, not privileged. */
	CHILD_FAILS(fattach(d, pp->roots), EPERM);
	CHILD_FAILS(fdetach(pp->roots_attached), EPERM);

	/* The owner, without write permission. */
	fd = creat(pp->own_ro, 0444);
	CHILD_ASSERT(fd >= 0, "creat %s: %s", pp->own_ro, strerror(errno));
	close(fd);
	CHILD_FAILS(fattach(d, pp->own_ro), EACCES);

	/* The owner, with it. */
	fd = creat(pp->own_rw, 0644);
	CHILD_ASSERT(fd >= 0, "creat %s: %s", pp->own_rw, strerror(errno));
	close(fd);
	CHILD_OK(fattach(d, pp->own_rw));
	fd = open(pp->own_rw, O_RDONLY);
	CHILD_ASSERT(fd >= 0, "open %s: %s", pp->own_rw, strerror(errno));
	CHILD_OK(door_call(fd, NULL));
	close(fd);
	CHILD_OK(fdetach(pp->own_rw));
	return 0;
}

START_TEST(fattach_owner_and_write_checks)
{
	struct svc_door sd;
	struct perm_paths pp;
	struct child c;
	int roots_fd, attached_fd;

	make_name(pp.roots, sizeof(pp.roots), "perm-root", 0644, &roots_fd);
	make_name(pp.roots_attached, sizeof(pp.roots_attached),
		  "perm-attached", 0644, &attached_fd);
	door_path(pp.own_ro, sizeof(pp.own_ro), "perm-ro");
	door_path(pp.own_rw, sizeof(pp.own_rw), "perm-rw");
	local_door(&sd);
	ck_assert_ok(fattach(sd.fd, pp.roots_attached));

	c = child_start(perm_child, &pp, CHILD_EXIT);
	ck_assert_int_eq(child_join(&c), 0);

	/* Nothing changed for root's names. */
	ck_assert_uint_eq(id_at(pp.roots), id_of(roots_fd));
	ck_assert_uint_eq(id_at(pp.roots_attached), id_of(sd.fd));
	ck_assert_ok(fdetach(pp.roots_attached));
	close(roots_fd);
	close(attached_fd);
	unlink(pp.roots);
	unlink(pp.roots_attached);
	unlink(pp.own_ro);
	unlink(pp.own_rw);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Outside the mount: a bind mount, in a child's own mount namespace. */

struct outside {
	char dir[PATH_MAX];
	char file[PATH_MAX + 16];
};

#define OUTSIDE_TEXT "the file underneath"

static const char outside_answer[] = "answered from outside the mount";

static void answer_proc(void *cookie, char *argp, size_t arg_size,
			door_desc_t *dp, uint_t n_desc)
{
	(void)cookie, (void)argp, (void)arg_size, (void)dp, (void)n_desc;
	(void)door_return((char *)outside_answer, sizeof(outside_answer),
			  NULL, 0);
}

/* A mount namespace of our own, whose mounts never reach anyone else. */
static void private_mounts(void)
{
	CHILD_OK(unshare(CLONE_NEWNS));
	CHILD_OK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
}

static int outside_child(void *arg, int ctl)
{
	const struct outside *o = arg;
	door_info_t mine, seen;
	struct stat before, after;
	char rbuf[64], text[64];
	door_arg_t a = { NULL, 0, NULL, 0, rbuf, sizeof(rbuf) };
	int d, fd, early;
	ssize_t n;

	(void)ctl;
	private_mounts();	/* before door_create starts threads */
	d = door_create(answer_proc, NULL, 0);
	CHILD_ASSERT(d >= 0, "door_create: %s", strerror(errno));
	CHILD_OK(door_info(d, &mine));

	CHILD_OK(stat(o->file, &before));
	CHILD_OK(fattach(d, o->file));
	/* The path keeps its mode and owner. */
	CHILD_OK(stat(o->file, &after));
	CHILD_ASSERT((after.st_mode & 07777) == (before.st_mode & 07777) &&
		     after.st_uid == before.st_uid &&
		     after.st_gid == before.st_gid,
		     "attached path: mode %o uid %d gid %d, want %o %d %d",
		     after.st_mode & 07777, (int)after.st_uid,
		     (int)after.st_gid, before.st_mode & 07777,
		     (int)before.st_uid, (int)before.st_gid);
	early = open(o->file, O_RDONLY | O_CLOEXEC);
	CHILD_ASSERT(early >= 0, "open %s: %s", o->file, strerror(errno));
	CHILD_OK(door_info(early, &seen));
	CHILD_ASSERT(seen.di_uniquifier == mine.di_uniquifier,
		     "open(path) did not yield the attached door");
	CHILD_OK(door_call(early, &a));
	CHILD_ASSERT(a.data_size == sizeof(outside_answer) &&
		     memcmp(a.data_ptr, outside_answer, a.data_size) == 0,
		     "door_call through the path: wrong answer");
	CHILD_FAILS(fattach(d, o->file), EBUSY);

	CHILD_OK(fdetach(o->file));
	/* The file is itself again... */
	fd = open(o->file, O_RDONLY | O_CLOEXEC);
	CHILD_ASSERT(fd >= 0, "open %s: %s", o->file, strerror(errno));
	CHILD_FAILS(door_info(fd, &seen), EBADF);
	memset(text, 0, sizeof(text));
	n = read(fd, text, sizeof(text) - 1);
	CHILD_ASSERT(n == (ssize_t)strlen(OUTSIDE_TEXT) &&
		     strcmp(text, OUTSIDE_TEXT) == 0,
		     "after fdetach the path reads \"%s\"", text);
	close(fd);
	/* ...the descriptor opened before still calls the door... */
	a = (door_arg_t){ NULL, 0, NULL, 0, rbuf, sizeof(rbuf) };
	CHILD_OK(door_call(early, &a));
	close(early);
	/* ...and there is nothing left to detach. */
	CHILD_FAILS(fdetach(o->file), EINVAL);
	return 0;
}

static void outside_setup(struct outside *o)
{
	const char *tmp = getenv("TMPDIR");
	int fd;

	snprintf(o->dir, sizeof(o->dir), "%s/doorfs-fattach-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(o->dir));
	snprintf(o->file, sizeof(o->file), "%s/door", o->dir);
	fd = open(o->file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert(fd_write_full(fd, OUTSIDE_TEXT, strlen(OUTSIDE_TEXT)));
	close(fd);
}

static void outside_cleanup(struct outside *o)
{
	unlink(o->file);
	rmdir(o->dir);
}

/* Run fn on o in a child, clean o up, then see that the child passed. */
static void outside_run(struct outside *o, child_fn *fn)
{
	struct child c = child_start(fn, o, CHILD_EXIT);
	int status = child_join(&c);

	/* The child's mount namespace, and its mounts, are gone. */
	outside_cleanup(o);
	ck_assert_msg(status == 0, "the child failed (status %d; its stderr "
		      "says where)", status);
}

START_TEST(fattach_outside_the_mount)
{
	struct outside o;

	outside_setup(&o);
	outside_run(&o, outside_child);
}
END_TEST

static int outside_unprivileged_child(void *arg, int ctl)
{
	const struct outside *o = arg;
	int d;

	(void)ctl;
	private_mounts();
	become_user(NOBODY, NOBODY);
	d = door_create(nop_proc, NULL, 0);
	CHILD_ASSERT(d >= 0, "door_create as nobody: %s", strerror(errno));
	CHILD_FAILS(fattach(d, o->file), EPERM);
	return 0;
}

START_TEST(fattach_outside_unprivileged_eperm)
{
	struct outside o;

	outside_setup(&o);
	/* The directory must be searchable by nobody. */
	ck_assert_ok(chmod(o.dir, 0755));
	outside_run(&o, outside_unprivileged_child);
}
END_TEST

Suite *fattach_suite(void)
{
	Suite *s = suite_create("fattach");
	TCase *tc = harness_tcase(s, "inside");

	tcase_add_test(tc, fattach_name_opens_the_door);
	tcase_add_test(tc, fattach_ebusy);
	tcase_add_test(tc, fattach_several_names);
	tcase_add_test(tc, fdetach_gives_the_name_back);
	tcase_add_test(tc, fattach_fdetach_bad_paths);
	tcase_add_test(tc, fattach_bad_descriptors);
	tcase_add_test(tc, fattach_relative_path);
	tcase_add_test(tc, fattach_replace_door_behind_name);
	tcase_add_test(tc, fattach_a_door_we_do_not_serve);
	if (harness_is_root()) {
		/* A child that drops to nobody; bind mounts. */
		tcase_add_test(tc, fattach_owner_and_write_checks);

		tc = harness_tcase(s, "outside");
		tcase_add_test(tc, fattach_outside_the_mount);
		tcase_add_test(tc, fattach_outside_unprivileged_eperm);
	}
	return s;
}
