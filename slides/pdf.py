#!/usr/bin/env python3
"""pdf.py DECK.html OUT.pdf - print a deck to PDF with headless Chromium.

reveal.js lays every slide out as a page of its own when the URL asks
for "print-pdf"; this opens the deck that way, waits until reveal.js is
ready (Chromium's --print-to-pdf alone prints before that, a blank
page), and prints with the page size reveal.js sets.  `make slides-pdf`
runs it for every deck; slides/README.md says more.
"""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cdp import Chromium  # noqa: E402


def main():
    if len(sys.argv) != 3:
        print(__doc__.split("\n")[0], file=sys.stderr)
        return 2
    deck, out = sys.argv[1:]
    browser = Chromium()
    try:
        browser.open("file://%s?print-pdf" % os.path.abspath(deck))
        slides = browser.wait_reveal()
        # reveal.js builds the print layout (one .pdf-page per page)
        # after "ready"; wait for it.  Chromium adds a blank page after
        # the last one (a rounding of the page height), so the pages are
        # named.
        pages = browser.evaluate("new Promise(r => { const f = () => { "
                                 "const n = document.querySelectorAll('.pdf-page')"
                                 ".length; n ? r(n) : setTimeout(f, 50); }; f(); })")
        data = browser.pdf(pages)
    finally:
        browser.close()
    with open(out + ".tmp", "wb") as f:
        f.write(data)
    os.replace(out + ".tmp", out)
    print("%s: %d slides" % (out, slides))
    return 0


if __name__ == "__main__":
    sys.exit(main())
