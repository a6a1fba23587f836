"""test_bench_sinks.py - how make bench counts the messages an SMTP run
delivered (bench.py's check_delivered()).

The sinks are not emptied between runs: removing thousands of small
files just before a run slows the file creations of the next minute on
ext4 without a journal (REMOVE_FROM_OCTETS in bench/bench.py).  So a
run's messages are the ones that were not there before it, a message
missing from them is counted as lost, and only big messages are removed
after their run.  These tests give check_delivered() a Maildir tree
made here and look at what it counts and what it leaves.
"""

import importlib.util
import os
import tempfile
import types
import unittest

import harness

BENCH = os.path.join(harness.ROOT, "bench", "bench.py")


def load_bench():
    spec = importlib.util.spec_from_file_location("bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class CheckDelivered(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.bench = load_bench()

    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="sinks-", dir=harness.scratch_root())
        # check_delivered() reads only these of the bench's state; a short
        # drain timeout, since a lost message is waited for until then
        self.fake = types.SimpleNamespace(cfg=types.SimpleNamespace(drain_timeout=0.3))

    def deliver(self, user, name, size):
        d = os.path.join(self.root, user, "Maildir", "new")
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, name)
        with open(path, "wb") as f:
            f.write(b"x" * size)
        return path

    def check(self, accepted, before):
        return self.bench.Bench.check_delivered(self.fake, "maillab", self.root,
                                                accepted, before)

    def test_only_the_runs_messages_are_counted(self):
        old = [self.deliver("sink0", "old%d" % i, 4096) for i in range(3)]
        before = self.bench.bench_mail.sink_messages(self.root)
        self.assertEqual(before, set(old))
        new = [self.deliver("sink%d" % i, "new%d" % i, 4096) for i in range(2)]
        self.deliver("u0", "not-a-sink", 4096)
        self.assertEqual(self.check(2, before), 0)
        self.assertEqual(self.check(3, before), 1)  # one accepted, not there
        for path in old + new:  # small messages stay
            self.assertTrue(os.path.exists(path), path)

    def test_big_messages_are_removed_after_their_run(self):
        small = self.deliver("sink0", "small", 4096)
        before = self.bench.bench_mail.sink_messages(self.root)
        size = self.bench.REMOVE_FROM_OCTETS
        big = [self.deliver("sink1", "big%d" % i, size) for i in range(2)]
        self.assertEqual(self.check(2, before), 0)
        for path in big:
            self.assertFalse(os.path.exists(path), path)
        self.assertTrue(os.path.exists(small))
        self.assertEqual(self.bench.bench_mail.sink_messages(self.root), {small})


if __name__ == "__main__":
    unittest.main()
