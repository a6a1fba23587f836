"""test_docs_tools.py - the pieces the documents are made from, each held to
the code it describes: the state-diagram generator, the port matrix, the
man pages and --help, and the RFC map.

These are quick and run in both passes of tests/run.sh (the generator is
compiled with the sanitizers in the second).  The full `make slides docs`
and the browser are in test_docs_build.py.
"""

import os
import re
import shutil
import subprocess
import tempfile
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.abspath(os.path.join(ROOT, os.environ.get("MAILLAB_BIN", "build/bin")))
LIB = os.path.join(os.path.dirname(BIN), "lib")
SANITIZED = os.path.basename(os.path.dirname(BIN)) == "asan"
PROTOCOLS = ("pop3", "smtp", "imap")


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=60, **kw)


def def_rows(proto):
    """(name, states, next) of each row of proto/PROTO.def, read with a
    regular expression: independent of the C that statedot uses."""
    text = open(os.path.join(ROOT, "proto", proto + ".def")).read()
    rows = []
    for line in text.splitlines():
        m = re.match(r"(POP3|SMTP|IMAP)_CMD\((.*)\)\s*$", line)
        if not m:
            continue
        cols = [c.strip() for c in re.findall(r'"(?:[^"\\]|\\.)*"|[^,]+', m.group(2))]
        if proto == "imap":
            rows.append((cols[1].strip('"'), cols[3], cols[4]))
        else:
            rows.append((cols[0], cols[2], cols[3]))
    return rows


def edges(dot):
    """{(from, to): label} of the solid edges of a statedot graph."""
    out = {}
    for m in re.finditer(r'^\s*(\w+) -> (\w+) \[label="([^"]*)"(.*)\];$', dot, re.M):
        if "dashed" not in m.group(4):
            out[(m.group(1), m.group(2))] = m.group(3).replace("\\n", " ").split()
    return out


def dashed(dot):
    return re.findall(r"^\s*\w+ -> \w+ \[style=dashed", dot, re.M)


class StatedotTest(unittest.TestCase):
    """tools/statedot draws what the tables say."""

    def statedot(self, *args):
        r = run([os.path.join(BIN, "statedot")] + list(args))
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def test_every_command_is_on_an_edge(self):
        for proto in PROTOCOLS:
            with self.subTest(proto=proto):
                dot = self.statedot(proto)
                words = set()
                for label in edges(dot).values():
                    words.update(label)
                # commands valid everywhere that change nothing are listed
                # on the "any state" node
                stays = re.search(r'^\s*any \[.*label="[^"]*stays:([^"]*)"', dot, re.M)
                if stays:
                    words.update(stays.group(1).replace("\\n", " ").split())
                rows = def_rows(proto)
                self.assertGreater(len(rows), 5)
                for name, _, _ in rows:
                    for word in name.split():
                        self.assertIn(word, words, "%s missing from the %s diagram" % (name, proto))

    def test_conditional_transitions_are_dashed(self):
        text = open(os.path.join(ROOT, "proto", "transitions.def")).read()
        for proto in PROTOCOLS:
            with self.subTest(proto=proto):
                rows = len(re.findall(r"^%s_TRANSITION\(" % proto.upper(), text, re.M))
                self.assertGreater(rows, 0)
                self.assertEqual(len(dashed(self.statedot(proto))), rows)

    def test_quit_in_authorization_does_not_enter_update(self):
        # pop3.def says QUIT leads to UPDATE; transitions.def says not from
        # AUTHORIZATION (RFC 1939 §6), so that edge must be gone.
        e = edges(self.statedot("pop3"))
        self.assertIn("QUIT", e[("s1", "s2")])
        self.assertNotIn(("s0", "s2"), e)

    def test_table_and_help(self):
        table = self.statedot("table", "imap", "SELECTED")
        self.assertIn("| FETCH set items | SELECTED |", table)
        self.assertNotIn("LOGIN", table)
        r = run([os.path.join(BIN, "statedot"), "table", "imap", "NOWHERE"])
        self.assertEqual(r.returncode, 2)


class ChangedTableTest(unittest.TestCase):
    """Compile tools/statedot.c against modified copies of the tables: the
    picture must follow."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="maillab-statedot-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def build(self, name, **defs):
        exe = os.path.join(self.tmp, name)
        flags = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-D_GNU_SOURCE", "-O2"]
        if SANITIZED:
            flags += ["-fsanitize=address,undefined", "-fno-sanitize-recover=undefined"]
        for macro, path in defs.items():
            flags.append('-D%s="%s"' % (macro, path))
        r = run([os.environ.get("CC", "cc")] + flags +
                ["-o", exe, os.path.join(ROOT, "tools", "statedot.c"),
                 os.path.join(LIB, "libproto.a")])
        self.assertEqual(r.returncode, 0, r.stderr)
        return exe

    def dot(self, exe, proto):
        r = run([exe, proto])
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def modified(self, name, old, new):
        text = open(os.path.join(ROOT, "proto", name)).read()
        self.assertIn(old, text)
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text.replace(old, new))
        return path

    def test_unmodified_copy_draws_the_same(self):
        exe = self.build("same")
        installed = run([os.path.join(BIN, "statedot"), "smtp"]).stdout
        self.assertEqual(self.dot(exe, "smtp"), installed)

    def test_a_new_command_and_a_new_target_appear(self):
        original = self.dot(self.build("orig"), "pop3")
        top = re.search(r"^POP3_CMD\(TOP,.*$", open(os.path.join(ROOT, "proto", "pop3.def")).read(), re.M).group(0)
        path = self.modified("pop3.def", top,
                             top.replace("POP3_SAME", "POP3_AUTHORIZATION") + "\n" +
                             'POP3_CMD(XTND, pop3_cmd_noop, POP3_IN_TRANS, POP3_UPDATE, 0, 0, '
                             '"RFC 1939 §5", "XTND", "a command added by the test")')
        changed = self.dot(self.build("changed", STATEDOT_POP3_DEF=path), "pop3")
        self.assertNotEqual(changed, original)
        before, after = edges(original), edges(changed)
        self.assertNotIn("XTND", " ".join(" ".join(v) for v in before.values()))
        self.assertIn("XTND", after[("s1", "s2")])
        self.assertIn("TOP", after[("s1", "s0")])
        self.assertNotIn("TOP", after[("s1", "s1")])
        self.assertIn("TOP", before[("s1", "s1")])

    def test_removing_a_conditional_transition_restores_the_table_edge(self):
        path = self.modified("transitions.def", "TRANSITION_INSTEAD,\n\t\t\"RFC 1939 §6\"",
                             "TRANSITION_ALSO,\n\t\t\"RFC 1939 §6\"")
        original = self.dot(self.build("orig"), "pop3")
        changed = self.dot(self.build("also", STATEDOT_TRANSITIONS_DEF=path), "pop3")
        # QUIT now leads to UPDATE from both states that read commands, so
        # it is drawn once, from "any state"
        self.assertNotIn(("any", "s2"), edges(original))
        self.assertIn("QUIT", edges(changed)[("any", "s2")])


class PortMatrixTest(unittest.TestCase):
    """slides/diagrams/ports.dot is hand-written; it must say what the
    servers do."""

    def test_lab_ports_and_modes_match_each_server(self):
        dot = open(os.path.join(ROOT, "slides", "diagrams", "ports.dot")).read()
        rows = {}
        for tr in re.findall(r"<tr>(.*?)</tr>", dot, re.S):
            cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
            if len(cells) == 5 and cells[2].isdigit():
                rows[int(cells[2])] = (int(cells[1]), cells[3])
        words = {"starttls": ("STARTTLS", "STLS"), "tls": ("implicit TLS",)}
        seen = 0
        for server in ("pop3d", "smtpd", "imapd"):
            out = run([os.path.join(BIN, server), "--help"]).stdout
            defaults = re.search(r"default ((?:\d+:\w+ ?)+)\)", out).group(1).split()
            for spec in defaults:
                port, mode = spec.split(":")
                with self.subTest(server=server, port=port):
                    self.assertIn(int(port), rows, "%s's port %s is not in ports.dot" % (server, port))
                    standard, text = rows[int(port)]
                    self.assertEqual(standard + 10000, int(port))
                    self.assertTrue(any(w in text for w in words[mode]),
                                    "port %s is %s, ports.dot says %r" % (port, mode, text))
                    seen += 1
        self.assertEqual(seen, len(rows), "ports.dot lists a port no server opens")


class ManPageTest(unittest.TestCase):
    """Every program answers --help; every server and mailctl has a man
    page that renders cleanly and documents each option --help lists."""

    PROGRAMS = ("pop3d", "smtpd", "imapd", "mailctl", "mailsh", "statedot")
    PAGES = {"pop3d": "pop3d.8", "smtpd": "smtpd.8", "imapd": "imapd.8", "mailctl": "mailctl.8"}

    def test_every_program_has_help(self):
        for prog in self.PROGRAMS:
            with self.subTest(prog=prog):
                r = run([os.path.join(BIN, prog), "--help"])
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertRegex(r.stdout, r"(?m)^usage: %s" % prog)

    def test_pages_render_without_warnings(self):
        for page in list(self.PAGES.values()) + ["mailsh.1"]:
            with self.subTest(page=page):
                r = run(["groff", "-man", "-Tutf8", "-ww", "-z", os.path.join(ROOT, "docs", page)])
                self.assertEqual((r.returncode, r.stderr), (0, ""))

    def test_pages_document_every_option(self):
        for prog, page in self.PAGES.items():
            text = open(os.path.join(ROOT, "docs", page)).read().replace("\\-", "-")
            self.assertRegex(text, r"(?m)^\.SH NAME\n%s \\?- " % prog)
            help_text = run([os.path.join(BIN, prog), "--help"]).stdout
            options = set(re.findall(r"--[a-z][a-z0-9-]+", help_text))
            self.assertGreater(len(options), 1)
            for opt in sorted(options):
                with self.subTest(prog=prog, option=opt):
                    self.assertIn(opt, text)


class RfcMapTest(unittest.TestCase):
    """docs/rfc-map.md: the generated rows match the tables, and every
    file: function() it names exists."""

    def test_generated_rows_are_current(self):
        sources = sorted(os.path.relpath(os.path.join(d, f), ROOT)
                         for d, _, fs in os.walk(os.path.join(ROOT, "servers"))
                         for f in fs if f.endswith(".c"))
        r = run([os.path.join(BIN, "statedot"), "rfc-map"] + sources, cwd=ROOT)
        self.assertEqual(r.returncode, 0, r.stderr)
        text = open(os.path.join(ROOT, "docs", "rfc-map.md")).read()
        block = re.search(r"<!-- begin: generated.*?-->\n(.*?)<!-- end: generated", text, re.S).group(1)
        self.assertEqual(block, r.stdout, "docs/rfc-map.md is stale: run `make rfc-map`")

    def test_named_functions_exist(self):
        text = open(os.path.join(ROOT, "docs", "rfc-map.md")).read()
        named = 0
        for row in re.findall(r"^\|.*\|$", text, re.M):
            path = None
            for m in re.finditer(r"`([\w/.]+\.[ch])`(?::\s*`(\w+)\(\)`)?|`(\w+)\(\)`", row):
                if m.group(1):
                    path = m.group(1)
                    self.assertTrue(os.path.exists(os.path.join(ROOT, path)), path)
                func = m.group(2) or m.group(3)
                if func:
                    source = open(os.path.join(ROOT, path)).read()
                    self.assertRegex(source, r"(?m)^\w[\w\s*]*\b%s\(" % func, "%s: %s()" % (path, func))
                    named += 1
        self.assertGreater(named, 50)


if __name__ == "__main__":
    unittest.main()
