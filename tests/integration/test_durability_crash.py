"""test_durability_crash.py - SIGKILL at random moments while mail flows.

Clients deliver with SMTP, append with IMAP and submit mail for relaying,
MAILLAB_CRASH_COUNT messages in all (default 1000), while another thread
kills smtpd or imapd - the listener, every session and the queue runner,
with SIGKILL, so nothing gets to clean up - at random moments and starts
it again.  Afterwards, with both servers running normally:

  - every message that got "250" (RFC 5321 §6.1) or "OK [APPENDUID v u]"
    (RFC 4315 §3) is in the mailbox, byte for byte;
  - nothing partial is outside tmp/: every message file in new/ and cur/
    is a whole message some client sent;
  - UIDs are unique and ascending, every appended message kept the UID
    its APPENDUID named, and UIDVALIDITY never changed (RFC 9051
    §2.3.1.1);
  - the relay queue delivers every message it accepted (at least once: a
    kill during a relay may repeat it), and ends empty.

A message whose client saw no reply may or may not be there; that is the
one freedom a crash leaves.
"""

import os
import random
import re
import signal
import socket
import subprocess
import threading
import time
import unittest

from harness import USERS, b64, binary, free_port
from robust_harness import connect_from
from smtp_harness import HOSTNAME, SmtpTestCase

COUNT = int(os.environ.get("MAILLAB_CRASH_COUNT", "1000"))
WORKERS = 4
ID = re.compile(rb"^X-Crash-Id: (\d+)\r?$", re.M)


class Proc:
    """A server in a process group of its own, so one killpg() takes the
    listener, its sessions and its queue runner at once."""

    def __init__(self, name, args, ports, log):
        self.name, self.args, self.ports, self.log = name, args, ports, log
        self.p = None
        self.kills = 0

    def start(self):
        with open(self.log, "ab") as err:
            self.p = subprocess.Popen(self.args, stdin=subprocess.DEVNULL,
                                      stdout=err, stderr=err,
                                      start_new_session=True)
        deadline = time.monotonic() + 30
        for port in self.ports:
            while True:
                if self.p.poll() is not None:
                    raise AssertionError("%s exited at start" % self.name)
                try:
                    socket.create_connection(("127.0.0.1", port), 0.2).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise AssertionError("%s does not listen" % self.name)
                    time.sleep(0.02)

    def kill(self):
        os.killpg(self.p.pid, signal.SIGKILL)
        self.p.wait()
        self.kills += 1

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        return self.p.wait(timeout=30)


class Sink:
    """The next hop for relayed mail: accepts everything, keeps it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.got = []
        self.lock = threading.Lock()
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.one, args=(conn,), daemon=True).start()

    def one(self, conn):
        try:
            f = conn.makefile("rb")
            conn.sendall(b"220 sink\r\n")
            for line in f:
                verb = line[:4].upper()
                if verb == b"DATA":
                    conn.sendall(b"354 go\r\n")
                    body, ended = b"", False
                    for text in f:
                        if text == b".\r\n":
                            ended = True
                            break
                        body += text[1:] if text.startswith(b".") else text
                    if not ended:
                        # the sender died mid-message (a SIGKILL of the
                        # queue runner): like any server, keep nothing
                        break
                    with self.lock:
                        self.got.append(body)
                    conn.sendall(b"250 kept\r\n")
                elif verb == b"QUIT":
                    conn.sendall(b"221 bye\r\n")
                    break
                elif verb == b"EHLO":
                    conn.sendall(b"250-sink\r\n250 8BITMIME\r\n")
                else:
                    conn.sendall(b"250 ok\r\n")
        except OSError:
            pass
        finally:
            conn.close()


class Line:
    """A tiny blocking line client (the workers must not share state)."""

    def __init__(self, port):
        self.s = connect_from(port, "127.0.0.1", timeout=10)
        self.f = self.s.makefile("rb")

    def send(self, data):
        self.s.sendall(data)

    def line(self):
        line = self.f.readline()
        if not line:
            raise ConnectionError("closed")
        return line

    def reply(self):
        """An SMTP reply: its code."""
        while True:
            line = self.line()
            if line[3:4] != b"-":
                return int(line[:3])

    def close(self):
        self.s.close()


class CrashTest(SmtpTestCase):
    def setUp(self):
        super().setUp()
        self.sink = Sink()
        with open(os.path.join(self.data, "routes"), "w") as f:
            f.write("remote.test 127.0.0.1:%d\n" % self.sink.port)
        log = os.path.join(self.data, "log")
        mx, sub, imap = free_port(), free_port(), free_port()
        self.ports = {"mx": mx, "submission": sub, "imap": imap}
        common = ["-d", self.data, "--auth-delay", "0", "--trace",
                  os.path.join(log, "crash.trace")]
        self.smtpd = Proc("smtpd", [binary("smtpd"), *common, "--hostname", HOSTNAME,
                                    "--retry", "1",
                                    "--listen", "%d:starttls:mx" % mx,
                                    "--listen", "%d:starttls:submission" % sub],
                          [mx, sub], os.path.join(log, "smtpd.stderr"))
        self.imapd = Proc("imapd", [binary("imapd"), *common,
                                    "--listen", "%d:starttls" % imap],
                          [imap], os.path.join(log, "imapd.stderr"))
        self.smtpd.start()
        self.imapd.start()
        self.lock = threading.Lock()
        self.next_id = 0
        self.sent = {}       # id -> (kind, body as sent, CRLF)
        self.acked = {}      # id -> APPENDUID (v, u), or None
        self.done = threading.Event()

    def tearDown(self):
        for p in (self.smtpd, self.imapd):
            if p.p is not None and p.p.poll() is None:
                p.kill()
        self.sink.sock.close()

    # ---- the clients -------------------------------------------------

    def message(self, n, kind):
        rnd = random.Random(n)
        lines = [b"line %d of message %d %s" % (i, n, os.urandom(rnd.randint(0, 30)).hex().encode())
                 for i in range(rnd.randint(1, 300))]
        return (b"X-Crash-Id: %d\r\nSubject: %s %d\r\n\r\n" % (n, kind.encode(), n)
                + b"\r\n".join(lines) + b"\r\n")

    def smtp(self, port, rcpt, body, login):
        c = Line(port)
        try:
            if c.reply() != 220:
                return False
            c.send(b"EHLO crash.test\r\n")
            if c.reply() != 250:
                return False
            if login:
                c.send(b"AUTH PLAIN %s\r\n" % b64("\0alice\0" + USERS["alice"]).encode())
                if c.reply() != 235:
                    return False
            sender = b"alice@maillab.test" if login else b"bob@elsewhere.test"
            c.send(b"MAIL FROM:<%s>\r\n" % sender)
            if c.reply() != 250:
                return False
            c.send(b"RCPT TO:<%s>\r\n" % rcpt)
            if c.reply() != 250:
                return False
            c.send(b"DATA\r\n")
            if c.reply() != 354:
                return False
            c.send(body.replace(b"\r\n.", b"\r\n..") + b".\r\n")
            return c.reply() == 250
        finally:
            c.close()

    def append(self, body):
        c = Line(self.ports["imap"])
        try:
            c.line()
            c.send(b"a LOGIN alice %s\r\n" % USERS["alice"].encode())
            if not c.line().startswith(b"a OK"):
                return None
            c.send(b"b APPEND INBOX {%d+}\r\n" % len(body) + body + b"\r\n")
            m = re.match(rb"b OK \[APPENDUID (\d+) (\d+)\]", c.line())
            return (int(m.group(1)), int(m.group(2))) if m else None
        finally:
            c.close()

    def worker(self):
        while True:
            with self.lock:
                if self.next_id >= COUNT:
                    return
                n = self.next_id
                self.next_id += 1
            kind = random.choices(["smtp", "append", "relay"], [45, 45, 10])[0]
            body = self.message(n, kind)
            with self.lock:
                self.sent[n] = (kind, body)
            try:
                if kind == "append":
                    ok = self.append(body)
                elif kind == "smtp":
                    ok = self.smtp(self.ports["mx"], b"alice@maillab.test", body, False)
                else:
                    ok = self.smtp(self.ports["submission"], b"friend@remote.test",
                                   body, True)
            except (OSError, ConnectionError):
                ok = False  # killed under us: no acknowledgement
            if ok:
                with self.lock:
                    self.acked[n] = ok if kind == "append" else None

    def killer(self):
        rnd = random.Random(os.getpid())
        while not self.done.wait(rnd.uniform(0.05, 0.5)):
            for p in rnd.choice([[self.smtpd], [self.imapd], [self.smtpd, self.imapd]]):
                p.kill()
                p.start()

    # ---- the checks --------------------------------------------------

    def fetch_all(self):
        """INBOX over IMAP: UIDVALIDITY and [(uid, message)] in order."""
        c = Line(self.ports["imap"])
        c.line()
        c.send(b"a LOGIN alice %s\r\nb SELECT INBOX\r\n" % USERS["alice"].encode())
        uidvalidity = None
        while True:
            line = c.line()
            m = re.search(rb"\[UIDVALIDITY (\d+)\]", line)
            if m:
                uidvalidity = int(m.group(1))
            if line.startswith(b"b "):
                break
        c.send(b"c UID FETCH 1:* (UID BODY.PEEK[])\r\n")
        msgs = []
        while True:
            line = c.line()
            if line.startswith(b"c "):
                self.assertTrue(line.startswith(b"c OK"), line)
                break
            m = re.search(rb"UID (\d+) BODY\[\] \{(\d+)\}\r\n$", line)
            self.assertIsNotNone(m, line)
            data = c.f.read(int(m.group(2)))
            c.line()  # ")"
            msgs.append((int(m.group(1)), data))
        c.close()
        return uidvalidity, msgs

    def check_mailbox(self, uidvalidity, msgs):
        uids = [u for u, _ in msgs]
        self.assertEqual(uids, sorted(set(uids)), "UIDs not unique and ascending")
        seen = {}
        for uid, data in msgs:
            m = ID.search(data)
            self.assertIsNotNone(m, "a message no client sent: %r" % data[:200])
            n = int(m.group(1))
            kind, body = self.sent[n]
            # whole, byte for byte: an append as sent, a delivery with
            # our Return-Path and Received lines on top
            if kind == "append":
                self.assertEqual(data, body, "message %d differs" % n)
            else:
                self.assertTrue(data.endswith(body) and data.startswith(b"Return-Path:"),
                                "message %d differs" % n)
            seen.setdefault(n, []).append(uid)
        for n, appendid in self.acked.items():
            kind, _ = self.sent[n]
            if kind == "relay":
                continue
            self.assertIn(n, seen, "acknowledged message %d (%s) is lost" % (n, kind))
            if kind == "append":
                self.assertEqual(appendid[0], uidvalidity, "UIDVALIDITY changed")
                self.assertIn(appendid[1], seen[n], "message %d lost its UID" % n)

    def check_files(self):
        """Nothing partial outside tmp/: every file is a whole message."""
        root = os.path.join(self.data, "mail", "alice", "Maildir")
        for sub in ("new", "cur"):
            for name in os.listdir(os.path.join(root, sub)):
                with open(os.path.join(root, sub, name), "rb") as f:
                    data = f.read()
                m = ID.search(data)
                self.assertIsNotNone(m, "%s/%s is not one of ours" % (sub, name))
                kind, body = self.sent[int(m.group(1))]
                self.assertTrue(data.endswith(body.replace(b"\r\n", b"\n")),
                                "%s/%s is partial" % (sub, name))
        with open(os.path.join(root, "maillab-uidlist")) as f:
            lines = f.read().split("\n")
        uids = [int(l.split()[0]) for l in lines[1:] if l]
        self.assertEqual(uids, sorted(set(uids)))

    def check_relay(self):
        wanted = {n for n, (kind, _) in self.sent.items()
                  if kind == "relay" and n in self.acked}
        env = os.path.join(self.data, "queue", "env")
        deadline = time.monotonic() + 120
        while True:
            with self.sink.lock:
                got = {int(ID.search(b).group(1)) for b in self.sink.got if ID.search(b)}
                bodies = list(self.sink.got)
            queued = os.listdir(env) if os.path.isdir(env) else []
            if wanted <= got and not queued:
                break
            self.assertLess(time.monotonic(), deadline,
                            "relay: %d accepted messages never arrived, %d still "
                            "queued" % (len(wanted - got), len(queued)))
            time.sleep(0.2)
        for body in bodies:
            n = int(ID.search(body).group(1))
            self.assertTrue(body.endswith(self.sent[n][1]), "relayed %d differs" % n)

    def test_sigkill_during_delivery(self):
        threads = [threading.Thread(target=self.worker) for _ in range(WORKERS)]
        killer = threading.Thread(target=self.killer)
        for t in threads:
            t.start()
        killer.start()
        for t in threads:
            t.join()
        self.done.set()
        killer.join()
        # both running normally again, and the runner told to look now
        for p in (self.smtpd, self.imapd):
            if p.p.poll() is not None:
                p.start()
        self.check_relay()
        uidvalidity, msgs = self.fetch_all()
        self.check_mailbox(uidvalidity, msgs)
        self.check_files()
        print("\ncrash test: %d messages, %d acknowledged, %d kills"
              % (COUNT, len(self.acked), self.smtpd.kills + self.imapd.kills))
        self.assertGreater(self.smtpd.kills + self.imapd.kills, 0)
        self.assertGreater(len(self.acked), COUNT // 10)
        for p in (self.smtpd, self.imapd):
            self.assertEqual(p.stop(), 0)


if __name__ == "__main__":
    unittest.main()
