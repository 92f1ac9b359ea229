"""The WSGI fault agent in-process: each fault's effect on requests, heal, expiry, the crash deferral, and the
control channel's answers to good and hostile input. Run with: python3 -m unittest discover -s faults/wsgi/tests
"""
import json
import os
import socket
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))

from w3lab_wsgi.agent import FaultAgent  # noqa: E402
from w3lab_wsgi.channel import ControlChannel  # noqa: E402
from w3lab_wsgi.spec import parse_worker_fault  # noqa: E402


def app(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [b'hello\n']


def call(wsgi, path='/'):
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen['status'] = int(status.split()[0])
        seen['headers'] = dict(headers)
    body = b''.join(wsgi({'PATH_INFO': path}, start_response))
    return seen['status'], seen['headers'], body


def rss_kb():
    with open('/proc/self/status') as f:
        return next(int(line.split()[1]) for line in f if line.startswith('VmRSS:'))


def spec(raw):
    ok, value = parse_worker_fault(raw)
    assert ok, value
    return value


def threaded_main(fn):
    t = threading.Thread(target=fn, daemon=True)
    t.start()


class AgentTest(unittest.TestCase):
    def test_no_fault_passes_through_and_stamps_the_worker_pid(self):
        a = FaultAgent()
        status, headers, body = call(a.middleware(app))
        self.assertEqual((status, body), (200, b'hello\n'))
        self.assertEqual(headers['X-Worker-Pid'], str(os.getpid()))

    def test_error_fault_answers_the_status_until_healed(self):
        a = FaultAgent()
        fid = a.apply(spec({'kind': 'error', 'status': 503}))
        status, headers, _ = call(a.middleware(app))
        self.assertEqual((status, headers['X-W3lab-Fault']), (503, 'error'))
        a.heal(fid)
        self.assertEqual(call(a.middleware(app))[0], 200)

    def test_error_percent_is_seeded(self):
        def run(seed):
            a = FaultAgent(seed=seed)
            a.apply(spec({'kind': 'error', 'percent': 50}))
            return [call(a.middleware(app))[0] for _ in range(40)]
        first = run(7)
        self.assertEqual(first, run(7))
        self.assertTrue(0 < first.count(500) < 40)

    def test_slow_fault_delays_and_expires(self):
        a = FaultAgent()
        a.apply(spec({'kind': 'slow', 'delayMs': 150, 'durationMs': 400}))
        began = time.monotonic()
        call(a.middleware(app))
        self.assertGreaterEqual(time.monotonic() - began, 0.14)
        deadline = time.monotonic() + 5
        while a.active() and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertEqual(a.active(), [])

    def test_stall_requests_holds_until_heal(self):
        a = FaultAgent()
        a.apply(spec({'kind': 'hang', 'mode': 'stall-requests'}))
        done = []
        t = threading.Thread(target=lambda: done.append(call(a.middleware(app))[0]), daemon=True)
        t.start()
        deadline = time.monotonic() + 5
        while a.stalled_requests() == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        self.assertEqual((a.stalled_requests(), done), (1, []))
        self.assertTrue(a.answers_pings())
        a.heal()
        t.join(5)
        self.assertEqual(done, [200])

    def test_ignore_pings_and_shutdown_hang_are_states(self):
        a = FaultAgent()
        a.apply(spec({'kind': 'hang', 'mode': 'ignore-pings'}))
        a.apply(spec({'kind': 'shutdown-hang'}))
        self.assertEqual((a.answers_pings(), a.honours_shutdown()), (False, False))
        self.assertEqual(call(a.middleware(app))[0], 200)
        a.heal()
        self.assertEqual((a.answers_pings(), a.honours_shutdown()), (True, True))

    def test_block_loop_runs_on_the_main_thread_runner_and_ends_after_its_duration(self):
        ran = []
        a = FaultAgent(run_in_main=lambda fn: ran.append(fn) or threaded_main(fn))
        a.apply(spec({'kind': 'hang', 'mode': 'block-loop', 'durationMs': 100}))
        self.assertEqual(len(ran), 1)
        deadline = time.monotonic() + 5
        while a.active() and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertEqual(a.active(), [])

    def test_leak_holds_resident_memory_until_healed(self):
        a = FaultAgent()
        before = rss_kb()
        a.apply(spec({'kind': 'leak', 'rateKBps': 40960, 'capKB': 32768}))
        deadline = time.monotonic() + 5
        while a.leaked_bytes() < 32768 * 1024 and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertEqual(a.leaked_bytes(), 32768 * 1024)
        self.assertGreater(rss_kb() - before, 30000)  # resident, not just reserved
        a.heal()
        self.assertEqual(a.leaked_bytes(), 0)


CRASH_CHILD = r'''
import os, socket, sys, json, time
sys.path.insert(0, %r)
from w3lab_wsgi.agent import FaultAgent
from w3lab_wsgi.channel import ControlChannel
ch = ControlChannel(FaultAgent(), token='t').start()
print(ch.address[1], flush=True)
time.sleep(30)
'''


class crash_child:
    """A child process with an agent and its channel; killed on exit if it is still alive."""

    def __enter__(self):
        src = CRASH_CHILD % os.path.join(os.path.dirname(__file__), '..')
        pipe = subprocess.PIPE
        self.p = subprocess.Popen([sys.executable, '-c', src], stdout=pipe, stderr=pipe, text=True)
        return self.p

    def __exit__(self, *exc):
        self.p.kill()
        self.p.wait()
        self.p.stdout.close()
        self.p.stderr.close()


def ask(port, msg):
    with socket.create_connection(('127.0.0.1', port), timeout=5) as s:
        s.sendall((json.dumps(msg) + '\n').encode() if not isinstance(msg, bytes) else msg)
        data = b''
        while not data.endswith(b'\n'):
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    return json.loads(data) if data else None


class ChannelTest(unittest.TestCase):
    def setUp(self):
        self.agent = FaultAgent()
        self.channel = ControlChannel(self.agent, token='secret').start()
        self.port = self.channel.address[1]

    def tearDown(self):
        self.agent.heal()
        self.channel.close()

    def test_fault_heal_status(self):
        r = ask(self.port, {'token': 'secret', 'op': 'fault', 'spec': {'kind': 'error', 'status': 502}})
        self.assertEqual(r, {'ok': True, 'id': 1})
        st = ask(self.port, {'token': 'secret', 'op': 'status'})
        expected = {'kind': 'error', 'status': 502, 'percent': 100, 'durationMs': 0}
        self.assertEqual([f['spec'] for f in st['active']], [expected])
        self.assertEqual(ask(self.port, {'token': 'secret', 'op': 'heal'}), {'ok': True})
        self.assertEqual(ask(self.port, {'token': 'secret', 'op': 'status'})['active'], [])

    def test_hostile_input_gets_an_error_and_the_channel_lives_on(self):
        self.assertEqual(ask(self.port, {'op': 'status'})['error'], 'missing or wrong fault token')
        self.assertEqual(ask(self.port, {'token': 'nope', 'op': 'status'})['ok'], False)
        self.assertEqual(ask(self.port, b'{not json\n')['error'], 'request is not JSON')
        self.assertEqual(ask(self.port, b'[1,2]\n')['error'], 'request must be a JSON object')
        self.assertIn('op: expected', ask(self.port, {'token': 'secret', 'op': 'explode'})['error'])
        bad = ask(self.port, {'token': 'secret', 'op': 'fault', 'spec': {'kind': 'slow'}})
        self.assertEqual(bad, {'ok': False, 'error': 'fault.delayMs: required'})
        bad_id = ask(self.port, {'token': 'secret', 'op': 'heal', 'id': 'x'})
        self.assertEqual(bad_id['error'], 'id: expected an integer')
        self.assertEqual(ask(self.port, b'x' * (70 * 1024))['ok'], False)
        self.assertEqual(ask(self.port, {'token': 'secret', 'op': 'status'})['ok'], True)

    def test_a_crash_is_acknowledged_before_the_process_dies(self):
        with crash_child() as child:
            port = int(child.stdout.readline())
            r = ask(port, {'token': 't', 'op': 'fault', 'spec': {'kind': 'crash', 'mode': 'exit', 'exitCode': 42}})
            self.assertEqual(r, {'ok': True, 'id': 1})
            self.assertEqual(child.wait(10), 42)

    def test_uncaught_exception_ends_the_process_with_status_1_and_a_traceback(self):
        with crash_child() as child:
            port = int(child.stdout.readline())
            ask(port, {'token': 't', 'op': 'fault', 'spec': {'kind': 'crash', 'mode': 'uncaught-exception'}})
            self.assertEqual(child.wait(10), 1)
            self.assertIn('RuntimeError: w3lab fault: injected uncaught-exception', child.stderr.read())


if __name__ == '__main__':
    unittest.main()
