"""Lab 07 checker: authentication (RFC 1939 section 7, RFC 2195, RFC 4616,
RFC 4954, RFC 5034, RFC 9051 section 6.2).

Evidence: the traces alone.  Every login, good or bad, is a trace line:
"AUTHORIZATION -> TRANSACTION (APOP ok for bob, ...)", "auth LOGIN ok for
alice", "auth CRAM-MD5 failed for "alice": ...", "refused cleartext
password on an unencrypted connection".
"""

TITLE = "Authentication"


def _any(sessions, *patterns):
    return [t for t in sessions if all(t.has(p) for p in patterns)]


def check(lab, report):
    pop3, smtp = lab.trace("pop3d"), lab.trace("smtpd")
    strict = lab.trace("imapd-strict")

    report.criterion(
        "Logged in to POP3 with AUTH PLAIN", _any(pop3, r"\(PLAIN ok for "),
        "On 10110: AUTH PLAIN followed by base64 of \"\\0alice\\0wonderland\"\n"
        "(mailsh's :plain alice wonderland makes it).  Then decode it with :unb64.")

    report.criterion(
        "Logged in to POP3 with APOP", _any(pop3, r"\(APOP ok for "),
        "APOP needs the secret on the server in plaintext: only bob's is.\n"
        "mailsh's :apop bob builder computes MD5(timestamp + secret) from this\n"
        "connection's greeting; send the line it prints.")

    report.criterion(
        "Logged in to the submission port with AUTH LOGIN",
        _any(smtp, r"^auth LOGIN ok for "),
        "On 10587: EHLO, AUTH LOGIN, then the user name and the password, each\n"
        "as base64 (:b64 alice).  Decode the server's 334 lines too (:unb64).")

    report.criterion(
        "CRAM-MD5 worked for bob and failed for alice with the right password",
        _any(smtp, r"^auth CRAM-MD5 ok for bob") and
        _any(smtp, r'^auth CRAM-MD5 failed for "alice"'),
        "AUTH CRAM-MD5 on 10587, answer with :cram bob builder; then try alice\n"
        "(:cram alice wonderland).  Why does the server refuse the right\n"
        "password?  Look at how each is stored in DATA/users.")

    report.criterion(
        "Saw LOGINDISABLED refuse a password, then logged in after STARTTLS",
        _any(strict, r"refused cleartext password", r"^tls TLSv",
             r"-> AUTHENTICATED"),
        "Connect to port %d (mailsh imap://localhost:%d): read the greeting's\n"
        "capabilities, try LOGIN, then STARTTLS and LOGIN again in the same\n"
        "session." % (lab.port(1143), lab.port(1143)))

    report.criterion(
        "Made a login fail on purpose, and watched its answer come late",
        _any(pop3 + smtp, r"^auth \S+ failed for "),
        "Send a wrong password (PASS, AUTH, LOGIN) and time the answer.  What\n"
        "would the delay do to someone trying a million passwords?")
