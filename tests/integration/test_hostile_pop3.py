"""test_hostile_pop3.py - the hostile-input suite, POP3 cases (issue:
"Robustness", items 1 and 4).

Each test sends what an attacker (or a broken client) would send, checks
the reply, and ends with still_serving(): the server keeps serving other
sessions.
"""

import os
import unittest

from harness import Pop3TestCase, tls_context
from robust_harness import (rss_kib, send_stream, session_pids, still_serving,
                            wait_new_session)

STREAM = int(os.environ.get("MAILLAB_HOSTILE_STREAM", str(4 << 30)))


class Hostile(Pop3TestCase):
    def setUp(self):
        super().setUp()
        self.server = self.start()

    def tearDown(self):
        if self.server.alive():
            still_serving(self, self.server, "pop3")

    def client(self):
        before = session_pids(self.server)
        c = self.connect(self.server)
        return c, wait_new_session(self.server, before)


class StlsInjection(Hostile):
    """1. STLS with a command pipelined behind it: the command is never
    run, and AUTHORIZATION starts over (RFC 2595 §4, CVE-2011-0411)."""

    def test_pipelined_user_is_discarded(self):
        c, _ = self.client()
        c.send(b"STLS\r\nUSER alice\r\n")
        self.assertEqual(c.readline(), "+OK begin TLS negotiation")
        c.starttls(tls_context(self.data))
        self.assertTrue(c.nothing_pending())  # nothing answers the USER
        self.assertEqual(c.cmd("PASS wonderland"), "-ERR give USER first")
        self.assertNotIn("STLS", self.capa(c))
        self.assertTrue(self.server.wait_trace(r"discarded 12 octets pipelined"))


class Overlong(Hostile):
    """4. A command over 255 octets (RFC 2449 §4) gets one -ERR; a stream
    with no line end keeps the session's memory bounded."""

    def test_line_over_255(self):
        c, _ = self.client()
        self.assertEqual(c.cmd("USER " + "a" * 300),
                         "-ERR line too long (limit 255 octets including "
                         "CRLF, RFC 2449 section 4)")
        self.assertOk(c.cmd("USER alice"))

    def test_endless_line(self):
        c, pid = self.client()
        before = rss_kib(pid)
        send_stream(c.sock, STREAM)
        self.assertTrue(c.readline().startswith("-ERR line too long"))
        c.send(b"\r\n")
        c.login("alice")
        self.assertOk(c.cmd("STAT"))
        self.assertTrue(c.nothing_pending())
        grown = rss_kib(pid) - before
        self.assertLess(grown, 1024, "session grew by %d KiB" % grown)


if __name__ == "__main__":
    unittest.main()
