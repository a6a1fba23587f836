"""test_docs_build.py - `make slides docs` from a clean copy of the tree, with
no warnings, and every deck opened in a real browser.

The build runs once (docs_harness.build()) and every test here reads it.
The browser is Debian's Chromium, headless, driven over the DevTools
protocol (slides/cdp.py): each deck is loaded from its file with no
network, every slide is visited and its pictures must have loaded, and
screenshots of the first slides must show something (not a blank page).
The documents do not depend on how the programs were compiled, so the
second, sanitizer pass of tests/run.sh skips this file.
"""

import base64
import glob
import os
import re
import subprocess
import unittest

import docs_harness

DECKS = ("01-mail-system", "02-smtp", "03-pop3", "04-imap", "05-ports-tls",
         "06-security", "07-myths")
PROTOCOL_DECKS = ("02-smtp", "03-pop3", "04-imap")
# Lines that would be a warning from make's recipes: compilers and
# doxygen ("warning:"), pandoc ("[WARNING]"), npm ("npm warn"), awk, dot.
WARNING = re.compile(r"warning:|\[WARNING\]|^npm warn|^Warning", re.I | re.M)

VISIT = """
Reveal.slide(%d), new Promise(r => requestAnimationFrame(() => requestAnimationFrame(async () => {
  const s = Reveal.getCurrentSlide();
  const imgs = Array.from(s.querySelectorAll('img'));
  await Promise.all(imgs.map(i => i.decode().catch(() => null)));
  r({height: s.scrollHeight,
     broken: imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.alt || '?'),
     notes: s.querySelectorAll('aside.notes').length,
     title: (s.querySelector('h1, h2') || {}).textContent || ''});
})))
"""


def setUpModule():
    if docs_harness.sanitizer_pass():
        raise unittest.SkipTest("the documents were built and checked in the first pass")


class BuildTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.b = docs_harness.build()

    def test_make_slides_docs_succeeds_without_warnings(self):
        self.assertEqual(self.b.status, 0, self.b.output[-4000:])
        self.assertIsNone(WARNING.search(self.b.output), self.b.output[-4000:])
        warnings = self.b.path("build", "docs", "doxygen-warnings.log")
        self.assertTrue(os.path.exists(warnings))
        self.assertEqual(open(warnings).read(), "")

    def test_every_deck_is_one_self_contained_file(self):
        for deck in DECKS:
            with self.subTest(deck=deck):
                html = open(self.b.path("build", "slides", deck + ".html"), encoding="utf-8").read()
                # everything embedded: no script, style or picture by reference
                for ref in re.findall(r'<(?:script|img|link)\b[^>]*\b(?:src|href)="([^"\'+]+)"', html):
                    self.assertTrue(ref.startswith("data:"), ref[:80])

    def test_reference_has_the_state_diagrams(self):
        html_dir = self.b.path("build", "docs", "html")
        index = open(os.path.join(html_dir, "index.html"), encoding="utf-8").read()
        svgs = {os.path.basename(p): open(p, encoding="utf-8").read()
                for p in glob.glob(os.path.join(html_dir, "*.svg"))}
        for state in ("AUTHORIZATION", "NOT AUTHENTICATED", "RCPT"):
            with self.subTest(state=state):
                used = [n for n, svg in svgs.items() if state in svg and n in index]
                self.assertTrue(used, "no diagram with %s on the main page" % state)
        self.assertIn("pop3_feed_line", open(os.path.join(html_dir, "pop3__core_8h.html"),
                                             encoding="utf-8").read())

    def test_slides_export_to_pdf(self):
        r = subprocess.run(["make", "--no-print-directory", "build/slides/03-pop3.pdf"],
                           cwd=self.b.dir, capture_output=True, text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        pdf = self.b.path("build", "slides", "03-pop3.pdf")
        info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True).stdout
        pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
        png = subprocess.run(["pdftoppm", "-r", "24", "-f", "2", "-l", "2", "-png", pdf],
                             capture_output=True).stdout
        _, _, rows = docs_harness.png_pixels(png)
        self.assertGreater(pages, 5)
        self.assertGreater(docs_harness.ink(rows)[0], 0.01, "page 2 of the PDF is blank")


class BrowserTest(unittest.TestCase):
    """Each deck in headless Chromium."""

    @classmethod
    def setUpClass(cls):
        cls.b = docs_harness.build()
        if cls.b.status != 0:
            raise unittest.SkipTest("make slides failed (see BuildTest)")
        cls.browser = docs_harness.Chromium()

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()

    def open(self, deck):
        url = "file://" + self.b.path("build", "slides", deck + ".html")
        self.browser.events.clear()
        self.browser.open(url)
        return url, self.browser.wait_reveal()

    def test_decks_render(self):
        for deck in DECKS:
            with self.subTest(deck=deck):
                url, count = self.open(deck)
                self.assertGreaterEqual(count, 8)
                for i in range(3):
                    self.browser.evaluate(VISIT % i)
                    _, _, rows = docs_harness.png_pixels(self.browser.screenshot())
                    covered, colours = docs_harness.ink(rows)
                    self.assertGreater(covered, 0.01, "slide %d of %s looks blank" % (i, deck))
                    self.assertGreater(colours, 16, "slide %d of %s looks blank" % (i, deck))
                for req in self.browser.requests():
                    self.assertTrue(req.startswith("data:") or req.split("#")[0].split("?")[0] == url,
                                    "%s asked for %s" % (deck, req[:80]))

    def test_every_slide_fits_and_its_pictures_load(self):
        for deck in DECKS:
            _, count = self.open(deck)
            for i in range(count):
                slide = self.browser.evaluate(VISIT % i)
                with self.subTest(deck=deck, slide=slide["title"]):
                    self.assertEqual(slide["broken"], [])
                    self.assertLessEqual(slide["height"], 760, "content runs off the slide")
                    if deck in PROTOCOL_DECKS and i > 0:
                        self.assertGreater(slide["notes"], 0, "no speaker notes")

    def test_protocol_decks_show_their_state_diagram(self):
        for deck, state in (("02-smtp", "RCPT"), ("03-pop3", "TRANSACTION"), ("04-imap", "SELECTED")):
            with self.subTest(deck=deck):
                self.open(deck)
                found = self.browser.evaluate(
                    "Promise.all(Array.from(document.querySelectorAll('img')).map(i => "
                    "fetch(i.getAttribute('data-src') || i.src).then(r => r.text())))"
                    ".then(t => t.some(s => s.includes('%s') && s.includes('transitions.def')))" % state)
                self.assertTrue(found)

    @staticmethod
    def session_lines():
        """The C:/S: lines of every session file, with the lab secrets of
        its header filled in the way the slides show them (the public
        value, or its base64 for SASL); lines with other patterns left out."""
        lines = set()
        for path in glob.glob(os.path.join(docs_harness.ROOT, "sessions", "*", "*.session")):
            text = open(path, encoding="utf-8").read()
            secrets = dict(re.findall(r"^secret (\S+): (.*)$", text, re.M))

            def fill(m):
                kind, _, rest = m.group(1).partition(":")
                if kind == "secret" and rest in secrets:
                    return secrets[rest]
                if kind == "base64" and rest in secrets:
                    return base64.b64encode(secrets[rest].encode()).decode()
                user, _, name = rest.partition(":")
                if kind == "plain" and name in secrets:
                    return base64.b64encode(("\0%s\0%s" % (user, secrets[name])).encode()).decode()
                return m.group(0)
            for line in text.splitlines():
                if line.startswith(("C:", "S:")):
                    line = re.sub(r"\{\{([^{}]*)\}\}", fill, line)
                    if "{{" not in line:
                        lines.add(line.rstrip())
        return lines

    def test_excerpts_come_from_the_session_files(self):
        lines = self.session_lines()
        checked = 0
        for deck in DECKS:
            self.open(deck)
            shown = self.browser.evaluate(
                "Array.from(document.querySelectorAll('pre.dialogue code')).map(c => c.textContent)")
            for block in shown:
                for line in block.split("\n"):
                    if line.startswith(("C: ", "S: ")) and "<" not in line and "..." not in line:
                        with self.subTest(deck=deck, line=line):
                            self.assertIn(line.rstrip(), lines)
                        checked += 1
        self.assertGreater(checked, 50)


if __name__ == "__main__":
    unittest.main()
