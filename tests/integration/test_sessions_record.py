"""test_sessions_record.py - recording with mailsh, and the round trip.

A session is recorded with mailsh against our server (batch mode, and
interactively through a pty with :record, :note and :stop), then replayed
live against the same server: no divergence.  The recording masks every
password and SASL answer and makes patterns of the values that change in
each connection, which is what lets it replay.  Then the recorded server
replies are altered by hand, and the replay must stop at exactly the
altered step, with the expected and the actual line and exit status 1.
"""

import os
import re

from pty_harness import ShellTestCase
from test_sessions_harness import SessionTestCase, mailsh, url

POP3_SCRIPT = """\
CAPA
USER alice
PASS wonderland
:note After PASS the maildrop is locked (RFC 1939 section 7).
STAT
LIST
RETR 2
QUIT
"""


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def client_line_number(text, client):
    """(step, line number) of the first "C: client" line of a file."""
    step = 0
    for n, line in enumerate(text.splitlines(), 1):
        if line.startswith("C:"):
            step += 1
            if line == "C: " + client:
                return step, n
    raise AssertionError("no C: %s in the file" % client)


class RoundTrip(SessionTestCase):

    def delivered_bodies(self, user="alice"):
        root = os.path.join(self.data, "mail", user, "Maildir")
        out = []
        for sub in ("new", "cur"):
            for name in sorted(os.listdir(os.path.join(root, sub))):
                with open(os.path.join(root, sub, name), "rb") as f:
                    out.append(f.read())
        return out

    def record(self, protocol, mode, script, *extra, server=None):
        server = server or self.start(protocol, mode)
        self.settle()
        path = self.scratch(protocol)
        status, out = mailsh("--no-history", "--cafile", self.ca, "--record", path,
                             *extra, url(protocol, mode, server.port),
                             stdin=script.encode(), timeout=60)
        self.assertEqual(status, 0, out)
        self.assertRegex(out, r"-- recorded \d+ steps to " + re.escape(path))
        return server, path, read(path)

    def replay_ok(self, path, server, protocol, mode, *extra):
        status, out = self.replay(path, url(protocol, mode, server.port), *extra)
        self.assertEqual(status, 0, out)
        self.assertIn("went as recorded", out)
        return out

    def test_pop3_round_trip(self):
        server, path, text = self.record("pop3", "starttls", POP3_SCRIPT)
        self.assertIn("\ntls: plain\n", text)
        self.assertIn("S: +OK maillab POP3 server ready <{{*}}>\n= AUTHORIZATION\n", text)
        self.assertIn("C: PASS {{secret:password}}\n", text)
        self.assertNotIn("wonderland", text)
        self.assertRegex(text, r"= TRANSACTION\n> After PASS the maildrop is "
                               r"locked \(RFC 1939 section 7\)\.\nC: STAT\n")
        self.assertIn("S: ..profile is a hidden file\n", text)  # as on the wire
        self.assertTrue(text.endswith("= UPDATE\n"), text[-200:])
        # without the password the replay cannot start, and says why
        status, out = self.replay(path, url("pop3", "starttls", server.port))
        self.assertEqual(status, 2, out)
        self.assertIn('needs the secret "password": give --secret password=VALUE', out)
        self.replay_ok(path, server, "pop3", "starttls", "--secret", "password=wonderland")

    def test_an_altered_reply_is_reported_at_its_step(self):
        server, path, text = self.record("pop3", "starttls", POP3_SCRIPT)
        stat = re.search(r"C: STAT\nS: (\+OK 3 (\d+))\n", text)
        step, line = client_line_number(text, "STAT")
        altered = text.replace("S: " + stat.group(1), "S: +OK 2 " + stat.group(2))
        write(path, altered)
        status, out = self.replay(path, url("pop3", "starttls", server.port),
                                  "--secret", "password=wonderland")
        self.assertEqual(status, 1, out)
        self.assertIn("-- step %d diverged (%s, line %d)\n"
                      "   sent:     C: STAT\n"
                      "   expected: S: +OK 2 %s\n"
                      "   actual:   S: %s\n" % (step, path, line, stat.group(2),
                                                stat.group(1)), out)
        self.assertNotIn("C: LIST", out)  # it stopped there
        self.assertNotIn("went as recorded", out)

    def test_a_missing_or_extra_line_is_reported_at_its_step(self):
        server, path, text = self.record("pop3", "starttls", POP3_SCRIPT)
        step, line = client_line_number(text, "LIST")
        listing = re.search(r"C: LIST\n((?:S: .*\n)*?)S: \.\n", text).group(1)
        last = listing.splitlines()[-1]
        # one line less expected: the server's "." is one too many
        write(path, text.replace(listing + "S: .\n", listing))
        status, out = self.replay(path, url("pop3", "starttls", server.port),
                                  "--secret", "password=wonderland")
        self.assertEqual(status, 1, out)
        self.assertIn("-- step %d diverged (%s, line %d)\n   sent:     C: LIST\n"
                      "   expected: the end of the reply\n   actual:   S: .\n"
                      % (step, path, line), out)
        # one line more expected: it is missing at the end of the reply
        write(path, text.replace(listing + "S: .\n", listing + "S: 4 100\nS: .\n"))
        status, out = self.replay(path, url("pop3", "starttls", server.port),
                                  "--secret", "password=wonderland")
        self.assertEqual(status, 1, out)
        self.assertIn("   expected: S: 4 100\n   actual:   S: .\n", out)
        self.assertIn(last, out)

    def test_imap_round_trip_with_a_literal(self):
        script = ("a1 LOGIN alice wonderland\na2 EXAMINE INBOX\n"
                  "a3 FETCH 2 (FLAGS BODY.PEEK[])\na4 FETCH 2 (BODY.PEEK[]<0.12>)\n"
                  "a5 LOGOUT\n")
        server, path, text = self.record("imap", "starttls", script)
        self.assertIn("C: a1 LOGIN alice {{secret:password}}\n", text)
        self.assertRegex(text, r"S: \* 2 FETCH \(FLAGS \([^)]*\) BODY\[\] \{\d+\}\n"
                               r"S: From: Bob <bob@maillab.test>\n")
        self.assertIn("S: .profile is a hidden file\n", text)  # no stuffing in IMAP
        self.assertIn("S: )\nS: a3 OK FETCH completed\n", text)
        # a literal ends a line, though its 12 octets end in no line end
        self.assertIn("S: * 2 FETCH (BODY[]<0> {12}\nS: From: Bob <b\nS: )\n", text)
        self.assertIn("= SELECTED\n", text)
        out = self.replay_ok(path, server, "imap", "starttls",
                             "--secret", "password=wonderland")
        # the transcript shows a literal as batch mode does: as it is
        self.assertIn("S: * 2 FETCH (BODY[]<0> {12}\nFrom: Bob <b\nS: )\n", out)

    def test_a_client_literal_without_a_line_end(self):
        script = ("a1 LOGIN alice wonderland\na2 APPEND INBOX {5}\nhello\n\n"
                  "a3 LOGOUT\n")
        server, path, text = self.record("imap", "starttls", script)
        self.assertIn("C: a2 APPEND INBOX {5}\nS: + Ready for literal data\n"
                      "C: hello\nC:\nS: ", text)
        # the UID of the new message differs next time: a pattern
        write(path, re.sub(r"APPENDUID \d+ \d+", "APPENDUID {{n}} {{n}}", text))
        self.replay_ok(path, server, "imap", "starttls", "--secret", "password=wonderland")
        bodies = [m for m in self.delivered_bodies() if m.endswith(b"hello")]
        self.assertEqual(bodies, [b"hello", b"hello"])  # five octets, twice

    def test_smtp_round_trip_with_dot_stuffing_and_auth(self):
        script = ("EHLO client.example\nAUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=\n"
                  "MAIL FROM:<alice@maillab.test>\nRCPT TO:<bob@maillab.test>\n"
                  "DATA\nSubject: dots\n\n.a line with a dot\n.\nQUIT\n")
        server, path, text = self.record("smtp", "starttls:submission", script)
        self.assertIn("C: AUTH PLAIN {{plain:alice:password}}\n", text)
        self.assertNotIn("AGFsaWNl", text)
        self.assertIn("C: ..a line with a dot\n", text)     # as sent: stuffed
        self.assertRegex(text, r"S: 250 2\.0\.0 OK: delivered to 1 mailbox\(es\) "
                               r"as \{\{word\}\}\n= READY\n")
        self.replay_ok(path, server, "smtp", "starttls:submission",
                       "--secret", "password=wonderland")

    def test_a_bdat_chunk_without_a_line_end(self):
        script = ("EHLO client.example\nMAIL FROM:<carol@example.org>\n"
                  "RCPT TO:<alice@maillab.test>\nBDAT 5 LAST\nhello\nQUIT\n")
        server, path, text = self.record("smtp", "starttls:mx", script)
        # the chunk's five octets are a line of their own, before the reply
        self.assertIn("C: BDAT 5 LAST\nC: hello\nS: 250 2.0.0 OK: delivered to "
                      "1 mailbox(es) as {{word}}\n", text)
        self.replay_ok(path, server, "smtp", "starttls:mx")

    def test_auth_login_is_masked_and_replays(self):
        script = ("EHLO client.example\nAUTH LOGIN\nYWxpY2U=\nd29uZGVybGFuZA==\nQUIT\n")
        server, path, text = self.record("smtp", "starttls:submission", script)
        self.assertIn("C: AUTH LOGIN\nS: 334 VXNlcm5hbWU6\nC: YWxpY2U=\n"
                      "S: 334 UGFzc3dvcmQ6\nC: {{base64:password}}\n", text)
        self.replay_ok(path, server, "smtp", "starttls:submission",
                       "--secret", "password=wonderland")

    def test_starttls_is_recorded_and_replayed(self):
        script = "USER alice\nPASS wonderland\nSTAT\nQUIT\n"
        server, path, text = self.record("pop3", "starttls", script, "--starttls")
        self.assertIn("\ntls: starttls\n", text)
        self.assertIn("C: STLS\nS: +OK begin TLS negotiation\n~ TLS\n", text)
        self.replay_ok(path, server, "pop3", "starttls", "--secret", "password=wonderland")
        # a replay that cannot check the certificate stops at the handshake
        status, out = mailsh("--replay-live", path, url("pop3", "starttls", server.port),
                             "--secret", "password=wonderland")
        self.assertEqual(status, 1, out)
        self.assertIn("the certificate did not verify", out)

    def test_implicit_tls_round_trip(self):
        script = "USER alice\nPASS wonderland\nSTAT\nQUIT\n"
        server, path, text = self.record("pop3", "tls", script)
        self.assertIn("\ntls: tls\n", text)
        self.assertNotIn("~ TLS", text)       # TLS from the first byte
        self.replay_ok(path, server, "pop3", "tls", "--secret", "password=wonderland")
        status, out = self.replay(path, url("pop3", "plain", server.port),
                                  "--secret", "password=wonderland")
        self.assertEqual(status, 2, out)
        self.assertIn("the session starts with TLS (tls: tls)", out)

    def test_apop_and_cram_md5_replay_with_new_challenges(self):
        # the challenge is new in every connection: recorded as a pattern,
        # and the answer is computed anew for each replay
        server, path, text = self.record("pop3", "starttls", "AUTH CRAM-MD5\n")
        self.assertIn("C: AUTH CRAM-MD5\nS: + {{word}}\n", text)
        cram = text.replace("C: AUTH CRAM-MD5\nS: + {{word}}\n",
                            "C: AUTH CRAM-MD5\nS: + {{word}}\nC: {{cram:bob:password}}\n"
                            "S: +OK {{*}}\n= TRANSACTION\nC: QUIT\nS: +OK {{*}}\n")
        write(path, cram)
        for _ in range(2):
            self.replay_ok(path, server, "pop3", "starttls", "--secret", "password=builder")
        # the same for the APOP digest and the greeting's timestamp
        write(path, cram.replace("C: AUTH CRAM-MD5\nS: + {{word}}\nC: {{cram:bob:password}}\n",
                                 "C: APOP bob {{apop:password}}\n"))
        for _ in range(2):
            self.replay_ok(path, server, "pop3", "starttls", "--secret", "password=builder")
        status, out = self.replay(path, url("pop3", "starttls", server.port),
                                  "--secret", "password=wrong")
        self.assertEqual(status, 1, out)
        self.assertRegex(out, r"actual:   S: -ERR \[AUTH\]")


class Interactive(SessionTestCase, ShellTestCase):
    """:record, :note and :stop typed at the prompt."""

    def test_record_note_stop_at_the_prompt(self):
        server = self.start("pop3", "starttls")
        path = self.scratch("pty")
        sh = self.shell("--cafile", self.ca)
        sh.prompt("mailsh")
        sh.line(":record " + path)
        sh.expect(r"recording to .* from the next :connect")
        sh.line(":connect " + url("pop3", "starttls", server.port))
        sh.prompt("pop3 AUTHORIZATION")
        sh.line(":note The greeting carries an APOP timestamp.")
        sh.prompt("pop3 AUTHORIZATION")
        sh.line("USER alice")
        sh.prompt("pop3 AUTHORIZATION")
        sh.line("PASS wonderland")
        sh.expect(r"send it anyway\? \[y/N\] $")
        sh.line("y")
        sh.prompt("pop3 TRANSACTION")
        sh.line(":note   Two  spaces stay.")
        sh.prompt("pop3 TRANSACTION")
        sh.line(":stop")
        sh.expect(r"-- recorded 3 steps to " + re.escape(path))
        sh.prompt("pop3 TRANSACTION")
        sh.line("QUIT")                     # no longer recorded
        sh.expect(r"signing off")
        text = read(path)
        self.assertIn("S: +OK maillab POP3 server ready <{{*}}>\n= AUTHORIZATION\n"
                      "> The greeting carries an APOP timestamp.\nC: USER alice\n", text)
        self.assertIn("C: PASS {{secret:password}}\n", text)
        self.assertIn("= TRANSACTION\n> Two  spaces stay.\n", text)
        self.assertNotIn("QUIT", text)
        self.assertNotIn("wonderland", text)
        self.assertEqual(sh.close(), 0)
        # the file replays (the server unlocked alice's maildrop at QUIT)
        status, out = self.replay(path, url("pop3", "starttls", server.port),
                                  "--secret", "password=wonderland")
        self.assertEqual(status, 0, out)

    def test_note_without_recording_and_recording_twice(self):
        server = self.start("pop3", "starttls")
        path = self.scratch("twice")
        sh = self.shell(url("pop3", "starttls", server.port))
        sh.prompt("pop3 AUTHORIZATION")
        sh.line(":note nothing to attach it to")
        sh.expect(r"error: not recording \(:record FILE starts\)")
        sh.line(":record " + path)
        sh.expect(r"-- recording to " + re.escape(path) + r"; :note TEXT annotates")
        sh.line(":record " + path)
        sh.expect(r"error: already recording \(:stop first\)")
        sh.line("QUIT")
        sh.expect(r"-- recorded 2 steps to")  # the connection ended the recording
        text = read(path)
        self.assertIn("# the recording began in the middle of the session, in "
                      "state AUTHORIZATION\n", text)
        self.assertIn("C: QUIT\nS: +OK maillab POP3 server signing off", text)
