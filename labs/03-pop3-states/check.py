"""Lab 03 checker: POP3 states (RFC 1939 sections 3 to 7).

Evidence: alice's Maildir (what is gone, what was kept and seen), pop3d's
trace (a session that ended without QUIT), and the recorded sessions (RSET
after DELE, UIDL, TOP).
"""

TITLE = "POP3 states"
GONE = "Delete me"
KEEP = ["Welcome to lab 3", "Keep me too", "A long message to preview with TOP"]


def _ok(step):
    return step.status() == "+OK"


def check(lab, report):
    pop3 = lab.sessions_for("pop3")

    rset = False
    for s in pop3:
        dele = [s.index(st) for st in s.find(r"^DELE \d+$") if _ok(st)]
        rset |= any(_ok(st) and dele and s.index(st) > dele[0] for st in s.find(r"^RSET$"))
    report.criterion(
        "A DELE was taken back with RSET in the same session", rset,
        "Log in, DELE a message, STAT, then RSET and STAT again: the mark is\n"
        "gone (RFC 1939 section 5).  Record it: mailsh --record FILE ...")

    dropped = [t for t in lab.trace("pop3d")
               if t.has(r"closed without QUIT: [1-9]\d* message")]
    report.criterion(
        "A session with a message marked for deletion ended without QUIT",
        dropped,
        "DELE a message, then leave with :disconnect instead of QUIT, and read\n"
        "the trace: only QUIT enters UPDATE (RFC 1939 section 6).")

    subjects = [m.subject for m in lab.maildir("alice")]
    report.criterion(
        'The message "%s" is gone from the server' % GONE, GONE not in subjects,
        "DELE only marks a message.  It is removed in the UPDATE state, and\n"
        "only QUIT enters UPDATE (RFC 1939 sections 5 and 6).  Find its number\n"
        "with TOP n 0 (or LIST and TOP), DELE it, then QUIT.")

    missing = [k for k in KEEP if k not in subjects]
    report.criterion(
        "Every other message is still on the server", not missing,
        "These should not have been deleted: %s.  Start again with\n"
        "labs/run 03 --reset." % ", ".join('"%s"' % m for m in missing))

    uidl = False
    for s in pop3:
        quit_ok = [st for st in s.find(r"^QUIT$") if _ok(st)]
        if s.find(r"^DELE ") and quit_ok and any(_ok(st) for st in s.find(r"^UIDL")):
            uidl = True
    report.criterion(
        "UIDL was used in the session that deleted a message", uidl,
        'A client that leaves mail on the server identifies messages by their\n'
        'unique id, not their number: run UIDL before you DELE and QUIT.')

    top = any(_ok(st) for s in pop3 for st in s.find(r"^TOP \d+ 0$"))
    report.criterion(
        "A message was previewed with TOP n 0 (its header only)", top,
        "TOP takes two numbers: the message and how many body lines\n"
        '(RFC 1939 section 7).  The articles\' "TOP 10" is not a valid command.')

    kept = [m for m in lab.maildir("alice") if "S" in m.flags and m.subject in KEEP]
    report.criterion(
        "A message was downloaded with RETR and left on the server", kept,
        "RETR a message, do not DELE it, and QUIT.  Is it still there?  The\n"
        "articles say downloaded mail is erased: see for yourself (UIDL).")
