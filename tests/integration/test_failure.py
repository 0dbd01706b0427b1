"""Failures on either side of a call: servers that die, close or never
answer; callers that die, close or are signalled.  The daemon must carry on
after each."""
import os
import signal
import unittest

from harness import (DoorTestCase, HeldCall, doorfs, fileplane,
                     wait_process_blocked, wait_until)

MiB = fileplane.MiB


class ServerFailureTest(DoorTestCase):

    def test_server_killed_mid_call(self):
        door = self.door_path("victim")
        server = self.spawn_server(door, "--mode", "hang")
        before = self.open(door)
        old_id = doorfs.info(before)["id"]
        caller = self.raw_caller(door, b"doomed")
        server.expect("took")
        server.signal(signal.SIGKILL)
        self.assertEqual(caller.outcome(), "ECONNRESET")
        self.assertEqual(server.wait(), -signal.SIGKILL)
        # The failure is reported once more, not replaced by a new call.
        self.assertErrno("ECONNRESET", fileplane.raw_read, caller.fd, 100)

        # Every later call fails with EBADF, however it is made.
        self.assertErrno("EBADF", os.write, caller.fd, b"again")
        self.assertErrno("EBADF", os.write, self.open(door), b"x")
        self.assertErrno("EBADF", os.read, self.open(door), 100)
        self.assertErrno("EBADF", doorfs.call, before, b"x")
        self.assertEqual(os.getxattr(door, "user.door.revoked"), b"1")
        info = doorfs.info(before)
        self.assertEqual((info["target"], info["server_ends"]), (-1, 0))
        self.assertTrue(info["attributes"] & doorfs.ATTR_REVOKED)
        self.assertIn(os.path.basename(door), os.listdir(self.mount.path))
        self.assert_daemon_serves()

        # Remove the name and serve it again with a new server.
        os.unlink(door)
        server = self.spawn_server(door, "--mode", "echo")
        self.assertEqual(self.file_call(door, b"reborn"), b"reborn")
        attrs = doorfs.xattrs(door)
        self.assertEqual((attrs["revoked"], attrs["server_pid"]),
                         (0, server.pid))
        self.assertNotEqual(attrs["id"], old_id)

    def test_server_closes_its_end(self):
        door = self.door_path("closing")
        end = self.server_end(door)
        held = self.raw_caller(door, b"held")
        self.assertEqual(os.read(end.fd, 100), b"held")
        queued = [self.raw_caller(door, b"queued%d" % i) for i in range(3)]
        for caller in queued:
            caller.wait_blocked()
        end.close()
        self.assertEqual(held.outcome(), "ECONNRESET")
        self.assertEqual([c.outcome() for c in queued], ["EBADF"] * 3)
        self.assertEqual(os.getxattr(door, "user.door.revoked"), b"1")
        self.assert_daemon_serves()

    def test_server_closes_with_a_result_pending(self):
        # A result held open (by DOORFS_IOC_HOLD_RESULTS, or by a write of
        # a whole MiB) is delivered when the server end closes.
        for how in ("held", "whole MiB"):
            with self.subTest(result=how):
                door = self.door_path(how.replace(" ", "-"))
                end = self.server_end(door)
                caller = self.raw_caller(door, b"x")
                self.assertEqual(os.read(end.fd, 10), b"x")
                if how == "held":
                    doorfs.hold_results(end.fd)
                    result = b"first part, " + b"second part"
                    os.write(end.fd, result[:12])
                    os.write(end.fd, result[12:])
                else:
                    result = os.urandom(MiB)
                    aligned = fileplane.page_aligned(result)
                    self.assertEqual(os.write(end.fd, aligned), MiB)
                end.close()
                self.assertEqual(caller.outcome(), result)

    def test_callers_of_a_silent_server_can_be_killed(self):
        door = self.door_path("silent")
        self.spawn_server(door, "--mode", "hang")
        sigs = (signal.SIGINT, signal.SIGTERM, signal.SIGKILL)
        clients = [self.spawn_client(door, sig.name) for sig in sigs]
        for client in clients:
            client.expect("calling")
            wait_process_blocked(client.pid, "read")
        for sig, client in zip(sigs, clients):
            client.signal(sig)
        for sig, client in zip(sigs, clients):
            with self.subTest(signal=sig.name):
                self.assertEqual(client.wait(), -sig)
        self.assert_daemon_serves()


class ClientFailureTest(DoorTestCase):

    def test_client_killed_mid_call(self):
        door = self.door_path("orphan")
        held = HeldCall(self)
        self.serve(door, held)
        client = self.spawn_client(door, "doomed")
        held.wait_taken()
        client.kill()
        self.assertEqual(client.wait(), -signal.SIGKILL)
        # The result is accepted and discarded; the server carries on.
        self.assertEqual(held.finish(), [len(b"late:doomed")])
        self.assertEqual(self.file_call(door, b"next"), b"late:next")
        self.assert_daemon_serves()

    def test_client_closes_while_its_call_waits(self):
        door = self.door_path("closer")
        held = HeldCall(self)
        self.serve(door, held)
        client = self.spawn_client(door, "closing", "--close-from-thread")
        client.expect("calling")
        held.wait_taken()
        client.send("close")
        wait_until(lambda: not holds_open(client.pid, door), 5,
                   "the client to close its descriptor")
        self.assertEqual(held.finish(), [len(b"late:closing")])
        # The waiting thread ends, with the result or an error.
        self.client_outcome(client)
        self.assertEqual(client.wait(), 0)
        self.assertEqual(self.file_call(door, b"next"), b"late:next")
        self.assert_daemon_serves()

    def test_signal_interrupts_a_taken_call(self):
        for how in ("read", "ioctl"):
            with self.subTest(call=how):
                door = self.door_path("signalled-" + how)
                held = HeldCall(self)
                self.serve(door, held)
                options = ["--handler", "SIGUSR1"]
                if how == "ioctl":
                    options.append("--ioctl")
                client = self.spawn_client(door, "sig", *options)
                held.wait_taken()
                wait_process_blocked(client.pid, how)
                client.signal(signal.SIGUSR1)
                # SA_RESTART does not restart a door call.
                self.assertEqual(self.client_outcome(client),
                                 {"stage": how, "errno": "EINTR",
                                  "signalled": True})
                self.assertEqual(held.finish(), [len(b"late:sig")])
                self.assertEqual(self.file_call(door, b"next"), b"late:next")

    def test_after_an_interrupted_call(self):
        # In this process: the signal goes to the calling thread only.
        previous = signal.signal(signal.SIGUSR1, lambda signum, frame: None)
        self.addCleanup(signal.signal, signal.SIGUSR1, previous)
        signal.siginterrupt(signal.SIGUSR1, False)      # SA_RESTART
        door = self.door_path("again")
        held = HeldCall(self)
        server = self.serve(door, held)
        caller = self.raw_caller(door, b"first")
        held.wait_taken()
        caller.wait_blocked()
        signal.pthread_kill(caller.ident, signal.SIGUSR1)
        self.assertEqual(caller.outcome(), "EINTR")
        # A read retried after EINTR reports ECANCELED, not a second call;
        # then the descriptor is fresh again.
        self.assertErrno("ECANCELED", fileplane.raw_read, caller.fd, 100)
        held.finish()
        self.assertEqual(os.write(caller.fd, b"second"), 6)
        self.assertEqual(fileplane.read_to_eof(caller.fd), b"late:second")
        self.assertEqual(server.calls, [b"first", b"second"])

    def test_signal_interrupts_a_queued_call(self):
        door = self.door_path("queue")
        held = HeldCall(self)
        server = self.serve(door, held)
        first = self.raw_caller(door, b"first")
        held.wait_taken()
        client = self.spawn_client(door, "queued", "--handler", "SIGUSR1")
        wait_process_blocked(client.pid, "read")
        client.signal(signal.SIGUSR1)
        self.assertEqual(self.client_outcome(client),
                         {"stage": "read", "errno": "EINTR",
                          "signalled": True})
        held.finish()
        self.assertEqual(first.outcome(), b"late:first")
        self.assertEqual(self.file_call(door, b"next"), b"late:next")
        # The interrupted call never reached the server.
        self.assertEqual(server.calls, [b"first", b"next"])


class DaemonDeathTest(DoorTestCase):

    def test_daemon_killed_under_a_caller(self):
        self.daemon_may_die()
        mount = self.mount
        door = self.door_path("orphaned")
        server = self.spawn_server(door, "--mode", "hang")
        client_fd = self.open(door)
        caller = self.raw_caller(door, b"waiting")
        server.expect("took")
        caller.wait_blocked()
        mount.kill_daemon()
        # An error, never a hang: the waiting read gets ECONNABORTED, later
        # operations ENOTCONN.
        self.assertEqual(caller.outcome(), "ECONNABORTED")
        self.assertErrno("ENOTCONN", os.write, client_fd, b"x")
        self.assertErrno("ENOTCONN", os.stat, door)


def holds_open(pid, path):
    """True if process pid has a descriptor open on path."""
    fds = "/proc/%d/fd" % pid
    for fd in os.listdir(fds):
        try:
            if os.readlink(os.path.join(fds, fd)) == path:
                return True
        except FileNotFoundError:
            pass
    return False


if __name__ == "__main__":
    unittest.main()
