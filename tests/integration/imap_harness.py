"""imap_harness.py - what the imapd integration tests share.

Built on harness.py: the same throwaway data directory (users alice,
stored hashed, and bob, stored as plaintext), the same certificates, the
same standard mail in alice's INBOX, the same sanitizer checks when the
server stops.  This file adds imapd itself, Python's imaplib set up for
each way in (plain, STARTTLS, implicit TLS), and a raw client that speaks
IMAP's framing: it sends exact bytes and reads a whole response up to its
tagged line, literals included, so tests can check what real clients
never send.
"""

import imaplib
import os
import re
import time

from harness import USERS, Client, Pop3TestCase, Server, tls_context

__all__ = ["ImapTestCase", "ImapRaw"]


class ImapRaw(Client):
    """A raw IMAP client: exact bytes out, whole responses in."""

    def response(self, tag, timeout=None):
        """Lines up to and including the tagged line for @tag.

        Each entry is bytes without its CRLF; a literal {n} is read as n
        octets and appended to the line that announced it, so a FETCH
        response with a body is one entry, byte-exact.
        """
        lines = []
        while True:
            line = self.read_with_literals(timeout)
            lines.append(line)
            if line.startswith(tag.encode() + b" "):
                return lines

    def read_with_literals(self, timeout=None):
        line = self.readline_raw(timeout)
        if not line.endswith(b"\r\n"):
            raise AssertionError("response line not ended by CRLF: %r" % line)
        line = line[:-2]
        while True:
            m = re.search(rb"\{(\d+)\}$", line)
            if not m:
                return line
            n = int(m.group(1))
            line += b"\r\n" + self.read_exact(n, timeout)
            rest = self.readline_raw(timeout)
            line += rest[:-2]

    def read_exact(self, n, timeout=None):
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while len(self.buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("literal of %d octets not complete" % n)
            self._fill(left)
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def command(self, tag, text, timeout=None):
        """Send "@tag @text" and return the response lines (bytes)."""
        if isinstance(text, str):
            text = text.encode("latin-1")
        self.send(tag.encode() + b" " + text + b"\r\n")
        return self.response(tag, timeout)

    def tagged(self, tag, text, timeout=None):
        """The tagged line of the response, as str."""
        return self.command(tag, text, timeout)[-1].decode("latin-1")

    def login(self, user="alice", password=None, select=None):
        password = USERS[user] if password is None else password
        r = self.tagged("l1", "LOGIN %s %s" % (user, password))
        if not r.startswith("l1 OK"):
            raise AssertionError("LOGIN %s: %r" % (user, r))
        if select:
            r = self.tagged("s1", "SELECT %s" % select)
            if not r.startswith("s1 OK"):
                raise AssertionError("SELECT %s: %r" % (select, r))


class ImapTestCase(Pop3TestCase):
    """A fresh data dir with the standard mail; imapd instead of pop3d."""

    def start(self, listen=("starttls", "tls"), **kw):
        kw.setdefault("name", "imapd")
        server = Server(self.data, listen=listen, **kw)
        self.servers.append(server)
        self.addCleanup(self._finish_server, server)
        return server

    def raw(self, server, mode=None, tls=None, **kw):
        """An ImapRaw client; the greeting is in .greeting."""
        port = server.port if mode is None else server.port_for(mode)
        if tls is None:
            m = mode if mode is not None else server.modes[0]
            tls = m == "tls"
        ctx = tls_context(self.data) if tls else None
        c = ImapRaw(port, tls_context=ctx, **kw)
        self.clients.append(c)
        return c

    def imaplib(self, server, mode=None, starttls=False):
        """imaplib on the port of @mode: IMAP4_SSL on a tls port."""
        port = server.port if mode is None else server.port_for(mode)
        m = mode if mode is not None else server.modes[0]
        if m == "tls":
            client = imaplib.IMAP4_SSL("127.0.0.1", port,
                                       ssl_context=tls_context(self.data),
                                       timeout=10)
        else:
            client = imaplib.IMAP4("127.0.0.1", port, timeout=10)
            if starttls:
                client.starttls(ssl_context=tls_context(self.data))
        self.addCleanup(self._logout, client)
        return client

    @staticmethod
    def _logout(client):
        try:
            client.logout()
        except (imaplib.IMAP4.error, OSError, EOFError):
            pass

    def assertOk(self, result, msg=None):
        typ, data = result
        self.assertEqual(typ, "OK", msg or "expected OK, got %r %r" % (typ, data))
        return data

    def maildir(self, user="alice", folder=None):
        root = os.path.join(self.data, "mail", user, "Maildir")
        if folder is None:
            return root
        return os.path.join(root, "." + folder.replace("/", "."))

    def folder_files(self, user="alice", folder=None):
        """Message file names of a folder (new/ and cur/)."""
        names = []
        for sub in ("new", "cur"):
            try:
                names += os.listdir(os.path.join(self.maildir(user, folder), sub))
            except FileNotFoundError:
                pass
        return sorted(names)

