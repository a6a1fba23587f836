"""test_mailsh_imap.py - mailsh on a terminal against IMAP servers.

Run against Dovecot (always, see peers.py) and our imapd (once built):
tags added and shown, the states in the prompt with the mailbox name,
a command in the wrong state, completion of mailbox names from LIST, an
APPEND with a literal typed line by line (the {n} count, the "+"
continuation, the rest of the command), STARTTLS, and AUTHENTICATE PLAIN
answering the continuation with the base64 that :plain builds.
"""

import os
import unittest

from mailsh_targets import DovecotServer, OurServer
from pty_harness import ShellTestCase


class ImapTests:
    scheme = "imap"

    def login(self, sh):
        sh.prompt("imap NOT AUTHENTICATED")
        sh.line(":warnings off")
        sh.prompt("imap NOT AUTHENTICATED")
        sh.line("LOGIN alice wonderland")
        sh.expect(r"^a001 OK")
        sh.expect(r"imap NOT AUTHENTICATED -> AUTHENTICATED on OK to LOGIN")
        sh.prompt("imap AUTHENTICATED")
        sh.line(":warnings on")
        sh.prompt("imap AUTHENTICATED")

    def test_tags_states_and_mailbox_completion(self):
        sh = self.shell(self.plain_url)
        sh.prompt("imap NOT AUTHENTICATED")
        sh.line("LOGIN alice wonderland")
        sh.expect(r"warning: no TLS: this line carries a password")
        sh.expect(r"send it anyway\? \[y/N\] $")
        sh.line("y")
        sh.expect(r"^C: a001 LOGIN alice wonderland$")   # the tag is shown
        sh.expect(r"NOT AUTHENTICATED -> AUTHENTICATED on OK to LOGIN")
        sh.prompt("imap AUTHENTICATED")
        sh.line('LIST "" "*"')
        sh.expect(r'^\* LIST .*INBOX')
        sh.expect(r"^a002 OK")
        sh.prompt("imap AUTHENTICATED")
        sh.send("SELECT IN\t")
        sh.expect(r"INBOX $")
        sh.send("\r")
        sh.expect(r"^\* \d+ EXISTS")
        sh.expect(r"imap AUTHENTICATED -> SELECTED on OK to SELECT")
        sh.prompt("imap SELECTED INBOX")
        sh.line("t9 NOOP")                                # the learner's tag
        sh.expect(r"^t9 OK")
        sh.line("LOGOUT")
        sh.expect(r"SELECTED -> LOGOUT on untagged BYE")
        sh.prompt("imap (disconnected)")

    def test_wrong_state_warning_then_the_servers_answer(self):
        sh = self.shell(self.plain_url)
        sh.prompt("imap NOT AUTHENTICATED")
        sh.line("FETCH 1 FLAGS")
        sh.expect(r"warning: FETCH is not valid in the NOT AUTHENTICATED state "
                  r"\(only in SELECTED; RFC 9051 §6\.4\.5\); sent anyway")
        sh.expect(r"^a001 BAD")
        sh.expect(r"= tagged BAD: Protocol error")
        sh.prompt("imap NOT AUTHENTICATED")

    def test_append_with_a_typed_literal(self):
        sh = self.shell(self.plain_url)
        self.login(sh)
        message = ["From: carol@maillab.test", "Subject: typed", "", "hello"]
        size = sum(len(line) + 2 for line in message)
        sh.line("APPEND INBOX {%d}" % size)
        sh.expect(r"^\+ ")
        sh.prompt("imap AUTHENTICATED literal (%d bytes left)" % size)
        for line in message:
            sh.line(line)
        sh.expect(r"literal complete: now type the rest of the command")
        sh.prompt("imap AUTHENTICATED rest of the command")
        sh.line("")
        sh.expect(r"^a002 OK")
        sh.prompt("imap AUTHENTICATED")
        sh.line("EXAMINE INBOX")
        sh.expect(r"^\* 4 EXISTS")                    # three before, one typed
        sh.prompt("imap SELECTED INBOX")
        sh.line("FETCH 4 BODY[HEADER.FIELDS (SUBJECT)]")
        sh.expect(r"^\* 4 FETCH .*\{\d+\}")           # a literal from the server
        sh.expect(r"^Subject: typed")
        sh.expect(r"^a004 OK")

    def test_append_a_literal_from_a_file(self):
        path = os.path.join(self.ca.rsplit("/tls/", 1)[0], "from-file.eml")
        with open(path, "wb") as f:       # LF line ends, as editors write
            f.write(b"From: carol@maillab.test\nSubject: from a file\n\nhi\n")
        sh = self.shell(self.plain_url)
        self.login(sh)
        sh.line("APPEND INBOX {@%s}" % path)
        sh.expect(r"4 bare LF line ends sent as CRLF \(RFC 5322 §2\.3\)")
        sh.expect(r"^C: a002 APPEND INBOX \{54\}$")   # the file's size, with CRs
        sh.expect(r"sent the 54 bytes of the file")
        sh.prompt("imap AUTHENTICATED rest of the command")
        sh.line("")
        sh.expect(r"^a002 OK")
        sh.line("STATUS INBOX (MESSAGES)")
        sh.expect(r"^\* STATUS INBOX \(MESSAGES 4\)")

    def test_idle_shows_what_the_server_sends_unasked(self):
        sh = self.shell(self.plain_url)
        self.login(sh)
        sh.line("SELECT INBOX")
        sh.prompt("imap SELECTED INBOX")
        sh.line("IDLE")
        sh.expect(r"^\+ ")
        sh.prompt("imap SELECTED INBOX IDLE (type DONE)")
        # another client adds a message; the update shows up at the prompt
        import imaplib
        host, port = self.plain_url.rsplit(":", 1)
        other = imaplib.IMAP4("127.0.0.1", int(port))
        other.login("alice", "wonderland")
        other.append("INBOX", None, None, b"Subject: meanwhile\r\n\r\nhi\r\n")
        other.logout()
        sh.expect(r"^\* 4 EXISTS", timeout=40)
        sh.line("DONE")
        sh.expect(r"^a00\d OK")
        sh.prompt("imap SELECTED INBOX")

    def test_starttls_then_authenticate_plain(self):
        sh = self.shell("--cafile", self.ca, self.plain_url)
        sh.prompt("imap NOT AUTHENTICATED")
        sh.line(":starttls")
        sh.expect(r"verified\s+ok: signed by a CA you trust")
        sh.prompt("imap+tls NOT AUTHENTICATED")
        sh.line("AUTHENTICATE PLAIN")
        sh.expect(r"^\+")
        sh.prompt("imap+tls NOT AUTHENTICATED SASL answer (base64)")
        sh.line(":plain alice wonderland")
        b64 = sh.expect(r"^([A-Za-z0-9+/=]{20,})$").group(1).decode()
        sh.prompt("imap+tls NOT AUTHENTICATED SASL answer (base64)")
        sh.line(b64)
        sh.expect(r"NOT AUTHENTICATED -> AUTHENTICATED on OK to AUTHENTICATE")
        sh.prompt("imap+tls AUTHENTICATED")


class DovecotImap(ImapTests, DovecotServer, ShellTestCase):
    pass


class OurImapd(ImapTests, OurServer, ShellTestCase):
    program = "imapd"


del ImapTests

if __name__ == "__main__":
    unittest.main()
