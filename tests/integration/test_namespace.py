"""Doors as files: directories, rename and unlink, what ls and stat show,
extended attributes and door_info, permissions for a second user."""
import contextlib
import json
import os
import stat
import threading
import time
import unittest

from harness import NOBODY, DoorTestCase, doorfs, python_for, run

SECOND_USER = dict(user=NOBODY)


@contextlib.contextmanager
def umask(mask):
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def echo(prefix):
    return lambda fd, args: prefix + args


def ls_long(path):
    """`ls -ln path` split into fields (mode, links, uid, gid, size, ...)."""
    out = run(["ls", "-ln", path])
    if out.returncode != 0:
        raise AssertionError("ls -ln %s: %s" % (path, out.stderr))
    return out.stdout.decode().split()


class NamespaceTest(DoorTestCase):

    def test_directories(self):
        top = self.door_path("dir")
        os.mkdir(top, 0o755)
        self.assertTrue(stat.S_ISDIR(os.stat(top).st_mode))
        inner = os.path.join(top, "inner")
        self.serve(inner, echo(b"inner:"))
        self.assertEqual(self.file_call(inner, b"x"), b"inner:x")
        self.assertErrno("ENOTEMPTY", os.rmdir, top)
        moved = self.door_path("moved")
        os.rename(top, moved)
        self.assertFalse(os.path.exists(top))
        moved_inner = os.path.join(moved, "inner")
        self.assertEqual(self.file_call(moved_inner, b"y"), b"inner:y")
        os.unlink(moved_inner)
        self.assertEqual(os.listdir(moved), [])
        os.rmdir(moved)
        self.assertFalse(os.path.exists(moved))

    def test_rename_door(self):
        old = self.door_path("old")
        new = self.door_path("new")
        self.serve(old, echo(b"renamed:"))
        door_id = os.getxattr(old, "user.door.id")
        os.rename(old, new)
        self.assertErrno("ENOENT", os.stat, old)
        self.assertEqual(self.file_call(new, b"x"), b"renamed:x")
        self.assertEqual(os.getxattr(new, "user.door.id"), door_id)

    def test_unlink_and_create_again(self):
        door = self.door_path("door")
        self.serve(door, echo(b"first:"))
        first_id = os.getxattr(door, "user.door.id")
        os.unlink(door)
        self.assertNotIn(os.path.basename(door), os.listdir(self.mount.path))
        self.serve(door, echo(b"second:"))
        self.assertEqual(self.file_call(door, b"x"), b"second:x")
        self.assertNotEqual(os.getxattr(door, "user.door.id"), first_id)

    def test_refused_node_types(self):
        door = self.door_path("door")
        self.serve(door)
        other = self.door_path("other")
        self.assertErrno("EPERM", os.symlink, door, other)
        self.assertErrno("EPERM", os.link, door, other)
        self.assertErrno("EPERM", os.mkfifo, other)
        self.assertErrno("EPERM", os.mknod, other, stat.S_IFCHR | 0o600,
                         os.makedev(1, 3))
        self.assertFalse(os.path.lexists(other))

    def test_create_on_an_existing_name(self):
        door = self.door_path("door")
        self.serve(door, echo(b"still:"))
        self.assertErrno("EEXIST", os.open, door,
                         os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
        self.assertEqual(self.file_call(door, b"here"), b"still:here")

    def test_ls_and_stat(self):
        door = self.door_path("door")
        with umask(0):
            self.serve(door, mode=0o640)
        fields = ls_long(door)
        self.assertEqual(fields[0], "-rw-r-----")
        self.assertEqual(fields[2:5], ["0", "0", "0"])  # uid, gid, size
        st = os.stat(door)
        self.assertTrue(stat.S_ISREG(st.st_mode))
        self.assertEqual((stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid,
                          st.st_size), (0o640, 0, 0, 0))
        now = time.time()
        for name in ("st_atime", "st_mtime", "st_ctime"):
            with self.subTest(time=name):
                self.assertLess(abs(getattr(st, name) - now), 60)

    def test_times(self):
        # The time of creation; calls change nothing; chmod and chown move
        # ctime; touch sets atime and mtime.
        door = self.door_path("door")
        self.serve(door)
        created = os.stat(door)
        time.sleep(1.1)     # past any whole-second rounding
        self.file_call(door, b"x")
        called = os.stat(door)
        self.assertEqual(times(called), times(created))
        os.chmod(door, 0o604)
        os.chown(door, NOBODY, NOBODY)
        changed = os.stat(door)
        self.assertEqual((stat.S_IMODE(changed.st_mode), changed.st_uid,
                          changed.st_gid), (0o604, NOBODY, NOBODY))
        self.assertGreater(changed.st_ctime_ns, created.st_ctime_ns)
        self.assertLess(abs(changed.st_ctime - time.time()), 60)
        self.assertEqual(times(changed)[:2], times(created)[:2])
        os.utime(door, ns=(1_000_000_000_123, 2_000_000_000_456))
        touched = os.stat(door)
        self.assertEqual(times(touched)[:2],
                         (1_000_000_000_123, 2_000_000_000_456))


def times(st):
    return st.st_atime_ns, st.st_mtime_ns, st.st_ctime_ns


class MetadataTest(DoorTestCase):

    def test_xattrs(self):
        door = self.door_path("door")
        server = self.spawn_server(door, "--mode", "echo")
        self.assertEqual(sorted(os.listxattr(door)), sorted(doorfs.XATTRS))
        self.assertEqual(doorfs.xattrs(door)["server_pid"], server.pid)
        attrs = doorfs.xattrs(door)
        self.assertGreater(attrs["id"], 0)
        # Only the server's end refers to the door: exactly one reference.
        self.assertEqual((attrs["revoked"], attrs["calls"],
                          attrs["attributes"]), (0, 0, doorfs.ATTR_IS_UNREF))
        for i in range(3):
            self.file_call(door, b"%d" % i)
        self.assertEqual(os.getxattr(door, "user.door.calls"), b"3")
        self.assertErrno("ENODATA", os.getxattr, door, "user.door.nothing")

        other = self.door_path("other")
        self.serve(other)
        self.assertNotEqual(doorfs.xattrs(other)["id"], attrs["id"])
        self.assertEqual(doorfs.xattrs(other)["server_pid"], os.getpid())

    def test_info_from_a_client(self):
        door = self.door_path("door")
        server = self.spawn_server(door, "--mode", "echo")
        fd = self.open(door)
        self.file_call(door, b"one")
        self.assertEqual(doorfs.info(fd), dict(
            version=doorfs.VERSION, target=server.pid, proc=0, data=0,
            attributes=0, server_ends=1, id=doorfs.xattrs(door)["id"],
            calls=1, uid=0, gid=0))

    def test_info_in_the_server(self):
        door = self.door_path("door")
        server = self.serve(door, ends=2)
        info = doorfs.info(server.fd)
        self.assertEqual((info["target"], info["attributes"],
                          info["server_ends"]),
                         (os.getpid(), doorfs.ATTR_LOCAL, 2))
        # Any thread of the server process is the server.
        client = self.open(door, os.O_RDONLY)
        seen = []
        thread = threading.Thread(target=lambda: seen.append(
            doorfs.info(client)), daemon=True)
        thread.start()
        thread.join(5)
        self.assertEqual(seen[0]["attributes"], doorfs.ATTR_LOCAL)


class PermissionTest(DoorTestCase):
    """A second user (nobody) against root's doors, and the other way."""

    def nobody_calls(self, door, args=None, *options):
        client = self.spawn_client(door, args, *options, **SECOND_USER)
        return self.client_outcome(client)

    def test_private_door(self):
        door = self.door_path("private")
        with umask(0):
            self.serve(door, mode=0o600)
        refused = {"stage": "open", "errno": "EACCES", "signalled": False}
        self.assertEqual(self.nobody_calls(door, "x"), refused)
        self.assertEqual(self.nobody_calls(door, None, "--rdonly"), refused)

    def test_public_door(self):
        door = self.door_path("public")
        self.spawn_server(door, "--mode", "caller", "--perm", "0666")
        client = self.spawn_client(door, "hello", **SECOND_USER)
        report = json.loads(self.client_outcome(client)["result"])
        self.assertEqual(report, {"args": "hello", "caller": dict(
            pid=client.pid, uid=NOBODY, gid=NOBODY, arg_size=5,
            unref=False)})

    def test_read_only_access(self):
        door = self.door_path("readable")
        with umask(0):
            self.serve(door, echo(b"ro:"), mode=0o644)
        self.assertEqual(self.nobody_calls(door, "x"),
                         {"stage": "open", "errno": "EACCES",
                          "signalled": False})
        self.assertEqual(self.nobody_calls(door, None, "--rdonly")["result"],
                         b"ro:")
        self.assertEqual(self.nobody_calls(door, "y", "--rdonly",
                                           "--ioctl")["result"], b"ro:y")

    def test_door_created_by_another_user(self):
        door = self.door_path("theirs")
        server = self.spawn_server(door, "--mode", "upper", "--umask", "022",
                                   "--perm", "0666", **SECOND_USER)
        fields = ls_long(door)
        self.assertEqual(fields[0], "-rw-r--r--")
        self.assertEqual(fields[2:5], [str(NOBODY), str(NOBODY), "0"])
        info = doorfs.info(self.open(door))
        self.assertEqual((info["target"], info["uid"], info["gid"]),
                         (server.pid, NOBODY, NOBODY))
        self.assertEqual(self.file_call(door, b"from root"), b"FROM ROOT")

    def test_root_directory_is_sticky(self):
        # As root the mount's root is 1777, like /tmp: anyone may create
        # doors, only a door's owner (or root) may remove or rename it.
        self.assertEqual(stat.S_IMODE(os.stat(self.mount.path).st_mode),
                         0o1777)
        mine = self.door_path("roots")
        self.serve(mine)
        theirs = self.door_path("nobodys")
        self.spawn_server(theirs, "--mode", "echo", **SECOND_USER)
        self.assertEqual(nobody_does("unlink", mine), "EPERM")
        self.assertEqual(nobody_does("rename", mine, mine + "-moved"),
                         "EPERM")
        self.assertEqual(nobody_does("rename", theirs, theirs + "-moved"),
                         "ok")
        self.assertEqual(nobody_does("unlink", theirs + "-moved"), "ok")
        os.unlink(mine)
        self.assertFalse(os.path.lexists(mine))


def nobody_does(operation, *paths):
    """os.<operation>(*paths) as nobody: "ok" or the errno name."""
    code = ("import errno, os, sys\n"
            "try:\n"
            "    getattr(os, sys.argv[1])(*sys.argv[2:])\n"
            "    print('ok')\n"
            "except OSError as e:\n"
            "    print(errno.errorcode[e.errno])\n")
    out = run([python_for(NOBODY), "-c", code, operation] + list(paths),
              user=NOBODY)
    if out.returncode != 0:
        raise AssertionError("python as nobody: %s" % out.stderr)
    return out.stdout.decode().strip()

if __name__ == "__main__":
    unittest.main()
