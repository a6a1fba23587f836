"""Lab 02 checker: SMTP by hand (RFC 5321 sections 3.3, 4.1, 4.2, 4.5.2).

Evidence: alice's Maildir (the message typed by hand: its headers, its
Return-Path, its dot line) and the recorded SMTP sessions (EHLO, the
refused recipient, the submission port's extensions).
"""


TITLE = "SMTP by hand"


def _lab2_message(lab):
    for m in lab.maildir("alice"):
        if "Lab 2" in m.subject and any("(maillab)" in r for r in m.all("Received")):
            return m
    return None


def check(lab, report):
    smtp = lab.sessions_for("smtp")
    ehlo = [st for s in smtp for st in s.find(r"^EHLO ") if st.status() == "250"
            and len(st.server) > 1]
    report.criterion(
        "EHLO was used, and the server answered with its list of extensions",
        ehlo,
        "Greet with EHLO, not HELO: only EHLO gets the extension list\n"
        "(RFC 5321 section 4.1.1.1).")

    mixed = False
    for s in smtp:
        refused = [st for st in s.find(r"^RCPT TO:") if st.status() == "550"
                   and st.said(r"\b5\.1\.1\b")]
        done = [st for st in s.find(r"^\.$") if st.status() == "250"]
        mixed |= bool(refused and done and s.index(refused[0]) < s.index(done[-1]))
    report.criterion(
        "One recipient was refused (550 5.1.1) and the message still went to the other",
        mixed,
        "In one transaction give two RCPT TO: alice@maillab.test and an address\n"
        "with a typo in it.  Read both replies and their enhanced codes, then\n"
        "send DATA anyway.")

    m = _lab2_message(lab)
    report.criterion(
        'Alice received the message typed by hand (a Subject with "Lab 2")', m,
        'Send it through the MX on 10025 with a Subject: header that contains\n'
        '"Lab 2"; headers come first in DATA, then an empty line, then the body.')

    report.criterion(
        "Its To: header does not name alice: the envelope decided, not the header",
        m is not None and "alice@" not in m.header("To").lower(),
        "Write a To: header for someone else (a list, the class) while RCPT TO\n"
        "names alice.  Who gets the message: the header or the envelope?")

    dot = m is not None and any(line.startswith(".")
                                for line in m.raw.decode(errors="replace").split("\n\n", 1)[-1].splitlines())
    report.criterion(
        "A body line that starts with a dot arrived intact", dot,
        "Type a body line starting with \".\" in DATA.  mailsh sends it with one\n"
        "more dot and the server removes it (RFC 5321 section 4.5.2).  Why must it?")

    auth = [st for s in lab.sessions_for("smtp", 587) for st in s.find(r"^EHLO ")
            if st.said(r"^250[- ]AUTH ")]
    report.criterion(
        "Saw the AUTH extension on the submission port (10587)", auth,
        'One article says SMTP has "not even the simplest authentication".\n'
        "EHLO on 10587 and read the list: what does the AUTH line offer?")
