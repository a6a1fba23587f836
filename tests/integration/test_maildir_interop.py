"""test_maildir_interop.py - one Maildir, two servers: maillab and Dovecot.

maillab's store must be a real Maildir: what maillab writes, Dovecot reads,
and what Dovecot writes, maillab serves.  Both servers are pointed at the
very same data directory: Dovecot's throwaway configuration (peers.py)
keeps its users in DIR/users in passwd-file form and its mail in
DIR/mail/USER/Maildir, which is exactly maillab's layout, so pop3d runs
with -d DIR on Dovecot's own files.

Dovecot reads mail as the system user vmail; maillab's tools run as root
here and create files readable by their owner only (mode 0600, as mail
should be), so files maillab wrote are handed to vmail before Dovecot
looks.  On a real machine both would run as the same mail user.
"""

import imaplib
import os
import poplib
import subprocess
import unittest

import harness
import peers

MESSAGES = harness.ALICE_MESSAGES


def chown_tree(root, uid, gid):
    for base, dirs, files in os.walk(root):
        for name in dirs + files:
            os.chown(os.path.join(base, name), uid, gid)
    os.chown(root, uid, gid)


class MaildirInteropTest(unittest.TestCase):

    def setUp(self):
        tls = os.path.join(harness.template_dir(), "tls")
        self.dovecot = peers.Dovecot(tls)
        self.addCleanup(self.dovecot.stop)
        self.dir = self.dovecot.dir
        self.maildir = os.path.join(self.dir, "mail", "alice", "Maildir")
        os.makedirs(os.path.join(self.dir, "log"), exist_ok=True)
        self.pop3d = None

    def tearDown(self):
        if self.pop3d is not None:
            status = self.pop3d.stop()
            self.pop3d.check_clean()
            self.assertEqual(status, 0, "pop3d did not stop cleanly")

    def start_pop3d(self):
        # plain only: Dovecot's directory has no maillab CA of its own
        self.pop3d = harness.Server(self.dir, listen=("plain",),
                                    extra=("--no-tls",))
        return self.pop3d

    def imap_dovecot(self):
        m = imaplib.IMAP4("127.0.0.1", self.dovecot.ports["imap"])
        m.login("alice", "wonderland")
        return m

    def vmail_owns_mail(self):
        uid, gid = peers.vmail_ids()
        chown_tree(os.path.join(self.dir, "mail"), uid, gid)

    def test_dovecot_reads_what_maillab_wrote(self):
        for m in MESSAGES:
            harness.mailctl(self.dir, "deliver", "alice", stdin=m)
        # pop3d reads message 1 and quits: maillab flags it Seen (cur/, :2,S)
        pop = poplib.POP3("127.0.0.1", self.start_pop3d().port, timeout=10)
        pop.user("alice")
        pop.pass_("wonderland")
        ours = [int(line.split()[1]) for line in pop.list()[1]]
        pop.retr(1)
        pop.quit()
        self.vmail_owns_mail()

        imap = self.imap_dovecot()
        typ, data = imap.select("INBOX")
        self.assertEqual(typ, "OK")
        self.assertEqual(int(data[0]), len(MESSAGES))
        typ, data = imap.fetch("1:*", "(FLAGS RFC822.SIZE BODY.PEEK[])")
        self.assertEqual(typ, "OK")
        fetched = [d for d in data if isinstance(d, tuple)]
        self.assertEqual(len(fetched), len(MESSAGES))
        for i, (head, body) in enumerate(fetched):
            self.assertEqual(body, harness.crlf(MESSAGES[i]),
                             "Dovecot's copy of message %d differs" % (i + 1))
            size = int(head.split(b"RFC822.SIZE ")[1].split()[0].rstrip(b")"))
            self.assertEqual(size, ours[i], "sizes disagree for message %d" % (i + 1))
        flags = [h for h, _ in fetched]
        self.assertIn(b"\\Seen", flags[0])
        self.assertNotIn(b"\\Seen", flags[1])
        imap.logout()

    def test_maillab_serves_what_dovecot_wrote(self):
        imap = self.imap_dovecot()
        for i, m in enumerate(MESSAGES):
            flags = "(\\Seen \\Flagged)" if i == 0 else None
            typ, _ = imap.append("INBOX", flags, None, harness.crlf(m))
            self.assertEqual(typ, "OK")
        imap.select("INBOX")
        imap.store("2", "+FLAGS", "(\\Answered)")
        imap.logout()
        names = sorted(os.listdir(os.path.join(self.maildir, "cur")) +
                       os.listdir(os.path.join(self.maildir, "new")))
        self.assertEqual(len(names), len(MESSAGES), names)
        self.assertTrue(any(":2,FS" in n for n in names), names)

        pop = poplib.POP3("127.0.0.1", self.start_pop3d().port, timeout=10)
        pop.user("alice")
        pop.pass_("wonderland")
        count, total = pop.stat()
        self.assertEqual(count, len(MESSAGES))
        self.assertEqual(total, sum(harness.wire_size(m) for m in MESSAGES))
        for i, m in enumerate(MESSAGES):
            _, lines, octets = pop.retr(i + 1)
            # poplib strips CRLF and undoes byte-stuffing
            self.assertEqual(b"\r\n".join(lines) + b"\r\n", harness.crlf(m))
            size = int(pop.list(i + 1).split()[2])
            self.assertEqual(size, harness.wire_size(m))
        uidl = pop.uidl()[1]
        self.assertEqual(len(set(u.split()[1] for u in uidl)), len(MESSAGES))
        pop.quit()
        # Dovecot's own bookkeeping is untouched by maillab
        self.assertTrue(os.path.exists(os.path.join(self.maildir, "dovecot-uidlist")))


if __name__ == "__main__":
    unittest.main()
