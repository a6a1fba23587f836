"""test_pop3_tls.py - STLS (RFC 2595 §4) and implicit TLS (RFC 8314 §3.3).

Includes the check for the CVE-2011-0411 class of bug: plaintext that a
client (or a man in the middle) pipelines after "STLS" must be thrown away,
never executed as if it had arrived over TLS.
"""

import socket
import ssl
import unittest

from harness import Client, Pop3TestCase, tls_context


class Stls(Pop3TestCase):
    def setUp(self):
        super().setUp()
        self.server = self.start()
        self.c = self.connect(self.server)
        self.ctx = tls_context(self.data)

    def upgrade(self):
        self.assertEqual(self.c.cmd("STLS"), "+OK begin TLS negotiation")
        self.c.starttls(self.ctx)

    def test_stls_then_login(self):
        self.upgrade()
        self.assertIn(self.c.sock.version(), ("TLSv1.2", "TLSv1.3"))
        self.c.login("alice")
        self.assertTrue(self.c.cmd("STAT").startswith("+OK 3 "))

    def test_no_new_greeting_after_stls(self):
        # RFC 2595 §4: after the handshake the client speaks first.
        self.upgrade()
        self.assertTrue(self.c.nothing_pending(0.3), "server sent something unasked")

    def test_stls_twice(self):
        self.upgrade()
        self.assertErr(self.c.cmd("STLS"))
        self.c.login("alice")

    def test_certificate_names(self):
        # The lab certificate verifies for both names a student may type.
        for host in ("localhost", "127.0.0.1"):
            raw = socket.create_connection(("127.0.0.1", self.server.port_for("tls")), 5)
            with self.ctx.wrap_socket(raw, server_hostname=host) as s:
                self.assertTrue(s.recv(100).startswith(b"+OK"))

    def test_pipelined_command_after_stls_is_discarded(self):
        self.c.send("STLS\r\nCAPA\r\n")
        self.assertEqual(self.c.readline(), "+OK begin TLS negotiation")
        self.c.starttls(self.ctx)
        # Ask something whose answer cannot be confused with CAPA's "+OK".
        self.c.send("XYZZY\r\n")
        first = self.c.readline()
        self.assertTrue(first.startswith("-ERR"),
                        "the first line over TLS must answer XYZZY (sent over TLS), "
                        "not the CAPA pipelined in plaintext before the handshake; "
                        "got %r" % first)
        self.assertTrue(self.c.nothing_pending(0.2))

    def test_pipelined_user_cannot_be_injected(self):
        # A man in the middle appends "USER alice" to the client's STLS; the
        # client then sends only PASS over TLS.  That must not log in.
        self.c.send("STLS\r\nUSER alice\r\n")
        self.assertEqual(self.c.readline(), "+OK begin TLS negotiation")
        self.c.starttls(self.ctx)
        r = self.c.cmd("PASS wonderland")
        self.assertErr(r, "PASS after an injected plaintext USER logged in: %r" % r)
        self.assertErr(self.c.cmd("STAT"))

    def test_failed_handshake_does_not_kill_the_server(self):
        self.assertEqual(self.c.cmd("STLS"), "+OK begin TLS negotiation")
        self.c.send(b"this is not a TLS ClientHello\r\n" * 4)
        self.c.expect_closed()
        other = self.connect(self.server)
        other.login("alice")


class ImplicitTls(Pop3TestCase):
    def test_greeting_over_tls(self):
        server = self.start()
        c = self.connect(server, mode="tls")
        self.assertTrue(c.tls)
        self.assertRegex(c.greeting, r"^\+OK maillab POP3 server ready <[^>]+>$")
        self.assertErr(c.cmd("STLS"))
        c.login("alice")

    def test_plaintext_client_on_tls_port(self):
        server = self.start()
        c = Client(server.port_for("tls"), greeting=False)
        self.clients.append(c)
        c.send("CAPA\r\n")
        rest = c.expect_closed()
        self.assertNotIn(b"+OK", rest, "a TLS port must not speak plaintext POP3")
        ok = self.connect(server, mode="tls")
        ok.login("bob")

    def test_client_that_distrusts_the_certificate(self):
        # A client without the lab CA must refuse the server (and the server
        # must survive the aborted handshake).
        server = self.start()
        raw = socket.create_connection(("127.0.0.1", server.port_for("tls")), 5)
        empty = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # trusts nobody
        with self.assertRaises(ssl.SSLCertVerificationError):
            empty.wrap_socket(raw, server_hostname="localhost")
        raw.close()
        self.connect(server, mode="tls").login("alice")


if __name__ == "__main__":
    unittest.main()
