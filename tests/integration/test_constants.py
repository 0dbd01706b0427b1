"""The Python binding (examples/python/doorfs.py) against include/doorfs.h:
ioctl numbers, attribute bits, limits, struct sizes, xattr names."""
import os
import re
import shutil
import subprocess
import unittest

from harness import (DOORFS_CONSTANTS, FSTYPE, TOP_SRCDIR, doorfs, run,
                     run_dir)

HEADER = os.path.join(TOP_SRCDIR, "include", "doorfs.h")

# What DOORFS_CONSTANTS must print at least.
REQUIRED = (["DOORFS_VERSION", "DOORFS_DATA_MAX", "DOORFS_CALL_INLINE_MAX",
             "SIZEOF_DOORFS_INFO", "SIZEOF_DOORFS_CALL",
             "SIZEOF_DOORFS_CALLER"]
            + ["DOORFS_IOC_" + name for name in ("INFO", "CALL", "RETURN",
                                                 "SERVER_TOKEN", "SERVE",
                                                 "CALLER")]
            + ["DOORFS_ATTR_" + name for name in (
                "UNREF", "PRIVATE", "LOCAL", "REVOKED", "UNREF_MULTI",
                "IS_UNREF", "REFUSE_DESC", "NO_CANCEL")])


def ioc_size(number):
    return (number >> 16) & 0x3FFF


def binding_value(name):
    """The binding's value for a header name, or None if it has none."""
    sizes = {"SIZEOF_DOORFS_INFO": doorfs.IOC_INFO,
             "SIZEOF_DOORFS_CALL": doorfs.IOC_CALL,
             "SIZEOF_DOORFS_CALLER": doorfs.IOC_CALLER}
    if name in sizes:       # the binding's sizes are in its ioctl numbers
        return ioc_size(sizes[name])
    return getattr(doorfs, name[len("DOORFS_"):], None)


def header_text():
    with open(HEADER) as f:
        return f.read()


def build_printer():
    """A stand-in for DOORFS_CONSTANTS when running by hand without one
    built: every number the header defines, compiled against it.  None
    without a C compiler."""
    compiler = shutil.which("cc")
    if compiler is None:
        return None
    names = ["DOORFS_VERSION", "DOORFS_DATA_MAX", "DOORFS_CALL_INLINE_MAX"]
    names += re.findall(r"#define (DOORFS_(?:IOC|ATTR)_\w+)\s+[(_0-9]",
                        header_text())
    lines = ['\tprintf("%s=%%llu\\n", (unsigned long long)(%s));' % (n, n)
             for n in names]
    lines += ['\tprintf("SIZEOF_DOORFS_%s=%%zu\\n", sizeof(struct doorfs_%s));'
              % (s.upper(), s) for s in ("info", "call", "caller")]
    source = os.path.join(run_dir(), "doorfs-constants.c")
    with open(source, "w") as f:
        f.write('#include <stdio.h>\n#include "doorfs.h"\n'
                "int main(void)\n{\n%s\n\treturn 0;\n}\n" % "\n".join(lines))
    binary = source[:-2]
    subprocess.run([compiler, "-I", os.path.dirname(HEADER), "-o", binary,
                    source], check=True, timeout=30)
    return binary


def parse(text):
    values = {}
    for line in text.splitlines():
        name, sep, value = line.strip().partition("=")
        if sep:
            values[name] = int(value, 0)
    return values


class ConstantsTest(unittest.TestCase):

    def printed_constants(self):
        binary = DOORFS_CONSTANTS or build_printer()
        if binary is None:
            self.skipTest("no DOORFS_CONSTANTS and no C compiler")
        out = run([binary])
        self.assertEqual(out.returncode, 0, out.stderr)
        return parse(out.stdout.decode())

    def test_binding_matches_header(self):
        values = self.printed_constants()
        for name in REQUIRED:
            with self.subTest(name=name):
                self.assertIn(name, values)
        # Every number the binding has must be the header's.  (The header
        # may define more, for libdoor, than a file-plane binding needs.)
        for name, value in sorted(values.items()):
            mine = binding_value(name)
            if mine is not None or name in REQUIRED:
                with self.subTest(name=name):
                    self.assertEqual(value, mine, "%s: header %s, binding %s"
                                     % (name, value, mine))
        # Nor does the binding have ioctls or bits the header lacks.
        defined = set(re.findall(r"#define (DOORFS_\w+)", header_text()))
        extra = {"DOORFS_" + n for n in dir(doorfs)
                 if n.startswith(("IOC_", "ATTR_"))} - defined
        self.assertEqual(extra, set())

    def test_struct_sizes(self):
        # The layouts documented in doorfs.h: 56, one page, 32 bytes.
        self.assertEqual((ioc_size(doorfs.IOC_INFO), ioc_size(doorfs.IOC_CALL),
                          ioc_size(doorfs.IOC_CALLER)), (56, 4096, 32))

    def test_names_in_header(self):
        header = header_text()
        xattrs = re.findall(r'#define DOORFS_XATTR_\w+\s+"([^"]+)"', header)
        self.assertEqual(tuple(xattrs), doorfs.XATTRS)
        fstype = re.search(r'#define DOORFS_FSTYPE\s+"([^"]+)"', header)
        self.assertEqual(fstype.group(1), FSTYPE)


if __name__ == "__main__":
    unittest.main()
