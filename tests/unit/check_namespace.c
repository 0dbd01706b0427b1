/*
 * check_namespace.c: unit tests of names and node lifetime
 * (fs/namespace.c).  Payload releases are counted to prove that a door
 * dies exactly when its last name, lookup and open handle are gone.
 */
#include <check.h>
#include <errno.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>

#include "namespace.h"

static int released;
static int payload_token;

static void count_release(void *payload)
{
	ck_assert_ptr_eq(payload, &payload_token);
	released++;
}

static struct ns *ns;
static struct node *root;

static void setup(void)
{
	released = 0;
	ns = ns_new(0, 0, 01777, count_release);
	root = ns_get(ns, NS_ROOT_INO);
}

static void teardown(void)
{
	ns_free(ns);
}

static struct node *make(struct node *dir, const char *name, mode_t mode)
{
	struct node *node = NULL;
	ck_assert_int_eq(ns_make(ns, dir, name, mode, 1000, 100, &node), 0);
	if (S_ISREG(mode))
		node->payload = &payload_token;
	return node;
}

START_TEST(root_and_stat)
{
	ck_assert_ptr_nonnull(root);
	struct stat st;
	ns_stat(root, &st);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 01777);
	ck_assert_uint_eq(st.st_nlink, 2);

	struct node *door = make(root, "d", S_IFREG | 0640);
	make(root, "sub", S_IFDIR | 0755);
	ns_stat(door, &st);
	ck_assert_uint_eq(st.st_mode, S_IFREG | 0640);
	ck_assert_uint_eq(st.st_uid, 1000);
	ck_assert_uint_eq(st.st_gid, 100);
	ck_assert_uint_eq(st.st_nlink, 1);
	ck_assert_int_eq(st.st_size, 0);
	ck_assert(st.st_mtim.tv_sec > 0);
	ns_stat(root, &st);
	ck_assert_uint_eq(st.st_nlink, 3);
	ck_assert_uint_eq(ns_count(ns), 3);
}
END_TEST

START_TEST(make_errors)
{
	struct node *node;
	struct node *door = make(root, "d", S_IFREG | 0600);
	ck_assert_int_eq(ns_make(ns, root, "d", S_IFREG, 0, 0, &node), -EEXIST);
	ck_assert_int_eq(ns_make(ns, root, "", S_IFREG, 0, 0, &node), -EINVAL);
	ck_assert_int_eq(ns_make(ns, root, "..", S_IFDIR, 0, 0, &node), -EINVAL);
	ck_assert_int_eq(ns_make(ns, root, "f", S_IFIFO, 0, 0, &node), -EPERM);
	ck_assert_int_eq(ns_make(ns, door, "x", S_IFREG, 0, 0, &node), -ENOTDIR);
	char longname[NS_NAME_MAX + 2];
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ck_assert_int_eq(ns_make(ns, root, longname, S_IFREG, 0, 0, &node),
			 -ENAMETOOLONG);
}
END_TEST

START_TEST(remove_rules)
{
	struct node *dir = make(root, "dir", S_IFDIR | 0755);
	make(dir, "inner", S_IFREG | 0600);
	make(root, "file", S_IFREG | 0600);
	ck_assert_int_eq(ns_remove(ns, root, "dir", true), -ENOTEMPTY);
	ck_assert_int_eq(ns_remove(ns, root, "dir", false), -EISDIR);
	ck_assert_int_eq(ns_remove(ns, root, "file", true), -ENOTDIR);
	ck_assert_int_eq(ns_remove(ns, root, "missing", false), -ENOENT);
	ck_assert_int_eq(ns_remove(ns, dir, "inner", false), 0);
	ck_assert_int_eq(released, 1);
	ck_assert_int_eq(ns_remove(ns, root, "dir", true), 0);
	ck_assert_ptr_null(ns_child(root, "dir"));
}
END_TEST

START_TEST(lifetime_follows_references)
{
	struct node *door = make(root, "d", S_IFREG | 0600);
	uint64_t ino = door->ino;
	ns_remember(door);      /* the kernel looked it up */
	ns_open(door);          /* and opened it */
	ck_assert_int_eq(ns_remove(ns, root, "d", false), 0);

	/* No name, but still open and known to the kernel. */
	ck_assert_ptr_eq(ns_get(ns, ino), door);
	struct stat st;
	ns_stat(door, &st);
	ck_assert_uint_eq(st.st_nlink, 0);
	ns_close(ns, door);
	ck_assert_int_eq(released, 0);
	ns_forget(ns, door, 1);
	ck_assert_int_eq(released, 1);
	ck_assert_ptr_null(ns_get(ns, ino));

	/* A name alone keeps a node alive through forget. */
	struct node *kept = make(root, "kept", S_IFREG | 0600);
	ns_remember(kept);
	ns_forget(ns, kept, 5);
	ck_assert_ptr_eq(ns_child(root, "kept"), kept);
	ck_assert_int_eq(released, 1);
}
END_TEST

START_TEST(rename_rules)
{
	struct node *a = make(root, "a", S_IFDIR | 0755);
	struct node *b = make(a, "b", S_IFDIR | 0755);
	struct node *door = make(root, "door", S_IFREG | 0600);
	make(root, "other", S_IFREG | 0600);
	make(b, "full", S_IFREG | 0600);

	ck_assert_int_eq(ns_rename(ns, root, "a", b, "a2", 0), -EINVAL);
	ck_assert_int_eq(ns_rename(ns, root, "door", root, "a", 0), -EISDIR);
	ck_assert_int_eq(ns_rename(ns, a, "b", root, "door", 0), -ENOTDIR);
	ck_assert_int_eq(ns_rename(ns, root, "door", root, "other",
				   RENAME_NOREPLACE), -EEXIST);
	ck_assert_int_eq(ns_rename(ns, root, "door", root, "x",
				   RENAME_EXCHANGE), -EINVAL);
	ck_assert_int_eq(ns_rename(ns, root, "nope", root, "x", 0), -ENOENT);

	/* Replacing a file releases the replaced door. */
	ck_assert_int_eq(ns_rename(ns, root, "door", root, "other", 0), 0);
	ck_assert_int_eq(released, 1);
	ck_assert_ptr_eq(ns_child(root, "other"), door);
	ck_assert_ptr_null(ns_child(root, "door"));

	/* Into a subdirectory and back, under a new name. */
	ck_assert_int_eq(ns_rename(ns, root, "other", b, "moved", 0), 0);
	ck_assert_ptr_eq(door->parent, b);
	ck_assert_str_eq(door->name, "moved");
	ck_assert_int_eq(ns_rename(ns, b, "moved", b, "moved", 0), 0);

	/* A directory may replace only an empty directory. */
	make(root, "empty", S_IFDIR | 0755);
	ck_assert_int_eq(ns_rename(ns, root, "empty", a, "b", 0), -ENOTEMPTY);
	ck_assert_int_eq(ns_rename(ns, a, "b", root, "empty", 0), 0);
	struct stat st;
	ns_stat(a, &st);
	ck_assert_uint_eq(st.st_nlink, 2);
}
END_TEST

START_TEST(listing_is_a_snapshot)
{
	make(root, "one", S_IFREG | 0600);
	make(root, "two", S_IFDIR | 0700);
	GArray *list = ns_list(root);
	ck_assert_uint_eq(list->len, 4);
	ck_assert_str_eq(g_array_index(list, struct ns_dirent, 0).name, ".");
	ck_assert_str_eq(g_array_index(list, struct ns_dirent, 1).name, "..");
	ck_assert_int_eq(ns_remove(ns, root, "one", false), 0);
	int seen = 0;
	for (guint i = 2; i < list->len; i++) {
		const char *n = g_array_index(list, struct ns_dirent, i).name;
		seen += strcmp(n, "one") == 0 || strcmp(n, "two") == 0;
	}
	ck_assert_int_eq(seen, 2);
	ns_list_free(list);
}
END_TEST

static Suite *namespace_suite(void)
{
	Suite *s = suite_create("namespace");
	TCase *tc = tcase_create("names");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, root_and_stat);
	tcase_add_test(tc, make_errors);
	tcase_add_test(tc, remove_rules);
	tcase_add_test(tc, lifetime_follows_references);
	tcase_add_test(tc, rename_rules);
	tcase_add_test(tc, listing_is_a_snapshot);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(namespace_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
