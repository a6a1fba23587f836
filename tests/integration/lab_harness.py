"""lab_harness.py - start a lab as a learner would, and replay its sessions.

A lab test runs the real set-up command (labs/run NN) on free ports, with a
throwaway data directory and the binaries of $MAILLAB_BIN, waits for its
"lab NN ready" line, replays the lab's session files against the servers
it started, and runs the real checker (labs/check NN) on what is left.

Replaying uses mailsh itself.  Where mailsh has a live replay
(--replay-live: every reply checked against the file) and the file needs
nothing more, that is used.  Otherwise mailsh's batch mode is driven from
here: the client lines become a batch script, a line whose reply the file
shows as a failure gets batch mode's "!" (so mailsh's exit status says
whether every reply went the way the file says), the placeholders of
client lines ({{secret:...}}, {{plain:...}}, {{apop:...}}, ...; the APOP
and CRAM-MD5 ones from the greeting or challenge just received) are
filled in, and what mailsh printed is compared with the server lines of
the file, patterns and all.  Batch mode is needed for:

  * a file with "@ SECONDS" lines, marking where another device acts:
    the next of the lab's other session files is replayed there, after
    the lines before it have been answered (lab 05);
  * a file that ends with mailsh refusing to go on (lab 10);
  * a mailsh without --replay-live.

Either way, what mailsh printed (its "C:" and "S:" lines) is saved in
DATA/sessions/, and is what the checker reads as the learner's recording.
{{secret:NAME}} is the value of the header "secret NAME: value".
"""

import base64
import glob
import hashlib
import hmac
import os
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

from harness import BIN, ROOT, check_sanitizer_output, scratch_root

sys.path.insert(0, os.path.join(ROOT, "labs", "lib"))
import labcheck  # noqa: E402

LABS = os.path.join(ROOT, "labs")
# Standard ports plus the extra ones the labs use (labs/*/lab.conf).
LAB_PORTS = (25, 110, 143, 465, 587, 993, 995, 1143, 1995, 2025, 2587,
             2995, 3025, 3995, 4025, 5025)
DEFAULT_OFFSET = 10000


def lab_dir(num):
    return glob.glob(os.path.join(LABS, "%02d-*" % num))[0]


def _free(port):
    for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        s = socket.socket(family, socket.SOCK_STREAM)
        try:
            s.bind((host, port))
        except OSError:
            return False
        finally:
            s.close()
    return True


def free_offset():
    """An offset at which every lab port is free now."""
    for offset in range(20000 + (os.getpid() % 300) * 100, 60000, 100):
        if all(_free(p + offset) for p in LAB_PORTS):
            return offset
    raise RuntimeError("no free range of lab ports")


class LabRun:
    """labs/run NN on free ports, in the background, until stop()."""

    def __init__(self, num, auth_delay=50):
        self.num = num
        self.dir = lab_dir(num)
        self.data = tempfile.mkdtemp(prefix="lab%02d-" % num, dir=scratch_root())
        self.offset = free_offset()
        self.log_path = os.path.join(scratch_root(), "labrun-%02d.log" % num)
        self._log = open(self.log_path, "wb")
        args = [os.path.join(LABS, "run"), str(num), "--data", self.data,
                "--bin", BIN, "--offset", str(self.offset)]
        if auth_delay is not None:
            args += ["--auth-delay", str(auth_delay)]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        try:
            self._wait_ready()
        except AssertionError:
            self.stop()
            raise

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def _wait_ready(self, limit=30.0):
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if "lab %02d ready" % self.num in self.log():
                return
            if self.proc.poll() is not None:
                raise AssertionError("labs/run %02d exited (%s):\n%s"
                                     % (self.num, self.proc.returncode, self.log()))
            time.sleep(0.05)
        raise AssertionError("labs/run %02d not ready in %.0f s:\n%s"
                             % (self.num, limit, self.log()))

    def port(self, standard):
        return standard + self.offset

    def stop(self):
        """SIGTERM to labs/run, which stops its servers; returns its status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            status = self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            status = None
        self._log.close()
        for path in glob.glob(os.path.join(self.data, "log", "*")):
            with open(path, "rb") as f:
                check_sanitizer_output(f.read().decode(errors="replace"), path)
        return status

    def reset(self):
        r = subprocess.run([os.path.join(LABS, "run"), str(self.num), "--reset",
                            "--data", self.data, "--bin", BIN],
                           capture_output=True, timeout=60)
        if r.returncode != 0:
            raise AssertionError("labs/run --reset failed: %s" % r.stderr.decode())

    def install_answers(self, kind="solution"):
        """Copy labs/NN/KIND.answers to DATA/answers.txt, if there is one,
        with its lab ports (standard + 10000) moved to this run's ports."""
        src = os.path.join(self.dir, kind + ".answers")
        if not os.path.exists(src):
            return False
        with open(src) as f:
            text = f.read()
        lab_ports = {p + DEFAULT_OFFSET for p in LAB_PORTS}
        text = re.sub(r"\b\d{5}\b", lambda m: str(int(m.group(0)) - DEFAULT_OFFSET + self.offset)
                      if int(m.group(0)) in lab_ports else m.group(0), text)
        with open(os.path.join(self.data, "answers.txt"), "w") as f:
            f.write(text)
        return True

    def check(self, *sessions):
        """labs/check NN on this data; returns (exit status, output)."""
        args = [sys.executable, os.path.join(LABS, "check"), str(self.num),
                "--data", self.data]
        for s in sessions:
            args += ["--session", s]
        r = subprocess.run(args, capture_output=True, timeout=120)
        return r.returncode, r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace")

    def wait_quiet(self, limit=10.0, still_open=0):
        """Wait until every session the servers traced has closed (all but
        @still_open: a device that waits at a pause)."""
        deadline = time.monotonic() + limit
        while True:
            opened = closed = 0
            for path in glob.glob(os.path.join(self.data, "log", "*.trace")):
                with open(path, errors="replace") as f:
                    text = f.read()
                opened += len(re.findall(r" #\d+ connect from ", text))
                closed += len(re.findall(r" #\d+ close$", text, re.M))
            if opened - closed <= still_open or time.monotonic() > deadline:
                return opened - closed <= still_open
            time.sleep(0.02)

    def wait_trace(self, server, pattern, limit=10.0):
        """Wait until DATA/log/SERVER.trace matches the regex."""
        path = os.path.join(self.data, "log", server + ".trace")
        deadline = time.monotonic() + limit
        while True:
            try:
                with open(path, errors="replace") as f:
                    m = re.search(pattern, f.read(), re.M)
            except FileNotFoundError:
                m = None
            if m or time.monotonic() > deadline:
                return m
            time.sleep(0.02)

    # ---- replaying -----------------------------------------------------

    def replay_all(self, kind="solution", extra_args=(), statuses=None):
        """Replay labs/NN/KIND*.session; returns the transcript paths.

        @statuses maps a file name to the exit status mailsh must end with
        when it is not 0 (a file that shows mailsh refusing to go on)."""
        files = sorted(glob.glob(os.path.join(self.dir, kind + "*.session")))
        if not files:
            raise AssertionError("lab %02d has no %s*.session" % (self.num, kind))
        parsed = [SessionScript(p) for p in files]
        for script in parsed:
            script.status = (statuses or {}).get(os.path.basename(script.path), 0)
        holder = next((s for s in parsed if s.pauses), None)
        others = [s for s in parsed if s is not holder]
        out = []
        if holder is not None:
            def at_pause():
                if others:
                    out.append(self.replay(others.pop(0), extra_args, still_open=1))
            out.append(self.replay(holder, extra_args, at_pause))
        for s in others:
            out.append(self.replay(s, extra_args))
        return out

    def replay(self, script, extra_args=(), at_pause=None, still_open=0):
        """Replay one session file; returns the path of what mailsh printed.

        mailsh's own live replay (--replay-live) is used where it can do
        the whole job; batch mode driven from here where another device
        acts at a pause, or where the file shows mailsh giving up (a
        non-zero exit status)."""
        if isinstance(script, str):
            script = SessionScript(script)
        url = script.url(self.offset)
        common = ["--no-color", "--no-history", "--timeout", "10",
                  "--cafile", os.path.join(self.data, "tls", "ca.pem"), *extra_args]
        if live_replay() and script.live_ok():
            r = subprocess.run([os.path.join(BIN, "mailsh"), *common, "--replay-live",
                                script.path, url], stdin=subprocess.DEVNULL,
                               capture_output=True, timeout=120)
            status = r.returncode
            text = r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace")
        else:
            proc = subprocess.Popen([os.path.join(BIN, "mailsh"), "--batch", "-",
                                     "--no-explain", *common, url],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT)
            shell = _Driver(proc)
            for item in script.items:
                if item == "@":
                    shell.wait_answered()
                    if at_pause:
                        at_pause()
                    continue
                shell.send(item, script)
            status, text = shell.finish()
        name = os.path.basename(script.path).replace(".session", ".transcript")
        path = os.path.join(self.data, "sessions", name)
        with open(path, "w") as f:
            f.write(text)
        check_sanitizer_output(text, "mailsh " + url)
        self.wait_quiet(still_open=still_open)
        if status != script.status:
            raise AssertionError("mailsh replay of %s: exit %d\n%s"
                                 % (script.path, status, text[-3000:]))
        mismatch = compare(script.path, text)
        if mismatch:
            raise AssertionError("replay of %s differs from the file: %s\n%s"
                                 % (script.path, mismatch, text[-3000:]))
        return path


_live = None


def live_replay():
    """True if this mailsh has a live replay (mailsh --help lists it).
    LAB_REPLAY=batch in the environment makes every replay use batch mode."""
    global _live
    if os.environ.get("LAB_REPLAY") == "batch":
        return False
    if _live is None:
        r = subprocess.run([os.path.join(BIN, "mailsh"), "--help"],
                           capture_output=True, timeout=30)
        _live = b"--replay-live" in r.stdout + r.stderr
    return _live


class SessionScript:
    """A session file turned into batch-mode lines (and pause marks).

    Batch mode reads "!" only on a line that starts a command; the lines
    that continue one (SMTP message text, an IMAP literal and the rest of
    its command, SASL answers) are sent as they are.  So the "!" goes on
    the first line, judged by the reply that ends the whole command.
    """

    CONTINUE = ("+", "334")

    def __init__(self, path):
        self.path = path
        self.session = labcheck.parse_session(path)
        self.secrets = {k[len("secret "):]: v for k, v in self.session.headers.items()
                        if k.startswith("secret ")}
        self.items = []
        self.pauses = 0
        self.status = 0   # the exit status mailsh must end with
        steps = self.session.steps
        inside = 0        # C: lines still inside the current command
        in_data = False   # SMTP message text: undo the dot-stuffing
        i = 0
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.rstrip("\n")
                if line.startswith("@ "):
                    self.items.append("@")
                    self.pauses += 1
                    continue
                if not line.startswith("C:"):
                    continue
                i += 1
                text = line[3:]
                if inside:
                    inside -= 1
                    if in_data and text.startswith(".") and text != ".":
                        text = text[1:]   # mailsh stuffs it again
                    in_data = in_data and inside > 0
                    self.items.append(text)
                    continue
                last = self._command_end(i)
                inside = last - i
                in_data = steps[i].status() == "354"
                status = steps[last].status() or ""
                bad = status in ("-ERR", "NO", "BAD") or re.match(r"^[45]\d\d$", status)
                self.items.append(("! " if bad else "") + text)

    def live_ok(self):
        """True if mailsh --replay-live can replay this file by itself."""
        return not self.pauses and not self.status

    def _command_end(self, i):
        """The index of the step whose reply ends the command started at i."""
        steps = self.session.steps
        lit = re.search(r"\{(\d+)\}$", steps[i].client)
        if lit and steps[i].status() == "+":
            left = int(lit.group(1))
            for j in range(i + 1, len(steps)):
                left -= len(steps[j].client.encode()) + 2
                if left < 0:
                    return j
            return len(steps) - 1
        if steps[i].status() == "354":
            for j in range(i + 1, len(steps)):
                if steps[j].client == ".":
                    return j
            return len(steps) - 1
        j = i
        while steps[j].status() in self.CONTINUE and j + 1 < len(steps):
            j += 1
        return j

    def url(self, offset):
        s = self.session
        host, _, port = s.server.rpartition(":")
        scheme = s.protocol + ("s" if s.tls == "tls" else "")
        return "%s://%s:%d" % (scheme, host, int(port) - DEFAULT_OFFSET + offset)


def _b64(text):
    return base64.b64encode(text.encode()).decode()


class _Driver:
    """mailsh --batch - on a pipe: lines in, output collected."""

    def __init__(self, proc):
        self.proc = proc
        self.out = b""
        self.sent = []

    def _read(self, wait):
        r, _, _ = select.select([self.proc.stdout], [], [], wait)
        if r:
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            self.out += chunk
            return bool(chunk)
        return True

    def wait_for(self, pattern, limit=10.0):
        deadline = time.monotonic() + limit
        while True:
            m = re.search(pattern, self.out.decode(errors="replace"), re.M)
            if m:
                return m
            if time.monotonic() > deadline or not self._read(0.1):
                raise AssertionError("mailsh output never matched %r:\n%s"
                                     % (pattern, self.out.decode(errors="replace")[-2000:]))

    def wait_answered(self):
        """The last line sent was sent, and a server line followed it."""
        last = re.escape(self.sent[-1].lstrip("! "))
        self.wait_for(r"^C: %s\r?\n(?:(?!C: ).*\n)*?S: " % last)

    def send(self, line, script):
        """Send one line, its placeholders (docs/session-format.md) filled in."""
        sec = script.secrets
        m = re.search(r"\{\{apop:([^}]+)\}\}", line)
        if m:   # RFC 1939 §7: MD5 of this greeting's timestamp and the secret
            stamp = self.wait_for(r"^S: \+OK .*?(<[^>]*>)").group(1)
            line = line.replace(m.group(0), hashlib.md5(
                (stamp + sec[m.group(1)]).encode()).hexdigest())
        m = re.search(r"\{\{cram:([^:}]+):([^}]+)\}\}", line)
        if m:   # RFC 2195 §2: "user HMAC-MD5(secret, challenge)", in base64
            self.wait_answered()
            chal = re.findall(r"^S: (?:334|\+) (\S+)\s*$",
                              self.out.decode(errors="replace"), re.M)[-1]
            mac = hmac.new(sec[m.group(2)].encode(), base64.b64decode(chal), hashlib.md5)
            line = line.replace(m.group(0), _b64("%s %s" % (m.group(1), mac.hexdigest())))
        for m in re.finditer(r"\{\{plain:([^:}]+):([^}]+)\}\}", line):
            line = line.replace(m.group(0), _b64("\0%s\0%s" % (m.group(1), sec[m.group(2)])))
        for m in re.finditer(r"\{\{base64:([^}]+)\}\}", line):
            line = line.replace(m.group(0), _b64(sec[m.group(1)]))
        for name, value in sec.items():
            line = line.replace("{{secret:%s}}" % name, value)
        self.sent.append(line)
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()

    def finish(self):
        """Close mailsh's input; read its output to the end; its status."""
        self.proc.stdin.close()
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + 30
        while True:
            left = deadline - time.monotonic()
            r, _, _ = select.select([fd], [], [], max(0.0, left))
            if not r:
                self.proc.kill()   # mailsh did not end: the test fails below
                break
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            self.out += chunk
        return self.proc.wait(), self.out.decode(errors="replace")


# ---- comparing a transcript with the file ------------------------------------

def _pattern(line):
    out = ""
    for part in re.split(r"(\{\{\{\{|\{\{\*\}\}|\{\{n\}\}|\{\{word\}\})", line):
        out += {"{{{{": re.escape("{{"), "{{*}}": ".*", "{{n}}": r"\d+",
                "{{word}}": r"\S+"}.get(part, re.escape(part))
    return re.compile(out + r"\Z")


def _match(expected, actual):
    """Server lines against patterns; {{...}} alone takes any number."""
    if not expected:
        return not actual
    if expected[0].strip() == "{{...}}":
        return any(_match(expected[1:], actual[i:]) for i in range(len(actual) + 1))
    return bool(actual) and bool(_pattern(expected[0]).match(actual[0])) and \
        _match(expected[1:], actual[1:])


def compare(path, transcript):
    """None if every step's server lines match the file; else what differs."""
    want = labcheck.parse_session(path)
    got = labcheck.parse_session_text(transcript)
    if len(got.steps) != len(want.steps):
        return "%d steps in the file, %d in the replay" % (len(want.steps), len(got.steps))
    for i, (w, g) in enumerate(zip(want.steps, got.steps)):
        if not _match(w.server, g.server):
            return "step %d (%r): expected %r, got %r" % (i, w.client, w.server, g.server)
    return None


# ---- capturing with tshark (lab 06) ------------------------------------------

class Capture:
    """tshark on the loopback interface, writing a pcapng file.

    tshark says "Capturing on" before it really sees packets, and writes
    them a little after they pass; so the capture is known to be running
    once a probe connection to an unused port shows up in the file, and
    known to hold everything once a probe to a second port, sent last,
    does.  No fixed sleeps.
    """

    def __init__(self, path, ports):
        self.path = path
        # two ports nobody listens on: SYNs to the first show that the
        # capture runs, a SYN to the second, sent only at the end, that
        # everything before it is in the file
        free = (p for p in range(41000 + os.getpid() % 1000, 65000) if _free(p))
        self.probe_port, self.flush_port = next(free), next(free)
        ports = list(ports) + [self.probe_port, self.flush_port]
        self.proc = subprocess.Popen(
            ["tshark", "-i", "lo", "-w", path, "-f",
             " or ".join("tcp port %d" % p for p in ports)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.probe(self.probe_port)

    def _syns_seen(self, port):
        """SYNs to @port in the file so far (read here: quicker than
        starting tshark -r each time)."""
        try:
            with open(self.path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return 0
        return sum(1 for frame in _pcapng_frames(data) if _tcp_syn_to(frame, port))

    def probe(self, port, limit=60.0):
        """Connect to @port until the capture file shows a SYN to it."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("tshark exited: %s" % self.proc.stderr.read().decode())
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
            except OSError:
                pass   # refused, as it should be: the SYN is what we look for
            if self._syns_seen(port) > 0:
                return
            time.sleep(0.2)
        raise AssertionError("tshark never captured the probe connection")

    def stop(self):
        """Flush (a SYN to the flush port, after all else), then stop tshark."""
        try:
            self.probe(self.flush_port)
        finally:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _pcapng_frames(data):
    """The packets of a pcapng file (Enhanced Packet Blocks), as bytes.
    A block cut short at the end (still being written) is left out."""
    pos, order = 0, "<"
    while pos + 12 <= len(data):
        btype, blen = struct.unpack_from(order + "II", data, pos)
        if btype == 0x0A0D0D0A:   # section header: its byte order
            order = "<" if data[pos + 8:pos + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            blen = struct.unpack_from(order + "I", data, pos + 4)[0]
        if blen < 12 or pos + blen > len(data):
            return
        if btype == 6:
            caplen = struct.unpack_from(order + "I", data, pos + 20)[0]
            yield data[pos + 28:pos + 28 + caplen]
        pos += blen


def _tcp_syn_to(frame, port):
    """True if an Ethernet frame holds a TCP SYN (no ACK) to @port."""
    if len(frame) < 14:
        return False
    ethertype, off = struct.unpack_from(">H", frame, 12)[0], 14
    if ethertype == 0x0800 and len(frame) >= off + 20 and frame[off + 9] == 6:
        off += (frame[off] & 0x0F) * 4
    elif ethertype == 0x86DD and len(frame) >= off + 40 and frame[off + 6] == 6:
        off += 40
    else:
        return False
    if len(frame) < off + 14:
        return False
    dport, flags = struct.unpack_from(">H", frame, off + 2)[0], frame[off + 13]
    return dport == port and flags & 0x12 == 0x02
