"""labcheck.py - what every lab checker shares: reading the evidence and
reporting on it.

A lab is checked from what the learner left behind, never from what they
claim:

  * the servers' state: the Maildirs (which messages, with which flags,
    in which folder), the relay queue, and the trace every server writes
    (docs/trace.md), one line per connection, state change and event;
  * the learner's recorded sessions: files in the session format
    (docs/session-format.md) that `mailsh --record` writes into
    DATA/sessions/, or given with --session.  A transcript of mailsh's
    batch mode (its "C: ..." and "S: ..." lines) is read the same way;
  * for a few questions, DATA/answers.txt: "key: value" lines.

A checker (labs/NN-name/check.py) defines check(lab, report) and calls
report.criterion(text, ok, hint) once per criterion.  The report prints
every criterion as met or not met, with the hint for each one not met, and
the exit status is 0 only when all are met.

Everything here is the Python standard library, and nothing touches the
network: a lab is checked offline.
"""

import email
import email.policy
import glob
import json
import os
import re
import sys


# ---- sessions ----------------------------------------------------------------

class Step:
    """One client line and the server lines that answered it.

    Step 0 of a session is the greeting: no client line.  Patterns from a
    session file ({{n}}, {{*}}, ...) stay as they are in .server.
    """

    def __init__(self, client):
        self.client = client
        self.server = []
        self.states = []    # "= STATE" markers after this step
        self.tls = False    # a "~ TLS" marker: the handshake happened here

    def status(self):
        """The first word of the final reply line: +OK, -ERR, 250, OK, NO...

        IMAP: the tagged line's status; SMTP: the code of the last line of a
        multi-line reply; POP3: the status line (the first one).
        """
        lines = [s for s in self.server if s.strip() != "{{...}}"]
        if not lines:
            return ""
        if lines[0].startswith(("+OK", "-ERR")):
            return lines[0].split()[0]
        tag = self.client.split()[0] if self.client and self.client.split() else ""
        for line in lines:
            words = line.split()
            if len(words) >= 2 and words[0] == tag and tag not in ("*", "+"):
                return words[1]
        for line in reversed(lines):
            m = re.match(r"^(?![*+] )\S+ (OK|NO|BAD)\b", line)
            if m:   # a tagged reply to a line that does not carry the tag
                return m.group(1)
        last = lines[-1].split()
        if last and re.match(r"^\d{3}", last[0]):
            return last[0][:3]
        return last[0] if last else ""

    def said(self, pattern):
        """True if a server line of this step matches the regex."""
        return any(re.search(pattern, s, re.I) for s in self.server)


class Session:
    """A recorded session: protocol, where it went, and its steps."""

    def __init__(self, path):
        self.path = path
        self.protocol = ""
        self.server = ""
        self.tls = "plain"
        self.headers = {}
        self.steps = [Step(None)]

    @property
    def port(self):
        m = re.search(r":(\d+)$", self.server)
        return int(m.group(1)) if m else None

    def find(self, client_pattern):
        """Steps whose client line matches the regex (case-insensitive)."""
        return [s for s in self.steps
                if s.client is not None and re.search(client_pattern, s.client, re.I)]

    def index(self, step):
        return self.steps.index(step)

    def all_server_lines(self):
        return [line for s in self.steps for line in s.server]


# how mailsh's batch mode and its live replay name the server they talk to
URL_RE = re.compile(r"^-- (?:connecting to|replaying .* against) "
                    r"(\w+?)(s?)://\[?([^\]/]+?)\]?:(\d+)")


def parse_session(path):
    """Read a session file (format 1) or a mailsh batch transcript."""
    with open(path, encoding="utf-8", errors="replace") as f:
        return parse_session_text(f.read(), path)


def parse_session_text(text, path="<text>"):
    """parse_session() for text already read."""
    lines = text.split("\n")
    s = Session(path)
    body = lines
    if lines and lines[0].strip() == "maillab-session 1":
        i = 1
        while i < len(lines) and lines[i].strip():
            name, _, value = lines[i].partition(":")
            s.headers[name.strip()] = value.strip()
            i += 1
        s.protocol = s.headers.get("protocol", "")
        s.server = s.headers.get("server", "")
        s.tls = s.headers.get("tls", "plain")
        body = lines[i:]
    transcript = not s.headers
    literal_left = 0
    for line in body:
        if literal_left > 0:
            # mailsh prints an IMAP literal from the server as it is, without
            # "S: " (a transcript only): its lines are server lines too.
            line = line.rstrip("\r")
            if line.startswith("S: ") or line == "S:":   # a live replay's way
                line = line[3:]
            s.steps[-1].server.append(line)
            literal_left -= len(line.encode()) + 2
            continue
        m = URL_RE.match(line)
        if m and not s.protocol:
            s.protocol = m.group(1)
            s.server = "%s:%s" % (m.group(3), m.group(4))
            s.tls = "tls" if m.group(2) else "plain"
        marker, text = line[:2], line[3:] if len(line) > 2 else ""
        if marker == "C:":
            s.steps.append(Step(text))
        elif marker == "S:":
            s.steps[-1].server.append(text)
            lit = re.search(r"\{(\d+)\}$", text)
            if transcript and lit:
                literal_left = int(lit.group(1))
        elif marker == "= " or line.startswith("= "):
            s.steps[-1].states.append(line[2:].strip())
        elif line.startswith("~ ") or line.strip() == "~ TLS" or \
                line.startswith("-- TLS "):
            s.steps[-1].tls = True
    return s


# ---- the trace -----------------------------------------------------------------

TRACE_RE = re.compile(r"^(\S+) (\w+) #(\d+) (.*)$")


class TraceSession:
    """The trace lines of one connection (one session id of one server)."""

    def __init__(self, server, sid):
        self.server = server   # trace file name without .trace: "pop3d"
        self.sid = sid
        self.port = None
        self.events = []

    def has(self, pattern):
        return any(re.search(pattern, e) for e in self.events)

    def first(self, pattern):
        for e in self.events:
            m = re.search(pattern, e)
            if m:
                return m
        return None


# ---- messages ------------------------------------------------------------------

class Message:
    """One message file of a Maildir."""

    def __init__(self, path):
        self.path = path
        name = os.path.basename(path)
        self.flags = name.split(":2,", 1)[1] if ":2," in name else ""
        with open(path, "rb") as f:
            self.raw = f.read()
        self.msg = email.message_from_bytes(self.raw, policy=email.policy.default)

    def header(self, name):
        value = self.msg.get(name)
        return str(value) if value is not None else ""

    @property
    def subject(self):
        return self.header("Subject")

    def all(self, name):
        return [str(v) for v in self.msg.get_all(name, [])]

    def parts(self):
        return [p for p in self.msg.walk() if not p.is_multipart()]


# ---- the lab ---------------------------------------------------------------------

class Lab:
    """The evidence of one lab run: its data directory and sessions."""

    def __init__(self, data, session_paths=None):
        self.data = data
        with open(os.path.join(data, "lab.json")) as f:
            self.info = json.load(f)
        self.offset = self.info["offset"]
        if session_paths is None:
            session_paths = sorted(glob.glob(os.path.join(data, "sessions", "*")))
        self.sessions = [parse_session(p) for p in session_paths]
        self._traces = None

    def port(self, standard):
        return standard + self.offset

    def sessions_for(self, protocol, standard_port=None):
        """Recorded sessions of @protocol, optionally on one lab port."""
        out = [s for s in self.sessions if s.protocol.startswith(protocol)]
        if standard_port is not None:
            out = [s for s in out if s.port == self.port(standard_port)]
        return out

    def steps(self, protocol, client_pattern, standard_port=None):
        """(session, step) pairs whose client line matches."""
        return [(s, st) for s in self.sessions_for(protocol, standard_port)
                for st in s.find(client_pattern)]

    def trace(self, server):
        """The sessions in DATA/log/@server.trace, as TraceSession objects."""
        if self._traces is None:
            self._traces = {}
        if server not in self._traces:
            sessions = {}
            path = os.path.join(self.data, "log", server + ".trace")
            try:
                with open(path, encoding="utf-8", errors="replace") as f:
                    text = f.read()
            except FileNotFoundError:
                text = ""
            for line in text.splitlines():
                m = TRACE_RE.match(line)
                if not m or m.group(3) == "0":
                    continue
                sid = int(m.group(3))
                ts = sessions.setdefault(sid, TraceSession(server, sid))
                ts.events.append(m.group(4))
                c = re.match(r"connect from \S+ to port (\d+)", m.group(4))
                if c:
                    ts.port = int(c.group(1))
            self._traces[server] = [sessions[k] for k in sorted(sessions)]
        return self._traces[server]

    def trace_lines(self, server):
        """Every event text of a trace, the listener's (#0) included."""
        path = os.path.join(self.data, "log", server + ".trace")
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                return [m.group(4) for m in map(TRACE_RE.match, f.read().splitlines()) if m]
        except FileNotFoundError:
            return []

    def maildir(self, user, folder=None, site=""):
        """The messages of a user's folder (INBOX by default), oldest first."""
        root = os.path.join(self.data, site, "mail", user, "Maildir")
        if folder:
            root = os.path.join(root, "." + folder.replace("/", "."))
        paths = []
        for sub in ("new", "cur"):
            paths += glob.glob(os.path.join(root, sub, "*"))
        paths.sort(key=lambda p: (os.path.getmtime(p), os.path.basename(p)))
        return [Message(p) for p in paths]

    def queue(self, site=""):
        """The messages in a relay queue (docs/smtpd.md): one dict per
        DATA/queue/env/ID file, each field a list of its values."""
        out = []
        for path in sorted(glob.glob(os.path.join(self.data, site, "queue", "env", "*"))):
            fields = {"id": [os.path.basename(path)]}
            with open(path, encoding="utf-8", errors="replace") as f:
                for line in f.read().splitlines()[1:]:
                    key, _, value = line.partition(" ")
                    fields.setdefault(key, []).append(value)
            out.append(fields)
        return out

    def folder_exists(self, user, folder):
        return os.path.isdir(os.path.join(self.data, "mail", user, "Maildir",
                                          "." + folder.replace("/", ".")))

    def answers(self):
        """DATA/answers.txt as a dict: lower-case key -> value, as written."""
        out = {}
        try:
            with open(os.path.join(self.data, "answers.txt"), encoding="utf-8") as f:
                for line in f:
                    line = line.split("#", 1)[0]
                    key, sep, value = line.partition(":")
                    if sep and key.strip():
                        out[key.strip().lower()] = value.strip()
        except FileNotFoundError:
            pass
        return out


# ---- the report --------------------------------------------------------------------

class Report:
    """Criteria, printed as they are decided, and the verdict."""

    def __init__(self, title, out=sys.stdout):
        self.title = title
        self.out = out
        self.results = []

    def criterion(self, text, ok, hint):
        ok = bool(ok)
        self.results.append((text, ok, hint))
        n = len(self.results)
        self.out.write("  %-9s %2d. %s\n" % ("[met]" if ok else "[not met]", n, text))
        if not ok:
            for i, line in enumerate(hint.split("\n")):
                self.out.write("%s%s\n" % ("               hint: " if i == 0
                                           else "                     ", line))

    def finish(self):
        met = sum(1 for _, ok, _ in self.results if ok)
        total = len(self.results)
        if met == total:
            self.out.write("All %d criteria met.\n" % total)
        else:
            self.out.write("%d of %d criteria met: see the hints above.\n" % (met, total))
        return 0 if total and met == total else 1
