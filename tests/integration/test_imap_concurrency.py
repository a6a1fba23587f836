"""test_imap_concurrency.py - several sessions on one mailbox, each in its
own imapd process, as in real use (a phone and a laptop on one INBOX).

RFC 9051 §7.3.1 (EXISTS), §7.5.1 (EXPUNGE, and when it may not be sent),
§7.5.2 (FETCH for flag changes), RFC 2177 (IDLE).
"""

import os
import re
import select
import time
import unittest

from harness import crlf
from imap_harness import ImapTestCase


NEW_MAIL = (b"From: Dave <dave@maillab.test>\nTo: alice@maillab.test\n"
            b"Subject: Late\n\nArrived while you were connected.\n")


class TwoSessions(ImapTestCase):
    def setUp(self):
        super().setUp()
        self.server = self.start()
        self.a = self.raw(self.server)
        self.a.login(select="INBOX")
        self.b = self.raw(self.server)
        self.b.login(select="INBOX")

    def test_append_in_one_exists_in_the_other(self):
        self.a.send("x APPEND INBOX {%d}\r\n" % len(crlf(NEW_MAIL)))
        self.assertEqual(self.a.read_with_literals(), b"+ Ready for literal data")
        self.a.send(crlf(NEW_MAIL) + b"\r\n")
        lines = self.a.response("x")
        self.assertIn(b"* 4 EXISTS", lines)
        self.assertRegex(lines[-1], rb"^x OK \[APPENDUID \d+ 4\]")
        lines = self.b.command("y", "NOOP")
        self.assertIn(b"* 4 EXISTS", lines)
        lines = self.b.command("z", "FETCH 4 BODY.PEEK[]")
        self.assertEqual(lines[0], b"* 4 FETCH (BODY[] {%d}\r\n" % len(crlf(NEW_MAIL))
                         + crlf(NEW_MAIL) + b")")

    def test_copy_numbers_delivered_mail_first(self):
        """Mail delivered to the target since anyone looked is numbered
        before the copy, which comes last (RFC 9051 §2.3.1.1), and
        COPYUID names the target's UIDVALIDITY (RFC 4315 §3)."""
        self.assertEqual(self.a.tagged("a1", "CREATE Archive"), "a1 OK CREATE completed")
        self.assertRegex(self.a.command("a2", "COPY 2 Archive")[-1],
                         rb"^a2 OK \[COPYUID \d+ 2 1\]")
        self.a.command("a3", "SELECT Archive")
        self.deliver("alice", NEW_MAIL)
        lines = self.a.command("a4", "COPY 1 INBOX")
        m = re.match(rb"^a4 OK \[COPYUID (\d+) 1 (\d+)\]", lines[-1])
        self.assertIsNotNone(m, lines)
        self.assertEqual(int(m.group(2)), 5)
        self.assertIsNotNone(self.server.wait_trace(
            r"note INBOX: 1 message\(s\) delivered to new/ numbered first"),
            self.server.trace())
        status = self.b.command("b1", "STATUS INBOX (UIDVALIDITY UIDNEXT)")
        self.assertIn(b"UIDVALIDITY %s UIDNEXT 6" % m.group(1), status[0])
        lines = self.b.command("b2", "UID FETCH 4:5 (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        fetched = b"\n".join(lines)
        self.assertRegex(fetched, rb"UID 4 BODY\[HEADER.FIELDS \(SUBJECT\)\] \{\d+\}\r\nSubject: Late")
        self.assertRegex(fetched, rb"UID 5 BODY\[HEADER.FIELDS \(SUBJECT\)\] \{\d+\}\r\nSubject: Dots")

    def test_delivery_seen_by_both(self):
        self.deliver("alice", NEW_MAIL)
        self.assertIn(b"* 4 EXISTS", self.a.command("x", "NOOP"))
        self.assertIn(b"* 4 EXISTS", self.b.command("y", "NOOP"))

    def test_expunge_keeps_numbers_valid_until_told(self):
        self.assertEqual(self.a.tagged("a1", "STORE 1 +FLAGS.SILENT (\\Deleted)"),
                         "a1 OK STORE completed")
        self.assertEqual(self.a.command("a2", "EXPUNGE"),
                         [b"* 1 EXPUNGE", b"a2 OK EXPUNGE completed"])
        # B still numbers the messages 1..3: message 3 is still "Ten lines"
        lines = self.b.command("b1", "FETCH 3 BODY.PEEK[HEADER.FIELDS (SUBJECT)]")
        self.assertIn(b"Subject: Ten lines", lines[0])
        self.assertNotIn(b"* 1 EXPUNGE", lines)
        self.assertEqual(self.b.command("b2", "SEARCH ALL"),
                         [b"* SEARCH 1 2 3", b"b2 OK SEARCH completed"])
        # until a command that may carry EXPUNGE
        self.assertEqual(self.b.command("b3", "NOOP"),
                         [b"* 1 EXPUNGE", b"b3 OK NOOP completed"])
        lines = self.b.command("b4", "FETCH 2 BODY.PEEK[HEADER.FIELDS (SUBJECT)]")
        self.assertIn(b"Subject: Ten lines", lines[0])

    def test_flag_change_is_reported(self):
        self.a.tagged("a1", "STORE 2 +FLAGS.SILENT (\\Flagged)")
        self.assertEqual(self.b.command("b1", "NOOP"),
                         [b"* 2 FETCH (FLAGS (\\Flagged))", b"b1 OK NOOP completed"])

    def test_recent_goes_to_one_session_only(self):
        self.deliver("alice", NEW_MAIL)
        got_a = self.a.command("x", "NOOP")
        got_b = self.b.command("y", "NOOP")
        recent = [l for l in got_a + got_b if l.endswith(b" RECENT")]
        # A selected first and holds 1..3; the new one goes to whoever
        # looked first (A here); B never sees a \Recent message
        self.assertIn(b"* 4 RECENT", recent)
        self.assertIn(b"* 0 RECENT", recent)


class Idle(ImapTestCase):
    def setUp(self):
        super().setUp()
        self.server = self.start()
        self.c = self.raw(self.server)
        self.c.login(select="INBOX")

    def test_idle_wakes_on_new_mail(self):
        self.c.send("i IDLE\r\n")
        self.assertEqual(self.c.read_with_literals(), b"+ idling")
        self.assertTrue(self.c.nothing_pending(0.2))
        self.deliver("alice", NEW_MAIL)
        # the untagged EXISTS arrives without any command from the client
        self.assertEqual(self.c.read_with_literals(timeout=20), b"* 4 EXISTS")
        self.assertEqual(self.c.read_with_literals(), b"* 4 RECENT")
        self.c.send("DONE\r\n")
        self.assertEqual(self.c.response("i"), [b"i OK IDLE terminated"])

    def test_idle_reports_expunge_from_another_session(self):
        other = self.raw(self.server)
        other.login(select="INBOX")
        self.c.send("i IDLE\r\n")
        self.assertEqual(self.c.read_with_literals(), b"+ idling")
        other.tagged("o1", "STORE 2 +FLAGS.SILENT (\\Deleted)")
        # this session selected first, so the message is \Recent here
        self.assertEqual(self.c.read_with_literals(timeout=20),
                         b"* 2 FETCH (FLAGS (\\Deleted \\Recent))")
        other.tagged("o2", "EXPUNGE")
        self.assertEqual(self.c.read_with_literals(timeout=20), b"* 2 EXPUNGE")
        self.c.send("DONE\r\n")
        self.assertEqual(self.c.response("i"), [b"i OK IDLE terminated"])

    def test_idle_costs_no_cpu(self):
        # a waiting session sleeps in poll(): its CPU time stays ~0 while
        # a busy-polling loop would use a good part of a second
        self.c.send("i IDLE\r\n")
        self.assertEqual(self.c.read_with_literals(), b"+ idling")
        pid = self.session_pid()
        before = self.cpu_ticks(pid)
        r, _, _ = select.select([self.c.sock], [], [], 1.0)
        self.assertEqual(r, [])
        self.assertLessEqual(self.cpu_ticks(pid) - before, 5)
        self.c.send("DONE\r\n")
        self.assertEqual(self.c.response("i"), [b"i OK IDLE terminated"])

    def session_pid(self):
        children = open("/proc/%d/task/%d/children" % (self.server.proc.pid,
                                                     self.server.proc.pid)).read()
        pids = [int(p) for p in children.split()]
        self.assertEqual(len(pids), 1, "one session process expected")
        return pids[0]

    @staticmethod
    def cpu_ticks(pid):
        fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime


class ListingTrace(ImapTestCase):
    """The trace says how each listing of a folder was made, so that a
    slow SELECT can be explained: every file looked at, only the new ones
    (the cache knew the rest), or none (the cache alone)."""

    def assertTraced(self, server, pattern):
        self.assertIsNotNone(server.wait_trace(pattern), server.trace())

    def age_folder(self):
        for sub in ("new", "cur"):
            past = time.time() - 3600
            os.utime(os.path.join(self.maildir(), sub), (past, past))

    def test_select_then_sync_after_a_delivery(self):
        server = self.start()
        a = self.raw(server)
        a.login(select="INBOX")
        self.assertTraced(server, r"SELECT INBOX: listed whole \(no usable cache\): "
                          r"3 file\(s\) looked at")
        # quiet for an hour: the next listing is saved as the cache
        self.age_folder()
        b = self.raw(server)
        b.login(select="INBOX")
        c = self.raw(server)
        c.login(select="INBOX")
        self.assertTraced(server, r"SELECT INBOX: listed from its cache \(unchanged\)")
        # one delivery: the next sync looks at that one file only
        self.deliver("alice", NEW_MAIL)
        self.assertIn(b"* 4 EXISTS", c.command("c1", "NOOP"))
        # ("wake" if c was quiet long enough for its view to sleep)
        self.assertTraced(server, r"(sync|wake) INBOX: listed again after a change: 1 file\(s\) "
                          r"looked at, the rest as the cache knew them")

    def test_status_says_how_it_listed(self):
        # STATUS lists the folder without selecting it (RFC 9051 §6.3.11);
        # the trace says how, as it does for SELECT
        server = self.start()
        a = self.raw(server)
        a.login()
        self.assertIn(b"* STATUS INBOX (MESSAGES 3)", a.command("s1", "STATUS INBOX (MESSAGES)"))
        self.assertTraced(server, r"STATUS INBOX: listed whole \(no usable cache\): "
                          r"3 file\(s\) looked at")
        self.age_folder()
        a.command("s2", "STATUS INBOX (MESSAGES)")
        a.command("s3", "STATUS INBOX (UNSEEN)")
        self.assertTraced(server, r"STATUS INBOX: listed from its cache \(unchanged\)")


class SleepingView(ImapTestCase):
    """A session quiet for --sleep-after seconds (here 1) lets its view of
    the selected mailbox sleep (UIDs and flags only) and lists the folder
    again at its next command: what changed meanwhile is reported as it
    would have been, and nothing the client was told is lost."""

    def setUp(self):
        super().setUp()
        self.server = self.start(extra=("--sleep-after", "1"))
        self.a = self.raw(self.server)
        self.a.login(select="INBOX")
        self.b = self.raw(self.server)
        self.b.login(select="INBOX")

    def asleep(self, session):
        pattern = r"#%d sleep INBOX: (\d+) message\(s\), UIDs and flags kept" % session
        m = self.server.wait_trace(pattern)
        self.assertIsNotNone(m, self.server.trace())
        return int(m.group(1))

    def test_changes_made_while_asleep_are_reported(self):
        self.assertEqual(self.asleep(1), 3)
        self.assertEqual(self.b.tagged("b1", "STORE 1 +FLAGS.SILENT (\\Flagged)"),
                         "b1 OK STORE completed")
        self.assertEqual(self.b.tagged("b2", "STORE 2 +FLAGS.SILENT (\\Deleted)"),
                         "b2 OK STORE completed")
        self.assertEqual(self.b.tagged("b3", "EXPUNGE"), "b3 OK EXPUNGE completed")
        self.deliver("alice", NEW_MAIL)
        # FETCH may report the new message and the new flags, not the
        # expunge (RFC 9051 §7.5.1): message 2 stays a ghost and the
        # numbers stay as the client knows them
        lines = self.a.command("a1", "FETCH 1:3 (UID FLAGS)")
        self.assertEqual(lines, [b"* 4 EXISTS", b"* 4 RECENT",
                                 b"* 1 FETCH (FLAGS (\\Flagged \\Recent))",
                                 b"* 1 FETCH (UID 1 FLAGS (\\Flagged \\Recent))",
                                 b"* 2 FETCH (UID 2 FLAGS (\\Recent))",
                                 b"* 3 FETCH (UID 3 FLAGS (\\Recent))",
                                 b"a1 OK FETCH completed"])
        self.assertTraced(r"#1 wake INBOX: listed")
        self.assertEqual(self.a.command("a2", "NOOP"),
                         [b"* 2 EXPUNGE", b"a2 OK NOOP completed"])
        lines = self.a.command("a3", "FETCH 3 (UID BODY.PEEK[])")
        self.assertEqual(lines[0], b"* 3 FETCH (UID 4 BODY[] {%d}\r\n" % len(crlf(NEW_MAIL))
                         + crlf(NEW_MAIL) + b")")

    def test_what_was_not_yet_told_survives_a_sleep(self):
        # a hears of the flag change with its next command, a FETCH, which
        # may not report the expunge (RFC 9051 §7.5.1): the ghost waits,
        # in its place, through a second sleep
        self.asleep(1)
        self.b.tagged("b1", "STORE 3 +FLAGS.SILENT (\\Answered)")
        self.b.tagged("b2", "STORE 1 +FLAGS.SILENT (\\Deleted)")
        self.b.tagged("b3", "EXPUNGE")
        lines = self.a.command("a1", "FETCH 2 (UID)")
        self.assertEqual(lines[-2:], [b"* 2 FETCH (UID 2)", b"a1 OK FETCH completed"])
        self.assertIn(b"* 3 FETCH (FLAGS (\\Answered \\Recent))", lines)
        m = self.server.wait_trace(r"(?s)#1 wake INBOX.*#1 sleep INBOX: 3 message")
        self.assertIsNotNone(m, self.server.trace())
        self.assertEqual(self.a.command("a2", "NOOP")[:1], [b"* 1 EXPUNGE"])
        self.assertEqual(self.a.command("a3", "FETCH 1:* (UID)")[:2],
                         [b"* 1 FETCH (UID 2)", b"* 2 FETCH (UID 3)"])

    def test_idle_sleeps_and_still_reports_new_mail(self):
        self.a.send("i IDLE\r\n")
        self.assertEqual(self.a.read_with_literals(), b"+ idling")
        self.asleep(1)
        self.deliver("alice", NEW_MAIL)
        self.assertEqual(self.a.read_with_literals(timeout=20), b"* 4 EXISTS")
        self.assertEqual(self.a.read_with_literals(), b"* 4 RECENT")
        self.assertTraced(r"#1 wake INBOX: listed")
        self.a.send("DONE\r\n")
        self.assertEqual(self.a.response("i"), [b"i OK IDLE terminated"])

    def test_a_folder_deleted_while_asleep_ends_the_session(self):
        self.assertEqual(self.b.tagged("b1", "CREATE Work"), "b1 OK CREATE completed")
        self.assertEqual(self.a.command("a1", "SELECT Work")[-1],
                         b"a1 OK [READ-WRITE] SELECT completed")
        m = self.server.wait_trace(r"#1 sleep Work: 0 message")
        self.assertIsNotNone(m, self.server.trace())
        self.assertEqual(self.b.tagged("b2", "DELETE Work"), "b2 OK DELETE completed")
        self.a.send("a2 NOOP\r\n")
        self.assertRegex(self.a.read_with_literals(),
                         rb"^\* BYE the selected mailbox is gone")
        self.a.expect_closed()

    def assertTraced(self, pattern):
        self.assertIsNotNone(self.server.wait_trace(pattern), self.server.trace())


if __name__ == "__main__":
    unittest.main()
