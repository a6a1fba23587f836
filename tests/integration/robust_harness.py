"""robust_harness.py - what the hostile-input and durability tests share,
on top of harness.py, smtp_harness.py and imap_harness.py.

    still_serving(test, server, proto)   a fresh client is greeted and
                                         answered: the check every hostile
                                         case ends with
    session_pids(server)                 the session processes of a server
    frozen(pid)                          SIGSTOP a process for the length
                                         of a with-block, so bytes sent
                                         meanwhile are all waiting when it
                                         runs again (a test about what was
                                         pipelined then does not depend on
                                         how TCP cut the bytes)
    rss_kib(pid)                         memory a process allocated (RssAnon)
    connect_from(port, source)           a socket bound to a chosen
                                         loopback source address: Linux
                                         routes all of 127.0.0.0/8 to lo,
                                         so 127.0.0.2 is "another client"
                                         for per-address limits
    TracedServer(...)                    a server run under strace, for the
                                         tests that look at system calls
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time

from harness import (AUTH_DELAY_MS, REPLY_TIMEOUT, Client, Server, binary,
                     free_port)

# What a fresh client says after the greeting, and how the answer starts.
PROBES = {
    "pop3": ("CAPA", "+OK"),
    "smtp": ("NOOP", "250"),
    "imap": ("p NOOP", "p OK"),
}
GREETINGS = {"pop3": "+OK", "smtp": "220", "imap": "* OK"}


def still_serving(test, server, proto, mode=None, source="127.0.0.1", tls=None):
    """A new client gets the greeting and an answer to a harmless command:
    whatever the test did to another session, the server still serves.
    (@tls: an ssl context, for an implicit-TLS port.)"""
    test.assertTrue(server.alive(), "the server process died")
    port = server.port if mode is None else server.port_for(mode)
    c = ClientFrom(port, source, tls_context=tls)
    try:
        test.assertTrue(c.greeting.startswith(GREETINGS[proto]),
                        "fresh %s client got %r" % (proto, c.greeting))
        line, want = PROBES[proto]
        reply = c.cmd(line)
        if proto == "pop3":
            c.read_multiline()
        test.assertTrue(reply.startswith(want), "%s: %r" % (line, reply))
    finally:
        c.close()


class ClientFrom(Client):
    """harness.Client, connected from the loopback address @source."""

    def __init__(self, port, source="127.0.0.1", tls_context=None,
                 timeout=REPLY_TIMEOUT, greeting=True):
        self.host = "127.0.0.1"
        self.timeout = timeout
        self.sock = connect_from(port, source, timeout=timeout)
        self.buf = b""
        self.tls = False
        if tls_context is not None:
            self.sock = tls_context.wrap_socket(self.sock,
                                                server_hostname="localhost")
            self.tls = True
        self.greeting = self.readline() if greeting else None


def connect_from(port, source, host="127.0.0.1", timeout=REPLY_TIMEOUT):
    """A TCP connection to host:port from the loopback address @source."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.settimeout(timeout)
        s.bind((source, 0))
        s.connect((host, port))
    except OSError:
        s.close()
        raise
    return s


def session_pids(server):
    """Pids of the processes the server forked (sessions, queue runner)."""
    pid = server.pid if isinstance(server, TracedServer) else server.proc.pid
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def wait_new_session(server, before, limit=REPLY_TIMEOUT):
    """The pid of a session process that was not in @before."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        new = [p for p in session_pids(server) if p not in before]
        if new:
            return new[-1]
        time.sleep(0.01)
    raise AssertionError("no new session process appeared")


@contextlib.contextmanager
def frozen(pid):
    """Stop @pid for the block; it continues afterwards."""
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def rss_kib(pid):
    """RssAnon of @pid in KiB: the resident memory the process allocated
    (heap, stack, anonymous maps).  Not VmRSS: that also counts the pages
    of the program and its libraries the process runs for the first time,
    and a login alone touches some 900 KiB of libc, libcrypt and ld.so,
    none of which a hostile stream could make grow."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    raise AssertionError("no RssAnon for %d" % pid)


def sanitized(pid):
    """True if @pid runs with AddressSanitizer (the build/asan programs)."""
    with open("/proc/%d/maps" % pid) as f:
        return "libasan" in f.read()


def open_fds(pid):
    """The descriptors @pid has open."""
    return len(os.listdir("/proc/%d/fd" % pid))


def send_stream(sock, total, chunk=b"A" * (1 << 20)):
    """Send @total octets of @chunk, repeated, with no line end."""
    left = total
    while left > 0:
        n = min(left, len(chunk))
        sock.sendall(chunk[:n])
        left -= n


class TracedServer(Server):
    """A server started under strace (strace -f -tt -o LOG ARGS... server).

    Everything else is harness.Server; .pid is the server itself (strace's
    child), which stop() signals, so strace exits when the server does.
    """

    def __init__(self, data, strace_args, listen, extra=(), name="smtpd",
                 auth_delay=AUTH_DELAY_MS):
        if shutil.which("strace") is None:
            raise AssertionError("strace is not installed "
                                 "(tools/deps.sh test installs it)")
        self.data = data
        self.modes = list(listen)
        self.ports = [free_port() for _ in self.modes]
        tag = "%s-%d" % (name, self.ports[0])
        self.trace_path = os.path.join(data, "log", tag + ".trace")
        self.stderr_path = os.path.join(data, "log", tag + ".stderr")
        self.strace_log = os.path.join(data, "log", tag + ".strace")
        args = ["strace", "-f", "-qq", "-o", self.strace_log, *strace_args,
                binary(name), "-d", data, "--trace", self.trace_path,
                "--auth-delay", str(auth_delay)]
        for port, mode in zip(self.ports, self.modes):
            args += ["--listen", "%d:%s" % (port, mode)]
        self.args = args + list(extra)
        self._stderr = open(self.stderr_path, "wb")
        # LeakSanitizer cannot work under ptrace (it says so and fails);
        # the leak checks are made by every other test
        env = dict(os.environ)
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
        self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL,
                                     stdout=self._stderr, stderr=self._stderr,
                                     env=env)
        self.stopped = False
        self._wait_listening()

    @property
    def pid(self):
        """The server's own pid: the child strace started."""
        deadline = time.monotonic() + REPLY_TIMEOUT
        while time.monotonic() < deadline:
            path = "/proc/%d/task/%d/children" % (self.proc.pid, self.proc.pid)
            try:
                with open(path) as f:
                    kids = f.read().split()
            except OSError:
                kids = []
            if kids:
                return int(kids[0])
            time.sleep(0.01)
        raise AssertionError("strace has no child")

    def stop(self, limit=10.0):
        if not self.stopped and self.proc.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
        self.stopped = True
        try:
            status = self.proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            status = None
        self._stderr.close()
        return status

    def strace(self):
        with open(self.strace_log, errors="replace") as f:
            return f.read()
