"""test_hostile_client.py - the hostile-input suite, the client side of
item 1: mailsh against a server (or a man in the middle) that misbehaves
around STARTTLS.

  - response injection: the server sends more after its "220" to
    STARTTLS, before the handshake.  Those octets are not protected by
    TLS; mailsh drops them with a warning and never shows them as an
    answer that came over TLS;
  - stripping: STARTTLS was in the first EHLO answer and is gone from the
    second one, still without TLS; mailsh warns.

The server is a small fake written here, so it can do what no correct
server does.
"""

import os
import socket
import ssl
import threading
import unittest

from harness import Pop3TestCase
from pty_harness import run_batch


class FakeSmtp:
    """One connection of a scripted SMTP server; @inject goes out right
    after "220 go ahead" to STARTTLS, @strip leaves STARTTLS out of every
    EHLO answer but the first."""

    def __init__(self, data, inject=b"", strip=False):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(os.path.join(data, "tls", "server.pem"),
                                 os.path.join(data, "tls", "server.key"))
        self.inject, self.strip = inject, strip
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        conn, _ = self.sock.accept()
        f = conn.makefile("rb")
        send = conn.sendall
        ehlos = 0
        try:
            send(b"220 fake.test ESMTP\r\n")
            while True:
                line = f.readline()
                if not line:
                    return
                verb = line[:8].upper()
                if verb.startswith(b"EHLO"):
                    ehlos += 1
                    tls = b"" if self.strip and ehlos > 1 else b"250-STARTTLS\r\n"
                    send(b"250-fake.test\r\n" + tls + b"250 8BITMIME\r\n")
                elif verb.startswith(b"STARTTLS"):
                    send(b"220 go ahead\r\n" + self.inject)
                    conn = self.ctx.wrap_socket(conn, server_side=True)
                    f = conn.makefile("rb")
                    send = conn.sendall
                elif verb.startswith(b"QUIT"):
                    send(b"221 bye\r\n")
                    return
                else:
                    send(b"250 ok\r\n")
        except (OSError, ssl.SSLError):
            pass
        finally:
            conn.close()


class MailshAgainstBadServers(Pop3TestCase):
    deliver_standard_mail = False

    def batch(self, fake, script):
        ca = os.path.join(self.data, "tls", "ca.pem")
        try:
            return run_batch(script, "--cafile", ca, "smtp://localhost:%d" % fake.port)
        finally:
            fake.thread.join(timeout=10)
            fake.sock.close()

    def test_response_injection_is_discarded(self):
        inject = b"250-injected\r\n250 AUTH PLAIN\r\n"
        fake = FakeSmtp(self.data, inject=inject)
        status, out = self.batch(fake, "EHLO me.test\nSTARTTLS\nEHLO me.test\nQUIT\n")
        self.assertIn("discarded %d octets the server sent between its "
                      "STARTTLS answer and the handshake" % len(inject), out)
        self.assertNotIn("injected", out.replace("response injection", ""))
        self.assertIn("S: 221 bye", out)  # the session went on, over TLS
        self.assertEqual(status, 0, out)

    def test_stripping_is_noticed(self):
        fake = FakeSmtp(self.data, strip=True)
        status, out = self.batch(fake, "EHLO me.test\nEHLO me.test\nQUIT\n")
        self.assertIn("STARTTLS was offered earlier in this connection and "
                      "is missing now", out)


if __name__ == "__main__":
    unittest.main()
