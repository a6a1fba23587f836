"""Lab 04 checker: IMAP states, tags and UIDs (RFC 9051 sections 2.3, 6.3, 6.4).

Evidence: alice's INBOX (flags in the Maildir file names: F flagged,
S seen, T deleted) and the recorded IMAP sessions (EXAMINE, UID commands,
STATUS).
"""

TITLE = "IMAP states, tags and UIDs"


def _by_subject(lab):
    return {m.subject: m for m in lab.maildir("alice")}


def check(lab, report):
    imap = lab.sessions_for("imap")
    msgs = _by_subject(lab)

    ro = [st for s in imap for st in s.find(r"^\S+ STORE ") if st.status() == "NO"
          and st.said(r"READ-ONLY")]
    report.criterion(
        "A STORE was refused in a mailbox opened with EXAMINE", ro,
        "EXAMINE INBOX, then try STORE 2 +FLAGS (\\Flagged): what does the\n"
        "tagged reply say, and why (RFC 9051 section 6.3.3)?  Then SELECT.")

    m = msgs.get("Flag me")
    report.criterion('"Flag me" is flagged (\\Flagged)', m is not None and "F" in m.flags,
                     "SELECT INBOX (read-write), then STORE n +FLAGS (\\Flagged) on it.")

    report.criterion(
        '"Expunge me" is gone', "Expunge me" not in msgs,
        "STORE n +FLAGS (\\Deleted) only flags it.  EXPUNGE (or CLOSE) removes\n"
        "every message flagged \\Deleted; LOGOUT does not (RFC 9051 section 6.1.3).")

    m = msgs.get("Logout test")
    report.criterion(
        '"Logout test" was flagged \\Deleted, and is still there after LOGOUT',
        m is not None and "T" in m.flags,
        "One article says LOGOUT removes messages flagged \\Deleted.  Flag\n"
        '"Logout test" \\Deleted, LOGOUT without EXPUNGE, log in again and look.')

    read, peek = msgs.get("Read me"), msgs.get("Peek at me")
    peeked = [st for s in imap for st in s.find(r"BODY\.PEEK\[") if st.status() == "OK"]
    report.criterion(
        '"Read me" is \\Seen (fetched with BODY[]), "Peek at me" is not (BODY.PEEK[])',
        read is not None and "S" in read.flags and peek is not None
        and "S" not in peek.flags and peeked,
        "FETCH n BODY[] marks a message \\Seen; FETCH n BODY.PEEK[...] does not\n"
        "(RFC 9051 section 6.4.5).  Fetch each one the right way.")

    uid_after = False
    for s in imap:
        exp = [s.index(st) for st in s.find(r"^\S+ EXPUNGE$") if st.status() == "OK"]
        uid_after |= any(st.status() == "OK" and exp and s.index(st) > exp[0]
                         for st in s.find(r"^\S+ UID (FETCH|STORE|SEARCH|COPY|MOVE) "))
    report.criterion(
        "After an EXPUNGE, a message was named by its UID", uid_after,
        "After EXPUNGE, FETCH 3 (UID) and compare with before: sequence numbers\n"
        "close the gap, UIDs do not.  Then use UID FETCH with the UID.")

    status = [st for s in imap for st in s.find(r"^\S+ STATUS .*UIDVALIDITY")
              if st.status() == "OK"]
    report.criterion(
        "Asked for UIDVALIDITY with STATUS", status,
        "STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY).  An article says the UID\n"
        "must be incremented when old UIDs cannot be kept; what does\n"
        "UIDVALIDITY tell a client instead (RFC 9051 section 2.3.1.1)?")
