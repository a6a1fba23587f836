"""Lab 08 checker: relay, submission and bounces (RFC 5321 sections 3.6,
3.7, 4.5.5; RFC 6409; RFC 4954; RFC 3464).

Evidence: site A's and site B's smtpd traces (refused relaying, refused
sender), the Maildirs of both sites (what arrived, with which Received:
lines; alice's bounce), the relay queues, and the recorded sessions (530
before AUTH).
"""

TITLE = "Relay, submission and spam"


def check(lab, report):
    mx = [t for t in lab.trace("smtpd") if t.port == lab.port(25)]
    report.criterion(
        "The MX refused to relay mail for a domain that is not its own",
        [t for t in mx if t.has(r"^refused relaying to <")],
        "On 10025, without logging in: MAIL FROM any address, RCPT TO an\n"
        "address at another domain (victim@example.net).  Read the code: is\n"
        "this server an open relay?")

    no_auth = [st for s in lab.sessions_for("smtp", 587) for st in s.find(r"^MAIL FROM:")
               if st.status() == "530"]
    report.criterion(
        "The submission port refused MAIL before AUTH (530)", no_auth,
        "On 10587: EHLO, then MAIL FROM:<alice@maillab.test> without AUTH.\n"
        "Record the session.")

    report.criterion(
        "Submission refused a sender the logged-in user does not own",
        [t for t in lab.trace("smtpd") if t.has(r"^refused sender <")],
        "Log in as alice on 10587 (STARTTLS, AUTH PLAIN) and try\n"
        "MAIL FROM:<bob@maillab.test>.")

    carol = [m for m in lab.maildir("carol", site="b")
             if "alice@maillab.test" in m.header("From")
             and len(m.all("Received")) >= 2]
    report.criterion(
        "carol@b.test received alice's message, relayed from site A to site B",
        carol,
        "Submit as alice on 10587 (STARTTLS, AUTH) to carol@b.test.  Site A\n"
        "queues it and its queue runner relays it to site B's MX (%d); the\n"
        "trace lines \"queue #0 relay ...\" show it." % lab.port(2025))

    bounce = [m for m in lab.maildir("alice")
              if m.msg.get_content_type() == "multipart/report"
              and b"nobody@b.test" in m.raw]
    report.criterion(
        "alice received a bounce (a delivery status notification) for nobody@b.test",
        bounce,
        "Submit a message to nobody@b.test.  Site A accepts it, site B refuses\n"
        "the recipient, and site A sends alice an RFC 3464 report.  Who is the\n"
        "envelope sender of a bounce?")

    reply = [m for m in lab.maildir("alice") if "carol@b.test" in m.header("From")
             and any("mx.b.test" in r for r in m.all("Received"))]
    report.criterion(
        "alice received carol's answer, submitted at site B", reply,
        "As carol/lewis on site B's submission port (%d): STARTTLS, AUTH,\n"
        "then a message to alice@maillab.test." % lab.port(2587))

    waiting = lab.queue() + lab.queue("b")
    report.criterion(
        "Both relay queues are empty: every message was relayed or bounced",
        not waiting,
        "Still queued: %s.  Each waits for its next try (the \"next\" line\n"
        "of DATA/queue/env/ID, and its \"error\" line says why the last one\n"
        "failed); the trace's \"queue #0\" lines show the attempts."
        % ", ".join("%s to %s" % (q["id"][0], " ".join(q.get("rcpt", []))) for q in waiting))
