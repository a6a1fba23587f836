"""peers.py - third-party servers started as throwaway peers on loopback.

mailsh must work against servers it was not written with, so its tests
also run against:

  Dovecot 2.3 (POP3 and IMAP)  Debian's dovecot-imapd and dovecot-pop3d,
      started with its own configuration in a temporary directory: plain
      ports with STARTTLS/STLS, implicit-TLS ports, the lab certificate,
      a passwd-file with alice (the same file format maillab uses), and a
      Maildir owned by a system user "vmail" (Dovecot will not touch mail
      as root), created if missing;
  aiosmtpd (SMTP)  Debian's python3-aiosmtpd, run by /usr/bin/python3 (the
      interpreter that sees Debian's Python packages): ESMTP with
      STARTTLS and AUTH PLAIN/LOGIN, writing every accepted message to a
      file so a test can check what arrived (e.g. that dot-stuffing was
      undone).  aiosmtpd is a real, independent implementation of RFC 5321
      and RFC 3207, and it starts in a fraction of a second, which is why
      it was chosen over a throwaway Postfix instance.

Each peer listens on free ports of 127.0.0.1 only, is waited for by
watching the port, and is stopped when the test ends.  A peer that is not
installed skips the test with the package to install.

Run as a program, this file is the aiosmtpd server itself:
    /usr/bin/python3 peers.py smtp-peer PORT SPOOL_DIR CERT KEY
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

SYSTEM_PYTHON = "/usr/bin/python3"
HERE = os.path.dirname(os.path.abspath(__file__))
USERS = {"alice": "wonderland", "bob": "builder"}


def _wait_port(port, proc, what, limit=15.0):
    import harness
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError("%s exited at start (status %s)" % (what, proc.returncode))
        if harness._accepts(port):
            return
        time.sleep(0.05)
    raise AssertionError("%s did not listen on port %d within %.0f s" % (what, port, limit))


# ---- Dovecot ----------------------------------------------------------------

DOVECOT_CONF = """\
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
listen = 127.0.0.1
protocols = imap pop3
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
{dh}
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{dir}/mail/%u/Maildir
first_valid_uid = 1
default_internal_user = dovecot
default_login_user = dovenull
{extra}
passdb {{
  driver = passwd-file
  args = {passdb_args}{dir}/users
}}
userdb {{
  driver = static
  args = uid=vmail gid=vmail home={dir}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    port = {imap}
  }}
  inet_listener imaps {{
    port = {imaps}
    ssl = yes
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = {pop3}
  }}
  inet_listener pop3s {{
    port = {pop3s}
    ssl = yes
  }}
}}
"""


def dovecot_conf(dir, tls_dir, ports, passdb_args="scheme=PLAIN ", extra=""):
    """The text of a throwaway dovecot.conf: everything under @dir, the
    lab certificate of @tls_dir, @ports (imap, imaps, pop3, pop3s) on
    127.0.0.1.  make bench (bench/bench_servers.py) uses it too, with
    hashed passwords and raised process limits in @extra."""
    dh = "/usr/share/dovecot/dh.pem"
    return DOVECOT_CONF.format(
        dir=dir, cert=os.path.join(tls_dir, "server.pem"),
        key=os.path.join(tls_dir, "server.key"),
        dh=("ssl_dh = <%s" % dh) if os.path.exists(dh) else "",
        passdb_args=passdb_args, extra=extra, **ports)


def vmail_ids():
    """uid and gid of the system user vmail, created if missing (Dovecot
    will not touch mail as root; Postfix's virtual(8) delivers as it)."""
    import pwd
    try:
        pw = pwd.getpwnam("vmail")
    except KeyError:
        subprocess.run(["useradd", "-r", "-M", "-s", "/usr/sbin/nologin", "vmail"],
                       check=True, capture_output=True)
        pw = pwd.getpwnam("vmail")
    return pw.pw_uid, pw.pw_gid


class Dovecot:
    """A throwaway Dovecot with POP3 and IMAP, plain and implicit TLS."""

    def __init__(self, tls_dir, messages=()):
        if shutil.which("dovecot") is None:
            raise unittest.SkipTest("Dovecot is not installed "
                                    "(apt-get install dovecot-imapd dovecot-pop3d)")
        if os.geteuid() != 0:
            raise unittest.SkipTest("Dovecot as a throwaway peer needs root")
        import harness
        uid, gid = vmail_ids()
        # Dovecot's unprivileged processes must reach the run directory,
        # so this tree is not inside the test's 0700 scratch directory.
        self.dir = tempfile.mkdtemp(prefix="maillab-dovecot-")
        os.chmod(self.dir, 0o755)
        with open(os.path.join(self.dir, "users"), "w") as f:
            for user, password in USERS.items():
                f.write("%s:{PLAIN}%s\n" % (user, password))
        self._mail(messages, uid, gid)
        # A free port can be taken by someone else between the check and
        # Dovecot's bind; then Dovecot refuses to start.  Try fresh ports.
        for attempt in range(3):
            error = self._start(tls_dir, harness)
            if error is None:
                break
        else:
            raise AssertionError("dovecot did not start:\n" + error)
        for port in self.ports.values():
            _wait_port(port, None, "dovecot")

    def _start(self, tls_dir, harness):
        """Write the configuration with fresh ports and start Dovecot;
        None on success, else what it said."""
        self.ports = {k: harness.free_port() for k in ("imap", "imaps", "pop3", "pop3s")}
        self.conf = os.path.join(self.dir, "dovecot.conf")
        with open(self.conf, "w") as f:
            f.write(dovecot_conf(self.dir, tls_dir, self.ports))
        # the daemon keeps its stderr: a file, not a pipe nobody drains
        start_log = os.path.join(self.dir, "start.log")
        with open(start_log, "wb") as out:
            r = subprocess.run(["dovecot", "-c", self.conf], stdin=subprocess.DEVNULL,
                               stdout=out, stderr=out, timeout=30)
        if r.returncode == 0:
            return None
        with open(start_log, errors="replace") as f:
            return f.read() + self.log()

    def _mail(self, messages, uid, gid):
        root = os.path.join(self.dir, "mail", "alice", "Maildir")
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(root, sub))
        for i, msg in enumerate(messages):
            with open(os.path.join(root, "new", "%d.M%dP1.peer" % (1700000000 + i, i)), "wb") as f:
                f.write(msg)
        for base, dirs, files in os.walk(os.path.join(self.dir, "mail")):
            for name in dirs + files:
                os.chown(os.path.join(base, name), uid, gid)
        os.chown(os.path.join(self.dir, "mail"), uid, gid)

    def log(self):
        try:
            with open(os.path.join(self.dir, "dovecot.log"), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def stop(self):
        subprocess.run(["doveadm", "-c", self.conf, "stop"], capture_output=True, timeout=30)
        pidfile = os.path.join(self.dir, "run", "master.pid")
        deadline = time.monotonic() + 10
        while os.path.exists(pidfile) and time.monotonic() < deadline:
            time.sleep(0.05)
        shutil.rmtree(self.dir, ignore_errors=True)


# ---- aiosmtpd -----------------------------------------------------------------

class SmtpPeer:
    """aiosmtpd with STARTTLS and AUTH, run by Debian's Python."""

    def __init__(self, tls_dir):
        have = os.access(SYSTEM_PYTHON, os.X_OK) and subprocess.run(
            [SYSTEM_PYTHON, "-c", "import aiosmtpd"], capture_output=True).returncode == 0
        if not have:
            raise unittest.SkipTest("aiosmtpd is not installed (apt-get install python3-aiosmtpd)")
        import harness
        self.port = harness.free_port()
        self.spool = tempfile.mkdtemp(prefix="smtp-peer-", dir=harness.scratch_root())
        self.proc = subprocess.Popen(
            [SYSTEM_PYTHON, os.path.abspath(__file__), "smtp-peer", str(self.port), self.spool,
             os.path.join(tls_dir, "server.pem"), os.path.join(tls_dir, "server.key")],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.spool, "stderr"), "wb"))
        _wait_port(self.port, self.proc, "aiosmtpd")

    def messages(self):
        """The messages accepted so far, as bytes, in order."""
        names = sorted(n for n in os.listdir(self.spool) if n.endswith(".eml"))
        out = []
        for n in names:
            with open(os.path.join(self.spool, n), "rb") as f:
                out.append(f.read())
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _smtp_peer_main(port, spool, cert, key):
    """The aiosmtpd server (runs under Debian's /usr/bin/python3)."""
    import asyncio
    import ssl
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    class Spool:
        count = 0

        async def handle_DATA(self, server, session, envelope):
            Spool.count += 1
            path = os.path.join(spool, "%04d.eml" % Spool.count)
            with open(path + ".tmp", "wb") as f:
                f.write(envelope.original_content or envelope.content)
            os.rename(path + ".tmp", path)
            return "250 2.0.0 Ok: queued as %d" % Spool.count

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = USERS.get(auth_data.login.decode()) == auth_data.password.decode()
        return AuthResult(success=ok)

    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    controller = Controller(Spool(), hostname="127.0.0.1", port=int(port),
                            tls_context=ctx, require_starttls=False,
                            authenticator=authenticate, auth_require_tls=False,
                            server_hostname="peer.maillab.test")
    controller.start()
    stop = asyncio.Event()
    loop = asyncio.new_event_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.run_until_complete(stop.wait())
    controller.stop()


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "smtp-peer":
        _smtp_peer_main(*sys.argv[2:])
    else:
        sys.exit("usage: peers.py smtp-peer PORT SPOOL_DIR CERT KEY")
