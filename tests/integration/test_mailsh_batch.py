"""test_mailsh_batch.py - mailsh used by scripts, and the rest of its face.

Batch mode: commands from a file or stdin, "C:"/"S:" transcript lines, no
prompt, no colour, and an exit status that says whether the session went
as the script expected (0) or not (1); a line starting with "!" expects a
failure.  Also: colour only on a terminal and never with NO_COLOR, the
state diagram and the command list, :explain, certificate verification
failures and --insecure, the TLS key log with the tshark hint, --help.
Run against our pop3d (the server that always exists).
"""

import os
import re
import unittest

import harness
from mailsh_targets import OurServer
from pty_harness import ShellTestCase, run_batch

GOOD = """\
# a comment line is not sent
USER alice
PASS wonderland
STAT
RETR 1
! RETR 99
QUIT
"""


class Batch(OurServer, ShellTestCase):
    program = "pop3d"
    scheme = "pop3"

    def test_a_session_as_expected_exits_0(self):
        status, out = run_batch(GOOD, self.plain_url)
        self.assertEqual(status, 0, out)
        self.assertIn("C: USER alice\nS: +OK", out)
        self.assertRegex(out, r"S: \+OK 3 \d+")
        self.assertIn("S: Hello Alice,", out)          # RETR read to its end
        self.assertIn("pop3 TRANSACTION -> UPDATE on +OK to QUIT", out)
        self.assertIn("all 7 lines went as expected", out)
        self.assertNotIn("comment", out)
        self.assertNotIn("\x1b[", out)                   # no colour
        self.assertNotIn("AUTHORIZATION>", out)          # no prompt

    def test_an_unexpected_failure_exits_1(self):
        status, out = run_batch(GOOD.replace("! RETR 99", "RETR 99"), self.plain_url)
        self.assertEqual(status, 1, out)
        self.assertIn("not as expected (line 6): the server refused it", out)

    def test_an_expected_failure_that_succeeds_exits_1(self):
        status, out = run_batch("USER alice\n! PASS wonderland\nQUIT\n", self.plain_url)
        self.assertEqual(status, 1, out)
        self.assertIn("a failure was expected", out)

    def test_no_server_exits_1(self):
        port = harness.free_port()
        status, out = run_batch("CAPA\n", "pop3://127.0.0.1:%d" % port)
        self.assertEqual(status, 1, out)
        self.assertIn("cannot connect", out)

    def test_local_commands_in_batch(self):
        script = (":explain 5.7.8\n:explain TRYCREATE\n:b64 alice\n"
                  ":unb64 AGFsaWNlAHdvbmRlcmxhbmQ=\n:apop alice secret\n:diagram\n")
        status, out = run_batch(script, self.plain_url)
        self.assertEqual(status, 0, out)
        self.assertIn("Authentication credentials invalid", out)
        self.assertIn("RFC 4954 §6", out)
        self.assertIn("CREATE it and try again", out)
        self.assertIn("\nYWxpY2U=\n", out)
        self.assertIn("\\0alice\\0wonderland", out)
        greeting_stamp = re.search(r"S: \+OK .*(<[^>]+>)", out).group(1)
        self.assertIn('MD5("%s" + secret)' % greeting_stamp, out)
        self.assertIn("> [ AUTHORIZATION ]", out)
        self.assertRegex(out, r"\|\s+PASS APOP AUTH")

    def test_certificate_not_trusted_then_insecure(self):
        status, out = run_batch("CAPA\n", self.tls_url)
        self.assertEqual(status, 1, out)
        self.assertIn("verified     unknown CA", out)
        self.assertIn("not trusted: closing", out)
        status, out = run_batch("CAPA\nQUIT\n", "--insecure", self.tls_url)
        self.assertEqual(status, 0, out)
        self.assertIn("did NOT verify", out)
        self.assertIn("S: +OK", out)
        # the lab certificate names localhost, 127.0.0.1 and ::1: another
        # loopback address is a name the certificate was not issued for
        other = harness.Server(self.data, listen=("tls",),
                               extra=("--bind", "127.0.0.2"), trace=False)
        self.addCleanup(other.stop)
        status, out = run_batch("QUIT\n", "--cafile", self.ca,
                                "pop3s://127.0.0.2:%d" % other.port)
        self.assertEqual(status, 1, out)
        self.assertIn("name mismatch", out)

    def test_key_log_and_tshark_hint(self):
        keylog = os.path.join(self.data, "keys.log")
        status, out = run_batch("CAPA\nQUIT\n", "--cafile", self.ca, self.tls_url,
                                env={"SSLKEYLOGFILE": keylog})
        self.assertEqual(status, 0, out)
        with open(keylog) as f:
            keys = f.read()
        self.assertRegex(keys, r"(CLIENT_HANDSHAKE_TRAFFIC_SECRET|CLIENT_RANDOM) [0-9a-f]+ ")
        self.assertIn("tshark -r mail.pcap -o tls.keylog_file:%s" % keylog, out)

    def test_colour_only_on_a_terminal_and_never_with_no_color(self):
        sh = self.shell(self.plain_url, colour=True)
        sh.prompt("pop3 AUTHORIZATION")
        self.assertIn(b"\x1b[32m+OK", sh.raw_out)          # green success
        sh2 = self.shell(self.plain_url)                    # NO_COLOR=1
        sh2.prompt("pop3 AUTHORIZATION")
        self.assertNotIn(b"\x1b[32m", sh2.raw_out)
        self.assertNotIn(b"\x1b[2m", sh2.raw_out)

    def test_diagram_and_commands_on_a_terminal(self):
        sh = self.shell(self.plain_url)
        sh.prompt("pop3 AUTHORIZATION")
        sh.line(":diagram")
        sh.expect(r"pop3 states \(from proto/pop3\.def\); > marks where you are")
        sh.expect(r"> \[ AUTHORIZATION \]")
        sh.expect(r"\[ TRANSACTION \]")
        sh.expect(r"decided by the reply, not the table")
        sh.prompt("pop3 AUTHORIZATION")
        sh.line(":help")
        sh.expect(r":starttls")
        sh.expect(r"Anything else is sent to the server as typed")
        sh.send(":explain\t\t")
        sh.expect(r"\s+:explain\s+:explain-replies")

    def test_history_per_protocol_without_passwords(self):
        sh = self.shell(self.plain_url)
        sh.prompt("pop3 AUTHORIZATION")
        sh.line("USER alice")
        sh.prompt("pop3 AUTHORIZATION")
        sh.line(":warnings off")
        sh.prompt("pop3 AUTHORIZATION")
        sh.line("PASS wonderland")
        sh.prompt("pop3 TRANSACTION")
        sh.line("QUIT")
        sh.prompt("pop3 (disconnected)")
        history_dir = sh.history
        self.assertEqual(sh.close(), 0)
        with open(os.path.join(history_dir, "history-pop3")) as f:
            saved = f.read()
        self.assertIn("USER alice", saved)
        self.assertNotIn("wonderland", saved)      # never a password
        # a new session: the Up arrow brings the last POP3 lines back
        sh2 = self.shell("--history-dir", history_dir, self.plain_url)
        sh2.prompt("pop3 AUTHORIZATION")
        sh2.send("\x1b[A")
        sh2.expect(r":quit$")                       # how the last one ended
        sh2.send("\x1b[A")
        sh2.expect(r"QUIT$")

    def test_help(self):
        status, out = run_batch("", "--help")
        self.assertEqual(status, 0)
        self.assertIn("usage: mailsh", out)
        self.assertIn("--batch", out)


if __name__ == "__main__":
    unittest.main()
