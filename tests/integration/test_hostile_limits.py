"""test_hostile_limits.py - the hostile-input suite, the cases about time
and numbers (issue: "Robustness", items 11, 12 and 14).

  11. password guessing: each failure waits, longer with every failure
      the same address made (over all its sessions), without holding up
      anyone else; unknown users get the same reply; three failures end
      the session;
  12. slow and idle clients: a line must be complete within --timeout
      however it trickles in, logging in within --login-timeout, a message
      within --data-timeout; thousands of idle connections and hundreds of
      half TLS handshakes are capped (--max-per-address, --max-sessions)
      with the protocol's "try later", and a fresh client is still served;
  14. privileges: started as root, a server binds, then becomes --user
      before it reads a single octet from a client.

Times here are small (the options make them so); what is checked is that
the limits end the session, never how fast the server is.
"""

import os
import pwd
import resource
import socket
import time
import unittest

from harness import REPLY_TIMEOUT, Closed, Pop3TestCase, tls_context
from robust_harness import (ClientFrom, session_pids, still_serving,
                            wait_new_session)
from smtp_harness import SmtpTestCase


def trickle(sock, data, every):
    """Send @data one octet at a time, @every seconds apart; returns how
    many octets went out before the server closed the connection."""
    for i, b in enumerate(data):
        try:
            sock.sendall(bytes([b]))
        except OSError:
            return i
        time.sleep(every)
    return len(data)


def read_all(sock, limit=REPLY_TIMEOUT):
    """Everything the server sends until it closes (or @limit passes)."""
    sock.settimeout(limit)
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return data, True
            data += chunk
    except ConnectionResetError:
        return data, True   # closed with our octets unread: RST
    except socket.timeout:
        return data, False


class BruteForce(Pop3TestCase):
    """11. Failed logins."""

    DELAY = 0.1

    def setUp(self):
        super().setUp()
        self.server = self.start(auth_delay=int(self.DELAY * 1000))

    def fail_once(self, c, user="alice"):
        """USER/PASS with a wrong password: (reply, seconds it took)."""
        self.assertTrue(c.cmd("USER " + user).startswith("+OK"))
        t0 = time.monotonic()
        r = c.cmd("PASS not-the-password")
        return r, time.monotonic() - t0

    def test_delay_grows_per_address_and_ends_the_session(self):
        c = self.connect(self.server)
        waits = []
        for _ in range(3):
            r, took = self.fail_once(c)
            waits.append(took)
        self.assertEqual(r, "-ERR [AUTH] too many failed logins, closing")
        c.expect_closed()
        # 0.1, 0.2, 0.4 s: each at least twice the one before
        for n, took in enumerate(waits):
            self.assertGreaterEqual(took, self.DELAY * 2 ** n, waits)
        # a new session from the same address goes on from there
        c2 = self.connect(self.server)
        r, took = self.fail_once(c2)
        self.assertEqual(r, "-ERR [AUTH] invalid user name or password")
        self.assertGreaterEqual(took, self.DELAY * 8)
        # ... while another address starts again at the bottom, and its
        # session is not held up by the long wait of the first
        other = ClientFrom(self.server.port, "127.0.0.2")
        self.clients.append(other)
        self.assertTrue(other.cmd("USER alice").startswith("+OK"))
        c2.cmd("USER alice")
        c2.send(b"PASS wrong-again\r\n")          # waits 1.6 s
        other.send(b"PASS wrong-too\r\n")         # waits 0.1 s
        self.assertTrue(other.readline().startswith("-ERR [AUTH]"))
        self.assertTrue(c2.nothing_pending(0), "the first address was not "
                        "slower than the second")
        self.assertTrue(c2.readline().startswith("-ERR [AUTH]"))
        # and a good login from there clears the count
        self.assertTrue(other.cmd("USER alice").startswith("+OK"))
        self.assertTrue(other.cmd("PASS wonderland").startswith("+OK"))
        still_serving(self, self.server, "pop3")

    def test_unknown_user_same_reply(self):
        c = self.connect(self.server)
        wrong, _ = self.fail_once(c, "alice")
        unknown, _ = self.fail_once(c, "nosuchuser")
        self.assertEqual(wrong, unknown)


class SlowClients(SmtpTestCase):
    """12. Deadlines: a session ends when its line, its login or its
    message takes too long, however the octets are spread out."""

    def test_line_trickled_before_login(self):
        server = self.start(extra=["--timeout", "2"])
        c = self.connect(server)
        sent = trickle(c.sock, b"USER alice" + b"x" * 30, 0.25)
        self.assertLess(sent, 40, "the server waited for all of it")
        rest, closed = read_all(c.sock)
        self.assertTrue(rest.startswith(b"-ERR"), rest)
        self.assertTrue(closed)
        still_serving(self, server, "pop3")

    def test_login_deadline(self):
        server = self.start(extra=["--login-timeout", "2", "--timeout", "30"])
        c = self.connect(server)
        t0 = time.monotonic()
        with self.assertRaises((Closed, AssertionError, OSError)):
            while time.monotonic() - t0 < 20:
                r = c.cmd("NOOP")  # NOOP is not valid yet: -ERR, but a line
                self.assertTrue(r.startswith("-ERR"), r)
                time.sleep(0.25)
        self.assertLess(time.monotonic() - t0, 20)
        still_serving(self, server, "pop3")

    def test_data_trickled_and_data_deadline(self):
        server = self.start_smtpd(extra=["--timeout", "2"])
        c = self.smtp(server, "starttls:mx")
        c.ehlo()
        self.assertEqual(c.cmd("MAIL FROM:<bob@elsewhere.test>")[0], 250)
        self.assertEqual(c.cmd("RCPT TO:<alice@maillab.test>")[0], 250)
        self.assertEqual(c.cmd("DATA")[0], 354)
        sent = trickle(c.sock, b"Subject: slow\r\n\r\n" + b"x" * 40, 0.25)
        self.assertLess(sent, 57)
        rest, closed = read_all(c.sock)
        self.assertTrue(rest.startswith(b"421 4.4.2"), rest)
        # whole lines, quickly each, but the message never ends
        server2 = self.start_smtpd(extra=["--data-timeout", "2", "--timeout", "30"])
        c2 = self.smtp(server2, "starttls:mx")
        c2.ehlo()
        c2.cmd("MAIL FROM:<bob@elsewhere.test>")
        c2.cmd("RCPT TO:<alice@maillab.test>")
        self.assertEqual(c2.cmd("DATA")[0], 354)
        t0 = time.monotonic()
        try:
            while time.monotonic() - t0 < 20:
                c2.send(b"a line of a message that goes on and on\r\n")
                time.sleep(0.25)
        except OSError:
            pass
        self.assertLess(time.monotonic() - t0, 20, "DATA never timed out")
        self.assertEqual(self.stored("alice"), [])
        still_serving(self, server2, "smtp")


class Crowds(Pop3TestCase):
    """12. Many connections: per-address and global caps answer "try
    later"; a fresh client from elsewhere is still greeted."""

    def setUp(self):
        super().setUp()
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < 4096:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(4096, hard), hard))

    def test_two_thousand_idle_connections(self):
        server = self.start(listen=("starttls",), extra=[
            "--max-sessions", "64", "--max-per-address", "32", "--timeout", "60"])
        socks, greeted, refused = [], 0, 0
        try:
            for _ in range(2000):
                s = socket.create_connection(("127.0.0.1", server.port), timeout=30)
                socks.append(s)
            for s in socks:
                line = s.makefile("rb").readline()
                if line.startswith(b"+OK"):
                    greeted += 1
                else:
                    self.assertEqual(line, b"-ERR [SYS/TEMP] too many connections, "
                                           b"try again later\r\n")
                    refused += 1
            self.assertEqual(greeted, 32)
            self.assertEqual(refused, 2000 - 32)
            t0 = time.monotonic()
            fresh = ClientFrom(server.port, "127.0.0.2")
            self.clients.append(fresh)
            took = time.monotonic() - t0
            self.assertTrue(fresh.greeting.startswith("+OK"), fresh.greeting)
            print("\n2000 idle connections: %d held, %d refused, fresh client "
                  "greeted in %.0f ms" % (greeted, refused, took * 1000))
            fresh.login("alice")
        finally:
            for s in socks:
                s.close()
        # from another address: the closed ones may not all be reaped yet
        still_serving(self, server, "pop3", source="127.0.0.9")

    def test_full_server_makes_room_only_from_idle_sessions(self):
        self.useradd("carol", "c", plain=True)
        self.useradd("dave", "d", plain=True)
        server = self.start(listen=("starttls",), extra=["--max-sessions", "4"])
        idle = [self.connect(server) for _ in range(4)]
        # full: the oldest session that has not logged in makes room
        newcomer = ClientFrom(server.port, "127.0.0.2")
        self.clients.append(newcomer)
        self.assertTrue(newcomer.greeting.startswith("+OK"), newcomer.greeting)
        idle[0].expect_closed()
        self.assertTrue(server.wait_trace(r"closing session #\d+ \(not logged in\)"))
        # sessions that logged in are never taken: with all four in use,
        # the next client is refused
        for c, (user, password) in zip(idle[1:] + [newcomer],
                                       [("alice", "wonderland"), ("bob", "builder"),
                                        ("carol", "c"), ("dave", "d")]):
            c.login(user, password)
        late = ClientFrom(server.port, "127.0.0.3", greeting=False)
        self.clients.append(late)
        self.assertEqual(late.readline(),
                         "-ERR [SYS/TEMP] too many connections, try again later")
        late.expect_closed()
        for c in idle[1:]:
            self.assertTrue(c.cmd("STAT").startswith("+OK"))

    def test_half_tls_handshakes(self):
        server = self.start(listen=("tls",), extra=[
            "--max-sessions", "64", "--max-per-address", "32", "--timeout", "2"])
        socks = []
        try:
            for _ in range(500):
                s = socket.create_connection(("127.0.0.1", server.port), timeout=30)
                # a TLS record header announcing 512 octets, and one of them
                s.sendall(b"\x16\x03\x01\x02\x00\x01")
                socks.append(s)
            t0 = time.monotonic()
            fresh = ClientFrom(server.port, "127.0.0.2", tls_context=tls_context(self.data))
            self.clients.append(fresh)
            self.assertTrue(fresh.greeting.startswith("+OK"), fresh.greeting)
            print("\n500 half TLS handshakes: fresh TLS client greeted in %.0f ms"
                  % ((time.monotonic() - t0) * 1000))
            # the handshakes' deadline ends every one of them
            for s in socks:
                _, closed = read_all(s, limit=30)
                self.assertTrue(closed, "a half handshake was kept open")
        finally:
            for s in socks:
                s.close()
        self.assertTrue(server.wait_trace(r"handshake timed out"))
        still_serving(self, server, "pop3", tls=tls_context(self.data))


@unittest.skipUnless(os.geteuid() == 0, "needs root: it is about giving root up")
class Privileges(Pop3TestCase):
    """14. Bind as root, then become --user before reading any input."""

    def test_drops_to_user_after_binding(self):
        nobody = pwd.getpwnam("nobody")
        for root, dirs, files in os.walk(self.data):
            for name in dirs + files:
                os.chown(os.path.join(root, name), nobody.pw_uid, nobody.pw_gid)
        os.chown(self.data, nobody.pw_uid, nobody.pw_gid)
        # the test run's scratch directory is root's, mode 0700: let
        # nobody pass through it to the data directory
        scratch = os.path.dirname(self.data)
        os.chmod(scratch, os.stat(scratch).st_mode | 0o111)
        low = next(p for p in range(990, 900, -1) if self._free(p))
        server = self.start(listen=("starttls",), extra=["--user", "nobody"])
        server2 = self.start(listen=("starttls",), extra=["--user", "nobody",
                                                          "--listen", "%d:plain" % low])
        for srv in (server, server2):
            self.assertTrue(srv.wait_trace(r"running as nobody"))
            self.assertEqual(self._uid(srv.proc.pid), nobody.pw_uid)
        before = session_pids(server2)
        c = ClientFrom(low, "127.0.0.1")
        self.clients.append(c)
        pid = wait_new_session(server2, before)
        self.assertEqual(self._uid(pid), nobody.pw_uid)
        c.login("alice")
        self.assertTrue(c.cmd("STAT").startswith("+OK 3 "))

    def test_root_without_user_says_so(self):
        server = self.start(listen=("starttls",))
        self.assertTrue(server.wait_trace(r"note running as root"))

    @staticmethod
    def _uid(pid):
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("Uid:"):
                    return int(line.split()[2])  # the effective uid
        return None

    @staticmethod
    def _free(port):
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False
        finally:
            s.close()


if __name__ == "__main__":
    unittest.main()
