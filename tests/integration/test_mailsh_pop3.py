"""test_mailsh_pop3.py - mailsh on a terminal against POP3 servers.

The same tests run against our pop3d and against Dovecot: prompts and
transitions, the cleartext-password warning and its confirmation, a
command in the wrong state, a multi-line reply read completely,
completion of commands and message numbers, STLS with the certificate
check, and AUTH PLAIN built with :plain.
"""

import re
import unittest

from mailsh_targets import DovecotServer, OurServer
from pty_harness import ShellTestCase


class Pop3Tests:
    scheme = "pop3"

    def login(self, sh):
        sh.prompt("pop3 AUTHORIZATION")
        sh.line("USER alice")
        sh.prompt("pop3 AUTHORIZATION")
        sh.line("PASS wonderland")
        sh.expect(r"warning: no TLS: this line carries a password")
        sh.expect(r"send it anyway\? \[y/N\] $")
        sh.line("y")
        sh.expect(r"pop3 AUTHORIZATION -> TRANSACTION on \+OK to PASS")
        sh.prompt("pop3 TRANSACTION")

    def test_prompt_transitions_and_complete_replies(self):
        sh = self.shell(self.plain_url)
        self.login(sh)
        sh.line("STAT")
        sh.expect(r"^\+OK 3 \d+")
        sh.prompt("pop3 TRANSACTION")
        sh.line("RETR 2")
        # the prompt comes back only after the whole message and its "."
        m = sh.expect(r"\+OK[^\n]*\n([\s\S]*)^\.\n[\s\S]*pop3 TRANSACTION> $")
        body = m.group(1).decode()
        self.assertIn("end of the dots", body)
        self.assertIn("..profile", body)   # shown as sent: byte-stuffed
        sh.line("QUIT")
        sh.expect(r"pop3 TRANSACTION -> UPDATE on \+OK to QUIT")
        sh.prompt("pop3 (disconnected)")

    def test_wrong_state_warning_then_the_servers_answer(self):
        sh = self.shell(self.plain_url)
        sh.prompt("pop3 AUTHORIZATION")
        sh.line("RETR 1")
        sh.expect(r"warning: RETR is not valid in the AUTHORIZATION state "
                  r"\(only in TRANSACTION; RFC 1939 §5\); sent anyway")
        sh.expect(r"^-ERR")
        sh.expect(r"= -ERR: Failure")
        sh.prompt("pop3 AUTHORIZATION")

    def test_completion_of_commands_and_message_numbers(self):
        sh = self.shell(self.plain_url)
        self.login(sh)
        sh.line("STAT")
        sh.prompt("pop3 TRANSACTION")
        sh.send("RE\t")
        sh.expect(r"RETR $")
        sh.send("\t\t")
        sh.expect(r"^1\s+2\s+3\s*$")
        sh.send("2\r")
        sh.expect(r"Subject: Dots")
        sh.prompt("pop3 TRANSACTION")
        sh.send("US\t")             # USER is not valid in TRANSACTION
        sh.send("\x15")             # Ctrl-U: forget the line
        sh.line(":commands")
        sh.expect(r"pop3 commands valid in TRANSACTION:")
        out = sh.expect(r"pop3 TRANSACTION> $").string.decode()
        self.assertIn("RETR msg", out)
        self.assertNotIn("USER name", out)

    def test_stls_then_auth_plain_from_the_helper(self):
        sh = self.shell("--cafile", self.ca, self.plain_url)
        sh.prompt("pop3 AUTHORIZATION")
        sh.line(":starttls")
        sh.expect(r"-- TLS TLSv1\.[23], cipher \S+")
        sh.expect(r"names\s+DNS:localhost")
        sh.expect(r"verified\s+ok: signed by a CA you trust")
        sh.prompt("pop3+tls AUTHORIZATION")
        sh.line(":plain alice wonderland")
        b64 = sh.expect(r"^([A-Za-z0-9+/=]{20,})$").group(1).decode()
        self.assertEqual(b64, "AGFsaWNlAHdvbmRlcmxhbmQ=")
        sh.prompt("pop3+tls AUTHORIZATION")
        sh.line("AUTH PLAIN " + b64)
        m = sh.expect(r"AUTHORIZATION -> TRANSACTION on \+OK to AUTH")
        self.assertNotIn(b"warning", m.string[:m.start()])   # TLS: no warning
        sh.prompt("pop3+tls TRANSACTION")

    def test_mechanisms_from_capa_complete_auth(self):
        sh = self.shell(self.plain_url)
        sh.prompt("pop3 AUTHORIZATION")
        sh.line("CAPA")
        sh.expect(r"^SASL .*PLAIN")
        sh.prompt("pop3 AUTHORIZATION")
        sh.send("AUTH PL\t")
        sh.expect(r"PLAIN $")
        sh.send("\x15")
        sh.line(":disconnect")
        sh.expect(r"connection closed: closed by you")
        sh.prompt("pop3 (disconnected)")
        sh.line(":reconnect")
        sh.prompt("pop3 AUTHORIZATION")

    def test_untrusted_certificate_is_explained_and_refused(self):
        sh = self.shell(self.tls_url)          # no --cafile: unknown CA
        sh.expect(r"verified\s+unknown CA")
        sh.expect(r"not trusted: closing")
        sh.prompt("pop3 (disconnected)")


class OurPop3d(Pop3Tests, OurServer, ShellTestCase):
    program = "pop3d"


class DovecotPop3(Pop3Tests, DovecotServer, ShellTestCase):
    pass


del Pop3Tests

if __name__ == "__main__":
    unittest.main()
