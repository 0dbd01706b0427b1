/*
 * namespace.c: directories, names and inode lifetime for doorfsd.
 *
 * The kernel holds inode numbers across calls, so a node may outlive its
 * name (an open door whose file was removed still answers calls) and a
 * name may vanish while the kernel still looks things up by number.  The
 * rule, as in libfuse's passthrough_ll: a node lives while it has a name,
 * a kernel lookup reference or an open handle.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>

#include "namespace.h"

struct ns {
	GHashTable *inodes;     /* ino -> struct node */
	uint64_t next_ino;
	ns_payload_release_fn *release;
};

void ns_touch(struct timespec *t)
{
	clock_gettime(CLOCK_REALTIME, t);
}

static struct node *node_new(struct ns *ns, mode_t mode, uid_t uid,
			     gid_t gid)
{
	struct node *node = g_new0(struct node, 1);
	node->ino = ns->next_ino++;
	node->mode = mode;
	node->uid = uid;
	node->gid = gid;
	ns_touch(&node->ctime);
	node->mtime = node->atime = node->ctime;
	if (S_ISDIR(mode))
		node->children = g_hash_table_new(g_str_hash, g_str_equal);
	g_hash_table_insert(ns->inodes, &node->ino, node);
	return node;
}

static void node_free(struct ns *ns, struct node *node)
{
	g_hash_table_remove(ns->inodes, &node->ino);
	if (node->children)
		g_hash_table_destroy(node->children);
	if (node->payload && ns->release)
		ns->release(node->payload);
	if (node->covered && ns->release)
		ns->release(node->covered);
	g_free(node->name);
	g_free(node);
}

/* Free the node if nothing refers to it any more. */
static void node_maybe_free(struct ns *ns, struct node *node)
{
	if (node->ino == NS_ROOT_INO || node->name || node->nlookup ||
	    node->nopen)
		return;
	node_free(ns, node);
}

struct ns *ns_new(uid_t root_uid, gid_t root_gid, mode_t root_mode,
		  ns_payload_release_fn *release)
{
	struct ns *ns = g_new0(struct ns, 1);
	ns->inodes = g_hash_table_new(g_int64_hash, g_int64_equal);
	ns->next_ino = NS_ROOT_INO;
	ns->release = release;
	node_new(ns, S_IFDIR | (root_mode & 07777), root_uid, root_gid);
	return ns;
}

void ns_free(struct ns *ns)
{
	GHashTableIter it;
	gpointer value;
	GPtrArray *all = g_ptr_array_new();

	g_hash_table_iter_init(&it, ns->inodes);
	while (g_hash_table_iter_next(&it, NULL, &value))
		g_ptr_array_add(all, value);
	for (guint i = 0; i < all->len; i++)
		node_free(ns, all->pdata[i]);
	g_ptr_array_free(all, TRUE);
	g_hash_table_destroy(ns->inodes);
	g_free(ns);
}

struct node *ns_get(struct ns *ns, uint64_t ino)
{
	return g_hash_table_lookup(ns->inodes, &ino);
}

size_t ns_count(const struct ns *ns)
{
	return g_hash_table_size(ns->inodes);
}

struct node *ns_child(struct node *dir, const char *name)
{
	if (!dir->children)
		return NULL;
	return g_hash_table_lookup(dir->children, name);
}

static int check_name(const char *name)
{
	size_t len = strlen(name);
	if (len == 0 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return -EINVAL;
	if (len > NS_NAME_MAX)
		return -ENAMETOOLONG;
	return 0;
}

static void link_child(struct node *dir, struct node *child,
		       const char *name)
{
	child->parent = dir;
	child->name = g_strdup(name);
	g_hash_table_insert(dir->children, child->name, child);
	if (S_ISDIR(child->mode))
		dir->nsubdirs++;
	ns_touch(&dir->mtime);
	dir->ctime = dir->mtime;
}

static void unlink_child(struct node *child)
{
	struct node *dir = child->parent;
	g_hash_table_remove(dir->children, child->name);
	if (S_ISDIR(child->mode))
		dir->nsubdirs--;
	ns_touch(&dir->mtime);
	dir->ctime = dir->mtime;
	child->ctime = dir->mtime;
	g_free(child->name);
	child->name = NULL;
	child->parent = NULL;
}

int ns_make(struct ns *ns, struct node *dir, const char *name, mode_t mode,
	    uid_t uid, gid_t gid, struct node **out)
{
	int err = check_name(name);
	if (err)
		return err;
	if (!S_ISDIR(dir->mode))
		return -ENOTDIR;
	if (!dir->name && dir->ino != NS_ROOT_INO)
		return -ENOENT;         /* creating inside a removed directory */
	if (!S_ISDIR(mode) && !S_ISREG(mode))
		return -EPERM;
	if (ns_child(dir, name))
		return -EEXIST;

	struct node *node = node_new(ns, mode, uid, gid);
	link_child(dir, node, name);
	*out = node;
	return 0;
}

int ns_remove(struct ns *ns, struct node *dir, const char *name,
	      bool want_dir)
{
	struct node *node = ns_child(dir, name);
	if (!node)
		return -ENOENT;
	if (want_dir && !S_ISDIR(node->mode))
		return -ENOTDIR;
	if (!want_dir && S_ISDIR(node->mode))
		return -EISDIR;
	if (want_dir && g_hash_table_size(node->children))
		return -ENOTEMPTY;
	unlink_child(node);
	node_maybe_free(ns, node);
	return 0;
}

static bool is_ancestor(const struct node *maybe, const struct node *node)
{
	for (; node; node = node->parent)
		if (node == maybe)
			return true;
	return false;
}

int ns_rename(struct ns *ns, struct node *dir, const char *name,
	      struct node *newdir, const char *newname, unsigned flags)
{
	if (flags & ~RENAME_NOREPLACE)
		return -EINVAL;         /* RENAME_EXCHANGE, WHITEOUT: unsupported */
	int err = check_name(newname);
	if (err)
		return err;
	struct node *node = ns_child(dir, name);
	if (!node)
		return -ENOENT;
	if (!S_ISDIR(newdir->mode))
		return -ENOTDIR;
	if (S_ISDIR(node->mode) && is_ancestor(node, newdir))
		return -EINVAL;         /* a directory into its own subtree */

	struct node *victim = ns_child(newdir, newname);
	if (victim == node)
		return 0;
	if (victim) {
		if (flags & RENAME_NOREPLACE)
			return -EEXIST;
		if (S_ISDIR(node->mode) && !S_ISDIR(victim->mode))
			return -ENOTDIR;
		if (!S_ISDIR(node->mode) && S_ISDIR(victim->mode))
			return -EISDIR;
		if (S_ISDIR(victim->mode) &&
		    g_hash_table_size(victim->children))
			return -ENOTEMPTY;
		unlink_child(victim);
		node_maybe_free(ns, victim);
	}
	unlink_child(node);
	link_child(newdir, node, newname);
	return 0;
}

void ns_remember(struct node *node)
{
	node->nlookup++;
}

void ns_forget(struct ns *ns, struct node *node, uint64_t n)
{
	node->nlookup = n > node->nlookup ? 0 : node->nlookup - n;
	node_maybe_free(ns, node);
}

void ns_open(struct node *node)
{
	node->nopen++;
}

void ns_close(struct ns *ns, struct node *node)
{
	node->nopen--;
	node_maybe_free(ns, node);
}

void ns_stat(const struct node *node, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = node->ino;
	st->st_mode = node->mode;
	st->st_uid = node->uid;
	st->st_gid = node->gid;
	st->st_blksize = 4096;
	st->st_atim = node->atime;
	st->st_mtim = node->mtime;
	st->st_ctim = node->ctime;
	if (S_ISDIR(node->mode))
		st->st_nlink = 2 + node->nsubdirs;
	else
		st->st_nlink = node->name ? 1 : 0;
}

GArray *ns_list(struct node *dir)
{
	GArray *list = g_array_new(FALSE, FALSE, sizeof(struct ns_dirent));
	struct ns_dirent dot = { g_strdup("."), dir->ino, S_IFDIR };
	struct ns_dirent dotdot = {
		g_strdup(".."), dir->parent ? dir->parent->ino : dir->ino,
		S_IFDIR
	};
	g_array_append_val(list, dot);
	g_array_append_val(list, dotdot);

	GHashTableIter it;
	gpointer value;
	g_hash_table_iter_init(&it, dir->children);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		struct node *child = value;
		struct ns_dirent ent = { g_strdup(child->name), child->ino,
					 child->mode };
		g_array_append_val(list, ent);
	}
	return list;
}

void ns_list_free(GArray *list)
{
	for (guint i = 0; i < list->len; i++)
		g_free(g_array_index(list, struct ns_dirent, i).name);
	g_array_free(list, TRUE);
}
