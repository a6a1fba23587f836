"""test_sessions_serve.py - mailsh playing the server side of a session.

Python's own clients - poplib, smtplib, imaplib, written by people who
never saw maillab - talk to `mailsh --serve`: a repository session, a
recording made with mailsh against our server a moment before, plain,
implicit TLS and STARTTLS.  A script that follows the dialogue ends with
exit status 0; one that deviates gets the protocol's own error reply,
naming the step and the line that was expected, and the exit status is 1.
"""

import imaplib
import os
import poplib
import re
import smtplib
import ssl

import harness
from test_sessions_harness import (Background, SessionTestCase, demo_data,
                                   mailsh, url)

REPO = os.path.join(harness.ROOT, "sessions")


class Serve(SessionTestCase):

    def serve(self, path, *extra):
        """Start mailsh --serve on a free port; returns (process, port)."""
        port = harness.free_port()
        bg = Background("--serve", path, "--listen", str(port), *extra)
        self.addCleanup(lambda: bg.proc.poll() is None and bg.proc.kill())
        bg.wait_for(r"^-- serving .* on 127\.0\.0\.1:%d.*; waiting for a client$" % port)
        return bg, port

    def tls_files(self):
        self.data = self.__dict__.get("data") or demo_data()
        tls = os.path.join(self.data, "tls")
        ctx = ssl.create_default_context(cafile=os.path.join(tls, "ca.pem"))
        return ("--cert", os.path.join(tls, "server.pem"),
                "--key", os.path.join(tls, "server.key")), ctx

    # ---- poplib -------------------------------------------------------------

    def test_poplib_through_the_digest_dialogue(self):
        bg, port = self.serve(os.path.join(REPO, "pop3", "digest-dialogue.session"))
        p = poplib.POP3("127.0.0.1", port, timeout=10)
        self.assertTrue(p.getwelcome().startswith(b"+OK"))
        p.user("alice")
        p.pass_("wonderland")
        self.assertEqual(p.stat(), (3, 1))          # {{n}} is served as 1
        resp, listing, _ = p.list()
        self.assertEqual(len(listing), 3)
        self.assertEqual(p.list(2), b"+OK 2 1")
        self.assertRaises(poplib.error_proto, p.list, 4)
        resp, lines, _ = p.top(1, 10)
        self.assertIn(b"Subject: Welcome to maillab", lines)
        self.assertRaises(poplib.error_proto, p.top, 100, 3)
        p.noop()
        resp, lines, _ = p.retr(1)
        self.assertEqual(lines[-1], b"Course Staff")
        p.dele(1)
        self.assertRaises(poplib.error_proto, p.dele, 1)
        p.rset()
        p.quit()
        status, out = bg.finish()
        self.assertEqual(status, 0, out)
        self.assertIn("C: PASS {{secret:password}}", out)   # masked on screen too
        self.assertIn("-- the client went through all 15 steps as recorded", out)

    def test_poplib_apop_gets_a_fresh_timestamp(self):
        bg, port = self.serve(os.path.join(REPO, "pop3", "rfc1939-apop.session"))
        p = poplib.POP3("127.0.0.1", port, timeout=10)
        stamp = re.search(rb"<[^>]+@mailsh>", p.getwelcome())
        self.assertIsNotNone(stamp, p.getwelcome())
        p.apop("bob", "builder")      # digest of that timestamp, checked
        self.assertEqual(p.stat()[0], 1)
        p.list()
        p.retr(1)
        p.dele(1)
        p.quit()
        status, out = bg.finish()
        self.assertEqual(status, 0, out)

    def test_a_deviating_poplib_script_is_told_where(self):
        bg, port = self.serve(os.path.join(REPO, "pop3", "digest-dialogue.session"))
        p = poplib.POP3("127.0.0.1", port, timeout=10)
        p.user("alice")
        with self.assertRaises(poplib.error_proto) as cm:
            p.pass_("guess")
        self.assertIn(b"-ERR mailsh: step 2 of this session expects: "
                      b"PASS {{secret:password}}", cm.exception.args[0])
        status, out = bg.finish()
        self.assertEqual(status, 1, out)
        self.assertIn("-- step 2 (%s, line " % os.path.join(REPO, "pop3",
                                                            "digest-dialogue.session"), out)
        self.assertIn("   expected: C: PASS {{secret:password}}\n"
                      "   received: C: PASS guess\n", out)

    def test_poplib_over_implicit_tls_and_stls(self):
        files, ctx = self.tls_files()
        bg, port = self.serve(os.path.join(REPO, "pop3", "digest-dialogue.session"),
                              "--tls", *files)
        p = poplib.POP3_SSL("localhost", port, context=ctx, timeout=10)
        p.user("alice")
        p.pass_("wonderland")
        self.assertEqual(p.stat(), (3, 1))
        p.close()                 # without QUIT
        status, out = bg.finish()
        self.assertEqual(status, 1, out)    # it left after step 4
        self.assertIn("-- TLS TLSv1.", out)
        self.assertRegex(out, r"-- step 4 \(.*\): the (client closed the connection|"
                              r"connection broke).*\n   expected: C: LIST\n")

        bg, port = self.serve(os.path.join(REPO, "pop3", "stls.session"), *files)
        p = poplib.POP3("localhost", port, timeout=10)
        p.stls(context=ctx)           # poplib asks CAPA first, as the session does
        self.assertNotIn("STLS", p.capa())
        p.user("alice")
        p.pass_("wonderland")
        p.stat()
        p.quit()
        status, out = bg.finish()
        self.assertEqual(status, 0, out)

    # ---- smtplib -------------------------------------------------------------

    def test_smtplib_two_recipients_one_unknown(self):
        bg, port = self.serve(os.path.join(REPO, "smtp",
                                           "two-recipients-one-unknown.session"))
        s = smtplib.SMTP("127.0.0.1", port, timeout=10)
        s.ehlo("my-laptop.example")               # its own name is fine
        self.assertEqual(s.mail("carol@example.org")[0], 250)
        self.assertEqual(s.rcpt("alice@maillab.test")[0], 250)
        code, text = s.rcpt("nobody@maillab.test")
        self.assertEqual(code, 550)
        msg = ("From: Carol <carol@example.org>\r\n"
               "To: Alice <alice@maillab.test>, Nobody <nobody@maillab.test>\r\n"
               "Subject: Lab meeting\r\n\r\nShall we meet at ten?\r\n")
        code, text = s.data(msg)
        self.assertEqual(code, 250)
        s.quit()
        status, out = bg.finish()
        self.assertEqual(status, 0, out)

    def test_smtplib_starttls_and_login(self):
        files, ctx = self.tls_files()
        bg, port = self.serve(os.path.join(REPO, "smtp", "starttls.session"), *files)
        s = smtplib.SMTP("localhost", port, timeout=10)
        s.ehlo("client.example")
        s.starttls(context=ctx)
        s.ehlo("client.example")
        s.login("alice", "wonderland")            # AUTH PLAIN, as listed
        s.mail("alice@maillab.test")
        s.rcpt("bob@maillab.test")
        s.data("From: Alice <alice@maillab.test>\r\nTo: Bob <bob@maillab.test>\r\n"
               "Subject: Sent over TLS\r\n\r\n"
               "Hello Bob, this one was encrypted on the way.\r\n")
        s.quit()
        status, out = bg.finish()
        self.assertEqual(status, 0, out)
        self.assertIn("C: AUTH PLAIN {{plain:alice:password}}", out)

    def test_a_deviating_smtplib_script_is_told_where(self):
        bg, port = self.serve(os.path.join(REPO, "smtp",
                                           "two-recipients-one-unknown.session"))
        s = smtplib.SMTP("127.0.0.1", port, timeout=10)
        s.ehlo("client.example")
        code, text = s.mail("mallory@example.org")
        self.assertEqual(code, 503)
        self.assertIn(b"step 2 of this session expects: MAIL FROM:<carol@example.org>",
                      text)
        status, out = bg.finish()
        self.assertEqual(status, 1, out)
        self.assertIn("   received: C: mail FROM:<mallory@example.org>\n", out)

    # ---- imaplib -------------------------------------------------------------

    def record_for_imaplib(self):
        """What imaplib sends, recorded with mailsh against imapd."""
        server = self.start("imap", "starttls")
        path = self.scratch("imaplib")
        script = ("a1 CAPABILITY\na2 LOGIN alice wonderland\na3 SELECT INBOX\n"
                  "a4 FETCH 2 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])\n"
                  "a5 FETCH 2 (BODY.PEEK[]<0.12>)\n"
                  "a6 APPEND INBOX {13}\nHello there\n\n"
                  "a7 APPEND INBOX {5}\nhello\n\na8 LOGOUT\n")
        status, out = mailsh("--no-history", "--record", path,
                             url("imap", "plain", server.port), stdin=script.encode())
        self.assertEqual(status, 0, out)
        return path

    def test_imaplib_with_its_own_tags(self):
        path = self.record_for_imaplib()
        bg, port = self.serve(path, "--secret", "password=wonderland")
        m = imaplib.IMAP4("127.0.0.1", port, timeout=10)
        self.assertNotEqual(m.tagpre, b"a")         # imaplib's tags, not a1...
        m.login("alice", "wonderland")
        typ, data = m.select("INBOX")
        self.assertEqual((typ, data), ("OK", [b"3"]))
        typ, data = m.fetch("2", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        self.assertEqual(typ, "OK")
        self.assertIn(b"Subject: Lines that start with a dot", data[0][1])
        typ, data = m.fetch("2", "(BODY.PEEK[]<0.12>)")  # a literal with no line end
        self.assertEqual(data[0][1], b"From: Bob <b")
        typ, data = m.append("INBOX", None, None, b"Hello there\r\n")
        self.assertEqual(typ, "OK")
        typ, data = m.append("INBOX", None, None, b"hello")   # the same on the client's side
        self.assertEqual(typ, "OK")
        m.logout()
        status, out = bg.finish()
        self.assertEqual(status, 0, out)
        tag = m.tagpre.decode()
        self.assertRegex(out, r"C: %s\d+ LOGIN alice %s" % (tag, re.escape(
            '"{{secret:password}}"')))                # masked on screen
        self.assertRegex(out, r"S: %s\d+ OK \[READ-WRITE\] SELECT completed" % tag)

    def test_a_deviating_imaplib_script_is_told_where(self):
        path = self.record_for_imaplib()
        bg, port = self.serve(path, "--secret", "password=wonderland")
        m = imaplib.IMAP4("127.0.0.1", port, timeout=10)
        m.login("alice", "wonderland")
        with self.assertRaises(imaplib.IMAP4.error) as cm:
            m.select("Archive")
        self.assertIn("step 3 of this session expects: a3 SELECT INBOX",
                      str(cm.exception))
        status, out = bg.finish()
        self.assertEqual(status, 1, out)
        self.assertIn("   expected: C: a3 SELECT INBOX\n", out)

    def test_usage_errors(self):
        status, out = mailsh("--serve", os.path.join(REPO, "pop3", "stls.session"))
        self.assertEqual(status, 2, out)          # no --listen
        status, out = mailsh("--serve", os.path.join(REPO, "pop3", "stls.session"),
                             "--listen", str(harness.free_port()),
                             "--cert", "/nonexistent.pem", "--key", "/nonexistent.key")
        self.assertEqual(status, 2, out)
        self.assertIn("give --cert and --key", out)
