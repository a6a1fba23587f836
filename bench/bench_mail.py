"""bench_mail.py - the users and the mail every server under test gets.

make bench gives maillab, Dovecot and Postfix the same things to work on:

  users       u0 .. u255   each with a 1,000-message INBOX (the POP3
                           maildrop; the IMAP STORE, SEARCH and idle
                           sessions) and an empty folder "Bench" (APPEND)
              big          one 10,000-message INBOX (SELECT, FETCH)
              sink0 .. 15  where SMTP delivers
  one users file in Dovecot's passwd-file form, which maillab reads too,
  every password stored as {SHA512-CRYPT} (what mailctl writes by
  default), so both servers pay the same hashing cost at login.

The 1,000 messages are written once, straight into Maildir files (no
SMTP sessions), then hard-linked into each server's tree: each server has
its own directories and index files, and the message files share one page
cache.  The 10,000-message mailbox links each of them under ten names: ten
thousand distinct messages to the servers (each name is its own message,
with its own UID and flags) for a tenth of the files to write and, at the
end, to delete.  Names
follow the convention both servers read (maildir.h):
<secs>.M<n>P<pid>.<host>,S=<size>,W=<wire size>:2,<flags>, so neither
has to open a file to learn its size.  Every message is already Seen
(and one in ten Flagged), as in a mailbox a learner has read: a POP3
session then changes nothing, and every run sees the same mailbox.
"""

import concurrent.futures
import os
import random
import subprocess

SMALL_MESSAGES = 1000
BIG_MESSAGES = 10000
USERS = 256
SINKS = 16
PASSWORD = "bench-password"
# The word SEARCH TEXT looks for: in about one message in a hundred.
NEEDLE = "albatross"

WORDS = ("mail server client protocol message folder inbox login session "
         "network lecture student exercise answer question reply sender "
         "header body line octet state command response capability flag "
         "delivery queue relay domain address certificate handshake").split()


def _size(rng):
    """A message size: most mail is a few kilobytes, a little is larger."""
    size = int(rng.lognormvariate(7.5, 0.6))  # median about 1.8 KB
    return max(600, min(size, 64 * 1024))


def _message(rng, i, size):
    """Message @i of about @size octets, LF line ends (as Maildir stores)."""
    subject = " ".join(rng.choice(WORDS) for _ in range(4))
    head = ("From: Student %d <student%d@school.test>\n"
            "To: Bench User <user@bench.test>\n"
            "Subject: %s\n"
            "Date: Mon, %02d Nov 2026 %02d:%02d:00 +0000\n"
            "Message-ID: <%d.bench@school.test>\n\n"
            % (i % 200, i % 200, subject, 1 + i % 28, i % 24, i % 60, i))
    lines = []
    total = len(head)
    needle = rng.random() < 0.01
    while total < size:
        words = []
        while sum(len(w) + 1 for w in words) < 64:
            words.append(rng.choice(WORDS))
        if needle:
            words[-1] = NEEDLE
            needle = False
        line = " ".join(words)
        lines.append(line)
        total += len(line) + 1
    return (head + "\n".join(lines) + "\n").encode()


def _name(i, series, size, wire):
    """The Maildir name of message @i: delivery time, sizes, flags."""
    flags = "FS" if i % 10 == 3 else "S"
    return "%d.M%dP%d.bench,S=%d,W=%d:2,%s" % (1700000000 + i, i, series, size,
                                              wire, flags)


def write_corpus(directory, count, seed=1):
    """@count message files in @directory; returns (name, size, wire) each."""
    os.makedirs(directory)
    rng = random.Random(seed)
    out = []
    for i in range(count):
        data = _message(rng, i, _size(rng))
        wire = len(data) + data.count(b"\n")
        name = _name(i, 1, len(data), wire)
        with open(os.path.join(directory, name), "wb") as f:
            f.write(data)
        out.append((name, len(data), wire))
    return out


def _maildir(path):
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(path, sub), exist_ok=True)


def _user(root, corpus, messages, u):
    md = os.path.join(root, "u%d" % u, "Maildir")
    _maildir(md)
    _maildir(os.path.join(md, ".Bench"))
    for name, _, _ in messages:
        os.link(os.path.join(corpus, name), os.path.join(md, "cur", name))


def populate(root, corpus, messages, big, users=USERS):
    """Each user's Maildir under @root, the messages hard-linked in: the
    users get them all, "big" gets @big names, cycling through them.
    A quarter of a million links: made by a few threads at once (link(2)
    lets go of Python's lock, and each user is a directory of its own)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        for f in [pool.submit(_user, root, corpus, messages, u) for u in range(users)]:
            f.result()
    md = os.path.join(root, "big", "Maildir")
    _maildir(md)
    for i in range(big):
        name, size, wire = messages[i % len(messages)]
        os.link(os.path.join(corpus, name),
                os.path.join(md, "cur", _name(i, 2, size, wire)))


def chown_tree(path, uid, gid, corpus):
    """Give a tree to @uid: its directories one by one, its messages by
    their corpus files (a hard link shares its owner with the file)."""
    for name in os.listdir(corpus):
        os.chown(os.path.join(corpus, name), uid, gid)
    os.chown(path, uid, gid)
    # populate() made nothing but directories and links to the corpus
    for base, dirs, _ in os.walk(path):
        for name in dirs:
            os.chown(os.path.join(base, name), uid, gid, follow_symlinks=False)


def user_names(users=USERS, sinks=SINKS):
    return (["u%d" % u for u in range(users)] + ["big"]
            + ["sink%d" % s for s in range(sinks)])


def write_users(path, names):
    """The users file: one SHA512-CRYPT hash (own salt) per user.

    openssl passwd -6 makes the same "$6$salt$hash" crypt(3) form that
    mailctl writes and Dovecot's SHA512-CRYPT scheme reads.
    """
    r = subprocess.run(["openssl", "passwd", "-6", "-stdin"],
                       input=("%s\n" % PASSWORD) * len(names),
                       capture_output=True, text=True, check=True)
    hashes = r.stdout.split()
    if len(hashes) != len(names):
        raise RuntimeError("openssl passwd made %d hashes for %d users"
                           % (len(hashes), len(names)))
    with open(path, "w") as f:
        for name, h in zip(names, hashes):
            f.write("%s:{SHA512-CRYPT}%s\n" % (name, h))
    os.chmod(path, 0o644)


def sink_messages(root, prefix="sink"):
    """The paths of the messages delivered under @root to the users
    starting with @prefix, as a set."""
    paths = set()
    try:
        users = os.listdir(root)
    except FileNotFoundError:
        return paths
    for user in users:
        if not user.startswith(prefix):
            continue
        for sub in ("new", "cur"):
            d = os.path.join(root, user, "Maildir", sub)
            try:
                paths.update(os.path.join(d, name) for name in os.listdir(d))
            except FileNotFoundError:
                pass
    return paths


def mean_size(paths):
    """The mean size of the files @paths, in octets (0 for none)."""
    if not paths:
        return 0
    return sum(os.stat(p).st_size for p in paths) / len(paths)


def remove(paths):
    """Delete the files @paths."""
    for p in paths:
        os.unlink(p)
