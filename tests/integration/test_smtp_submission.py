"""test_smtp_submission.py - the submission role (RFC 6409, RFC 4954):
AUTH where it may be used, the cleartext policy, the sender check, the
headers a submission server completes, and the route table.
"""

import os
import unittest

from harness import b64, tls_context
from smtp_harness import SmtpTestCase


class Submission(SmtpTestCase):
    def setUp(self):
        super().setUp()
        self.server = self.start_smtpd()

    def test_auth_required_before_mail(self):
        c = self.smtp(self.server, "starttls:submission")
        caps = c.ehlo()
        self.assertIn("STARTTLS", caps)
        # loopback: the default policy allows cleartext passwords
        self.assertEqual(caps["AUTH"], ["PLAIN", "LOGIN"])
        self.assertReply(c.cmd("MAIL FROM:<alice@maillab.test>"), 530, "5.7.0")
        c.login("alice")
        caps = c.ehlo()
        self.assertNotIn("AUTH", caps)  # nothing left to do
        self.assertReply(c.cmd("AUTH PLAIN " + b64("\0alice\0wonderland")), 503, "5.5.1")
        self.assertReply(c.cmd("MAIL FROM:<alice@maillab.test>"), 250)

    def test_auth_login_and_failures(self):
        c = self.smtp(self.server, "starttls:submission")
        c.ehlo()
        self.assertReply(c.cmd("AUTH PLAIN " + b64("\0alice\0wrong")), 535, "5.7.8")
        self.assertEqual(c.cmd("AUTH LOGIN")[0], 334)
        self.assertEqual(c.cmd(b64("bob"))[0], 334)
        self.assertReply(c.cmd(b64("builder")), 235, "2.7.0")
        self.assertTrue(self.server.wait_trace(r"auth LOGIN ok for bob"))

    def test_cram_md5_accepted_not_listed(self):
        import hmac
        c = self.smtp(self.server, "starttls:submission")
        self.assertNotIn("CRAM-MD5", c.ehlo()["AUTH"])
        code, chal = c.cmd("AUTH CRAM-MD5")
        self.assertEqual(code, 334)
        import base64
        digest = hmac.new(b"builder", base64.b64decode(chal), "md5").hexdigest()
        self.assertReply(c.cmd(b64("bob " + digest)), 235, "2.7.0")

    def test_too_many_failures_close(self):
        c = self.smtp(self.server, "starttls:submission")
        c.ehlo()
        for _ in range(2):
            self.assertReply(c.cmd("AUTH PLAIN " + b64("\0alice\0nope")), 535)
        self.assertReply(c.cmd("AUTH PLAIN " + b64("\0alice\0nope")), 421, "4.7.0")
        c.expect_closed()

    def test_sender_must_be_the_user(self):
        c = self.submission(self.server, "alice")
        self.assertReply(c.cmd("MAIL FROM:<bob@maillab.test>"), 553, "5.7.1")
        self.assertReply(c.cmd("MAIL FROM:<alice@elsewhere.test>"), 553, "5.7.1")
        self.assertReply(c.cmd("MAIL FROM:<>"), 553, "5.7.1")
        self.assertReply(c.cmd("MAIL FROM:<Alice@localhost>"), 250)

    def test_submission_completes_headers(self):
        c = self.submission(self.server, "alice")
        body = b"Subject: bare\r\n\r\nno date, no id\r\n"
        self.assertReply(c.send_message("alice@maillab.test", ["bob@maillab.test"], body), 250)
        body2 = (b"Date: Mon, 02 Nov 2026 09:00:00 +0000\r\nMessage-ID: <mine@x.test>\r\n"
                 b"Subject: full\r\n\r\nhas both\r\n")
        self.assertReply(c.send_message("alice@maillab.test", ["bob@maillab.test"], body2), 250)
        first, second = self.stored("bob")
        head = first.split(b"\n\n")[0]
        self.assertRegex(head, rb"\nDate: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}\n")
        self.assertRegex(head, rb"\nMessage-ID: <[^>]+@mx\.maillab\.test>\n")
        self.assertIn(b"with ESMTPSA id", head)  # TLS and AUTH
        head2 = second.split(b"\n\n")[0]
        self.assertEqual(head2.count(b"Date:"), 1)
        self.assertEqual(head2.count(b"Message-ID:"), 1)
        self.assertIn(b"Message-ID: <mine@x.test>", head2)

    def test_no_route(self):
        c = self.submission(self.server, "alice")
        self.assertReply(c.cmd("MAIL FROM:<alice@maillab.test>"), 250)
        self.assertReply(c.cmd("RCPT TO:<carol@nowhere.test>"), 550, "5.1.2")
        with open(os.path.join(self.data, "routes"), "w") as f:
            f.write("# test routes\nnowhere.test 127.0.0.1:9\n")
        # the table is read at each lookup: no restart needed
        self.assertReply(c.cmd("RCPT TO:<carol@nowhere.test>"), 250, "2.1.5")

    def test_submissions_port_is_tls(self):
        c = self.smtp(self.server, "tls:submission")
        self.assertTrue(c.tls)
        caps = c.ehlo()
        self.assertNotIn("STARTTLS", caps)
        self.assertIn("AUTH", caps)


class CleartextNever(SmtpTestCase):
    """--cleartext never: passwords only after TLS (RFC 4954 §6, 538)."""

    def test_auth_before_tls_refused(self):
        server = self.start_smtpd(extra=["--cleartext", "never"])
        c = self.smtp(server, "starttls:submission")
        caps = c.ehlo()
        self.assertNotIn("AUTH", caps)
        self.assertReply(c.cmd("AUTH PLAIN " + b64("\0alice\0wonderland")), 538, "5.7.11")
        self.assertReply(c.cmd("AUTH LOGIN"), 538, "5.7.11")
        self.assertReply(c.cmd("MAIL FROM:<alice@maillab.test>"), 530, "5.7.0")
        c.starttls_upgrade(tls_context(self.data))
        caps = c.ehlo()
        self.assertEqual(caps["AUTH"], ["PLAIN", "LOGIN"])
        c.login("alice")
        self.assertReply(c.cmd("MAIL FROM:<alice@maillab.test>"), 250)
        self.assertTrue(server.wait_trace(r"refused cleartext password"))


if __name__ == "__main__":
    unittest.main()
