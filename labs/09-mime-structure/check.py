"""Lab 09 checker: MIME and message structure (RFC 2045-2047, RFC 6152,
RFC 6531, RFC 9051 section 6.4.5).

Evidence: the recorded IMAP sessions (BODYSTRUCTURE, a part fetched alone,
a partial fetch) and alice's Maildir (what arrived by SMTP: a picture,
8-bit text, a UTF-8 address, and the Received: lines on each).
"""

import re

TITLE = "MIME and message structure"


def _by_smtp(lab):
    """alice's messages that came through maillab's smtpd."""
    return [m for m in lab.maildir("alice")
            if any("(maillab)" in r for r in m.all("Received"))]


def check(lab, report):
    imap = lab.sessions_for("imap")
    ok = lambda st: st.status() == "OK"  # noqa: E731

    report.criterion(
        "Read a message's MIME structure with FETCH ... BODYSTRUCTURE",
        [st for s in imap for st in s.find(r"FETCH .*BODYSTRUCTURE") if ok(st)
         and st.said(r'"mixed"')],
        "FETCH 1 BODYSTRUCTURE: find the parts of message 1, their types, their\n"
        "encodings and their sizes, without downloading any of them.")

    report.criterion(
        "Fetched one part alone (BODY[n] or BODY.PEEK[n])",
        [st for s in imap for st in s.find(r"FETCH .*BODY(\.PEEK)?\[\d+(\.\d+)*\]")
         if ok(st)],
        "Number the parts from the structure (1, 2, 3; 1.2 inside a nested\n"
        "multipart) and FETCH 1 BODY.PEEK[2]: only the CSV attachment comes.")

    report.criterion(
        "Fetched only some octets of a part (a partial fetch, <start.count>)",
        [st for s in imap for st in s.find(r"BODY(\.PEEK)?\[[^]]*\]<\d+\.\d+>") if ok(st)],
        "BODY.PEEK[2]<0.40> asks for 40 octets from offset 0: what a client on a\n"
        "slow link does with a large attachment.")

    picture = [m for m in _by_smtp(lab) for p in m.parts()
               if p.get_content_maintype() == "image"
               and p.get("Content-Transfer-Encoding", "").lower() == "base64"]
    report.criterion(
        "Sent alice a picture by SMTP (an image part, base64)", picture,
        'One article says SMTP "cannot send graphics".  Send a message with an\n'
        "image/png part in base64 through 10025 (type it in DATA, or send\n"
        "labs/09-mime-structure/picture.eml with curl -T).")

    eight = [st for s in lab.sessions_for("smtp") for st in s.find(r"^MAIL FROM:.*BODY=8BITMIME")
             if st.status() == "250"]
    raw8 = [m for m in _by_smtp(lab) if re.search(rb"[\x80-\xff]", m.raw.split(b"\n\n", 1)[-1])]
    report.criterion(
        "Sent 8-bit text with BODY=8BITMIME, and it arrived unchanged", eight and raw8,
        "MAIL FROM:<...> BODY=8BITMIME, then a body with UTF-8 letters (é, ü)\n"
        "and Content-Transfer-Encoding: 8bit.")

    utf8 = [m for m in _by_smtp(lab) if any("UTF8SMTP" in r for r in m.all("Received"))]
    report.criterion(
        "Sent mail from a UTF-8 address with SMTPUTF8", utf8,
        "MAIL FROM:<zoë@example.org> SMTPUTF8, and look at the Received: line\n"
        "that the server added: what does its \"with\" say?")
