"""test_pop3_clients.py - real clients against pop3d: Python's poplib and
curl, the way a student (or the lab handout) would use them.
"""

import os
import poplib
import unittest

from harness import (ALICE_MESSAGES, BOB_MESSAGES, Pop3TestCase, crlf, curl,
                     tls_context, wire_size)


class Poplib(Pop3TestCase):
    def setUp(self):
        super().setUp()
        self.server = self.start()
        self.ctx = tls_context(self.data)

    def pop(self, mode="starttls"):
        port = self.server.port_for(mode)
        if mode == "tls":
            p = poplib.POP3_SSL("127.0.0.1", port, context=self.ctx, timeout=20)
        else:
            p = poplib.POP3("127.0.0.1", port, timeout=20)
        self.addCleanup(p.close)
        return p

    def test_user_pass_list_retr(self):
        p = self.pop()
        p.user("alice")
        p.pass_("wonderland")
        count, size = p.stat()
        self.assertEqual((count, size), (3, sum(wire_size(m) for m in ALICE_MESSAGES)))
        resp, lines, octets = p.list()
        self.assertEqual([l.decode() for l in lines],
                         ["%d %d" % (i, wire_size(m)) for i, m in enumerate(ALICE_MESSAGES, 1)])
        for i, m in enumerate(ALICE_MESSAGES, 1):
            resp, lines, octets = p.retr(i)
            # poplib removes the stuffing; lines come without CRLF.
            self.assertEqual(b"\n".join(lines) + b"\n", m)
        p.quit()

    def test_capa(self):
        p = self.pop()
        caps = p.capa()
        self.assertIn("STLS", caps)
        self.assertIn("TOP", caps)
        self.assertEqual(caps["IMPLEMENTATION"], ["maillab"])

    def test_stls(self):
        p = self.pop()
        self.assertTrue(p.stls(context=self.ctx).startswith(b"+OK"))
        self.assertNotIn("STLS", p.capa())
        p.user("alice")
        p.pass_("wonderland")
        self.assertEqual(p.stat()[0], 3)
        p.quit()

    def test_pop3_ssl(self):
        p = self.pop("tls")
        p.user("bob")
        p.pass_("builder")
        resp, lines, _ = p.retr(1)
        self.assertEqual(b"\n".join(lines) + b"\n", BOB_MESSAGES[0])
        p.quit()

    def test_apop(self):
        p = self.pop()
        self.assertTrue(p.apop("bob", "builder").startswith(b"+OK"))
        self.assertEqual(p.stat()[0], 1)
        p.quit()

    def test_apop_hashed_user(self):
        p = self.pop()
        with self.assertRaises(poplib.error_proto) as cm:
            p.apop("alice", "wonderland")
        self.assertTrue(str(cm.exception).startswith("b'-ERR [AUTH]"), cm.exception)

    def test_wrong_password(self):
        p = self.pop()
        p.user("alice")
        with self.assertRaises(poplib.error_proto) as cm:
            p.pass_("looking-glass")
        self.assertIn("[AUTH]", str(cm.exception))

    def test_top(self):
        p = self.pop()
        p.user("alice")
        p.pass_("wonderland")
        resp, lines, _ = p.top(3, 1)
        self.assertEqual(lines[-2:], [b"", b"body line 1"])
        resp, lines, _ = p.top(2, 10)
        self.assertIn(b".profile", lines)
        self.assertIn(b".", lines)
        p.quit()

    def test_uidl(self):
        p = self.pop()
        p.user("alice")
        p.pass_("wonderland")
        resp, lines, _ = p.uidl()
        uids = [l.split()[1] for l in lines]
        self.assertEqual(len(set(uids)), 3)
        self.assertEqual(p.uidl(3).split()[-1], uids[2])
        p.quit()

    def test_dele_rset_quit(self):
        p = self.pop()
        p.user("alice")
        p.pass_("wonderland")
        p.dele(1)
        p.dele(3)
        self.assertEqual(p.stat()[0], 1)
        p.rset()
        self.assertEqual(p.stat()[0], 3)
        p.dele(2)
        self.assertEqual(p.quit(), b"+OK maillab POP3 server signing off (2 messages left)")
        q, _ = self.login_retry(self.server)
        self.assertTrue(q.cmd("STAT").startswith("+OK 2 "))


class Curl(Pop3TestCase):
    def setUp(self):
        super().setUp()
        self.server = self.start()
        self.ca = os.path.join(self.data, "tls", "ca.pem")
        self.plain = self.server.port_for("starttls")
        self.tls = self.server.port_for("tls")

    def expected_list(self, messages):
        return b"".join(b"%d %d\r\n" % (i, wire_size(m)) for i, m in enumerate(messages, 1))

    def test_list(self):
        # curl picks the strongest SASL mechanism the server lists and does
        # not fall back: this works only if CAPA offers nothing alice (a
        # hashed user) cannot use.
        rc, out, err = curl("pop3://alice:wonderland@127.0.0.1:%d/" % self.plain)
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, self.expected_list(ALICE_MESSAGES))

    def test_apop(self):
        rc, out, err = curl("--login-options", "AUTH=+APOP", "pop3://bob:builder@127.0.0.1:%d/"
                            % self.plain)
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, self.expected_list(BOB_MESSAGES))

    def test_retrieve_each_message(self):
        for i, m in enumerate(ALICE_MESSAGES, 1):
            rc, out, err = curl("pop3://alice:wonderland@127.0.0.1:%d/%d" % (self.plain, i))
            self.assertEqual(rc, 0, err)
            self.assertEqual(out, crlf(m), "message %d" % i)

    def test_pop3s(self):
        rc, out, err = curl("--cacert", self.ca,
                            "pop3s://alice:wonderland@127.0.0.1:%d/" % self.tls)
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, self.expected_list(ALICE_MESSAGES))

    def test_pop3s_localhost_name(self):
        rc, out, err = curl("--cacert", self.ca,
                            "pop3s://bob:builder@localhost:%d/1" % self.tls)
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, crlf(BOB_MESSAGES[0]))

    def test_ssl_reqd_upgrades_with_stls(self):
        rc, out, err = curl("--ssl-reqd", "--cacert", self.ca,
                            "pop3://alice:wonderland@127.0.0.1:%d/2" % self.plain)
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, crlf(ALICE_MESSAGES[1]))
        self.assertIsNotNone(self.server.wait_trace(r"pop3 #\d+ tls TLSv1\.3"))

    def test_plain(self):
        rc, out, err = curl("--login-options", "AUTH=PLAIN",
                            "pop3://alice:wonderland@127.0.0.1:%d/" % self.plain)
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, self.expected_list(ALICE_MESSAGES))

    def test_login_mechanism(self):
        rc, out, err = curl("--login-options", "AUTH=LOGIN",
                            "pop3://alice:wonderland@127.0.0.1:%d/" % self.plain)
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, self.expected_list(ALICE_MESSAGES))

    def test_wrong_password(self):
        rc, out, err = curl("pop3://alice:queen@127.0.0.1:%d/" % self.plain)
        self.assertEqual(rc, 67, "curl: CURLE_LOGIN_DENIED expected; " + err)

    def test_uidl_and_dele_via_custom_request(self):
        rc, out, err = curl("-X", "UIDL", "pop3://alice:wonderland@127.0.0.1:%d/" % self.plain)
        self.assertEqual(rc, 0, err)
        self.assertEqual(len(out.splitlines()), 3)
        rc, out, err = curl("-X", "DELE", "-I",
                            "pop3://alice:wonderland@127.0.0.1:%d/1" % self.plain)
        self.assertEqual(rc, 0, err)
        c, r = self.login_retry(self.server)
        self.assertTrue(r.startswith("+OK alice's maildrop has 2 messages"), r)


if __name__ == "__main__":
    unittest.main()
