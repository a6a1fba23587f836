"""test_sessions_repo.py - every session file of the repository, replayed.

Each file in sessions/ gets a test of its own, made from the file list
(a new file is tested without touching this one): our server for its
protocol is started on a fresh copy of the demo data the sessions are
written against, on the kind of port its header describes (plain with
STARTTLS, implicit TLS, an SMTP MX or submission port), and mailsh
replays the file live; every reply must match.  The files that say
"# portable: dovecot" are replayed against a throwaway Dovecot too.
The repository checks: each file is listed in sessions/README.md and
annotated for learners.
"""

import os
import re
import unittest

import harness
import peers
from test_sessions_harness import (SessionTestCase, demo_messages, header,
                                   listen_mode, repository_sessions, url)

SESSIONS = repository_sessions()


def steps(path):
    with open(os.path.join(harness.ROOT, path), encoding="utf-8") as f:
        return 1 + sum(1 for line in f if line.startswith("C:"))


def _method_name(path):
    stem = os.path.splitext(os.path.relpath(path, "sessions"))[0]
    return "test_" + re.sub(r"[^A-Za-z0-9]", "_", stem)


class OurServers(SessionTestCase):
    """Each session against maillab's own server."""

    def check(self, path):
        head = header(path)
        mode = listen_mode(head)
        server = self.start(head["protocol"], mode)
        status, out = self.replay(path, url(head["protocol"], mode, server.port))
        self.assertEqual(status, 0, out)
        self.assertIn("-- replay: all %d steps went as recorded" % steps(path), out)


class Dovecot(SessionTestCase):
    """The portable sessions against Dovecot, with the same demo mail."""

    def check(self, path):
        head = header(path)
        self.data = harness.new_data_dir()
        self.ca = os.path.join(self.data, "tls", "ca.pem")
        dovecot = peers.Dovecot(os.path.join(self.data, "tls"),
                                messages=demo_messages("alice"))
        self.addCleanup(dovecot.stop)
        proto = head["protocol"]
        tls = head.get("tls") == "tls"
        port = dovecot.ports[proto + ("s" if tls else "")]
        status, out = self.replay(path, url(proto, "tls" if tls else "plain", port))
        self.assertEqual(status, 0, out)
        self.assertIn("-- replay: all %d steps went as recorded" % steps(path), out)


for _path in SESSIONS:
    def _ours(self, path=_path):
        self.check(path)
    setattr(OurServers, _method_name(_path), _ours)
    if "dovecot" in header(_path)["portable"]:
        def _dovecot(self, path=_path):
            self.check(path)
        setattr(Dovecot, _method_name(_path), _dovecot)


class Repository(unittest.TestCase):
    """What the collection as a whole promises."""

    def test_there_are_sessions_for_every_protocol(self):
        protocols = {header(p)["protocol"] for p in SESSIONS}
        self.assertEqual(protocols, {"pop3", "smtp", "imap"})
        portable = {header(p)["protocol"] for p in SESSIONS
                    if "dovecot" in header(p)["portable"]}
        self.assertEqual(portable, {"pop3", "imap"})

    def test_every_session_is_listed_in_the_readme(self):
        with open(os.path.join(harness.ROOT, "sessions", "README.md")) as f:
            readme = f.read()
        for path in SESSIONS:
            self.assertIn("`%s`" % os.path.relpath(path, "sessions"), readme)
        listed = re.findall(r"`((?:pop3|smtp|imap)/[^`]+\.session)`", readme)
        for name in listed:
            self.assertIn(os.path.join("sessions", name), SESSIONS,
                          "the README lists a file that does not exist")

    def test_every_session_is_annotated_with_its_rfc(self):
        for path in SESSIONS:
            with open(os.path.join(harness.ROOT, path), encoding="utf-8") as f:
                text = f.read()
            notes = [l for l in text.splitlines() if l.startswith("> ")]
            self.assertGreaterEqual(len(notes), 2, "%s has no annotations" % path)
            self.assertRegex(text, r"RFC \d+", "%s cites no RFC" % path)
            for line in text.splitlines():  # passwords only as placeholders
                if line.startswith("C:"):
                    self.assertNotIn("wonderland", line, path)
                    self.assertNotIn("builder", line, path)

    def test_the_issue_list_is_covered(self):
        """The dialogues the sessions must show, each by what it sends."""
        text = {p: open(os.path.join(harness.ROOT, p), encoding="utf-8").read()
                for p in SESSIONS}
        def some(pattern):
            return [p for p, t in text.items() if re.search(pattern, t, re.M)]
        self.assertTrue(some(r"^C: APOP "), "an APOP session")
        self.assertTrue(some(r"^C: STLS$"), "POP3 STLS")
        self.assertTrue(some(r"^C: STARTTLS$"), "SMTP STARTTLS")
        self.assertTrue(some(r"^C: \S+ STARTTLS$"), "IMAP STARTTLS")
        self.assertTrue(some(r"^C: AUTH PLAIN "), "AUTH PLAIN")
        self.assertTrue(some(r"^C: AUTH LOGIN$"), "AUTH LOGIN")
        self.assertTrue(some(r"^C: AUTH CRAM-MD5$"), "AUTH CRAM-MD5")
        self.assertTrue(some(r"^C: \S+ APPEND .*\{\d+\}$"), "an IMAP literal APPEND")
        self.assertTrue(some(r"^S: 550 .*\n(?:.*\n)*?S: 250 .*delivered to 1 "),
                        "two recipients, one unknown")


if __name__ == "__main__":
    unittest.main()
