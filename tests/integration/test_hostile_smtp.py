"""test_hostile_smtp.py - the hostile-input suite, SMTP cases (issue:
"Robustness", items 1, 2, 3, 4, 9 and 10).

Each test sends what an attacker (or a broken client) would send, checks
the exact reply, checks that nothing was delivered or run that should not
have been, and ends with still_serving(): the server keeps serving other
sessions whatever one session did.
"""

import os
import socket
import subprocess
import tempfile
import threading
import unittest

from harness import tls_context
from robust_harness import (TracedServer, frozen, rss_kib, send_stream,
                            session_pids, still_serving, wait_new_session)
from smtp_harness import HOSTNAME, SMTP_LISTEN, SmtpTestCase

MESSAGE = b"Subject: real\r\n\r\nreal text\r\n"


class Hostile(SmtpTestCase):
    def setUp(self):
        super().setUp()
        self.server = self.start_smtpd()

    def tearDown(self):
        if self.server.alive():
            still_serving(self, self.server, "smtp")

    def mx(self, ehlo=True):
        c = self.smtp(self.server, "starttls:mx")
        if ehlo:
            c.ehlo()
        return c

    def mx_with_pid(self, ehlo=True):
        """An MX client and the pid of its session process."""
        before = session_pids(self.server)
        c = self.mx(ehlo)
        return c, wait_new_session(self.server, before)

    def open_data(self, c):
        self.assertReply(c.cmd("MAIL FROM:<bob@elsewhere.test>"), 250)
        self.assertReply(c.cmd("RCPT TO:<alice@maillab.test>"), 250)
        self.assertReply(c.cmd("DATA"), 354)


class StartTlsInjection(Hostile):
    """1. STARTTLS\\r\\nRSET\\r\\n in one write: the RSET is never run, and
    the session starts over (RFC 3207 §4.2, CVE-2011-0411)."""

    def test_pipelined_rset_is_discarded_and_state_reset(self):
        c = self.mx()
        c.send(b"STARTTLS\r\nRSET\r\n")
        self.assertReply(c.reply_last(), 220, "2.0.0")
        c.starttls(tls_context(self.data))
        # nothing answers the RSET, and the EHLO is forgotten
        self.assertTrue(c.nothing_pending())
        code, text = c.cmd("MAIL FROM:<bob@elsewhere.test>")
        self.assertEqual(code, 503, text)
        self.assertIn("send EHLO or HELO first", text)
        caps = c.ehlo()
        self.assertNotIn("STARTTLS", caps)
        self.assertTrue(self.server.wait_trace(r"discarded 6 octets pipelined"))


class Smuggling(Hostile):
    """2. Bare CR or LF is refused in commands and in DATA; only
    <CRLF>.<CRLF> ends a message (RFC 5321 §2.3.8, §4.1.1.4; RFC 5322
    §2.3; CVE-2023-51764)."""

    def test_bare_lf_command_refused(self):
        c = self.mx()
        c.send(b"NOOP\n")
        code, text = c.reply_last()
        self.assertEqual(code, 500, text)
        self.assertTrue(text.startswith("5.5.2 Bare LF"), text)
        # a whole transaction in bare-LF lines delivers nothing
        c.send(b"MAIL FROM:<bob@elsewhere.test>\nRCPT TO:<alice@maillab.test>\n"
               b"DATA\nSubject: x\n\nbody\n.\n")
        codes = [c.reply()[0] for _ in range(7)]
        self.assertEqual(codes, [500] * 7)
        self.assertReply(c.cmd("NOOP"), 250)
        self.assertEqual(self.stored("alice"), [])

    def test_bare_cr_in_command_refused(self):
        c = self.mx()
        code, text = c.cmd("MAIL FROM:<bob@elsewhere.test>\rRCPT TO:<alice@maillab.test>")
        self.assertEqual(code, 500, text)
        self.assertTrue(text.startswith("5.5.2 Bare CR"), text)
        # nothing of it was taken: MAIL is still the next step
        self.assertReply(c.cmd("RCPT TO:<alice@maillab.test>"), 503, "5.5.1")

    def test_data_terminators_and_nul(self):
        forged = (b"MAIL FROM:<ceo@maillab.test>\r\nRCPT TO:<bob@maillab.test>\r\n"
                  b"DATA\r\nSubject: forged\r\n\r\nforged\r\n")
        cases = [b"\n.\n", b"\r.\r", b"\r\n.\n", b"\n.\r\n", b"\r\n.\r",
                 b"\r\n\0.\r\n", b"\r\n.\0\r\n"]
        for sep in cases:
            with self.subTest(separator=sep):
                c = self.mx()
                self.open_data(c)
                c.send(MESSAGE + b"x" + sep + forged + b".\r\n")
                # one reply, at the real end, and the forged commands are
                # message text: nothing answers them
                self.assertReply(c.reply_last(), 554, "5.6.0")
                self.assertReply(c.cmd("NOOP"), 250, "2.0.0")
                self.assertTrue(c.nothing_pending())
                c.close()
        self.assertEqual(self.stored("alice"), [])
        self.assertEqual(self.stored("bob"), [])

    def test_only_crlf_dot_crlf_ends(self):
        c = self.mx()
        self.open_data(c)
        c.send(b"Subject: dots\r\n\r\n..leading dot\r\n.x\r\n")
        self.assertTrue(c.nothing_pending())  # not the end yet
        c.send(b".\r\n")
        self.assertReply(c.reply_last(), 250)
        stored = self.stored("alice")[0]
        self.assertTrue(stored.endswith(b"\n\n.leading dot\nx\n"), stored)

    def test_relay_traffic_stuffed_and_normalised(self):
        # a next hop that records the raw bytes it gets
        sink = socket.socket()
        sink.bind(("127.0.0.1", 0))
        sink.listen(1)
        got = []

        def serve():
            conn, _ = sink.accept()
            f = conn.makefile("rb")
            conn.sendall(b"220 sink\r\n")
            data = b""
            while True:
                line = f.readline()
                if not line:
                    break
                if data is not None and line.upper().startswith(b"DATA"):
                    conn.sendall(b"354 go\r\n")
                    body = b""
                    while not body.endswith(b"\r\n.\r\n"):
                        chunk = f.readline()
                        if not chunk:
                            break
                        body += chunk
                    got.append(body)
                    conn.sendall(b"250 ok\r\n")
                    continue
                if line.upper().startswith(b"QUIT"):
                    conn.sendall(b"221 bye\r\n")
                    break
                if line.upper().startswith(b"EHLO"):
                    conn.sendall(b"250-sink\r\n250 8BITMIME\r\n")
                else:
                    conn.sendall(b"250 ok\r\n")
            conn.close()

        t = threading.Thread(target=serve, daemon=True)
        t.start()
        with open(os.path.join(self.data, "routes"), "w") as f:
            f.write("remote.test 127.0.0.1:%d\n" % sink.getsockname()[1])
        c = self.submission(self.server)
        self.assertReply(c.cmd("MAIL FROM:<alice@maillab.test>"), 250)
        self.assertReply(c.cmd("RCPT TO:<victim@remote.test>"), 250)
        # BDAT takes octets as they are: bare LF, bare CR and a lone dot
        body = b"Subject: raw\r\n\r\nline1\n.\nline3\r.\rend"
        c.send(b"BDAT %d LAST\r\n" % len(body) + body)
        self.assertReply(c.reply_last(), 250)
        t.join(timeout=30)
        sink.close()
        self.assertEqual(len(got), 1, "the queue did not relay the message")
        text = got[0]
        # every line ends in CRLF, the dot lines are stuffed, and the
        # only <CRLF>.<CRLF> is the real end
        self.assertNotIn(b"\r\n.\r\n", text[:-3])
        lines = text[:-5].split(b"\r\n")
        self.assertTrue(all(b"\r" not in l and b"\n" not in l for l in lines), text)
        self.assertIn(b"line1\r\n..\r\nline3\r\n..\r\nend\r\n.\r\n", text)


class EarlyTalkers(Hostile):
    """3. A client that talks before the greeting, or sends more after a
    command that must end a pipelined group (RFC 2920 §3.1: EHLO, DATA),
    is refused with 554 5.5.0 and disconnected; replies come strictly in
    the order of the commands."""

    def test_bytes_before_the_greeting(self):
        # the server is stopped while we connect and talk, so the bytes
        # are certainly there before it could greet
        with frozen(self.server.proc.pid):
            s = socket.create_connection(("127.0.0.1", self.server.port_for("starttls:mx")))
            s.sendall(b"EHLO early.test\r\nMAIL FROM:<spam@early.test>\r\n")
        s.settimeout(10)
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        s.close()
        self.assertTrue(data.startswith(b"554 5.5.0 "), data)
        self.assertIn(b"before the greeting", data)
        self.assertEqual(data.count(b"\r\n"), 1, data)  # nothing else answered
        self.assertTrue(self.server.wait_trace(r"talked before the greeting"))

    def test_text_pipelined_behind_data(self):
        c, pid = self.mx_with_pid()
        self.assertReply(c.cmd("MAIL FROM:<bob@elsewhere.test>"), 250)
        self.assertReply(c.cmd("RCPT TO:<alice@maillab.test>"), 250)
        with frozen(pid):
            c.send(b"DATA\r\n" + MESSAGE + b".\r\n")
        code, text = c.reply_last()
        self.assertEqual(code, 554, text)
        self.assertTrue(text.startswith("5.5.0 "), text)
        c.expect_closed()
        self.assertEqual(self.stored("alice"), [])

    def test_commands_pipelined_behind_ehlo(self):
        c, pid = self.mx_with_pid(ehlo=False)
        with frozen(pid):
            c.send(b"EHLO client.test\r\nMAIL FROM:<bob@elsewhere.test>\r\n")
        code, text = c.reply_last()
        self.assertEqual(code, 554, text)
        c.expect_closed()

    def test_replies_in_order(self):
        c = self.mx()
        cmds = [b"MAIL FROM:<bob@elsewhere.test>", b"RCPT TO:<nobody@maillab.test>",
                b"RCPT TO:<alice@maillab.test>", b"VRFY alice", b"NOOP", b"RSET",
                b"RCPT TO:<alice@maillab.test>", b"HELP", b"EXPN x", b"NOOP"]
        c.send(b"".join(l + b"\r\n" for l in cmds))
        codes = [c.reply()[0] for _ in cmds]
        self.assertEqual(codes, [250, 550, 250, 252, 250, 250, 503, 214, 502, 250])


class Overlong(Hostile):
    """4. Lines over their limit get one reply and are skipped; memory per
    connection stays bounded even for a stream with no line end at all."""

    # the same framing code as POP3's 4 GiB case (test_hostile_pop3.py);
    # MAILLAB_HOSTILE_STREAM=4294967296 streams 4 GiB here too
    STREAM = int(os.environ.get("MAILLAB_HOSTILE_STREAM", str(256 << 20)))

    def test_command_line_over_512(self):
        c = self.mx()
        code, text = c.cmd("NOOP " + "x" * 600)
        self.assertEqual(code, 500, text)
        self.assertIn("Line too long", text)
        self.assertReply(c.cmd("NOOP"), 250)

    def test_data_line_over_1000(self):
        c = self.mx()
        self.open_data(c)
        c.send(MESSAGE + b"y" * 1001 + b"\r\n.\r\n")
        self.assertReply(c.reply_last(), 554, "5.6.0")
        self.assertEqual(self.stored("alice"), [])

    def test_endless_line_keeps_memory_bounded(self):
        c, pid = self.mx_with_pid()
        before = rss_kib(pid)
        send_stream(c.sock, self.STREAM)
        # one reply for the whole line, then the session goes on
        code, text = c.reply_last()
        self.assertEqual(code, 500, text)
        c.send(b"\r\n")
        self.assertReply(c.cmd("NOOP"), 250)
        self.assertTrue(c.nothing_pending())
        grown = rss_kib(pid) - before
        self.assertLess(grown, 1024, "session grew by %d KiB" % grown)


class OpenRelay(Hostile):
    """9. Without AUTH nothing is relayed, however the address is dressed
    up; '%', '!' and source routes never route (RFC 5321 §3.6.1,
    §4.1.1.3, Appendix C)."""

    def test_relay_forms_refused(self):
        cases = [
            ("victim@remote.test", 554, "5.7.1"),          # plain relaying
            ("victim%remote.test@maillab.test", 550, "5.1.1"),
            ("@maillab.test:victim@remote.test", 554, "5.7.1"),
            ('"victim@remote.test"@maillab.test', 550, "5.1.1"),
            ("remote.test!victim@maillab.test", 550, "5.1.1"),
        ]
        c = self.mx()
        self.assertReply(c.cmd("MAIL FROM:<spammer@elsewhere.test>"), 250)
        for addr, code, enh in cases:
            with self.subTest(rcpt=addr):
                self.assertReply(c.cmd("RCPT TO:<%s>" % addr), code, enh)
        self.assertReply(c.cmd("DATA"), 503, "5.5.1")
        self.assertEqual(self.queued(), [])
        # the submission port wants AUTH before MAIL at all
        s = self.smtp(self.server, "starttls:submission")
        s.ehlo()
        s.starttls_upgrade(tls_context(self.data))
        s.ehlo()
        self.assertReply(s.cmd("MAIL FROM:<alice@maillab.test>"), 530, "5.7.0")

    def test_percent_and_bang_not_routed_after_auth(self):
        c = self.submission(self.server)
        self.assertReply(c.cmd("MAIL FROM:<alice@maillab.test>"), 250)
        for addr in ("victim%remote.test@maillab.test", "remote.test!victim@maillab.test"):
            with self.subTest(rcpt=addr):
                self.assertReply(c.cmd("RCPT TO:<%s>" % addr), 550, "5.1.1")
        self.assertEqual(self.queued(), [])


class Injection(Hostile):
    """10. Shell, template and format-string syntax in commands is only
    ever text: no file appears, no program is run, the trace escapes
    what is not printable."""

    def test_no_command_is_ever_run(self):
        victim = os.path.join(tempfile.mkdtemp(dir=self.data), "touched")
        self.server = TracedServer(self.data, ["-e", "trace=execve"],
                                   SMTP_LISTEN, extra=["--hostname", HOSTNAME])
        self.servers.append(self.server)
        self.addCleanup(self._finish_server, self.server)
        c = self.mx()
        attempts = [
            "MAIL FROM:<;touch %s;@x.test>" % victim,
            "MAIL FROM:<$(touch %s)@x.test>" % victim,
            "MAIL FROM:<`touch %s`@x.test>" % victim,
            "MAIL FROM:<${run{/bin/touch %s}}@x.test>" % victim,
            "HELO %n%n%n%s%s%s",
            "MAIL FROM:<%s%s%s%n@x.test>",
        ]
        for line in attempts:
            code, _ = c.cmd(line)
            self.assertIn(code, (250, 501, 503), line)
            c.cmd("RSET")
        # a message whose envelope and headers carry the same
        self.assertReply(c.cmd("MAIL FROM:<${run{x}}@x.test>"), 250)
        self.assertReply(c.cmd("RCPT TO:<alice@maillab.test>"), 250)
        self.assertReply(c.cmd("DATA"), 354)
        c.send(b"Subject: $(touch %s) %%n%%s\r\n\r\n`id`\r\n.\r\n" % victim.encode())
        self.assertReply(c.reply_last(), 250)
        c.close()
        still_serving(self, self.server, "smtp")
        self.server.stop()
        self.assertFalse(os.path.exists(victim))
        calls = [l for l in self.server.strace().splitlines() if "execve(" in l]
        # the one execve is strace starting smtpd itself
        self.assertEqual(len(calls), 1, calls)
        self.assertIn("smtpd", calls[0])

    def test_nul_and_cr_in_arguments(self):
        c = self.mx()
        self.assertReply(c.cmd("MAIL FROM:<a\0b@x.test>"), 500, "5.5.2")
        self.assertReply(c.cmd("MAIL FROM:<a\rb@x.test>"), 500, "5.5.2")
        self.assertReply(c.cmd("MAIL FROM:<bob@elsewhere.test>"), 250)

    def test_trace_escapes_control_characters(self):
        c = self.mx(ehlo=False)
        c.send(b"EHLO evil\x1b[2J\x07.test\r\n")
        c.reply()
        c.send(b"MAIL FROM:<x@y.test>\x1b]0;owned\x07\r\n")
        c.reply()
        c.close()
        still_serving(self, self.server, "smtp")
        with open(self.server.trace_path, "rb") as f:
            trace = f.read()
        self.assertNotIn(b"\x1b", trace)
        self.assertNotIn(b"\x07", trace)


if __name__ == "__main__":
    unittest.main()
