/*
 * namespace.h: the tree of names doorfsd serves.
 *
 * A node is a directory or a door file.  Its lifetime follows the
 * kernel's lookup count (FUSE lookup/forget), its open handles and
 * whether a name still refers to it; a node is freed only when all three
 * are gone.  The namespace knows nothing of doors: a file node carries an
 * opaque payload, released through the callback given to ns_new.
 *
 * Functions that can fail return 0 or a negative errno.
 */
#ifndef DOORFS_NAMESPACE_H
#define DOORFS_NAMESPACE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include <glib.h>

#define NS_ROOT_INO 1
#define NS_NAME_MAX 255

struct node {
	uint64_t ino;
	mode_t mode;            /* type and permission bits */
	uid_t uid;
	gid_t gid;
	struct timespec atime, mtime, ctime;

	uint64_t nlookup;       /* kernel references (lookup - forget) */
	unsigned nopen;         /* open handles */

	struct node *parent;    /* NULL once unlinked (and for the root) */
	char *name;             /* NULL once unlinked */
	GHashTable *children;   /* directories: name -> struct node */
	unsigned nsubdirs;      /* directories: for the link count */

	void *payload;          /* files: the door */
	void *covered;          /* the door under an fattach, or NULL */
};

struct ns;

/* Release callback for a file node's payload, called when the node dies. */
typedef void ns_payload_release_fn(void *payload);

struct ns *ns_new(uid_t root_uid, gid_t root_gid, mode_t root_mode,
		  ns_payload_release_fn *release);
void ns_free(struct ns *ns);

struct node *ns_get(struct ns *ns, uint64_t ino);
struct node *ns_child(struct node *dir, const char *name);
size_t ns_count(const struct ns *ns);

/* Make a new name in dir.  S_ISREG or S_ISDIR modes only. */
int ns_make(struct ns *ns, struct node *dir, const char *name, mode_t mode,
	    uid_t uid, gid_t gid, struct node **out);

/* Remove a name; want_dir says whether rmdir (true) or unlink (false). */
int ns_remove(struct ns *ns, struct node *dir, const char *name,
	      bool want_dir);

/* rename(2) within the tree; flags as renameat2 (NOREPLACE supported). */
int ns_rename(struct ns *ns, struct node *dir, const char *name,
	      struct node *newdir, const char *newname, unsigned flags);

/* Kernel reference accounting; a node may be freed by ns_forget/ns_close. */
void ns_remember(struct node *node);
void ns_forget(struct ns *ns, struct node *node, uint64_t n);
void ns_open(struct node *node);
void ns_close(struct ns *ns, struct node *node);

void ns_stat(const struct node *node, struct stat *st);
void ns_touch(struct timespec *t);

/* A directory listing frozen at opendir, so readdir offsets stay valid. */
struct ns_dirent {
	char *name;
	uint64_t ino;
	mode_t mode;
};
GArray *ns_list(struct node *dir);
void ns_list_free(GArray *list);

#endif
