"""doorfs.py: serve and call doors on a doorfs mount from Python.

Plain file operations are enough for the common case (see
docs/PROTOCOL.md); this module adds the ioctls and extended attributes of
include/doorfs.h, whose numbers and layouts it mirrors (tests/unit checks
that they agree).
"""
import ctypes
import fcntl
import os
import struct

VERSION = 1

ATTR_UNREF = 0x01
ATTR_PRIVATE = 0x02
ATTR_LOCAL = 0x04
ATTR_REVOKED = 0x08
ATTR_UNREF_MULTI = 0x10
ATTR_IS_UNREF = 0x20
ATTR_REFUSE_DESC = 0x40
ATTR_NO_CANCEL = 0x80
ATTR_NO_DEPLETION_CB = 0x100
ATTR_PRIVCREATE = 0x200

CALLER_UNREF = 0x1

CALL_INLINE_MAX = 4080
DATA_MAX = 64 << 20

_INFO = struct.Struct("=IiQQIIQQII")      # struct doorfs_info, 56 bytes
_CALL_HEADER = struct.Struct("=IIII")     # struct doorfs_call without data
_CALL_SIZE = _CALL_HEADER.size + CALL_INLINE_MAX
_CALLER = struct.Struct("=IiIIQII")       # struct doorfs_caller, 32 bytes
_U64 = struct.Struct("=Q")


def _ioc(direction, nr, size):
    return (direction << 30) | (size << 16) | (ord("D") << 8) | nr


_IOC_NONE, _IOC_WRITE, _IOC_READ = 0, 1, 2
IOC_INFO = _ioc(_IOC_READ, 1, _INFO.size)
IOC_CALL = _ioc(_IOC_READ | _IOC_WRITE, 2, _CALL_SIZE)
IOC_RETURN = _ioc(_IOC_NONE, 3, 0)
IOC_SERVER_TOKEN = _ioc(_IOC_READ, 4, _U64.size)
IOC_SERVE = _ioc(_IOC_WRITE, 5, _U64.size)
IOC_CALLER = _ioc(_IOC_READ, 6, _CALLER.size)
IOC_HOLD_RESULTS = _ioc(_IOC_NONE, 7, 0)

XATTRS = ("user.door.server_pid", "user.door.id", "user.door.attributes",
          "user.door.revoked", "user.door.calls")


def info(fd):
    """door_info for an open door descriptor, as a dict."""
    buf = bytearray(_INFO.size)
    fcntl.ioctl(fd, IOC_INFO, buf)
    keys = ("version", "target", "proc", "data", "attributes",
            "server_ends", "id", "calls", "uid", "gid")
    return dict(zip(keys, _INFO.unpack(buf)))


_libc = ctypes.CDLL(None, use_errno=True)
_libc.ioctl.argtypes = (ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p)


def call(fd, args=b""):
    """One whole call through the ioctl (payloads up to CALL_INLINE_MAX).

    It goes through ctypes rather than fcntl.ioctl because fcntl.ioctl
    keeps the GIL while it blocks, which would stop a server thread of
    this same process from ever answering.
    """
    if len(args) > CALL_INLINE_MAX:
        raise OSError(7, os.strerror(7))  # E2BIG, as the daemon would say
    buf = ctypes.create_string_buffer(_CALL_SIZE)
    _CALL_HEADER.pack_into(buf, 0, VERSION, len(args), 0, 0)
    buf[_CALL_HEADER.size:_CALL_HEADER.size + len(args)] = args
    if _libc.ioctl(fd, IOC_CALL, buf) < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    _, _, result_size, _ = _CALL_HEADER.unpack_from(buf)
    return bytes(buf[_CALL_HEADER.size:_CALL_HEADER.size + result_size])


def door_return(fd):
    """Complete the call a server end holds with the result written so far."""
    fcntl.ioctl(fd, IOC_RETURN)


def hold_results(fd):
    """Let results on this server end span several writes: each call then
    completes at door_return(), the next read or close."""
    fcntl.ioctl(fd, IOC_HOLD_RESULTS)


def server_token(fd):
    """The token of a server end, for serve() on another descriptor."""
    buf = bytearray(_U64.size)
    fcntl.ioctl(fd, IOC_SERVER_TOKEN, buf)
    return _U64.unpack(buf)[0]


def serve(fd, token):
    """Turn a descriptor opened on the door into another server end."""
    fcntl.ioctl(fd, IOC_SERVE, bytearray(_U64.pack(token)))


def caller(fd):
    """Who made the call this server end holds: pid, uid, gid, arg_size."""
    buf = bytearray(_CALLER.size)
    fcntl.ioctl(fd, IOC_CALLER, buf)
    _, pid, uid, gid, arg_size, flags, _ = _CALLER.unpack(buf)
    return {"pid": pid, "uid": uid, "gid": gid, "arg_size": arg_size,
            "unref": bool(flags & CALLER_UNREF)}


def xattrs(path):
    """The door's extended attributes as a dict of ints."""
    return {name.rsplit(".", 1)[1]: int(os.getxattr(path, name))
            for name in XATTRS}
