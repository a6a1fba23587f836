"""test_imap_tls.py - STARTTLS (RFC 9051 §6.2.1), implicit TLS (RFC 8314
§3.3), and the cleartext policy: LOGINDISABLED where a password may not
cross without TLS (RFC 9051 §6.2.3).

Includes the CVE-2011-0411 check: a command pipelined in plaintext behind
STARTTLS must be thrown away, never run as if it had come over TLS.
"""

import imaplib
import unittest

from harness import b64, tls_context
from imap_harness import ImapTestCase


class StartTls(ImapTestCase):
    def setUp(self):
        super().setUp()
        self.server = self.start()

    def test_imaplib_starttls(self):
        m = self.imaplib(self.server, "starttls", starttls=True)
        self.assertIn(m.sock.version(), ("TLSv1.2", "TLSv1.3"))
        caps = self.assertOk(m.capability())[0].split()
        # RFC 9051 §6.2.1: no STARTTLS once TLS is up
        self.assertNotIn(b"STARTTLS", caps)
        self.assertIn(b"AUTH=PLAIN", caps)
        self.assertOk(m.login("alice", "wonderland"))
        self.assertEqual(self.assertOk(m.select()), [b"3"])
        self.assertTrue(self.server.wait_trace(r"tls TLSv1\.[23] "))

    def test_imaps(self):
        m = self.imaplib(self.server, "tls")
        self.assertOk(m.login("alice", "wonderland"))
        self.assertEqual(self.assertOk(m.select()), [b"3"])
        self.assertNotIn(b"STARTTLS", self.assertOk(m.capability())[0])

    def test_starttls_twice(self):
        c = self.raw(self.server, "starttls")
        self.assertEqual(c.tagged("a", "STARTTLS"), "a OK Begin TLS negotiation now")
        c.starttls(tls_context(self.data))
        self.assertEqual(c.tagged("b", "STARTTLS"), "b BAD TLS is already active")
        c.login("alice")

    def test_pipelined_command_after_starttls_is_discarded(self):
        c = self.raw(self.server, "starttls")
        c.send("a STARTTLS\r\nb LOGIN alice wonderland\r\n")
        self.assertEqual(c.read_with_literals().decode(),
                         "a OK Begin TLS negotiation now")
        c.starttls(tls_context(self.data))
        # were the plaintext LOGIN run, this would be AUTHENTICATED
        self.assertEqual(c.tagged("c", "SELECT INBOX"),
                         "c BAD SELECT is not valid in the NOT AUTHENTICATED "
                         "state: log in first")
        self.assertTrue(self.server.wait_trace(r"discarded \d+ octets pipelined"))

    def test_no_starttls_on_the_tls_port(self):
        c = self.raw(self.server, "tls")
        self.assertNotIn("STARTTLS", c.greeting)
        self.assertEqual(c.tagged("a", "STARTTLS"), "a BAD TLS is already active")


class CleartextNever(ImapTestCase):
    """--cleartext never: the policy for a server on an open network."""

    def setUp(self):
        super().setUp()
        self.server = self.start(extra=("--cleartext", "never"))

    def test_logindisabled_until_tls(self):
        c = self.raw(self.server, "starttls")
        self.assertIn(" STARTTLS LOGINDISABLED]", c.greeting)
        self.assertNotIn("AUTH=", c.greeting)
        self.assertEqual(c.tagged("a", "LOGIN alice wonderland"),
                         "a NO [PRIVACYREQUIRED] passwords are refused on an "
                         "unencrypted connection: use STARTTLS first")
        r = c.tagged("b", "AUTHENTICATE PLAIN " + b64("\0alice\0wonderland"))
        self.assertTrue(r.startswith("b NO [PRIVACYREQUIRED]"), r)
        self.assertEqual(c.tagged("c", "STARTTLS"), "c OK Begin TLS negotiation now")
        c.starttls(tls_context(self.data))
        r = c.tagged("d", "AUTHENTICATE PLAIN " + b64("\0alice\0wonderland"))
        self.assertTrue(r.startswith("d OK [CAPABILITY"), r)

    def test_imaplib_sees_logindisabled(self):
        m = self.imaplib(self.server, "starttls")
        self.assertIn("LOGINDISABLED", m.capabilities)
        with self.assertRaises(imaplib.IMAP4.error):
            m.login("alice", "wonderland")

    def test_imaps_allows_login(self):
        m = self.imaplib(self.server, "tls")
        self.assertOk(m.login("alice", "wonderland"))


class Authenticate(ImapTestCase):
    def setUp(self):
        super().setUp()
        self.server = self.start()

    def test_authenticate_plain_with_continuation(self):
        c = self.raw(self.server, "starttls")
        c.send("a AUTHENTICATE PLAIN\r\n")
        self.assertEqual(c.read_with_literals(), b"+ ")
        c.send(b64("\0bob\0builder") + "\r\n")
        self.assertTrue(c.response("a")[-1].startswith(b"a OK [CAPABILITY "))

    def test_imaplib_authenticate_login(self):
        m = self.imaplib(self.server, "tls")
        answers = iter([b"alice", b"wonderland"])
        self.assertOk(m.authenticate("LOGIN", lambda challenge: next(answers)))
        self.assertEqual(self.assertOk(m.select()), [b"3"])

    def test_cram_md5_works_unlisted(self):
        # accepted for users stored in plaintext, but not advertised:
        # clients pick the strongest mechanism listed (see imap_reply.c)
        m = self.imaplib(self.server, "tls")
        self.assertNotIn("AUTH=CRAM-MD5", m.capabilities)
        self.assertOk(m.login_cram_md5("bob", "builder"))

    def test_failed_logins_are_slowed_and_end_the_session(self):
        c = self.raw(self.server, "starttls")
        for tag in ("a", "b"):
            self.assertEqual(c.tagged(tag, "LOGIN alice wrong"),
                             "%s NO [AUTHENTICATIONFAILED] invalid user name "
                             "or password" % tag)
        lines = c.command("c", "LOGIN alice wrong")
        self.assertEqual(lines[0], b"* BYE too many failed logins")
        c.expect_closed()
        self.assertTrue(self.server.wait_trace(r"auth LOGIN failed for \"alice\""))


if __name__ == "__main__":
    unittest.main()
