"""test_smtp_reuse.py - smtpd hands a new client to a session process
that is free again (servers/core/handoff.c, listener.c) instead of
forking: the same process serves sessions in turn, nothing of one session
is left for the next, --reuse bounds it, a dead idle process is passed
over, idle processes are not counted as sessions, and one idle for
--reuse-idle seconds is let go.

Which process served a session is read from the Maildir: the name of a
delivered file carries the pid of the process that wrote it (P<pid>).
A reusable process says "free" to the listener before it writes the
"close" line of its session, so a test that waits for that line knows
where the next client goes.
"""

import os
import re
import signal
import subprocess
import time
import unittest

from harness import Closed, binary, tls_context
from smtp_harness import SmtpTestCase

MSG = b"Subject: reuse\r\n\r\nhello\r\n"


class Reuse(SmtpTestCase):
    def session(self, server, n, mode="starttls:mx"):
        """One whole MX session (EHLO, a message to alice, QUIT), the
        server's session number @n; waits for its "close" line."""
        c = self.smtp(server, mode)
        c.ehlo()
        self.assertReply(c.send_message("x@example.org", ["alice@maillab.test"],
                                        MSG), 250)
        self.assertReply(c.cmd("QUIT"), 221)
        c.expect_closed()
        self.assertTrue(server.wait_trace(r"#%d close$" % n), server.trace())

    def pids(self):
        """The pid in each delivered file's name, oldest first."""
        new = os.path.join(self.data, "mail", "alice", "Maildir", "new")
        found = []
        for name in os.listdir(new):
            found.append((os.stat(os.path.join(new, name)).st_mtime_ns,
                          int(re.search(r"P(\d+)", name).group(1))))
        return [pid for _, pid in sorted(found)]

    def test_one_process_serves_sessions_in_turn(self):
        server = self.start_smtpd()
        for n in range(1, 5):
            self.session(server, n)
        pids = self.pids()
        self.assertEqual(len(pids), 4)
        self.assertEqual(len(set(pids)), 1, pids)
        self.assertNotEqual(pids[0], server.proc.pid)
        # the session numbers still count up, one per connection
        self.assertEqual(len(re.findall(r"#\d+ connect from", server.trace())), 4)

    def test_reuse_1_forks_for_each_connection(self):
        server = self.start_smtpd(extra=["--reuse", "1"])
        for n in range(1, 4):
            self.session(server, n)
        self.assertEqual(len(set(self.pids())), 3, self.pids())

    def test_a_process_ends_after_reuse_sessions(self):
        server = self.start_smtpd(extra=["--reuse", "2"])
        for n in range(1, 6):
            self.session(server, n)
        a, a2, b, b2, c = self.pids()
        self.assertEqual(a, a2)
        self.assertEqual(b, b2)
        self.assertEqual(len({a, b, c}), 3)
        # the trace says why each of the first two ended
        for pid in (a, b):
            self.assertTrue(server.wait_trace(r"process %d served 2 sessions "
                                              r"\(--reuse\): exits" % pid),
                            server.trace())
        # the first process has exited and been reaped
        deadline = time.monotonic() + 10
        while os.path.exists("/proc/%d" % a) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertFalse(os.path.exists("/proc/%d" % a))

    def test_an_idle_process_is_let_go_after_reuse_idle(self):
        server = self.start_smtpd(extra=["--reuse-idle", "1"])
        self.session(server, 1)
        a, = self.pids()
        self.assertTrue(server.wait_trace(r"process %d idle for 1 s: let go" % a,
                                          limit=30), server.trace())
        deadline = time.monotonic() + 10
        while os.path.exists("/proc/%d" % a) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertFalse(os.path.exists("/proc/%d" % a))
        # the next client gets a new process
        self.session(server, 2)
        self.assertNotEqual(self.pids()[1], a)

    def test_reuse_idle_0_is_refused(self):
        # 0 would let a process go the moment it is free: no reuse at all
        r = subprocess.run([binary("smtpd"), "-d", self.data, "--reuse-idle", "0"],
                           capture_output=True, timeout=30)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"--reuse-idle", r.stderr)

    def test_nothing_of_a_session_is_left_for_the_next(self):
        server = self.start_smtpd()
        # session 1: STARTTLS and AUTH on the submission port, a message
        c = self.submission(server, "alice")
        self.assertReply(c.send_message("alice@maillab.test",
                                        ["alice@maillab.test"], MSG), 250)
        self.assertReply(c.cmd("QUIT"), 221)
        c.expect_closed()
        self.assertTrue(server.wait_trace(r"#1 close$"))
        # session 2, same process: cleartext, not logged in, no transaction
        c = self.smtp(server, "starttls:submission")
        caps = c.ehlo()
        self.assertIn("STARTTLS", caps)
        self.assertIn("AUTH", caps)
        self.assertReply(c.cmd("MAIL FROM:<alice@maillab.test>"), 530, "5.7.0")
        self.assertReply(c.cmd("RCPT TO:<alice@maillab.test>"), 503)
        c.starttls_upgrade(tls_context(self.data))
        c.ehlo()
        c.login("bob")
        self.assertReply(c.send_message("bob@maillab.test",
                                        ["alice@maillab.test"], MSG), 250)
        self.assertReply(c.cmd("QUIT"), 221)
        c.expect_closed()
        pids = self.pids()
        self.assertEqual(len(set(pids)), 1, pids)
        self.assertTrue(server.wait_trace(r"#2 auth \w+ ok for bob"))

    def test_an_idle_process_that_died_is_passed_over(self):
        server = self.start_smtpd()
        self.session(server, 1)
        (pid,) = self.pids()
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while os.path.exists("/proc/%d" % pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        for n in range(2, 4):
            self.session(server, n)
        pids = self.pids()
        self.assertEqual(len(pids), 3)
        self.assertNotEqual(pids[1], pid)
        self.assertEqual(pids[1], pids[2])
        self.assertTrue(server.alive())

    def test_idle_processes_are_not_sessions(self):
        # one session per address at a time: idle processes must not count
        server = self.start_smtpd(extra=["--max-sessions", "2",
                                         "--max-per-address", "1"])
        for n in range(1, 4):
            self.session(server, n)
        held = self.smtp(server)
        held.ehlo()
        # a second session from the same address is refused, as before
        c = self.smtp_refused(server)
        self.assertIn("too many", c)
        held.cmd("QUIT")

    def smtp_refused(self, server):
        from harness import Client
        c = Client(server.port_for("starttls:mx"))
        self.clients.append(c)
        line = c.greeting
        self.assertTrue(line.startswith("421"), line)
        try:
            c.expect_closed()
        except Closed:
            pass
        return line

    def test_sigterm_stops_idle_processes_too(self):
        server = self.start_smtpd()
        self.session(server, 1)
        (pid,) = self.pids()
        self.assertTrue(os.path.exists("/proc/%d" % pid))
        self.assertEqual(server.stop(), 0)
        self.assertFalse(os.path.exists("/proc/%d" % pid))


if __name__ == "__main__":
    unittest.main()
