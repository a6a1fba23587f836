#!/usr/bin/env python3
"""bench.py - make bench: maillab's servers side by side with Dovecot and
Postfix, measured in the same run on the same machine.

    python3 bench/bench.py --bin build/opt/bin --out build/bench [options]

What happens, in order (docs/bench.md explains every figure):

  1. the mail (bench_mail.py): users, a 1,000-message maildrop each, a
     10,000-message mailbox, all written straight into Maildir files and
     hard-linked into each server's own tree;
  2. the machine's limits (benchprobe): durable Maildir deliveries with 1
     and 16 writers, loopback TCP, TLS handshakes with the lab certificate;
  3. start-up time of each server (benchprobe startup) and of mailsh;
  4. all servers started (bench_servers.py), every maildrop opened once so
     that indexes and UID lists exist before anything is timed;
  5. 1,000 idle IMAP sessions per server: memory (PSS) per session, read
     IDLE_SETTLE_S after the last one is ready, and how soon a new client
     still gets its greeting;
  6. mailsh replaying a 1,000-step session against each POP3 server;
  7. every workload at 1, 8, 64 and 256 clients (loadgen), maillab and
     then its peer, one after the other, with the CPU each operation cost
     the whole machine (cpu_ticks()): SMTP messages are counted in the
     Maildirs afterwards, so a lost message is an error, not a number,
     and kept there until the end (REMOVE_FROM_OCTETS says why); the
     runs compared with the delivery limit have it measured beside them,
     and the connection-per-message one what a connection alone costs
     (connection_cost());
  8. the SMTP figures cross-checked with another client, Postfix's
     smtp-source, against smtpd and Postfix;
  9. the table (figure, maillab, peer, ratio, fraction of the limit, goal,
     met?), results.json, results.csv and throughput.png/.svg in --out.

Everything listens on 127.0.0.1.  Every process and directory it makes is
removed at the end, also on Ctrl-C or SIGTERM.  --smoke runs a tiny
version against maillab alone (a few users, fractions of a second per
run), which `make test` uses to keep the harness working.
"""

import argparse
import json
import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True

import bench_mail  # noqa: E402
import bench_report  # noqa: E402
import bench_servers  # noqa: E402

LEVELS = (1, 8, 64, 256)
# The level at which the SMTP 4 KB figures are compared with the parallel
# delivery limit (the goal's 0.7x).  The limit is measured again on each
# side of those runs: the disk's speed drifts over the minutes between
# stage 2 and stage 7, and a ratio of two figures taken minutes apart
# would measure the drift.
LIMIT_LEVEL = 64
# What AddressSanitizer, LeakSanitizer and UBSan print when they find
# something (the same marks tests/integration/harness.py looks for).
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "runtime error:", "LeakSanitizer")
# Seconds between the last idle session's SELECT and the memory reading.
# An imapd session that has heard nothing for a second gives back what
# its last command used, and after ten lets its view of the mailbox sleep
# (imapd --sleep-after, IMAP_SLEEP_AFTER_S in proto/limits.h); read at
# once, the last sessions opened would still be counted with their
# SELECT.  Both servers get the same wait.
IDLE_SETTLE_S = 12.0
# SMTP messages stay in the sinks until the bench ends, and so do the
# limit probes' files, except a run's messages that average this many
# octets or more (the 1 MB workloads: a few hundred files, but room on
# the disk), which are removed after their run.  Removing thousands of
# small files just before a run would slow it down: ext4 without a
# journal, this disk's, does not reuse an inode freed in the last minute
# (longer while its inode table block is dirty) and checks each such
# inode, one at a time, every time it creates a file (recently_deleted()
# in fs/ext4/ialloc.c).  smtpd creates one file a message.
REMOVE_FROM_OCTETS = 64 * 1024


def cpu_ticks():
    """(busy, all) CPU time of the whole machine since boot, in clock
    ticks (SC_CLK_TCK a second), from /proc/stat's first line: every CPU,
    every process, the kernel's interrupts too.  Busy is all but idle and
    iowait (proc(5)).  Whole ticks, so that busy / all is never above 1."""
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:]]
    return sum(ticks) - ticks[3] - ticks[4], sum(ticks)


def cpu_used(start):
    """(busy µs, busy fraction) of the whole machine since @start, a
    cpu_ticks() taken before: what a run or a probe cost every CPU."""
    busy0, all0 = start
    busy1, all1 = cpu_ticks()
    busy_us = (busy1 - busy0) * 1e6 / os.sysconf("SC_CLK_TCK")
    return busy_us, (busy1 - busy0) / (all1 - all0) if all1 > all0 else 0.0


class Stop(Exception):
    """SIGTERM or SIGHUP: clean up as for Ctrl-C."""


class Workload:
    """One row group of the table: a loadgen workload with its options."""

    def __init__(self, key, figure, workload, proto, unit="ops/s", port=None,
                 args=(), mb_figure=None, goal=1.0, warm=False, vs_limit=False):
        self.key = key
        self.figure = figure
        self.workload = workload
        self.proto = proto          # smtp, pop3 or imap: who the peer is
        self.unit = unit
        self.port = port or proto   # which port of the server
        self.args = list(args)
        self.mb_figure = mb_figure  # also report MB/s under this name
        self.goal = goal            # maillab / peer must reach this
        # --warmup, for the three SMTP 4 KB workloads: two are compared
        # with the delivery limit, a steady state, and the third (no
        # pipelining) is read beside the first.  The rest
        # count from the start: some of their operations (a POP3 session,
        # Dovecot's FETCH at 256 clients) take longer than the whole run,
        # and after a warm-up there would be nothing left to count.
        self.warm = warm
        self.vs_limit = vs_limit    # compared with the limit (LIMIT_LEVEL)


def workloads(cfg):
    u = ["--user", "u", "--users", str(cfg.users)]
    big = ["--user", "big"]
    sinks = ["--rcpt", "sink@bench.test", "--rcpts", str(cfg.sinks)]
    return [
        Workload("smtp-4k", "SMTP 4 KB, one connection", "smtp", "smtp", "msgs/s",
                 args=sinks + ["--size", "4096"], goal=1.5, warm=True, vs_limit=True),
        # as Postfix's smtp-source sends: each command waits for its reply
        # (the one above pipelines MAIL, RCPT and DATA, as an MTA does)
        Workload("smtp-lockstep-4k", "SMTP 4 KB, one connection, no pipelining",
                 "smtp", "smtp", "msgs/s", args=sinks + ["--size", "4096", "--no-pipelining"],
                 goal=None, warm=True),
        # compared with the limit like the first: its warm-up is when the
        # 64 session processes are forked
        Workload("smtp-4k-conn", "SMTP 4 KB, connection per message", "smtp-conn",
                 "smtp", "msgs/s", args=sinks + ["--size", "4096"], goal=1.5,
                 warm=True, vs_limit=True),
        Workload("smtp-1m", "SMTP 1 MB, one connection", "smtp", "smtp", "msgs/s",
                 args=sinks + ["--size", "1M"], goal=1.5),
        Workload("smtp-1m-conn", "SMTP 1 MB, connection per message", "smtp-conn",
                 "smtp", "msgs/s", args=sinks + ["--size", "1M"], goal=1.5),
        Workload("pop3", "POP3 sessions (RETR all)", "pop3", "pop3", "sessions/s",
                 args=u, mb_figure="POP3 RETR MB/s"),
        Workload("pop3-tls", "POP3S sessions (RETR all)", "pop3", "pop3", "sessions/s",
                 port="pop3s", args=u + ["--tls", "--cafile", cfg.cafile],
                 mb_figure="POP3S RETR MB/s"),
        Workload("imap-login", "IMAP logins", "imap-login", "imap", "logins/s",
                 args=u, goal=3.0),
        Workload("imap-select", "IMAP SELECT, 10,000 msgs", "imap-select", "imap",
                 args=big),
        Workload("imap-fetch-flags", "IMAP FETCH 1:* flags, 10,000", "imap-fetch-flags",
                 "imap", args=big),
        Workload("imap-fetch-body", "IMAP FETCH BODY[] one msg, 10,000",
                 "imap-fetch-body", "imap", args=big),
        Workload("imap-search-text", "IMAP UID SEARCH TEXT, 1,000", "imap-search-text",
                 "imap", args=u + ["--text", bench_mail.NEEDLE]),
        Workload("imap-search-flags", "IMAP UID SEARCH FLAGGED, 1,000",
                 "imap-search-flags", "imap", args=u),
        Workload("imap-store", "IMAP STORE +/-FLAGS, 1,000", "imap-store", "imap",
                 args=u),
        Workload("imap-append", "IMAP APPEND 4 KB (durable)", "imap-append", "imap",
                 args=u + ["--mailbox", "Bench", "--size", "4096"]),
    ]


class Bench:
    def __init__(self, cfg):
        self.cfg = cfg
        self.bindir = os.path.abspath(cfg.bin)
        self.out = os.path.abspath(cfg.out)
        self.work = None
        self.servers = []   # everything started, stopped in reverse order
        self.runs = []      # every loadgen report, with figure and server
        self.doc = {"machine": machine(), "limits": {}, "startup": {},
                    "idle": {}, "mailsh": {}, "config": vars(cfg).copy()}
        self.log = None

    # ---- helpers -------------------------------------------------------

    def say(self, text):
        print(text, flush=True)
        if self.log:
            self.log.write(text + "\n")
            self.log.flush()

    def tool(self, name):
        path = os.path.join(self.bindir, name)
        if not os.access(path, os.X_OK):
            raise SystemExit("bench: %s is not built (make bench builds it)" % path)
        return path

    def run_json(self, args, timeout, stdin=None):
        """Run a bench tool; its last stdout line is JSON."""
        r = subprocess.run(args, capture_output=True, text=True, timeout=timeout,
                           stdin=stdin or subprocess.DEVNULL)
        # under make test the tools are built with the sanitizers
        for mark in SANITIZER_MARKS:
            if mark in r.stderr:
                raise RuntimeError("%s: sanitizer report:\n%s"
                                   % (os.path.basename(args[0]), r.stderr[-3000:]))
        lines = [x for x in r.stdout.splitlines() if x.startswith("{")]
        if not lines:
            raise RuntimeError("%s printed no report (status %d): %s"
                               % (os.path.basename(args[0]), r.returncode,
                                  r.stderr.strip()[-500:]))
        return json.loads(lines[-1])

    # ---- 1. the mail ---------------------------------------------------

    def prepare(self):
        cfg = self.cfg
        self.work = tempfile.mkdtemp(prefix="maillab-bench-", dir=cfg.tmpdir)
        # Dovecot's and Postfix's unprivileged processes must reach it
        os.chmod(self.work, 0o755)
        self.doc["work"] = self.work
        self.log = open(os.path.join(self.out, "bench.log"), "w")
        self.say("bench: preparing %s" % self.work)
        tls = os.path.join(self.work, "tls")
        subprocess.run([os.path.join(ROOT, "tools", "mkcerts.sh"), tls], check=True,
                       capture_output=True, timeout=60)
        cfg.cafile = os.path.join(tls, "ca.pem")
        self.tls = tls
        users = os.path.join(self.work, "users")
        bench_mail.write_users(users, bench_mail.user_names(cfg.users, cfg.sinks))
        t0 = time.monotonic()
        corpus = os.path.join(self.work, "corpus")
        messages = bench_mail.write_corpus(corpus, cfg.small)
        self.maillab = bench_servers.Maillab(self.work, self.bindir, tls, users)
        trees = [self.maillab.mail]
        if cfg.peers:
            self.dovecot = bench_servers.Dovecot(self.work, tls, users)
            self.postfix = bench_servers.Postfix(self.work, cfg.sinks)
            trees.append(self.dovecot.mail)
        for root in trees:
            bench_mail.populate(root, corpus, messages, cfg.big, cfg.users)
        if cfg.peers:
            uid, gid = bench_servers.peers.vmail_ids()
            bench_mail.chown_tree(self.dovecot.mail, uid, gid, corpus)
        self.say("bench: %d users with %d messages each, one with %d, in %.1f s"
                 % (cfg.users, cfg.small, cfg.big, time.monotonic() - t0))

    # ---- 2. limits -------------------------------------------------------

    def maildir_limit(self, writers):
        """Durable Maildir deliveries with @writers at once (benchprobe)."""
        d = tempfile.mkdtemp(prefix="maildir-probe-", dir=self.work)
        start = cpu_ticks()
        r = self.run_json([self.tool("benchprobe"), "maildir", d, str(writers),
                           str(self.cfg.limit_seconds)], 120)
        # what a delivery cost the machine: the writers and the kernel's
        # work for them (the disk's interrupts, writeback), as for a run
        busy_us, _ = cpu_used(start)
        r["cpu_us_per_delivery"] = busy_us / r["deliveries"] if r["deliveries"] else 0.0
        os.sync()  # its files stay (REMOVE_FROM_OCTETS), written out now
        return r

    def limits(self):
        probe, secs = self.tool("benchprobe"), str(self.cfg.limit_seconds)
        lim = self.doc["limits"]
        for writers in (1, 16):
            lim["maildir_%d" % writers] = self.maildir_limit(writers)
        lim["tcp"] = self.run_json([probe, "tcp", secs], 120)
        lim["tls"] = self.run_json([probe, "tls", os.path.join(self.tls, "server.pem"),
                                    os.path.join(self.tls, "server.key"),
                                    self.cfg.cafile, secs, str(os.cpu_count() or 1)], 120)
        lim["exec"] = self.run_json([probe, "exec", str(self.cfg.startup_runs),
                                     "/dev/null", "--", "/bin/true"], 120)
        self.say("bench: limits: Maildir %.0f/s (1 writer), %.0f/s (16), loopback "
                 "%.0f MB/s, %.0f TLS handshakes/s, exec %.1f ms"
                 % (lim["maildir_1"]["per_s"], lim["maildir_16"]["per_s"],
                    lim["tcp"]["mb_per_s"], lim["tls"]["per_s"],
                    lim["exec"]["median_ms"]))

    # ---- 3. start-up -----------------------------------------------------

    def startup(self):
        probe, runs = self.tool("benchprobe"), str(self.cfg.startup_runs)
        m = self.maillab
        items = [("pop3d", m.ports["pop3"], m.command("pop3d")),
                 ("smtpd", m.ports["smtp"], m.command("smtpd")),
                 ("imapd", m.ports["imap"], m.command("imapd"))]
        if self.cfg.peers:
            items += [("dovecot", self.dovecot.ports["imap"],
                       self.dovecot.startup_command()),
                      ("postfix", self.postfix.port, self.postfix.startup_command())]
        for name, port, command in items:
            self.doc["startup"][name] = self.run_json(
                [probe, "startup", str(port), runs, "--"] + command, 300)
            self.say("bench: start-up of %s: %.1f ms (median of %s)"
                     % (name, self.doc["startup"][name]["median_ms"], runs))

    # ---- 4. servers --------------------------------------------------------

    def start_servers(self):
        self.servers.append(self.maillab)
        self.maillab.start()
        if self.cfg.peers:
            self.servers.append(self.dovecot)
            self.dovecot.start()
            self.servers.append(self.postfix)
            self.postfix.start()
        # every maildrop opened once: UID lists and indexes are built now,
        # not in the first timed run
        for name, port, _ in self.targets("pop3", "pop3"):
            r = self.loadgen("pop3-login", port, self.cfg.users, count=self.cfg.users,
                             extra=["--user", "u", "--users", str(self.cfg.users)])
            r2 = self.loadgen("imap-select", self.imap_port(name), 1, count=1,
                              extra=["--user", "big"])
            if r["errors"] or r2["errors"]:
                raise RuntimeError("%s: warm-up failed: %s %s" % (
                    name, r["first_error"], r2["first_error"]))
        # what preparing the mail and opening every mailbox wrote goes to
        # disk now, not in the background during the first timed runs
        os.sync()
        self.say("bench: servers started and every mailbox opened once")

    def imap_port(self, name):
        return (self.maillab if name == "maillab" else self.dovecot).ports["imap"]

    def loadgen(self, workload, port, clients, duration=None, count=None, extra=(),
                warmup=0):
        args = [self.tool("loadgen"), "--workload", workload, "--port", str(port),
                "--clients", str(clients), "--password", bench_mail.PASSWORD,
                "--warmup", str(warmup)] + list(extra)
        args += ["--count", str(count)] if count else ["--duration", str(duration)]
        start = cpu_ticks()
        r = self.run_json(args, self.cfg.run_timeout)
        # What an operation cost the machine: the server's processes, the
        # load generator's and the kernel's work for both, over the whole
        # run, warm-up included, divided by every operation completed.
        busy_us, r["cpu_busy"] = cpu_used(start)
        r["cpu_us_per_op"] = busy_us / r["done"] if r["done"] else 0.0
        return r

    # ---- 5. idle sessions ---------------------------------------------------

    def idle(self):
        targets = [("maillab", self.maillab.ports["imap"],
                    lambda: self.maillab.pids("imapd"))]
        if self.cfg.peers:
            targets.append(("dovecot", self.dovecot.ports["imap"], self.dovecot.pids))
        n = self.cfg.idle
        for name, port, pids in targets:
            before = bench_servers.pss_kib(pids())
            p = subprocess.Popen(
                [self.tool("loadgen"), "--workload", "imap-idle", "--port", str(port),
                 "--clients", str(n), "--user", "u", "--users", str(self.cfg.users),
                 "--password", bench_mail.PASSWORD],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            try:
                ready = json.loads(p.stdout.readline() or "{}")
                time.sleep(IDLE_SETTLE_S if not self.cfg.smoke else 0)
                after = bench_servers.pss_kib(pids())
                procs = len(pids())
                probe = self.loadgen("greeting", port, 1, count=self.cfg.greetings)
            finally:
                p.stdin.close()
                p.wait(timeout=300)
            sessions = ready.get("ready", 0)
            self.doc["idle"][name] = {
                "sessions": sessions, "errors": ready.get("errors"),
                "first_error": ready.get("first_error"), "processes": procs,
                "pss_before_kib": before, "pss_after_kib": after,
                "pss_per_session_kib": (after - before) / sessions if sessions else None,
                "greeting_p50_ms": probe["p50_ms"], "greeting_p99_ms": probe["p99_ms"],
                "greeting_errors": probe["errors"]}
            self.say("bench: %s with %d idle IMAP sessions: %.0f KiB PSS each, "
                     "greeting in %.1f ms" % (name, sessions,
                                              self.doc["idle"][name]["pss_per_session_kib"]
                                              or 0, probe["p50_ms"]))

    # ---- 6. mailsh -------------------------------------------------------------

    def mailsh(self):
        mailsh = os.path.join(self.bindir, "mailsh")
        if not os.access(mailsh, os.X_OK):
            self.doc["mailsh"]["skipped"] = "mailsh is not built"
            return
        probe = self.tool("benchprobe")
        quit_file = os.path.join(self.work, "quit.batch")
        with open(quit_file, "w") as f:
            f.write("QUIT\n")
        opts = ["--no-history", "--no-explain", "--no-warnings", "--no-color"]
        url = "pop3://127.0.0.1:%d" % self.maillab.ports["pop3"]
        self.doc["mailsh"]["startup"] = self.run_json(
            [probe, "exec", str(self.cfg.startup_runs), quit_file, "--", mailsh,
             "--batch", "-"] + opts + [url], 300)
        help_text = subprocess.run([mailsh, "--help"], capture_output=True,
                                   text=True).stdout
        # A session file replayed live, every reply checked against it;
        # a mailsh without --replay-live replays a batch script instead.
        live = "--replay-live" in help_text
        script = self.replay_script(live)
        self.doc["mailsh"]["mode"] = "replay-live" if live else "batch"
        for name, port, _ in self.targets("pop3", "pop3"):
            url = "pop3://127.0.0.1:%d" % port
            command = ([mailsh, "--replay-live", script, url] if live else
                       [mailsh, "--batch", "-"] + opts + [url])
            r = self.run_json([probe, "exec", "3", script if not live else "/dev/null",
                               "--"] + command, 300)
            r["steps"] = self.cfg.replay_steps
            r["steps_per_s"] = (self.cfg.replay_steps / (r["median_ms"] / 1000)
                                if r["median_ms"] else 0)
            self.doc["mailsh"]["replay_" + name] = r
        self.say("bench: mailsh start-up %.1f ms; %d-step %s at %.0f steps/s"
                 % (self.doc["mailsh"]["startup"]["median_ms"], self.cfg.replay_steps,
                    self.doc["mailsh"]["mode"],
                    self.doc["mailsh"]["replay_maillab"]["steps_per_s"]))

    def replay_script(self, live):
        """A POP3 session of replay_steps steps: login, then STAT, LIST,
        UIDL and NOOP in turn, then QUIT; as a session file
        (docs/session-format.md) or as a batch script."""
        steps = self.cfg.replay_steps
        cmds = [("USER u0", "+OK{{*}}"), ("PASS " + bench_mail.PASSWORD, "+OK{{*}}")]
        cycle = [("NOOP", "+OK{{*}}"), ("STAT", "+OK {{n}} {{n}}"),
                 ("LIST 1", "+OK 1 {{n}}"), ("UIDL 1", "+OK 1 {{word}}")]
        cmds += [cycle[i % 4] for i in range(steps - 3)]
        cmds.append(("QUIT", "+OK{{*}}"))
        path = os.path.join(self.work, "replay.session" if live else "replay.batch")
        with open(path, "w") as f:
            if live:
                f.write("maillab-session 1\ntitle: make bench replay\n"
                        "protocol: pop3\ntls: plain\n\nS: +OK{{*}}\n")
                for client, server in cmds:
                    f.write("C: %s\nS: %s\n" % (client, server))
            else:
                f.write("".join(client + "\n" for client, _ in cmds))
        return path

    # ---- 7. workloads ------------------------------------------------------------

    def targets(self, proto, port):
        """(server name, port number, mail root) of maillab and of the peer
        for @proto, on the port named @port (smtp, pop3, pop3s, imap)."""
        m = self.maillab
        out = [("maillab", m.ports[port], m.mail)]
        if self.cfg.peers:
            if proto == "smtp":
                out.append(("postfix", self.postfix.port, self.postfix.mail))
            else:
                out.append(("dovecot", self.dovecot.ports[port], self.dovecot.mail))
        return out

    def check_delivered(self, name, root, accepted, before):
        """SMTP: every accepted message must be in a sink's Maildir, beside
        the messages @before the run (bench_mail.sink_messages()).  Returns
        how many are missing.  The run's messages are removed if they are
        big (REMOVE_FROM_OCTETS)."""
        deadline = time.monotonic() + self.cfg.drain_timeout
        while True:
            # the sinks hold every message kept so far: list them only
            # once Postfix's queue (small) says its mail can all be there
            drained = name != "postfix" or self.postfix.queue_empty()
            late = time.monotonic() > deadline
            if drained or late:
                new = bench_mail.sink_messages(root) - before
                if len(new) >= accepted or late:
                    break
            time.sleep(0.1)
        if bench_mail.mean_size(new) >= REMOVE_FROM_OCTETS:
            bench_mail.remove(new)
        os.sync()
        return max(0, accepted - len(new))

    def workloads(self):
        for w in workloads(self.cfg):
            if self.cfg.only and not any(o in w.key for o in self.cfg.only):
                continue
            for clients in self.cfg.levels:
                for name, port, root in self.targets(w.proto, w.port):
                    beside = (w.vs_limit and name == "maillab"
                              and clients == self.cfg.limit_level)
                    before = self.maildir_limit(16) if beside else None
                    warmup = self.cfg.warmup if w.warm else 0
                    kept = bench_mail.sink_messages(root) if w.proto == "smtp" else None
                    r = self.loadgen(w.workload, port, clients, duration=self.cfg.duration,
                                     warmup=warmup, extra=w.args
                                     + ["--limit", str(warmup + self.cfg.duration
                                                       + self.cfg.cap)])
                    r.update(figure=w.key, server=name)
                    if w.proto == "smtp":
                        r["lost"] = self.check_delivered(name, root, r["done"], kept)
                    if beside:
                        after = self.maildir_limit(16)
                        r["limit_beside"] = {
                            "before": before["per_s"], "after": after["per_s"],
                            "per_s": (before["per_s"] + after["per_s"]) / 2,
                            "cpu_us_per_delivery": (before["cpu_us_per_delivery"]
                                                    + after["cpu_us_per_delivery"]) / 2}
                        self.say("  the Maildir limit (16 writers) beside it: %.0f/s "
                                 "before, %.0f/s after, %.0f us of CPU a delivery"
                                 % (before["per_s"], after["per_s"],
                                    r["limit_beside"]["cpu_us_per_delivery"]))
                    if beside and w.workload == "smtp-conn":
                        r["connection_beside"] = self.connection_cost(port, clients)
                    self.runs.append(r)
                    self.say("  %-17s %3d clients %-8s %9.1f %-10s p50 %7.2f ms  "
                             "p99 %8.2f ms  cpu %6.0f us/op  errors %d%s%s"
                             % (w.key, clients, name, r["ops_per_s"], w.unit,
                                r["p50_ms"], r["p99_ms"], r["cpu_us_per_op"], r["errors"],
                                "  lost %d" % r["lost"] if r.get("lost") else "",
                                "  cut %d" % r["cut"] if r.get("cut") else ""))
                    if r["first_error"]:
                        self.say("      first error: " + r["first_error"])

    def connection_cost(self, port, clients):
        """What a connection alone costs the machine, for the runs with a
        connection per message: as many clients connect, read the
        greeting and close (loadgen's greeting workload), as long as a
        run.  No SMTP command and no delivery: TCP's set-up and close on
        both sides, the hand-off to a session process, one reply."""
        g = self.loadgen("greeting", port, clients, duration=self.cfg.duration)
        self.say("  a connection alone beside it: %.0f/s, %.0f us of CPU each%s"
                 % (g["ops_per_s"], g["cpu_us_per_op"],
                    "  errors %d" % g["errors"] if g["errors"] else ""))
        return {"per_s": g["ops_per_s"], "cpu_us": g["cpu_us_per_op"],
                "errors": g["errors"]}

    # ---- 8. the cross-check ---------------------------------------------------------

    def cross_check(self):
        """SMTP measured by another client: Postfix's smtp-source and the
        load generator, one command at a time both (smtp-source does not
        pipeline), send the same number of 4 KB messages over the same
        number of connections to one recipient, timed from the start."""
        source = shutil.which("smtp-source") or "/usr/sbin/smtp-source"
        if not os.access(source, os.X_OK):
            self.doc["cross_check"] = {"skipped": "smtp-source is not installed "
                                       "(Debian's postfix package)"}
            self.say("bench: cross-check skipped: smtp-source is not installed")
            return
        n, count = self.cfg.cross_sessions, self.cfg.cross_messages
        rcpt = "sink0@bench.test"
        self.doc["cross_check"] = {"sessions": n, "messages": count}
        for name, port, root in self.targets("smtp", "smtp"):
            kept = bench_mail.sink_messages(root)
            t0 = time.monotonic()
            # -d: every message of a session on its connection; -l: the
            # text after smtp-source's own header lines, about 4 KB in all
            r = subprocess.run([source, "-d", "-s", str(n), "-m", str(count),
                                "-l", "3900", "-M", "client.test",
                                "-f", "loadgen@client.test", "-t", rcpt,
                                "127.0.0.1:%d" % port],
                               capture_output=True, text=True,
                               timeout=self.cfg.run_timeout)
            seconds = time.monotonic() - t0
            if r.returncode != 0:
                raise RuntimeError("smtp-source against %s failed (%d): %s"
                                   % (name, r.returncode, r.stderr[-2000:]))
            lost = self.check_delivered(name, root, count, kept)
            kept = bench_mail.sink_messages(root)
            ours = self.loadgen("smtp", port, n, count=count,
                                extra=["--no-pipelining", "--rcpt", rcpt])
            ours_lost = self.check_delivered(name, root, ours["done"], kept)
            self.doc["cross_check"][name] = {
                "smtp_source_per_s": count / seconds, "smtp_source_lost": lost,
                "loadgen_per_s": ours["ops_per_s"],
                "loadgen_errors": ours["errors"], "loadgen_lost": ours_lost}
            self.say("bench: cross-check %-8s %d messages over %d connections: "
                     "smtp-source %.0f/s, loadgen %.0f/s%s"
                     % (name, count, n, count / seconds, ours["ops_per_s"],
                        "  LOST %d" % (lost + ours_lost) if lost + ours_lost else ""))

    # ---- 9. the report -----------------------------------------------------------

    def write(self, table, series):
        os.makedirs(self.out, exist_ok=True)
        self.doc["runs"] = self.runs
        self.doc["table"] = table.rows
        self.doc["goals"] = [{"goal": g, "met": ok} for g, ok in table.goals]
        bench_report.write_json(os.path.join(self.out, "results.json"), self.doc)
        bench_report.write_csv(os.path.join(self.out, "results.csv"), self.runs)
        with open(os.path.join(self.out, "table.md"), "w") as f:
            f.write(table.markdown() + "\n")
        with open(os.path.join(self.out, "table.txt"), "w") as f:
            f.write(table.text() + "\n")
        plots = bench_report.plot(self.out, series, "maillab and its peers: "
                                  "throughput against concurrent clients")
        self.say("")
        self.say(table.text())
        self.say("")
        self.say("bench: wrote %s" % ", ".join(
            os.path.join(self.out, n) for n in ("results.json", "results.csv", "table.md")
        ) + "".join(", " + p for p in plots))

    # ---- the whole run ---------------------------------------------------------

    def run(self):
        cfg = self.cfg
        os.makedirs(self.out, exist_ok=True)
        started = time.monotonic()
        try:
            self.prepare()
            self.limits()
            self.startup()
            self.start_servers()
            self.idle()
            self.mailsh()
            self.workloads()
            self.cross_check()
            table, series = bench_report.build(self.doc, self.runs, workloads(self.cfg),
                                               self.cfg.levels, self.cfg.replay_steps)
        finally:
            self.cleanup()
        self.doc["seconds"] = time.monotonic() - started
        self.write(table, series)
        self.say("bench: done in %.0f s" % self.doc["seconds"])
        return 0

    def cleanup(self):
        t0 = time.monotonic()
        for server in reversed(self.servers):
            try:
                server.stop()
            except Exception as e:  # keep stopping the others
                print("bench: stopping %s: %s" % (server.name, e), file=sys.stderr)
        self.servers = []
        if self.work and not self.cfg.keep:
            for name in ("logs",):
                src = os.path.join(self.work, name)
                if os.path.isdir(src) and self.cfg.smoke:
                    shutil.copytree(src, os.path.join(self.out, name), dirs_exist_ok=True)
            shutil.rmtree(self.work, ignore_errors=True)
            self.say("bench: stopped everything and removed %s in %.0f s"
                     % (self.work, time.monotonic() - t0))
        elif self.work:
            print("bench: kept %s" % self.work, file=sys.stderr)


def machine():
    """What the figures were measured on."""
    info = {"kernel": platform.release(), "cpus": os.cpu_count(),
            "python": platform.python_version()}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            info["memory_mib"] = int(f.readline().split()[1]) // 1024
    except OSError:
        pass
    for key, cmd in (("dovecot", ["dovecot", "--version"]),
                     ("postfix", ["postconf", "-d", "-h", "mail_version"]),
                     ("openssl", ["openssl", "version"])):
        try:
            info[key] = subprocess.run(cmd, capture_output=True, text=True,
                                       timeout=10).stdout.strip()
        except OSError:
            info[key] = None
    return info


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "opt", "bin"))
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "bench"))
    ap.add_argument("--tmpdir", default="/var/tmp",
                    help="where the mail goes: a disk, so fsync means something")
    ap.add_argument("--duration", type=float, default=2.0, help="seconds per run")
    ap.add_argument("--warmup", type=float, default=1.0,
                    help="seconds not counted at the start of each run of the "
                    "SMTP 4 KB workloads on one connection (the ones compared "
                    "with the delivery limit)")
    ap.add_argument("--cap", type=float, default=20.0,
                    help="seconds after --duration at which operations still "
                    "running are cut (slow servers at 256 clients)")
    ap.add_argument("--levels", default=",".join(map(str, LEVELS)))
    ap.add_argument("--only", action="append", help="only workloads containing this")
    ap.add_argument("--no-peers", dest="peers", action="store_false")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--smoke", action="store_true",
                    help="a tiny run against maillab only (make test)")
    cfg = ap.parse_args(argv)
    cfg.levels = [int(x) for x in cfg.levels.split(",")]
    cfg.limit_level = LIMIT_LEVEL
    cfg.users, cfg.sinks = bench_mail.USERS, bench_mail.SINKS
    cfg.small, cfg.big = bench_mail.SMALL_MESSAGES, bench_mail.BIG_MESSAGES
    cfg.idle, cfg.greetings, cfg.replay_steps = 1000, 20, 1000
    cfg.startup_runs, cfg.limit_seconds = 10, 1.0
    cfg.cross_sessions, cfg.cross_messages = 64, 4000
    cfg.run_timeout, cfg.drain_timeout = 900, 180
    if cfg.smoke:
        cfg.peers = False
        cfg.levels = [1, 2]
        cfg.limit_level = 2
        cfg.duration, cfg.warmup = min(cfg.duration, 0.3), 0
        cfg.users, cfg.sinks, cfg.small, cfg.big = 4, 2, 20, 50
        cfg.idle, cfg.greetings, cfg.replay_steps = 8, 3, 40
        cfg.startup_runs, cfg.limit_seconds = 2, 0.2
        cfg.cross_sessions, cfg.cross_messages = 2, 20
        cfg.tmpdir = os.environ.get("TMPDIR", "/tmp")
    if cfg.peers and os.geteuid() != 0:
        raise SystemExit("bench: Dovecot and Postfix are started as throwaway peers, "
                         "which needs root (or --no-peers)")
    for level in cfg.levels:
        if cfg.users % level and level <= cfg.users:
            raise SystemExit("bench: --levels must divide the %d users" % cfg.users)
    return cfg


def main(argv):
    cfg = parse_args(argv)

    def stop(sig, frame):
        raise Stop("signal %d" % sig)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)
    # 1,000 sessions are 1,000 descriptors in some process of every server
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        return Bench(cfg).run()
    except (KeyboardInterrupt, Stop):
        print("bench: interrupted; everything it started is stopped and removed",
              file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
