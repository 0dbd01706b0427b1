"""Serving doors: reading arguments, writing and returning results, the
held call's caller, poll on a server end, several server ends."""
import os
import select
import threading
import unittest

from harness import (DoorTestCase, bounded, doorfs, fileplane,
                     wait_blocked, wait_until)

MiB = fileplane.MiB
POLLIN, POLLOUT = select.POLLIN, select.POLLOUT


class ServeTest(DoorTestCase):

    def new_door(self, name):
        """A new door and its server end, served by the test itself."""
        path = self.door_path(name)
        return path, self.server_end(path).fd

    def test_held_results_in_several_writes(self):
        # With DOORFS_IOC_HOLD_RESULTS a result is complete only at
        # DOORFS_IOC_RETURN, the end's next read, or close.
        big = os.urandom(MiB + 12345)

        def handler(fd, args):
            if args == b"return":
                for piece in (b"part1-", b"part2-", b"part3"):
                    os.write(fd, piece)
                doorfs.door_return(fd)
            elif args == b"big":
                os.write(fd, big[:1000])
                os.write(fd, big[1000:])
            else:   # left to the serving loop's next read
                os.write(fd, b"next ")
                os.write(fd, b"read")

        door = self.door_path("held")
        server = self.serve(door, handler, hold=True)
        self.assertEqual(self.file_call(door, b"return"),
                         b"part1-part2-part3")
        self.assertEqual(self.file_call(door, b"read"), b"next read")
        self.assertEqual(self.file_call(door, b"big"), big)
        self.assertEqual(server.errors, [])

    def test_short_write_completes_the_call(self):
        after = []

        def handler(fd, args):
            os.write(fd, b"part1")
            try:
                os.write(fd, b"part2")
                after.append("written")
            except OSError as e:
                after.append(fileplane.errno_name(e.errno))

        door = self.door_path("short")
        self.serve(door, handler)
        self.assertEqual(self.file_call(door, b"x"), b"part1")
        wait_until(lambda: after, 5, "the handler to finish")
        self.assertEqual(after, ["EINVAL"])

    def test_empty_result_through_return(self):
        door = self.door_path("empty")
        server = self.serve(door, lambda fd, args: b"")   # reply() returns
        self.assertEqual(self.file_call(door, b"x"), b"")
        fd = self.open(door)
        self.assertEqual(doorfs.call(fd, b"y"), b"")
        self.assertEqual(server.calls, [b"x", b"y"])

    def test_empty_arguments(self):
        seen = []

        def handler(fd, args):
            seen.append((args, doorfs.caller(fd)["arg_size"]))
            return b"got nothing"

        door = self.door_path("noargs")
        self.serve(door, handler)
        fd = self.open(door)
        self.assertEqual(os.read(fd, 100), b"got nothing")
        self.assertEqual(doorfs.call(fd), b"got nothing")
        self.assertEqual(seen, [(b"", 0), (b"", 0)])

    def test_arguments_read_in_small_pieces(self):
        door, fd = self.new_door("pieces")
        caller = self.raw_caller(door, b"abcdefg")
        pieces = [os.read(fd, 3) for _ in range(5)]
        self.assertEqual(pieces, [b"abc", b"def", b"g", b"", b""])
        self.assertEqual(os.write(fd, b"ok"), 2)
        self.assertEqual(caller.outcome(), b"ok")

    def test_no_call_held(self):
        door, fd = self.new_door("idle")
        self.assertErrno("EINVAL", os.write, fd, b"unasked")
        self.assertErrno("EINVAL", doorfs.door_return, fd)
        self.assertErrno("EINVAL", doorfs.caller, fd)
        # Still a working door afterwards.
        caller = self.raw_caller(door, b"q")
        self.assertEqual(os.read(fd, 10), b"q")
        os.write(fd, b"a")
        self.assertEqual(caller.outcome(), b"a")
        self.assertErrno("EINVAL", os.write, fd, b"again")
        self.assertErrno("EINVAL", doorfs.door_return, fd)

    def test_caller_credentials(self):
        seen = []

        def handler(fd, args):
            seen.append(doorfs.caller(fd))
            return b"ok"

        door = self.door_path("who")
        self.serve(door, handler)
        client = self.spawn_client(door, "12345")
        self.assertEqual(self.client_outcome(client)["result"], b"ok")
        # A thread of a multi-threaded caller is reported as its process.
        caller = self.raw_caller(door, b"abc")
        self.assertEqual(caller.outcome(), b"ok")
        self.assertEqual(self.raw_caller(door, b"four", ioctl=True).outcome(),
                         b"ok")
        me = dict(pid=os.getpid(), uid=0, gid=0, unref=False)
        self.assertEqual(seen, [dict(pid=client.pid, uid=0, gid=0, arg_size=5,
                                     unref=False),
                                dict(me, arg_size=3), dict(me, arg_size=4)])

    def test_poll_server_end(self):
        door, fd = self.new_door("poll")
        everything = select.poll()
        everything.register(fd, POLLIN | POLLOUT)
        readable = select.poll()
        readable.register(fd, POLLIN)
        self.assertEqual(everything.poll(0), [(fd, POLLOUT)], "idle")
        self.assertEqual(select.select([fd], [fd], [], 0), ([], [fd], []))

        caller = self.raw_caller(door, b"poll me")
        self.assertEqual(readable.poll(5000), [(fd, POLLIN)])
        self.assertEqual(everything.poll(0), [(fd, POLLIN | POLLOUT)])
        self.assertEqual(select.select([fd], [], [], 5), ([fd], [], []))
        self.assertEqual(os.read(fd, 3), b"pol")
        self.assertEqual(everything.poll(0), [(fd, POLLIN | POLLOUT)],
                         "held call with unread arguments")
        self.assertEqual(os.read(fd, 100), b"l me")
        # Still readable: a read would not block (it returns 0).
        self.assertEqual(everything.poll(0), [(fd, POLLIN | POLLOUT)],
                         "held call, arguments all read")
        os.write(fd, b"polled")
        self.assertEqual(caller.outcome(), b"polled")
        self.assertEqual(everything.poll(0), [(fd, POLLOUT)], "idle again")

        client = select.poll()
        client.register(caller.fd, POLLIN | POLLOUT)
        self.assertEqual(client.poll(0), [(caller.fd, POLLIN | POLLOUT)])

    def test_server_token(self):
        door, fd = self.new_door("token")
        self.assertEqual(doorfs.info(fd)["server_ends"], 1)
        token = doorfs.server_token(fd)
        other = self.open(door)
        self.assertErrno("EPERM", doorfs.server_token, other)
        self.assertErrno("EPERM", doorfs.serve, other, token ^ 1)
        self.assertEqual(doorfs.info(fd)["server_ends"], 1)
        doorfs.serve(other, token)
        self.assertEqual(doorfs.info(fd)["server_ends"], 2)
        self.assertEqual(doorfs.server_token(other), token)
        via_proc = self.open("/proc/self/fd/%d" % fd)
        doorfs.serve(via_proc, token)
        self.assertEqual(doorfs.info(fd)["server_ends"], 3)

    def test_longest_waiting_end_takes_the_call(self):
        door, first = self.new_door("fifo")
        token = doorfs.server_token(first)
        ends = [first] + [self.open(door) for _ in range(2)]
        for end in ends[1:]:
            doorfs.serve(end, token)
        # Ends start waiting in the order 2, 0, 1.
        order = [2, 0, 1]
        readers = []
        for i in order:
            readers.append(Reader(ends[i]))
            wait_blocked([readers[-1].tid], "read")
        for n in range(3):
            caller = self.raw_caller(door, b"call %d" % n)
            reader = readers[n]
            self.assertEqual(reader.args(), b"call %d" % n,
                             "end %d waited longest" % order[n])
            os.write(ends[order[n]], b"from end %d" % order[n])
            self.assertEqual(caller.outcome(), b"from end %d" % order[n])


class Reader:
    """A thread blocked in read() on a server end until a call comes."""

    def __init__(self, fd):
        self._args = None
        started = threading.Event()

        def read():
            self.tid = threading.get_native_id()
            started.set()
            self._args = os.read(fd, 100)

        self._thread = threading.Thread(target=read, daemon=True)
        self._thread.start()
        started.wait()

    def args(self, timeout=5):
        self._thread.join(timeout)
        return self._args


class ConcurrencyTest(DoorTestCase):
    """Parallel client processes against door_server.py with one or
    several server ends: everyone gets their own answer."""

    CLIENTS = 10

    def call_in_parallel(self, ends, delay):
        """Returns the most calls the server held at once."""
        door = self.door_path("ends%d" % ends)
        server = self.spawn_server(door, "--mode", "upper", "--ends",
                                   str(ends), "--delay", str(delay))
        self.assertEqual(doorfs.info(self.open(door))["server_ends"], ends)
        clients = [self.spawn_client(door, "client-%d" % i, "--wait-go")
                   for i in range(self.CLIENTS)]
        for client in clients:
            client.expect("ready")
        for client in clients:
            client.send()
        for i, client in enumerate(clients):
            with self.subTest(client=i):
                self.assertEqual(self.client_outcome(client, 15)["result"],
                                 b"CLIENT-%d" % i)
        took = [server.expect("took") for _ in clients]
        expected = ["'client-%d'" % i for i in range(self.CLIENTS)]
        self.assertEqual(sorted(t[4] for t in took), sorted(expected))
        return max(int(t[3]) for t in took)

    @bounded(30)
    def test_several_server_ends(self):
        self.assertEqual(self.call_in_parallel(ends=4, delay=0.3), 4)

    @bounded(30)
    def test_one_server_end(self):
        self.assertEqual(self.call_in_parallel(ends=1, delay=0.05), 1)

    def test_threads_of_one_process(self):
        door = self.door_path("threads")
        self.serve(door, lambda fd, args: args[::-1], ends=3)
        results = {}

        def call(i):
            fd = os.open(door, os.O_RDWR)
            try:
                os.write(fd, b"thread %02d" % i)
                results[i] = fileplane.read_to_eof(fd)
            finally:
                os.close(fd)

        threads = [threading.Thread(target=call, args=(i,), daemon=True)
                   for i in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        self.assertEqual(results, {i: (b"thread %02d" % i)[::-1]
                                   for i in range(16)})


if __name__ == "__main__":
    unittest.main()
