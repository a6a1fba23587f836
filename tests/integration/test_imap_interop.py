"""test_imap_interop.py - imapd and the other programs on the same mail:
a message smtpd delivered is fetched byte for byte, and a Maildir that
Dovecot wrote (flags, keywords in dovecot-keywords, a Maildir++ folder) is
served as Dovecot would serve it, and what imapd changes there Dovecot
sees.
"""

import imaplib
import os
import unittest

import harness
import peers
from harness import crlf
from imap_harness import ImapTestCase
from smtp_harness import SmtpTestCase

# A message with what breaks naive code: a line that starts with a dot
# (stuffed on the SMTP wire), 8-bit text, a long line, a trailing space.
ODD_MESSAGE = (b"From: Bob <bob@maillab.test>\r\n"
               b"To: Alice <alice@maillab.test>\r\n"
               b"Subject: odd bytes\r\n"
               b"Content-Type: text/plain; charset=utf-8\r\n"
               b"Content-Transfer-Encoding: 8bit\r\n"
               b"\r\n"
               b".leading dot\r\n"
               b"caf\xc3\xa9 \r\n"
               + b"x" * 900 + b"\r\n")


class SmtpToImap(ImapTestCase, SmtpTestCase):
    def test_delivered_by_smtpd_fetched_byte_exact(self):
        smtpd = self.start_smtpd(domains=("maillab.test",))
        imapd = self.start()
        c = self.smtp(smtpd)
        c.ehlo()
        stuffed = ODD_MESSAGE.replace(b"\r\n.", b"\r\n..")
        code, text = c.send_message("bob@maillab.test", ["alice@maillab.test"],
                                    stuffed)
        self.assertEqual(code, 250, text)
        stored = self.wait_stored("alice", 1)[0]
        m = self.imaplib(imapd, "tls")
        self.assertOk(m.login("alice", "wonderland"))
        self.assertOk(m.select())
        data = self.assertOk(m.fetch("1", "(RFC822.SIZE BODY.PEEK[])"))
        fetched = data[0][1]
        # exactly what is on disk (with CRLF), and the message as sent,
        # after the trace fields smtpd put in front
        self.assertEqual(fetched, crlf(stored))
        self.assertTrue(fetched.endswith(ODD_MESSAGE), fetched[-200:])
        self.assertIn(b"RFC822.SIZE %d " % len(fetched), data[0][0])
        data = self.assertOk(m.fetch("1", "(BODY.PEEK[TEXT])"))
        self.assertEqual(data[0][1], ODD_MESSAGE.split(b"\r\n\r\n", 1)[1])


class DovecotWrote(unittest.TestCase):
    """Dovecot writes a Maildir through its own IMAP; imapd serves it."""

    def setUp(self):
        tls = os.path.join(harness.template_dir(), "tls")
        self.dovecot = peers.Dovecot(tls)
        self.addCleanup(self.dovecot.stop)
        self.dir = self.dovecot.dir
        os.makedirs(os.path.join(self.dir, "log"), exist_ok=True)
        self.imapd = None

    def tearDown(self):
        if self.imapd is not None:
            status = self.imapd.stop()
            self.imapd.check_clean()
            self.assertEqual(status, 0, "imapd did not stop cleanly")

    def dovecot_imap(self):
        m = imaplib.IMAP4("127.0.0.1", self.dovecot.ports["imap"], timeout=10)
        m.login("alice", "wonderland")
        return m

    def our_imap(self):
        if self.imapd is None:
            # plain only: Dovecot's directory has no maillab CA of its own
            self.imapd = harness.Server(self.dir, listen=("plain",),
                                        extra=("--no-tls",), name="imapd")
        m = imaplib.IMAP4("127.0.0.1", self.imapd.port, timeout=10)
        m.login("alice", "wonderland")
        return m

    def test_served_as_dovecot_wrote_it(self):
        d = self.dovecot_imap()
        messages = [crlf(x) for x in harness.ALICE_MESSAGES]
        for i, msg in enumerate(messages):
            flags = r"(\Seen $Work)" if i == 0 else (r"($Junk)" if i == 1 else None)
            self.assertEqual(d.append("INBOX", flags, None, msg)[0], "OK")
        # Dovecot's Maildir++ separator is '.'; ours on the wire is '/'
        self.assertEqual(d.create("Archive.2026")[0], "OK")
        self.assertEqual(d.append("Archive.2026", r"(\Flagged)", None, messages[2])[0], "OK")
        d.logout()
        maildir = os.path.join(self.dir, "mail", "alice", "Maildir")
        self.assertTrue(os.path.exists(os.path.join(maildir, "dovecot-keywords")))

        m = self.our_imap()
        typ, data = m.select("INBOX")
        self.assertEqual((typ, data), ("OK", [b"3"]))
        data = m.fetch("1:3", "(FLAGS BODY.PEEK[])")[1]
        bodies = [x[1] for x in data if isinstance(x, tuple)]
        heads = [x[0] for x in data if isinstance(x, tuple)]
        self.assertEqual(bodies, messages)
        self.assertRegex(heads[0], rb"FLAGS \(\\Seen[^)]*\$Work\)")
        self.assertRegex(heads[1], rb"FLAGS \([^)]*\$Junk\)")
        self.assertIn(b'"/" Archive/2026', b" ".join(m.list()[1]))
        self.assertEqual(m.select("Archive/2026"), ("OK", [b"1"]))
        self.assertIn(b"\\Flagged", m.fetch("1", "FLAGS")[1][0])
        # a keyword added here, in Dovecot's own letters
        m.select("INBOX")
        self.assertEqual(m.store("3", "+FLAGS", "($Later)")[0], "OK")
        m.logout()
        uid, gid = peers.vmail_ids()
        for base, dirs, files in os.walk(maildir):
            for name in dirs + files:
                os.chown(os.path.join(base, name), uid, gid)
        d = self.dovecot_imap()
        d.select("INBOX")
        self.assertIn(b"$Later", d.fetch("3", "FLAGS")[1][0])
        self.assertIn(b"$Work", d.fetch("1", "FLAGS")[1][0])
        d.logout()


if __name__ == "__main__":
    unittest.main()
