"""smtp_harness.py - what the smtpd integration tests share, on top of
harness.py: starting smtpd with its roles, a raw SMTP client that reads
multi-line replies, and looking into the Maildirs and the relay queue.

smtpd is started like pop3d (harness.Server with name="smtpd"); its
--listen values carry a role ("starttls:mx", "tls:submission"), and the
port of a role is found with port_for("starttls:submission").
"""

import os
import re
import time

from harness import (REPLY_TIMEOUT, USERS, Client, Pop3TestCase, Server, b64,
                     tls_context)

# The ports a test gets unless it asks for others: MX with STARTTLS,
# submission with STARTTLS, submissions (implicit TLS).
SMTP_LISTEN = ("starttls:mx", "starttls:submission", "tls:submission")
HOSTNAME = "mx.maillab.test"


class SmtpClient(Client):
    """A raw SMTP client: exact bytes out, whole replies in."""

    def send(self, data):
        # SMTPUTF8 (RFC 6531): commands may carry UTF-8 addresses
        super().send(data.encode("utf-8") if isinstance(data, str) else data)

    def reply(self, timeout=None):
        """One reply: (code, [text of each line]); checks the line format."""
        lines = []
        while True:
            line = self.readline(timeout)
            m = re.match(r"^(\d{3})([ -])(.*)$", line) or re.match(r"^(\d{3})()()$", line)
            if not m:
                raise AssertionError("not an SMTP reply line: %r" % line)
            lines.append(m.group(3))
            if m.group(2) != "-":
                return int(m.group(1)), lines

    def reply_last(self, timeout=None):
        """One reply as (code, text of its last line)."""
        code, lines = self.reply(timeout)
        return code, lines[-1]

    def cmd(self, line):
        """Send one command, return (code, text of the last line)."""
        self.send(line + "\r\n")
        code, lines = self.reply()
        return code, lines[-1]

    def ehlo(self, name="client.test"):
        """EHLO; returns the extension keywords as {KEYWORD: [args]}."""
        self.send("EHLO %s\r\n" % name)
        code, lines = self.reply()
        if code != 250:
            raise AssertionError("EHLO: %d %r" % (code, lines))
        return {l.split()[0].upper(): l.split()[1:] for l in lines[1:] if l}

    def starttls_upgrade(self, context):
        code, text = self.cmd("STARTTLS")
        if code != 220:
            raise AssertionError("STARTTLS: %d %s" % (code, text))
        self.starttls(context)

    def login(self, user="alice", password=None):
        password = USERS[user] if password is None else password
        code, text = self.cmd("AUTH PLAIN " + b64("\0%s\0%s" % (user, password)))
        if code != 235:
            raise AssertionError("AUTH PLAIN as %s: %d %s" % (user, code, text))

    def send_message(self, sender, rcpts, body, ok=True):
        """MAIL, RCPT..., DATA, the body as given (already dot-stuffed,
        ending in CRLF), the terminator; returns the final (code, text)."""
        code, text = self.cmd("MAIL FROM:<%s>" % sender)
        if code != 250:
            return code, text
        for r in rcpts:
            code, text = self.cmd("RCPT TO:<%s>" % r)
            if code != 250 and ok:
                raise AssertionError("RCPT %s: %d %s" % (r, code, text))
        code, text = self.cmd("DATA")
        if code != 354:
            return code, text
        self.send(body + b".\r\n")
        code, lines = self.reply()
        return code, lines[-1]


class SmtpTestCase(Pop3TestCase):
    """Base class: a fresh data dir (users alice and bob, no mail)."""

    deliver_standard_mail = False

    def start_smtpd(self, listen=SMTP_LISTEN, domains=(), extra=(), **kw):
        args = ["--hostname", kw.pop("hostname", HOSTNAME)]
        for d in domains:
            args += ["--domain", d]
        data = kw.pop("data", self.data)
        server = Server(data, listen=listen, name="smtpd",
                        extra=args + list(extra), **kw)
        self.servers.append(server)
        self.addCleanup(self._finish_server, server)
        return server

    def smtp(self, server, mode=None, **kw):
        """A raw SMTP client on the port of @mode (the first by default)."""
        mode = mode or server.modes[0]
        ctx = tls_context(self.data) if mode.startswith("tls") else None
        c = SmtpClient(server.port_for(mode), tls_context=ctx, **kw)
        self.clients.append(c)
        code = int(c.greeting[:3])
        self.assertEqual(code, 220, c.greeting)
        return c

    def submission(self, server, user="alice", mode="starttls:submission"):
        """A client logged in on a submission port (STARTTLS done)."""
        c = self.smtp(server, mode)
        c.ehlo()
        if not c.tls:
            c.starttls_upgrade(tls_context(self.data))
            c.ehlo()
        c.login(user)
        return c

    # ---- looking at the results ------------------------------------------

    def stored(self, user, data=None):
        """The messages in a user's INBOX (bytes, as stored: LF), oldest first."""
        root = os.path.join(data or self.data, "mail", user, "Maildir")
        found = []
        for sub in ("new", "cur"):
            d = os.path.join(root, sub)
            if os.path.isdir(d):
                for name in os.listdir(d):
                    path = os.path.join(d, name)
                    found.append((os.stat(path).st_mtime_ns, name, path))
        out = []
        for _, _, path in sorted(found):
            with open(path, "rb") as f:
                out.append(f.read())
        return out

    def wait_stored(self, user, count, data=None, limit=15.0):
        """Wait until a user has @count messages (the queue runner works in
        its own time); fails after @limit seconds."""
        deadline = time.monotonic() + limit
        while True:
            msgs = self.stored(user, data)
            if len(msgs) >= count:
                return msgs
            if time.monotonic() > deadline:
                self.fail("%s has %d message(s), wanted %d within %.0f s"
                          % (user, len(msgs), count, limit))
            time.sleep(0.05)

    def queued(self, data=None):
        """Ids of the messages in the relay queue."""
        d = os.path.join(data or self.data, "queue", "env")
        return sorted(os.listdir(d)) if os.path.isdir(d) else []

    def assertReply(self, reply, code, enhanced=None):
        got, text = reply
        self.assertEqual(got, code, "wanted %d, got %d %s" % (code, got, text))
        if enhanced is not None:
            self.assertTrue(text.startswith(enhanced + " ") or text == enhanced,
                            "wanted enhanced code %s in %r" % (enhanced, text))


def body_after_headers(stored):
    """The part of a stored message after the first empty line."""
    return stored.split(b"\n\n", 1)[1]


__all__ = ["SmtpClient", "SmtpTestCase", "SMTP_LISTEN", "HOSTNAME",
           "body_after_headers", "REPLY_TIMEOUT"]
