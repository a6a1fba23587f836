"""test_labs.py - every lab, as a learner and an instructor would run it.

For each lab the real set-up command (labs/run NN) is started once, from
nothing, on free ports; then, in this order, on that one set of servers:

  test_1_setup     the servers listen where DATA/lab.json says, the
                   mailboxes hold the lab's mail, and the checker, run
                   before anything was done, says "not met" and fails;
  test_2_wrong     the lab's wrong*.session files are replayed (and its
                   wrong.answers installed): the checker fails, and the
                   criterion the attempt gets wrong is reported not met,
                   with its hint;  then labs/run NN --reset restores the
                   start state, servers running;
  test_3_solution  the instructor's solution*.session files are replayed
                   (and solution.answers installed): every criterion met.

Replaying is done by mailsh: its live replay where the file allows, its
batch mode otherwise (lab_harness.py says when and why); every server
line is checked against the session file, so a solution that no longer
matches the servers fails here.  The lab 06 capture runs tshark on the
loopback interface where tshark is installed (tools/deps.sh test installs
it) and is skipped, with a reason, where it is not.
"""

import glob
import json
import os
import re
import shutil
import subprocess
import sys
import time
import unittest

from harness import BIN
from lab_harness import Capture, LabRun, lab_dir, labcheck


def _read(path):
    with open(path, "rb") as f:
        return f.read()


class LabTest:
    """Mixed into one unittest.TestCase per lab."""

    NUM = None
    # (criterion text fragment, hint fragment) that the wrong attempt misses
    WRONG = None
    STATUSES = {}   # replay exit statuses other than 0, by file name

    @classmethod
    def setUpClass(cls):
        cls.lab = LabRun(cls.NUM)

    @classmethod
    def tearDownClass(cls):
        status = cls.lab.stop()
        if status != 0:
            raise AssertionError("labs/run %02d ended with %s:\n%s"
                                 % (cls.NUM, status, cls.lab.log()[-3000:]))

    def replay(self, kind):
        return self.lab.replay_all(kind, statuses=self.STATUSES)

    def test_1_setup(self):
        with open(os.path.join(self.lab.data, "lab.json")) as f:
            info = json.load(f)
        self.assertEqual(info["offset"], self.lab.offset)
        for name, port, std, _mode, _role in info["ports"]:
            self.assertEqual(port, std + self.lab.offset)
            self.assertTrue(self._listening(port), "%s not listening on %d" % (name, port))
        for eml in glob.glob(os.path.join(lab_dir(self.NUM), "mail", "*.eml")):
            user = os.path.basename(eml).split("-", 1)[0]
            with open(eml, "rb") as f:
                subject = re.search(rb"^Subject: (.*)$", f.read(), re.M).group(1)
            found = [p for p in glob.glob(os.path.join(self.lab.data, "mail", user,
                                                       "Maildir", "new", "*"))
                     if subject in _read(p)]
            self.assertTrue(found, "%s not delivered to %s" % (eml, user))
        status, out = self.lab.check()
        self.assertEqual(status, 1, out)
        self.assertIn("[not met]", out)

    def test_2_wrong(self):
        try:
            self.replay("wrong")
            self.lab.install_answers("wrong")
            status, out = self.lab.check()
            self.assertEqual(status, 1, out)
            criterion, hint = self.WRONG
            m = re.search(r"^  \[not met\] +\d+\. .*%s.*\n +hint: (.*\n(?: {21}.*\n)*)"
                          % re.escape(criterion), out, re.M)
            self.assertTrue(m, "criterion %r not reported as not met:\n%s" % (criterion, out))
            self.assertIn(hint, " ".join(m.group(1).split()), out)
        finally:
            self.lab.reset()

    def test_3_solution(self):
        self.replay("solution")
        self.lab.install_answers("solution")
        status, out = self.lab.check()
        self.assertEqual(status, 0, out)
        self.assertRegex(out, r"All \d+ criteria met")
        self.assertNotIn("[not met]", out)

    @staticmethod
    def _listening(port):
        hexport = ":%04X " % port
        for name in ("/proc/net/tcp", "/proc/net/tcp6"):
            with open(name) as f:
                if any(hexport in line and line.split()[3] == "0A" for line in f):
                    return True
        return False


class Lab01(LabTest, unittest.TestCase):
    NUM = 1
    WRONG = ("answers.txt names the protocol", "Wrong or missing")


class Lab02(LabTest, unittest.TestCase):
    NUM = 2
    WRONG = ("One recipient was refused", "with a typo in it")


class Lab03(LabTest, unittest.TestCase):
    NUM = 3
    WRONG = ('"Delete me" is gone', "only QUIT enters UPDATE")

    def test_4_drop_kept_everything(self):
        # solution-2 drops the connection after a DELE: pop3d's trace must
        # say the marked message was kept, and it must still be there
        self.assertTrue(self.lab.wait_trace("pop3d", r"closed without QUIT: 1 message"))
        subjects = [m.subject for m in labcheck.Lab(self.lab.data).maildir("alice")]
        self.assertIn("Keep me too", subjects)


class Lab04(LabTest, unittest.TestCase):
    NUM = 4
    WRONG = ('"Expunge me" is gone', "LOGOUT does not")


class Lab05(LabTest, unittest.TestCase):
    NUM = 5
    WRONG = ("synchronising literal", "the server answers")


class Lab06(LabTest, unittest.TestCase):
    NUM = 6
    WRONG = ("a password crossing port", "Log in on")

    def replay(self, kind):
        if shutil.which("tshark") is None:
            self.skipTest("tshark is not installed (tools/deps.sh test installs it)")
        lab = self.lab
        ports = [lab.port(p) for p in (110, 995, 143, 993)]
        cap = Capture(os.path.join(lab.data, "lab6.pcapng"), ports)
        try:
            lab.replay_all(kind, extra_args=("--keylog", os.path.join(lab.data, "keys.log")))
        finally:
            cap.stop()

    def test_4_certificate_verdicts(self):
        # solution.answers must say what mailsh itself says about each
        # bad certificate, so the instructor's answers are checked too
        answers = {}
        with open(os.path.join(lab_dir(6), "solution.answers")) as f:
            for line in f:
                key, sep, value = line.split("#", 1)[0].partition(":")
                if sep:
                    answers[int(key) - 10000] = value.strip()
        for std, verdict in answers.items():
            r = subprocess.run([os.path.join(BIN, "mailsh"),
                                "--batch", "-", "--no-color", "--cafile",
                                os.path.join(self.lab.data, "tls", "ca.pem"),
                                "pop3s://localhost:%d" % self.lab.port(std)],
                               input=b"QUIT\n", capture_output=True, timeout=30)
            out = r.stdout.decode(errors="replace")
            self.assertNotEqual(r.returncode, 0, out)
            self.assertRegex(out, r"verified +%s" % re.escape(verdict), out)


class Lab07(LabTest, unittest.TestCase):
    NUM = 7
    WRONG = ("Logged in to POP3 with APOP", "only bob")


class Lab08(LabTest, unittest.TestCase):
    NUM = 8
    WRONG = ("carol@b.test received", "queue runner relays it")

    def test_3_solution(self):
        self.replay("solution")
        # relaying and bouncing happen after the sessions end, in the
        # queue runners: wait for the checker's own verdict
        end = time.monotonic() + 30.0
        while True:
            status, out = self.lab.check()
            if status == 0 or time.monotonic() > end:
                break
            self.lab.wait_quiet()
            time.sleep(0.2)
        self.assertEqual(status, 0, out)


class Lab09(LabTest, unittest.TestCase):
    NUM = 9
    WRONG = ("BODYSTRUCTURE", "without downloading any of them")


class Lab10(LabTest, unittest.TestCase):
    NUM = 10
    WRONG = ("sent no password in the clear", "that is what stripping wins")

    def attack(self, kind, port):
        tool = os.path.join(lab_dir(10), "attack.py")
        args = [sys.executable, tool, kind, str(self.lab.port(port))]
        if kind == "inject":
            args += ["--cafile", os.path.join(self.lab.data, "tls", "ca.pem")]
        r = subprocess.run(args, capture_output=True, timeout=60)
        out = r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace")
        self.assertEqual(r.returncode, 0, out)
        return out

    def replay(self, kind):
        outs = super().replay(kind)
        if kind == "solution":
            inject = [p for p in outs if "inject-response" in p]
            self.assertEqual(len(inject), 1, outs)
            self.assertIn("discarded 57 octets", _read(inject[0]).decode())
            self.assertIn("VULNERABLE", self.attack("inject", 4025))
            self.assertIn("not vulnerable", self.attack("inject", 25))
            self.assertIn("VULNERABLE", self.attack("smuggle", 5025))
            self.assertIn("not vulnerable", self.attack("smuggle", 25))
            self.lab.wait_quiet()


if __name__ == "__main__":
    unittest.main()
