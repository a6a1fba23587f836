"""pty_harness.py - mailsh driven through a real pseudo-terminal.

A test starts build/bin/mailsh (or $MAILLAB_BIN/mailsh) with its stdin,
stdout and stderr on the slave side of a pty, exactly as a learner's
terminal would be: readline sees a terminal, prompts and completion work,
colour is on unless NO_COLOR is set.  The test types with send()/line()
and waits for what the screen shows with expect(), which reads the master
side with select() until a regular expression matches - no sleeps.

Only the standard library is used (pty, os, select, termios), so the
tests run with any Python 3.  Escape sequences are removed before
matching (readline redraws lines with them); raw() keeps them for the
colour tests.
"""

import fcntl
import os
import pty
import re
import select
import shutil
import struct
import subprocess
import tempfile
import termios
import time
import unittest

import harness

# How long one expect() waits before the test fails.
EXPECT_TIMEOUT = 10.0

ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Za-z0-9]|\x1b[=>]|\r|\x07|\x08")


def mailsh_binary():
    return harness.binary("mailsh")


class Shell:
    """One mailsh process on a pty."""

    def __init__(self, args=(), env=None, colour=False, cwd=None):
        self.history = tempfile.mkdtemp(prefix="mailsh-history-",
                                        dir=harness.scratch_root())
        master, slave = pty.openpty()
        # a terminal of a usual size, so readline does not wrap early
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 200, 0, 0))
        full_env = dict(os.environ, TERM="xterm", HOME=self.history)
        full_env.pop("SSLKEYLOGFILE", None)
        if colour:
            full_env.pop("NO_COLOR", None)
        else:
            full_env["NO_COLOR"] = "1"
        full_env.update(env or {})
        self.args = [mailsh_binary(), "--history-dir", self.history, *args]
        self.proc = subprocess.Popen(self.args, stdin=slave, stdout=slave,
                                     stderr=slave, env=full_env, cwd=cwd,
                                     start_new_session=True, close_fds=True)
        os.close(slave)
        self.fd = master
        self.raw_out = b""      # everything, escapes included
        self.pending = b""      # not yet consumed by expect(), cleaned

    def _read(self, timeout):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return False
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:          # EIO: the child closed the terminal
            chunk = b""
        if not chunk:
            raise EOFError("mailsh exited; output so far:\n"
                           + self.text_tail())
        self.raw_out += chunk
        self.pending += chunk
        return True

    def text_tail(self, n=3000):
        return ANSI.sub(b"", self.raw_out).decode(errors="replace")[-n:]

    def expect(self, pattern, timeout=EXPECT_TIMEOUT):
        """Wait until the screen output matches; returns the match and
        consumes the output up to its end."""
        regex = re.compile(pattern.encode() if isinstance(pattern, str) else pattern,
                           re.M)
        deadline = time.monotonic() + timeout
        while True:
            clean = ANSI.sub(b"", self.pending)
            m = regex.search(clean)
            if m:
                # drop what was matched: keep the cleaned tail only
                self.pending = clean[m.end():]
                return m
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("mailsh did not show %r within %.0f s; "
                                     "it showed:\n%s\n(raw tail %r)" % (pattern, timeout,
                                                         clean.decode(errors="replace")[-3000:], self.raw_out[-600:]))
            try:
                self._read(left)
            except EOFError as e:
                raise AssertionError("waiting for %r: %s" % (pattern, e))

    def send(self, text):
        os.write(self.fd, text.encode() if isinstance(text, str) else text)

    def line(self, text):
        """Type a line and press Enter."""
        self.send(text + "\r")

    def prompt(self, text, timeout=EXPECT_TIMEOUT):
        """Wait for a prompt ending in '> ' that starts with @text."""
        return self.expect(re.escape(text) + r"> $", timeout)

    def close(self):
        """Leave with :quit, wait for the exit, check for sanitizer reports.
        Closing twice returns the same status."""
        if self.fd is None:
            return self.proc.returncode
        if self.proc.poll() is None:
            try:
                self.line(":quit")
            except OSError:
                pass
            deadline = time.monotonic() + 5
            while self.proc.poll() is None and time.monotonic() < deadline:
                try:
                    self._read(0.1)
                except EOFError:
                    break
            if self.proc.poll() is None:
                self.proc.kill()
        status = self.proc.wait()
        try:
            while self._read(0):
                pass
        except (EOFError, OSError):
            pass
        os.close(self.fd)
        self.fd = None
        harness.check_sanitizer_output(self.raw_out.decode(errors="replace"),
                                       "mailsh output")
        return status


class ShellTestCase(unittest.TestCase):
    """Base class: start shells that are closed (and checked) after the test."""

    def shell(self, *args, **kw):
        sh = Shell(args, **kw)
        self.addCleanup(self._close, sh)
        return sh

    def _close(self, sh):
        status = sh.close()
        if status not in (0, -9):
            self.fail("mailsh exited with status %s" % status)


def run_batch(script, *args, env=None, timeout=60):
    """mailsh --batch - with @script on stdin; returns (status, output)."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    r = subprocess.run([mailsh_binary(), "--no-history", "--batch", "-", *args],
                       input=script.encode(), capture_output=True,
                       timeout=timeout, env=full_env)
    out = r.stdout.decode(errors="replace")
    err = r.stderr.decode(errors="replace")
    harness.check_sanitizer_output(out + err, "mailsh batch output")
    return r.returncode, out + err


def have(program):
    return shutil.which(program) is not None
