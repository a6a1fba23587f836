#!/usr/bin/env python3
"""fakesmtp.py - an SMTP server that is broken on purpose, for lab 10 only.

    fakesmtp.py -d DATA --listen PORT:MODE [--listen PORT:MODE ...] [--trace FILE]

Each listening port is broken in one way, so that the attacks of lab 10
can be watched succeeding here before they fail against maillab's real
smtpd, which has none of these faults.  The greeting of every port says
which fault it has.  Nothing is delivered anywhere: messages are only
described in the trace.

  inject-response  STARTTLS is answered with "220", and in the same packet
                   a second, forged reply.  A client that keeps what it read
                   before the handshake takes the forgery for the first
                   reply inside TLS (the client-side STARTTLS bugs described
                   in "Why TLS is better without STARTTLS", 2021).  A
                   correct client throws away what it read before the
                   handshake and starts over with EHLO inside TLS.
  strip            STARTTLS is not offered, and refused if asked for: what a
                   man in the middle who deletes it from the EHLO reply
                   achieves.  A correct client that wants TLS stops; one that
                   goes on sends its password in the clear, and the trace
                   shows it, as an attacker would see it.
  inject-command   after STARTTLS, the commands the client pipelined behind
                   it in plaintext are kept and run inside TLS
                   (CVE-2011-0411, RFC 3207 section 4.2).
  lax-dot          a bare LF "." LF ends the message text, so text after it
                   is read as new commands: SMTP smuggling (CVE-2023-51764
                   class).  RFC 5321 section 4.1.1.4 ends data only with
                   CRLF "." CRLF.

The trace has the shape of docs/trace.md ("... fake #3 connect from ...").
Python standard library only; one thread per connection.
"""

import argparse
import base64
import os
import signal
import socketserver
import ssl
import sys
import threading
import time

MODES = ("inject-response", "strip", "inject-command", "lax-dot")
LINE_MAX = 1000  # RFC 5321 section 4.5.3.1.6, text lines with CRLF


class Trace:
    """Trace lines, one write each, shared by the connection threads."""

    def __init__(self, path):
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644) \
            if path else 2
        self.lock = threading.Lock()
        self.count = 0

    def new_id(self):
        with self.lock:
            self.count += 1
            return self.count

    def write(self, sid, text):
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        clean = "".join(c if c.isprintable() else "?" for c in text)
        os.write(self.fd, ("%s fake #%d %s\n" % (stamp, sid, clean)).encode())


class Conn:
    """One client: a byte buffer over a socket that may become TLS."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def send(self, text):
        self.sock.sendall(text.encode())

    def line(self):
        """The next line with its ending (CRLF or bare LF), or None at EOF."""
        while b"\n" not in self.buf:
            if len(self.buf) > LINE_MAX * 100:
                return None
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return line + b"\n"


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        srv = self.server
        trace, sid = srv.trace, srv.trace.new_id()
        peer = "%s:%d" % self.client_address[:2]
        trace.write(sid, "connect from %s to port %d (%s)" % (peer, srv.port, srv.mode))
        try:
            Session(Conn(self.request), srv, sid).run()
        except (OSError, ssl.SSLError) as e:
            trace.write(sid, "error %s" % e)
        trace.write(sid, "close")


class Session:
    def __init__(self, conn, srv, sid):
        self.c = conn
        self.srv = srv
        self.sid = sid
        self.mode = srv.mode
        self.tls = False
        self.messages = 0

    def log(self, text):
        self.srv.trace.write(self.sid, text)

    def run(self):
        self.c.send("220 fake.maillab.test ESMTP DELIBERATELY BROKEN (%s): lab 10 only\r\n"
                    % self.mode)
        while True:
            raw = self.c.line()
            if raw is None:
                self.log("client closed the connection")
                return
            cmd = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb = cmd.split(" ", 1)[0].upper()
            if self.tls and self.mode == "inject-response" and not self.spoke_in_tls:
                self.log("inject-response: first command inside TLS: %s" % cmd)
            self.spoke_in_tls = self.tls
            if self.tls and self.injected:
                self.log("%s: ran a command pipelined before the handshake: %s"
                         % (self.mode, cmd))
                self.injected -= 1
            if not self.command(verb, cmd):
                return

    injected = 0
    spoke_in_tls = False

    def command(self, verb, cmd):
        if verb in ("EHLO", "HELO"):
            offer = self.mode != "strip" and not self.tls
            self.c.send("250-fake.maillab.test\r\n250-8BITMIME\r\n%s250 AUTH PLAIN\r\n"
                        % ("250-STARTTLS\r\n" if offer else ""))
        elif verb == "STARTTLS":
            return self.starttls()
        elif verb == "AUTH":
            self.auth(cmd)
        elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
            if verb == "MAIL":
                self.log("%s: MAIL %s%s" % (self.mode, cmd[5:],
                                             "" if self.tls else " (in the clear)"))
            self.c.send("250 2.0.0 OK\r\n")
        elif verb == "DATA":
            self.c.send("354 End data with <CR><LF>.<CR><LF>\r\n")
            return self.data()
        elif verb == "QUIT":
            self.c.send("221 2.0.0 bye\r\n")
            self.log("QUIT")
            return False
        else:
            self.c.send("502 5.5.1 Command not implemented\r\n")
        return True

    def auth(self, cmd):
        words = cmd.split()
        if len(words) == 3 and words[1].upper() == "PLAIN" and not self.tls:
            try:
                _, user, password = base64.b64decode(words[2]).decode().split("\0")
                self.log("%s: CAPTURED a password sent without TLS: %s / %s"
                         % (self.mode, user, password))
            except ValueError:
                pass
        self.c.send("235 2.7.0 Authentication successful\r\n")

    def starttls(self):
        if self.mode == "strip" or self.tls:
            self.log("%s: refused STARTTLS" % self.mode)
            self.c.send("502 5.5.1 STARTTLS not available\r\n")
            return True
        if self.mode == "inject-response":
            # one write: the real reply and a forged one behind it
            self.c.send("220 2.0.0 Ready to start TLS\r\n"
                        "250 2.0.0 forged: sent before TLS, read as if inside it\r\n")
            self.log("inject-response: sent a forged reply behind the 220")
        else:
            self.c.send("220 2.0.0 Ready to start TLS\r\n")
        pending = self.c.buf
        if self.mode == "inject-command" and pending:
            self.injected = pending.count(b"\n")
            self.log("inject-command: kept %d octets pipelined behind STARTTLS"
                     % len(pending))
        try:
            tls = self.srv.context.wrap_socket(self.c.sock, server_side=True)
        except (OSError, ssl.SSLError) as e:
            self.log("%s: the client did not complete the TLS handshake (%s)"
                     % (self.mode, e.__class__.__name__))
            return False
        self.c.sock = tls
        if self.mode != "inject-command":
            self.c.buf = b""
        self.tls = True
        self.log("tls %s" % tls.version())
        return True

    def data(self):
        """Message text up to the end of data: lax-dot accepts "\\n.\\n"."""
        text = b""
        while True:
            raw = self.c.line()
            if raw is None:
                return False
            if raw == b".\r\n" or (self.mode == "lax-dot" and raw == b".\n"):
                break
            text += raw
        self.messages += 1
        subject = next((line[8:].strip() for line in text.decode("utf-8", "replace")
                        .splitlines() if line.lower().startswith("subject:")), "")
        self.log("%s: accepted message %d of this session (%d octets, Subject: %s)%s"
                 % (self.mode, self.messages, len(text), subject,
                    ": SMUGGLED behind a bare LF . LF" if self.messages > 1 else ""))
        self.c.send("250 2.0.0 OK: message %d accepted\r\n" % self.messages)
        return True


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-d", "--data", required=True, help="the lab's data directory")
    ap.add_argument("--listen", action="append", required=True, metavar="PORT:MODE")
    ap.add_argument("--trace", help="append trace lines here (default stderr)")
    opts = ap.parse_args()
    trace = Trace(opts.trace)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls = os.path.join(opts.data, "tls")
    context.load_cert_chain(os.path.join(tls, "server.pem"), os.path.join(tls, "server.key"))
    servers = []
    for spec in opts.listen:
        port, _, mode = spec.partition(":")
        if mode not in MODES:
            ap.error("unknown mode %r (one of %s)" % (mode, ", ".join(MODES)))
        srv = Server(("127.0.0.1", int(port)), Handler)
        srv.trace, srv.port, srv.mode, srv.context = trace, int(port), mode, context
        trace.write(0, "listening on 127.0.0.1 port %s (%s)" % (port, mode))
        servers.append(srv)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    for srv in servers:
        srv.shutdown()
        srv.server_close()
    trace.write(0, "stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
