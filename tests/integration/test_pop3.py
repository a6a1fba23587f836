"""test_pop3.py - the POP3 dialogue of RFC 1939 over TCP, command by command.

Each test drives pop3d with a raw socket and checks the exact reply lines
the server promises (greeting, STAT, LIST, RETR, TOP, UIDL, DELE, RSET,
NOOP, QUIT and the UPDATE state), and what ends up in the Maildir.
"""

import re
import unittest

from harness import (ALICE_MESSAGES, BOB_MESSAGES, Client, Pop3TestCase,
                     apop_digest, crlf, wire_size)

ALICE_OCTETS = sum(wire_size(m) for m in ALICE_MESSAGES)


class Greeting(Pop3TestCase):
    def test_greeting_has_apop_timestamp(self):
        server = self.start()
        c = self.connect(server)
        # RFC 1939 §7: the timestamp has the form of a msg-id, e.g.
        # <process-ID.clock@hostname>; maillab adds a counter after the clock.
        self.assertRegex(c.greeting,
                         r"^\+OK maillab POP3 server ready <\d+\.\d+(\.\d+)?@[^<>\s]+>$")

    def test_greeting_timestamp_differs_per_connection(self):
        server = self.start()
        a = self.connect(server).greeting
        b = self.connect(server).greeting
        self.assertNotEqual(a, b, "APOP timestamps must not repeat")

    def test_hostname_option_in_greeting(self):
        server = self.start(extra=["--hostname", "pop.lab.test"])
        c = self.connect(server)
        self.assertRegex(c.greeting, r"<\d+\.\d+(\.\d+)?@pop\.lab\.test>$")

    def test_ipv6_loopback(self):
        server = self.start()
        c = Client(server.port, host="::1")
        self.clients.append(c)
        self.assertTrue(c.greeting.startswith("+OK maillab POP3 server ready"))


class Login(Pop3TestCase):
    def test_user_pass(self):
        c = self.connect(self.start())
        self.assertOk(c.cmd("USER alice"))
        self.assertEqual(c.cmd("PASS wonderland"),
                         "+OK alice's maildrop has 3 messages (%d octets)" % ALICE_OCTETS)

    def test_commands_are_case_insensitive(self):
        # RFC 1939 §3: keywords are case-insensitive.
        c = self.connect(self.start())
        self.assertOk(c.cmd("user alice"))
        self.assertOk(c.cmd("pAsS wonderland"))
        self.assertEqual(c.cmd("stat"), "+OK 3 %d" % ALICE_OCTETS)

    def test_wrong_password(self):
        c = self.connect(self.start())
        self.assertOk(c.cmd("USER alice"))
        r = c.cmd("PASS rabbit")
        self.assertTrue(r.startswith("-ERR [AUTH] "), r)
        # The session stays in AUTHORIZATION and a right password still works.
        self.assertOk(c.cmd("USER alice"))
        self.assertOk(c.cmd("PASS wonderland"))

    def test_unknown_user_cannot_log_in(self):
        c = self.connect(self.start())
        r = c.cmd("USER mallory")
        if r.startswith("+OK"):
            r = c.cmd("PASS wonderland")
        self.assertErr(r)
        self.assertErr(c.cmd("STAT"))

    def test_pass_without_user(self):
        c = self.connect(self.start())
        self.assertErr(c.cmd("PASS wonderland"))
        self.assertErr(c.cmd("STAT"), "PASS without USER must not log in")

    def test_three_failures_close_the_session(self):
        c = self.connect(self.start())
        for i in range(3):
            self.assertOk(c.cmd("USER alice"))
            r = c.cmd("PASS wrong%d" % i)
            self.assertTrue(r.startswith("-ERR [AUTH]"), r)
        rest = c.expect_closed()
        self.assertEqual(rest, b"", "nothing expected after the third -ERR")

    def test_empty_maildrop(self):
        self.useradd("carol", "secret")
        c = self.connect(self.start())
        self.assertOk(c.cmd("USER carol"))
        self.assertEqual(c.cmd("PASS secret"),
                         "+OK carol's maildrop has 0 messages (0 octets)")
        self.assertEqual(c.cmd("STAT"), "+OK 0 0")
        self.assertOk(c.cmd("LIST"))
        self.assertEqual(c.read_multiline(), [])
        self.assertEqual(c.cmd("RETR 1"),
                         "-ERR no such message, only 0 messages in maildrop")

    def test_second_session_gets_in_use(self):
        server = self.start()
        first = self.connect(server)
        first.login("alice")
        second = self.connect(server)
        self.assertOk(second.cmd("USER alice"))
        r = second.cmd("PASS wonderland")
        self.assertTrue(r.startswith("-ERR [IN-USE] "), r)
        # Another user is not affected by alice's lock.
        third = self.connect(server)
        third.login("bob")
        # Once the first session ends, alice can log in again.
        self.assertTrue(first.cmd("QUIT").startswith("+OK"))
        self.login_retry(server, "alice")

    def test_quit_in_authorization(self):
        c = self.connect(self.start())
        self.assertTrue(c.cmd("QUIT").startswith("+OK"))
        c.expect_closed()


class Apop(Pop3TestCase):
    def test_apop_plaintext_user(self):
        c = self.connect(self.start())
        r = c.cmd("APOP bob " + apop_digest(c.greeting, "builder"))
        self.assertEqual(r, "+OK bob's maildrop has 1 messages (%d octets)"
                         % wire_size(BOB_MESSAGES[0]))

    def test_apop_wrong_digest(self):
        c = self.connect(self.start())
        r = c.cmd("APOP bob " + apop_digest(c.greeting, "builder-not"))
        self.assertTrue(r.startswith("-ERR [AUTH]"), r)

    def test_apop_digest_of_other_greeting_fails(self):
        # A digest is bound to one greeting's timestamp: no replay.
        server = self.start()
        old = self.connect(server)
        c = self.connect(server)
        r = c.cmd("APOP bob " + apop_digest(old.greeting, "builder"))
        self.assertTrue(r.startswith("-ERR [AUTH]"), r)

    def test_apop_hashed_user_fails(self):
        # alice is stored as SHA512-CRYPT: the server cannot compute her digest.
        c = self.connect(self.start())
        r = c.cmd("APOP alice " + apop_digest(c.greeting, "wonderland"))
        self.assertTrue(r.startswith("-ERR [AUTH]"), r)


class Transaction(Pop3TestCase):
    def setUp(self):
        super().setUp()
        self.server = self.start()
        self.c = self.connect(self.server)
        self.c.login("alice")

    def test_stat(self):
        self.assertEqual(self.c.cmd("STAT"), "+OK 3 %d" % ALICE_OCTETS)

    def test_list_all(self):
        r = self.c.cmd("LIST")
        self.assertOk(r)
        self.assertEqual(self.c.read_multiline(),
                         ["%d %d" % (i + 1, wire_size(m))
                          for i, m in enumerate(ALICE_MESSAGES)])

    def test_list_one(self):
        self.assertEqual(self.c.cmd("LIST 2"), "+OK 2 %d" % wire_size(ALICE_MESSAGES[1]))

    def test_list_out_of_range(self):
        self.assertEqual(self.c.cmd("LIST 4"),
                         "-ERR no such message, only 3 messages in maildrop")
        self.assertErr(self.c.cmd("LIST 0"))

    def test_bad_message_numbers(self):
        for arg in ("abc", "-1", "1x", "99999999999999999999", ""):
            line = ("RETR " + arg).rstrip()
            self.assertErr(self.c.cmd(line), line)
        self.assertErr(self.c.cmd("LIST 1 2"))
        self.assertErr(self.c.cmd("TOP 1"))
        self.assertOk(self.c.cmd("NOOP"), "session must go on after bad arguments")

    def test_retr_sends_crlf_message_with_exact_size(self):
        for i, msg in enumerate(ALICE_MESSAGES, 1):
            r = self.c.cmd("RETR %d" % i)
            self.assertEqual(r, "+OK %d octets" % wire_size(msg))
            raw = self.c.read_multiline_raw()
            unstuffed = b"".join(l[1:] if l.startswith(b".") else l for l in raw)
            self.assertEqual(unstuffed, crlf(msg))
            self.assertEqual(len(unstuffed), wire_size(msg))

    def test_retr_byte_stuffing(self):
        self.assertOk(self.c.cmd("RETR 2"))
        raw = self.c.read_multiline_raw()
        # RFC 1939 §3: a line starting with '.' goes out with one more '.'.
        self.assertIn(b"..profile\r\n", raw)
        self.assertIn(b"..\r\n", raw)
        self.assertIn(b"...two dots\r\n", raw)
        self.assertNotIn(b".profile\r\n", raw)

    def test_top(self):
        msg = ALICE_MESSAGES[2]
        head, body = crlf(msg).split(b"\r\n\r\n", 1)
        self.assertOk(self.c.cmd("TOP 3 0"))
        self.assertEqual(b"".join(self.c.read_multiline_raw()), head + b"\r\n\r\n")
        self.assertOk(self.c.cmd("TOP 3 2"))
        self.assertEqual(b"".join(self.c.read_multiline_raw()),
                         head + b"\r\n\r\n" + b"body line 1\r\nbody line 2\r\n")

    def test_top_more_lines_than_body(self):
        self.assertOk(self.c.cmd("TOP 1 100"))
        self.assertEqual(b"".join(self.c.read_multiline_raw()), crlf(ALICE_MESSAGES[0]))

    def test_top_stuffs_dots(self):
        self.assertOk(self.c.cmd("TOP 2 2"))
        raw = self.c.read_multiline_raw()
        self.assertEqual(raw[-1], b"..profile\r\n")

    def test_top_bad_arguments(self):
        self.assertErr(self.c.cmd("TOP 1 -1"))
        self.assertErr(self.c.cmd("TOP 9 0"))
        self.assertErr(self.c.cmd("TOP x 0"))

    def test_uidl(self):
        self.assertOk(self.c.cmd("UIDL"))
        lines = self.c.read_multiline()
        self.assertEqual(len(lines), 3)
        uids = []
        for n, line in enumerate(lines, 1):
            num, uid = line.split(" ")
            self.assertEqual(int(num), n)
            # RFC 1939 §7: 1 to 70 characters in 0x21..0x7E.
            self.assertRegex(uid, r"^[\x21-\x7e]{1,70}$")
            uids.append(uid)
        self.assertEqual(len(set(uids)), 3, "unique ids must differ")
        self.assertEqual(self.c.cmd("UIDL 2"), "+OK 2 " + uids[1])

    def test_uidl_persists_across_sessions_and_deletes(self):
        self.assertOk(self.c.cmd("UIDL"))
        before = dict(l.split(" ") for l in self.c.read_multiline())
        self.assertOk(self.c.cmd("DELE 1"))
        self.assertTrue(self.c.cmd("QUIT").startswith("+OK"))
        c2, _ = self.login_retry(self.server)
        self.assertOk(c2.cmd("UIDL"))
        after = dict(l.split(" ") for l in c2.read_multiline())
        # Message 2 and 3 are now 1 and 2, with the same unique ids.
        self.assertEqual(after, {"1": before["2"], "2": before["3"]})

    def test_dele(self):
        self.assertOk(self.c.cmd("DELE 1"))
        self.assertEqual(self.c.cmd("RETR 1"), "-ERR message 1 already deleted")
        self.assertEqual(self.c.cmd("DELE 1"), "-ERR message 1 already deleted")
        self.assertEqual(self.c.cmd("LIST 1"), "-ERR message 1 already deleted")
        self.assertErr(self.c.cmd("TOP 1 0"))
        self.assertErr(self.c.cmd("UIDL 1"))
        rest = ALICE_OCTETS - wire_size(ALICE_MESSAGES[0])
        self.assertEqual(self.c.cmd("STAT"), "+OK 2 %d" % rest)
        self.assertOk(self.c.cmd("LIST"))
        self.assertEqual([l.split()[0] for l in self.c.read_multiline()], ["2", "3"])
        self.assertOk(self.c.cmd("UIDL"))
        self.assertEqual([l.split()[0] for l in self.c.read_multiline()], ["2", "3"])

    def test_dele_out_of_range(self):
        self.assertEqual(self.c.cmd("DELE 7"),
                         "-ERR no such message, only 3 messages in maildrop")

    def test_rset(self):
        self.assertOk(self.c.cmd("DELE 1"))
        self.assertOk(self.c.cmd("DELE 3"))
        self.assertEqual(self.c.cmd("RSET"),
                         "+OK maildrop has 3 messages (%d octets)" % ALICE_OCTETS)
        self.assertEqual(self.c.cmd("STAT"), "+OK 3 %d" % ALICE_OCTETS)
        self.assertOk(self.c.cmd("RETR 1"))
        self.c.read_multiline_raw()

    def test_noop(self):
        self.assertOk(self.c.cmd("NOOP"))

    def test_quit_deletes_marked_messages(self):
        files = self.maildir_files("alice")
        self.assertEqual(len(files), 3)
        self.assertOk(self.c.cmd("DELE 2"))
        self.assertEqual(self.c.cmd("QUIT"),
                         "+OK maillab POP3 server signing off (2 messages left)")
        self.c.expect_closed()
        self.assertEqual(len(self.maildir_files("alice")), 2)
        c2, r = self.login_retry(self.server)
        left = ALICE_OCTETS - wire_size(ALICE_MESSAGES[1])
        self.assertEqual(r, "+OK alice's maildrop has 2 messages (%d octets)" % left)
        self.assertOk(c2.cmd("RETR 2"))
        self.assertEqual(b"".join(c2.read_multiline_raw()), crlf(ALICE_MESSAGES[2]))

    def test_quit_empties_maildrop(self):
        for n in (1, 2, 3):
            self.assertOk(self.c.cmd("DELE %d" % n))
        self.assertEqual(self.c.cmd("QUIT"),
                         "+OK maillab POP3 server signing off (maildrop empty)")
        self.c.expect_closed()
        self.assertEqual(self.maildir_files("alice"), [])

    def test_dropped_connection_deletes_nothing(self):
        self.assertOk(self.c.cmd("DELE 1"))
        self.assertOk(self.c.cmd("DELE 2"))
        self.c.close()
        c2, r = self.login_retry(self.server)
        self.assertEqual(r, "+OK alice's maildrop has 3 messages (%d octets)" % ALICE_OCTETS)
        self.assertEqual(len(self.maildir_files("alice")), 3)

    def test_mail_delivered_during_session_waits_for_next(self):
        # RFC 1939 §8: the maildrop is fixed for the session; numbers stay stable.
        self.deliver("alice", b"Subject: late\n\nlate\n")
        self.assertEqual(self.c.cmd("STAT"), "+OK 3 %d" % ALICE_OCTETS)
        self.assertTrue(self.c.cmd("QUIT").startswith("+OK"))
        c2, r = self.login_retry(self.server)
        self.assertTrue(r.startswith("+OK alice's maildrop has 4 messages"), r)


class WrongState(Pop3TestCase):
    def test_transaction_commands_before_login(self):
        c = self.connect(self.start())
        for cmd in ("STAT", "LIST", "RETR 1", "DELE 1", "RSET", "UIDL", "TOP 1 0", "NOOP"):
            r = c.cmd(cmd)
            self.assertErr(r, "%s before login: %r" % (cmd, r))
        r = c.cmd("STAT")
        self.assertTrue(re.search(r"AUTHORIZATION", r, re.I),
                        "the reply should name the state: %r" % r)

    def test_authorization_commands_after_login(self):
        c = self.connect(self.start())
        c.login("alice")
        for cmd in ("USER alice", "PASS wonderland", "APOP bob 0123", "AUTH PLAIN"):
            self.assertErr(c.cmd(cmd), cmd)
        r = c.cmd("STLS")
        self.assertErr(r)
        self.assertTrue(re.search(r"TRANSACTION|AUTHORIZATION", r, re.I),
                        "the reply should name the state: %r" % r)
        self.assertEqual(c.cmd("STAT"), "+OK 3 %d" % ALICE_OCTETS)

    def test_unknown_command(self):
        c = self.connect(self.start())
        self.assertErr(c.cmd("XYZZY"))
        c.login("alice")
        self.assertErr(c.cmd("XYZZY 1 2"))
        self.assertOk(c.cmd("NOOP"))


if __name__ == "__main__":
    unittest.main()
