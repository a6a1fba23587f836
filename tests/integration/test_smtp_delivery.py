"""test_smtp_delivery.py - mail goes somewhere: through smtpd and out of
pop3d with the exact bytes (8-bit and UTF-8 too), and between two smtpd
instances with different domains through the relay queue, with a bounce
(RFC 3464) when the next hop refuses or the message expires.
"""

import os
import re
import subprocess
import threading
import time
import unittest

from harness import Client, binary, free_port, new_data_dir
from smtp_harness import SmtpTestCase, body_after_headers

UTF8_BODY = ("Subject: =?UTF-8?B?0J/RgNC40LLQtdGC?=\r\nMIME-Version: 1.0\r\n"
             "Content-Type: text/plain; charset=utf-8\r\n"
             "Content-Transfer-Encoding: 8bit\r\n\r\n"
             "Привет, Алиса! 你好 δοκιμή\r\n.точка в начале\r\n").encode()
LATIN1_BODY = (b"Subject: latin-1\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
               b"\r\ncaf\xe9 na\xefve \xff\xfe\r\n")


def stuffed(body):
    """Dot-stuff a CRLF body, as a client does (RFC 5321 §4.5.2)."""
    return b"".join(b"." + l if l.startswith(b".") else l
                    for l in body.splitlines(keepends=True))


class RoundTrip(SmtpTestCase):
    """smtpd and pop3d on one data directory."""

    def setUp(self):
        super().setUp()
        self.smtpd = self.start_smtpd()
        self.pop3d = self.start(listen=("plain",))

    def retr_all(self, user):
        """Every message of @user through POP3, as the exact wire bytes
        (CRLF, byte-stuffing removed)."""
        c = Client(self.pop3d.port)
        self.clients.append(c)
        c.login(user)
        count = int(c.cmd("STAT").split()[1])
        out = []
        for i in range(1, count + 1):
            self.assertTrue(c.cmd("RETR %d" % i).startswith("+OK"))
            lines = c.read_multiline_raw()
            out.append(b"".join(l[1:] if l.startswith(b".") else l for l in lines))
        c.cmd("QUIT")
        return out

    def test_exact_bytes_8bit_and_utf8(self):
        c = self.smtp(self.smtpd, "starttls:mx")
        c.ehlo()
        self.assertReply(c.cmd("MAIL FROM:<carol@elsewhere.test> BODY=8BITMIME"), 250)
        self.assertReply(c.cmd("RCPT TO:<alice@maillab.test>"), 250)
        self.assertReply(c.cmd("DATA"), 354)
        c.send(stuffed(UTF8_BODY) + b".\r\n")
        self.assertReply(c.reply_last(), 250)
        # SMTPUTF8: a UTF-8 envelope sender (RFC 6531)
        self.assertReply(c.cmd("MAIL FROM:<δοκιμή@παράδειγμα.δοκιμή> SMTPUTF8 BODY=8BITMIME"),
                         250)
        self.assertReply(c.cmd("RCPT TO:<alice@maillab.test>"), 250)
        self.assertReply(c.cmd("DATA"), 354)
        c.send(stuffed(LATIN1_BODY) + b".\r\n")
        self.assertReply(c.reply_last(), 250)
        first, second = self.retr_all("alice")
        self.assertTrue(first.endswith(UTF8_BODY), first)
        self.assertTrue(second.endswith(LATIN1_BODY), second)
        self.assertIn("Return-Path: <δοκιμή@παράδειγμα.δοκιμή>".encode(), second)
        self.assertIn(b"with UTF8SMTP id", second)

    def test_utf8_address_needs_smtputf8(self):
        c = self.smtp(self.smtpd, "starttls:mx")
        c.ehlo()
        self.assertReply(c.cmd("MAIL FROM:<δοκιμή@example.org>"), 553, "5.6.7")


class Relay(SmtpTestCase):
    """Two maillab sites: a.test (this test's data) and b.test."""

    def setUp(self):
        super().setUp()
        self.data_b = new_data_dir()
        self.b = self.start_smtpd(data=self.data_b, domains=["b.test"],
                                  hostname="mx.b.test")
        self.route_to(self.b.port_for("starttls:mx"))
        self.a = self.start_smtpd(domains=["a.test"], hostname="mx.a.test",
                                  extra=["--retry", "1", "--lifetime", "3"])

    def route_to(self, port):
        with open(os.path.join(self.data, "routes"), "w") as f:
            f.write("# where b.test's mail goes\nb.test  127.0.0.1:%d\n" % port)

    def submit(self, rcpt, body=b"Subject: hello b\r\n\r\nfrom a to b\r\n"):
        c = self.submission(self.a, "alice")
        self.assertReply(c.send_message("alice@a.test", [rcpt], body), 250)
        c.cmd("QUIT")

    def test_relay_between_two_servers(self):
        self.submit("bob@b.test")
        [msg] = self.wait_stored("bob", 1, data=self.data_b)
        self.assertEqual(body_after_headers(msg), b"from a to b\n")
        self.assertTrue(msg.startswith(b"Return-Path: <alice@a.test>\n"), msg)
        # one Received line per hop: b's (from mx.a.test), then a's
        self.assertEqual(msg.count(b"Received: "), 2)
        self.assertIn(b"Received: from mx.a.test", msg)
        self.assertTrue(self.a.wait_trace(r"queue #0 done .*leaves the queue"))
        self.assertEqual(self.queued(), [])
        self.assertEqual(self.stored("alice"), [])  # no bounce

    def wait_queue_empty(self, limit=20.0):
        """The runner stores the bounce first and removes the queued message
        after (never the other way round), so the queue empties a moment
        after the bounce appears."""
        deadline = time.monotonic() + limit
        while self.queued() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.queued(), [])

    def test_bounce_when_the_route_refuses(self):
        self.submit("nobody@b.test")
        [dsn] = self.wait_stored("alice", 1)
        self.assertTrue(dsn.startswith(b"Return-Path: <>\n"), dsn)
        self.assertIn(b"Content-Type: multipart/report; report-type=delivery-status", dsn)
        self.assertIn(b"Final-Recipient: rfc822; nobody@b.test", dsn)
        self.assertIn(b"Action: failed", dsn)
        self.assertIn(b"Status: 5.1.1", dsn)
        self.assertIn(b"Diagnostic-Code: smtp; 550 5.1.1", dsn)
        self.assertIn(b"Subject: hello b", dsn)  # the returned header
        self.wait_queue_empty()

    def test_retry_then_bounce_when_nobody_answers(self):
        self.route_to(free_port())  # nothing listens there
        self.submit("bob@b.test")
        self.assertTrue(self.a.wait_trace(r"deferred .* next attempt in 1 s"))
        [dsn] = self.wait_stored("alice", 1, limit=20)
        self.assertIn(b"Status: 4.4.7", dsn)
        self.assertIn(b"cannot connect", dsn)
        self.wait_queue_empty()
        # tried at least twice (after 1 s, then 2 s) before giving up at 3 s
        self.assertGreaterEqual(len(re.findall(r"queue #0 deferred ", self.a.trace())), 2)


if __name__ == "__main__":
    unittest.main()


class Flush(SmtpTestCase):
    """--flush: deliveries made durable by a group flush (the default,
    servers/core/flush.c) or by an fsync each; either way every message
    that got 250 is whole in new/ and nothing is left in tmp/.  The order
    of the calls is checked in test_durability.py."""

    USERS = ("alice", "bob")

    def maildir(self, user, sub):
        return os.path.join(self.data, "mail", user, "Maildir", sub)

    def deliver_at_once(self, server, clients=12, each=5):
        """@clients sessions at the same time, @each messages apiece,
        spread over both users; the bodies sent, by user."""
        sent = {u: set() for u in self.USERS}
        errors = []

        def client(k):
            try:
                c = self.smtp(server, "starttls:mx")
                c.ehlo()
                for i in range(each):
                    user = self.USERS[(k + i) % len(self.USERS)]
                    body = b"Subject: c%d m%d\r\n\r\nfrom client %d, message %d\r\n" % (
                        k, i, k, i)
                    code, text = c.send_message("x@example.org",
                                                ["%s@maillab.test" % user], body)
                    if code != 250:
                        errors.append((k, i, code, text))
                    else:
                        sent[user].add(b"from client %d, message %d\n" % (k, i))
                c.cmd("QUIT")
            except Exception as e:  # reported below, not swallowed
                errors.append((k, repr(e)))

        threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(errors, [])
        return sent

    def assert_stored(self, sent):
        for user, bodies in sent.items():
            found = set()
            for name in os.listdir(self.maildir(user, "new")):
                with open(os.path.join(self.maildir(user, "new"), name), "rb") as f:
                    found.add(f.read().split(b"\n\n", 1)[1])
            self.assertEqual(found, bodies, user)
            self.assertEqual(os.listdir(self.maildir(user, "tmp")), [], user)

    def test_group_flush_is_the_default(self):
        server = self.start_smtpd()
        self.assertTrue(server.wait_trace(r"#0 deliveries made durable by a group "
                                          r"flush"), server.trace())
        sent = self.deliver_at_once(server)
        self.assertEqual(sum(len(b) for b in sent.values()), 60)
        self.assert_stored(sent)

    def test_flush_file_fsyncs_each(self):
        server = self.start_smtpd(extra=["--flush", "file"])
        self.assertTrue(server.wait_trace(r"#0 deliveries made durable by an fsync "
                                          r"of each file and directory"), server.trace())
        self.assert_stored(self.deliver_at_once(server, clients=4, each=3))

    def test_unknown_flush_is_refused(self):
        r = subprocess.run([binary("smtpd"), "-d", self.data, "--flush", "sometimes"],
                           capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"--flush must be group or file: sometimes", r.stderr)
