"""test_sessions_harness.py - what the tests of annotated sessions share.

It holds no tests of its own (its name only keeps it next to the files
that use it): the demo data the repository's sessions are written
against, our servers started the way a session's header describes them,
the session files and their headers, and mailsh run as a program in one
of its session modes.
"""

import glob
import os
import re
import select
import subprocess
import time
import unittest

import harness

SESSIONS_DIR = os.path.join(harness.ROOT, "sessions")
DEMO_MAIL = os.path.join(harness.ROOT, "tools", "demo-mail")
PROGRAMS = {"pop3": "pop3d", "smtp": "smtpd", "imap": "imapd"}


def repository_sessions():
    """Every session file of the repository, as paths relative to ROOT."""
    paths = glob.glob(os.path.join(SESSIONS_DIR, "**", "*.session"), recursive=True)
    return sorted(os.path.relpath(p, harness.ROOT) for p in paths)


def header(path):
    """The header of a session file as a dict; comments "# portable: X"
    collected under "portable"."""
    head = {"portable": []}
    with open(os.path.join(harness.ROOT, path), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                break
            m = re.match(r"# portable: (.*)", line)
            if m:
                head["portable"] += m.group(1).split()
            elif ": " in line and not line.startswith("#"):
                name, value = line.split(": ", 1)
                head[name] = value
    return head


def demo_data():
    """A fresh data directory with the demo mail of `make run`: the same
    messages tools/mkdata.sh delivers, so sessions replay as written."""
    data = harness.new_data_dir()
    for eml in sorted(glob.glob(os.path.join(DEMO_MAIL, "*.eml"))):
        user = os.path.basename(eml).split("-", 1)[0]
        with open(eml, "rb") as f:
            harness.mailctl(data, "deliver", user, stdin=f.read())
    return data


def demo_messages(user="alice"):
    out = []
    for eml in sorted(glob.glob(os.path.join(DEMO_MAIL, user + "-*.eml"))):
        with open(eml, "rb") as f:
            out.append(f.read())
    return out


def listen_mode(head):
    """The --listen mode of the server a session header describes."""
    mode = "tls" if head.get("tls") == "tls" else "starttls"
    if head["protocol"] != "smtp":
        return mode
    port = int(head.get("server", "x:25").rsplit(":", 1)[1])
    role = "submission" if mode == "tls" or port in (587, 10587) else "mx"
    return mode + ":" + role


def url(protocol, mode, port, host="localhost"):
    return "%s%s://%s:%d" % (protocol, "s" if mode.startswith("tls") else "",
                             host, port)


def mailsh(*args, stdin=None, timeout=60):
    """Run mailsh with @args; returns (exit status, stdout + stderr)."""
    r = subprocess.run([harness.binary("mailsh"), *args], input=stdin,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=timeout)
    out = r.stdout.decode(errors="replace")
    harness.check_sanitizer_output(out, "mailsh " + " ".join(args[:2]))
    return r.returncode, out


class Background:
    """mailsh running in the background (serve mode), read line by line."""

    def __init__(self, *args):
        self.proc = subprocess.Popen([harness.binary("mailsh"), *args],
                                     stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.out = b""

    def wait_for(self, pattern, limit=10.0):
        """Read until the output matches @pattern (a regex); the match."""
        deadline = time.monotonic() + limit
        while True:
            m = re.search(pattern, self.out.decode(errors="replace"), re.M)
            if m:
                return m
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("mailsh did not print %r; it printed:\n%s"
                                     % (pattern, self.out.decode(errors="replace")))
            ready, _, _ = select.select([self.proc.stdout], [], [], left)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk and self.proc.poll() is not None:
                    raise AssertionError("mailsh ended (%s) before printing %r:\n%s"
                                         % (self.proc.returncode, pattern,
                                            self.out.decode(errors="replace")))
                self.out += chunk

    def finish(self, limit=20.0):
        """Wait for the exit; (status, all output)."""
        try:
            rest, _ = self.proc.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rest, _ = self.proc.communicate()
        self.out += rest
        text = self.out.decode(errors="replace")
        harness.check_sanitizer_output(text, "mailsh --serve")
        return self.proc.returncode, text


class SessionTestCase(unittest.TestCase):
    """Our servers on demo data, stopped and checked after each test."""

    def start(self, protocol, mode, data=None, extra=()):
        self.data = data or demo_data()
        program = PROGRAMS[protocol]
        server = harness.Server(self.data, listen=(mode,), name=program,
                                extra=list(extra))
        self.addCleanup(self._stop, server, program)
        self.ca = os.path.join(self.data, "tls", "ca.pem")
        self.__dict__.setdefault("started", []).append(server)
        return server

    def settle(self, limit=harness.REPLY_TIMEOUT):
        """Wait until every connection so far has ended in the servers'
        traces: a POP3 maildrop stays locked until its session's process
        is done (RFC 1939 section 4), even after +OK to QUIT."""
        for server in getattr(self, "started", []):
            deadline = time.monotonic() + limit
            while True:
                trace = server.trace()
                opened = len(re.findall(r" connect from ", trace))
                if len(re.findall(r" close$", trace, re.M)) >= opened:
                    break
                if time.monotonic() > deadline:
                    self.fail("a session did not end within %.0f s:\n%s"
                              % (limit, trace[-2000:]))
                time.sleep(0.02)

    def _stop(self, server, program):
        status = server.stop()
        server.check_clean()
        if status != 0:
            self.fail("%s exited with status %s:\n%s"
                      % (program, status, server.stderr()[-2000:]))

    def replay(self, path, server_url, *extra):
        self.settle()
        return mailsh("--cafile", self.ca, "--replay-live", path, server_url, *extra)

    def scratch(self, name):
        d = os.path.join(harness.scratch_root(), "sessions-%d" % os.getpid())
        os.makedirs(d, exist_ok=True)
        return os.path.join(d, "%s-%s.session" % (self.id().rsplit(".", 1)[-1], name))
