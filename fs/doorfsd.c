/*
 * doorfsd: mount a door filesystem.
 *
 * Parses the command line, picks the mount point and default options,
 * mounts, and runs the event loop (loop.h) until unmounted.  Like any FUSE
 * filesystem it returns once the mount is ready and keeps serving in the
 * background, unless -f (or -d) keeps it in the foreground.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#include "fuse_ops.h"
#include "log.h"
#include "loop.h"

#define DOORFSD_VERSION "0.1"
#define ROOT_MOUNTPOINT "/run/doors"

static const char usage[] =
"usage: doorfsd [options] [MOUNTPOINT]\n"
"\n"
"Mount a door filesystem: each file is a door that a server process\n"
"serves and any process allowed to open it can call.\n"
"\n"
"MOUNTPOINT defaults to " ROOT_MOUNTPOINT " for root and to\n"
"$XDG_RUNTIME_DIR/doors otherwise (created if missing).\n"
"\n"
"options:\n"
"  -f               stay in the foreground, log unusual events to stderr\n"
"  -d               same as -f (use -o debug for libfuse's request trace)\n"
"  -o OPT[,OPT...]  mount options, passed to FUSE (e.g. allow_other)\n"
"  -h, --help       this help, then FUSE's own options\n"
"  -V, --version    print the version\n"
"\n"
"As root the mount is system-wide (allow_other) with permission bits\n"
"checked by the kernel (default_permissions); as a user it is private\n"
"unless -o allow_other is given.  Unmount with: fusermount3 -u MOUNTPOINT\n";

struct options {
	int foreground;
	int show_help;
	int show_version;
	char *mountpoint;
	char *error;            /* first bad argument, for the message */
};

enum { KEY_HELP, KEY_VERSION };

#define OPTION(t, p) { t, offsetof(struct options, p), 1 }
static const struct fuse_opt option_spec[] = {
	OPTION("-f", foreground),
	OPTION("-d", foreground),
	FUSE_OPT_KEY("-h", KEY_HELP),
	FUSE_OPT_KEY("--help", KEY_HELP),
	FUSE_OPT_KEY("-V", KEY_VERSION),
	FUSE_OPT_KEY("--version", KEY_VERSION),
	FUSE_OPT_END
};

static int parse_arg(void *data, const char *arg, int key,
		     struct fuse_args *outargs)
{
	(void)outargs;
	struct options *opts = data;
	switch (key) {
	case KEY_HELP:
		opts->show_help = 1;
		return 0;
	case KEY_VERSION:
		opts->show_version = 1;
		return 0;
	case FUSE_OPT_KEY_NONOPT:
		if (opts->mountpoint) {
			if (!opts->error)
				opts->error = g_strdup_printf(
					"unexpected argument '%s'", arg);
			return 0;
		}
		opts->mountpoint = g_strdup(arg);
		return 0;
	default:
		/* An -o option (no dash): FUSE's to judge.  A dash: ours. */
		if (arg[0] != '-')
			return 1;
		if (!opts->error)
			opts->error = g_strdup_printf("unknown option '%s'", arg);
		return 0;
	}
}

/* The default mount point, created if missing; NULL with a message. */
static char *default_mountpoint(void)
{
	char *path;
	if (geteuid() == 0) {
		path = g_strdup(ROOT_MOUNTPOINT);
	} else {
		const char *runtime = getenv("XDG_RUNTIME_DIR");
		if (!runtime || !*runtime) {
			fprintf(stderr, "doorfsd: XDG_RUNTIME_DIR is not set; "
				"give a MOUNTPOINT\n");
			return NULL;
		}
		path = g_build_filename(runtime, "doors", NULL);
	}
	if (mkdir(path, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "doorfsd: cannot create %s: %s\n", path,
			strerror(errno));
		g_free(path);
		return NULL;
	}
	return path;
}

static bool usable_mountpoint(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		fprintf(stderr, "doorfsd: cannot mount on %s: %s\n", path,
			strerror(errno));
		return false;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "doorfsd: cannot mount on %s: %s\n", path,
			strerror(ENOTDIR));
		return false;
	}
	return true;
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct options opts = { 0 };
	struct fuse_session *se = NULL;
	int status = 1;

	if (fuse_opt_parse(&args, &opts, option_spec, parse_arg) < 0)
		goto out;       /* libfuse printed why */
	if (opts.error) {
		fprintf(stderr, "doorfsd: %s (see doorfsd --help)\n", opts.error);
		status = 2;
		goto out;
	}
	if (opts.show_help) {
		fputs(usage, stdout);
		printf("\nFUSE options:\n");
		fflush(stdout);
		fuse_lowlevel_help();
		status = 0;
		goto out;
	}
	if (opts.show_version) {
		printf("doorfsd %s (FUSE %s)\n", DOORFSD_VERSION,
		       fuse_pkgversion());
		status = 0;
		goto out;
	}

	if (!opts.mountpoint && !(opts.mountpoint = default_mountpoint()))
		goto out;
	if (!usable_mountpoint(opts.mountpoint))
		goto out;

	bool root = geteuid() == 0;
	fuse_opt_add_arg(&args, "-ofsname=doorfs,subtype=doorfs,"
			 "default_permissions");
	if (root)
		fuse_opt_add_arg(&args, "-oallow_other");

	log_enable(opts.foreground);
	/*
	 * As root the mount is the system's door namespace: anyone may
	 * create doors, only their owners may remove them (like /tmp).
	 */
	doorfs_ops_init(geteuid(), getegid(), root ? 01777 : 0755);

	se = fuse_session_new(&args, &doorfs_ops, sizeof(doorfs_ops), NULL);
	if (!se)
		goto out;       /* libfuse printed the bad option */
	doorfs_ops_session(se);
	if (fuse_set_signal_handlers(se) < 0)
		goto out;
	if (fuse_session_mount(se, opts.mountpoint) < 0)
		goto out_signals;
	if (fuse_daemonize(opts.foreground) < 0)
		goto out_unmount;

	log_event("serving %s", opts.mountpoint);
	/* Our own loop, not fuse_session_loop: it also waits for the
	 * libdoor servers the daemon forwards calls to (loop.h). */
	status = loop_run(se) < 0 ? 1 : 0;
	log_event("unmounted %s", opts.mountpoint);

out_unmount:
	fuse_session_unmount(se);
out_signals:
	fuse_remove_signal_handlers(se);
out:
	if (se)
		fuse_session_destroy(se);
	doorfs_ops_fini();
	loop_fini();
	fuse_opt_free_args(&args);
	g_free(opts.mountpoint);
	g_free(opts.error);
	return status;
}
