"""test_pop3_robustness.py - what a server on a classroom network must
survive: over-long lines (RFC 2449 §4: 255 octets with CRLF), NUL bytes,
binary garbage, pipelined commands (RFC 2449 §6.6), too many clients,
idle clients, clients that vanish, and SIGTERM with sessions open.
Every bad input must become an -ERR reply, never a crash or a hang.
"""

import os
import random
import signal
import time
import unittest

from harness import ALICE_MESSAGES, Closed, Pop3TestCase, wire_size

ALICE_OCTETS = sum(wire_size(m) for m in ALICE_MESSAGES)


class BadInput(Pop3TestCase):
    def setUp(self):
        super().setUp()
        self.server = self.start()
        self.c = self.connect(self.server)

    def test_line_too_long(self):
        r = self.c.cmd("USER " + "a" * 300)
        self.assertTrue(r.startswith("-ERR line too long"), r)
        self.assertTrue(self.c.nothing_pending(0.2), "one reply per long line")
        self.c.login("alice")

    def test_line_limit_boundary(self):
        # 255 octets including CRLF is allowed; 256 is not.
        line = "NOOP " + "x" * (255 - 2 - 5)
        self.assertEqual(len(line) + 2, 255)
        r = self.c.cmd(line)
        self.assertErr(r)
        self.assertFalse(r.startswith("-ERR line too long"),
                         "a 255-octet line is within the limit: %r" % r)
        r = self.c.cmd(line + "x")
        self.assertTrue(r.startswith("-ERR line too long"), r)
        self.assertOk(self.c.cmd("USER alice"))

    def test_huge_line_gets_one_reply(self):
        self.c.send(b"X" * 100000 + b"\r\nCAPA\r\n")
        r = self.c.readline()
        self.assertTrue(r.startswith("-ERR line too long"), r)
        self.assertEqual(self.c.readline().split()[0], "+OK",
                         "after the one -ERR for the long line, CAPA is answered")
        self.c.read_multiline()
        self.c.login("alice")

    def test_long_line_in_transaction(self):
        self.c.login("alice")
        r = self.c.cmd("RETR " + "1" * 400)
        self.assertTrue(r.startswith("-ERR line too long"), r)
        self.assertEqual(self.c.cmd("STAT"), "+OK 3 %d" % ALICE_OCTETS)

    def test_nul_byte(self):
        r = self.c.cmd("USER al\0ice")
        self.assertErr(r)
        r = self.c.cmd("\0")
        self.assertErr(r)
        self.c.login("alice")
        self.assertErr(self.c.cmd("LIST 1\0"))
        self.assertOk(self.c.cmd("LIST 1"))

    def test_binary_garbage(self):
        rnd = random.Random(1939)
        junk = bytes(b for b in (rnd.randrange(256) for _ in range(200))
                     if b not in (10, 13))
        r = self.c.cmd(junk.decode("latin-1"))
        self.assertErr(r)
        # Garbage with line ends in it: drain whatever comes back, then check
        # this session and a fresh one still work.
        self.c.send(bytes(rnd.randrange(256) for _ in range(4000)) + b"\r\n")
        self.c.send("QUIT\r\n")
        try:
            self.c.expect_closed()
        except AssertionError:
            self.fail("QUIT after garbage did not end the session")
        self.assertTrue(self.server.alive())
        self.connect(self.server).login("alice")

    def test_empty_line(self):
        self.assertErr(self.c.cmd(""))
        self.assertErr(self.c.cmd("   "))
        self.c.login("alice")

    def test_argument_too_long(self):
        # RFC 1939 §3: arguments up to 40 characters.
        r = self.c.cmd("USER " + "a" * 41)
        self.assertErr(r)
        self.c.login("alice")

    def test_client_vanishes_mid_line(self):
        self.c.send("USER ali")
        self.c.close()
        self.connect(self.server).login("alice")

    def test_client_resets_connection(self):
        import socket
        import struct
        self.c.login("alice")
        self.c.send("RETR 1\r\n")
        # RST instead of FIN.
        self.c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.c.close()
        c2, r = self.login_retry(self.server)
        self.assertTrue(r.startswith("+OK alice's maildrop has 3 messages"), r)


class Pipelining(Pop3TestCase):
    def test_pipelined_session(self):
        c = self.connect(self.start())
        c.send("USER alice\r\nPASS wonderland\r\nSTAT\r\nLIST 1\r\nRETR 1\r\nDELE 1\r\nQUIT\r\n")
        self.assertOk(c.readline())
        self.assertTrue(c.readline().startswith("+OK alice's maildrop has 3 messages"))
        self.assertEqual(c.readline(), "+OK 3 %d" % ALICE_OCTETS)
        self.assertEqual(c.readline(), "+OK 1 %d" % wire_size(ALICE_MESSAGES[0]))
        self.assertEqual(c.readline(), "+OK %d octets" % wire_size(ALICE_MESSAGES[0]))
        c.read_multiline_raw()
        self.assertOk(c.readline())
        self.assertEqual(c.readline(),
                         "+OK maillab POP3 server signing off (2 messages left)")
        c.expect_closed()

    def test_pipelined_batch_answered_in_one_write(self):
        # written one by one, the second reply would wait for the
        # client's delayed acknowledgement of the first (Nagle's
        # algorithm): up to 40 ms for every batch
        c = self.connect(self.start())
        c.login()
        got = c.send_and_read_once("NOOP\r\nSTAT\r\nLIST 1\r\n")
        self.assertEqual(got, b"+OK\r\n+OK 3 %d\r\n+OK 1 %d\r\n"
                         % (ALICE_OCTETS, wire_size(ALICE_MESSAGES[0])))

    def test_pipelined_byte_by_byte(self):
        c = self.connect(self.start())
        for b in b"CAPA\r\n":
            c.send(bytes([b]))
        self.assertOk(c.readline())
        c.read_multiline()


class Limits(Pop3TestCase):
    def test_max_sessions(self):
        server = self.start(extra=["--max-sessions", "2"])
        a = self.connect(server)
        b = self.connect(server)
        self.assertOk(a.greeting)
        self.assertOk(b.greeting)
        # Both log in: a full server closes a session that has not logged
        # in to make room (test_hostile_limits.py), never one that has.
        a.login("alice")
        b.login("bob")
        third = self.connect(server)
        self.assertTrue(third.greeting.startswith("-ERR [SYS/TEMP] too many connections"),
                        third.greeting)
        third.expect_closed()
        # When one leaves, a new client is admitted once the server has
        # reaped it.  Until then a client is refused; refusals still being
        # sent count too, and past twice the limit the server just closes
        # (slow under the sanitizers), so an empty close also means "retry".
        self.assertOk(a.cmd("QUIT"))
        a.expect_closed()
        # generous: reaping is quick, but a loaded machine running the
        # sanitizer build can take seconds to end a session process
        deadline = time.monotonic() + 30
        while True:
            try:
                d = self.connect(server)
                if d.greeting.startswith("+OK"):
                    break
                self.assertTrue(d.greeting.startswith("-ERR [SYS/TEMP]"), d.greeting)
                d.expect_closed()
            except Closed:
                pass
            self.assertLess(time.monotonic(), deadline, "no slot freed after QUIT")
            time.sleep(0.1)

    def test_idle_timeout(self):
        server = self.start(extra=["--timeout", "1"])
        c = self.connect(server)
        t0 = time.monotonic()
        c.expect_closed(timeout=20)
        self.assertGreaterEqual(time.monotonic() - t0, 0.9)
        self.connect(server).login("alice")


class Signals(Pop3TestCase):
    def test_sigterm_with_open_session_deletes_nothing(self):
        server = self.start()
        c = self.connect(server)
        c.login("alice")
        self.assertOk(c.cmd("DELE 1"))
        server.proc.send_signal(signal.SIGTERM)
        c.expect_closed(timeout=20)
        self.assertEqual(server.proc.wait(timeout=20), 0)
        self.assertEqual(len(self.maildir_files("alice")), 3,
                         "a session ended by SIGTERM must not enter UPDATE")

    def test_sigint_exits_cleanly(self):
        server = self.start()
        self.connect(server)
        server.proc.send_signal(signal.SIGINT)
        self.assertEqual(server.proc.wait(timeout=20), 0)

    def test_no_session_processes_left_after_stop(self):
        server = self.start()
        clients = [self.connect(server) for _ in range(3)]
        clients[0].login("alice")
        pid = server.proc.pid
        children = self._children(pid)
        self.assertGreaterEqual(len(children), 3, "one process per connection")
        server.proc.send_signal(signal.SIGTERM)
        self.assertEqual(server.proc.wait(timeout=20), 0)
        deadline = time.monotonic() + 5
        while any(os.path.exists("/proc/%d" % p) and not self._zombie(p) for p in children):
            self.assertLess(time.monotonic(), deadline, "session processes survived")
            time.sleep(0.05)

    @staticmethod
    def _children(pid):
        try:
            with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
                return [int(x) for x in f.read().split()]
        except OSError:
            raise unittest.SkipTest("no /proc children list")

    @staticmethod
    def _zombie(pid):
        try:
            with open("/proc/%d/stat" % pid) as f:
                return f.read().rsplit(")", 1)[1].split()[0] == "Z"
        except OSError:
            return True


if __name__ == "__main__":
    unittest.main()
