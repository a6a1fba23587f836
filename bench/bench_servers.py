"""bench_servers.py - the servers under test: started with throwaway
configurations on free loopback ports, measured, and stopped.

  Maillab   pop3d, smtpd and imapd from the build being measured
  Dovecot   Debian's dovecot-imapd and dovecot-pop3d: POP3, POP3S, IMAP
  Postfix   Debian's postfix: SMTP, delivering into Maildirs with its
            virtual(8) agent, with its default durability (the queue file
            is fsync'ed before 250)

Everything binds 127.0.0.1 only.  The configurations change the peers'
defaults only where a default would cap the test rather than measure the
server: process and connection limits (Dovecot allows 10 connections per
user and address, and 100 login processes; Postfix 100 processes per
service) are raised to what maillab is given (--max-sessions 2000).
Nothing that trades durability or security for speed is touched.

Each class knows its processes, so that the bench can add up their
memory (PSS, from /proc/PID/smaps_rollup) and always stop them, also on
Ctrl-C.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "integration"))
import peers  # noqa: E402  (the throwaway Dovecot of the tests)

MAX_SESSIONS = 2000


def free_port():
    """A TCP port that is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc=None, limit=30.0, what="server"):
    """Wait until something accepts on 127.0.0.1:@port."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("%s exited at start (status %s)" % (what, proc.returncode))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("%s did not listen on port %d within %.0f s" % (what, port, limit))


def read_pid(path):
    """The pid in a daemon's pid file, or None while there is none."""
    try:
        with open(path) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def descendants(root):
    """@root and every process below it, from /proc/*/stat."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
        except OSError:
            continue
        # the command name is in parentheses and may hold spaces
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    out, unvisited = [], [root]
    while unvisited:
        pid = unvisited.pop()
        out.append(pid)
        unvisited.extend(children.get(pid, ()))
    return out


def pss_kib(pids):
    """Proportional set size of @pids together, in KiB.

    PSS divides every shared page among the processes that map it, so the
    sum over a server's processes is what the server costs the machine:
    a forked session pays for the pages it has written, not for the
    program text it shares with its parent.
    """
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/smaps_rollup" % pid) as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            pass  # it ended while we looked
    return total


def kill_tree(root, sig=signal.SIGKILL):
    for pid in descendants(root):
        try:
            os.kill(pid, sig)
        except OSError:
            pass


def _wait_gone(pid, limit=10.0):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except OSError:
            return True
        time.sleep(0.02)
    return False


class Maillab:
    """pop3d, smtpd and imapd on one data directory."""

    name = "maillab"

    def __init__(self, work, bindir, tls_dir, users_file):
        self.bindir = bindir
        self.data = os.path.join(work, "maillab")
        self.mail = os.path.join(self.data, "mail")
        self.logs = os.path.join(work, "logs")
        os.makedirs(self.mail, exist_ok=True)
        os.makedirs(self.logs, exist_ok=True)
        shutil.copy(users_file, os.path.join(self.data, "users"))
        os.symlink(tls_dir, os.path.join(self.data, "tls"))
        self.ports = {k: free_port() for k in ("pop3", "pop3s", "smtp", "imap", "imaps")}
        self.procs = {}

    def command(self, server, port_args=None):
        """The command line of @server (pop3d, smtpd, imapd)."""
        p = self.ports
        listen = port_args or {
            "pop3d": ["%d:plain" % p["pop3"], "%d:tls" % p["pop3s"]],
            "smtpd": ["%d:plain:mx" % p["smtp"]],
            "imapd": ["%d:plain" % p["imap"], "%d:tls" % p["imaps"]],
        }[server]
        args = [os.path.join(self.bindir, server), "-d", self.data,
                "--bind", "127.0.0.1", "--max-sessions", str(MAX_SESSIONS),
                "--trace", os.path.join(self.logs, server + ".trace")]
        for spec in listen:
            args += ["--listen", spec]
        if server == "smtpd":
            args += ["--domain", "bench.test", "--hostname", "bench.maillab.test"]
        return args

    def start(self):
        for server in ("pop3d", "smtpd", "imapd"):
            err = open(os.path.join(self.logs, server + ".stderr"), "wb")
            self.procs[server] = subprocess.Popen(
                self.command(server), stdin=subprocess.DEVNULL, stdout=err,
                stderr=err, start_new_session=True)
            err.close()
        for key, port in self.ports.items():
            server = {"pop3": "pop3d", "pop3s": "pop3d", "smtp": "smtpd",
                      "imap": "imapd", "imaps": "imapd"}[key]
            wait_port(port, self.procs[server], what=server)

    def pids(self, server):
        proc = self.procs.get(server)
        return descendants(proc.pid) if proc else []

    def stop(self):
        for server, proc in self.procs.items():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for server, proc in self.procs.items():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                kill_tree(proc.pid)
                proc.wait()
        self.procs = {}


# Dovecot is started from the configuration the tests use
# (tests/integration/peers.py), with the passwords hashed as mailctl writes
# them and the limits that would otherwise cap the test raised to maillab's.
DOVECOT_LIMITS = """\
default_process_limit = {limit}
default_client_limit = {clients}
mail_max_userip_connections = {limit}"""


class Dovecot:
    """POP3 and IMAP from Dovecot, on its own copy of the mail."""

    name = "dovecot"

    def __init__(self, work, tls_dir, users_file):
        self.dir = os.path.join(work, "dovecot")
        self.mail = os.path.join(self.dir, "mail")
        os.makedirs(self.mail)
        shutil.copy(users_file, os.path.join(self.dir, "users"))
        self.ports = {k: free_port() for k in ("imap", "imaps", "pop3", "pop3s")}
        self.conf = os.path.join(self.dir, "dovecot.conf")
        limits = DOVECOT_LIMITS.format(limit=MAX_SESSIONS + 100,
                                       clients=2 * MAX_SESSIONS + 1000)
        with open(self.conf, "w") as f:
            f.write(peers.dovecot_conf(self.dir, tls_dir, self.ports,
                                       passdb_args="", extra=limits))
        self.running = False

    def startup_command(self):
        return ["dovecot", "-F", "-c", self.conf]

    def start(self):
        with open(os.path.join(self.dir, "start.log"), "wb") as out:
            r = subprocess.run(["dovecot", "-c", self.conf], stdin=subprocess.DEVNULL,
                               stdout=out, stderr=out, timeout=60)
        if r.returncode != 0:
            raise RuntimeError("dovecot did not start:\n" + self.log()[-2000:])
        self.running = True
        for port in self.ports.values():
            wait_port(port, what="dovecot")

    def master_pid(self):
        # read when needed: the master listens before it writes the file
        return read_pid(os.path.join(self.dir, "run", "master.pid"))

    def pids(self):
        pid = self.master_pid()
        return descendants(pid) if pid else []

    def log(self):
        try:
            with open(os.path.join(self.dir, "dovecot.log"), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def stop(self):
        if not self.running:
            return
        pid = self.master_pid()
        subprocess.run(["doveadm", "-c", self.conf, "stop"], capture_output=True,
                       timeout=60)
        if pid and not _wait_gone(pid):
            kill_tree(pid)
        self.running = False


POSTFIX_MASTER_CF = """\
# A throwaway Postfix for make bench: the services it needs, none chrooted.
127.0.0.1:{port} inet n - n - - smtpd
pickup     unix  n - n 60 1 pickup
cleanup    unix  n - n - 0 cleanup
qmgr       unix  n - n 300 1 qmgr
rewrite    unix  - - n - - trivial-rewrite
bounce     unix  - - n - 0 bounce
defer      unix  - - n - 0 bounce
trace      unix  - - n - 0 bounce
verify     unix  - - n - 1 verify
flush      unix  n - n 1000? 0 flush
proxymap   unix  - - n - - proxymap
proxywrite unix  - - n - 1 proxymap
smtp       unix  - - n - - smtp
relay      unix  - - n - - smtp
showq      unix  n - n - - showq
error      unix  - - n - - error
retry      unix  - - n - - error
discard    unix  - - n - - discard
local      unix  - n n - - local
virtual    unix  - n n - - virtual
lmtp       unix  - - n - - lmtp
anvil      unix  - - n - 1 anvil
scache     unix  - - n - 1 scache
postlog    unix-dgram n - n - 1 postlogd
"""

POSTFIX_MAIN_CF = """\
# A throwaway Postfix for make bench (bench/bench_servers.py).
compatibility_level = 3.6
queue_directory = {dir}/spool
data_directory = {dir}/lib
maillog_file = {dir}/maillog
myhostname = peer.bench.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
biff = no
virtual_mailbox_domains = bench.test
virtual_mailbox_base = {dir}/mail
virtual_mailbox_maps = texthash:{dir}/etc/vmailbox
virtual_uid_maps = static:{uid}
virtual_gid_maps = static:{gid}
virtual_minimum_uid = {uid}
# the process limit would otherwise cap the test, raised to maillab's
default_process_limit = {limit}
"""


class Postfix:
    """SMTP from Postfix, delivering to Maildirs under its own tree."""

    name = "postfix"
    MASTER = "/usr/lib/postfix/sbin/master"

    def __init__(self, work, sinks):
        self.dir = os.path.join(work, "postfix")
        self.etc = os.path.join(self.dir, "etc")
        self.mail = os.path.join(self.dir, "mail")
        uid, gid = peers.vmail_ids()
        for d in (self.etc, self.mail, os.path.join(self.dir, "spool"),
                  os.path.join(self.dir, "lib")):
            os.makedirs(d)
        os.chown(self.mail, uid, gid)
        import pwd
        os.chown(os.path.join(self.dir, "lib"), pwd.getpwnam("postfix").pw_uid, -1)
        self.port = free_port()
        with open(os.path.join(self.etc, "main.cf"), "w") as f:
            f.write(POSTFIX_MAIN_CF.format(dir=self.dir, uid=uid, gid=gid,
                                           limit=MAX_SESSIONS))
        with open(os.path.join(self.etc, "master.cf"), "w") as f:
            f.write(POSTFIX_MASTER_CF.format(port=self.port))
        with open(os.path.join(self.etc, "vmailbox"), "w") as f:
            for s in range(sinks):
                f.write("sink%d@bench.test sink%d/Maildir/\n" % (s, s))
        # the lists of map types and of Postfix's own files, where the
        # package installed them
        for name in ("dynamicmaps.cf", "postfix-files"):
            src = os.path.join("/etc/postfix", name)
            if os.path.isfile(src):
                shutil.copy(src, self.etc)
            if os.path.isdir(src + ".d"):
                shutil.copytree(src + ".d", os.path.join(self.etc, name + ".d"))
        # creates the queue directories with their owners and modes
        self._postfix("check")
        self.running = False

    def _postfix(self, *args):
        r = subprocess.run(["postfix", "-c", self.etc, *args], capture_output=True,
                           text=True, timeout=120)
        if r.returncode != 0:
            raise RuntimeError("postfix %s failed: %s%s" % (" ".join(args), r.stderr,
                                                              self.log()[-2000:]))

    def startup_command(self):
        return [self.MASTER, "-d", "-c", self.etc]

    def start(self):
        self._postfix("start")
        self.running = True
        wait_port(self.port, what="postfix")

    def master_pid(self):
        return read_pid(os.path.join(self.dir, "spool", "pid", "master.pid"))

    def pids(self):
        pid = self.master_pid()
        return descendants(pid) if pid else []

    def queue_empty(self):
        spool = os.path.join(self.dir, "spool")
        for sub in ("maildrop", "incoming", "active", "deferred"):
            for _, _, files in os.walk(os.path.join(spool, sub)):
                if files:
                    return False
        return True

    def log(self):
        try:
            with open(os.path.join(self.dir, "maillog"), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def stop(self):
        if not self.running:
            return
        pid = self.master_pid()
        subprocess.run(["postfix", "-c", self.etc, "stop"], capture_output=True, timeout=60)
        if pid and not _wait_gone(pid):
            kill_tree(pid)
        self.running = False
