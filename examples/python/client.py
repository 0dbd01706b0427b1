#!/usr/bin/env python3
"""client.py: call a door from Python, or show what doorfs knows about it.

    client.py DOORPATH [ARGS...]          call with plain write() and read()
    client.py --ioctl DOORPATH [ARGS...]  call with one ioctl (doorfs.call)
    client.py --info DOORPATH             door_info and the door's xattrs

The arguments are ARGS joined by spaces (none: an empty call); the result
goes to stdout as it came.  A plain call is the file plane of
docs/PROTOCOL.md and needs no library: open read-write, write the
arguments, and the read performs the call.  doorfs.py is used only for
--ioctl and --info.
"""
import argparse
import errno
import os
import sys

import doorfs

PROG = "client.py"

# What an errno means on a door (docs/PROTOCOL.md, "Errors").
HINTS = {
    errno.EBADF: "the door's server is gone",
    errno.EINTR: "a signal interrupted the call",
    errno.ECONNRESET: "the server went away during the call",
    errno.ECANCELED: "the previous call on this descriptor was interrupted",
    errno.ENOBUFS: "you have too much data buffered in doorfs",
    errno.EACCES: "the door's mode does not let you call it",
    errno.E2BIG: "arguments or result larger than doorfs accepts",
    errno.ENOTCONN: "the doorfs daemon is gone",
    errno.ECONNABORTED: "the doorfs daemon is gone",
    errno.ENOTTY: "not a door on a doorfs mount",
}

ATTRIBUTE_NAMES = [
    (doorfs.ATTR_UNREF, "UNREF"), (doorfs.ATTR_PRIVATE, "PRIVATE"),
    (doorfs.ATTR_LOCAL, "LOCAL"), (doorfs.ATTR_REVOKED, "REVOKED"),
    (doorfs.ATTR_UNREF_MULTI, "UNREF_MULTI"),
    (doorfs.ATTR_IS_UNREF, "IS_UNREF"),
    (doorfs.ATTR_REFUSE_DESC, "REFUSE_DESC"),
    (doorfs.ATTR_NO_CANCEL, "NO_CANCEL"),
]


def call_plain(path, args):
    # buffering=0: each write() and read() goes straight to the door, so
    # the read below is the one that performs the call.
    with open(path, "r+b", buffering=0) as door:
        if args:
            door.write(args)
        return door.read()


def call_ioctl(path, args):
    # Reading is enough to call through the ioctl, so a door we may not
    # write to can still be called this way.
    with open(path, "rb", buffering=0) as door:
        return doorfs.call(door.fileno(), args)


def attribute_text(bits):
    names = [name for bit, name in ATTRIBUTE_NAMES if bits & bit]
    return f"{bits:#x} ({' '.join(names) or 'none'})"


def show_info(path):
    with open(path, "rb", buffering=0) as door:
        info = doorfs.info(door.fileno())
    target = "none, revoked" if info["target"] < 0 else info["target"]
    print(f"{path}:")
    print(f"  door id      {info['id']}")
    print(f"  server pid   {target}")
    print(f"  server ends  {info['server_ends']}")
    print(f"  attributes   {attribute_text(info['attributes'])}")
    print(f"  calls        {info['calls']}")
    print(f"  creator      uid {info['uid']} gid {info['gid']}")
    # The same facts for tools that know nothing of ioctls (getfattr).
    xattrs = " ".join(f"{k}={v}" for k, v in doorfs.xattrs(path).items())
    print(f"  xattrs       {xattrs}")


def main():
    parser = argparse.ArgumentParser(prog=PROG, description="Call a door.")
    how = parser.add_mutually_exclusive_group()
    how.add_argument("--ioctl", action="store_true",
                     help="call with DOORFS_IOC_CALL (up to "
                          f"{doorfs.CALL_INLINE_MAX} bytes each way)")
    how.add_argument("--info", action="store_true",
                     help="show door_info and the xattrs instead of calling")
    parser.add_argument("door", metavar="DOORPATH")
    parser.add_argument("args", nargs="*", metavar="ARGS")
    opts = parser.parse_args()
    if opts.info and opts.args:
        parser.error("--info takes no ARGS")

    # fsencode gives back the very bytes of argv, even ones not UTF-8.
    args = b" ".join(os.fsencode(arg) for arg in opts.args)
    try:
        if opts.info:
            show_info(opts.door)
            return
        result = (call_ioctl if opts.ioctl else call_plain)(opts.door, args)
    except OSError as e:
        hint = HINTS.get(e.errno)
        if e.errno == errno.E2BIG and opts.ioctl:
            hint = (f"over the {doorfs.CALL_INLINE_MAX} bytes an ioctl call "
                    "carries each way; a call without --ioctl takes more")
        raise SystemExit(f"{PROG}: {opts.door}: {e.strerror}"
                         + (f" ({hint})" if hint else ""))
    sys.stdout.buffer.write(result)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
