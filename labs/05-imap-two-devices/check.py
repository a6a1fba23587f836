"""Lab 05 checker: IMAP literals, APPEND, and one mailbox on several devices.

Evidence: alice's Maildir (the Sent folder, the message device B appended,
the message the POP3 device took), pop3d's trace (a QUIT that deleted),
and the recorded IMAP sessions (the literal, and what the server told the
idle device without being asked).
"""

import re

TITLE = "IMAP literals, APPEND and two devices"
POPPED = "Lab 5: the POP3 device takes me away"


def _lines_from(session, step):
    """(step, line) pairs of the server lines from @step to the end."""
    return [(st, line) for st in session.steps[session.index(step):] for line in st.server]


def _exists_during_idle(session):
    """True if an EXISTS came between IDLE and its tagged end."""
    for idle in session.find(r"^\S+ IDLE$"):
        tag = idle.client.split()[0]
        for _st, line in _lines_from(session, idle):
            if re.match(r"^\* \d+ EXISTS", line):
                return True
            if line.startswith(tag + " "):
                break
    return False


def check(lab, report):
    imap = lab.sessions_for("imap")

    sent = [m for m in lab.maildir("alice", "Sent") if "Lab 5" in m.subject]
    report.criterion(
        'A message with "Lab 5" in its Subject was saved into a folder "Sent"', sent,
        "CREATE Sent, then APPEND Sent (\\Seen) {n} with a message whose Subject\n"
        'has "Lab 5" in it.  n counts every octet, each line with its CRLF.')

    literal = any(st.said(r"^\+ ") and re.search(r"\{\d+\}$", st.client)
                  for s in imap for st in s.find(r"^\S+ APPEND ")) and \
        any(re.match(r"^\S+ OK \[APPENDUID", line) for s in imap
            for line in s.all_server_lines())
    report.criterion(
        "An APPEND with a synchronising literal {n} was answered with + and then OK",
        literal,
        "End the APPEND line with {n} (no +): the server answers \"+\" before\n"
        "you send the n octets (RFC 9051 section 4.3).  Too few or too many\n"
        "octets and the server reads the rest as a command: count again.")

    inbox = [m for m in lab.maildir("alice") if "device B" in m.subject]
    report.criterion(
        'Device B appended a message with "device B" in its Subject to INBOX',
        inbox,
        "From a second mailsh session (device B), APPEND INBOX {n} a message\n"
        'whose Subject says "device B".')

    report.criterion(
        "Device A was told about the new message while it idled (* n EXISTS)",
        any(_exists_during_idle(s) for s in imap),
        "In device A: SELECT INBOX, then IDLE.  While it idles, APPEND from\n"
        "device B, then type DONE in A.  Record A's session.")

    told = [line for s in imap for st in s.steps if st.client is not None
            and not re.search(r"\b(EXPUNGE|CLOSE|MOVE)\b", st.client, re.I)
            for line in st.server if re.match(r"^\* \d+ EXPUNGE", line)]
    report.criterion(
        "Device A was told that another device removed a message (* n EXPUNGE)",
        told,
        "Keep device A's session open; delete a message from elsewhere (the\n"
        "POP3 device), then send NOOP in A and read the untagged lines.")

    popped = [t for t in lab.trace("pop3d")
              if t.has(r"TRANSACTION -> UPDATE \(QUIT, [1-9]\d* message")]
    gone = POPPED not in [m.subject for m in lab.maildir("alice")]
    report.criterion(
        'The POP3 device downloaded and deleted "%s"' % POPPED, popped and gone,
        "Log in over POP3 (10110), find the message (TOP n 0), RETR it, DELE it\n"
        "and QUIT.  Then think about a second device that uses POP3 too.")
