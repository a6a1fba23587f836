#!/usr/bin/env python3
"""run.py - run every tests/integration/test_*.py against $MAILLAB_BIN.

    python3 tests/integration/run.py [-v] [-k PATTERN] [-q]

Prints unittest's usual report, then the line tests/run.sh reads:

    integration: N passed, N failed

(errors count as failed; skipped tests are mentioned, not counted as
passed).  Exits non-zero if anything failed, or if no test passed at all.
"""

import argparse
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-v", "--verbose", action="store_true", help="one line per test")
    ap.add_argument("-q", "--quiet", action="store_true", help="only failures")
    ap.add_argument("-k", dest="patterns", action="append",
                    help="run only tests whose name contains this substring")
    ap.add_argument("--label", default="integration",
                    help="word before the closing counts (default: integration)")
    opts = ap.parse_args()

    sys.dont_write_bytecode = True  # no __pycache__ in the source tree
    sys.path.insert(0, HERE)
    loader = unittest.TestLoader()
    if opts.patterns:
        loader.testNamePatterns = ["*%s*" % p for p in opts.patterns]
    suite = loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    verbosity = 2 if opts.verbose else 0 if opts.quiet else 1
    result = unittest.TextTestRunner(verbosity=verbosity, stream=sys.stdout,
                                     buffer=False).run(suite)

    # A test can fail and then error in its cleanup: count tests, not reports.
    bad = {t.id() for t, _ in result.failures + result.errors}
    bad |= {t.id() for t in result.unexpectedSuccesses}
    failed = len(bad)
    skipped = len(result.skipped)
    passed = max(0, result.testsRun - failed - skipped - len(result.expectedFailures))
    if skipped:
        print("%s: %d skipped" % (opts.label, skipped))
    print("%s: %d passed, %d failed" % (opts.label, passed, failed), flush=True)
    # A run where everything was skipped tested nothing: that is a failure.
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
