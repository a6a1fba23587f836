"""test_smtp_clients.py - real clients against smtpd, the way a student
(or a lab handout) would use them: Python's smtplib, curl and swaks.
"""

import os
import shutil
import smtplib
import subprocess
import unittest

from harness import curl, tls_context
from smtp_harness import SmtpTestCase, body_after_headers

MESSAGE = (b"From: Alice <alice@maillab.test>\r\nTo: Bob <bob@maillab.test>\r\n"
           b"Subject: from a real client\r\n\r\nHello Bob,\r\n.a line with a dot\r\n"
           b"..and two\r\nbye\r\n")


def lf(data):
    return data.replace(b"\r\n", b"\n")


class Smtplib(SmtpTestCase):
    def setUp(self):
        super().setUp()
        self.server = self.start_smtpd()
        self.ctx = tls_context(self.data)

    def client(self, mode, cls=smtplib.SMTP, **kw):
        s = cls("127.0.0.1", self.server.port_for(mode), timeout=20, **kw)
        self.addCleanup(s.close)
        return s

    def test_plain_mx(self):
        s = self.client("starttls:mx")
        refused = s.sendmail("carol@elsewhere.test", ["bob@maillab.test"], MESSAGE)
        self.assertEqual(refused, {})
        s.quit()
        [msg] = self.stored("bob")
        self.assertEqual(body_after_headers(msg), lf(MESSAGE).split(b"\n\n", 1)[1])

    def test_mx_refuses_relay(self):
        s = self.client("starttls:mx")
        with self.assertRaises(smtplib.SMTPRecipientsRefused) as cm:
            s.sendmail("carol@elsewhere.test", ["someone@example.org"], MESSAGE)
        code, text = cm.exception.recipients["someone@example.org"]
        self.assertEqual(code, 554)
        self.assertIn(b"Relay access denied", text)

    def test_starttls_and_login_on_submission(self):
        s = self.client("starttls:submission")
        s.ehlo()
        self.assertTrue(s.has_extn("starttls"))
        s.starttls(context=self.ctx)
        s.ehlo()
        s.login("alice", "wonderland")  # smtplib tries CRAM-MD5 only if listed
        s.sendmail("alice@maillab.test", ["bob@maillab.test"], MESSAGE)
        s.quit()
        [msg] = self.stored("bob")
        self.assertIn(b"with ESMTPSA", msg)
        self.assertTrue(msg.endswith(b"\nbye\n"))

    def test_smtps_on_submissions(self):
        s = self.client("tls:submission", cls=smtplib.SMTP_SSL, context=self.ctx)
        s.login("bob", "builder")
        s.sendmail("bob@maillab.test", ["alice@maillab.test"], MESSAGE)
        s.quit()
        self.assertEqual(len(self.stored("alice")), 1)

    def test_unauthenticated_submission_refused(self):
        s = self.client("starttls:submission")
        with self.assertRaises(smtplib.SMTPSenderRefused) as cm:
            s.sendmail("alice@maillab.test", ["bob@maillab.test"], MESSAGE)
        self.assertEqual(cm.exception.smtp_code, 530)
        self.assertEqual(self.stored("bob"), [])


class Curl(SmtpTestCase):
    def setUp(self):
        super().setUp()
        self.server = self.start_smtpd()
        self.ca = os.path.join(self.data, "tls", "ca.pem")
        self.mail = os.path.join(self.data, "message.eml")
        with open(self.mail, "wb") as f:
            f.write(MESSAGE)

    def test_smtp_mx(self):
        rc, out, err = curl("smtp://127.0.0.1:%d" % self.server.port_for("starttls:mx"),
                            "--mail-from", "carol@elsewhere.test",
                            "--mail-rcpt", "bob@maillab.test", "-T", self.mail)
        self.assertEqual(rc, 0, err)
        [msg] = self.stored("bob")
        self.assertTrue(msg.endswith(lf(MESSAGE).split(b"\n\n", 1)[1]))

    def test_ssl_reqd_submission(self):
        rc, out, err = curl("smtp://localhost:%d" % self.server.port_for("starttls:submission"),
                            "--ssl-reqd", "--cacert", self.ca, "-u", "alice:wonderland",
                            "--mail-from", "alice@maillab.test",
                            "--mail-rcpt", "bob@maillab.test", "-T", self.mail)
        self.assertEqual(rc, 0, err)
        [msg] = self.stored("bob")
        self.assertIn(b"with ESMTPSA", msg)

    def test_smtps_submissions(self):
        rc, out, err = curl("smtps://localhost:%d" % self.server.port_for("tls:submission"),
                            "--cacert", self.ca, "-u", "bob:builder",
                            "--mail-from", "bob@maillab.test",
                            "--mail-rcpt", "alice@maillab.test", "-T", self.mail)
        self.assertEqual(rc, 0, err)
        self.assertEqual(len(self.stored("alice")), 1)

    def test_wrong_sender_refused(self):
        rc, out, err = curl("smtps://localhost:%d" % self.server.port_for("tls:submission"),
                            "--cacert", self.ca, "-u", "bob:builder",
                            "--mail-from", "alice@maillab.test",
                            "--mail-rcpt", "alice@maillab.test", "-T", self.mail)
        self.assertNotEqual(rc, 0)
        self.assertIn("553", err)
        self.assertEqual(self.stored("alice"), [])


class Swaks(SmtpTestCase):
    """swaks, the Swiss army knife of SMTP (apt-get install swaks)."""

    def setUp(self):
        super().setUp()
        if shutil.which("swaks") is None:
            raise unittest.SkipTest("swaks is not installed")
        self.server = self.start_smtpd(extra=["--advertise-cram-md5"])
        self.ca = os.path.join(self.data, "tls", "ca.pem")

    def swaks(self, mode, *args):
        r = subprocess.run(["swaks", "--server", "127.0.0.1",
                            "--port", str(self.server.port_for(mode)),
                            "--timeout", "10", "--tls-ca-path", self.ca,
                            "--helo", "swaks.test", *args],
                           capture_output=True, timeout=30)
        return r.returncode, r.stdout.decode(errors="replace")

    def test_pipeline_mx_with_dot_lines(self):
        body = "Subject: dots\n\n.one dot\n..two dots\n.\nend"
        rc, out = self.swaks("starttls:mx", "--pipeline", "--from", "carol@elsewhere.test",
                             "--to", "alice@maillab.test", "--data", body)
        self.assertEqual(rc, 0, out)
        self.assertNotIn("<** ", out)  # swaks marks error replies so
        [msg] = self.stored("alice")
        self.assertTrue(msg.endswith(b"\n.one dot\n..two dots\n.\nend\n"), msg)

    def test_tls_auth_plain(self):
        rc, out = self.swaks("starttls:submission", "--tls", "--auth", "PLAIN",
                             "--auth-user", "alice", "--auth-password", "wonderland",
                             "--from", "alice@maillab.test", "--to", "bob@maillab.test")
        self.assertEqual(rc, 0, out)
        self.assertIn("235 2.7.0", out)
        self.assertEqual(len(self.stored("bob")), 1)

    def test_tls_on_connect_auth_login(self):
        rc, out = self.swaks("tls:submission", "--tls-on-connect", "--auth", "LOGIN",
                             "--auth-user", "bob", "--auth-password", "builder",
                             "--from", "bob@maillab.test", "--to", "alice@maillab.test")
        self.assertEqual(rc, 0, out)
        self.assertEqual(len(self.stored("alice")), 1)

    def test_cram_md5(self):
        rc, out = self.swaks("starttls:submission", "--tls", "--auth", "CRAM-MD5",
                             "--auth-user", "bob", "--auth-password", "builder",
                             "--from", "bob@maillab.test", "--to", "alice@maillab.test")
        self.assertEqual(rc, 0, out)
        self.assertIn("235 2.7.0", out)
        # alice is stored as a hash: CRAM-MD5 cannot work for her
        rc, out = self.swaks("starttls:submission", "--tls", "--auth", "CRAM-MD5",
                             "--auth-user", "alice", "--auth-password", "wonderland",
                             "--from", "alice@maillab.test", "--to", "bob@maillab.test")
        self.assertNotEqual(rc, 0, out)
        self.assertIn("535 5.7.8", out)
        self.assertEqual(len(self.stored("alice")), 1)
        self.assertEqual(self.stored("bob"), [])


if __name__ == "__main__":
    unittest.main()
