"""test_sessions_present.py - presenter mode and handouts.

Presenter mode (`mailsh --replay FILE`) needs no server: it is driven
through a real pseudo-terminal the way an instructor drives it - Enter for
the next step, a number to jump, b to go back, q to stop - and must show
each step's lines, its annotations and the state before and after.  With
--pace it goes on by itself.  Without a terminal it prints everything.
Export writes Markdown and a self-contained HTML page with the
annotations in them.
"""

import html.parser
import os
import re
import subprocess

import harness
from pty_harness import ShellTestCase
from test_sessions_harness import mailsh

REPO = os.path.join(harness.ROOT, "sessions")
APOP = os.path.join(REPO, "pop3", "rfc1939-apop.session")
STLS = os.path.join(REPO, "pop3", "stls.session")
D1 = os.path.join(REPO, "smtp", "rfc5321-d1.session")


class Presenter(ShellTestCase):

    def test_enter_jump_back_quit(self):
        sh = self.shell("--replay", APOP)
        sh.expect(r"POP3 - the example session of RFC 1939 section 10, with APOP\n")
        sh.expect(r"Enter: next step   N Enter: go to step N   b: back   q: quit")
        sh.expect(r"=== step 0 of 6 \(the greeting\) ===\n"
                  r"S: \+OK maillab POP3 server ready <\{\{\*\}\}>\n")
        sh.expect(r"The server speaks first\.")
        sh.expect(r"state: AUTHORIZATION \(from here on\)\n")
        sh.expect(r"\[step 0 of 6\] $")
        sh.line("")
        sh.expect(r"=== step 1 of 6 \(.*rfc1939-apop\.session, line \d+\) ===\n"
                  r"C: APOP bob \{\{apop:password\}\}\n"
                  r"S: \+OK bob's maildrop has 1 messages \(\{\{n\}\} octets\)\n")
        sh.expect(r"APOP logs in without sending the password")
        sh.expect(r"state: AUTHORIZATION -> TRANSACTION\n")
        sh.expect(r"\[step 1 of 6\] $")
        sh.line("5")
        sh.expect(r"=== step 5 of 6 .*\nC: DELE 1\nS: \+OK message 1 deleted\n")
        sh.expect(r"state: TRANSACTION \(unchanged\)\n")
        sh.expect(r"\[step 5 of 6\] $")
        sh.line("b")
        sh.expect(r"=== step 4 of 6 .*\nC: RETR 1\n")
        sh.expect(r"\[step 4 of 6\] $")
        sh.line("9")
        sh.expect(r"there is no step 9: steps go from 0 to 6\n")
        sh.line("6")
        sh.expect(r"C: QUIT\n")
        sh.expect(r"state: TRANSACTION -> UPDATE\n")
        sh.expect(r"\[step 6 of 6, the last\] $")
        sh.line("what")
        sh.expect(r"Enter: next step   N: step N   b: back   q: quit\n")
        sh.line("")
        sh.expect(r"-- the end of .*rfc1939-apop\.session\n")
        self.assertEqual(sh.close(), 0)

    def test_start_at_a_step_and_see_tls(self):
        sh = self.shell("--replay", STLS, "--step", "2")
        sh.expect(r"=== step 2 of 7 .*\nC: STLS\n")
        sh.expect(r"~~~ TLS handshake here: from now on everything on the wire "
                  r"is encrypted ~~~")
        sh.expect(r"\[step 2 of 7\] $")
        sh.line("q")
        self.assertEqual(sh.close(), 0)
        self.assertNotIn("=== step 0", sh.text_tail(100000))

    def test_pace_goes_on_by_itself(self):
        sh = self.shell("--replay", D1, "--pace", "0.05")
        # nothing is typed: the steps come one after the other
        sh.expect(r"=== step 3 of 10 ")
        sh.expect(r"=== step 10 of 10 .*\nC: QUIT\n", timeout=30)
        sh.expect(r"-- the end of ")
        self.assertEqual(sh.close(), 0)

    def test_without_a_terminal_everything_is_printed(self):
        r = subprocess.run([harness.binary("mailsh"), "--replay", D1],
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
        out = r.stdout.decode()
        self.assertEqual(r.returncode, 0, out + r.stderr.decode())
        for n in range(11):
            self.assertIn("=== step %d of 10" % n, out)
        self.assertIn("C: ....etc. etc. etc.\n", out)
        self.assertIn("dot-stuffing, section 4.5.2", out)
        self.assertIn("state: RCPT -> DATA", out)
        self.assertNotIn("\x1b[", out)   # no colour without a terminal

    def test_a_broken_file_is_reported_with_its_line(self):
        path = os.path.join(harness.scratch_root(), "broken.session")
        with open(path, "w") as f:
            f.write("maillab-session 1\nprotocol: pop3\n\nS: +OK\nX: what\n")
        status, out = mailsh("--replay", path)
        self.assertEqual(status, 2, out)
        self.assertIn("%s:5: expected \"C:\", \"S:\"" % path, out)
        status, out = mailsh("--replay", path + ".missing")
        self.assertEqual(status, 2, out)
        self.assertIn("No such file", out)


class Tags(html.parser.HTMLParser):
    """Checks that every element opened is closed, in order."""

    VOID = {"meta", "hr", "br"}

    def __init__(self):
        super().__init__()
        self.stack = []
        self.errors = []
        self.text = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(tag)

    def handle_data(self, data):
        self.text.append(data)


class Export(ShellTestCase):

    def test_markdown_handout(self):
        status, out = mailsh("--export", "md", D1)
        self.assertEqual(status, 0, out)
        self.assertTrue(out.startswith("# SMTP - a typical transaction "
                                       "(RFC 5321 Appendix D.1)\n"), out[:200])
        self.assertIn("```text\nS: 220 {{word}} ESMTP maillab ready\n= INIT\n"
                      "```\n\nThe greeting: code 220", out)
        self.assertIn("C: ....etc. etc. etc.\n```\n\nRFC 5321 shows this line", out)
        self.assertIn("S: 354 End data with <CR><LF>.<CR><LF>\n= DATA\n", out)
        self.assertIn("- `= STATE` the protocol state", out)
        self.assertIn("- `{{word}}` a word that differs", out)
        self.assertIn("- `{{...}}` any number of lines", out)
        self.assertEqual(out.count("```text\n"), out.count("```\n"))  # all closed

    def test_html_handout(self):
        status, out = mailsh("--export", "html", STLS)
        self.assertEqual(status, 0, out)
        parser = Tags()
        parser.feed(out)
        self.assertEqual((parser.errors, parser.stack), ([], []))
        self.assertIn("<title>POP3 - upgrading to TLS with STLS (RFC 2595)</title>", out)
        self.assertIn('<span class="c">C: STLS</span>', out)
        self.assertIn('<span class="s">S: +OK<span class="pat">{{*}}</span></span>', out)
        self.assertIn("TLS handshake here", out)
        text = "".join(parser.text)
        self.assertIn("The server agrees (RFC 2595 section 4).", text)
        self.assertIn('<span class="st">= TRANSACTION</span>', out)
        self.assertNotRegex(out, r"(src|href)=")   # nothing fetched from anywhere
        status, out = mailsh("--export", "pdf", STLS)
        self.assertEqual(status, 2, out)

    def test_every_repository_session_exports(self):
        for path in sorted(os.listdir(os.path.join(REPO, "imap"))):
            status, out = mailsh("--export", "html", os.path.join(REPO, "imap", path))
            self.assertEqual(status, 0, out)
            notes = re.findall(r'<div class="note">', out)
            self.assertTrue(notes, path)
