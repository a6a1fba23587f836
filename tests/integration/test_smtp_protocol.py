"""test_smtp_protocol.py - smtpd over real TCP with a raw client: the
MX role, the states and their 503s, delivery with trace headers, and the
bad input a polite client never sends (smuggling, long lines, NUL bytes,
too many recipients, SIZE, STARTTLS with pipelined plaintext).
"""

import unittest

from harness import tls_context
from smtp_harness import HOSTNAME, SmtpTestCase, body_after_headers

BODY = (b"From: Bob <bob@elsewhere.test>\r\nTo: alice@maillab.test\r\n"
        b"Subject: dots\r\n\r\nfirst line\r\n..starts with a dot\r\n"
        b"...two dots\r\nlast\r\n")


class MxProtocol(SmtpTestCase):
    def setUp(self):
        super().setUp()
        self.server = self.start_smtpd()

    def mx(self):
        return self.smtp(self.server, "starttls:mx")

    def test_greeting_and_ehlo(self):
        c = self.mx()
        self.assertTrue(c.greeting.startswith("220 %s ESMTP" % HOSTNAME), c.greeting)
        caps = c.ehlo()
        for kw in ("PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES", "SMTPUTF8",
                   "STARTTLS", "HELP"):
            self.assertIn(kw, caps)
        self.assertEqual(caps["SIZE"], ["10485760"])
        self.assertNotIn("AUTH", caps)  # no logins on an MX
        self.assertReply(c.cmd("AUTH PLAIN " + "AGFsaWNlAHdvbmRlcmxhbmQ="), 502, "5.5.1")

    def test_pipelined_batch_answered_in_one_write(self):
        # RFC 2920 §3.2: the replies to a group leave together; written
        # one by one, the second would wait for the client's delayed
        # acknowledgement of the first (Nagle's algorithm), up to 40 ms
        c = self.mx()
        c.ehlo()
        got = c.send_and_read_once("MAIL FROM:<bob@elsewhere.test>\r\n"
                                   "RCPT TO:<alice@maillab.test>\r\n"
                                   "DATA\r\n")
        codes = [line[:4] for line in got.decode().split("\r\n") if line]
        self.assertEqual(codes, ["250 ", "250 ", "354 "], got)
        c.send("Subject: pipelined\r\n\r\nhi\r\n.\r\n")
        self.assertReply(c.reply(), 250)
        self.wait_stored("alice", 1)

    def test_sequencing_errors(self):
        c = self.mx()
        self.assertReply(c.cmd("MAIL FROM:<bob@elsewhere.test>"), 503, "5.5.1")
        c.ehlo()
        self.assertReply(c.cmd("RCPT TO:<alice@maillab.test>"), 503, "5.5.1")
        self.assertReply(c.cmd("DATA"), 503, "5.5.1")
        self.assertReply(c.cmd("MAIL FROM:<bob@elsewhere.test>"), 250, "2.1.0")
        self.assertReply(c.cmd("MAIL FROM:<bob@elsewhere.test>"), 503, "5.5.1")
        self.assertReply(c.cmd("DATA"), 503, "5.5.1")  # no recipient yet
        self.assertReply(c.cmd("RCPT TO:<nobody@maillab.test>"), 550, "5.1.1")
        self.assertReply(c.cmd("DATA"), 503, "5.5.1")  # still none accepted
        self.assertReply(c.cmd("RSET"), 250, "2.0.0")
        self.assertReply(c.cmd("RCPT TO:<alice@maillab.test>"), 503, "5.5.1")
        self.assertReply(c.cmd("FOO"), 500, "5.5.1")
        self.assertEqual(self.stored("alice"), [])
        self.assertTrue(self.server.wait_trace(r"smtp #\d+ READY -> MAIL \(MAIL ok"))

    def test_bdat_chunks_pipelined(self):
        """RFC 3030: counted chunks, sent back to back with the commands
        (PIPELINING), no dot-stuffing, the reply after each chunk."""
        c = self.mx()
        self.assertIn("CHUNKING", c.ehlo())
        part1 = b"Subject: chunks\r\n\r\n.not stuffed\r\n"
        part2 = b"QUIT\r\nsecond chunk\r\n"   # looks like a command; is not
        c.send(b"MAIL FROM:<bob@elsewhere.test>\r\nRCPT TO:<alice@maillab.test>\r\n"
               b"BDAT %d\r\n%sBDAT %d LAST\r\n%s" % (len(part1), part1, len(part2), part2))
        self.assertReply(c.reply_last(), 250, "2.1.0")
        self.assertReply(c.reply_last(), 250, "2.1.5")
        self.assertReply(c.reply_last(), 250, "2.0.0")
        self.assertReply(c.reply_last(), 250, "2.0.0")
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0")
        [msg] = self.stored("alice")
        self.assertEqual(body_after_headers(msg), b".not stuffed\nQUIT\nsecond chunk\n")

    def test_bdat_out_of_sequence_is_refused_and_swallowed(self):
        c = self.mx()
        c.ehlo()
        c.send(b"BDAT 6\r\nRSET\r\n")
        self.assertReply(c.reply_last(), 503, "5.5.1")
        # the 6 octets were the chunk, not a command: the next reply is NOOP's
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0")
        self.assertEqual(self.stored("alice"), [])

    def test_delivery_with_trace_headers(self):
        c = self.mx()
        c.ehlo("sender.example")
        self.assertReply(c.send_message("bob@elsewhere.test",
                                        ["alice@maillab.test"], BODY), 250, "2.0.0")
        self.assertReply(c.cmd("QUIT"), 221, "2.0.0")
        [msg] = self.stored("alice")
        self.assertTrue(msg.startswith(b"Return-Path: <bob@elsewhere.test>\n"
                                       b"Received: from sender.example ([127.0.0.1])\n"
                                       b"\tby " + HOSTNAME.encode()), msg)
        self.assertIn(b"with ESMTP id ", msg)
        self.assertIn(b"\tfor <alice@maillab.test>; ", msg)
        # dot-unstuffed, CRLF stored as LF, nothing added on an MX
        self.assertTrue(msg.endswith(BODY.replace(b"\r\n", b"\n")
                                     .replace(b"\n..", b"\n.")), msg)
        self.assertNotIn(b"Message-ID", msg)

    def test_postmaster_and_unknown_and_relay(self):
        self.useradd("postmaster", "secret-pm")
        c = self.mx()
        c.ehlo()
        self.assertReply(c.cmd("MAIL FROM:<>"), 250)  # the null sender is fine
        self.assertReply(c.cmd("RCPT TO:<Postmaster>"), 250, "2.1.5")
        self.assertReply(c.cmd("RCPT TO:<nobody@maillab.test>"), 550, "5.1.1")
        self.assertReply(c.cmd("RCPT TO:<someone@example.org>"), 554, "5.7.1")
        self.assertReply(c.cmd("RCPT TO:<ALICE@MailLab.Test>"), 250, "2.1.5")
        self.assertReply(c.cmd("DATA"), 354)
        c.send(b"Subject: x\r\n\r\nhi\r\n.\r\n")
        self.assertEqual(c.reply()[0], 250)
        self.assertEqual(len(self.stored("postmaster")), 1)
        self.assertEqual(len(self.stored("alice")), 1)
        self.assertEqual(self.queued(), [])  # nothing is relayed from an MX

    def test_vrfy_expn_help_noop(self):
        c = self.mx()
        self.assertReply(c.cmd("VRFY alice"), 252)
        self.assertReply(c.cmd("EXPN staff"), 502, "5.5.1")
        c.send("HELP\r\n")
        code, lines = c.reply()
        self.assertEqual(code, 214)
        self.assertTrue(any("MAIL" in l for l in lines))
        code, text = c.cmd("HELP rcpt")
        self.assertEqual(code, 214)
        self.assertIn("RFC 5321", text)
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0")

    def test_pipelined_batch(self):
        c = self.mx()
        c.ehlo()
        # RFC 2920: a whole transaction in one write; one reply per command
        c.send(b"MAIL FROM:<bob@elsewhere.test>\r\nRCPT TO:<alice@maillab.test>\r\n"
               b"RCPT TO:<nobody@maillab.test>\r\nRCPT TO:<bob@maillab.test>\r\nDATA\r\n")
        self.assertEqual([c.reply()[0] for _ in range(5)], [250, 250, 550, 250, 354])
        c.send(b"Subject: pipelined\r\n\r\nbody\r\n.\r\nNOOP\r\nQUIT\r\n")
        self.assertEqual([c.reply()[0] for _ in range(3)], [250, 250, 221])
        self.assertEqual(len(self.stored("alice")), 1)
        self.assertEqual(len(self.stored("bob")), 1)


class BadInput(SmtpTestCase):
    def setUp(self):
        super().setUp()
        self.server = self.start_smtpd(extra=["--max-size", "4000"])

    def open_data(self, rcpt="alice@maillab.test"):
        c = self.smtp(self.server, "starttls:mx")
        c.ehlo()
        self.assertReply(c.cmd("MAIL FROM:<bob@elsewhere.test>"), 250)
        self.assertReply(c.cmd("RCPT TO:<%s>" % rcpt), 250)
        self.assertReply(c.cmd("DATA"), 354)
        return c

    def test_smuggling_variants(self):
        # Each hides a second transaction behind something that is not
        # <CRLF>.<CRLF>; a server that ends the message there would run
        # the smuggled commands and deliver a forged message to bob.
        smuggled = (b"MAIL FROM:<ceo@maillab.test>\r\nRCPT TO:<bob@maillab.test>\r\n"
                    b"DATA\r\nSubject: forged\r\n\r\nforged\r\n")
        for sep in (b"\n.\n", b"\r.\r", b"\r\n.\n", b"\n.\r\n", b"\r\n.\r",
                    b"\r.\r\n"):
            with self.subTest(separator=sep):
                c = self.open_data()
                c.send(b"Subject: real\r\n\r\nreal" + sep + smuggled + b".\r\n")
                self.assertReply(c.reply_last(), 554, "5.6.0")
                # exactly one reply: the next one answers our NOOP
                self.assertReply(c.cmd("NOOP"), 250, "2.0.0")
                self.assertTrue(c.nothing_pending())
                c.close()
        self.assertEqual(self.stored("alice"), [])
        self.assertEqual(self.stored("bob"), [])
        self.assertTrue(self.server.wait_trace(r"refused message: .*bare CR or LF"))

    def test_overlong_command_line(self):
        c = self.smtp(self.server, "starttls:mx")
        c.ehlo()
        self.assertReply(c.cmd("MAIL FROM:<%s@elsewhere.test>" % ("a" * 600)), 500, "5.5.2")
        self.assertReply(c.cmd("NOOP " + "x" * 20000), 500, "5.5.2")
        self.assertReply(c.cmd("NOOP"), 250)  # the session stays in step

    def test_overlong_text_line(self):
        c = self.open_data()
        c.send(b"Subject: long\r\n\r\n" + b"x" * 1200 + b"\r\nshort\r\n.\r\n")
        self.assertReply(c.reply_last(), 554, "5.6.0")
        self.assertReply(c.cmd("NOOP"), 250)
        self.assertEqual(self.stored("alice"), [])

    def test_nul_bytes(self):
        c = self.smtp(self.server, "starttls:mx")
        c.ehlo()
        self.assertReply(c.cmd("NOOP\0MAIL FROM:<x@y.test>"), 500, "5.5.2")
        self.assertReply(c.cmd("MAIL FROM:<bob@elsewhere.test>"), 250)
        self.assertReply(c.cmd("RCPT TO:<alice@maillab.test>"), 250)
        self.assertReply(c.cmd("DATA"), 354)
        c.send(b"Subject: nul\r\n\r\nab\0cd\r\n.\r\n")
        self.assertReply(c.reply_last(), 554, "5.6.0")
        self.assertEqual(self.stored("alice"), [])

    def test_too_many_recipients(self):
        c = self.smtp(self.server, "starttls:mx")
        c.ehlo()
        self.assertReply(c.cmd("MAIL FROM:<bob@elsewhere.test>"), 250)
        rcpts = ["alice@maillab.test", "bob@maillab.test"] * 50
        c.send("".join("RCPT TO:<%s>\r\n" % r for r in rcpts))
        self.assertEqual({c.reply()[0] for _ in rcpts}, {250})
        self.assertReply(c.cmd("RCPT TO:<alice@maillab.test>"), 452, "4.5.3")
        self.assertReply(c.cmd("DATA"), 354)
        c.send(b"Subject: many\r\n\r\nhello\r\n.\r\n")
        self.assertReply(c.reply_last(), 250)
        # 100 recipients, two users: one copy each
        self.assertEqual(len(self.stored("alice")), 1)
        self.assertEqual(len(self.stored("bob")), 1)

    def test_size_exceeded(self):
        c = self.smtp(self.server, "starttls:mx")
        caps = c.ehlo()
        self.assertEqual(caps["SIZE"], ["4000"])
        self.assertReply(c.cmd("MAIL FROM:<bob@elsewhere.test> SIZE=4001"), 552, "5.3.4")
        self.assertReply(c.cmd("MAIL FROM:<bob@elsewhere.test> SIZE=3000"), 250)
        self.assertReply(c.cmd("RCPT TO:<alice@maillab.test>"), 250)
        self.assertReply(c.cmd("DATA"), 354)
        c.send(b"Subject: big\r\n\r\n" + (b"y" * 98 + b"\r\n") * 50 + b".\r\n")
        self.assertReply(c.reply_last(), 552, "5.3.4")
        self.assertReply(c.cmd("NOOP"), 250)
        self.assertEqual(self.stored("alice"), [])
        # exactly at the limit is fine: 17 + 39 * 100 + 83 octets
        c2 = self.open_data()
        c2.send(b"Subject: fits\r\n\r\n" + (b"z" * 98 + b"\r\n") * 39 +
                b"z" * 81 + b"\r\n.\r\n")
        self.assertReply(c2.reply_last(), 250)
        self.assertEqual(len(self.stored("alice")), 1)

    def test_starttls_discards_pipelined_plaintext(self):
        c = self.smtp(self.server, "starttls:mx")
        c.ehlo()
        # An attacker in the middle appends a command to STARTTLS; it must
        # not run inside the TLS session (CVE-2011-0411 class).
        c.send(b"STARTTLS\r\nMAIL FROM:<injected@evil.test>\r\n")
        self.assertEqual(c.reply()[0], 220)
        c.starttls(tls_context(self.data))
        # back to the start: MAIL needs a new EHLO, and nothing answers
        # the injected MAIL
        self.assertReply(c.cmd("MAIL FROM:<bob@elsewhere.test>"), 503, "5.5.1")
        caps = c.ehlo()
        self.assertNotIn("STARTTLS", caps)
        self.assertReply(c.cmd("MAIL FROM:<bob@elsewhere.test>"), 250)
        self.assertTrue(self.server.wait_trace(r"discarded \d+ octets pipelined"))
        self.assertTrue(self.server.wait_trace(r"tls TLSv1\.[23]"))


class Timeout(SmtpTestCase):
    def test_idle_timeout_gets_421(self):
        server = self.start_smtpd(extra=["--timeout", "1"])
        c = self.smtp(server, "starttls:mx")
        code, lines = c.reply(timeout=10)
        self.assertEqual(code, 421)
        self.assertTrue(lines[-1].startswith("4.4.2 "), lines)
        c.expect_closed()


if __name__ == "__main__":
    unittest.main()
