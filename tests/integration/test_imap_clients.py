"""test_imap_clients.py - real clients against imapd: curl's imap:// and
imaps:// URLs (RFC 5092 forms), and mbsync (isync) keeping a local
Maildir in sync in both directions.

mbsync is the hard one: it SELECTs every mailbox, fetches by UID,
APPENDs with flags and dates, stores flags, expunges, and remembers
UIDVALIDITY and UIDs between runs.  A second run with nothing changed on
either side must change nothing at all.
"""

import os
import re
import shutil
import subprocess
import unittest

from harness import ALICE_MESSAGES, crlf, curl
from imap_harness import ImapTestCase


class Curl(ImapTestCase):
    def setUp(self):
        super().setUp()
        self.server = self.start()
        self.url = "imap://alice:wonderland@127.0.0.1:%d" % self.server.port_for("starttls")
        self.ca = os.path.join(self.data, "tls", "ca.pem")

    def curl_ok(self, *args):
        status, out, err = curl(*args)
        self.assertEqual(status, 0, "curl %s: %s" % (" ".join(args), err))
        return out

    def test_list_top_level(self):
        out = self.curl_ok(self.url + "/")
        self.assertIn(b'* LIST (\\HasNoChildren) "/" INBOX', out)

    def test_fetch_by_uid(self):
        for uid, msg in enumerate(ALICE_MESSAGES, 1):
            out = self.curl_ok(self.url + "/INBOX/;UID=%d" % uid)
            self.assertEqual(out, crlf(msg))

    def test_fetch_section_and_partial(self):
        out = self.curl_ok(self.url + "/INBOX/;UID=1/;SECTION=HEADER.FIELDS%20(SUBJECT)")
        self.assertEqual(out, b"Subject: Welcome\r\n\r\n")
        out = self.curl_ok(self.url + "/INBOX/;UID=3/;SECTION=TEXT/;PARTIAL=0.11")
        self.assertEqual(out, b"body line 1")

    def test_uidvalidity_checked(self):
        status, out, err = curl(self.url + "/INBOX;UIDVALIDITY=1/;UID=1")
        self.assertNotEqual(status, 0)

    def test_search(self):
        out = self.curl_ok(self.url + "/INBOX?SUBJECT%20Dots")
        self.assertEqual(out, b"* SEARCH 2\r\n")

    def test_custom_request(self):
        out = self.curl_ok(self.url + "/INBOX", "-X", "FETCH 1:* (FLAGS)")
        self.assertEqual(out.count(b"FETCH (FLAGS"), 3)

    def test_upload_appends(self):
        path = os.path.join(self.data, "upload.eml")
        with open(path, "wb") as f:
            f.write(b"From: curl@x.test\r\nSubject: uploaded\r\n\r\nby curl\r\n")
        self.curl_ok("-T", path, self.url + "/INBOX")
        out = self.curl_ok(self.url + "/INBOX/;UID=4")
        self.assertEqual(out, b"From: curl@x.test\r\nSubject: uploaded\r\n\r\nby curl\r\n")

    def test_starttls_required(self):
        out = self.curl_ok("--ssl-reqd", "--cacert", self.ca, self.url + "/INBOX/;UID=1")
        self.assertEqual(out, crlf(ALICE_MESSAGES[0]))
        self.assertTrue(self.server.wait_trace(r"tls TLSv1\.[23]"))

    def test_imaps(self):
        url = "imaps://alice:wonderland@localhost:%d/INBOX/;UID=2" % self.server.port_for("tls")
        out = self.curl_ok("--cacert", self.ca, url)
        self.assertEqual(out, crlf(ALICE_MESSAGES[1]))

    def test_sasl_ir_plain(self):
        out = self.curl_ok("--sasl-ir", "--login-options", "AUTH=PLAIN",
                           self.url + "/INBOX/;UID=1")
        self.assertEqual(out, crlf(ALICE_MESSAGES[0]))
        self.assertTrue(self.server.wait_trace(r"PLAIN ok for alice"))

    def test_wrong_password(self):
        url = "imap://alice:nope@127.0.0.1:%d/" % self.server.port_for("starttls")
        status, out, err = curl(url)
        self.assertEqual(status, 67, err)  # CURLE_LOGIN_DENIED


class Mbsync(ImapTestCase):
    """mbsync -a with one channel: every mailbox, both ways, expunge."""

    def setUp(self):
        super().setUp()
        if shutil.which("mbsync") is None:
            self.fail("mbsync is not installed (Debian package isync)")
        self.server = self.start()
        self.local = os.path.join(self.data, "local")
        os.makedirs(self.local)
        self.rc = os.path.join(self.data, "mbsyncrc")
        with open(self.rc, "w") as f:
            f.write(MBSYNCRC % {
                "port": self.server.port_for("tls"),
                "ca": os.path.join(self.data, "tls", "ca.pem"),
                "local": self.local,
            })

    def mbsync(self):
        r = subprocess.run(["mbsync", "-V", "-c", self.rc, "-a"],
                           capture_output=True, timeout=60)
        out = (r.stdout + r.stderr).decode(errors="replace")
        self.assertEqual(r.returncode, 0, "mbsync failed:\n" + out)
        self.assertNotIn("Error", out)
        return out

    def local_files(self, box="INBOX"):
        names = []
        for sub in ("new", "cur"):
            d = os.path.join(self.local, box, sub)
            if os.path.isdir(d):
                names += os.listdir(d)
        return sorted(names)

    def local_messages(self, box="INBOX"):
        out = []
        for name in self.local_files(box):
            for sub in ("new", "cur"):
                p = os.path.join(self.local, box, sub, name)
                if os.path.exists(p):
                    with open(p, "rb") as f:
                        data = f.read().replace(b"\r\n", b"\n")
                    # mbsync marks the copies it makes with a header of
                    # its own (X-TUID, to find them again); not ours
                    out.append(re.sub(rb"(?m)^X-TUID: .*\n", b"", data))
        return sorted(out)

    def snapshot(self):
        """Every message file on both sides, with its flags."""
        server = []
        for root, _, files in os.walk(self.maildir()):
            if os.path.basename(root) in ("cur", "new"):
                server += [os.path.join(root, f) for f in files]
        local = []
        for root, _, files in os.walk(self.local):
            if os.path.basename(root) in ("cur", "new"):
                local += [os.path.join(root, f) for f in files]
        return sorted(server), sorted(local)

    def test_sync_both_ways_then_nothing_changes(self):
        # 1. server -> local: the three messages, byte for byte
        m = self.imaplib(self.server, "tls")
        self.assertOk(m.login("alice", "wonderland"))
        self.assertOk(m.create("Projects"))
        self.mbsync()
        self.assertEqual(self.local_messages(), sorted(ALICE_MESSAGES))
        self.assertTrue(os.path.isdir(os.path.join(self.local, "Projects")))
        # 2. local -> server: a new message, and a flag set locally
        new = os.path.join(self.local, "INBOX", "new", "1700000000.local.test")
        body = b"From: me@local.test\nSubject: written offline\n\nfrom mbsync\n"
        with open(new, "wb") as f:
            f.write(body)
        self.mbsync()
        self.assertOk(m.select("INBOX"))
        self.assertEqual(self.assertOk(m.search(None, "SUBJECT", '"written offline"')), [b"4"])
        # 3. a change on the server: a flag, and an expunge
        self.assertOk(m.store("1", "+FLAGS", r"(\Flagged)"))
        self.assertOk(m.store("2", "+FLAGS", r"(\Deleted)"))
        self.assertOk(m.expunge())
        self.mbsync()
        msgs = self.local_messages()
        self.assertEqual(len(msgs), 3)
        self.assertNotIn(ALICE_MESSAGES[1], msgs)
        self.assertTrue(any(re.search(r":2,[A-Z]*F", n) for n in self.local_files()),
                        self.local_files())
        # 4. nothing changed anywhere: the next run changes nothing
        before = self.snapshot()
        out = self.mbsync()
        self.assertEqual(self.snapshot(), before)
        self.assertNotRegex(out, r"(?m)^(Far|Near): [+*#-][1-9]")
        uidvalidity_runs = re.findall(r"UIDVALIDITY", out)
        self.assertEqual(uidvalidity_runs, [], out)


MBSYNCRC = """\
IMAPAccount maillab
Host localhost
Port %(port)d
User alice
Pass wonderland
SSLType IMAPS
CertificateFile %(ca)s

IMAPStore remote
Account maillab

MaildirStore local
Path %(local)s/
Inbox %(local)s/INBOX
SubFolders Verbatim

Channel everything
Far :remote:
Near :local:
Patterns *
Create Both
Expunge Both
SyncState *
"""


if __name__ == "__main__":
    unittest.main()
