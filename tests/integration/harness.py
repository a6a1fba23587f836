"""harness.py - what every maillab integration test shares.

A test gets a throwaway data directory (users alice/wonderland, stored
hashed, and bob/builder, stored as plaintext for APOP and CRAM-MD5; the lab
certificates; a known set of messages), starts the real pop3d on free
loopback ports, and talks to it with the clients a student would use:
Python's poplib, curl, and a raw socket for the things no polite client
sends.

Binaries come from $MAILLAB_BIN (default build/bin), so tests/run.sh can
run the same tests against the sanitizer build.  After each test the
server is stopped with SIGTERM and must exit with status 0 within 5 s, and
its trace and stderr are searched for sanitizer reports: a test that made
the server leak or overflow fails even if every reply looked right.

Slow things are done once per run: the certificates (key generation) and a
template data directory with the two users are made on first use and
copied for each test.
"""

import atexit
import base64
import collections
import hashlib
import os
import re
import select
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, os.environ.get("MAILLAB_BIN", "build/bin"))
MKCERTS = os.path.join(ROOT, "tools", "mkcerts.sh")

# What a sanitizer prints when it finds something (ASan, UBSan, LSan).
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "runtime error:", "LeakSanitizer")

# How long a test waits for one reply before calling the server stuck.  A
# healthy server answers in milliseconds; the margin is for a loaded CI
# machine running the sanitizer build, where a process start can take
# seconds.  Tests never assert speed.
REPLY_TIMEOUT = 20.0
# Failed-login delay the tests run with (the default 2 s would make the
# suite slow); tests that measure it use their own value.
AUTH_DELAY_MS = 50

USERS = {"alice": "wonderland", "bob": "builder"}

# The messages every test starts with, as stored (LF line ends).  The wire
# form (what RETR sends) has CRLF line ends; see crlf().
ALICE_MESSAGES = [
    b"From: Course Staff <staff@maillab.test>\n"
    b"To: Alice <alice@maillab.test>\n"
    b"Subject: Welcome\n"
    b"Date: Mon, 02 Nov 2026 09:00:00 +0000\n"
    b"Message-ID: <one@maillab.test>\n"
    b"\n"
    b"Hello Alice,\n"
    b"this is the first message.\n",

    b"From: Bob <bob@maillab.test>\n"
    b"To: Alice <alice@maillab.test>\n"
    b"Subject: Dots\n"
    b"Date: Mon, 02 Nov 2026 09:05:00 +0000\n"
    b"Message-ID: <two@maillab.test>\n"
    b"\n"
    b"The next lines start with dots.\n"
    b".profile\n"
    b".\n"
    b"..two dots\n"
    b"end of the dots\n",

    b"From: Carol <carol@maillab.test>\n"
    b"To: Alice <alice@maillab.test>\n"
    b"Subject: Ten lines\n"
    b"Date: Tue, 03 Nov 2026 14:30:00 +0000\n"
    b"Message-ID: <three@maillab.test>\n"
    b"\n"
    + b"".join(b"body line %d\n" % i for i in range(1, 11)),
]

BOB_MESSAGES = [
    b"From: Alice <alice@maillab.test>\n"
    b"To: Bob <bob@maillab.test>\n"
    b"Subject: Hi Bob\n"
    b"Date: Wed, 04 Nov 2026 08:15:00 +0000\n"
    b"Message-ID: <bob@maillab.test>\n"
    b"\n"
    b"Hi Bob.\n",
]


def crlf(message):
    """The wire form of a stored message: every line ends in CRLF."""
    return message.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def wire_size(message):
    return len(crlf(message))


def b64(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.b64encode(data).decode()


def apop_digest(greeting, secret):
    """RFC 1939 §7: MD5 of the greeting's <timestamp> followed by the secret."""
    m = re.search(r"<[^>]*>", greeting)
    if not m:
        raise AssertionError("greeting has no APOP timestamp: %r" % greeting)
    return hashlib.md5((m.group(0) + secret).encode()).hexdigest()


# ---- binaries, certificates, template data --------------------------------

def binary(name):
    path = os.path.join(BIN, name)
    if not os.access(path, os.X_OK):
        # A failure, not a skip: a run that tested nothing must not look green.
        raise AssertionError("%s is not built (run make first)" % path)
    return path


_scratch = None
_template = None


def scratch_root():
    """One temporary directory per test run, removed at exit."""
    global _scratch
    if _scratch is None:
        _scratch = tempfile.mkdtemp(prefix="maillab-test-")
        atexit.register(shutil.rmtree, _scratch, True)
    return _scratch


def check_sanitizer_output(text, what):
    for mark in SANITIZER_MARKS:
        if mark in text:
            raise AssertionError("sanitizer report in %s:\n%s" % (what, text[-4000:]))


def mailctl(data, *args, stdin=None):
    """Run mailctl -d DATA ARGS; fail on a non-zero exit or a sanitizer report."""
    r = subprocess.run([binary("mailctl"), "-d", data, *args], input=stdin,
                       capture_output=True, timeout=30)
    err = r.stderr.decode(errors="replace")
    check_sanitizer_output(err, "mailctl " + " ".join(args))
    if r.returncode != 0:
        raise AssertionError("mailctl %s failed (%d): %s"
                             % (" ".join(args), r.returncode, err))
    return r.stdout.decode(errors="replace")


def template_dir():
    """A data directory with users and certificates, made once per run."""
    global _template
    if _template is None:
        binary("mailctl")
        tpl = tempfile.mkdtemp(prefix="template-", dir=scratch_root())
        subprocess.run([MKCERTS, os.path.join(tpl, "tls")], check=True,
                       capture_output=True, timeout=60)
        mailctl(tpl, "useradd", "alice", USERS["alice"])
        mailctl(tpl, "useradd", "bob", USERS["bob"], "--plain")
        for sub in ("run", "log"):
            os.makedirs(os.path.join(tpl, sub), exist_ok=True)
        _template = tpl
    return _template


def new_data_dir():
    """A fresh copy of the template for one test."""
    path = tempfile.mkdtemp(prefix="data-", dir=scratch_root())
    shutil.copytree(template_dir(), path, dirs_exist_ok=True)
    return path


# ---- ports -----------------------------------------------------------------

# Ports handed out lately: the kernel may give the same free port to two
# calls in a row, and a server asked to listen twice on it cannot start.
_recent_ports = collections.deque(maxlen=256)


def free_port():
    """A TCP port free on both 127.0.0.1 and ::1 right now, and not one
    handed out by the last 256 calls."""
    for _ in range(50):
        s4 = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s4.bind(("127.0.0.1", 0))
        port = s4.getsockname()[1]
        if port in _recent_ports:
            s4.close()
            continue
        try:
            s6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            try:
                s6.bind(("::1", port))
            except OSError:
                continue
            finally:
                s6.close()
        finally:
            s4.close()
        _recent_ports.append(port)
        return port
    raise RuntimeError("no free port found")


def _listening_ports():
    """Ports in LISTEN state, from /proc/net/tcp and tcp6."""
    ports = set()
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[3] == "0A":
                        ports.add(int(fields[1].rsplit(":", 1)[1], 16))
        except OSError:
            return None
    return ports


def _accepts(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


# ---- the server ------------------------------------------------------------

class Server:
    """One pop3d process: started, waited for, stopped and checked.

    listen is a list of modes ("plain", "starttls", "tls"); each gets a free
    port, found afterwards in .ports[i] (and .port is the first one).
    """

    def __init__(self, data, listen=("starttls", "tls"), trace=True,
                 auth_delay=AUTH_DELAY_MS, extra=(), name="pop3d"):
        self.data = data
        self.modes = list(listen)
        self.ports = [free_port() for _ in self.modes]
        tag = "%s-%d" % (name, self.ports[0])
        self.trace_path = os.path.join(data, "log", tag + ".trace") if trace else None
        self.stderr_path = os.path.join(data, "log", tag + ".stderr")
        args = [binary(name), "-d", data]
        for port, mode in zip(self.ports, self.modes):
            args += ["--listen", "%d:%s" % (port, mode)]
        if self.trace_path:
            args += ["--trace", self.trace_path]
        if auth_delay is not None:
            args += ["--auth-delay", str(auth_delay)]
        args += list(extra)
        self.args = args
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                     stdout=self._stderr, stderr=self._stderr)
        self.stopped = False
        self._wait_listening()

    @property
    def port(self):
        return self.ports[0]

    def port_for(self, mode):
        return self.ports[self.modes.index(mode)]

    def _wait_listening(self, limit=10.0):
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("pop3d exited at start (status %s): %s\n%s"
                                     % (self.proc.returncode, " ".join(self.args),
                                        self.stderr()))
            listening = _listening_ports()
            if listening is None:
                if all(_accepts(p) for p in self.ports):
                    return
            elif all(p in listening for p in self.ports):
                return
            time.sleep(0.02)
        self.proc.kill()
        self.proc.wait()
        raise AssertionError("pop3d did not listen on %s within %.0f s:\n%s"
                             % (self.ports, limit, self.stderr()))

    def stderr(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode(errors="replace")

    def trace(self):
        """The trace so far (the trace file, or stderr without --trace)."""
        if not self.trace_path:
            return self.stderr()
        try:
            with open(self.trace_path, "rb") as f:
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_trace(self, pattern, limit=REPLY_TIMEOUT):
        """Wait until the trace matches a regex; returns the match."""
        deadline = time.monotonic() + limit
        while True:
            m = re.search(pattern, self.trace(), re.M)
            if m or time.monotonic() > deadline:
                return m
            time.sleep(0.02)

    def alive(self):
        return self.proc.poll() is None

    def stop(self, limit=REPLY_TIMEOUT):
        """SIGTERM; returns the exit status, None if it did not exit in time."""
        if self.stopped:
            return self.proc.returncode
        self.stopped = True
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            status = self.proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            status = None
        self._stderr.close()
        return status

    def check_clean(self):
        """After stop(): the sanitizer reports that fail a test."""
        check_sanitizer_output(self.stderr(), "pop3d stderr")
        check_sanitizer_output(self.trace(), "pop3d trace")


# ---- clients ---------------------------------------------------------------

class Closed(Exception):
    """The server closed the connection."""


class Client:
    """A raw POP3 client: send exact bytes, read lines with a timeout.

    Lines are returned as str without the CRLF (decoded as latin-1 so any
    byte survives); readline_raw() gives the bytes with their line end.
    """

    def __init__(self, port, host="127.0.0.1", tls_context=None,
                 timeout=REPLY_TIMEOUT, greeting=True):
        self.host = host
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        self.tls = False
        if tls_context is not None:
            self.sock = tls_context.wrap_socket(self.sock, server_hostname="localhost")
            self.tls = True
        self.greeting = self.readline() if greeting else None

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("latin-1")
        self.sock.sendall(data)

    def send_and_read_once(self, data):
        """Send @data (a pipelined batch), then return what one read
        brings: everything the server wrote in one write, which on
        loopback arrives together."""
        assert not self.buf, "replies still unread: %r" % self.buf
        self.send(data)
        self._fill(self.timeout)
        got, self.buf = self.buf, b""
        return got

    def _fill(self, timeout):
        self.sock.settimeout(timeout)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            raise AssertionError("no reply from the server within %.1f s "
                                 "(have %r)" % (timeout, self.buf))
        except (ConnectionResetError, ssl.SSLError) as e:
            raise Closed(str(e))
        if not chunk:
            raise Closed("connection closed by the server (pending %r)" % self.buf)
        self.buf += chunk

    def readline_raw(self, timeout=None):
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no complete line within %.1f s (have %r)"
                                     % (timeout, self.buf))
            self._fill(left)
        line, _, self.buf = self.buf.partition(b"\n")
        return line + b"\n"

    def readline(self, timeout=None):
        raw = self.readline_raw(timeout)
        if not raw.endswith(b"\r\n"):
            raise AssertionError("reply line not ended by CRLF: %r" % raw)
        return raw[:-2].decode("latin-1")

    def cmd(self, line):
        """Send one command line (CRLF added) and return the status line."""
        self.send(line + "\r\n")
        return self.readline()

    def read_multiline_raw(self):
        """Lines of a multi-line body up to the '.', as sent (still stuffed)."""
        lines = []
        while True:
            raw = self.readline_raw()
            if raw == b".\r\n":
                return lines
            lines.append(raw)

    def read_multiline(self):
        """A multi-line body as str lines, byte-stuffing removed."""
        out = []
        for raw in self.read_multiline_raw():
            line = raw[:-2].decode("latin-1")
            out.append(line[1:] if line.startswith(".") else line)
        return out

    def expect_closed(self, timeout=None):
        """Assert the server closes the connection (anything unread is returned)."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("the server did not close the connection "
                                         "within %.1f s (got %r)" % (timeout, self.buf))
                self._fill(left)
        except Closed:
            rest, self.buf = self.buf, b""
            return rest

    def nothing_pending(self, wait=0.2):
        """True if the server sent no data within @wait seconds.

        Over TLS the socket may be readable with no data for us (TLS 1.3
        session tickets arrive after the handshake), so this reads through
        the TLS layer instead of asking select().
        """
        if self.buf:
            return False
        if isinstance(self.sock, ssl.SSLSocket):
            try:
                self._fill(wait)
            except AssertionError:
                return True
            except Closed:
                return False
            return not self.buf
        r, _, _ = select.select([self.sock], [], [], wait)
        return not r

    def starttls(self, context):
        """Upgrade after '+OK' to STLS (the caller sent STLS and read +OK)."""
        if self.buf:
            raise AssertionError("server sent bytes after the STLS reply: %r" % self.buf)
        self.sock = context.wrap_socket(self.sock, server_hostname="localhost")
        self.tls = True

    def login(self, user="alice", password=None):
        password = USERS[user] if password is None else password
        r = self.cmd("USER " + user)
        if not r.startswith("+OK"):
            raise AssertionError("USER %s: %r" % (user, r))
        r = self.cmd("PASS " + password)
        if not r.startswith("+OK"):
            raise AssertionError("PASS for %s: %r" % (user, r))
        return r


def tls_context(data):
    """A client context that trusts exactly the lab CA of @data."""
    ctx = ssl.create_default_context(cafile=os.path.join(data, "tls", "ca.pem"))
    return ctx


# ---- the test case ---------------------------------------------------------

class Pop3TestCase(unittest.TestCase):
    """Base class: a fresh data dir with the standard mail for each test."""

    deliver_standard_mail = True

    def setUp(self):
        self.data = new_data_dir()
        self.servers = []
        self.clients = []
        if self.deliver_standard_mail:
            for m in ALICE_MESSAGES:
                self.deliver("alice", m)
            for m in BOB_MESSAGES:
                self.deliver("bob", m)

    def deliver(self, user, message):
        mailctl(self.data, "deliver", user, stdin=message)

    def useradd(self, user, password, plain=False):
        args = ["useradd", user, password] + (["--plain"] if plain else [])
        mailctl(self.data, *args)

    def maildir_files(self, user):
        """Names of the message files of a user's INBOX (new/ and cur/)."""
        root = os.path.join(self.data, "mail", user, "Maildir")
        names = []
        for sub in ("new", "cur"):
            try:
                names += os.listdir(os.path.join(root, sub))
            except FileNotFoundError:
                pass
        return sorted(names)

    def start(self, listen=("starttls", "tls"), **kw):
        server = Server(self.data, listen=listen, **kw)
        self.servers.append(server)
        self.addCleanup(self._finish_server, server)
        return server

    def _finish_server(self, server):
        for c in self.clients:
            c.close()
        self.clients = []
        status = server.stop()
        server.check_clean()
        if status is None:
            self.fail("pop3d did not exit within %d s of SIGTERM" % REPLY_TIMEOUT)
        if status != 0:
            self.fail("pop3d exited with status %d after SIGTERM:\n%s"
                      % (status, server.stderr()[-2000:]))

    def connect(self, server, mode=None, tls=None, **kw):
        """A raw client on the port of @mode (the first port by default)."""
        port = server.port if mode is None else server.port_for(mode)
        if tls is None:
            m = mode if mode is not None else server.modes[0]
            tls = m == "tls"
        ctx = tls_context(self.data) if tls else None
        c = Client(port, tls_context=ctx, **kw)
        self.clients.append(c)
        return c

    def login_retry(self, server, user="alice", limit=REPLY_TIMEOUT, mode=None):
        """Log in, retrying while an earlier session still holds the lock.

        A session whose client went away releases the maildrop when its
        process notices the EOF; this waits for that instead of sleeping.
        """
        deadline = time.monotonic() + limit
        while True:
            c = self.connect(server, mode=mode)
            self.assertTrue(c.cmd("USER " + user).startswith("+OK"))
            r = c.cmd("PASS " + USERS[user])
            if r.startswith("+OK"):
                return c, r
            c.close()
            if not r.startswith("-ERR [IN-USE]") or time.monotonic() > deadline:
                self.fail("login as %s failed: %r" % (user, r))
            time.sleep(0.05)

    def assertErr(self, reply, msg=None):
        self.assertTrue(reply.startswith("-ERR"),
                        msg or "expected -ERR, got %r" % reply)

    def assertOk(self, reply, msg=None):
        self.assertTrue(reply.startswith("+OK"),
                        msg or "expected +OK, got %r" % reply)

    def capa(self, client):
        """CAPA as a dict: capability name -> list of its arguments."""
        r = client.cmd("CAPA")
        self.assertOk(r)
        caps = {}
        for line in client.read_multiline():
            words = line.split()
            if words:
                caps[words[0].upper()] = words[1:]
        return caps


def curl(*args, timeout=20):
    """Run curl; returns (exit status, stdout bytes, stderr text)."""
    if shutil.which("curl") is None:
        raise AssertionError("curl is not installed (tools/deps.sh test installs it)")
    r = subprocess.run(["curl", "-sS", "--max-time", "10", *args],
                       capture_output=True, timeout=timeout)
    return r.returncode, r.stdout, r.stderr.decode(errors="replace")
