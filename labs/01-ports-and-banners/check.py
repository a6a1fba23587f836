"""Lab 01 checker: ports and banners.

Evidence: the three servers' traces (which ports were connected to, where a
TLS handshake happened), the recorded sessions (the POP3S question), and
DATA/answers.txt (the port table, checked against the ports labs/run
actually started, from DATA/lab.json).
"""

TITLE = "Ports and banners"
PROTO = {"pop3d": "pop3", "smtpd": "smtp", "imapd": "imap"}


def _ports(lab):
    """(port, protocol, mode) of every server labs/run started."""
    return [(p, PROTO[name], mode) for name, p, _std, mode, _role in lab.info["ports"]
            if name in PROTO]


def _mode_ok(answer, mode):
    answer = answer.lower()
    if mode == "starttls":
        return "starttls" in answer or "stls" in answer
    return "implicit" in answer or ("tls" in answer and "starttls" not in answer)


def check(lab, report):
    ports = _ports(lab)
    traces = [t for name in PROTO for t in lab.trace(name)]
    seen = {t.port for t in traces}
    missing = [str(p) for p, _, _ in ports if p not in seen]
    report.criterion(
        "Connected to every lab port (%s)" % " ".join(str(p) for p, _, _ in ports),
        not missing,
        "Not yet connected to: %s.  ss -ltn shows what listens; connect with\n"
        "mailsh, openssl s_client or nc to each." % " ".join(missing))

    tls_ports = {p for p, _, m in ports if m == "tls"}
    implicit = any(t.port in tls_ports and t.has(r"^tls TLSv") for t in traces)
    report.criterion(
        "Completed a TLS handshake on an implicit-TLS port", implicit,
        "Connect to 10995, 10993 or 10465 with TLS from the first byte:\n"
        "mailsh --cafile DATA/tls/ca.pem pop3s://localhost:10995, or\n"
        "openssl s_client -connect localhost:10995 -CAfile DATA/tls/ca.pem")

    plain_ports = {p for p, _, m in ports if m == "starttls"}
    upgraded = any(t.port in plain_ports and t.has(r"^tls TLSv") for t in traces)
    report.criterion(
        "Upgraded a plaintext connection with STLS or STARTTLS", upgraded,
        "On 10110 send STLS (POP3), on 10143 or 10587 STARTTLS, and let the\n"
        "handshake run: mailsh does it at once when the server agrees.")

    pop3s = [st for s in lab.sessions_for("pop3") for st in s.find(r"^POP3S$")
             if st.status() == "-ERR"]
    report.criterion(
        'Found out whether "POP3S" is a command (one article says it is)', pop3s,
        "Type POP3S on 10110 in a recorded mailsh session and read the reply:\n"
        "what is POP3S then?")

    answers = lab.answers()
    wrong = []
    for port, proto, mode in ports:
        a = answers.get(str(port), "")
        proto_ok = proto in a.lower() or (proto == "smtp" and "submission" in a.lower())
        if not (proto_ok and _mode_ok(a, mode)):
            wrong.append(str(port))
    report.criterion(
        "answers.txt names the protocol and the TLS mode of every lab port",
        answers and not wrong,
        "Write DATA/answers.txt with one line per port, e.g.\n"
        '"10110: pop3, starttls" or "10995: pop3, implicit TLS".  Wrong or\n'
        "missing: %s" % (" ".join(wrong) if answers else "the whole file"))

    report.criterion(
        "answers.txt says which ports need root to open",
        answers.get("lowest-unprivileged-port") == "1024",
        'Add "lowest-unprivileged-port: N": the lowest port an ordinary user\n'
        "may listen on.  That is why the lab ports are the standard ones + 10000.")
