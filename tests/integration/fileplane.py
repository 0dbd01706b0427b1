"""fileplane.py: the doorfs file plane as the tests and their helper
processes use it.

Plain os.open/os.read/os.write on door files, plus the few things the
binding in examples/python/doorfs.py deliberately does not do: a read(2)
that is not retried on EINTR (Python retries interrupted reads, PEP 475,
which would hide the errno a door caller must see) and a raw call ioctl
whose header the test chooses (the binding refuses oversized payloads
before the daemon can).  Both go through ctypes, which releases the GIL
while they block; fcntl.ioctl keeps it for buffers over 1 KiB, which
would stop every other thread of the test, an in-process server included.
"""
import ctypes
import errno
import mmap
import os
import struct
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "examples", "python"))
import doorfs  # noqa: E402  (the binding under test, from the source tree)

MiB = 1 << 20

# One read(2) asks for this much; the kernel hands FUSE at most 1 MiB of a
# request anyway, and a bigger buffer only costs address space.
READ_CHUNK = MiB

_libc = ctypes.CDLL(None, use_errno=True)
_libc.read.argtypes = (ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t)
_libc.read.restype = ctypes.c_ssize_t
_libc.ioctl.argtypes = (ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p)
_libc.ioctl.restype = ctypes.c_int

CALL_HEADER = struct.Struct("=IIII")  # struct doorfs_call without data
CALL_SIZE = CALL_HEADER.size + doorfs.CALL_INLINE_MAX


def errno_name(number):
    return errno.errorcode.get(number, str(number))


def raw_read(fd, size=READ_CHUNK):
    """One read(2), never restarted: EINTR reaches the caller as OSError."""
    buf = ctypes.create_string_buffer(size)
    n = _libc.read(fd, buf, size)
    if n < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return buf.raw[:n]


def read_to_eof(fd, raw=False):
    """Read until read() returns 0: a whole door result on a client."""
    read = raw_read if raw else os.read
    chunks = []
    while True:
        chunk = read(fd, READ_CHUNK)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def page_aligned(data):
    """data in a page-aligned buffer (an anonymous mmap).

    The kernel hands a write to FUSE in pieces of at most max_write bytes
    (1 MiB) and max_pages pages; from an unaligned buffer (any bytes
    object) an exact MiB needs one page more, so its last piece is short
    and completes a door result at once.  Only from an aligned buffer is
    a whole-MiB write the ambiguous case PROTOCOL.md describes."""
    buf = mmap.mmap(-1, len(data))
    buf.write(data)
    return buf


def create_door(path, mode=0o600):
    """Create a door; the returned descriptor is its first server end."""
    return os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR | os.O_CLOEXEC,
                   mode)


def open_server_end(path, server_fd):
    """Another server end of the door served through server_fd."""
    fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    try:
        doorfs.serve(fd, doorfs.server_token(server_fd))
    except OSError:
        os.close(fd)
        raise
    return fd


def take_call(fd):
    """Block until a call arrives on a server end; return all its arguments.

    The first read takes the call; an empty first read is a call with
    empty arguments.  Otherwise read on until the end of the arguments.
    """
    first = os.read(fd, READ_CHUNK)
    if not first:
        return b""
    chunks = [first]
    while True:
        chunk = os.read(fd, READ_CHUNK)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def reply(fd, result):
    """Complete the held call: one write() of the whole result, or
    DOORFS_IOC_RETURN for an empty one (Linux never passes a zero-length
    write to a filesystem)."""
    if not result:
        doorfs.door_return(fd)
        return
    written = os.write(fd, result)
    if written != len(result):
        raise OSError(errno.EIO, "short write of a door result: %d of %d"
                      % (written, len(result)))


def ioctl(fd, number, size=0):
    """ioctl(2) with a zeroed buffer of size bytes (or none), GIL released;
    returns the buffer."""
    buf = ctypes.create_string_buffer(size) if size else None
    if _libc.ioctl(fd, number, buf) < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return buf.raw if size else b""


def raw_call(fd, args=b"", arg_size=None, version=doorfs.VERSION,
             reserved=0):
    """DOORFS_IOC_CALL with a header the caller chooses; returns the result.

    arg_size may claim more than the data area holds, to see the daemon
    refuse it."""
    buf = ctypes.create_string_buffer(CALL_SIZE)
    if arg_size is None:
        arg_size = len(args)
    CALL_HEADER.pack_into(buf, 0, version, arg_size, 0, reserved)
    buf[CALL_HEADER.size:CALL_HEADER.size + len(args)] = args
    if _libc.ioctl(fd, doorfs.IOC_CALL, buf) < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    _, _, result_size, _ = CALL_HEADER.unpack_from(buf)
    return bytes(buf[CALL_HEADER.size:CALL_HEADER.size + result_size])
