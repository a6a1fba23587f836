"""test_imap.py - imapd with Python's imaplib, the way a script would use
it: every FETCH item, partial fetches, STORE, SEARCH, the UID commands,
APPEND with a literal, COPY, MOVE, EXPUNGE, STATUS, LIST, RENAME, DELETE.

alice starts with the three messages of harness.ALICE_MESSAGES.
"""

import email
import imaplib
import re
import unittest

from harness import ALICE_MESSAGES, crlf, wire_size
from imap_harness import ImapTestCase


def fetch_value(data, name):
    """From imaplib's FETCH data, the string that follows @name: a literal
    (imaplib gives it as a tuple) or a quoted string."""
    key = name.encode()
    for part in data:
        if isinstance(part, tuple) and part[0].endswith(b"}") and key in part[0]:
            return part[1]
        if isinstance(part, bytes) and key + b' "' in part:
            m = re.search(re.escape(key) + rb' "((?:[^"\\]|\\.)*)"', part)
            return re.sub(rb"\\(.)", rb"\1", m.group(1))
    raise AssertionError("%s not in %r" % (name, data))


class Imaplib(ImapTestCase):
    def setUp(self):
        super().setUp()
        self.server = self.start()
        self.m = self.imaplib(self.server)
        self.assertOk(self.m.login("alice", "wonderland"))

    def select(self, name="INBOX"):
        data = self.assertOk(self.m.select(name))
        return int(data[0])

    def test_select_counts(self):
        self.assertEqual(self.select(), 3)
        self.assertEqual(self.m.untagged_responses.get("RECENT"), [b"3"])
        self.assertIn("UIDVALIDITY", self.m.untagged_responses)
        self.assertEqual(self.m.untagged_responses["UIDNEXT"], [b"4"])

    def test_select_again(self):
        """SELECT of the mailbox already selected: with nothing changed the
        view is kept, and the replies are those of a fresh open (no
        \\Recent left: this session claimed it); after a change made by
        another session the mailbox is read again."""
        self.assertEqual(self.select(), 3)
        self.assertOk(self.m.store("2", "+FLAGS", "(\\Flagged)"))
        self.assertEqual(self.select(), 3)
        self.assertEqual(self.m.untagged_responses.get("RECENT"), [b"0"])
        self.assertTrue(self.server.wait_trace(r"SELECT INBOX: unchanged on disk, view kept"))
        data = self.assertOk(self.m.fetch("2", "(FLAGS)"))
        self.assertIn(b"\\Flagged", data[0])
        other = self.imaplib(self.server)
        self.assertOk(other.login("alice", "wonderland"))
        self.assertOk(other.append("INBOX", None, None, crlf(ALICE_MESSAGES[0])))
        other.logout()
        self.assertEqual(self.select(), 4)
        self.assertEqual(self.m.untagged_responses.get("RECENT"), [b"1"])
        self.assertEqual(self.m.untagged_responses["UIDNEXT"], [b"5"])

    def test_fetch_whole_messages_byte_exact(self):
        self.select()
        for i, msg in enumerate(ALICE_MESSAGES, 1):
            data = self.assertOk(self.m.fetch(str(i), "(BODY.PEEK[])"))
            self.assertEqual(fetch_value(data, "BODY[]"), crlf(msg))
            data = self.assertOk(self.m.fetch(str(i), "(RFC822.SIZE)"))
            self.assertIn(b"RFC822.SIZE %d" % wire_size(msg), data[0])

    def test_fetch_every_item(self):
        self.select()
        data = self.assertOk(self.m.fetch("1", "(UID FLAGS INTERNALDATE RFC822.SIZE "
                                             "ENVELOPE BODYSTRUCTURE BODY)"))
        line = data[0]
        self.assertRegex(line, rb"UID 1 FLAGS \(\\Recent\) INTERNALDATE "
                               rb"\"\d\d-\w\w\w-\d{4} \d\d:\d\d:\d\d \+0000\" ")
        self.assertIn(b'ENVELOPE ("Mon, 02 Nov 2026 09:00:00 +0000" "Welcome" '
                      b'(("Course Staff" NIL "staff" "maillab.test"))', line)
        self.assertIn(b'"<one@maillab.test>")', line)
        self.assertIn(b'BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") '
                      b'NIL NIL "7bit" 42 2 NIL NIL NIL NIL)', line)
        self.assertIn(b'BODY ("text" "plain" ("charset" "us-ascii") NIL NIL '
                      b'"7bit" 42 2)', line)

    def test_fetch_sections_and_seen(self):
        self.select()
        data = self.assertOk(self.m.fetch("1", "(BODY.PEEK[HEADER] BODY.PEEK[TEXT])"))
        header, text = crlf(ALICE_MESSAGES[0]).split(b"\r\n\r\n", 1)
        self.assertEqual(fetch_value(data, "BODY[HEADER]"), header + b"\r\n\r\n")
        self.assertEqual(fetch_value(data, "BODY[TEXT]"), text)
        self.assertNotIn(b"\\Seen", self.assertOk(self.m.fetch("1", "FLAGS"))[0])
        data = self.assertOk(self.m.fetch("1", "(BODY[HEADER.FIELDS (SUBJECT)])"))
        self.assertEqual(fetch_value(data, "BODY[HEADER.FIELDS (SUBJECT)]"),
                         b"Subject: Welcome\r\n\r\n")
        # RFC 9051 §6.4.5: a body fetch without .PEEK sets \Seen
        self.assertIn(b"\\Seen", self.assertOk(self.m.fetch("1", "FLAGS"))[0])
        data = self.assertOk(self.m.fetch("2", "(RFC822.HEADER RFC822.TEXT)"))
        self.assertTrue(fetch_value(data, "RFC822.TEXT").startswith(b"The next lines"))
        self.assertIn(b"\\Seen", self.assertOk(self.m.fetch("2", "FLAGS"))[0])

    def test_partial_fetch(self):
        self.select()
        whole = crlf(ALICE_MESSAGES[2])
        data = self.assertOk(self.m.fetch("3", "(BODY.PEEK[]<10.20>)"))
        self.assertEqual(fetch_value(data, "BODY[]<10>"), whole[10:30])
        data = self.assertOk(self.m.fetch("3", "(BODY.PEEK[1]<0.9>)"))
        self.assertEqual(fetch_value(data, "BODY[1]<0>"), b"body line")

    def test_store_and_search(self):
        self.select()
        self.assertOk(self.m.store("1:2", "+FLAGS", r"(\Flagged $Work)"))
        self.assertEqual(self.assertOk(self.m.search(None, "FLAGGED")), [b"1 2"])
        self.assertEqual(self.assertOk(self.m.search(None, "KEYWORD", "$Work")), [b"1 2"])
        self.assertOk(self.m.store("2", "-FLAGS", r"(\Flagged)"))
        self.assertEqual(self.assertOk(self.m.search(None, "FLAGGED")), [b"1"])
        self.assertEqual(self.assertOk(self.m.search(None, "FROM", "Carol")), [b"3"])
        self.assertEqual(self.assertOk(self.m.search(None, "BODY", "dots")), [b"2"])
        self.assertEqual(self.assertOk(self.m.search(None, "OR SUBJECT Dots SUBJECT Ten")),
                         [b"2 3"])
        self.assertEqual(self.assertOk(self.m.search("UTF-8", "SUBJECT", "welcome")),
                         [b"1"])
        # the flags are in the file names, where Dovecot and mutt see them
        names = self.folder_files()
        self.assertTrue(any(n.endswith(":2,Fa") for n in names), names)

    def test_uid_commands(self):
        self.select()
        self.assertEqual(self.assertOk(self.m.uid("SEARCH", "ALL")), [b"1 2 3"])
        data = self.assertOk(self.m.uid("FETCH", "2:*", "(FLAGS)"))
        self.assertEqual(len(data), 2)
        self.assertTrue(all(b"UID " in d for d in data))
        self.assertOk(self.m.uid("STORE", "3", "+FLAGS", r"(\Deleted)"))
        typ, data = self.m.uid("EXPUNGE", "1:2")
        self.assertEqual(typ, "OK")
        self.assertEqual(self.m.select()[1], [b"3"])  # nothing among 1:2 was \Deleted
        self.assertOk(self.m.uid("EXPUNGE", "3"))
        self.assertEqual(self.assertOk(self.m.uid("SEARCH", "ALL")), [b"1 2"])

    def test_append_with_literal(self):
        msg = b"From: me@x.test\r\nSubject: appended\r\n\r\nline 1\r\nline 2\r\n"
        # RFC 3501 §8's INTERNALDATE, 17-Jul-1996 02:44:25 -0700
        typ, data = self.m.append("INBOX", r"(\Seen)",
                                  imaplib.Time2Internaldate(837596665), msg)
        self.assertEqual(typ, "OK")
        m = re.search(rb"\[APPENDUID (\d+) (\d+)\]", data[0])
        self.assertIsNotNone(m, data)
        self.assertEqual(int(m.group(2)), 4)
        self.select()
        data = self.assertOk(self.m.uid("FETCH", "4", "(FLAGS INTERNALDATE BODY.PEEK[])"))
        self.assertEqual(fetch_value(data, "BODY[]"), msg)
        self.assertIn(b"\\Seen", data[0][0])
        self.assertIn(b'INTERNALDATE "17-Jul-1996 09:44:25 +0000"', data[0][0])

    def test_append_to_missing_mailbox(self):
        typ, data = self.m.append("Nowhere", None, None, b"Subject: x\r\n\r\ny\r\n")
        self.assertEqual(typ, "NO")
        self.assertIn(b"[TRYCREATE]", data[0])

    def test_copy_move_expunge(self):
        self.select()
        self.assertOk(self.m.create("Archive"))
        data = self.assertOk(self.m.copy("1:2", "Archive"))
        self.assertRegex(data[0], rb"\[COPYUID \d+ 1:2 1:2\]")
        typ, data = self.m.uid("MOVE", "3", "Archive")
        self.assertEqual(typ, "OK")
        self.assertEqual(self.m.response("EXPUNGE"), ("EXPUNGE", [b"3"]))
        self.assertOk(self.m.store("1", "+FLAGS", r"(\Deleted)"))
        self.assertEqual(self.assertOk(self.m.expunge()), [b"1"])
        self.assertEqual(self.select("Archive"), 3)
        data = self.assertOk(self.m.fetch("3", "(BODY.PEEK[])"))
        self.assertEqual(fetch_value(data, "BODY[]"), crlf(ALICE_MESSAGES[2]))
        self.assertEqual(len(self.folder_files(folder="Archive")), 3)
        self.assertEqual(len(self.folder_files()), 1)

    def test_status(self):
        self.assertOk(self.m.create("Empty"))
        data = self.assertOk(self.m.status("INBOX", "(MESSAGES RECENT UIDNEXT UNSEEN)"))
        self.assertEqual(data[0], b"INBOX (MESSAGES 3 RECENT 3 UIDNEXT 4 UNSEEN 3)")
        data = self.assertOk(self.m.status("Empty", "(MESSAGES UIDNEXT)"))
        self.assertEqual(data[0], b"Empty (MESSAGES 0 UIDNEXT 1)")
        typ, _ = self.m.status("Nowhere", "(MESSAGES)")
        self.assertEqual(typ, "NO")

    def test_list_rename_delete(self):
        for name in ("Work", "Work/2026", "Entw&APw-rfe"):
            self.assertOk(self.m.create(name))
        listed = self.assertOk(self.m.list())
        self.assertIn(b'(\\HasChildren) "/" Work', listed)
        self.assertIn(b'(\\HasNoChildren) "/" Work/2026', listed)
        self.assertIn(b'(\\HasNoChildren) "/" Entw&APw-rfe', listed)
        self.assertTrue(self.folder_files(folder="Work/2026") == [])
        self.assertOk(self.m.rename("Work", "Job"))
        listed = self.assertOk(self.m.list('""', "Job*"))
        self.assertEqual(listed, [b'(\\HasChildren) "/" Job',
                                  b'(\\HasNoChildren) "/" Job/2026'])
        self.assertOk(self.m.delete("Job/2026"))
        self.assertEqual(self.assertOk(self.m.list('""', "Job*")),
                         [b'(\\HasNoChildren) "/" Job'])
        typ, _ = self.m.delete("INBOX")
        self.assertEqual(typ, "NO")
        typ, _ = self.m.select("Job/2026")
        self.assertEqual(typ, "NO")

    def test_rename_inbox_moves_its_mail(self):
        self.assertOk(self.m.rename("INBOX", "Old"))
        self.assertEqual(self.select("Old"), 3)
        self.assertEqual(self.select("INBOX"), 0)

    def test_subscriptions_and_namespace(self):
        self.assertOk(self.m.create("Lists"))
        self.assertOk(self.m.subscribe("Lists"))
        self.assertEqual(self.assertOk(self.m.lsub()), [b'() "/" Lists'])
        self.assertOk(self.m.unsubscribe("Lists"))
        self.assertEqual(self.assertOk(self.m.lsub()), [None])
        typ, data = self.m.namespace()
        self.assertEqual((typ, data), ("OK", [b'(("" "/")) NIL NIL']))

    def test_email_parses_what_fetch_gives(self):
        self.select()
        data = self.assertOk(self.m.fetch("1", "(RFC822)"))
        parsed = email.message_from_bytes(fetch_value(data, "RFC822"))
        self.assertEqual(parsed["Subject"], "Welcome")
        self.assertIn("first message", parsed.get_payload())


if __name__ == "__main__":
    unittest.main()
