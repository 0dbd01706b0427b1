/*
 * method_dbus.c: a D-Bus method call, Echo(ay) -> ay, through a private
 * dbus-daemon, with sd-bus at both ends.
 *
 * setup() starts a dbus-daemon of its own, forks a server that owns
 * BUS_NAME and exports Echo, and connects the client.  Each round trip is
 * one method call as any sd-bus client makes it: build the message, send
 * it to the daemon, which routes it by the well-known name to the server,
 * whose reply comes back the same way.  Building the message is part of
 * the call, so it happens inside the timed window.
 *
 * The daemon is a direct child (--nofork, exec'd from server_fork()), so
 * the hooks that kill servers on exit and on SIGINT, and
 * PR_SET_PDEATHSIG, cover it too.  It leaves nothing on the file system
 * for an interrupted run to leave behind: it reads its configuration from
 * a memfd through /proc/self/fd, and it listens on an abstract socket,
 * which goes away with it.  It has no service directories (nothing is
 * ever activated) and no rule on users, so only our own uid may connect
 * (dbus-daemon's default); it never talks to the system or a session bus.
 */
#include "methods.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#define BUS_NAME "org.doorfs.Bench"
#define OBJECT_PATH "/org/doorfs/Bench"
#define INTERFACE "org.doorfs.Bench"

enum {
	/*
	 * The D-Bus specification caps an array at 2^26 bytes and a whole
	 * message at 2^27; sd-bus enforces both.  The payload limit is
	 * the array's, and the daemon is told to take any message the
	 * specification allows (its built-in max_message_size is 32 MiB).
	 * Its per-connection queues need only hold one message: it queues
	 * one more as long as a byte is left below the limit.
	 */
	DBUS_ARRAY_MAX = 1 << 26,
	DBUS_MESSAGE_MAX = 1 << 27,
	/*
	 * How long the daemon may take to listen, and the server to own
	 * its name.  Both take milliseconds; this is for a loaded machine
	 * under sanitizers, and only keeps a wedged child from hanging
	 * the whole run.
	 */
	STARTUP_TIMEOUT_MS = 30 * 1000,
	/* "unix:abstract=doorbench-dbus-<pid>-<n>,guid=<32 hex digits>" */
	ADDRESS_MAX = 256,
};

/*
 * No <type>, no service directories, no includes: nothing here depends
 * on the machine's D-Bus configuration.  The name is unique per process
 * and per setup; a clash with someone else's socket fails the daemon's
 * bind() with a message, it does not join a stranger's bus.
 */
static const char config_format[] =
	"<!DOCTYPE busconfig PUBLIC "
	"\"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
	" \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
	"<busconfig>\n"
	"  <listen>unix:abstract=doorbench-dbus-%ld-%u</listen>\n"
	"  <auth>EXTERNAL</auth>\n"
	"  <policy context=\"default\">\n"
	"    <allow send_destination=\"*\"/>\n"
	"    <allow receive_sender=\"*\"/>\n"
	"    <allow own=\"" BUS_NAME "\"/>\n"
	"  </policy>\n"
	"  <limit name=\"max_message_size\">%d</limit>\n"
	"  <limit name=\"max_incoming_bytes\">%d</limit>\n"
	"  <limit name=\"max_outgoing_bytes\">%d</limit>\n"
	"</busconfig>\n";

static pid_t bus_daemon = -1, server = -1;
static sd_bus *client;

static void report(const char *what, int r)
{
	fprintf(stderr, "doorbench: dbus: %s: %s\n", what, strerror(-r));
}

/* A connection to the bus at `address`, said Hello to; 0 or -errno. */
static int connect_bus(const char *address, sd_bus **bus)
{
	int r = sd_bus_new(bus);
	if (r < 0)
		return r;
	r = sd_bus_set_address(*bus, address);
	if (r >= 0)
		r = sd_bus_set_bus_client(*bus, 1);
	if (r >= 0)
		r = sd_bus_start(*bus);
	if (r < 0)
		*bus = sd_bus_unref(*bus);
	return r;
}

/*
 * Reads the line a starting child writes to `fd` when it is ready, into
 * buf without its newline; 0, or -1 after saying that `what` never came.
 */
static int await_line(int fd, char *buf, size_t size, const char *what)
{
	struct timespec start, now;
	size_t got = 0;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		long spent = (now.tv_sec - start.tv_sec) * 1000L +
			     (now.tv_nsec - start.tv_nsec) / 1000000L;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int n = poll(&p, 1, spent < STARTUP_TIMEOUT_MS
				    ? (int)(STARTUP_TIMEOUT_MS - spent) : 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("doorbench: dbus: poll");
			return -1;
		}
		if (n == 0) {
			fprintf(stderr, "doorbench: dbus: no %s after %d s\n",
				what, STARTUP_TIMEOUT_MS / 1000);
			return -1;
		}
		ssize_t r = read(fd, buf + got, size - 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			fprintf(stderr, "doorbench: dbus: no %s: %s\n", what,
				r < 0 ? strerror(errno)
				      : "it exited first (see above)");
			return -1;
		}
		got += (size_t)r;
		char *end = memchr(buf, '\n', got);
		if (end) {
			*end = '\0';
			return 0;
		}
		if (got == size - 1) {
			fprintf(stderr, "doorbench: dbus: no %s: its line is "
				"over %zu bytes\n", what, size - 1);
			return -1;
		}
	}
}

/* In the child: becomes the dbus-daemon, or says why it cannot. */
static void exec_daemon(int config, int address)
{
	char config_arg[64], address_arg[64];
	/* Both were opened close-on-exec for every other child's sake. */
	if (fcntl(config, F_SETFD, 0) < 0 || fcntl(address, F_SETFD, 0) < 0) {
		perror("doorbench: dbus: fcntl");
		_exit(127);
	}
	snprintf(config_arg, sizeof(config_arg),
		 "--config-file=/proc/self/fd/%d", config);
	snprintf(address_arg, sizeof(address_arg), "--print-address=%d",
		 address);
	execlp("dbus-daemon", "dbus-daemon", "--nofork", config_arg,
	       address_arg, (char *)NULL);
	fprintf(stderr, "doorbench: dbus: cannot run dbus-daemon: %s "
		"(Debian package dbus-daemon)\n", strerror(errno));
	_exit(127);
}

/* Starts the daemon and stores the address it listens on; 0 or -1. */
static int start_daemon(char *address, size_t size)
{
	static unsigned started;
	int config = memfd_create("doorbench-dbus.conf", MFD_CLOEXEC);
	if (config < 0) {
		perror("doorbench: dbus: memfd_create");
		return -1;
	}
	if (dprintf(config, config_format, (long)getpid(), started++,
		    DBUS_MESSAGE_MAX, DBUS_MESSAGE_MAX, DBUS_MESSAGE_MAX) < 0) {
		perror("doorbench: dbus: writing the daemon's configuration");
		close(config);
		return -1;
	}
	int out[2];
	if (pipe2(out, O_CLOEXEC) < 0) {
		perror("doorbench: dbus: pipe");
		close(config);
		return -1;
	}
	bus_daemon = server_fork();
	if (bus_daemon == 0)
		exec_daemon(config, out[1]);
	close(config);
	close(out[1]);
	/* It prints the address once it listens: then we may connect. */
	int r = bus_daemon < 0 ? -1 : await_line(out[0], address, size,
					"address from dbus-daemon");
	close(out[0]);
	return r;
}

/* Echo(ay) -> ay: the argument, back as it came. */
static int echo(sd_bus_message *call, void *userdata, sd_bus_error *error)
{
	(void)userdata;
	(void)error;
	sd_bus_message *reply = NULL;
	const void *data;
	size_t size;
	int r = sd_bus_message_read_array(call, 'y', &data, &size);
	if (r >= 0)
		r = sd_bus_message_new_method_return(call, &reply);
	if (r >= 0)
		r = sd_bus_message_append_array(reply, 'y', data, size);
	if (r >= 0)
		r = sd_bus_send(NULL, reply, NULL);
	sd_bus_message_unref(reply);
	/* A negative return makes sd-bus send the caller an error. */
	return r;
}

static const sd_bus_vtable echo_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD("Echo", "ay", "ay", echo, 0),
	SD_BUS_VTABLE_END,
};

/*
 * The server child: owns BUS_NAME, writes a line to `ready`, and serves
 * until the bus goes away (or it is killed, as it normally is).
 */
static void serve(const char *address, int ready)
{
	sd_bus *bus;
	int r = connect_bus(address, &bus);
	if (r < 0) {
		report("server: connecting to the bus", r);
		_exit(1);
	}
	r = sd_bus_add_object_vtable(bus, NULL, OBJECT_PATH, INTERFACE,
				     echo_vtable, NULL);
	if (r >= 0)
		r = sd_bus_request_name(bus, BUS_NAME, 0);
	if (r < 0) {
		report("server: exporting Echo as " BUS_NAME, r);
		_exit(1);
	}
	if (write(ready, "\n", 1) != 1)
		_exit(1);
	close(ready);
	for (;;) {
		r = sd_bus_process(bus, NULL);
		if (r == 0)
			r = sd_bus_wait(bus, UINT64_MAX);
		/* The daemon is gone; the client will say so. */
		if (r < 0)
			_exit(0);
	}
}

/* Forks the server and waits until it owns BUS_NAME; 0 or -1. */
static int start_server(const char *address)
{
	int ready[2];
	char line[8];
	if (pipe2(ready, O_CLOEXEC) < 0) {
		perror("doorbench: dbus: pipe");
		return -1;
	}
	server = server_fork();
	if (server == 0) {
		close(ready[0]);
		serve(address, ready[1]);
	}
	close(ready[1]);
	/* Calling before the name is owned would fail: nothing activates. */
	int r = server < 0 ? -1 : await_line(ready[0], line, sizeof(line),
					"server owning " BUS_NAME);
	close(ready[0]);
	return r;
}

static void dbus_teardown(void)
{
	client = sd_bus_flush_close_unref(client);
	server_stop(server);
	server = -1;
	server_stop(bus_daemon);
	bus_daemon = -1;
}

static int dbus_setup(size_t payload, int pinned)
{
	(void)payload;
	(void)pinned;
	char address[ADDRESS_MAX];
	if (start_daemon(address, sizeof(address)) < 0 ||
	    start_server(address) < 0)
		goto fail;
	int r = connect_bus(address, &client);
	if (r < 0) {
		report("connecting to the bus", r);
		goto fail;
	}
	return 0;
fail:
	dbus_teardown();
	return -1;
}

static ssize_t dbus_round_trip(const void *arg, void *reply, size_t payload)
{
	sd_bus_message *call = NULL, *answer = NULL;
	sd_bus_error error = SD_BUS_ERROR_NULL;
	const void *data;
	size_t size;
	int r = sd_bus_message_new_method_call(client, &call, BUS_NAME,
					       OBJECT_PATH, INTERFACE, "Echo");
	if (r >= 0)
		r = sd_bus_message_append_array(call, 'y', arg, payload);
	if (r >= 0)
		r = sd_bus_call(client, call, 0, &error, &answer);
	if (r >= 0)
		r = sd_bus_message_read_array(answer, 'y', &data, &size);
	if (r < 0) {
		if (sd_bus_error_is_set(&error))
			fprintf(stderr, "doorbench: dbus: Echo: %s: %s\n",
				error.name, error.message ? error.message : "");
		else
			report("Echo", r);
		size = 0;
	} else if (size > 0) {
		/* A longer reply is cut to fit; its length tells. */
		memcpy(reply, data, size < payload ? size : payload);
	}
	sd_bus_error_free(&error);
	sd_bus_message_unref(answer);
	sd_bus_message_unref(call);
	return r < 0 ? -1 : (ssize_t)size;
}

const struct bench_method method_dbus = {
	.name = "dbus",
	.what = "a D-Bus method call (sd-bus) through a private dbus-daemon",
	.max_payload = DBUS_ARRAY_MAX,
	.setup = dbus_setup,
	.round_trip = dbus_round_trip,
	.teardown = dbus_teardown,
};
