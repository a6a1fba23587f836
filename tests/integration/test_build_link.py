"""test_build_link.py - how the programs are linked (Makefile, PIE).

By default OpenSSL is linked into every program from libssl.a and
libcrypto.a, and the programs are not position-independent: they start
4-6 ms sooner that way (docs/bench.md, change 23).  `make PIE=1` builds
the usual way.  These tests read the programs that were built (an ELF
header and its dynamic section, with readelf from binutils) and ask make
what it would run (`make -n`), so they build nothing themselves.
"""

import os
import subprocess
import tempfile
import unittest

from harness import BIN, ROOT

PROGRAMS = ("pop3d", "smtpd", "imapd", "mailsh", "mailctl")
ET_EXEC, ET_DYN = 2, 3


def elf_type(path):
    """e_type of an ELF file: 2 for a program at a fixed address, 3 for a
    position-independent one (or a shared library)."""
    with open(path, "rb") as f:
        head = f.read(18)
    if head[:4] != b"\x7fELF":
        raise AssertionError("%s is not an ELF file" % path)
    return int.from_bytes(head[16:18], "little")


def needed(path):
    """The shared libraries a program names (DT_NEEDED)."""
    out = subprocess.run(["readelf", "-d", path], capture_output=True, text=True,
                         check=True).stdout
    return [line.split("[", 1)[1].split("]", 1)[0]
            for line in out.splitlines() if "(NEEDED)" in line]


def make_n(*args):
    """What make would run, not running it (a scratch BUILD directory)."""
    with tempfile.TemporaryDirectory() as build:
        r = subprocess.run(["make", "-n", "--no-print-directory", "BUILD=" + build]
                           + list(args), cwd=ROOT, capture_output=True, text=True,
                           timeout=120)
        return r.returncode, r.stdout.replace(build, "BUILD") + r.stderr


class LinkTest(unittest.TestCase):

    def test_programs_carry_openssl_at_a_fixed_address(self):
        for name in PROGRAMS:
            path = os.path.join(BIN, name)
            with self.subTest(program=name):
                self.assertEqual(elf_type(path), ET_EXEC)
                libs = needed(path)
                self.assertIn("libc.so.6", libs)
                self.assertFalse([l for l in libs if l.startswith(("libssl", "libcrypto"))],
                                 libs)

    def imapd_link(self, *args):
        """The command that would link imapd, with make's @args."""
        rc, out = make_n(*args, "all")
        self.assertEqual(rc, 0, out[-2000:])
        link = [l for l in out.splitlines() if " -o BUILD/bin/imapd " in l]
        self.assertEqual(len(link), 1, out[-2000:])
        return link[0]

    def test_default_link_names_the_archives(self):
        link = self.imapd_link()
        self.assertIn("-no-pie", link)
        self.assertIn("libssl.a", link)
        self.assertIn("libcrypto.a", link)
        self.assertNotIn("-lssl", link)

    def test_pie_1_loads_the_shared_libraries(self):
        link = self.imapd_link("PIE=1")
        self.assertNotIn("-no-pie", link)
        self.assertNotIn("libssl.a", link)
        self.assertIn("-lssl -lcrypto", link)

    def test_a_newer_libcrypto_links_every_program_again(self):
        archive = subprocess.run(["cc", "-print-file-name=libcrypto.a"], capture_output=True,
                                 text=True, check=True).stdout.strip()
        self.assertTrue(os.path.isabs(archive), archive)
        build = os.path.dirname(BIN)
        san = ["SAN=1"] if os.path.basename(build) == "asan" else []
        # -W: make takes the archive to be newer than everything
        r = subprocess.run(["make", "-n", "--no-print-directory", "BUILD=" + build]
                           + san + ["-W", os.path.realpath(archive), "all"], cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        for name in ("pop3d", "smtpd", "imapd", "mailsh", "check_unit"):
            with self.subTest(program=name):
                self.assertRegex(r.stdout, r" -o %s/bin/%s " % (build, name))

    def test_a_missing_archive_names_the_package(self):
        r = subprocess.run(["make", "--no-print-directory", "libssl.a"], cwd=ROOT,
                           capture_output=True, text=True, timeout=60)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("install libssl-dev", r.stderr)


if __name__ == "__main__":
    unittest.main()
