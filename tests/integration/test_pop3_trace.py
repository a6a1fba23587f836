"""test_pop3_trace.py - the trace an instructor projects (common/trace.h):

    2026-11-23T10:15:02Z pop3 #12 AUTHORIZATION -> TRANSACTION (PASS ok, 2 messages)
    2026-11-23T10:15:02Z pop3 #12 tls TLSv1.3 TLS_AES_256_GCM_SHA384
"""

import os
import re
import time
import unittest

from harness import ALICE_MESSAGES, Pop3TestCase, tls_context

STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


class Trace(Pop3TestCase):
    def test_login_state_change(self):
        server = self.start()
        c = self.connect(server)
        c.login("alice")
        m = server.wait_trace(r"^%s pop3 #(\d+) AUTHORIZATION -> TRANSACTION \(.+\)$" % STAMP)
        self.assertIsNotNone(m, "no state-change line in the trace:\n" + server.trace())

    def test_every_line_has_the_documented_shape(self):
        server = self.start()
        c = self.connect(server)
        c.login("alice")
        self.assertOk(c.cmd("QUIT"))
        c.expect_closed()
        self.connect(server, mode="tls").cmd("CAPA")
        server.wait_trace(r" tls TLSv")
        trace = server.trace()
        self.assertTrue(trace.endswith("\n"))
        for line in trace.splitlines():
            self.assertRegex(line, r"^%s pop3 #\d+ \S" % STAMP)

    def test_tls_line_implicit(self):
        server = self.start()
        self.connect(server, mode="tls")
        m = server.wait_trace(r"^%s pop3 #(\d+) tls TLSv1\.[23] \S+" % STAMP)
        self.assertIsNotNone(m, "no tls line:\n" + server.trace())

    def test_tls_line_after_stls(self):
        server = self.start()
        c = self.connect(server)
        self.assertOk(c.cmd("STLS"))
        c.starttls(tls_context(self.data))
        c.login("alice")
        m = server.wait_trace(r"^%s pop3 #(\d+) tls TLSv1\.3 " % STAMP)
        self.assertIsNotNone(m, "no 'tls TLSv1.3' line:\n" + server.trace())
        login = server.wait_trace(r"pop3 #(\d+) AUTHORIZATION -> TRANSACTION")
        self.assertEqual(m.group(1), login.group(1), "same session id for tls and login")

    def test_maildrop_line_says_how_it_was_listed(self):
        """Why was one login slower than the next?  The trace says whether
        the maildrop was listed file by file or taken from its cache."""
        server = self.start()
        root = os.path.join(self.data, "mail", "alice", "Maildir")

        def login_and_quit():
            c = self.connect(server)
            c.login("alice")
            self.assertOk(c.cmd("QUIT"))
            c.expect_closed()

        login_and_quit()
        self.assertIsNotNone(server.wait_trace(
            r'maildrop of "alice": listed whole \(no usable cache\): %d file\(s\) '
            r'looked at' % len(ALICE_MESSAGES)), server.trace())
        for sub in ("new", "cur"):  # quiet for an hour: this listing is saved
            past = time.time() - 3600
            os.utime(os.path.join(root, sub), (past, past))
        login_and_quit()
        login_and_quit()
        self.assertIsNotNone(server.wait_trace(
            r'maildrop of "alice": listed from its cache \(unchanged\)'), server.trace())

    def test_sessions_have_distinct_ids(self):
        server = self.start()
        for user in ("alice", "bob"):
            self.connect(server).login(user)
        self.assertIsNotNone(server.wait_trace(
            r"(?s)AUTHORIZATION -> TRANSACTION.*AUTHORIZATION -> TRANSACTION"))
        ids = re.findall(r"pop3 #(\d+) AUTHORIZATION -> TRANSACTION", server.trace())
        self.assertEqual(len(set(ids)), 2, server.trace())

    def test_trace_goes_to_stderr_without_trace_option(self):
        server = self.start(trace=False)
        self.connect(server).login("alice")
        m = server.wait_trace(r"pop3 #\d+ AUTHORIZATION -> TRANSACTION")
        self.assertIsNotNone(m, "no trace on stderr:\n" + server.stderr())

    def test_password_not_in_trace(self):
        server = self.start()
        c = self.connect(server)
        c.login("alice")
        self.assertOk(c.cmd("QUIT"))
        c.expect_closed()
        server.wait_trace(r"TRANSACTION -> UPDATE|signing off|closed", limit=1)
        self.assertNotIn("wonderland", server.trace())


if __name__ == "__main__":
    unittest.main()
