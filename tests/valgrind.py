#!/usr/bin/env python3
"""valgrind.py - the three servers under valgrind's memcheck, for many
sessions: no invalid access, no leaked memory, no leaked descriptor.

    python3 tests/valgrind.py [--sessions N] [--bin DIR]

Each server runs under memcheck (--leak-check=full, --track-fds=yes);
every session process it forks runs under memcheck too and writes its
own report when it exits.  The sessions are the ordinary ones and the
rude ones, in plain text and TLS: logins, mail read, delivered and
appended, clients that vanish in the middle of a command, lines too long,
literals cut off.  Then the servers are stopped with SIGTERM and every
report is read:

  - "ERROR SUMMARY: 0 errors" (no invalid read or write, no use of
    uninitialised memory);
  - nothing "definitely" or "indirectly lost" (ASan's LeakSanitizer
    checks the same on the sanitizer build; memcheck checks the normal
    -O2 build, which is the one people run);
  - at exit, no descriptor open but stdin, stdout, stderr and the trace
    file (and in smtpd the data directory, which every process holds
    from start-up to exit for the group flush, servers/core/flush.c): a
    socket or a mail file left open would be a leak that grows with
    every session;
  - the listener itself holds no more descriptors after all the sessions
    than before them.  smtpd keeps a session process, and its socketpair,
    for the next client, so it runs with --reuse-idle 1: the count before
    is taken once the listener's descriptors have stayed the same for
    longer than that, and the count after may take up to 30 s to come
    back down; only a descriptor that stays is a leak.  (The kernel's list
    of a process's children can miss one that is busy being created or
    reaped, so the counts do not rely on it, and the wait for the
    sessions to end before SIGTERM asks for it to hold for a second.)

The last line is "valgrind: N passed, N failed" (one check per server),
the line tests/run.sh reads.  --sessions 2000 is the long run that
docs/robustness.md reports; make test runs a short one.
"""

import argparse
import glob
import os
import re
import shutil
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "integration"))
sys.dont_write_bytecode = True

import harness  # noqa: E402  (after the path is set)
from harness import USERS, Client, b64, free_port, tls_context  # noqa: E402

MEMCHECK = ["valgrind", "--tool=memcheck", "--leak-check=full",
            "--show-leak-kinds=definite,indirect",
            "--errors-for-leak-kinds=definite,indirect",
            "--track-fds=yes", "--num-callers=30"]


class Served:
    """One server under memcheck, reports in DIR/NAME.PID.log."""

    def __init__(self, name, data, logs, modes, extra=(), resident=0):
        self.name = name
        self.ports = [free_port() for _ in modes]
        self.modes = modes
        self.trace = os.path.join(logs, name + ".trace")
        args = MEMCHECK + ["--log-file=%s/%s.%%p.log" % (logs, name),
                           harness.binary(name), "-d", data,
                           "--trace", self.trace, "--auth-delay", "0"]
        for port, mode in zip(self.ports, modes):
            args += ["--listen", "%d:%s" % (port, mode)]
        self.logs = logs
        self.proc = subprocess.Popen(args + list(extra), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        for port in self.ports:
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), 0.5).close()
                    break
                except OSError:
                    if self.proc.poll() is not None or time.monotonic() > deadline:
                        raise SystemExit("%s under valgrind did not start" % name)
                    time.sleep(0.1)
        # the probes above may have left a process behind (smtpd reuses
        # them, and lets them go after --reuse-idle 1)
        self.resident = resident
        self.fds_before = self.steady_fds()

    def settle(self, limit=120):
        """Wait (at most @limit seconds) until only the resident children
        (smtpd's queue runner) are left - seen so for a whole second, as
        the kernel's list of children can miss one being created."""
        deadline = time.monotonic() + limit
        since = time.monotonic()
        while time.monotonic() - since < 1 and time.monotonic() < deadline:
            time.sleep(0.1)
            if len(children(self.proc.pid)) > self.resident:
                since = time.monotonic()

    def steady_fds(self, still=2.5, limit=60):
        """The listener's descriptors once they have not changed for
        @still seconds (at most @limit)."""
        deadline = time.monotonic() + limit
        seen, since = self.fds(), time.monotonic()
        while time.monotonic() - since < still and time.monotonic() < deadline:
            time.sleep(0.2)
            now = self.fds()
            if now != seen:
                seen, since = now, time.monotonic()
        return seen

    def fds_back_to(self, before, limit=30):
        """The listener's descriptors, waiting (at most @limit seconds)
        until there are no more than @before: idle processes are let go
        after --reuse-idle, and their socketpairs closed."""
        deadline = time.monotonic() + limit
        now = self.fds()
        while len(now) > len(before) and time.monotonic() < deadline:
            time.sleep(0.2)
            now = self.fds()
        return now

    def port(self, mode):
        return self.ports[self.modes.index(mode)]

    def fds(self):
        """The listener's own descriptors, as "fd -> target" lines: not
        valgrind's (its logs, its pipes), which come and go as it
        pleases."""
        own = []
        for fd in os.listdir("/proc/%d/fd" % self.proc.pid):
            try:
                what = os.readlink("/proc/%d/fd/%s" % (self.proc.pid, fd))
            except OSError:
                continue
            if not (what.startswith(self.logs) or what.startswith("pipe:")
                    or "valgrind" in what):
                own.append("%s -> %s" % (fd, what))
        return sorted(own)

    def stop(self):
        self.proc.send_signal(15)
        return self.proc.wait(timeout=300)


# ---- the sessions ---------------------------------------------------------

def pop3_session(srv, data, i):
    tls = tls_context(data) if i == 1 else None  # TLS under memcheck is slow
    c = Client(srv.port("tls" if tls else "starttls"), tls_context=tls, timeout=60)
    if i % 7 == 3:
        c.send(b"USER " + b"x" * 400 + b"\r\n")   # too long: one -ERR
        c.readline()
    c.login("bob")  # {PLAIN}: a SHA512-CRYPT login is slow under memcheck
    c.cmd("STAT")
    if i % 5 == 1:
        c.close()                                  # vanishes mid-session
        return
    c.cmd("RETR 1")
    c.read_multiline()
    c.cmd("QUIT")
    c.close()


def smtp_session(srv, data, i):
    c = Client(srv.port("starttls:mx"), timeout=60)
    c.send(b"EHLO valgrind.test\r\n")
    while not c.readline().startswith("250 "):
        pass
    c.cmd("MAIL FROM:<bob@elsewhere.test>")
    c.cmd("RCPT TO:<bob@maillab.test>")
    c.cmd("DATA")
    if i % 5 == 2:
        c.send(b"Subject: cut\r\n\r\nhalf a mess")  # vanishes in DATA
        c.close()
        return
    c.send(b"Subject: memcheck %d\r\n\r\nbody\r\n.\r\n" % i)
    c.readline()
    c.cmd("QUIT")
    c.close()


def imap_session(srv, data, i):
    tls = tls_context(data) if i == 1 else None
    c = Client(srv.port("tls" if tls else "starttls"), tls_context=tls, timeout=60)

    def tagged(tag, line):
        """Send @line, skip the answer's literals, return the tagged line."""
        c.send(line)
        while True:
            got = c.readline_raw()
            m = re.search(rb"\{(\d+)\}\r\n$", got)
            if m:
                n = int(m.group(1))
                while len(c.buf) < n:
                    c._fill(60)
                c.buf = c.buf[n:]
            elif got.startswith(tag):
                return got

    tagged(b"a ", b"a LOGIN bob %s\r\n" % USERS["bob"].encode())
    tagged(b"b ", b"b SELECT INBOX\r\n")
    tagged(b"c ", b"c FETCH 1:* (FLAGS BODYSTRUCTURE ENVELOPE BODY.PEEK[HEADER])\r\n")
    if i % 5 == 3:
        c.send(b"d APPEND INBOX {100}\r\n")         # literal cut off
        c.readline()
        c.send(b"Subject: half\r\n")
        c.close()
        return
    msg = b"Subject: appended %d\r\n\r\nbody\r\n" % i
    tagged(b"d ", b"d APPEND INBOX {%d+}\r\n%s\r\n" % (len(msg), msg))
    tagged(b"e ", b"e SEARCH TEXT body\r\n")
    tagged(b"f ", b"f LOGOUT\r\n")
    c.close()


# ---- the reports ----------------------------------------------------------

def children(pid):
    with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
        return f.read().split()


def read_reports(logs, name, trace, held=()):
    """Problems found in the reports of one server's processes; @held are
    paths a process keeps open on purpose, once each."""
    problems = []
    reports = glob.glob(os.path.join(logs, name + ".*.log"))
    for path in reports:
        with open(path, errors="replace") as f:
            text = f.read()
        where = os.path.basename(path)
        m = re.search(r"ERROR SUMMARY: (\d+) errors", text)
        if not m:
            problems.append("%s: no summary (killed?)" % where)
        elif m.group(1) != "0":
            problems.append("%s: %s errors" % (where, m.group(1)))
        for kind in ("definitely", "indirectly"):
            lost = re.search(r"%s lost: ([\d,]+) bytes" % kind, text)
            if lost and lost.group(1) != "0":
                problems.append("%s: %s lost %s bytes" % (where, kind, lost.group(1)))
        # "Open file descriptor 5: /path" / "Open AF_INET socket 4: ..."
        kept = list(held)
        for line in re.findall(r"Open (?:file descriptor|AF_\w+ socket) (\d+): ?(.*)", text):
            fd, what = int(line[0]), line[1]
            if what in kept:
                kept.remove(what)  # held on purpose, once
                continue
            if fd > 2 and trace not in what and "valgrind" not in what \
                    and not what.startswith("/proc/") and name + "." not in what:
                problems.append("%s: descriptor %d left open: %s" % (where, fd, what))
    return len(reports), problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, default=20,
                    help="sessions per server (default 20)")
    ap.add_argument("--bin", default=os.environ.get("MAILLAB_BIN", "build/bin"))
    opts = ap.parse_args()
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (tools/deps.sh test installs it)")
        print("valgrind: 0 passed, 1 failed")
        return 1
    harness.BIN = os.path.join(harness.ROOT, opts.bin)
    data = harness.new_data_dir()
    logs = os.path.join(data, "valgrind")
    os.makedirs(logs)
    harness.mailctl(data, "deliver", "bob", stdin=b"Subject: one\n\nfirst\n")
    servers = {
        "pop3d": (Served("pop3d", data, logs, ["starttls", "tls"]), pop3_session),
        "smtpd": (Served("smtpd", data, logs, ["starttls:mx"],
                         ["--hostname", "mx.maillab.test", "--reuse-idle", "1"],
                         resident=1), smtp_session),  # the queue runner
        "imapd": (Served("imapd", data, logs, ["starttls", "tls"]), imap_session),
    }
    passed = failed = 0
    started = time.monotonic()
    for name, (srv, session) in servers.items():
        errors = 0
        for i in range(opts.sessions):
            try:
                session(srv, data, i)
            except (OSError, AssertionError, harness.Closed) as e:
                errors += 1
                if errors <= 3:
                    print("%s session %d: %s" % (name, i, e))
        # the last sessions end, the idle processes are let go
        srv.settle()
        fds_after = srv.fds_back_to(srv.fds_before)
        status = srv.stop()
        held = [data] if name == "smtpd" else []
        reports, problems = read_reports(logs, name, srv.trace, held)
        if errors:
            problems.append("%d sessions failed" % errors)
        if len(fds_after) > len(srv.fds_before):
            problems.append("listener descriptors: %d before, %d after %d sessions "
                            "(before: %s; after: %s)"
                            % (len(srv.fds_before), len(fds_after), opts.sessions,
                               ", ".join(srv.fds_before), ", ".join(fds_after)))
        if status != 0:
            problems.append("exit status %s after SIGTERM" % status)
        for p in problems[:20]:
            print("valgrind %s: %s" % (name, p))
        print("valgrind %s: %d sessions, %d process reports, %s"
              % (name, opts.sessions, reports, "clean" if not problems else
                 "%d problems" % len(problems)))
        if problems:
            failed += 1
        else:
            passed += 1
    print("valgrind: %d sessions per server in %.0f s"
          % (opts.sessions, time.monotonic() - started))
    print("valgrind: %d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
