"""Lab 06 checker: ports and TLS on the wire (RFC 8314, RFC 2595, RFC 3207,
RFC 9051 section 6.2.1).

Evidence: the learner's capture (DATA/*.pcap or *.pcapng), read with
tshark itself; the TLS key log mailsh wrote (DATA/keys.log), tried on that
capture; and DATA/answers.txt (the certificate verdicts), checked against
the servers labs/run started with a bad certificate each.
"""

import glob
import os
import shutil
import subprocess

TITLE = "Ports and TLS on the wire"
PASS_HEX = b"PASS ".hex()   # "PASS " as tshark prints a payload
# a bad-certificate server's name (labs/06-tls-on-the-wire/lab.conf) and the
# words that describe what is wrong with its certificate
VERDICTS = {"pop3d-wrongname": ("name", "mismatch"), "pop3d-selfsigned": ("self",),
            "pop3d-expired": ("expired",)}


def _tshark(capture, *args):
    r = subprocess.run(["tshark", "-r", capture, *args], capture_output=True, timeout=120)
    return r.stdout.decode(errors="replace")


def _plain_view(capture, p110, p995, p143):
    """One row per packet to or from the lab ports, read without keys:
    port, POP3 command, IMAP command, TLS handshake types, payload (hex)."""
    out = _tshark(capture, "-d", "tcp.port==%d,pop" % p110, "-d", "tcp.port==%d,tls" % p995,
                  "-d", "tcp.port==%d,imap" % p143,
                  "-Y", "tcp.len > 0", "-T", "fields", "-E", "occurrence=a",
                  "-e", "tcp.dstport", "-e", "pop.request.command",
                  "-e", "imap.request.command", "-e", "tls.handshake.type",
                  "-e", "tcp.payload")
    return [line.split("\t") for line in out.splitlines() if line.strip()]


def check(lab, report):
    p110, p995, p143 = lab.port(110), lab.port(995), lab.port(143)
    captures = sorted(glob.glob(os.path.join(lab.data, "*.pcap")) +
                      glob.glob(os.path.join(lab.data, "*.pcapng")))
    have_tshark = shutil.which("tshark") is not None
    report.criterion(
        "A capture of the lab's traffic is in the lab's data directory", captures,
        "Capture on the loopback interface while you log in, e.g.\n"
        "tshark -i lo -w %s/lab6.pcapng -f 'tcp portrange %d-%d'\n"
        "(as root, or as a member of the wireshark group)."
        % (lab.data, lab.port(110), lab.port(995)))
    need = "" if have_tshark else "\ntshark is not installed: apt-get install tshark"

    clear = tls995 = star = readable995 = dec = False
    keylog = os.path.join(lab.data, "keys.log")
    for cap in captures if have_tshark else []:
        for row in _plain_view(cap, p110, p995, p143):
            port, pop_cmd, imap_cmd, hs_type, payload = (row + [""] * 5)[:5]
            clear |= port == str(p110) and pop_cmd == "PASS"
            tls995 |= port == str(p995) and "1" in hs_type.split(",")
            star |= port == str(p143) and imap_cmd.upper() == "STARTTLS"
            readable995 |= port == str(p995) and PASS_HEX in payload
        if os.path.exists(keylog):
            dec = dec or bool(_decrypted_pass(cap, keylog, p995))
    report.criterion(
        "The capture shows a password crossing port %d in the clear" % p110, clear,
        "Log in on %d with USER and PASS (mailsh pop3://localhost:%d) while\n"
        "tshark captures, then look: tshark -r FILE -d tcp.port==%d,pop -Y pop%s"
        % (p110, p110, p110, need))

    report.criterion(
        "The capture shows a TLS handshake on port %d, and the login inside is unreadable"
        % p995, tls995 and not readable995,
        "Log in on %d too (mailsh --cafile %s/tls/ca.pem pop3s://localhost:%d)\n"
        "during the capture: what can you read of it?%s" % (p995, lab.data, p995, need))

    report.criterion(
        "The capture shows STARTTLS on port %d in the clear, before the handshake" % p143,
        star,
        "On %d: send STARTTLS (mailsh's :starttls) during the capture.  Which\n"
        "bytes cross in the clear before TLS starts?%s" % (p143, need))

    report.criterion(
        "With mailsh's key log, the TLS session on %d decrypts to the login" % p995, dec,
        "Run mailsh with --keylog %s/keys.log for the TLS logins, then\n"
        "tshark -r FILE -o tls.keylog_file:%s/keys.log -d tcp.port==%d,tls\n"
        "-d tls.port==%d,pop -Y pop%s" % (lab.data, lab.data, p995, p995, need))

    answers = lab.answers()
    wrong = []
    for name, port, _std, _mode, _role in lab.info["ports"]:
        if name in VERDICTS:
            said = answers.get(str(port), "").lower()
            if not all(w in said for w in VERDICTS[name]):
                wrong.append(str(port))
    report.criterion(
        "answers.txt says what is wrong with each bad certificate",
        answers and not wrong,
        "For each of %s: connect with mailsh --cafile %s/tls/ca.pem\n"
        "pop3s://localhost:PORT and write what it says, one line per port,\n"
        'e.g. "%d: expired".  Wrong or missing: %s'
        % (", ".join(str(lab.port(p)) for p in (1995, 2995, 3995)), lab.data,
           lab.port(3995), " ".join(wrong) if answers else "the whole file"))


def _decrypted_pass(capture, keylog, port):
    """The PASS commands inside the TLS sessions on @port, decrypted."""
    out = _tshark(capture, "-o", "tls.keylog_file:" + keylog,
                  "-d", "tcp.port==%d,tls" % port, "-d", "tls.port==%d,pop" % port,
                  "-Y", 'pop.request.command == "PASS"', "-T", "fields",
                  "-e", "pop.request.parameter")
    return [line for line in out.splitlines() if line.strip()]
