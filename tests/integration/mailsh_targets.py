"""mailsh_targets.py - the servers the mailsh tests run against.

Each protocol's tests are written once, as a mixin, and run against every
target that speaks the protocol: our own server (when it is built) and a
third-party one (always: Dovecot for POP3 and IMAP, aiosmtpd for SMTP;
see peers.py).  A target gives the tests URLs, the CA file that verifies
its certificate, and a way to see the mail it received.
"""

import os
import unittest

import harness
import peers
import pty_harness


class OurServer:
    """Mixin: a fresh data directory and our server, per test."""

    program = None          # "pop3d", "smtpd", "imapd"
    scheme = None           # "pop3", "smtp", "imap"
    modes = ("starttls", "tls")

    def setUp(self):
        super().setUp()
        # smtpd and imapd are written in parallel with these tests: until
        # their binary exists, say so and skip (pop3d must always exist)
        if self.program != "pop3d" and not os.access(
                os.path.join(harness.BIN, self.program), os.X_OK):
            raise unittest.SkipTest("%s is not built yet: mailsh is tested "
                                    "against the third-party server only"
                                    % self.program)
        self.data = harness.new_data_dir()
        for m in harness.ALICE_MESSAGES:
            harness.mailctl(self.data, "deliver", "alice", stdin=m)
        self.server = harness.Server(self.data, listen=self.modes, name=self.program)
        self.addCleanup(self._stop_server)
        self.ca = os.path.join(self.data, "tls", "ca.pem")
        self.plain_url = "%s://localhost:%d" % (self.scheme, self.server.ports[0])
        self.tls_url = "%ss://localhost:%d" % (self.scheme, self.server.ports[1])

    def _stop_server(self):
        status = self.server.stop()
        self.server.check_clean()
        if status != 0:
            self.fail("%s exited with status %s:\n%s"
                      % (self.program, status, self.server.stderr()[-2000:]))

    def delivered(self, user="alice"):
        root = os.path.join(self.data, "mail", user, "Maildir")
        out = []
        for sub in ("new", "cur"):
            d = os.path.join(root, sub)
            for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
                with open(os.path.join(d, name), "rb") as f:
                    out.append(f.read())
        return out


class DovecotServer:
    """Mixin: a throwaway Dovecot (POP3 and IMAP) per test, so every test
    starts with the same three messages."""

    scheme = None

    def setUp(self):
        super().setUp()
        self.data = harness.new_data_dir()
        self.dovecot = peers.Dovecot(os.path.join(self.data, "tls"),
                                     messages=harness.ALICE_MESSAGES)
        self.addCleanup(self.dovecot.stop)
        self.ca = os.path.join(self.data, "tls", "ca.pem")
        p = self.dovecot.ports
        self.plain_url = "%s://localhost:%d" % (self.scheme, p[self.scheme])
        self.tls_url = "%ss://localhost:%d" % (self.scheme, p[self.scheme + "s"])


class AiosmtpdServer:
    """Mixin: aiosmtpd with STARTTLS and AUTH, per test."""

    scheme = "smtp"

    def setUp(self):
        super().setUp()
        self.data = harness.new_data_dir()
        self.peer = peers.SmtpPeer(os.path.join(self.data, "tls"))
        self.addCleanup(self.peer.stop)
        self.ca = os.path.join(self.data, "tls", "ca.pem")
        self.plain_url = "smtp://localhost:%d" % self.peer.port
        self.tls_url = None

    def delivered(self, user="alice"):
        return self.peer.messages()


def skip_unless(condition, why):
    if not condition:
        raise unittest.SkipTest(why)


__all__ = ["OurServer", "DovecotServer", "AiosmtpdServer", "pty_harness"]
