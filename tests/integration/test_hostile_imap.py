"""test_hostile_imap.py - the hostile-input suite, IMAP cases (issue:
"Robustness", items 1, 4, 5, 6, 7, 8 and 13).

Each test sends what an attacker (or a broken client) would send, checks
the reply, checks that nothing outside the user's Maildir was touched and
that memory stayed bounded where that is the point, and ends with
still_serving(): the server keeps serving other sessions.
"""

import os
import shutil
import time
import unittest

from harness import tls_context
from imap_harness import ImapTestCase
from robust_harness import (rss_kib, sanitized, send_stream, session_pids,
                            still_serving, wait_new_session)

# the same framing code as POP3's 4 GiB case (test_hostile_pop3.py);
# MAILLAB_HOSTILE_STREAM=4294967296 streams 4 GiB here too
STREAM = int(os.environ.get("MAILLAB_HOSTILE_STREAM", str(256 << 20)))


class Hostile(ImapTestCase):
    def setUp(self):
        super().setUp()
        self.server = self.start()

    def tearDown(self):
        if self.server.alive():
            still_serving(self, self.server, "imap")

    def client(self, login=True, select=None):
        """A raw client and the pid of its session process."""
        before = session_pids(self.server)
        c = self.raw(self.server)
        pid = wait_new_session(self.server, before)
        if login:
            c.login(select=select)
        return c, pid

    def literal_refused(self, c, tag, text):
        """Send a command ending in a literal announcement; the tagged
        answer must come at once, with no '+' before it."""
        lines = c.command(tag, text)
        self.assertEqual(len(lines), 1, lines)
        return lines[0].decode("latin-1")


class StartTlsInjection(Hostile):
    """1. STARTTLS with a command pipelined behind it: the command is
    never run, and the session starts over (RFC 9051 §6.2.1)."""

    def test_pipelined_login_is_discarded(self):
        c, _ = self.client(login=False)
        c.send(b"a STARTTLS\r\nb LOGIN alice wonderland\r\n")
        self.assertEqual(c.response("a")[-1], b"a OK Begin TLS negotiation now")
        c.starttls(tls_context(self.data))
        self.assertTrue(c.nothing_pending())  # nothing answers b
        r = c.tagged("c", "SELECT INBOX")
        self.assertTrue(r.startswith("c BAD SELECT is not valid in the "
                                     "NOT AUTHENTICATED state"), r)
        self.assertTrue(self.server.wait_trace(r"discarded \d+ octets pipelined"))


class Overlong(Hostile):
    """4. A line over IMAP_LINE_MAX (8192) gets one BAD [TOOBIG]; a stream
    with no line end at all keeps the session's memory bounded."""

    def test_line_over_the_limit(self):
        c, _ = self.client()
        r = c.tagged("a", "NOOP " + "x" * 9000)
        self.assertTrue(r.startswith("a BAD [TOOBIG] line too long"), r)
        self.assertEqual(c.tagged("b", "NOOP"), "b OK NOOP completed")

    def test_endless_line(self):
        c, pid = self.client()
        before = rss_kib(pid)
        c.send(b"a NOOP ")
        send_stream(c.sock, STREAM)
        line = c.readline()
        self.assertTrue(line.startswith("a BAD [TOOBIG] line too long"), line)
        c.send(b"\r\n")
        self.assertEqual(c.tagged("b", "NOOP"), "b OK NOOP completed")
        grown = rss_kib(pid) - before
        self.assertLess(grown, 1024, "session grew by %d KiB" % grown)


class Literals(Hostile):
    """5. Literals: capped small before login, size parsing that cannot
    overflow, refused before any '+' is sent, never allocated at the
    declared size, and one cut off by a disconnect changes nothing."""

    def test_preauth_literal_capped(self):
        c, _ = self.client(login=False)
        r = self.literal_refused(c, "a", "LOGIN {2000}")
        self.assertTrue(r.startswith("a NO [TOOBIG] literal too large "
                                     "(limit 1024 octets before login)"), r)
        # a small one is fine: LOGIN with literals
        c.send(b"b LOGIN {5}\r\n")
        self.assertEqual(c.read_with_literals(), b"+ Ready for literal data")
        c.send(b"alice {10}\r\n")
        self.assertEqual(c.read_with_literals(), b"+ Ready for literal data")
        c.send(b"wonderland\r\n")
        self.assertTrue(c.response("b")[-1].startswith(b"b OK"))

    def test_preauth_non_synchronizing_over_the_cap(self):
        c, _ = self.client(login=False)
        c.send(b"a LOGIN {65537+}\r\n")
        lines = [c.readline(), c.readline()]
        self.assertTrue(lines[0].startswith("a BAD [TOOBIG] non-synchronizing "
                                            "literal too large"), lines)
        self.assertTrue(lines[1].startswith("* BYE"), lines)
        c.expect_closed()

    def test_huge_sizes(self):
        c, _ = self.client()
        for size in ("4294967296", "999999999999", "9" * 40, "18446744073709551616"):
            with self.subTest(size=size):
                r = self.literal_refused(c, "a", "APPEND INBOX {%s}" % size)
                self.assertTrue(r.startswith("a NO [TOOBIG] literal too large"), r)
        self.assertEqual(c.tagged("b", "NOOP"), "b OK NOOP completed")

    def test_not_allocated_at_the_declared_size(self):
        c, pid = self.client()
        before = rss_kib(pid)
        c.send(b"a APPEND INBOX {30000000}\r\n")
        self.assertEqual(c.read_with_literals(), b"+ Ready for literal data")
        c.send(b"Subject: short\r\n\r\n")
        self.assertTrue(c.nothing_pending())
        grown = rss_kib(pid) - before
        self.assertLess(grown, 4096, "the session took %d KiB for a literal "
                        "of 18 octets" % grown)

    def test_cut_off_by_disconnect(self):
        c, _ = self.client()
        count = len(self.folder_files())
        c.send(b"a APPEND INBOX {100}\r\n")
        self.assertEqual(c.read_with_literals(), b"+ Ready for literal data")
        c.send(b"Subject: half\r\n\r\nonly")
        c.close()
        self.assertTrue(self.server.wait_trace(r"octets of a literal still to come"))
        self.assertEqual(len(self.folder_files()), count)


class ParserAbuse(Hostile):
    """6. Deep nesting, NUL in strings, impossible dates and wildcard
    patterns over many mailboxes are refused or answered, each in
    bounded time and memory."""

    def test_nested_parentheses(self):
        c, _ = self.client(select="INBOX")
        r = c.tagged("a", "SEARCH " + "(" * 3000 + "ALL" + ")" * 3000)
        self.assertTrue(r.startswith("a BAD"), r)
        self.assertIn("nested", r)

    def test_nul_in_quoted_string(self):
        c, _ = self.client(login=False)
        self.assertEqual(c.tagged("a", b'LOGIN "al\0ice" "x"'),
                         "a BAD NUL octet in command")

    def test_invalid_append_dates(self):
        c, _ = self.client()
        count = len(self.folder_files())
        for date in ("31-Feb-2026 10:00:00 +0000", "1-Xyz-2026 10:00:00 +0000",
                     "1-Jan-2026 25:61:61 +0000", "1-Jan-2026 10:00:00 +9999",
                     "1-Jan-99999999999 10:00:00 +0000", "%n%s%x"):
            with self.subTest(date=date):
                c.send(('a APPEND INBOX "%s" {6}\r\n' % date).encode())
                first = c.read_with_literals()
                if first == b"+ Ready for literal data":
                    c.send(b"x: y\r\n\r\n")
                    first = c.response("a")[-1]
                self.assertTrue(first.startswith(b"a BAD"), first)
        self.assertEqual(len(self.folder_files()), count)

    def test_wildcards_over_a_thousand_mailboxes(self):
        root = self.maildir()
        for i in range(1000):
            for sub in ("cur", "new", "tmp"):
                os.makedirs(os.path.join(root, ".box%d.sub%d" % (i // 10, i), sub))
        c, pid = self.client()
        lines = c.command("a", 'LIST "" "*%*%*%*%*%"', timeout=60)
        self.assertTrue(lines[-1].startswith(b"a OK"), lines[-1])
        self.assertGreaterEqual(len(lines), 1000)
        lines = c.command("b", 'LIST "" "%%%%%%%%%%%%%/*%*%*%*%*%*%*%*%*%*%*%*%*%*x"',
                          timeout=60)
        self.assertTrue(lines[-1].startswith(b"b OK"), lines[-1])


class Names(Hostile):
    """7. Mailbox and user names that try to leave the data directory are
    refused by one check (maildir_folder_path), and a symlink planted in
    the Maildir cannot lead out of it (opened with O_NOFOLLOW)."""

    def test_escaping_names(self):
        c, _ = self.client()
        names = ['"../x"', '"/etc"', '"a/../../b"', '"../../../../tmp/x"',
                 '"~root"', '"~/x"', '".hidden"', '"a//b"', '"' + "n" * 300 + '"']
        for name in names:
            with self.subTest(name=name):
                r = c.tagged("a", "CREATE " + name)
                self.assertTrue(r.startswith("a NO") or r.startswith("a BAD"), r)
        c.send(b"b CREATE {3}\r\n")
        self.assertEqual(c.read_with_literals(), b"+ Ready for literal data")
        c.send(b"a\x01b\r\n")
        self.assertTrue(c.response("b")[-1].startswith((b"b NO", b"b BAD")))
        # nothing appeared next to the user's Maildir or the data dir
        self.assertEqual(sorted(os.listdir(os.path.join(self.data, "mail"))),
                         ["alice", "bob"])
        self.assertEqual(sorted(os.listdir(os.path.join(self.data, "mail", "alice"))),
                         ["Maildir"])

    def test_user_names(self):
        c, _ = self.client(login=False)
        # three failures end the session (IMAP_AUTH_FAILURES_MAX)
        for user in ('"../alice"', '"alice/../bob"', '"/etc/passwd"'):
            with self.subTest(user=user):
                lines = c.command("a", "LOGIN %s wonderland" % user)
                self.assertTrue(lines[-1].startswith(b"a NO"), lines)

    def test_symlink_cannot_escape(self):
        outside = os.path.join(self.data, "outside")
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(outside, sub))
        with open(os.path.join(outside, "cur", "1.M1.x:2,"), "w") as f:
            f.write("Subject: secret\n\nnot yours\n")
        os.symlink(outside, os.path.join(self.maildir(), ".evil"))
        c, _ = self.client()
        for cmd in ("SELECT evil", "EXAMINE evil", "STATUS evil (MESSAGES)",
                    "DELETE evil", "RENAME evil other", "CREATE evil/child"):
            with self.subTest(cmd=cmd):
                r = c.tagged("a", cmd)
                self.assertTrue(r.startswith("a NO"), r)
        c.send(b"b APPEND evil {6}\r\n")
        first = c.read_with_literals()
        if first == b"+ Ready for literal data":
            c.send(b"x: y\r\n\r\n")
            first = c.response("b")[-1]
        self.assertTrue(first.startswith(b"b NO"), first)
        self.assertEqual(sorted(os.listdir(os.path.join(outside, "cur"))), ["1.M1.x:2,"])
        self.assertEqual(os.listdir(os.path.join(outside, "new")), [])
        self.assertTrue(os.path.islink(os.path.join(self.maildir(), ".evil")))


class ModifiedUtf7(Hostile):
    """8. Mailbox names in modified UTF-7 (RFC 3501 §5.1.3): one spelling
    per name; anything else is refused and creates nothing."""

    def test_edge_cases(self):
        c, _ = self.client()
        good = {"&Jjo-": ".&Jjo-", "&-": ".&-", "Entw&APw-rfe": ".Entw&APw-rfe",
                "&2D3eAA-": ".&2D3eAA-"}  # U+1F600, a surrogate pair
        for name, folder in good.items():
            with self.subTest(name=name):
                self.assertTrue(c.tagged("a", 'CREATE "%s"' % name).startswith("a OK"))
                self.assertTrue(os.path.isdir(os.path.join(self.maildir(), folder)))
        before = sorted(os.listdir(self.maildir()))
        bad = [b'"&Jjo"', b'"&AGE-"', b'"&AAA-"', b'"&Jjo-&Jjo-"', b'"&&-"',
               b'"Entw\xc3\xbcrfe"', b'"' + b"a" * 2000 + b'"', b'"&2D0-"',
               b'"&3gA-"']  # lone surrogates
        for name in bad:
            with self.subTest(name=name):
                r = c.tagged("b", b"CREATE " + name)
                self.assertTrue(r.startswith("b NO") or r.startswith("b BAD"), r)
        c.send(b"c CREATE {4}\r\n")
        self.assertEqual(c.read_with_literals(), b"+ Ready for literal data")
        c.send(b"a\tb\x7f\r\n")
        self.assertTrue(c.response("c")[-1].startswith((b"c NO", b"c BAD")))
        self.assertEqual(sorted(os.listdir(self.maildir())), before)


class MalformedMessages(Hostile):
    """13. Messages built to exhaust a parser: FETCH BODYSTRUCTURE and
    ENVELOPE answer each within bounded memory (depth and part caps are
    applied when the message is parsed)."""

    def deliver_raw(self, text):
        root = self.maildir()
        name = "%d.M%dP1.hostile" % (time.time(), len(os.listdir(os.path.join(root, "cur"))))
        with open(os.path.join(root, "cur", name + ":2,"), "wb") as f:
            f.write(text)

    def fetch_all(self, c, pid, items):
        before = rss_kib(pid)
        for i, (what) in enumerate(items):
            lines = c.command("f%d" % i, "FETCH 1:* (%s)" % what, timeout=120)
            self.assertTrue(lines[-1].startswith(b"f%d OK" % i), lines[-1][:200])
        return rss_kib(pid) - before

    def test_hostile_messages(self):
        many = b", ".join(b"user%d@x.test" % i for i in range(100000))
        self.deliver_raw(b"To: " + many + b"\r\nSubject: many\r\n\r\nbody\r\n")
        self.deliver_raw(b"Subject: " + b"h" * (10 << 20) + b"\r\n\r\nbody\r\n")
        self.deliver_raw(b"Sub\0ject: nul\r\nFr\0om: a@b\r\n\r\nbody\r\n")
        nest = b"".join(b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i)
                        for i in range(10000))
        self.deliver_raw(b"MIME-Version: 1.0\r\n" + nest + b"\r\ninnermost\r\n")
        self.deliver_raw(b"To: Ned <ned@innosoft.c)m>, x)y@z\r\n\r\nstray paren\r\n")
        c, pid = self.client(select="INBOX")
        grown = self.fetch_all(c, pid, ["BODYSTRUCTURE", "ENVELOPE", "BODY",
                                        "BODY.PEEK[HEADER.FIELDS (TO SUBJECT)]",
                                        "BODY.PEEK[1.1.1.1.1.1.1.1.1.1]"])
        # the answers themselves are large (100,000 addresses, a 10 MB
        # line: some 30 MB at once); what is checked is that nothing grows
        # with the nesting or with the size of a part.  AddressSanitizer
        # keeps freed memory aside (256 MB by default) before reusing it.
        limit = 64 * 1024 + (320 * 1024 if sanitized(pid) else 0)
        self.assertLess(grown, limit, "FETCH grew the session by %d KiB" % grown)
        r = c.tagged("s", 'SEARCH TO "user99999@x.test"')
        self.assertTrue(r.startswith("s OK"), r)


if __name__ == "__main__":
    unittest.main()
