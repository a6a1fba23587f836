"""bench_report.py - what make bench prints and writes: the table of
figures with their ratios and goals, results.json, results.csv, and the
plot of throughput against concurrency.

A figure is one number measured for maillab and, in the same run, for
its peer (Postfix for SMTP, Dovecot for POP3 and IMAP).  The ratio is
always maillab / peer; for throughput higher is better, for memory and
time lower is better, and each goal says which way it goes.
Where the machine's limit for a figure was measured (durable deliveries,
loopback TCP, TLS handshakes), the figure is also shown as a fraction of
that limit.
"""

import csv
import json
import os
import shutil
import subprocess


def _fmt(v):
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    if abs(v) >= 100:
        return "%.0f" % v
    if abs(v) >= 10:
        return "%.1f" % v
    return "%.2f" % v


# Whose figures a workload's are compared with.
PEER_OF = {"smtp": "postfix", "pop3": "dovecot", "imap": "dovecot"}


def ratio(a, b):
    return a / b if a is not None and b not in (None, 0) else None


class Table:
    """Rows of (figure, clients, maillab, peer, ratio, of limit, goal, met)."""

    HEAD = ("figure", "clients", "maillab", "peer", "ratio", "of limit", "goal", "met")

    def __init__(self):
        self.rows = []
        self.goals = []  # (text, met) for the summary

    def add(self, figure, clients, mine, peer, limit=None, goal=None, met=None):
        r = ratio(mine, peer)
        of_limit = ratio(mine, limit)
        self.rows.append({
            "figure": figure, "clients": clients, "maillab": mine, "peer": peer,
            "ratio": r, "of_limit": of_limit, "goal": goal or "",
            "met": None if goal is None else bool(met),
        })
        if goal is not None:
            self.goals.append(("%s%s: %s" % (figure, " @%s" % clients if clients else "",
                                              goal), bool(met)))

    def text(self):
        cells = [self.HEAD]
        for r in self.rows:
            met = "" if r["met"] is None else ("yes" if r["met"] else "NO")
            of_limit = "" if r["of_limit"] is None else "%.0f%%" % (100 * r["of_limit"])
            cells.append((r["figure"], str(r["clients"] or ""), _fmt(r["maillab"]),
                          _fmt(r["peer"]), "" if r["ratio"] is None else "%.2fx" % r["ratio"],
                          of_limit, r["goal"], met))
        widths = [max(len(row[i]) for row in cells) for i in range(len(self.HEAD))]
        lines = []
        for n, row in enumerate(cells):
            lines.append("  ".join(c.ljust(widths[i]) if i in (0, 6) else c.rjust(widths[i])
                                   for i, c in enumerate(row)).rstrip())
            if n == 0:
                lines.append("  ".join("-" * w for w in widths))
        met = sum(1 for _, ok in self.goals if ok)
        lines.append("")
        lines.append("goals met: %d of %d" % (met, len(self.goals)))
        for text, ok in self.goals:
            if not ok:
                lines.append("  not met: " + text)
        return "\n".join(lines)

    def markdown(self):
        out = ["| figure | clients | maillab | peer | ratio | of limit | goal | met |",
               "|---|--:|--:|--:|--:|--:|---|---|"]
        for r in self.rows:
            met = "" if r["met"] is None else ("yes" if r["met"] else "**no**")
            out.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
                r["figure"], r["clients"] or "", _fmt(r["maillab"]), _fmt(r["peer"]),
                "" if r["ratio"] is None else "%.2f×" % r["ratio"],
                "" if r["of_limit"] is None else "%.0f %%" % (100 * r["of_limit"]),
                r["goal"], met))
        return "\n".join(out)


def write_json(path, doc):
    with open(path + ".tmp", "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(path + ".tmp", path)


def write_csv(path, runs):
    """One row per run: every number the load generator reported."""
    keys = ["figure", "workload", "server", "clients", "tls", "size", "ops", "errors",
            "cut", "lost", "ops_per_s", "mb_per_s", "p50_ms", "p99_ms", "max_ms", "seconds",
            "items", "bytes", "cpu_us_per_op", "cpu_busy", "first_error"]
    with open(path + ".tmp", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys, extrasaction="ignore")
        w.writeheader()
        for run in runs:
            w.writerow(run)
    os.replace(path + ".tmp", path)


def plot(outdir, series, title):
    """Throughput against concurrency, one small chart per figure.

    @series: list of (figure, unit, {server: [(clients, value), ...]}).
    Writes throughput.png and throughput.svg with gnuplot; returns the
    paths written, or [] without gnuplot.
    """
    if shutil.which("gnuplot") is None or not series:
        return []
    datadir = os.path.join(outdir, "plot-data")
    os.makedirs(datadir, exist_ok=True)
    cols = 4
    rows = (len(series) + cols - 1) // cols
    script = []
    for term, ext, size in (("pngcairo", "png", "%d,%d" % (cols * 420, rows * 300)),
                            ("svg", "svg", "%d,%d" % (cols * 420, rows * 300))):
        script += ["set terminal %s size %s font ',9'" % (term, size),
                   "set output '%s'" % os.path.join(outdir, "throughput." + ext),
                   "set multiplot layout %d,%d title '%s'" % (rows, cols, title),
                   "set logscale x 2", "set xrange [0.8:320]", "set yrange [0:*]",
                   "set xtics (1, 8, 64, 256)", "set key top left", "set grid"]
        for n, (figure, unit, by_server) in enumerate(series):
            plots = []
            for server, points in sorted(by_server.items()):
                data = os.path.join(datadir, "%d-%s.dat" % (n, server))
                with open(data, "w") as f:
                    for clients, value in points:
                        f.write("%d %g\n" % (clients, value))
                plots.append("'%s' using 1:2 with linespoints title '%s'" % (data, server))
            script += ["set title '%s' noenhanced" % figure.replace("'", ""),
                       "set ylabel '%s'" % unit, "plot " + ", ".join(plots)]
        script.append("unset multiplot")
    path = os.path.join(datadir, "throughput.gp")
    with open(path, "w") as f:
        f.write("\n".join(script) + "\n")
    r = subprocess.run(["gnuplot", path], capture_output=True, text=True)
    if r.returncode != 0:
        print("bench: gnuplot failed: " + r.stderr.strip()[-500:])
        return []
    return [os.path.join(outdir, "throughput.png"), os.path.join(outdir, "throughput.svg")]


# ---- the rows of the table -----------------------------------------------

def _run_of(runs, key, server, clients):
    """The run of workload @key by @server at @clients, or None."""
    for r in runs:
        if r["figure"] == key and r["server"] == server and r["clients"] == clients:
            return r
    return None


def _row(table, figure, clients, mine, peer, limit, goal):
    """A figure with its goal "maillab / peer >= @goal" (None: no goal)."""
    if peer is None or goal is None:
        table.add(figure, clients, mine, peer, limit)
        return
    r = ratio(mine, peer)
    table.add(figure, clients, mine, peer, limit,
              goal="≥ %.1f× peer" % goal if goal != 1 else "≥ peer",
              met=r is not None and r >= goal)


def _figure_rows(table, w, clients, mine, theirs, lim, limit_level, cpus):
    """The rows of one workload at one level, with their goals:
    SMTP at 8 and 64 clients (and of the delivery limit at @limit_level,
    64 but in the smoke run), POP3 and IMAP at every level, no error and
    no lost message at 256."""
    limit = None
    if w.proto == "smtp" or w.key == "imap-append":
        limit = lim.get("maildir_1" if clients == 1 else "maildir_16", {}).get("per_s")
    if w.key == "pop3-tls":
        limit = lim.get("tls", {}).get("per_s")
    goal = None if w.proto == "smtp" and clients not in (8, 64) else w.goal
    _row(table, w.figure, clients, mine["ops_per_s"],
         theirs and theirs["ops_per_s"], limit, goal)
    if w.vs_limit and clients == limit_level:
        # the limit measured on each side of this run (bench.py's
        # LIMIT_LEVEL), else the one of stage 2
        beside = mine.get("limit_beside")
        limit16 = (beside or lim.get("maildir_16", {})).get("per_s")
        table.add(w.figure + ", of the delivery limit", clients, mine["ops_per_s"],
                  None, limit16, goal="≥ 0.7× Maildir limit",
                  met=limit16 is not None and mine["ops_per_s"] >= 0.7 * limit16)
        if beside:
            table.add(w.figure + ", the limit beside it (16 writers/s)", clients,
                      limit16, None)
        # what a message cost in CPU, all processes: the same binary's
        # figure moves with it from minute to minute (docs/bench.md)
        table.add(w.figure + ", CPU per message, whole machine (µs)", clients,
                  mine.get("cpu_us_per_op"), theirs and theirs.get("cpu_us_per_op"))
        # what the goal leaves a message on this machine, beside what a
        # delivery and a connection cost on their own (docs/bench.md,
        # "Reading the numbers")
        if beside and "cpu_us_per_delivery" in beside:
            table.add(w.figure + ", CPU per delivery in the limit probe (µs)", clients,
                      beside["cpu_us_per_delivery"], None)
        conn = mine.get("connection_beside")
        if conn:
            table.add(w.figure + ", CPU per connection alone: connect, greeting, "
                      "close (µs)", clients, conn["cpu_us"], None)
        if limit16 and cpus:
            table.add(w.figure + ", CPU a message may cost at 0.7× the limit, "
                      "every CPU busy (µs)", clients, cpus * 1e6 / (0.7 * limit16), None)
    if clients == 256:
        bad = mine["errors"] + mine.get("lost", 0)
        table.add(w.figure + ", errors+lost", clients, bad,
                  theirs and theirs["errors"] + theirs.get("lost", 0),
                  goal="0", met=bad == 0)


def _cross_bad(r):
    """Errors and lost messages of one server's SMTP cross-check."""
    return r["smtp_source_lost"] + r["loadgen_errors"] + r["loadgen_lost"]


def _single_rows(table, doc, replay_steps):
    """Memory, start-up, mailsh, the SMTP cross-check and the limits: one
    row each."""
    idle = doc["idle"]
    m, d = idle.get("maillab"), idle.get("dovecot")
    if m:
        mine = m["pss_per_session_kib"]
        theirs = d and d["pss_per_session_kib"]
        r = ratio(mine, theirs)
        table.add("PSS per idle IMAP session (KiB)", m["sessions"], mine, theirs,
                  goal="≤ ¼ Dovecot" if theirs else None,
                  met=r is not None and r <= 0.25)
        table.add("greeting with idle sessions (ms)", m["sessions"],
                  m["greeting_p50_ms"], d and d["greeting_p50_ms"])
    st = doc["startup"]
    floor = doc["limits"].get("exec", {}).get("median_ms")
    for mine, peer in (("pop3d", "dovecot"), ("smtpd", "postfix"), ("imapd", "dovecot")):
        if mine in st:
            table.add("start-up to greeting, %s (ms)" % mine, None,
                      st[mine]["median_ms"], st.get(peer, {}).get("median_ms"),
                      floor, goal="≤ 20 ms", met=st[mine]["median_ms"] <= 20)
    ms = doc["mailsh"]
    if "startup" in ms:
        table.add("mailsh start-up, connect, QUIT (ms)", None,
                  ms["startup"]["median_ms"], None, floor)
        table.add("mailsh %s, %d steps (steps/s)" % (ms.get("mode", "replay"),
                                                      replay_steps), None,
                  ms["replay_maillab"]["steps_per_s"],
                  ms.get("replay_dovecot", {}).get("steps_per_s"))
    cc = doc.get("cross_check", {})
    m, p = cc.get("maillab"), cc.get("postfix")
    if m:
        n = cc["sessions"]
        table.add("cross-check: smtp-source, 4 KB (msgs/s)", n,
                  m["smtp_source_per_s"], p and p["smtp_source_per_s"])
        table.add("cross-check: loadgen --no-pipelining, the same (msgs/s)", n,
                  m["loadgen_per_s"], p and p["loadgen_per_s"])
        table.add("cross-check: errors+lost", n, _cross_bad(m), p and _cross_bad(p))
    lim = doc["limits"]
    if lim:
        table.add("limit: Maildir deliveries/s, 1 writer", None,
                  lim["maildir_1"]["per_s"], None)
        table.add("limit: Maildir deliveries/s, 16 writers", None,
                  lim["maildir_16"]["per_s"], None)
        table.add("limit: loopback TCP MB/s", None, lim["tcp"]["mb_per_s"], None)
        table.add("limit: TLS handshakes/s", None, lim["tls"]["per_s"], None)
        table.add("limit: fork+exec+exit of /bin/true (ms)", None,
                  lim["exec"]["median_ms"], None)


def build(doc, runs, workloads, levels, replay_steps):
    """The table, and the series of the plot, from the results of a run."""
    table = Table()
    lim = doc["limits"]
    limit_level = doc.get("config", {}).get("limit_level", 64)
    series = []
    for w in workloads:
        peer = PEER_OF[w.proto]
        points = {}
        for clients in levels:
            mine = _run_of(runs, w.key, "maillab", clients)
            theirs = _run_of(runs, w.key, peer, clients)
            if mine is None:
                continue
            _figure_rows(table, w, clients, mine, theirs, lim, limit_level,
                         doc.get("machine", {}).get("cpus"))
            points.setdefault("maillab", []).append((clients, mine["ops_per_s"]))
            if theirs:
                points.setdefault(peer, []).append((clients, theirs["ops_per_s"]))
        if points:
            series.append(("%s (%s)" % (w.figure, w.unit), w.unit, points))
        for clients in levels if w.mb_figure else ():
            mine = _run_of(runs, w.key, "maillab", clients)
            theirs = _run_of(runs, w.key, peer, clients)
            if mine is not None:
                _row(table, w.mb_figure, clients, mine["mb_per_s"],
                     theirs and theirs["mb_per_s"],
                     lim.get("tcp", {}).get("mb_per_s"), w.goal)
    _single_rows(table, doc, replay_steps)
    return table, series
