"""test_durability.py - no acknowledged mail lost, none half-visible.

RFC 5321 §6.1: with "250" the server takes responsibility for the message;
RFC 9051 §6.3.12: OK to APPEND means it is in the mailbox.  Both promises
hold across a crash only if the order of system calls is right, the one
qmail set for Maildir:

    write tmp/X;  fsync(tmp/X);  rename(tmp/X -> new/X);  fsync(new/);
    and only then the reply.

smtpd's group flush (servers/core/flush.h, the default) keeps the order
and replaces each fsync with a flush of the whole file system, syncfs,
that may serve many sessions at once:

    write tmp/X;  syncfs;  rename(tmp/X -> new/X);  syncfs;  the reply.

The order tests run the server under strace and read that order back for
an SMTP delivery (both ways), an IMAP APPEND (and the UID list it writes),
and a relay-queue file.  The POP3 tests kill a session at the moments that
matter: before QUIT (RFC 1939 §6: nothing may be deleted) and in the
middle of UPDATE (each message is deleted or intact, never half).  The
last test plants stale files in tmp/ and checks they go after 36 hours,
as the Maildir specification says, and not before.

The crash test with SIGKILL at random moments is test_durability_crash.py.
"""

import os
import re
import signal
import time
import unittest

from harness import Pop3TestCase, crlf
from imap_harness import ImapTestCase
from robust_harness import TracedServer, session_pids, wait_new_session
from smtp_harness import HOSTNAME, SMTP_LISTEN, SmtpTestCase

# fsync, rename and the reply, with the path behind each descriptor (-y).
STRACE = ["-tt", "-yy", "-s", "96", "-e",
          "trace=fsync,fdatasync,syncfs,rename,renameat,renameat2,write,sendto,sendmsg"]


def calls(text, pid=None):
    """The strace log as (pid, syscall, argument text), in order."""
    out = []
    for line in text.splitlines():
        m = re.match(r"^(\d+)\s+[\d:.]+\s+(\w+)\((.*)$", line)
        if m and (pid is None or int(m.group(1)) == pid):
            out.append((int(m.group(1)), m.group(2), m.group(3)))
    return out


class Order:
    """Assertions on the order of calls, shared by the three cases."""

    def index(self, log, what, pattern, after=-1):
        for i, (_, name, args) in enumerate(log):
            if i > after and name in what and re.search(pattern, args):
                return i
        self.fail("no %s matching %r after call %d in:\n%s"
                  % ("/".join(what), pattern, after,
                     "\n".join("%s(%s" % (n, a[:150]) for _, n, a in log)))

    def assert_stored_in_order(self, log, tmp_re, final_re, dir_re, after=-1):
        """fsync(tmp file) < rename(tmp -> final) < fsync(final's dir),
        all after call @after; returns the index of the directory fsync."""
        renamed = self.index(log, ("rename", "renameat", "renameat2"),
                             r'"[^"]*%s"[^"]*"[^"]*%s"' % (tmp_re, final_re), after)
        m = re.search(r'"([^"]*)"', log[renamed][2])
        synced = self.index(log, ("fsync", "fdatasync"),
                            r"<%s>" % re.escape(m.group(1)), after)
        self.assertLess(synced, renamed, "file renamed before its fsync")
        return self.index(log, ("fsync",), r"<[^>]*%s>" % dir_re, renamed)

    def assert_appended(self, log, file_re, after=-1):
        """write(file) < fdatasync or fsync(file), after call @after and
        with no rename of the file; returns the index of the sync."""
        written = self.index(log, ("write",), r"^\d+<[^>]*%s>" % file_re, after)
        synced = self.index(log, ("fsync", "fdatasync"),
                            r"^\d+<[^>]*%s>" % file_re, written)
        self.assertFalse([c for c in log[after + 1:synced]
                          if c[1].startswith("rename") and re.search(file_re, c[2])],
                         "the list was replaced, not appended to")
        return synced

    def assert_reply_after(self, log, before, reply):
        written = self.index(log, ("write", "sendto", "sendmsg"),
                             r"TCP:.*%s" % re.escape(reply))
        self.assertLess(before, written, "%r sent before the data was "
                        "durable" % reply)


class SmtpOrder(SmtpTestCase, Order):
    def start_traced(self, flush="group"):
        server = TracedServer(self.data, STRACE, SMTP_LISTEN,
                              extra=["--hostname", HOSTNAME, "--retry", "3600",
                                     "--flush", flush])
        self.servers.append(server)
        self.addCleanup(self._finish_server, server)
        return server

    def deliver_one(self, server):
        """One message to alice; the strace log of its session."""
        before = session_pids(server)
        c = self.smtp(server, "starttls:mx")
        pid = wait_new_session(server, before)
        c.ehlo()
        code, _ = c.send_message("bob@elsewhere.test", ["alice@maillab.test"],
                                 b"Subject: durable\r\n\r\nkeep me\r\n")
        self.assertEqual(code, 250)
        c.cmd("QUIT")
        server.stop()
        return calls(server.strace(), pid)

    def test_delivery_with_an_fsync_each(self):
        log = self.deliver_one(self.start_traced("file"))
        durable = self.assert_stored_in_order(log, r"/tmp/[^/]+", r"/new/[^/]+",
                                              r"/alice/Maildir/new")
        self.assert_reply_after(log, durable, "250 2.0.0")
        self.assertFalse([c for c in log if c[1] == "syncfs"])

    def test_delivery_with_a_group_flush(self):
        # alone, the session runs both flushes itself: syncfs, then an
        # fsync of the data directory for the last cache flush (flush.c)
        log = self.deliver_one(self.start_traced("group"))
        written = self.index(log, ("write",), r"^\d+<[^>]*/alice/Maildir/tmp/[^>]+>")
        text = self.index(log, ("syncfs",), r"", written)
        renamed = self.index(log, ("rename", "renameat", "renameat2"),
                             r'"[^"]*/tmp/[^"]+"[^"]*"[^"]*/new/[^"]+"', written)
        self.assertLess(text, renamed, "renamed before the text was flushed")
        name = self.index(log, ("syncfs",), r"", renamed)
        self.index(log, ("fsync",), r"<%s>" % re.escape(os.path.realpath(self.data)),
                   name)
        self.assert_reply_after(log, name, "250 2.0.0")
        self.assertFalse([c for c in log if c[1] == "fsync"
                          and "/Maildir/" in c[2]], "a Maildir fsync'ed as well")

    def test_relay_queue_files(self):
        server = self.start_traced()
        with open(os.path.join(self.data, "routes"), "w") as f:
            f.write("remote.test 127.0.0.1:9\n")  # nobody listens: stays queued
        before = session_pids(server)
        # without TLS (loopback may log in in cleartext), so the 250 can
        # be read in the strace log
        c = self.smtp(server, "starttls:submission")
        pid = wait_new_session(server, before)
        c.ehlo()
        c.login()
        code, _ = c.send_message("alice@maillab.test", ["friend@remote.test"],
                                 b"Subject: queued\r\n\r\nrelay me\r\n")
        self.assertEqual(code, 250)
        self.assertEqual(len(self.queued()), 1)
        server.stop()
        log = calls(server.strace(), pid)
        # the message first, then its envelope: the queue holds a message
        # exactly while its env/ file exists
        data = self.assert_stored_in_order(log, r"/queue/tmp/[^/]+\.data",
                                           r"/queue/data/[^/]+", r"/queue/data")
        env = self.assert_stored_in_order(log, r"/queue/tmp/[^/]+\.env",
                                          r"/queue/env/[^/]+", r"/queue/env", data)
        self.assert_reply_after(log, env, "250 2.0.0")


class ImapOrder(ImapTestCase, Order):
    def test_append_and_uid_list(self):
        server = TracedServer(self.data, STRACE, ("starttls",), name="imapd")
        self.servers.append(server)
        self.addCleanup(self._finish_server, server)
        before = session_pids(server)
        c = self.raw(server)
        pid = wait_new_session(server, before)
        c.login()
        for tag in (b"a", b"b"):
            msg = b"Subject: appended\r\n\r\nkeep me too\r\n"
            c.send(tag + b" APPEND INBOX {%d}\r\n" % len(msg))
            c.read_with_literals()
            c.send(msg + b"\r\n")
            self.assertTrue(c.response(tag.decode())[-1].startswith(tag + b" OK [APPENDUID"))
        c.tagged("z", "LOGOUT")
        server.stop()
        log = calls(server.strace(), pid)
        listed = -1
        for tag in ("a", "b"):
            stored = self.assert_stored_in_order(log, r"/tmp/[^/]+", r"/cur/[^/]+",
                                                 r"/alice/Maildir/cur", listed)
            # the UID the reply names is on disk before the reply, too: its
            # line appended to the UID list and flushed (uidlist.h)
            listed = self.assert_appended(log, r"/alice/Maildir/maillab-uidlist",
                                          stored)
            self.assert_reply_after(log, listed, tag + " OK [APPENDUID")


class Pop3Crash(Pop3TestCase):
    """RFC 1939 §6: only QUIT enters UPDATE; a session that dies before
    deletes nothing, and one that dies during UPDATE leaves every message
    deleted or whole."""

    deliver_standard_mail = False
    COUNT = 300

    def setUp(self):
        super().setUp()
        self.sent = {}
        # written straight into new/ (as a delivery would leave them):
        # three hundred runs of mailctl would take most of the test
        new = os.path.join(self.data, "mail", "alice", "Maildir", "new")
        for sub in ("new", "cur", "tmp"):
            os.makedirs(os.path.join(os.path.dirname(new), sub), exist_ok=True)
        for i in range(self.COUNT):
            body = b"Subject: m%d\n\n" % i + b"line of message %d\n" % i * (i % 7 + 1)
            self.sent[b"m%d" % i] = body
            with open(os.path.join(new, "%d.M%dP1.test" % (1700000000 + i, i)), "wb") as f:
                f.write(body)

    def stored(self):
        root = os.path.join(self.data, "mail", "alice", "Maildir")
        found = {}
        for sub in ("new", "cur"):
            for name in os.listdir(os.path.join(root, sub)):
                with open(os.path.join(root, sub, name), "rb") as f:
                    data = f.read()
                key = re.search(rb"^Subject: (m\d+)$", data, re.M).group(1)
                self.assertNotIn(key, found, "message %r twice" % key)
                found[key] = data
        return found

    def open_and_mark(self, server):
        before = session_pids(server)
        c, _ = self.login_retry(server)
        pid = wait_new_session(server, before)
        self.assertTrue(c.cmd("STAT").startswith("+OK %d " % self.COUNT))
        c.send(b"".join(b"DELE %d\r\n" % i for i in range(1, self.COUNT + 1)))
        for _ in range(self.COUNT):
            self.assertTrue(c.readline().startswith("+OK"))
        return c, pid

    def test_killed_before_quit_deletes_nothing(self):
        server = self.start()
        c, pid = self.open_and_mark(server)
        os.kill(pid, signal.SIGKILL)
        c.expect_closed()
        self.assertEqual(self.stored(), self.sent)
        # and the maildrop lock died with the process
        c2, _ = self.login_retry(server)
        self.assertTrue(c2.cmd("STAT").startswith("+OK %d " % self.COUNT))

    def test_killed_during_update(self):
        server = self.start()
        c, pid = self.open_and_mark(server)
        c.send(b"QUIT\r\n")
        # UPDATE removes one file after another (each followed by an
        # fsync of the directory); kill it once the first is gone
        root = os.path.join(self.data, "mail", "alice", "Maildir")
        deadline = time.monotonic() + 30
        while sum(len(os.listdir(os.path.join(root, d)))
                  for d in ("new", "cur")) == self.COUNT:
            self.assertLess(time.monotonic(), deadline, "UPDATE never began")
        os.kill(pid, signal.SIGKILL)
        left = self.stored()
        self.assertLess(len(left), self.COUNT)
        self.assertGreater(len(left), 0, "UPDATE was over before the kill")
        for key, data in left.items():
            self.assertEqual(data, self.sent[key], "message %r damaged" % key)
        # whatever is left is a consistent maildrop for the next session
        c2, _ = self.login_retry(server)
        self.assertTrue(c2.cmd("STAT").startswith("+OK %d " % len(left)))
        c2.cmd("LIST")
        self.assertEqual(len(c2.read_multiline()), len(left))
        for i in range(1, len(left) + 1):
            r = c2.cmd("RETR %d" % i)
            self.assertTrue(r.startswith("+OK"), r)
            body = "\r\n".join(c2.read_multiline()).encode("latin-1") + b"\r\n"
            key = re.search(rb"^Subject: (m\d+)\r$", body, re.M).group(1)
            self.assertEqual(body, crlf(self.sent[key]))


class StaleTmp(ImapTestCase):
    """https://cr.yp.to/proto/maildir.html: a file in tmp/ not touched for
    36 hours is a delivery that died, and a reader removes it."""

    def plant(self, root, name, age_hours):
        path = os.path.join(root, "tmp", name)
        with open(path, "w") as f:
            f.write("Subject: half\n\nhalf a messa")
        t = time.time() - age_hours * 3600
        os.utime(path, (t, t))
        return path

    def test_cleaned_after_36_hours(self):
        inbox = self.maildir()
        old = self.plant(inbox, "old.M1P1.host", 37)
        young = self.plant(inbox, "young.M2P1.host", 35)
        c = self.raw(self.start())
        c.login(select="INBOX")
        self.assertFalse(os.path.exists(old))
        self.assertTrue(os.path.exists(young))
        # POP3 does the same when it opens the maildrop
        old2 = self.plant(inbox, "old2.M3P1.host", 40)
        c.tagged("z", "LOGOUT")
        pop = self.start(listen=("starttls",), name="pop3d")
        p, _ = self.login_retry(pop)
        self.assertFalse(os.path.exists(old2))
        self.assertTrue(os.path.exists(young))


if __name__ == "__main__":
    unittest.main()
