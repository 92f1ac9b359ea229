"""Startup faults: the armed file is consumed one start at a time under a lock; crash and hang end the process the
way the Node agent's do (exit 70; exit 71 when a hang ends)."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))

from w3lab_wsgi.startup import take_startup_fault  # noqa: E402

CHILD = r'''
import sys
sys.path.insert(0, %r)
from w3lab_wsgi.startup import apply_startup_fault
apply_startup_fault(%r, max_hang_s=0.3)
print('not reached')
'''


class StartupFaultTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.file = os.path.join(self.dir.name, 'startup-fault.json')

    def tearDown(self):
        self.dir.cleanup()

    def arm(self, state):
        with open(self.file, 'w') as f:
            f.write(json.dumps(state))

    def test_counted_starts_are_consumed(self):
        self.arm({'mode': 'crash', 'remaining': 2})
        self.assertEqual([take_startup_fault(self.file) for _ in range(3)], ['crash', 'crash', None])

    def test_zero_means_every_start_until_removed(self):
        self.arm({'mode': 'hang', 'remaining': 0})
        self.assertEqual([take_startup_fault(self.file) for _ in range(3)], ['hang'] * 3)
        os.remove(self.file)
        self.assertIsNone(take_startup_fault(self.file))

    def test_no_file_or_a_bad_one_is_no_fault(self):
        self.assertIsNone(take_startup_fault(self.file))
        self.assertIsNone(take_startup_fault(''))
        self.arm({'mode': 'explode'})
        self.assertIsNone(take_startup_fault(self.file))
        with open(self.file, 'w') as f:
            f.write('{not json')
        self.assertIsNone(take_startup_fault(self.file))

    def run_child(self, mode):
        src = CHILD % (os.path.join(os.path.dirname(__file__), '..'), mode)
        return subprocess.run([sys.executable, '-c', src], capture_output=True, text=True, timeout=30)

    def test_crash_exits_70_before_anything_else(self):
        r = self.run_child('crash')
        self.assertEqual((r.returncode, r.stdout), (70, ''))
        self.assertIn('startup fault: crashing', r.stderr)

    def test_hang_ends_with_71_after_its_limit(self):
        r = self.run_child('hang')
        self.assertEqual((r.returncode, r.stdout), (71, ''))
        self.assertIn('hang ended (limit reached)', r.stderr)


if __name__ == '__main__':
    unittest.main()
