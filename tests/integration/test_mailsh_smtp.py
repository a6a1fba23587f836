"""test_mailsh_smtp.py - mailsh on a terminal against SMTP servers.

Run against aiosmtpd (always, see peers.py) and our smtpd (once built):
EHLO and the transaction states in the prompt, a command in the wrong
state, DATA with dot-stuffing (and the delivered message has the dots
undone), STARTTLS with the certificate check, AUTH LOGIN with the
challenges decoded and the answers built by :login.
"""

import re
import unittest

from mailsh_targets import AiosmtpdServer, OurServer
from pty_harness import ShellTestCase


class SmtpTests:
    scheme = "smtp"
    rcpts = ("<alice@maillab.test>", "<bob@maillab.test>")

    def ehlo(self, sh, tls=""):
        sh.prompt("smtp%s INIT" % tls)
        sh.line("EHLO client.maillab.test")
        sh.expect(r"smtp INIT -> READY on 250 to EHLO")
        sh.prompt("smtp%s READY" % tls)

    def test_transaction_and_dot_stuffing(self):
        sh = self.shell(self.plain_url)
        self.ehlo(sh)
        sh.line("MAIL FROM:<carol@maillab.test>")
        sh.expect(r"smtp READY -> MAIL on 250 to MAIL")
        sh.prompt("smtp MAIL")
        for r in self.rcpts:
            sh.line("RCPT TO:" + r)
            sh.expect(r"^25[01] ")
        sh.prompt("smtp RCPT (2 rcpts)")
        sh.line("DATA")
        sh.expect(r"smtp RCPT -> DATA on 354 to DATA")
        sh.prompt('smtp DATA (2 rcpts) message (end with ".")')
        for text in ("Subject: dots", "", ".hidden line", "..two dots", "last line"):
            sh.line(text)
        sh.expect(r'^C: \.\.hidden line$')
        sh.expect(r"dot-stuffed: a line that starts with \".\" is sent with one more")
        sh.line(".")
        sh.expect(r"^250 ")
        sh.expect(r"smtp DATA -> READY on 250 to the end of the message")
        sh.prompt("smtp READY")
        sh.line("QUIT")
        sh.expect(r"READY -> CLOSED on 221 to QUIT")
        sh.prompt("smtp (disconnected)")
        got = [m for m in self.delivered() if b"Subject: dots" in m]
        self.assertTrue(got, "the message was not delivered")
        lines = got[-1].replace(b"\r\n", b"\n").split(b"\n")
        self.assertIn(b".hidden line", lines)      # the stuffing was undone
        self.assertIn(b"..two dots", lines)

    def test_wrong_state_warning_then_the_servers_answer(self):
        sh = self.shell(self.plain_url)
        self.ehlo(sh)
        sh.line("RCPT TO:<alice@maillab.test>")
        sh.expect(r"warning: RCPT is not valid in the READY state \(only in "
                  r"MAIL, RCPT; RFC 5321 §4\.1\.1\.3\); sent anyway")
        sh.expect(r"^503 ")
        sh.expect(r"= 503: Bad sequence of commands")
        sh.prompt("smtp READY")

    def test_starttls_then_auth_login_with_helpers(self):
        sh = self.shell("--cafile", self.ca, self.submission_url())
        sh.prompt("smtp INIT")
        sh.line(":starttls")
        sh.expect(r"verified\s+ok: signed by a CA you trust")
        sh.expect(r"smtp READY -> INIT after STARTTLS")
        self.ehlo(sh, tls="+tls")
        sh.line(":login alice wonderland")
        answers = sh.expect(r"^([A-Za-z0-9+/=]+)\n([A-Za-z0-9+/=]+)$")
        user, password = (g.decode() for g in answers.groups())
        self.assertEqual((user, password), ("YWxpY2U=", "d29uZGVybGFuZA=="))
        sh.line("AUTH LOGIN")
        sh.expect(r'^334 \S+')
        sh.expect(r'base64 for "User ?[Nn]ame')   # "Username:", "User Name\0"
        sh.prompt("smtp+tls READY SASL answer (base64)")
        sh.line(user)
        sh.expect(r'base64 for "Password')
        sh.line(password)
        sh.expect(r"^235 ")
        sh.expect(r"authenticated: the session may now submit mail")
        sh.prompt("smtp+tls READY")


class Aiosmtpd(SmtpTests, AiosmtpdServer, ShellTestCase):
    def submission_url(self):
        return self.plain_url


class OurSmtpd(SmtpTests, OurServer, ShellTestCase):
    program = "smtpd"
    # an MX port for the transaction, a submission port for AUTH
    modes = ("starttls:mx", "starttls:submission")

    def setUp(self):
        super().setUp()
        self.tls_url = None

    def submission_url(self):
        return "smtp://localhost:%d" % self.server.ports[1]


del SmtpTests

if __name__ == "__main__":
    unittest.main()
