"""test_imap_robustness.py - what no polite client sends: broken syntax,
limits, NUL and 8-bit octets, names that try to leave the Maildir, a
literal cut off by a disconnect, thousands of pipelined commands.

Every test ends by checking that the session (or the server) still works:
bad input must become a reply, never a crash or a hang.
"""

import os
import signal
import threading
import time
import unittest

from harness import Closed
from imap_harness import ImapTestCase


class BadInput(ImapTestCase):
    def setUp(self):
        super().setUp()
        self.server = self.start()
        self.c = self.raw(self.server)
        self.c.login()

    def still_fine(self):
        self.assertEqual(self.c.tagged("ok", "NOOP"), "ok OK NOOP completed")

    def test_unbalanced_parentheses(self):
        self.c.tagged("s", "SELECT INBOX")
        self.assertEqual(self.c.tagged("a", "FETCH 1 (FLAGS UID"),
                         "a BAD unbalanced parentheses: a list is not closed")
        self.assertEqual(self.c.tagged("b", "FETCH 1 FLAGS)"),
                         "b BAD unbalanced parentheses: ')' without '('")
        self.still_fine()

    def test_unbalanced_quotes(self):
        self.assertEqual(self.c.tagged("a", 'SELECT "INBOX'),
                         "a BAD quoted string not closed (use a literal for "
                         "line breaks)")
        self.assertEqual(self.c.tagged("b", r'SELECT "IN\BOX"'),
                         "b BAD in a quoted string '\\' may only escape '\"' or '\\'")
        self.still_fine()

    def test_literal_larger_than_the_limit(self):
        # refused at once: no "+", not one octet of it is read
        lines = self.c.command("a", "APPEND INBOX {999999999999}")
        self.assertEqual(len(lines), 1)
        self.assertTrue(lines[0].startswith(b"a NO [TOOBIG] literal too large"),
                        lines)
        self.still_fine()

    def test_non_synchronizing_literal_too_large_ends_session(self):
        lines = self.c.command("a", "APPEND INBOX {999999999999+}")
        self.assertTrue(lines[0].startswith(b"a BAD [TOOBIG]"), lines)
        self.c.expect_closed()

    def test_nul_bytes(self):
        self.assertEqual(self.c.tagged("a", b"NOOP\0x"), "a BAD NUL octet in command")
        self.c.send(b"b LOGIN {3}\r\n")
        self.assertEqual(self.c.read_with_literals(), b"+ Ready for literal data")
        self.c.send(b"a\0b x\r\n")
        self.assertEqual(self.c.response("b"), [b"b BAD NUL octet in a literal"])
        self.still_fine()

    def test_eight_bit_in_atoms(self):
        self.assertEqual(self.c.tagged("a", "SELECT caf\xe9".encode("latin-1")),
                         "a BAD 8-bit octet outside a quoted string or literal")
        self.assertEqual(self.c.tagged("b", b"SELECT \"caf\xc3\xa9\""),
                         "b NO [CANNOT] mailbox name is not valid modified "
                         "UTF-7 (RFC 3501 section 5.1.3)")
        self.still_fine()

    def test_binary_garbage(self):
        self.c.send(bytes(range(1, 256)) + b"\r\n")
        line = self.c.read_with_literals()
        self.assertTrue(line.startswith(b"* BAD") or b" BAD " in line, line)
        self.still_fine()

    def test_line_too_long(self):
        self.c.send("a SELECT " + "x" * 9000 + "\r\n")
        # the line was skipped, but its tag is taken from its start, so
        # the client gets its command completed (RFC 9051 §7.1.3)
        self.assertEqual(self.c.read_with_literals(),
                         b"a BAD [TOOBIG] line too long (limit 8192 octets; send "
                         b"long data as a literal)")
        self.still_fine()

    def test_traversal_mailbox_names(self):
        root = self.maildir()
        before = sorted(os.listdir(os.path.dirname(root)))
        for name in ("../../evil", "../alice", "/etc/passwd", "a/../../b",
                     "..", ".", "a//b", "/", '"tab\tname"'):
            for verb in ("CREATE", "SELECT", "DELETE", "RENAME INBOX"):
                r = self.c.tagged("t", "%s %s" % (verb, name))
                self.assertRegex(r, r"^t (NO|BAD) ", "%s %s" % (verb, name))
        self.assertEqual(sorted(os.listdir(os.path.dirname(root))), before)
        self.assertFalse(os.path.exists(os.path.join(self.data, "mail", "evil")))
        self.still_fine()

    def test_append_literal_cut_off_by_disconnect(self):
        self.c.send("a APPEND INBOX {100}\r\n")
        self.assertEqual(self.c.read_with_literals(), b"+ Ready for literal data")
        self.c.send("Subject: half\r\n")
        self.c.close()
        self.assertTrue(self.server.wait_trace(r"octets of a literal still to come"))
        self.assertEqual(len(self.folder_files()), 3)
        # the server goes on serving
        other = self.raw(self.server)
        other.login(select="INBOX")
        self.assertEqual(other.tagged("x", "NOOP"), "x OK NOOP completed")


class Pipelining(ImapTestCase):
    def setUp(self):
        super().setUp()
        self.server = self.start()

    def test_ten_thousand_pipelined_commands(self):
        c = self.raw(self.server)
        c.login(select="INBOX")
        n = 10000
        data = b"".join(b"p%d FETCH %d FLAGS\r\n" % (i, i % 3 + 1) for i in range(n))
        # write from a thread: the answers come back while we still send
        sender = threading.Thread(target=c.sock.sendall, args=(data,))
        sender.start()
        for i in range(n):
            lines = c.response("p%d" % i, timeout=30)
            self.assertEqual(lines[-1], b"p%d OK FETCH completed" % i)
        sender.join()
        self.assertEqual(c.tagged("z", "NOOP"), "z OK NOOP completed")

    def test_pipelined_batch_answered_in_one_write(self):
        # one write for the three answers: written one by one, the
        # second would wait for the client's delayed acknowledgement of
        # the first (Nagle's algorithm), up to 40 ms a batch
        c = self.raw(self.server)
        c.login(select="INBOX")
        got = c.send_and_read_once(b"p1 NOOP\r\np2 NOOP\r\np3 NOOP\r\n")
        self.assertEqual(got, b"p1 OK NOOP completed\r\np2 OK NOOP completed\r\n"
                         b"p3 OK NOOP completed\r\n")

    def test_commands_byte_by_byte(self):
        c = self.raw(self.server)
        for b in b"a LOGIN {5+}\r\nalice {10+}\r\nwonderland\r\n":
            c.send(bytes([b]))
        self.assertTrue(c.response("a")[-1].startswith(b"a OK [CAPABILITY"))


class Limits(ImapTestCase):
    def test_idle_timeout_says_bye(self):
        server = self.start(extra=("--timeout", "1"))
        c = self.raw(server)
        self.assertEqual(c.read_with_literals(timeout=10),
                         b"* BYE idle for too long, closing")
        c.expect_closed()

    def test_too_many_sessions(self):
        server = self.start(extra=("--max-sessions", "1"))
        first = self.raw(server)
        first.login()
        second = self.raw(server, greeting=False)
        self.assertEqual(second.read_with_literals(),
                         b"* BYE [UNAVAILABLE] too many connections, try again later")
        second.expect_closed()
        self.assertEqual(first.tagged("a", "NOOP"), "a OK NOOP completed")

    def raw_when_admitted(self, server):
        """A session, once the server has reaped an ended one to make room:
        until then a client is refused (or, past twice the limit, just
        closed), which here means "try again"."""
        deadline = time.monotonic() + 30
        while True:
            try:
                c = self.raw(server, greeting=False)
                line = c.read_with_literals()
                if line.startswith(b"* OK"):
                    return c
                c.expect_closed()
            except Closed:
                pass
            self.assertLess(time.monotonic(), deadline, "no slot freed after LOGOUT")
            time.sleep(0.1)

    def test_slots_freed_below_a_busy_one_are_used_again(self):
        # The listener walks its table of processes only up to the highest
        # slot in use.  Free the two lowest slots under a session that
        # stays, fill them again, and the server must still count all
        # three and stop all three on SIGTERM.
        server = self.start(extra=("--max-sessions", "3"))
        a, b, c = (self.raw(server) for _ in range(3))
        for client in (a, b, c):
            client.login()
        for client in (a, b):
            self.assertEqual(client.tagged("o", "LOGOUT"), "o OK LOGOUT completed")
            client.expect_closed()
        # d logs in before e connects: a full server makes room by
        # closing a session that has not logged in, and until the
        # listener has reaped both ended sessions, e's arrival could
        # close d
        d = self.raw_when_admitted(server)
        d.login()
        e = self.raw_when_admitted(server)
        e.login()
        full = self.raw(server, greeting=False)
        self.assertEqual(full.read_with_literals(),
                         b"* BYE [UNAVAILABLE] too many connections, try again later")
        full.expect_closed()
        server.proc.send_signal(signal.SIGTERM)
        for client in (c, d, e):
            client.expect_closed(timeout=20)
        self.assertEqual(server.proc.wait(timeout=20), 0)


if __name__ == "__main__":
    unittest.main()
