"""Lab 10 checker: attacks and defences (RFC 3207 section 4.2, RFC 8314,
RFC 5321 section 4.1.1.4, RFC 5322 section 2.3).

Evidence: the trace of the broken fake server (labs/10-attacks/
fakesmtp.py, "fake" lines: what each attack achieved there), the trace of
maillab's smtpd (what the same attack achieved against it), and alice's
Maildir (nothing smuggled in).
"""

TITLE = "Attacks and defences"


def _fake(lab, mode):
    return [t for t in lab.trace("fakesmtp.py") if t.has(r"\(%s\)$" % mode)]


def check(lab, report):
    smtpd = lab.trace("smtpd")

    restarted = [t for t in _fake(lab, "inject-response")
                 if t.has(r"sent a forged reply")
                 and t.has(r"first command inside TLS: (EHLO|HELO)")]
    report.criterion(
        "mailsh threw away a forged reply behind STARTTLS and started over inside TLS (port %d)"
        % lab.port(2025),
        restarted,
        "mailsh --cafile DATA/tls/ca.pem smtp://127.0.0.1:%d, then EHLO,\n"
        "STARTTLS, and EHLO again inside TLS.  Read what mailsh says after\n"
        "the 220: what did it throw away, and why?" % lab.port(2025))

    strip = _fake(lab, "strip")
    asked = [t for t in strip if t.has(r"refused STARTTLS")]
    leaked = [t for t in strip if t.has(r"CAPTURED a password")]
    report.criterion(
        "Asked a server that hides STARTTLS for it, and sent no password in the clear",
        asked and not leaked,
        ("A password went to port %d without TLS: that is what stripping wins.\n"
         "With mailsh --starttls the client stops when TLS cannot start."
         if leaked else
         "Connect to port %d with mailsh --starttls (or EHLO, then STARTTLS):\n"
         "what does a client do when STARTTLS is missing?") % lab.port(3025))

    report.criterion(
        "Command injection worked against the broken server (port %d)" % lab.port(4025),
        [t for t in _fake(lab, "inject-command") if t.has(r"ran a command pipelined")],
        "labs/10-attacks/attack.py inject %d --cafile DATA/tls/ca.pem: whose\n"
        "command does the server answer first inside TLS?" % lab.port(4025))

    report.criterion(
        "...and failed against smtpd, which threw the pipelined bytes away",
        [t for t in smtpd if t.has(r"^discarded \d+ octets pipelined")],
        "Run the same attack against the real server: attack.py inject %d\n"
        "--cafile DATA/tls/ca.pem, and find the line in smtpd's trace."
        % lab.port(25))

    report.criterion(
        "A message was smuggled past the broken server (port %d)" % lab.port(5025),
        [t for t in _fake(lab, "lax-dot") if t.has(r"SMUGGLED")],
        "labs/10-attacks/attack.py smuggle %d: how many messages did one DATA\n"
        "become?" % lab.port(5025))

    smuggled = [m for m in lab.maildir("alice") if "SMUGGLED" in m.subject]
    report.criterion(
        "smtpd refused the same text, and stored nothing from it",
        [t for t in smtpd if t.has(r"^refused message: .*bare CR or LF")] and not smuggled,
        "attack.py smuggle %d against the real MX, then read its reply and\n"
        "alice's Maildir." % lab.port(25))

    report.criterion(
        "Upgraded the real submission port to TLS with STARTTLS",
        [t for t in smtpd if t.port == lab.port(587) and t.has(r"^tls TLSv")],
        "mailsh --starttls --cafile DATA/tls/ca.pem smtp://localhost:%d: the\n"
        "defence is a client that insists on TLS (or implicit TLS on %d)."
        % (lab.port(587), lab.port(465)))
