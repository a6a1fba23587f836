"""docs_harness.py - what the tests of the documents share: one build of
`make slides docs` in a clean copy of the tree, a headless Chromium driven
over the DevTools protocol, and a small PNG reader.

Chromium itself is driven by slides/cdp.py, which `make slides-pdf`
uses too.

The build is made once per test run (the first test that asks for it
pays; the others reuse it) in a copy of the files git knows about,
tracked or new, so nothing from the working tree's build/ leaks in.  It
is the same copy whether the slides, the docs or the browser tests ask.

"""

import atexit
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "slides"))
from cdp import Chromium  # noqa: E402  (slides/cdp.py)

_build = None


def sanitizer_pass():
    """True in the second pass of tests/run.sh (programs built with ASan):
    the documents do not depend on how the programs were compiled."""
    return os.path.basename(os.path.dirname(os.environ.get("MAILLAB_BIN", "").rstrip("/"))) == "asan"


def tree_files():
    """The files a clean checkout of the tree as it stands would have:
    the tracked ones and the new ones git does not ignore."""
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                          "--exclude-standard"], cwd=ROOT, check=True,
                         capture_output=True).stdout
    return [f for f in out.decode().split("\0") if f and os.path.isfile(os.path.join(ROOT, f))]


class Build:
    """`make slides docs` in a fresh copy; .dir, .status, .output."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="maillab-docs-")
        atexit.register(shutil.rmtree, self.dir, True)
        for f in tree_files():
            dest = os.path.join(self.dir, f)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            shutil.copy2(os.path.join(ROOT, f), dest)
        proc = subprocess.run(["make", "-j2", "--no-print-directory", "slides", "docs"],
                              cwd=self.dir, capture_output=True, text=True,
                              timeout=600)
        self.status = proc.returncode
        self.output = proc.stdout + proc.stderr

    def path(self, *parts):
        return os.path.join(self.dir, *parts)


def build():
    """The one build of this test run."""
    global _build
    if _build is None:
        _build = Build()
    return _build


# ---- PNG -------------------------------------------------------------------

def png_pixels(data):
    """(width, height, rows) of an 8-bit RGB or RGBA PNG, non-interlaced
    (what Chromium writes); rows are lists of (r, g, b) tuples."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, width = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or colour not in (2, 6) or interlace:
                raise ValueError("unsupported PNG")
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if kind == 1:
                line[x] = (line[x] + a) & 255
            elif kind == 2:
                line[x] = (line[x] + b) & 255
            elif kind == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[x] = (line[x] + pred) & 255
        rows.append([tuple(line[i:i + 3]) for i in range(0, stride, bpp)])
        prev = line
    return width, height, rows


def ink(rows, background=(255, 255, 255)):
    """(fraction of pixels that differ from the background, number of
    distinct colours): a blank page has 0 and 1."""
    total = differ = 0
    colours = set()
    for row in rows:
        for px in row:
            total += 1
            colours.add(px)
            if max(abs(px[i] - background[i]) for i in range(3)) > 24:
                differ += 1
    return differ / total, len(colours)
